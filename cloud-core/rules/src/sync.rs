//! The directory sync's pure parts: where a bounded delta may end so that taking deltas until
//! `more` is false delivers every change exactly once, in order.

/// Where a bounded delta ends. Each list holds the change numbers of the rows fetched (in
/// order, at most `limit` each). A full list may have been cut short, so the delta can only
/// safely reach the smallest last number among full lists; everything above waits for the next
/// delta (`more`). Pure.
pub fn delta_end(lists: &[&[i64]], limit: usize, upper: i64) -> (i64, bool) {
    let cut = lists
        .iter()
        .filter(|l| l.len() >= limit)
        .filter_map(|l| l.last().copied())
        .min();
    match cut {
        Some(c) => (c, true),
        None => (upper, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn delta_end_cuts_at_the_smallest_full_list() {
        assert_eq!(delta_end(&[&[1, 2], &[3]], 3, 10), (10, false));
        assert_eq!(delta_end(&[&[1, 2, 9], &[3, 4, 5]], 3, 10), (5, true));
        assert_eq!(delta_end(&[&[], &[], &[]], 3, 0), (0, false));
    }

    proptest! {
        /// Taking deltas until `more` is false delivers every change exactly once, in order.
        #[test]
        fn bounded_deltas_deliver_everything_once(mut all in proptest::collection::vec((1i64..200, 0usize..3), 0..120), limit in 1usize..6) {
            all.sort();
            all.dedup_by_key(|x| x.0);
            let upper = all.last().map_or(0, |x| x.0);
            let mut cursor = 0;
            let mut seen: Vec<i64> = Vec::new();
            for _ in 0..1000 {
                let lists: Vec<Vec<i64>> = (0..3).map(|t| all.iter().filter(|x| x.1 == t && x.0 > cursor).map(|x| x.0).take(limit).collect()).collect();
                let refs: Vec<&[i64]> = lists.iter().map(Vec::as_slice).collect();
                let (next, more) = delta_end(&refs, limit, upper);
                prop_assert!(next >= cursor);
                for l in &lists { seen.extend(l.iter().filter(|s| **s <= next)); }
                cursor = next;
                if !more { break; }
            }
            seen.sort();
            let expect: Vec<i64> = all.iter().map(|x| x.0).collect();
            prop_assert_eq!(seen, expect);
        }
    }
}
