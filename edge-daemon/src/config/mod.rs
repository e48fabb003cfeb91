//! The box's configuration (TOML): identity, devices and the buses they hang on, doors, the local
//! API, the store. Owns parsing and cross-checking against the device profiles; touches no
//! hardware. Every error names the file, the field and the reason.
//!
//! The parts it is built from sit beside it, below it: [`error`] (how every config error reads),
//! [`gate_profile`] (the Modbus device profiles), [`sensors`] and [`sensor_profile`] (`[mqtt]`,
//! `[[sensors]]` and the MQTT profiles), [`face`] (`[face]`) and [`cloud`] (`[cloud]`);
//! [`overlay`] lays the configuration the cloud keeps for the box over the file.

pub mod cloud;
pub mod error;
pub mod face;
pub mod gate_profile;
pub mod overlay;
pub mod sensor_profile;
pub mod sensors;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::gate_profile::{DeviceProfile, Parity, PointRole, ProfileSet, TransportKind};

pub use crate::config::error::{parse_toml, ConfigError};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoxIdentity {
    /// Unique id of this edge box (as provisioned in the cloud).
    pub id: String,
    /// The community this box serves; one-tap commands for other communities are refused.
    pub community: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// Directory of the sled database (people, grants, pass log, alarm outbox).
    pub path: PathBuf,
    /// Records the cloud has acknowledged are kept this many days on the box (the local pass
    /// list reads them), then trimmed.
    #[serde(default = "default_retention_days")]
    pub retention_days: u32,
    /// The event log's byte budget: acknowledged records are trimmed, oldest first, while the
    /// log is larger. Unacknowledged records are never trimmed (see `edge_rules::retention`).
    #[serde(default = "default_max_log_bytes")]
    pub max_log_bytes: u64,
    /// Unacknowledged bytes, in % of `max_log_bytes`, at which "outbox nearly full" is raised.
    #[serde(default = "default_outbox_nearly_full_pct")]
    pub outbox_nearly_full_pct: u8,
    /// Below this % of `max_log_bytes` the outbox alarms end.
    #[serde(default = "default_outbox_clear_pct")]
    pub outbox_clear_pct: u8,
}

fn default_retention_days() -> u32 {
    90
}
fn default_max_log_bytes() -> u64 {
    1 << 30
}
fn default_outbox_nearly_full_pct() -> u8 {
    80
}
fn default_outbox_clear_pct() -> u8 {
    70
}

