//! A visit's lifecycle, pure: [`VisitStatus::apply`] says what an action by the host or the
//! visitor does to a visit at a given time; [`VisitStatus::shown`] what the app shows; the
//! window comes from the protocol crate (boxes apply the same). `cloud-core::rooms::visits` loads,
//! asks and stores.

/// The visitor may pass this long before and after the appointment (the protocol's word: boxes
/// apply the same window).
pub use edge_sync::vocab::VISITOR_WINDOW_MS as VISIT_WINDOW_MS;
/// How far ahead a visit may be booked.
pub const MAX_BOOK_AHEAD_MS: i64 = 30 * 86_400_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitStatus {
    Pending,
    Approved,
    Refused,
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitAction {
    Approve,
    Refuse,
    Cancel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Host,
    Visitor,
}

impl VisitStatus {
    pub fn code(self) -> &'static str {
        match self {
            VisitStatus::Pending => "pending",
            VisitStatus::Approved => "approved",
            VisitStatus::Refused => "refused",
            VisitStatus::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<VisitStatus> {
        [
            VisitStatus::Pending,
            VisitStatus::Approved,
            VisitStatus::Refused,
            VisitStatus::Cancelled,
        ]
        .into_iter()
        .find(|v| v.code() == s)
    }

    /// The next status, or why the action is refused.
    pub fn apply(
        self,
        action: VisitAction,
        by: Party,
        visit_at_ms: i64,
        now_ms: i64,
    ) -> Result<VisitStatus, &'static str> {
        if now_ms > visit_at_ms + VISIT_WINDOW_MS {
            return Err("the visit's time has passed");
        }
        match (action, by, self) {
            (VisitAction::Approve | VisitAction::Refuse, Party::Visitor, _) => {
                Err("only the host decides")
            }
            (VisitAction::Approve, Party::Host, VisitStatus::Pending) => Ok(VisitStatus::Approved),
            (VisitAction::Refuse, Party::Host, VisitStatus::Pending) => Ok(VisitStatus::Refused),
            (VisitAction::Approve | VisitAction::Refuse, Party::Host, _) => {
                Err("the visit was already decided")
            }
            (VisitAction::Cancel, _, VisitStatus::Pending | VisitStatus::Approved) => {
                Ok(VisitStatus::Cancelled)
            }
            (VisitAction::Cancel, _, _) => Err("the visit is already refused or cancelled"),
        }
    }

    /// What the app shows: the stored status, with time applied — an approved visit whose
    /// window has passed is `visited`, a pending one `expired`.
    pub fn shown(self, visit_at_ms: i64, now_ms: i64) -> &'static str {
        let over = now_ms > visit_at_ms + VISIT_WINDOW_MS;
        match (self, over) {
            (VisitStatus::Approved, true) => "visited",
            (VisitStatus::Pending, true) => "expired",
            (s, _) => s.code(),
        }
    }
}

/// A name as a visitor sees it before the host approved: the first character, then one `*`
/// for each other (at least one). Pure.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    let first = chars.next().map(String::from).unwrap_or_default();
    let rest = chars.count().max(1);
    format!("{first}{}", "*".repeat(rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T: i64 = 10 * VISIT_WINDOW_MS;

    #[test]
    fn every_transition() {
        use Party::*;
        use VisitAction::*;
        use VisitStatus::*;
        let now = T - 1;
        assert_eq!(Pending.apply(Approve, Host, T, now), Ok(Approved));
        assert_eq!(Pending.apply(Refuse, Host, T, now), Ok(Refused));
        assert_eq!(Pending.apply(Cancel, Visitor, T, now), Ok(Cancelled));
        assert_eq!(Pending.apply(Cancel, Host, T, now), Ok(Cancelled));
        assert_eq!(Approved.apply(Cancel, Visitor, T, now), Ok(Cancelled));
        assert!(Pending.apply(Approve, Visitor, T, now).is_err());
        assert!(Pending.apply(Refuse, Visitor, T, now).is_err());
        for s in [Approved, Refused, Cancelled] {
            assert!(s.apply(Approve, Host, T, now).is_err());
            assert!(s.apply(Refuse, Host, T, now).is_err());
        }
        assert!(Refused.apply(Cancel, Visitor, T, now).is_err());
        assert!(Cancelled.apply(Cancel, Host, T, now).is_err());
        // At the window's end a decision is still possible; one ms later it is not.
        assert_eq!(
            Pending.apply(Approve, Host, T, T + VISIT_WINDOW_MS),
            Ok(Approved)
        );
        assert!(Pending
            .apply(Approve, Host, T, T + VISIT_WINDOW_MS + 1)
            .is_err());
    }

    #[test]
    fn names_are_masked_to_their_first_character() {
        assert_eq!(mask_name("张三丰"), "张**");
        assert_eq!(mask_name("Li"), "L*");
        assert_eq!(mask_name("X"), "X*");
        assert_eq!(mask_name(""), "*");
    }

    #[test]
    fn shown_states_follow_time() {
        use VisitStatus::*;
        assert_eq!(Approved.shown(T, T), "approved");
        assert_eq!(Approved.shown(T, T + VISIT_WINDOW_MS), "approved");
        assert_eq!(Approved.shown(T, T + VISIT_WINDOW_MS + 1), "visited");
        assert_eq!(Pending.shown(T, T + VISIT_WINDOW_MS + 1), "expired");
        assert_eq!(Refused.shown(T, T + VISIT_WINDOW_MS + 1), "refused");
    }

    proptest! {
        /// Any sequence: terminal states stay terminal, only the host decides, nothing after
        /// the window.
        #[test]
        fn lifecycle_invariants(ops in proptest::collection::vec((0u8..3, any::<bool>(), -2i64..3), 0..20)) {
            let mut s = VisitStatus::Pending;
            for (a, host, dt) in ops {
                let action = [VisitAction::Approve, VisitAction::Refuse, VisitAction::Cancel][a as usize];
                let by = if host { Party::Host } else { Party::Visitor };
                let now = T + dt * VISIT_WINDOW_MS;
                if let Ok(next) = s.apply(action, by, T, now) {
                    prop_assert!(now <= T + VISIT_WINDOW_MS);
                    prop_assert!(matches!(s, VisitStatus::Pending | VisitStatus::Approved));
                    if next != VisitStatus::Cancelled { prop_assert_eq!(by, Party::Host); }
                    s = next;
                }
            }
        }
    }
}
