//! A box's hardware configuration kept in the cloud: its Modbus devices, how its doors are wired,
//! its face doors and its cameras. Version 1.
//!
//! Staff set it in the cloud (`PUT …/boxes/{id}/config`); each change gets the next `revision`.
//! It reaches the box in the directory delta (`DownDeltaV1::config` of the sync protocol) while the
//! revision is newer than the one the box says it has judged (`GET /v1/edge/sync/down?…&config=N`).
//! The box validates it exactly as it validates its TOML file (the sections are the TOML's, key
//! for key), applies it by restarting its rooms, or refuses it and keeps what it runs; either way
//! it reports a [`BoxConfigReportV1`] (`POST /v1/edge/config/report`) with the configuration in
//! effect, which the console shows.
//!
//! The field names are the TOML keys of `[[devices]]`, `[[doors]]`, `[[face.doors]]` and
//! `[[face.cameras]]`; an absent optional field takes the TOML default.

use serde::{Deserialize, Serialize};

pub const BOX_CONFIG_VERSION: u32 = 1;

/// Most entries in one section (devices, doors, face doors, cameras).
pub const MAX_SECTION_ENTRIES: usize = 256;

/// Serial line settings of a device on an RS-485 port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RtuV1 {
    /// e.g. `/dev/ttyUSB0`
    pub port: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baud: Option<u32>,
    /// none | even | odd
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_bits: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_bits: Option<u8>,
}

/// A Modbus TCP controller or gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TcpV1 {
    /// host:port
    pub address: String,
}

/// One Modbus slave (`[[devices]]`). Exactly one of `rtu`, `tcp`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ModbusDeviceV1 {
    pub id: String,
    /// A profile (controller model) the box has in its profiles folder.
    pub profile: String,
    /// Modbus unit id, 1..=247.
    pub slave_id: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtu: Option<RtuV1>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp: Option<TcpV1>,
}

/// How a door is wired (`[[doors]]`). In the cloud, `id` is a door registered to this box, and
/// `name` and `estate` come from that registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DoorWiringV1 {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub estate: String,
    /// The device whose output opens it.
    pub device: String,
    pub channel: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_device: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_channel: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor_contact: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pulse_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_open_seconds: Option<u64>,
}

/// A door that opens by face, with its thresholds (`[[face.doors]]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct FaceDoorV1 {
    pub door: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_frames: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_gap_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_ms: Option<u64>,
}

/// A presence sensor on a Modbus discrete input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PresenceV1 {
    pub device: String,
    pub discrete_input: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll_ms: Option<u64>,
}

/// A camera the box pulls snapshots from (`[[face.cameras]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CameraV1 {
    /// The face door it watches.
    pub door: String,
    pub snapshot_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence: Option<PresenceV1>,
}

/// The four sections, as staff set them or as a box runs them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct BoxSectionsV1 {
    #[serde(default)]
    pub devices: Vec<ModbusDeviceV1>,
    #[serde(default)]
    pub doors: Vec<DoorWiringV1>,
    #[serde(default)]
    pub face_doors: Vec<FaceDoorV1>,
    #[serde(default)]
    pub cameras: Vec<CameraV1>,
}

impl BoxSectionsV1 {
    /// The first section with more than [`MAX_SECTION_ENTRIES`] entries, by field name.
    pub fn oversized(&self) -> Option<&'static str> {
        [
            ("devices", self.devices.len()),
            ("doors", self.doors.len()),
            ("face_doors", self.face_doors.len()),
            ("cameras", self.cameras.len()),
        ]
        .into_iter()
        .find(|(_, n)| *n > MAX_SECTION_ENTRIES)
        .map(|(name, _)| name)
    }
}

/// A revision of a box's configuration, as the cloud sends it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "EdgeBoxConfigV1")
)]
#[serde(deny_unknown_fields)]
pub struct BoxConfigV1 {
    pub version: u32,
    /// 1, 2, … per box; the box judges each revision once.
    pub revision: i64,
    pub sections: BoxSectionsV1,
}

/// Why a box refused a revision: the field (as the box's config check names it) and the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ConfigRefusalV1 {
    pub revision: i64,
    pub field: String,
    pub reason: String,
}

/// Where the configuration a box runs came from.
pub mod source {
    /// Only its TOML file (no cloud revision applied yet).
    pub const FILE: &str = "file";
    /// A cloud revision over the TOML file's other sections.
    pub const CLOUD: &str = "cloud";
}

/// What a box runs, and what it made of the last revision it was sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "EdgeBoxConfigReportV1")
)]
#[serde(deny_unknown_fields)]
pub struct BoxConfigReportV1 {
    pub version: u32,
    /// file | cloud
    pub source: String,
    /// The cloud revision in effect; 0 when the box runs on its file alone.
    pub applied_revision: i64,
    /// The last revision refused, if it is newer than the one applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<ConfigRefusalV1>,
    /// The sections in effect now.
    pub effective: BoxSectionsV1,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revision_reads_with_toml_defaults_left_out() {
        let c: BoxConfigV1 = serde_json::from_str(
            r#"{"version":1,"revision":3,"sections":{"devices":[{"id":"r1","profile":"p","slave_id":1,"tcp":{"address":"127.0.0.1:502"}}],
                "doors":[{"id":"d1","device":"r1","channel":1}]}}"#,
        )
        .unwrap();
        assert_eq!(c.revision, 3);
        assert_eq!(c.sections.devices[0].id, "r1");
        assert_eq!(c.sections.doors[0].pulse_ms, None);
        assert!(c.sections.face_doors.is_empty());
        let back = serde_json::to_value(&c).unwrap();
        assert_eq!(back["sections"]["doors"][0]["channel"], 1);
        assert!(back["sections"]["doors"][0].get("pulse_ms").is_none());
    }

    #[test]
    fn unknown_fields_are_refused() {
        let e = serde_json::from_str::<BoxSectionsV1>(
            r#"{"doors":[{"id":"d","device":"r","channel":1,"colour":"red"}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("colour"), "{e}");
    }

    #[test]
    fn oversized_sections_are_named() {
        let mut s = BoxSectionsV1::default();
        assert_eq!(s.oversized(), None);
        s.cameras = vec![
            CameraV1 {
                door: "d".into(),
                snapshot_url: "http://c".into(),
                interval_ms: None,
                timeout_ms: None,
                presence: None,
            };
            MAX_SECTION_ENTRIES + 1
        ];
        assert_eq!(s.oversized(), Some("cameras"));
    }
}