impl StoreConfig {
    /// The retention rules these settings make.
    pub fn retention(&self) -> crate::retention::RetentionPolicy {
        crate::retention::RetentionPolicy {
            max_age_ms: i64::from(self.retention_days) * 86_400_000,
            max_bytes: self.max_log_bytes,
            nearly_full_pct: self.outbox_nearly_full_pct,
            clear_pct: self.outbox_clear_pct,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiConfig {
    /// Address the local HTTP API listens on.
    pub listen: SocketAddr,
    /// base64 of the 32-byte Ed25519 public key whose signatures one-tap commands must carry.
    /// Leave out when `[cloud]` is set: the provisioned identity carries the cloud's key.
    #[serde(default)]
    pub onetap_public_key: Option<String>,
    /// Bearer token for the admin endpoints (directory import, door modes, pass log, decisions
    /// from on-box recognisers). Leave out to switch those endpoints off.
    #[serde(default)]
    pub admin_token: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorConfig {
    /// How often door contacts and fault points are read.
    #[serde(default = "default_poll_interval_ms")]
    pub poll_interval_ms: u64,
    /// Consecutive failed requests before a slave is declared offline.
    #[serde(default = "default_offline_after_failures")]
    pub offline_after_failures: u32,
    /// How often an offline slave is probed (it is otherwise skipped so it cannot stall its bus).
    #[serde(default = "default_probe_interval_ms")]
    pub probe_interval_ms: u64,
    /// How far the wall clock may disagree with the monotonic clock before it counts as a jump.
    #[serde(default = "default_clock_tolerance_ms")]
    pub clock_tolerance_ms: u64,
}

fn default_poll_interval_ms() -> u64 {
    200
}
fn default_offline_after_failures() -> u32 {
    3
}
fn default_probe_interval_ms() -> u64 {
    2000
}
fn default_clock_tolerance_ms() -> u64 {
    2000
}

impl Default for MonitorConfig {
    fn default() -> Self {
        MonitorConfig {
            poll_interval_ms: default_poll_interval_ms(),
            offline_after_failures: default_offline_after_failures(),
            probe_interval_ms: default_probe_interval_ms(),
            clock_tolerance_ms: default_clock_tolerance_ms(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RtuTransport {
    /// Serial device, e.g. /dev/ttyUSB0 (an RS-485 adapter). Several devices may share it.
    pub port: PathBuf,
    pub baud: Option<u32>,
    pub parity: Option<Parity>,
    pub data_bits: Option<u8>,
    pub stop_bits: Option<u8>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TcpTransport {
    /// host:port of the controller (or of a Modbus TCP gateway). Several devices may share it.
    pub address: SocketAddr,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceConfig {
    pub id: String,
    /// A model id from the profiles directory.
    pub profile: String,
    /// Modbus unit id (1..=247).
    pub slave_id: u8,
    pub rtu: Option<RtuTransport>,
    pub tcp: Option<TcpTransport>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoorConfig {
    pub id: String,
    pub name: String,
    /// Estate (小区) the door belongs to; residents' rights follow their addresses' estates.
    /// May be left out when `[cloud]` is set: the box's provisioned estate is used.
    #[serde(default)]
    pub estate: String,
    pub device: String,
    pub channel: u16,
    /// Where the door contact is read; defaults to the same device and channel.
    pub contact_device: Option<String>,
    pub contact_channel: Option<u16>,
    /// false when the door has no contact wired: no held-open/forced-open alarms.
    #[serde(default = "yes")]
    pub monitor_contact: bool,
    /// Relay on-time for pulse_coil controllers.
    #[serde(default = "default_pulse_ms")]
    pub pulse_ms: u64,
    /// A door open longer than this raises a held-open alarm.
    #[serde(default = "default_held_open_seconds")]
    pub held_open_seconds: u64,
}

fn yes() -> bool {
    true
}
fn default_pulse_ms() -> u64 {
    500
}
fn default_held_open_seconds() -> u64 {
    30
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    /// Required unless `[cloud]` is set (then the provisioned identity says who the box is).
    #[serde(rename = "box")]
    identity: Option<BoxIdentity>,
    /// The link to the cloud core; leave out for a box that runs alone.
    cloud: Option<crate::config::cloud::CloudLinkConfig>,
    profiles_dir: PathBuf,
    /// Optional JSON directory (people, grants) imported at start-up.
    seed_file: Option<PathBuf>,
    store: StoreConfig,
    api: ApiConfig,
    #[serde(default)]
    monitor: MonitorConfig,
    #[serde(default)]
    devices: Vec<DeviceConfig>,
    #[serde(default)]
    doors: Vec<DoorConfig>,
    /// The box's MQTT broker (smoke detectors, elevator monitors); leave out without sensors.
    mqtt: Option<crate::config::sensors::MqttConfig>,
    #[serde(default)]
    sensors: Vec<crate::config::sensors::SensorConfig>,
    #[serde(default)]
    fire_release: Vec<crate::config::sensors::FireReleaseConfig>,
    #[serde(default)]
    sensor_rules: crate::config::sensors::RulesConfig,
    /// Face pass (models, template key, face doors, cameras); leave out for no face doors.
    face: Option<crate::config::face::FaceConfig>,
}

/// Where a device's requests travel. Devices with the same bus share one owner task.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BusKey {
    Serial(PathBuf),
    Tcp(SocketAddr),
}

impl fmt::Display for BusKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BusKey::Serial(p) => write!(f, "rtu:{}", p.display()),
            BusKey::Tcp(a) => write!(f, "tcp:{a}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialSettings {
    pub baud: u32,
    pub parity: Parity,
    pub data_bits: u8,
    pub stop_bits: u8,
}

/// A bus and the devices on it, resolved from config + profiles.
#[derive(Debug, Clone)]
pub struct BusPlan {
    pub key: BusKey,
    pub serial: Option<SerialSettings>,
    pub devices: Vec<String>,
}

/// A validated configuration with profiles resolved.
#[derive(Debug, Clone)]
pub struct EdgeConfig {
    pub file: PathBuf,
    pub identity: BoxIdentity,
    /// Set when `[cloud]` is configured: the provisioned identity and link settings.
    pub cloud: Option<crate::config::cloud::CloudLink>,
    pub seed_file: Option<PathBuf>,
    pub store: StoreConfig,
    pub api: ApiConfig,
    pub onetap_key: ed25519_dalek::VerifyingKey,
    pub monitor: MonitorConfig,
    pub devices: Vec<DeviceConfig>,
    pub doors: Vec<DoorConfig>,
    /// Set when `[mqtt]` is configured: broker, sensors with their profiles, fire release.
    pub sensors: Option<crate::config::sensors::SensorSetup>,
    /// Set when `[face]` is configured, paths resolved.
    pub face: Option<crate::config::face::FaceConfig>,
    pub profiles: BTreeMap<String, DeviceProfile>,
    pub buses: Vec<BusPlan>,
}

impl EdgeConfig {
    pub fn load(file: &Path) -> Result<EdgeConfig, ConfigError> {
        let text = std::fs::read_to_string(file)
            .map_err(|e| ConfigError::new(file, "-", format!("cannot read file: {e}")))?;
        EdgeConfig::parse(file, &text)
    }

    pub fn parse(file: &Path, text: &str) -> Result<EdgeConfig, ConfigError> {
        let raw: RawConfig = parse_toml(file, text)?;
        let base = file.parent().unwrap_or(Path::new("."));
        let rel = |p: &Path| {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            }
        };
        let profiles = ProfileSet::load_dir(&rel(&raw.profiles_dir))?;
        let err = |field: String, reason: String| Err(ConfigError::new(file, &field, reason));
        let mut raw = raw;
        let cloud = match &raw.cloud {
            Some(c) => Some(c.resolve(file, &rel)?),
            None => None,
        };
        let identity =
            match (&raw.identity, &cloud) {
                (Some(_), Some(_)) => return err(
                    "box".into(),
                    "leave [box] out when [cloud] is set: the provisioned identity names the box"
                        .into(),
                ),
                (Some(b), None) => b.clone(),
                (None, Some(c)) => BoxIdentity {
                    id: c.identity.box_id.clone(),
                    community: c.identity.community_id.clone(),
                    name: c.identity.box_name.clone(),
                },
                (None, None) => return err("box".into(), "missing (or set [cloud])".into()),
            };
        for (name, v) in [
            ("box.id", &identity.id),
            ("box.community", &identity.community),
        ] {
            if v.trim().is_empty() {
                return err(name.into(), "must not be empty".into());
            }
        }
        let onetap_key = match (&raw.api.onetap_public_key, &cloud) {
            (Some(k), None) => edge_sync::onetap::parse_public_key(k)
                .map_err(|r| ConfigError::new(file, "api.onetap_public_key", r))?,
            (None, Some(c)) => c.onetap_key,
            (Some(_), Some(_)) => {
                return err(
                    "api.onetap_public_key".into(),
                    "leave it out when [cloud] is set: the cloud's key comes with the identity"
                        .into(),
                )
            }
            (None, None) => return err("api.onetap_public_key".into(), "missing".into()),
        };
        if let Some(c) = &cloud {
            for d in &mut raw.doors {
                if d.estate.trim().is_empty() {
                    d.estate = c.identity.estate_id.clone();
                }
            }
        }
        if let Err(why) = raw.store.retention().check() {
            let (field, reason) = why.split_once(": ").unwrap_or(("-", why));
            return err(format!("store.{field}"), reason.into());
        }
        let m = &raw.monitor;
        if !(10..=60_000).contains(&m.poll_interval_ms) {
            return err(
                "monitor.poll_interval_ms".into(),
                "must be between 10 and 60000".into(),
            );
        }
        for (field, v) in [
            ("monitor.probe_interval_ms", m.probe_interval_ms),
            ("monitor.clock_tolerance_ms", m.clock_tolerance_ms),
        ] {
            if !(100..=600_000).contains(&v) {
                return err(field.into(), format!("{v} is outside 100..=600000"));
            }
        }
        if let Some(t) = &raw.api.admin_token {
            if t.trim().len() < 16 || t.trim() != t {
                // The token guards personal data (directory, pass log): no short or padded ones.
                return err(
                    "api.admin_token".into(),
                    "must be at least 16 characters, without surrounding spaces".into(),
                );
            }
        }
        if m.offline_after_failures == 0 {
            return err(
                "monitor.offline_after_failures".into(),
                "must be at least 1".into(),
            );
        }

        let mut devices_by_id: HashMap<&str, (&DeviceConfig, &DeviceProfile)> = HashMap::new();
        let mut buses: BTreeMap<BusKey, BusPlan> = BTreeMap::new();
        for (i, d) in raw.devices.iter().enumerate() {
            let f = |n: &str| format!("devices[{i}].{n}");
            if d.id.trim().is_empty() {
                return err(f("id"), "must not be empty".into());
            }
            let Some(profile) = profiles.by_model.get(&d.profile) else {
                let known: Vec<&str> = profiles.by_model.keys().map(String::as_str).collect();
                return err(
                    f("profile"),
                    format!("no profile `{}` (known: {})", d.profile, known.join(", ")),
                );
            };
            if !(1..=247).contains(&d.slave_id) {
                return err(f("slave_id"), format!("{} is outside 1..=247", d.slave_id));
            }
            let (key, serial) = match (&d.rtu, &d.tcp) {
                (Some(r), None) => {
                    if !profile.transports.contains(&TransportKind::Rtu) {
                        return err(
                            f("rtu"),
                            format!("profile `{}` does not speak rtu", d.profile),
                        );
                    }
                    let def = profile.serial_defaults.clone();
                    let s = SerialSettings {
                        baud: r.baud.or(def.as_ref().map(|s| s.baud)).unwrap_or(9600),
                        parity: r
                            .parity
                            .or(def.as_ref().map(|s| s.parity))
                            .unwrap_or(Parity::None),
                        data_bits: r
                            .data_bits
                            .or(def.as_ref().map(|s| s.data_bits))
                            .unwrap_or(8),
                        stop_bits: r
                            .stop_bits
                            .or(def.as_ref().map(|s| s.stop_bits))
                            .unwrap_or(1),
                    };
                    if s.baud == 0 {
                        return err(f("rtu.baud"), "must be > 0".into());
                    }
                    if !(7..=8).contains(&s.data_bits) {
                        return err(f("rtu.data_bits"), "must be 7 or 8".into());
                    }
                    if !(1..=2).contains(&s.stop_bits) {
                        return err(f("rtu.stop_bits"), "must be 1 or 2".into());
                    }
                    (BusKey::Serial(r.port.clone()), Some(s))
                }
                (None, Some(t)) => {
                    if !profile.transports.contains(&TransportKind::Tcp) {
                        return err(
                            f("tcp"),
                            format!("profile `{}` does not speak tcp", d.profile),
                        );
                    }
                    (BusKey::Tcp(t.address), None)
                }
                _ => {
                    return err(
                        f("rtu"),
                        "give exactly one of [devices.rtu] or [devices.tcp]".into(),
                    )
                }
            };
            if devices_by_id.insert(d.id.as_str(), (d, profile)).is_some() {
                return err(f("id"), format!("duplicate device id `{}`", d.id));
            }
            let plan = buses.entry(key.clone()).or_insert_with(|| BusPlan {
                key: key.clone(),
                serial: serial.clone(),
                devices: vec![],
            });
            if plan.serial != serial {
                return err(
                    f("rtu"),
                    format!("serial settings differ from another device on {key}; one bus has one speed"),
                );
            }
            let clash = plan.devices.iter().any(|other| {
                devices_by_id
                    .get(other.as_str())
                    .is_some_and(|(o, _)| o.slave_id == d.slave_id)
            });
            if clash {
                return err(
                    f("slave_id"),
                    format!("slave id {} is already used on {key}", d.slave_id),
                );
            }
            plan.devices.push(d.id.clone());
        }

        let mut door_ids = HashSet::new();
        let mut outputs = HashSet::new();
        for (i, door) in raw.doors.iter().enumerate() {
            let f = |n: &str| format!("doors[{i}].{n}");
            if door.id.trim().is_empty() {
                return err(f("id"), "must not be empty".into());
            }
            if !door_ids.insert(door.id.as_str()) {
                return err(f("id"), format!("duplicate door id `{}`", door.id));
            }
            if door.estate.trim().is_empty() {
                return err(f("estate"), "must not be empty".into());
            }
            let Some((_, profile)) = devices_by_id.get(door.device.as_str()) else {
                return err(
                    f("device"),
                    format!("no device `{}` in [[devices]]", door.device),
                );
            };
            if !profile.channels().contains(&door.channel) {
                return err(
                    f("channel"),
                    format!(
                        "device `{}` ({}) has no channel {} (channels: {:?})",
                        door.device,
                        profile.model,
                        door.channel,
                        profile.channels()
                    ),
                );
            }
            if !outputs.insert((door.device.as_str(), door.channel)) {
                return err(
                    f("channel"),
                    format!(
                        "channel {} of `{}` already drives another door",
                        door.channel, door.device
                    ),
                );
            }
            if !(50..=30_000).contains(&door.pulse_ms) {
                return err(
                    f("pulse_ms"),
                    format!("{} is outside 50..=30000", door.pulse_ms),
                );
            }
            if !(1..=86_400).contains(&door.held_open_seconds) {
                return err(
                    f("held_open_seconds"),
                    format!("{} is outside 1..=86400", door.held_open_seconds),
                );
            }
            if door.monitor_contact {
                let cdev = door.contact_device.as_deref().unwrap_or(&door.device);
                let Some((_, cprof)) = devices_by_id.get(cdev) else {
                    return err(
                        f("contact_device"),
                        format!("no device `{cdev}` in [[devices]]"),
                    );
                };
                let ch = door.contact_channel.unwrap_or(door.channel);
                if cprof.point(PointRole::DoorContact, Some(ch)).is_none() {
                    return err(
                        f("contact_channel"),
                        format!(
                            "device `{cdev}` ({}) has no door_contact point for channel {ch}; set monitor_contact = false if the door has no contact",
                            cprof.model
                        ),
                    );
                }
            }
        }

        let sensors = crate::config::sensors::resolve(
            file,
            &rel(&raw.profiles_dir),
            raw.mqtt.clone(),
            &raw.sensors,
            &raw.fire_release,
            &raw.sensor_rules,
            &raw.doors
                .iter()
                .map(|d| crate::config::sensors::DoorRef {
                    id: &d.id,
                    estate: &d.estate,
                })
                .collect::<Vec<_>>(),
        )?;
        let face = match raw.face.clone() {
            Some(f) => {
                let door_ids: Vec<&str> = raw.doors.iter().map(|d| d.id.as_str()).collect();
                let device_ids: Vec<&str> = raw.devices.iter().map(|d| d.id.as_str()).collect();
                Some(f.resolve(file, &rel, &door_ids, &device_ids)?)
            }
            None => None,
        };
        Ok(EdgeConfig {
            file: file.to_path_buf(),
            face,
            identity,
            cloud,
            seed_file: raw.seed_file.as_deref().map(rel),
            store: StoreConfig {
                path: rel(&raw.store.path),
                ..raw.store
            },
            api: raw.api,
            onetap_key,
            monitor: raw.monitor,
            profiles: devices_by_id
                .values()
                .map(|(_, p)| (p.model.clone(), (*p).clone()))
                .collect(),
            devices: raw.devices,
            sensors,
            doors: raw.doors,
            buses: buses.into_values().collect(),
        })
    }

    pub fn device(&self, id: &str) -> Option<&DeviceConfig> {
        self.devices.iter().find(|d| d.id == id)
    }

    pub fn profile_of(&self, device_id: &str) -> Option<&DeviceProfile> {
        self.device(device_id)
            .and_then(|d| self.profiles.get(&d.profile))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example_path() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("edge-daemon.example.toml")
    }

    #[test]
    fn shipped_example_parses() {
        let cfg = EdgeConfig::load(&example_path()).unwrap();
        assert!(!cfg.doors.is_empty());
        assert!(!cfg.buses.is_empty());
    }

    /// The example's commented `[face]` block, switched on.
    fn example_face() -> String {
        let text = std::fs::read_to_string(example_path()).unwrap();
        let start = text.find("# [face]").expect("example documents [face]");
        text[start..]
            .lines()
            .filter(|l| l.starts_with("# ") && !l.starts_with("# ---"))
            .map(|l| &l[2..])
            .filter(|l| {
                let t = l.trim_start();
                t.starts_with('[') || t.contains(" = ")
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_documented_face_section_parses_and_bad_values_are_named() {
        let face = example_face();
        let text = std::fs::read_to_string(example_path()).unwrap() + "\n" + &face;
        let cfg = EdgeConfig::parse(&example_path(), &text).unwrap();
        let f = cfg.face.expect("[face] parsed");
        assert_eq!(f.doors[0].door, "east-gate");
        assert_eq!(f.doors[0].threshold, 0.55);
        assert_eq!(f.cameras[0].presence.as_ref().unwrap().discrete_input, 0);
        for (from, to, field) in [
            (
                "threshold = 0.55",
                "threshold = 0.1",
                "face.doors[0].threshold",
            ),
            (
                "door = \"east-gate\"\nthreshold",
                "door = \"west\"\nthreshold",
                "face.doors[0].door",
            ),
            (
                "confirm_frames = 3",
                "confirm_frames = 0",
                "face.doors[0].confirm_frames",
            ),
            (
                "frame_token = \"change-me-terminal-token\"",
                "frame_token = \"short\"",
                "face.frame_token",
            ),
            (
                "device = \"relay-east\", discrete",
                "device = \"nope\", discrete",
                "face.cameras[0].presence.device",
            ),
            (
                "snapshot_url = \"http://",
                "snapshot_url = \"ftp://",
                "face.cameras[0].snapshot_url",
            ),
        ] {
            assert!(face.contains(from), "{from}");
            let bad = std::fs::read_to_string(example_path()).unwrap()
                + "\n"
                + &face.replacen(from, to, 1);
            let e = EdgeConfig::parse(&example_path(), &bad).unwrap_err();
            assert_eq!(e.field, field, "{e}");
        }
    }

    fn with(replace: &str, by: &str) -> Result<EdgeConfig, ConfigError> {
        let text = std::fs::read_to_string(example_path()).unwrap();
        assert!(text.contains(replace), "example lacks {replace:?}");
        EdgeConfig::parse(&example_path(), &text.replacen(replace, by, 1))
    }

    /// `[cloud]` takes the box's identity and the cloud's key from the provisioned files.
    #[test]
    fn cloud_section_reads_the_provisioned_identity() {
        let dir = tempfile::tempdir().unwrap();
        let key = ed25519_dalek::SigningKey::from_bytes(&[4; 32]);
        let cloud_key = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
        std::fs::write(
            dir.path().join("box.key"),
            edge_sync::onetap::encode_signing_key(&key),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("id.toml"),
            format!(
                "version = 1\ncloud_url = \"http://127.0.0.1:1\"\nbox_id = \"b-1\"\nbox_name = \"B\"\ncommunity_id = \"c-1\"\nestate_id = \"e-1\"\nonetap_public_key = \"{}\"\nkey_file = \"box.key\"\n",
                edge_sync::onetap::encode_public_key(&cloud_key.verifying_key())
            ),
        )
        .unwrap();
        let text = std::fs::read_to_string(example_path()).unwrap();
        let start = text.find("[box]").unwrap();
        let end = text.find("[store]").unwrap();
        let mut linked = format!(
            "{}[cloud]\nidentity_file = \"{}\"\n{}",
            &text[..start],
            dir.path().join("id.toml").display(),
            &text[end..]
        );
        linked = linked.replace(
            "onetap_public_key = \"LAeqtzrbwBQHCnOoY3HE4Bqijv/oJ+1VCNTNnhXKgWw=\"\n",
            "",
        );
        let cfg = EdgeConfig::parse(&example_path(), &linked).unwrap();
        assert_eq!(
            (cfg.identity.id.as_str(), cfg.identity.community.as_str()),
            ("b-1", "c-1")
        );
        assert_eq!(cfg.onetap_key, cloud_key.verifying_key());
        assert_eq!(
            cfg.cloud.as_ref().unwrap().key.verifying_key(),
            key.verifying_key()
        );
        // Both identities at once, or a key in [api] as well: refused, naming the field.
        let both = linked.replace(
            "\n[cloud]\nidentity_file",
            "\n[box]\nid = \"x\"\ncommunity = \"y\"\n[cloud]\nidentity_file",
        );
        assert_eq!(
            EdgeConfig::parse(&example_path(), &both).unwrap_err().field,
            "box"
        );
        let missing = linked.replace("id.toml", "nope.toml");
        let e = EdgeConfig::parse(&example_path(), &missing).unwrap_err();
        assert_eq!(e.field, "cloud.identity_file");
        assert!(e.reason.contains("provision"), "{e}");
    }

    #[test]
    fn bad_values_name_the_field() {
        let e = with("pulse_ms = 500", "pulse_ms = 5").unwrap_err();
        assert_eq!(e.field, "doors[0].pulse_ms");
        let e = with("pulse_ms = 500", "pulse_ms = \"long\"").unwrap_err();
        assert!(e.field.starts_with("pulse_ms"), "{e}");
        let e = with("channel = 1", "channel = 99").unwrap_err();
        assert_eq!(e.field, "doors[0].channel");
        assert!(e.reason.contains("no channel 99"));
        let e = with("slave_id = 1", "slave_id = 0").unwrap_err();
        assert_eq!(e.field, "devices[0].slave_id");
        let e = with("profile = \"", "profile = \"nope-").unwrap_err();
        assert!(e.reason.contains("no profile"), "{e}");
        let e = with("[box]", "[box]\ncolour = \"red\"").unwrap_err();
        assert!(e.reason.contains("colour"), "{e}");
        let e = with("onetap_public_key = \"", "onetap_public_key = \"xx").unwrap_err();
        assert_eq!(e.field, "api.onetap_public_key");
        assert!(e.to_string().contains("edge-daemon.example.toml"));
        let e = with("[api]", "[api]\nadmin_token = \"short\"").unwrap_err();
        assert_eq!(e.field, "api.admin_token");
        let e = with("clock_tolerance_ms = 2000", "clock_tolerance_ms = 0").unwrap_err();
        assert_eq!(e.field, "monitor.clock_tolerance_ms");
        let e = with("baud = 9600", "baud = 0").unwrap_err();
        assert_eq!(e.field, "devices[0].rtu.baud");
        let e = with("retention_days = 90", "retention_days = 0").unwrap_err();
        assert_eq!(e.field, "store.retention_days");
        let e = with("max_log_bytes = 1073741824", "max_log_bytes = 0").unwrap_err();
        assert_eq!(e.field, "store.max_log_bytes");
        let e = with("outbox_clear_pct = 70", "outbox_clear_pct = 90").unwrap_err();
        assert_eq!(e.field, "store.outbox_clear_pct");
        assert!(e.reason.contains("below"), "{e}");
    }
}
