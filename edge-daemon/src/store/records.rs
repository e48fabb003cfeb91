//! Storage records: what the pass log and the alarm outbox keep on disk (and, later, what the
//! uplink sends). They are a compatibility boundary: versioned, separate from the domain types in
//! `access`/`alarm`, converted explicitly here. Change them only additively.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::access::{AccessRequest, Decision, Method};
use crate::alarm::{ActiveAlarm, AlarmEvent, AlarmKey, AlarmKind, Severity};

pub const RECORD_VERSION: u32 = 1;

/// One access decision, allowed or denied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassRecordV1 {
    pub v: u32,
    /// UUIDv7: unique and time-ordered; the sled key.
    pub id: Uuid,
    pub at_ms: i64,
    pub box_id: String,
    pub door_id: String,
    pub person_id: String,
    /// face | one_tap | staff
    pub method: String,
    pub allowed: bool,
    /// Stable reason code from the access engine (e.g. `resident`, `outside_visitor_window`).
    pub reason: String,
    pub grant_id: Option<String>,
    pub command_id: Option<Uuid>,
}

impl PassRecordV1 {
    pub fn from_decision(
        id: Uuid,
        at_ms: i64,
        box_id: &str,
        req: &AccessRequest,
        decision: &Decision,
        command_id: Option<Uuid>,
    ) -> PassRecordV1 {
        let grant_id = match decision {
            Decision::Allow { grant_id, .. } => grant_id.clone(),
            Decision::Deny { .. } => None,
        };
        PassRecordV1 {
            v: RECORD_VERSION,
            id,
            at_ms,
            box_id: box_id.to_string(),
            door_id: req.door_id.clone(),
            person_id: req.person_id.clone(),
            method: method_code(&req.method).to_string(),
            allowed: decision.is_allowed(),
            reason: decision.reason_code().to_string(),
            grant_id,
            command_id,
        }
    }
}

/// A pass method's code: the protocol's (`edge_sync::vocab::PassMethod`).
pub fn method_code(m: &Method) -> &'static str {
    use edge_sync::vocab::PassMethod as Code;
    match m {
        Method::Face => Code::Face,
        Method::OneTap => Code::OneTap,
        Method::Staff => Code::Staff,
    }
    .code()
}

/// A sensor's latest reading and whether it reports, for the cloud's device registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceStateRecordV1 {
    pub v: u32,
    pub id: Uuid,
    pub at_ms: i64,
    pub device: String,
    pub online: bool,
    pub last_seen_ms: Option<i64>,
    /// The reading as a JSON object.
    pub state: String,
}

/// What the box made of one face photo (enrolled, or refused with reasons) for face review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaceEnrolmentRecordV1 {
    pub v: u32,
    pub id: Uuid,
    pub at_ms: i64,
    pub person_id: String,
    pub photo_id: String,
    pub accepted: bool,
    pub reasons: Vec<String>,
}

/// One alarm transition (raised or cleared).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlarmRecordV1 {
    pub v: u32,
    pub id: Uuid,
    pub at_ms: i64,
    pub box_id: String,
    /// door id, device id, or "box"
    pub source: String,
    /// held_open | forced_open | device_offline | device_fault | tamper | clock_jump
    pub kind: String,
    /// critical | major | minor | warning (empty on a clear)
    pub severity: String,
    /// raised | cleared
    pub state: String,
    pub detail: String,
}

impl AlarmRecordV1 {
    pub fn from_event(id: Uuid, box_id: &str, ev: &AlarmEvent) -> AlarmRecordV1 {
        let (key, at, severity, state, detail) = match ev {
            AlarmEvent::Raised {
                key,
                severity,
                at,
                detail,
            } => (key, *at, severity_code(*severity), "raised", detail.clone()),
            AlarmEvent::Cleared { key, at } => (key, *at, "", "cleared", String::new()),
        };
        AlarmRecordV1 {
            v: RECORD_VERSION,
            id,
            at_ms: at,
            box_id: box_id.to_string(),
            source: key.source.clone(),
            kind: kind_code(key.kind).to_string(),
            severity: severity.to_string(),
            state: state.to_string(),
            detail,
        }
    }
}

pub fn kind_code(k: AlarmKind) -> &'static str {
    k.code()
}

