//! An alarm's lifecycle as staff manage it, pure (ThingsBoard's): active/cleared ×
//! unacknowledged/acknowledged, one open alarm per (box, source, kind), updated rather than
//! duplicated, closed once cleared *and* acknowledged. [`Life::apply`] takes a box transition or
//! a staff action and answers the next state or why not. `cloud-core::rooms::alarms` folds and stores.

/// The state of one alarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Life {
    pub severity: String,
    pub active: bool,
    pub acked: bool,
    pub raised_at_ms: i64,
    pub updated_at_ms: i64,
    pub cleared_at_ms: Option<i64>,
    pub cleared_by: Option<String>,
    pub clear_comment: Option<String>,
    pub acked_at_ms: Option<i64>,
    pub acked_by: Option<String>,
    pub ack_comment: Option<String>,
    pub detail: String,
}

impl Life {
    pub fn closed(&self) -> bool {
        !self.active && self.acked
    }
}

/// What happened to an alarm: from a box's record or from staff in the cloud.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    Raised {
        severity: String,
        detail: String,
    },
    /// Still active with a new detail or severity (escalation is one).
    Updated {
        severity: String,
        detail: String,
    },
    Cleared {
        by: Option<String>,
        comment: Option<String>,
    },
    Acked {
        by: String,
        comment: Option<String>,
    },
}

impl Transition {
    /// A box's record state (`raised`, `updated`, `escalated`, `cleared`, `acked:<by>`).
    /// Anything else is history only.
    pub fn from_record(state: &str, severity: &str, detail: &str) -> Option<Transition> {
        Some(match state {
            "raised" => Transition::Raised {
                severity: severity.into(),
                detail: detail.into(),
            },
            "updated" | "escalated" => Transition::Updated {
                severity: severity.into(),
                detail: detail.into(),
            },
            "cleared" => Transition::Cleared {
                by: None,
                comment: None,
            },
            s => Transition::Acked {
                by: s.strip_prefix("acked:")?.to_string(),
                comment: None,
            },
        })
    }
}

/// What `apply` decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A new alarm with this state.
    Open(Life),
    /// The open alarm now has this state.
    Update(Life),
    /// Nothing changes (the reason is for the caller's error or log).
    Unchanged(Refusal),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("there is no open alarm to change")]
    NoOpenAlarm,
    #[error("the alarm is already acknowledged")]
    AlreadyAcked,
    #[error("the alarm is already cleared")]
    AlreadyCleared,
}

impl Life {
    /// Fold one transition at `at` into the open alarm (if any). Pure.
    pub fn apply(open: Option<&Life>, t: &Transition, at: i64) -> Step {
        let fresh = |severity: &str, detail: &str| Life {
            severity: severity.into(),
            active: true,
            acked: false,
            raised_at_ms: at,
            updated_at_ms: at,
            cleared_at_ms: None,
            cleared_by: None,
            clear_comment: None,
            acked_at_ms: None,
            acked_by: None,
            ack_comment: None,
            detail: detail.into(),
        };
        match (open, t) {
            (None, Transition::Raised { severity, detail })
            | (None, Transition::Updated { severity, detail }) => {
                Step::Open(fresh(severity, detail))
            }
            (None, _) => Step::Unchanged(Refusal::NoOpenAlarm),
            (Some(l), Transition::Raised { severity, detail })
            | (Some(l), Transition::Updated { severity, detail }) => {
                let mut n = l.clone();
                // A raise of a cleared (unacknowledged) alarm makes it active again: one alarm
                // per device and type, not a new one each time the condition flaps.
                n.active = true;
                n.cleared_at_ms = None;
                n.cleared_by = None;
                n.clear_comment = None;
                if !severity.is_empty() {
                    n.severity = severity.clone();
                }
                if !detail.is_empty() {
                    n.detail = detail.clone();
                }
                n.updated_at_ms = at;
                Step::Update(n)
            }
            (Some(l), Transition::Cleared { by, comment }) => {
                if !l.active {
                    return Step::Unchanged(Refusal::AlreadyCleared);
                }
                let mut n = l.clone();
                n.active = false;
                n.cleared_at_ms = Some(at);
                n.cleared_by = by.clone();
                n.clear_comment = comment.clone();
                n.updated_at_ms = at;
                Step::Update(n)
            }
            (Some(l), Transition::Acked { by, comment }) => {
                if l.acked {
                    return Step::Unchanged(Refusal::AlreadyAcked);
                }
                let mut n = l.clone();
                n.acked = true;
                n.acked_at_ms = Some(at);
                n.acked_by = Some(by.clone());
                n.ack_comment = comment.clone();
                n.updated_at_ms = at;
                Step::Update(n)
            }
        }
    }

