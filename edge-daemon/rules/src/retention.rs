//! How much of the event log the box keeps. Sans-IO: the store passes in the figures, the clock
//! and each record it considers; the rules answer.
//!
//! # Policy
//!
//! * Only records the cloud has **acknowledged** are ever trimmed: oldest first, while they are
//!   older than `max_age_ms` or while the whole log is larger than `max_bytes`.
//! * Records the cloud has **not** acknowledged are never dropped, whatever the budget says. When
//!   they reach `nearly_full_pct` of `max_bytes` the box raises "outbox nearly full" (a warning),
//!   at 100 % "outbox full" (critical); each ends when the backlog falls below
//!   `clear_pct` of the budget (hysteresis, so a backlog hovering at the threshold does not
//!   raise and clear an alarm on every record).
//! * At and beyond the bound the box goes on deciding and recording: a decision is never refused
//!   and never unrecorded for want of budget (the budget is not the disk). The log then grows past
//!   `max_bytes` until the cloud takes the backlog; only a full file system stops the writes,
//!   and then the decision is answered "not recorded" as for any failed commit.

use serde::{Deserialize, Serialize};

/// Retention settings (`[store]` in the box's config).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionPolicy {
    /// Acknowledged records older than this are trimmed.
    pub max_age_ms: i64,
    /// The log's byte budget: acknowledged records are trimmed while the log is larger.
    pub max_bytes: u64,
    /// Unacknowledged bytes at which "outbox nearly full" is raised, in % of `max_bytes`.
    pub nearly_full_pct: u8,
    /// Unacknowledged bytes below which the outbox alarms end, in % of `max_bytes`.
    pub clear_pct: u8,
}

/// The log's size as the store counts it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogFigures {
    pub total_bytes: u64,
    pub unacked_bytes: u64,
}

/// How full the outbox (the unacknowledged part of the log) is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OutboxPressure {
    #[default]
    Normal,
    NearlyFull,
    Full,
}

impl RetentionPolicy {
    /// Whether the oldest remaining acknowledged record (written at `record_at_ms`) goes, with
    /// the log `total_bytes` large at `now_ms`.
    pub fn trim(&self, record_at_ms: i64, now_ms: i64, total_bytes: u64) -> bool {
        total_bytes > self.max_bytes || record_at_ms < now_ms.saturating_sub(self.max_age_ms)
    }

    /// The pressure now, given the pressure before (for the hysteresis).
    pub fn pressure(&self, figures: LogFigures, before: OutboxPressure) -> OutboxPressure {
        // In hundredths, so that no line is rounded.
        let line = |p: u8| u128::from(self.max_bytes) * u128::from(p);
        let unacked = u128::from(figures.unacked_bytes) * 100;
        if unacked >= line(100) {
            OutboxPressure::Full
        } else if unacked >= line(self.nearly_full_pct) {
            // Coming down from full, stay full until below the clearing line.
            before.max(OutboxPressure::NearlyFull)
        } else if unacked >= line(self.clear_pct) {
            before
        } else {
            OutboxPressure::Normal
        }
    }