const ALL_KINDS: [AlarmKind; 8] = [
    AlarmKind::HeldOpen,
    AlarmKind::ForcedOpen,
    AlarmKind::DeviceOffline,
    AlarmKind::DeviceFault,
    AlarmKind::Tamper,
    AlarmKind::ClockJump,
    AlarmKind::OutboxNearlyFull,
    AlarmKind::OutboxFull,
];

/// An active alarm as kept on disk across restarts (the `raised` record that opened it).
impl AlarmRecordV1 {
    pub fn from_active(box_id: &str, a: &ActiveAlarm) -> AlarmRecordV1 {
        AlarmRecordV1 {
            v: RECORD_VERSION,
            id: Uuid::nil(),
            at_ms: a.since,
            box_id: box_id.to_string(),
            source: a.key.source.clone(),
            kind: a.key.kind.code().to_string(),
            severity: severity_code(a.severity).to_string(),
            state: "raised".to_string(),
            detail: a.detail.clone(),
        }
    }

    /// Back to the domain; None for a record this version does not understand (it is dropped
    /// from the active set rather than guessed at).
    pub fn to_active(&self) -> Option<ActiveAlarm> {
        let kind = ALL_KINDS.into_iter().find(|k| k.code() == self.kind)?;
        let severity = [
            Severity::Critical,
            Severity::Major,
            Severity::Minor,
            Severity::Warning,
        ]
        .into_iter()
        .find(|s| severity_code(*s) == self.severity)?;
        Some(ActiveAlarm {
            key: AlarmKey {
                source: self.source.clone(),
                kind,
            },
            severity,
            since: self.at_ms,
            detail: self.detail.clone(),
        })
    }
}

pub fn severity_code(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::Major => "major",
        Severity::Minor => "minor",
        Severity::Warning => "warning",
    }
}

/// What waits in the outbox for the cloud.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutboxItemV1 {
    Pass(PassRecordV1),
    Alarm(AlarmRecordV1),
    DeviceState(DeviceStateRecordV1),
    FaceEnrolment(FaceEnrolmentRecordV1),
}

impl OutboxItemV1 {
    /// When the record was made (the box's best time then).
    pub fn at_ms(&self) -> i64 {
        match self {
            OutboxItemV1::Pass(p) => p.at_ms,
            OutboxItemV1::Alarm(a) => a.at_ms,
            OutboxItemV1::DeviceState(d) => d.at_ms,
            OutboxItemV1::FaceEnrolment(f) => f.at_ms,
        }
    }

    pub fn id(&self) -> Uuid {
        match self {
            OutboxItemV1::Pass(p) => p.id,
            OutboxItemV1::Alarm(a) => a.id,
            OutboxItemV1::DeviceState(d) => d.id,
            OutboxItemV1::FaceEnrolment(f) => f.id,
        }
    }
}

/// At most `max` bytes of `s`, cut at a character boundary.
fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

impl OutboxItemV1 {
    /// The wire form the uplink sends (an explicit conversion: storage and wire may diverge).
    /// Text is clipped to the protocol's limits (`edge_sync::sync::limits`): one over-long id
    /// from a local caller must never make a batch the cloud refuses, or the outbox would stall.
    /// The record on the box keeps the full text.
    pub fn to_wire(&self) -> edge_sync::sync::UplinkRecordV1 {
        use edge_sync::sync::limits::{DETAIL, ID, REASONS, WORD};
        use edge_sync::sync::{AlarmV1, DeviceStateV1, FaceEnrolmentV1, PassV1, UplinkRecordV1};
        match self {
            OutboxItemV1::Pass(p) => UplinkRecordV1::Pass(PassV1 {
                id: p.id,
                at_ms: p.at_ms,
                door: clip(&p.door_id, ID),
                person_id: clip(&p.person_id, ID),
                method: clip(&p.method, WORD),
                allowed: p.allowed,
                reason: clip(&p.reason, ID),
                grant_id: p.grant_id.as_deref().map(|g| clip(g, ID)),
                command_id: p.command_id,
                face_thumbnail: None,
            }),
            OutboxItemV1::Alarm(a) => UplinkRecordV1::Alarm(AlarmV1 {
                id: a.id,
                at_ms: a.at_ms,
                source: clip(&a.source, ID),
                kind: clip(&a.kind, WORD),
                severity: clip(&a.severity, WORD),
                state: clip(&a.state, WORD),
                detail: clip(&a.detail, DETAIL),
            }),
            OutboxItemV1::DeviceState(d) => UplinkRecordV1::DeviceState(DeviceStateV1 {
                id: d.id,
                at_ms: d.at_ms,
                device: clip(&d.device, ID),
                online: d.online,
                last_seen_ms: d.last_seen_ms,
                // Clipping would break the JSON: an oversized state goes up empty instead.
                state: if d.state.len() <= DETAIL {
                    d.state.clone()
                } else {
                    "{}".into()
                },
            }),
            OutboxItemV1::FaceEnrolment(f) => UplinkRecordV1::FaceEnrolment(FaceEnrolmentV1 {
                id: f.id,
                at_ms: f.at_ms,
                person_id: clip(&f.person_id, ID),
                photo_id: clip(&f.photo_id, ID),
                accepted: f.accepted,
                reasons: f
                    .reasons
                    .iter()
                    .take(REASONS)
                    .map(|r| clip(r, WORD))
                    .collect(),
            }),
        }
    }
}

