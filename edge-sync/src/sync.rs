//! The edge↔cloud sync protocol, version 1: provisioning, the directory downlink, the record
//! uplink and the one-tap command channel. Plain wire types; both ends convert them into their
//! own domain or storage types. Every message carries `version`; fields are only ever added.
//!
//! Transport (HTTP, all requests from the box, so it works behind NAT):
//!
//! | call | request | response |
//! |---|---|---|
//! | `POST /v1/edge/provision` | [`ProvisionRequestV1`] (one-time code) | [`ProvisionResponseV1`] |
//! | `GET /v1/edge/sync/down?cursor=N&config=R` | — | [`DownDeltaV1`] |
//! | `POST /v1/edge/config/report` | [`crate::boxconfig::BoxConfigReportV1`] | `204` |
//! | `POST /v1/edge/sync/up` | [`UplinkBatchV1`] | [`UplinkAckV1`] |
//! | `GET /v1/edge/commands?wait_ms=N` | — (long-poll) | [`CommandBatchV1`] |
//! | `POST /v1/edge/commands/outcome` | [`CommandOutcomeV1`] | `204` |
//! | `GET /v1/edge/face-photos/{id}` | — | the photo's bytes (`image/jpeg` or `image/png`) |
//!
//! Every call but provisioning is signed with the box key ([`crate::auth`]).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::directory::{GrantV1, PersonV1};
use crate::onetap::SignedCommand;

pub const SYNC_VERSION: u32 = 1;
/// Most records the cloud accepts in one uplink batch (and the box sends).
pub const MAX_UPLINK_BATCH: usize = 1000;
/// Most entries (people + grants + doors) in one downlink delta; `more` says another follows.
pub const MAX_DELTA_ENTRIES: usize = 1000;
/// Longest long-poll the cloud holds open.
pub const MAX_WAIT_MS: u64 = 30_000;

/// Longest text (bytes) the cloud stores per field of an uplink record; the box clips to these.
pub mod limits {
    /// ids and codes: door, person, grant, source, reason
    pub const ID: usize = 64;
    /// short words: method, kind, severity, state
    pub const WORD: usize = 32;
    /// free text: an alarm's detail
    pub const DETAIL: usize = 1000;
    /// a pass record's face thumbnail (JPEG bytes, before base64)
    pub const THUMBNAIL: usize = 16 * 1024;
    /// reasons in one face enrolment verdict
    pub const REASONS: usize = 8;
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "EdgeProvisionRequestV1")
)]
#[serde(deny_unknown_fields)]
pub struct ProvisionRequestV1 {
    pub version: u32,
    /// The one-time code an admin got when registering the box.
    pub code: String,
    /// base64 of the box's new 32-byte Ed25519 public key.
    pub public_key: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "EdgeProvisionResponseV1")
)]
#[serde(deny_unknown_fields)]
pub struct ProvisionResponseV1 {
    pub version: u32,
    pub box_id: String,
    pub box_name: String,
    pub community_id: String,
    pub estate_id: String,
    /// base64 public key whose signatures one-tap commands carry.
    pub onetap_public_key: String,
    pub doors: Vec<DoorV1>,
}

/// A door as the cloud knows it. `code` is the door's id on the box (its `[[doors]] id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "EdgeDoorV1")
)]
#[serde(deny_unknown_fields)]
pub struct DoorV1 {
    pub code: String,
    pub name: String,
    pub estate_id: String,
    /// normal | held_open | locked | emergency_release
    pub mode: String,
}

