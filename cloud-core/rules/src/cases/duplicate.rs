//! The duplicate check at filing: a pure score of how likely a case repeats an open one.
//!
//! Four signals, each worth at most its weight; the score is their sum (0..=1):
//!
//! | signal   | weight | how it scores                                                            |
//! |----------|--------|--------------------------------------------------------------------------|
//! | place    | 0.35   | ≤ `near_m` (50 m, as FixMyStreet shows reporters) full; fading to 0 at `far_m` (300 m); else same building full, same finest grid 0.20 |
//! | category | 0.25   | same minor full, same middle 0.15, same major 0.05                        |
//! | text     | 0.30   | Dice coefficient of character bigrams × 0.30 (Chinese has no spaces, so words cannot be split; bigrams catch "井盖" in "井盖丢失" and "小区井盖缺失") |
//! | time     | 0.10   | full when reported together, fading to 0 at the window's edge             |
//!
//! The time window (7 days) is a gate, not just a signal: a case reported further apart is no
//! candidate at all, and neither is a closed or voided one. `likely` (≥ 0.60) blocks filing
//! without a stated reason; `possible` (≥ 0.40) is shown. For example, same minor category
//! within 50 m on the same day scores ≈ 0.70 (likely) even if worded differently; in the same
//! grid on the same day under another middle category of the same major, identical words score
//! 0.65 (likely) and half-shared words ≈ 0.51 (possible).
//!
//! Storage picks the pool: open cases of the street reported within the window (an index on
//! `reported_at_ms` suffices); this module only scores.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::model::{CategoryPath, GeoPoint, GridPath, NewCase};
use super::{Case, CaseStatus};

pub const WEIGHT_PLACE: f64 = 0.35;
pub const WEIGHT_CATEGORY: f64 = 0.25;
pub const WEIGHT_TEXT: f64 = 0.30;
pub const WEIGHT_TIME: f64 = 0.10;
const SAME_GRID: f64 = 0.20;
const SAME_MIDDLE: f64 = 0.15;
const SAME_MAJOR: f64 = 0.05;
/// Below this bigram similarity text is not named as a reason (it still scores).
const TEXT_REASON_MIN: f64 = 0.25;

/// Thresholds and distances; `Default` holds the documented values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DupConfig {
    pub near_m: f64,
    pub far_m: f64,
    pub window_ms: i64,
    pub likely: f64,
    pub possible: f64,
    pub max_results: usize,
}

impl Default for DupConfig {
    fn default() -> Self {
        DupConfig {
            near_m: 50.0,
            far_m: 300.0,
            window_ms: 7 * 86_400_000,
            likely: 0.60,
            possible: 0.40,
            max_results: 10,
        }
    }
}

/// What the scorer needs of a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DupSubject {
    pub case_id: String,
    pub number: String,
    pub status: CaseStatus,
    pub category: CategoryPath,
    pub point: Option<GeoPoint>,
    pub building_id: Option<String>,
    pub grid: GridPath,
    pub reported_at_ms: i64,
    /// Problem and case description together.
    pub text: String,
}