/// A face photo the cloud wants enrolled (storage form of `edge_sync::directory::FacePhotoV1`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredFacePhotoV1 {
    pub id: String,
    pub sha256: String,
}

#[cfg(test)]
mod wire_tests {
    use super::*;

    #[test]
    fn over_long_text_is_clipped_on_the_wire_at_a_char_boundary() {
        let long = "门".repeat(100); // 300 bytes
        let rec = OutboxItemV1::Pass(PassRecordV1 {
            v: 1,
            id: Uuid::from_u128(1),
            at_ms: 0,
            box_id: "b".into(),
            door_id: "d".into(),
            person_id: long.clone(),
            method: "face".into(),
            allowed: false,
            reason: "unknown_person".into(),
            grant_id: None,
            command_id: None,
        });
        match rec.to_wire() {
            edge_sync::sync::UplinkRecordV1::Pass(p) => {
                assert!(p.person_id.len() <= edge_sync::sync::limits::ID);
                assert!(long.starts_with(&p.person_id));
                assert_eq!(p.door, "d");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_alarms_round_trip_and_unknown_kinds_are_dropped() {
        for kind in ALL_KINDS {
            let a = ActiveAlarm {
                key: AlarmKey {
                    source: "d1".into(),
                    kind,
                },
                severity: kind.severity(),
                since: 42,
                detail: "x".into(),
            };
            let back = AlarmRecordV1::from_active("b", &a).to_active().unwrap();
            assert_eq!(back.key, a.key);
            assert_eq!(back.severity, a.severity);
            assert_eq!((back.since, back.detail.as_str()), (42, "x"));
        }
        let mut r = AlarmRecordV1::from_active(
            "b",
            &ActiveAlarm {
                key: AlarmKey {
                    source: "d".into(),
                    kind: AlarmKind::Tamper,
                },
                severity: Severity::Critical,
                since: 1,
                detail: String::new(),
            },
        );
        r.kind = "from_the_future".into();
        assert!(r.to_active().is_none());
    }
}

/// A staff action on a sensor alarm from the cloud, kept until the sensor keeper applied it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredAlarmActionV1 {
    pub v: u32,
    pub device: String,
    /// `SensorAlarm` code.
    pub alarm: String,
    pub clear: bool,
    pub by: String,
}

impl StoredAlarmActionV1 {
    pub fn from_action(a: &crate::cloud::wire::AlarmAction) -> StoredAlarmActionV1 {
        StoredAlarmActionV1 {
            v: RECORD_VERSION,
            device: a.device.clone(),
            alarm: a.alarm.code().to_string(),
            clear: a.clear,
            by: a.by.clone(),
        }
    }

    /// Back to the domain; None for an alarm code this version does not know.
    pub fn to_action(&self) -> Option<crate::cloud::wire::AlarmAction> {
        Some(crate::cloud::wire::AlarmAction {
            device: self.device.clone(),
            alarm: crate::sensor::SensorAlarm::parse(&self.alarm)?,
            clear: self.clear,
            by: self.by.clone(),
        })
    }
}