/// Directory changes after `from_cursor`, up to `cursor`. The box applies one delta atomically
/// and then stores `cursor`; `more` means it should ask again at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "EdgeDownDeltaV1")
)]
#[serde(deny_unknown_fields)]
pub struct DownDeltaV1 {
    pub version: u32,
    pub from_cursor: i64,
    pub cursor: i64,
    pub more: bool,
    /// People with rights at this box's estate, new or changed.
    #[serde(default)]
    pub people: Vec<PersonV1>,
    /// People who no longer have rights here (moved out, moved away, deleted).
    #[serde(default)]
    pub removed_people: Vec<String>,
    /// Visitor grants at this estate, new or changed (a refusal or cancellation is a status).
    #[serde(default)]
    pub grants: Vec<GrantV1>,
    /// Doors of this box whose configuration changed.
    #[serde(default)]
    pub doors: Vec<DoorV1>,
    /// MQTT devices (smoke detectors, elevators) of this box, new, changed or disabled.
    #[serde(default)]
    pub sensors: Vec<SensorV1>,
    /// Acknowledgements and clears staff made in the cloud, for the box's own alarm engine.
    #[serde(default)]
    pub alarm_actions: Vec<AlarmActionV1>,
    /// The community's settings for this box, sent in every delta (absent from an older cloud).
    #[serde(default)]
    pub settings: Option<BoxSettingsV1>,
    /// The box's configuration, when the cloud holds a revision newer than the `config` the
    /// box asked with ([`crate::boxconfig`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<crate::boxconfig::BoxConfigV1>,
}

/// Community-wide settings a box follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "EdgeBoxSettingsV1")
)]
#[serde(deny_unknown_fields)]
pub struct BoxSettingsV1 {
    /// Send the face thumbnail of each face pass up with its pass record.
    pub face_thumbnail_upload: bool,
    /// Days a face thumbnail is kept, on the box and in the cloud; then it is deleted.
    pub face_thumbnail_retention_days: u32,
}

impl Default for BoxSettingsV1 {
    fn default() -> Self {
        // Privacy by default: thumbnails stay on the box for a week and are not uploaded.
        BoxSettingsV1 {
            face_thumbnail_upload: false,
            face_thumbnail_retention_days: 7,
        }
    }
}

/// An MQTT device registered in the cloud, as its box needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "EdgeSensorV1")
)]
#[serde(deny_unknown_fields)]
pub struct SensorV1 {
    /// The id in the device's topics.
    pub code: String,
    /// smoke_detector | elevator
    pub kind: String,
    /// The device profile's name on the box.
    pub profile: String,
    pub name: String,
    pub estate: String,
    pub building: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub floor: Option<i64>,
    pub heartbeat_seconds: u32,
    /// false: the device was removed; the box forgets it.
    pub enabled: bool,
}

/// Something staff did to an alarm in the cloud.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "EdgeAlarmActionV1")
)]
#[serde(deny_unknown_fields)]
pub struct AlarmActionV1 {
    pub id: Uuid,
    /// The alarm's source (device code) and kind, as the box reported them.
    pub source: String,
    pub kind: String,
    /// ack | clear
    pub action: String,
    /// Who, for the box's audit ("cloud:<user name>").
    pub by: String,
    pub at_ms: i64,
}

/// One pass log record as it travels up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "EdgePassV1")
)]
#[serde(deny_unknown_fields)]
pub struct PassV1 {
    pub id: Uuid,
    pub at_ms: i64,
    /// The door's code on the box.
    pub door: String,
    pub person_id: String,
    /// face | one_tap | staff
    pub method: String,
    pub allowed: bool,
    pub reason: String,
    #[serde(default)]
    pub grant_id: Option<String>,
    #[serde(default)]
    pub command_id: Option<Uuid>,
    /// base64 of a small JPEG of the face (at most `limits::THUMBNAIL` bytes decoded), only
    /// for face passes and only when the community's `face_thumbnail_upload` is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub face_thumbnail: Option<String>,
}

/// One alarm transition as it travels up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "EdgeAlarmV1")
)]
#[serde(deny_unknown_fields)]
pub struct AlarmV1 {
    pub id: Uuid,
    pub at_ms: i64,
    /// Door code, device id, or "box".
    pub source: String,
    pub kind: String,
    /// critical | major | minor | warning (empty on a clear)
    pub severity: String,
    /// raised | cleared
    pub state: String,
    #[serde(default)]
    pub detail: String,
}

/// What a box made of one face photo: enrolled, or refused with the reasons staff see in face
/// review (`no_face`, `multiple_faces`, `face_too_small`, `blurred`, `too_dark`,
/// `turned_away`, `unreadable_image`, `photo_mismatch`). Latest `at_ms` per (box, photo) wins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "EdgeFaceEnrolmentV1")
)]
#[serde(deny_unknown_fields)]
pub struct FaceEnrolmentV1 {
    pub id: Uuid,
    pub at_ms: i64,
    pub person_id: String,
    pub photo_id: String,
    pub accepted: bool,
    #[serde(default)]
    pub reasons: Vec<String>,
}