impl DupSubject {
    pub fn of_case(c: &Case) -> DupSubject {
        DupSubject::of_report(&c.id, &c.number, c.status, &c.data, c.reported_at_ms)
    }
    pub fn of_report(
        case_id: &str,
        number: &str,
        status: CaseStatus,
        d: &NewCase,
        reported_at_ms: i64,
    ) -> DupSubject {
        DupSubject {
            case_id: case_id.to_string(),
            number: number.to_string(),
            status,
            category: d.category.clone(),
            point: d.location.point,
            building_id: d.location.building_id.clone(),
            grid: d.grid.clone(),
            reported_at_ms,
            text: format!("{} {}", d.problem, d.description),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum DupLevel {
    Possible,
    Likely,
}

/// A signal that matched, with its measure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "signal", rename_all = "snake_case")]
pub enum DupReason {
    SameMinorCategory,
    SameMiddleCategory,
    SameMajorCategory,
    Nearby { metres: f64 },
    SameBuilding,
    SameGrid,
    SimilarText { dice: f64 },
    ReportedWithin { ms: i64 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DupMatch {
    pub case_id: String,
    pub number: String,
    /// 0..=1, rounded to 3 decimals so stored and shown values agree.
    pub score: f64,
    pub level: DupLevel,
    pub reasons: Vec<DupReason>,
}

/// Great-circle distance in metres.
pub fn haversine_m(a: GeoPoint, b: GeoPoint) -> f64 {
    const R: f64 = 6_371_008.8;
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dp = p2 - p1;
    let dl = (b.lon - a.lon).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().min(1.0).asin()
}

/// Letters and digits only (any script), lower-cased: punctuation and spaces say nothing.
fn grams(s: &str) -> HashSet<(char, char)> {
    let cs: Vec<char> = s
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    match cs.len() {
        0 => HashSet::new(),
        // A one-character text still compares with itself.
        1 => [(cs[0], '\0')].into_iter().collect(),
        _ => cs.windows(2).map(|w| (w[0], w[1])).collect(),
    }
}

/// Dice coefficient of the two texts' character-bigram sets, 0..=1 (0 if either is empty).
pub fn dice_bigrams(a: &str, b: &str) -> f64 {
    let (x, y) = (grams(a), grams(b));
    if x.is_empty() || y.is_empty() {
        return 0.0;
    }
    let common = x.intersection(&y).count();
    2.0 * common as f64 / (x.len() + y.len()) as f64
}

/// Score one candidate against the probe; `None` when it is no candidate (itself, finished,
/// outside the window) or scores below `possible`.
pub fn score(probe: &DupSubject, cand: &DupSubject, cfg: &DupConfig) -> Option<DupMatch> {
    if cand.case_id == probe.case_id || cand.status.is_finished() {
        return None;
    }
    let dt = probe.reported_at_ms.abs_diff(cand.reported_at_ms);
    let window = u64::try_from(cfg.window_ms).ok().filter(|w| *w > 0)?;
    if dt > window {
        return None;
    }
    let mut reasons = Vec::new();
    let mut total = 0.0;

    // Place: the best of distance, building, grid.
    let mut place = 0.0;
    if let (Some(a), Some(b)) = (probe.point, cand.point) {
        let d = haversine_m(a, b);
        let f = if d <= cfg.near_m {
            1.0
        } else if d < cfg.far_m && cfg.far_m > cfg.near_m {
            (cfg.far_m - d) / (cfg.far_m - cfg.near_m)
        } else {
            0.0
        };
        if f > 0.0 {
            place = f * WEIGHT_PLACE;
            reasons.push(DupReason::Nearby {
                metres: (d * 10.0).round() / 10.0,
            });
        }
    }
    if probe.building_id.is_some() && probe.building_id == cand.building_id {
        place = f64::max(place, WEIGHT_PLACE);
        reasons.push(DupReason::SameBuilding);
    } else if probe.grid.finest() == cand.grid.finest() {
        place = f64::max(place, SAME_GRID);
        reasons.push(DupReason::SameGrid);
    }
    total += place;

    let (pc, cc) = (&probe.category, &cand.category);
    if pc.major == cc.major {
        if pc.middle != cc.middle {
            total += SAME_MAJOR;
            reasons.push(DupReason::SameMajorCategory);
        } else if pc.minor != cc.minor {
            total += SAME_MIDDLE;
            reasons.push(DupReason::SameMiddleCategory);
        } else {
            total += WEIGHT_CATEGORY;
            reasons.push(DupReason::SameMinorCategory);
        }
    }

    let dice = dice_bigrams(&probe.text, &cand.text);
    total += dice * WEIGHT_TEXT;
    if dice >= TEXT_REASON_MIN {
        reasons.push(DupReason::SimilarText {
            dice: (dice * 1000.0).round() / 1000.0,
        });
    }

    total += WEIGHT_TIME * (1.0 - dt as f64 / window as f64);
    reasons.push(DupReason::ReportedWithin {
        ms: i64::try_from(dt).unwrap_or(i64::MAX),
    });

    let score = (total * 1000.0).round() / 1000.0;
    let level = if score >= cfg.likely {
        DupLevel::Likely
    } else if score >= cfg.possible {
        DupLevel::Possible
    } else {
        return None;
    };
    Some(DupMatch {
        case_id: cand.case_id.clone(),
        number: cand.number.clone(),
        score,
        level,
        reasons,
    })
}

/// Candidates from `pool` at or above `possible`, best first (then nearest in time, then case
/// id, so the order is stable), at most `max_results`.
pub fn rank(probe: &DupSubject, pool: &[DupSubject], cfg: &DupConfig) -> Vec<DupMatch> {
    let mut found: Vec<(DupMatch, u64)> = pool
        .iter()
        .filter_map(|c| {
            score(probe, c, cfg).map(|m| (m, probe.reported_at_ms.abs_diff(c.reported_at_ms)))
        })
        .collect();
    found.sort_by(|(a, ta), (b, tb)| {
        b.score
            .total_cmp(&a.score)
            .then(ta.cmp(tb))
            .then_with(|| a.case_id.cmp(&b.case_id))
    });
    found
        .into_iter()
        .take(cfg.max_results)
        .map(|(m, _)| m)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    fn subject(id: &str, minor: &str, lat: f64, text: &str, at: i64) -> DupSubject {
        DupSubject {
            case_id: id.into(),
            number: format!("N-{id}"),
            status: CaseStatus::Pending,
            category: CategoryPath {
                major: "city".into(),
                middle: "road".into(),
                minor: minor.into(),
            },
            point: Some(GeoPoint { lat, lon: 120.0 }),
            building_id: None,
            grid: GridPath {
                level1: "g1".into(),
                level2: Some(format!("g2-{id}")),
                level3: None,
            },
            reported_at_ms: at,
            text: text.into(),
        }
    }

    // 0.0001° of latitude is about 11.1 m.
    const M11: f64 = 0.0001;

    #[test]
    fn haversine_known_distances() {
        let a = GeoPoint {
            lat: 30.0,
            lon: 120.0,
        };
        assert!(haversine_m(a, a).abs() < 1e-9);
        let b = GeoPoint {
            lat: 30.0 + M11,
            lon: 120.0,
        };
        assert!((haversine_m(a, b) - 11.12).abs() < 0.05);
        // One degree of longitude on the equator ≈ 111.2 km.
        let e1 = GeoPoint { lat: 0.0, lon: 0.0 };
        let e2 = GeoPoint { lat: 0.0, lon: 1.0 };
        assert!((haversine_m(e1, e2) - 111_195.0).abs() < 10.0);
    }

    #[test]
    fn dice_on_chinese_text() {
        assert_eq!(dice_bigrams("井盖丢失", "井盖丢失"), 1.0);
        assert_eq!(dice_bigrams("井盖丢失", "路灯不亮"), 0.0);
        // Punctuation and spaces are ignored.
        assert_eq!(dice_bigrams("井盖，丢失！", "井盖 丢失"), 1.0);
        // {井盖, 盖丢, 丢失} vs {小区, 区井, 井盖, 盖缺, 缺失}: one in common → 2/8.
        assert!((dice_bigrams("井盖丢失", "小区井盖缺失") - 0.25).abs() < 1e-9);
        assert_eq!(dice_bigrams("", "井盖"), 0.0);
        assert_eq!(dice_bigrams("灯", "灯"), 1.0);
        assert_eq!(dice_bigrams("Street LIGHT", "street light"), 1.0);
    }

    #[test]
    fn same_place_category_and_day_is_likely_even_worded_differently() {
        let p = subject("p", "manhole", 30.0, "井盖丢失", 10 * H);
        let c = subject("c", "manhole", 30.0 + 2.0 * M11, "路面有个洞很危险", 9 * H);
        let m = score(&p, &c, &DupConfig::default()).unwrap();
        assert_eq!(m.level, DupLevel::Likely);
        assert!(m.reasons.contains(&DupReason::SameMinorCategory));
        assert!(matches!(m.reasons[0], DupReason::Nearby { metres } if metres < 25.0));
        assert!(!m
            .reasons
            .iter()
            .any(|r| matches!(r, DupReason::SimilarText { .. })));
    }

    #[test]
    fn same_grid_other_middle_category_depends_on_words() {
        let mut p = subject("p", "manhole", 30.0, "三栋门口井盖丢失", 10 * H);
        let mut c = subject("c", "x", 30.0, "井盖丢失了", 10 * H);
        c.category.middle = "other".into();
        p.point = None;
        c.point = None;
        c.grid = p.grid.clone();
        let m = score(&p, &c, &DupConfig::default()).unwrap();
        assert_eq!(m.level, DupLevel::Possible);
        let dice = dice_bigrams(&p.text, &c.text);
        assert!((dice - 6.0 / 11.0).abs() < 1e-9);
        let want = SAME_GRID + SAME_MAJOR + dice * WEIGHT_TEXT + WEIGHT_TIME;
        assert!((m.score - want).abs() < 1e-3);
        // The same words would make it likely.
        c.text = p.text.clone();
        assert_eq!(
            score(&p, &c, &DupConfig::default()).unwrap().level,
            DupLevel::Likely
        );
        assert!(m.reasons.contains(&DupReason::SameGrid));
        assert!(m.reasons.contains(&DupReason::SameMajorCategory));
    }

    #[test]
    fn same_building_counts_as_same_place() {
        let mut p = subject("p", "manhole", 30.0, "a", 10 * H);
        let mut c = subject("c", "manhole", 31.0, "b", 10 * H);
        p.building_id = Some("b1".into());
        c.building_id = Some("b1".into());
        let m = score(&p, &c, &DupConfig::default()).unwrap();
        assert!(m.reasons.contains(&DupReason::SameBuilding));
        assert!((m.score - (WEIGHT_PLACE + WEIGHT_CATEGORY + WEIGHT_TIME)).abs() < 1e-9);
    }

    #[test]
    fn distance_fades_between_near_and_far() {
        let cfg = DupConfig::default();
        let p = subject("p", "manhole", 30.0, "", 10 * H);
        let at = |metres: f64| {
            let c = subject("c", "manhole", 30.0 + metres / 111_195.0, "", 10 * H);
            score(&p, &c, &cfg).map(|m| m.score).unwrap_or(0.0)
        };
        let full = WEIGHT_PLACE + WEIGHT_CATEGORY + WEIGHT_TIME;
        assert!((at(49.0) - full).abs() < 1e-3);
        // Halfway between 50 m and 300 m: half the place weight.
        assert!((at(175.0) - (full - WEIGHT_PLACE / 2.0)).abs() < 2e-3);
        assert!(at(400.0) < cfg.possible);
    }

    #[test]
    fn outside_window_finished_or_itself_is_no_candidate() {
        let cfg = DupConfig::default();
        let p = subject("p", "manhole", 30.0, "井盖丢失", 10 * 24 * H);
        let old = subject(
            "c",
            "manhole",
            30.0,
            "井盖丢失",
            10 * 24 * H - cfg.window_ms - 1,
        );
        assert!(score(&p, &old, &cfg).is_none());
        let edge = subject(
            "c",
            "manhole",
            30.0,
            "井盖丢失",
            10 * 24 * H - cfg.window_ms,
        );
        assert!(score(&p, &edge, &cfg).is_some());
        for s in [CaseStatus::Closed, CaseStatus::Voided] {
            let mut f = subject("c", "manhole", 30.0, "井盖丢失", 10 * 24 * H);
            f.status = s;
            assert!(score(&p, &f, &cfg).is_none());
        }
        assert!(score(&p, &p.clone(), &cfg).is_none());
    }

    #[test]
    fn unrelated_case_scores_nothing() {
        let mut c = subject("c", "lamp", 30.1, "路灯不亮", 10 * H);
        c.category.major = "other".into();
        let p = subject("p", "manhole", 30.0, "井盖丢失", 10 * H);
        assert!(score(&p, &c, &DupConfig::default()).is_none());
    }

    #[test]
    fn rank_orders_best_first_and_truncates() {
        let p = subject("p", "manhole", 30.0, "三栋门口井盖丢失", 100 * H);
        let pool = vec![
            subject("far", "manhole", 30.0 + 20.0 * M11, "门口井盖丢失", 100 * H),
            subject("exact", "manhole", 30.0, "三栋门口井盖丢失", 100 * H),
            subject("older", "manhole", 30.0, "三栋门口井盖丢失", 90 * H),
            subject("noise", "lamp", 35.0, "路灯不亮", 100 * H),
        ];
        let r = rank(&p, &pool, &DupConfig::default());
        let ids: Vec<&str> = r.iter().map(|m| m.case_id.as_str()).collect();
        assert_eq!(ids, ["exact", "older", "far"]);
        assert!(r.windows(2).all(|w| w[0].score >= w[1].score));
        let cfg = DupConfig {
            max_results: 1,
            ..DupConfig::default()
        };
        assert_eq!(rank(&p, &pool, &cfg).len(), 1);
    }

    #[test]
    fn scores_stay_within_zero_and_one() {
        let p = subject("p", "manhole", 30.0, "井盖丢失", 10 * H);
        let mut c = subject("c", "manhole", 30.0, "井盖丢失", 10 * H);
        c.grid = p.grid.clone();
        c.building_id = Some("b".into());
        let mut p2 = p.clone();
        p2.building_id = Some("b".into());
        let m = score(&p2, &c, &DupConfig::default()).unwrap();
        assert!((m.score - 1.0).abs() < 1e-9);
    }
}