    /// The settings make sense: a budget, an age, and a clearing line below the warning line.
    pub fn check(&self) -> Result<(), &'static str> {
        if self.max_bytes == 0 {
            return Err("max_log_bytes: must be more than 0");
        }
        if self.max_age_ms <= 0 {
            return Err("retention_days: must be more than 0");
        }
        if self.nearly_full_pct == 0 || self.nearly_full_pct > 100 {
            return Err("outbox_nearly_full_pct: must be 1..=100");
        }
        if self.clear_pct >= self.nearly_full_pct {
            return Err("outbox_clear_pct: must be below outbox_nearly_full_pct");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DAY: i64 = 86_400_000;

    fn policy() -> RetentionPolicy {
        RetentionPolicy {
            max_age_ms: 90 * DAY,
            max_bytes: 1_000,
            nearly_full_pct: 80,
            clear_pct: 70,
        }
    }

    #[test]
    fn acknowledged_records_go_by_age_or_by_budget() {
        let p = policy();
        let now = 1_000 * DAY;
        assert!(!p.trim(now - 90 * DAY, now, 1_000), "exactly the age stays");
        assert!(p.trim(now - 90 * DAY - 1, now, 0), "one ms older goes");
        assert!(!p.trim(now, now, 1_000), "at the budget stays");
        assert!(
            p.trim(now, now, 1_001),
            "over the budget goes, however young"
        );
        // A clock far in the past or future does not overflow.
        assert!(!p.trim(i64::MIN, i64::MIN, 0));
        assert!(p.trim(i64::MIN, i64::MAX, 0));
    }

    #[test]
    fn pressure_rises_at_the_lines_and_falls_below_the_clearing_line() {
        let p = policy();
        let f = |u| LogFigures {
            total_bytes: u,
            unacked_bytes: u,
        };
        use OutboxPressure::*;
        assert_eq!(p.pressure(f(799), Normal), Normal);
        assert_eq!(p.pressure(f(800), Normal), NearlyFull);
        assert_eq!(p.pressure(f(999), NearlyFull), NearlyFull);
        assert_eq!(p.pressure(f(1_000), NearlyFull), Full);
        assert_eq!(p.pressure(f(5_000), Full), Full);
        // Coming down: full stays full until below 70 %, not only below 100 %.
        assert_eq!(p.pressure(f(999), Full), Full);
        assert_eq!(p.pressure(f(700), Full), Full);
        assert_eq!(p.pressure(f(699), Full), Normal);
        assert_eq!(p.pressure(f(750), NearlyFull), NearlyFull);
        assert_eq!(
            p.pressure(f(750), Normal),
            Normal,
            "between the lines nothing is raised"
        );
        assert_eq!(p.pressure(f(0), NearlyFull), Normal);
    }

    #[test]
    fn settings_are_checked() {
        assert_eq!(policy().check(), Ok(()));
        let bad = [
            RetentionPolicy {
                max_bytes: 0,
                ..policy()
            },
            RetentionPolicy {
                max_age_ms: 0,
                ..policy()
            },
            RetentionPolicy {
                nearly_full_pct: 101,
                ..policy()
            },
            RetentionPolicy {
                clear_pct: 80,
                ..policy()
            },
        ];
        for b in bad {
            assert!(b.check().is_err(), "{b:?}");
        }
    }

    proptest! {
        /// Whatever the backlog does, the pressure is Full exactly when the backlog is at or over
        /// the budget, never Normal at or above the warning line, and never raised below the
        /// clearing line.
        #[test]
        fn pressure_follows_the_backlog(
            max in 1u64..1_000_000,
            warn in 2u8..=100,
            clear_frac in 0u8..100,
            backlog in proptest::collection::vec(0u64..2_000_000, 1..60),
        ) {
            let clear = (u16::from(warn) * u16::from(clear_frac) / 100) as u8;
            let p = RetentionPolicy { max_age_ms: DAY, max_bytes: max, nearly_full_pct: warn, clear_pct: clear.min(warn - 1) };
            prop_assert!(p.check().is_ok());
            let mut before = OutboxPressure::Normal;
            for u in backlog {
                let now = p.pressure(LogFigures { total_bytes: u, unacked_bytes: u }, before);
                prop_assert_eq!(now == OutboxPressure::Full, u >= max || (before == OutboxPressure::Full && u128::from(u) * 100 >= u128::from(max) * u128::from(p.clear_pct)));
                if u128::from(u) * 100 >= u128::from(max) * u128::from(warn) {
                    prop_assert!(now != OutboxPressure::Normal);
                }
                if u128::from(u) * 100 < u128::from(max) * u128::from(p.clear_pct) {
                    prop_assert_eq!(now, OutboxPressure::Normal);
                }
                before = now;
            }
        }
    }
}