/// A device's latest reading and whether it is reporting, sent when it changes (coalesced).
/// Last write by `at_ms` wins in the cloud.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "EdgeDeviceStateV1")
)]
#[serde(deny_unknown_fields)]
pub struct DeviceStateV1 {
    pub id: Uuid,
    pub at_ms: i64,
    pub device: String,
    pub online: bool,
    /// Epoch ms of the last message from the device, if any.
    #[serde(default)]
    pub last_seen_ms: Option<i64>,
    /// The decoded points (`{"smoke": false, "battery_percent": 87, …}`), at most
    /// `limits::DETAIL` bytes of JSON.
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "EdgeUplinkRecordV1")
)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum UplinkRecordV1 {
    Pass(PassV1),
    Alarm(AlarmV1),
    /// Added with the device registry; a cloud must be upgraded before its boxes.
    DeviceState(DeviceStateV1),
    /// Added with face enrolment; a cloud must be upgraded before its boxes.
    FaceEnrolment(FaceEnrolmentV1),
}

impl UplinkRecordV1 {
    pub fn id(&self) -> Uuid {
        match self {
            UplinkRecordV1::Pass(p) => p.id,
            UplinkRecordV1::Alarm(a) => a.id,
            UplinkRecordV1::DeviceState(d) => d.id,
            UplinkRecordV1::FaceEnrolment(f) => f.id,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "EdgeUplinkBatchV1")
)]
#[serde(deny_unknown_fields)]
pub struct UplinkBatchV1 {
    pub version: u32,
    pub records: Vec<UplinkRecordV1>,
}

/// Sent only after the cloud has committed the batch: the box may then advance its cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "EdgeUplinkAckV1")
)]
#[serde(deny_unknown_fields)]
pub struct UplinkAckV1 {
    pub version: u32,
    /// Records stored for the first time.
    pub stored: u32,
    /// Records the cloud already had (a resend after a lost ack).
    pub duplicates: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "EdgeCommandBatchV1")
)]
#[serde(deny_unknown_fields)]
pub struct CommandBatchV1 {
    pub version: u32,
    pub commands: Vec<SignedCommand>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "EdgeCommandOutcomeV1")
)]
#[serde(deny_unknown_fields)]
pub struct CommandOutcomeV1 {
    pub version: u32,
    pub command_id: Uuid,
    pub opened: bool,
    /// The box's reason code (`resident`, `outside_visitor_window`, `replayed`, `device_offline`…).
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uplink_records_are_tagged_and_round_trip() {
        let b = UplinkBatchV1 {
            version: SYNC_VERSION,
            records: vec![
                UplinkRecordV1::Alarm(AlarmV1 {
                    id: Uuid::from_u128(2),
                    at_ms: 5,
                    source: "east".into(),
                    kind: "forced_open".into(),
                    severity: "major".into(),
                    state: "raised".into(),
                    detail: String::new(),
                }),
                UplinkRecordV1::Pass(PassV1 {
                    id: Uuid::from_u128(1),
                    at_ms: 4,
                    door: "east".into(),
                    person_id: "p".into(),
                    method: "face".into(),
                    allowed: true,
                    reason: "resident".into(),
                    grant_id: None,
                    command_id: None,
                    face_thumbnail: None,
                }),
            ],
        };
        let text = serde_json::to_string(&b).unwrap();
        assert!(text.contains(r#""type":"alarm""#), "{text}");
        let back: UplinkBatchV1 = serde_json::from_str(&text).unwrap();
        assert_eq!(back, b);
        assert_eq!(back.records[1].id(), Uuid::from_u128(1));
    }

    #[test]
    fn unknown_fields_and_types_are_refused() {
        let bad = r#"{"version":1,"records":[{"type":"smoke","id":"00000000-0000-0000-0000-000000000001"}]}"#;
        assert!(serde_json::from_str::<UplinkBatchV1>(bad).is_err());
        let extra = r#"{"version":1,"stored":1,"duplicates":0,"deleted":3}"#;
        assert!(serde_json::from_str::<UplinkAckV1>(extra).is_err());
    }
}