    /// ThingsBoard's four-way status.
    pub fn status(&self) -> &'static str {
        match (self.active, self.acked) {
            (true, false) => "active_unack",
            (true, true) => "active_ack",
            (false, false) => "cleared_unack",
            (false, true) => "cleared_ack",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn raised() -> Transition {
        Transition::Raised {
            severity: "critical".into(),
            detail: "smoke".into(),
        }
    }
    fn cleared() -> Transition {
        Transition::Cleared {
            by: None,
            comment: None,
        }
    }
    fn acked() -> Transition {
        Transition::Acked {
            by: "amy".into(),
            comment: Some("on my way".into()),
        }
    }

    fn run(ts: &[Transition]) -> Vec<Step> {
        let mut open: Option<Life> = None;
        let mut out = Vec::new();
        for (i, t) in ts.iter().enumerate() {
            let s = Life::apply(open.as_ref(), t, i as i64);
            match &s {
                Step::Open(l) | Step::Update(l) => {
                    open = if l.closed() { None } else { Some(l.clone()) }
                }
                Step::Unchanged(_) => {}
            }
            out.push(s);
        }
        out
    }

    #[test]
    fn raise_ack_clear_closes_and_the_next_raise_opens_a_new_alarm() {
        let s = run(&[raised(), acked(), cleared(), raised()]);
        assert!(matches!(s[0], Step::Open(_)));
        let Step::Update(l) = &s[1] else { panic!() };
        assert_eq!(l.status(), "active_ack");
        assert_eq!(l.ack_comment.as_deref(), Some("on my way"));
        let Step::Update(l) = &s[2] else { panic!() };
        assert!(l.closed());
        assert!(matches!(s[3], Step::Open(_)));
    }

    #[test]
    fn a_flapping_condition_updates_one_alarm() {
        let s = run(&[raised(), cleared(), raised()]);
        let Step::Update(l) = &s[2] else { panic!() };
        assert_eq!(l.status(), "active_unack");
        assert_eq!(l.raised_at_ms, 0, "still the first raise");
    }

    #[test]
    fn refusals_name_what_is_wrong() {
        assert_eq!(run(&[cleared()])[0], Step::Unchanged(Refusal::NoOpenAlarm));
        assert_eq!(
            run(&[raised(), acked(), acked()])[2],
            Step::Unchanged(Refusal::AlreadyAcked)
        );
        assert_eq!(
            run(&[raised(), cleared(), cleared()])[2],
            Step::Unchanged(Refusal::AlreadyCleared)
        );
    }

    #[test]
    fn box_record_states_map_to_transitions() {
        assert_eq!(
            Transition::from_record("acked:cloud:amy", "", ""),
            Some(Transition::Acked {
                by: "cloud:amy".into(),
                comment: None
            })
        );
        assert!(matches!(
            Transition::from_record("escalated", "critical", ""),
            Some(Transition::Updated { .. })
        ));
        assert_eq!(Transition::from_record("restored", "", ""), None);
    }

    fn any_t() -> impl Strategy<Value = Transition> {
        prop_oneof![
            Just(raised()),
            Just(Transition::Updated {
                severity: "major".into(),
                detail: String::new()
            }),
            Just(cleared()),
            Just(acked()),
        ]
    }

    proptest! {
        /// Any sequence: at most one open alarm; an open alarm is never closed; acknowledgement
        /// is sticky within an alarm; a closed alarm came from a clear and an ack.
        #[test]
        fn any_sequence_keeps_one_consistent_alarm(ts in proptest::collection::vec(any_t(), 0..40)) {
            let mut open: Option<Life> = None;
            for (i, t) in ts.iter().enumerate() {
                let step = Life::apply(open.as_ref(), t, i as i64);
                match step {
                    Step::Open(l) => {
                        prop_assert!(open.is_none());
                        prop_assert!(l.active && !l.acked);
                        open = Some(l);
                    }
                    Step::Update(l) => {
                        let before = open.take().unwrap();
                        prop_assert!(!before.acked || l.acked, "ack is sticky");
                        prop_assert_eq!(before.raised_at_ms, l.raised_at_ms);
                        prop_assert!(l.updated_at_ms >= before.updated_at_ms);
                        if l.closed() {
                            prop_assert!(l.cleared_at_ms.is_some() && l.acked_at_ms.is_some());
                        } else {
                            open = Some(l);
                        }
                    }
                    Step::Unchanged(_) => {}
                }
                if let Some(l) = &open {
                    prop_assert!(!l.closed());
                    prop_assert_eq!(l.active, l.cleared_at_ms.is_none());
                }
            }
        }
    }
}
