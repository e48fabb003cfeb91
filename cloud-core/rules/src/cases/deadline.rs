//! Time facts derived, never stored: whether a deadline is met, near or missed at `now`, and the
//! human case number for a report day.

use serde::{Deserialize, Serialize};

/// A deadline is "due soon" within this much of it, unless the caller picks another window.
pub const DUE_SOON_MS: i64 = 24 * 3_600_000;
/// Case numbers use the street's local date (China Standard Time, UTC+8, no daylight saving).
pub const LOCAL_OFFSET_MS: i64 = 8 * 3_600_000;

/// Where a case stands against its active deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Timeliness {
    /// Not in a stage that runs against a deadline.
    NoDeadline,
    OnTime {
        remaining_ms: i64,
    },
    /// At most the due-soon window left; still due soon at the very deadline millisecond.
    DueSoon {
        remaining_ms: i64,
    },
    Overdue {
        overdue_ms: i64,
    },
}

impl Timeliness {
    pub fn code(self) -> &'static str {
        match self {
            Timeliness::NoDeadline => "no_deadline",
            Timeliness::OnTime { .. } => "on_time",
            Timeliness::DueSoon { .. } => "due_soon",
            Timeliness::Overdue { .. } => "overdue",
        }
    }
    pub fn is_overdue(self) -> bool {
        matches!(self, Timeliness::Overdue { .. })
    }
}

/// Overdue once `now` is past the deadline; due soon when at most `due_soon_ms` remain.
pub fn timeliness(deadline_ms: Option<i64>, now_ms: i64, due_soon_ms: i64) -> Timeliness {
    let Some(d) = deadline_ms else {
        return Timeliness::NoDeadline;
    };
    let remaining_ms = d.saturating_sub(now_ms);
    if remaining_ms < 0 {
        Timeliness::Overdue {
            overdue_ms: remaining_ms.saturating_neg(),
        }
    } else if remaining_ms <= due_soon_ms.max(0) {
        Timeliness::DueSoon { remaining_ms }
    } else {
        Timeliness::OnTime { remaining_ms }
    }
}

/// Civil (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's algorithm).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The local (UTC+8) date of `now_ms` as `YYYYMMDD`; storage keys its daily counter on it.
pub fn local_day(now_ms: i64) -> String {
    let days = now_ms
        .saturating_add(LOCAL_OFFSET_MS)
        .div_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}{m:02}{d:02}")
}

/// A case number: `AJ` + local report date + the day's sequence (from 1), e.g.
/// `AJ20261129-0042`. Storage owns the counter; a fifth digit appears past 9,999 a day.
pub fn case_number(now_ms: i64, seq_of_day: u32) -> String {
    format!("AJ{}-{seq_of_day:04}", local_day(now_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    #[test]
    fn timeliness_boundaries() {
        let d = 100 * H;
        assert_eq!(timeliness(None, d, DUE_SOON_MS), Timeliness::NoDeadline);
        assert_eq!(
            timeliness(Some(d), d - 25 * H, DUE_SOON_MS),
            Timeliness::OnTime {
                remaining_ms: 25 * H
            }
        );
        assert_eq!(
            timeliness(Some(d), d - 24 * H, DUE_SOON_MS),
            Timeliness::DueSoon {
                remaining_ms: 24 * H
            }
        );
        assert_eq!(
            timeliness(Some(d), d, DUE_SOON_MS),
            Timeliness::DueSoon { remaining_ms: 0 }
        );
        assert_eq!(
            timeliness(Some(d), d + 1, DUE_SOON_MS),
            Timeliness::Overdue { overdue_ms: 1 }
        );
        assert!(timeliness(Some(d), d + 1, DUE_SOON_MS).is_overdue());
        // A zero or negative window means nothing is "soon" before the deadline itself.
        assert_eq!(
            timeliness(Some(d), d - 1, 0),
            Timeliness::OnTime { remaining_ms: 1 }
        );
        assert_eq!(
            timeliness(Some(d), d - 1, -5),
            Timeliness::OnTime { remaining_ms: 1 }
        );
        // Extremes do not overflow.
        assert!(timeliness(Some(i64::MIN), i64::MAX, DUE_SOON_MS).is_overdue());
        assert_eq!(
            timeliness(Some(i64::MAX), i64::MIN, DUE_SOON_MS).code(),
            "on_time"
        );
    }

    #[test]
    fn case_numbers_use_the_local_date() {
        assert_eq!(case_number(0, 1), "AJ19700101-0001");
        // 2026-11-29T15:59:59.999Z is 23:59 in Beijing; a millisecond later is the 30th.
        let t = 1_795_967_999_999;
        assert_eq!(case_number(t, 42), "AJ20261129-0042");
        assert_eq!(case_number(t + 1, 42), "AJ20261130-0042");
        assert_eq!(local_day(951_782_400_000), "20000229");
        assert_eq!(
            case_number(-LOCAL_OFFSET_MS - 1, 12_345),
            "AJ19691231-12345"
        );
    }
}
