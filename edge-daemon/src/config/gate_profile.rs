//! Device profiles: a declarative description of a controller model (transports, points and what
//! they mean, how a door is opened, timing quirks), loaded from `device-profiles/*.toml`.
//!
//! This module owns parsing and validating profiles; it reads files but talks to no device.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::error::ConfigError;

pub const PROFILE_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportKind {
    Rtu,
    Tcp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Parity {
    None,
    Even,
    Odd,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SerialDefaults {
    pub baud: u32,
    pub parity: Parity,
    pub data_bits: u8,
    pub stop_bits: u8,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timing {
    pub response_timeout_ms: u64,
    #[serde(default)]
    pub inter_frame_delay_ms: u64,
    pub max_retries: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PointKind {
    Coil,
    DiscreteInput,
    HoldingRegister,
    InputRegister,
}

impl PointKind {
    pub const ALL: [PointKind; 4] = [
        PointKind::Coil,
        PointKind::DiscreteInput,
        PointKind::HoldingRegister,
        PointKind::InputRegister,
    ];

    pub fn is_bit(self) -> bool {
        matches!(self, PointKind::Coil | PointKind::DiscreteInput)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PointRole {
    DoorRelay,
    DoorContact,
    OpenCommand,
    Fault,
    Tamper,
}

impl PointRole {
    fn per_channel(self) -> bool {
        matches!(
            self,
            PointRole::DoorRelay | PointRole::DoorContact | PointRole::OpenCommand
        )
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Point {
    pub name: String,
    pub kind: PointKind,
    pub address: u16,
    pub role: PointRole,
    pub channel: Option<u16>,
    pub mask: Option<u16>,
    #[serde(default)]
    pub invert: bool,
}

impl Point {
    /// Interpret a raw reading (a bit as 0/1, or a register value) as "active".
    pub fn is_active(&self, raw: u16) -> bool {
        let on = match self.mask {
            Some(mask) => raw & mask != 0,
            None => raw != 0,
        };
        on != self.invert
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum OpenMethod {
    /// Write the channel's `door_relay` coil on, then off after the door's `pulse_ms`.
    PulseCoil,
    /// Write `value` to the channel's `open_command` holding register; the controller times it.
    WriteRegister { value: u16 },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceProfile {
    pub schema_version: u32,
    pub model: String,
    pub vendor: String,
    pub product: String,
    #[serde(default)]
    pub notes: Option<String>,
    pub transports: Vec<TransportKind>,
    pub serial_defaults: Option<SerialDefaults>,
    pub timing: Timing,
    pub open: OpenMethod,
    pub points: Vec<Point>,
}

impl DeviceProfile {
    pub fn point(&self, role: PointRole, channel: Option<u16>) -> Option<&Point> {
        self.points
            .iter()
            .find(|p| p.role == role && (channel.is_none() || p.channel == channel))
    }

    /// The channels this model can open (those with the point its open method needs).
    pub fn channels(&self) -> Vec<u16> {
        let role = self.open_role();
        let mut v: Vec<u16> = self
            .points
            .iter()
            .filter(|p| p.role == role)
            .filter_map(|p| p.channel)
            .collect();
        v.sort_unstable();
        v
    }

    pub fn open_role(&self) -> PointRole {
        match self.open {
            OpenMethod::PulseCoil => PointRole::DoorRelay,
            OpenMethod::WriteRegister { .. } => PointRole::OpenCommand,
        }
    }

    /// Parse and validate one profile file's text. `file` is only used in error messages.
    pub fn parse(file: &Path, text: &str) -> Result<DeviceProfile, ConfigError> {
        let p: DeviceProfile = crate::config::error::parse_toml(file, text)?;
        p.validate(file)?;
        Ok(p)
    }

    fn validate(&self, file: &Path) -> Result<(), ConfigError> {
        let err = |field: &str, reason: String| Err(ConfigError::new(file, field, reason));
        if self.schema_version != PROFILE_SCHEMA_VERSION {
            return err(
                "schema_version",
                format!(
                    "{} is not supported (expected {PROFILE_SCHEMA_VERSION})",
                    self.schema_version
                ),
            );
        }
        if let Some(stem) = file.file_stem().and_then(|s| s.to_str()) {
            if stem != self.model {
                return err(
                    "model",
                    format!("`{}` must equal the file name `{stem}`", self.model),
                );
            }
        }
        if self.transports.is_empty() {
            return err("transports", "must name at least one of rtu, tcp".into());
        }
        if self.transports.contains(&TransportKind::Rtu) {
            match &self.serial_defaults {
                None => return err("serial_defaults", "required when transports has rtu".into()),
                Some(s) => {
                    if !(7..=8).contains(&s.data_bits) {
                        return err("serial_defaults.data_bits", "must be 7 or 8".into());
                    }
                    if !(1..=2).contains(&s.stop_bits) {
                        return err("serial_defaults.stop_bits", "must be 1 or 2".into());
                    }
                    if s.baud == 0 {
                        return err("serial_defaults.baud", "must be > 0".into());
                    }
                }
            }
        }
        if self.timing.response_timeout_ms == 0 || self.timing.response_timeout_ms > 10_000 {
            return err(
                "timing.response_timeout_ms",
                "must be between 1 and 10000".into(),
            );
        }
        if self.timing.inter_frame_delay_ms > 1_000 {
            return err("timing.inter_frame_delay_ms", "must be at most 1000".into());
        }
        if self.timing.max_retries > 10 {
            return err("timing.max_retries", "must be at most 10".into());
        }
        let mut names = HashSet::new();
        let mut slots = HashSet::new();
        for (i, p) in self.points.iter().enumerate() {
            let f = |name: &str| format!("points[{i}].{name}");
            if !names.insert(p.name.as_str()) {
                return err(&f("name"), format!("duplicate point name `{}`", p.name));
            }
            if p.role.per_channel() {
                match p.channel {
                    None => {
                        return err(&f("channel"), format!("required for role {:?}", p.role));
                    }
                    Some(0) => return err(&f("channel"), "channels count from 1".into()),
                    Some(c) => {
                        if !slots.insert((p.role, c)) {
                            return err(
                                &f("channel"),
                                format!("a second {:?} point for channel {c}", p.role),
                            );
                        }
                    }
                }
            }
            if p.mask.is_some() && p.kind.is_bit() {
                return err(&f("mask"), "only registers can have a mask".into());
            }
            match (p.role, p.kind) {
                (PointRole::DoorRelay, PointKind::Coil) => {}
                (PointRole::DoorRelay, _) => {
                    return err(&f("kind"), "a door_relay must be a coil".into());
                }
                (PointRole::OpenCommand, PointKind::HoldingRegister) => {}
                (PointRole::OpenCommand, _) => {
                    return err(
                        &f("kind"),
                        "an open_command must be a holding_register".into(),
                    );
                }
                _ => {}
            }
        }
        // The driver polls each kind's read points with one request: the span must fit one
        // Modbus read (2000 bits, 125 registers).
        for kind in PointKind::ALL {
            let addrs: Vec<u32> = self
                .points
                .iter()
                .filter(|p| p.kind == kind)
                .filter(|p| {
                    matches!(
                        p.role,
                        PointRole::DoorContact | PointRole::Fault | PointRole::Tamper
                    )
                })
                .map(|p| u32::from(p.address))
                .collect();
            if let (Some(lo), Some(hi)) = (addrs.iter().min(), addrs.iter().max()) {
                let limit = if kind.is_bit() { 2000 } else { 125 };
                if hi - lo + 1 > limit {
                    return err(
                        "points",
                        format!(
                            "{kind:?} points read by polling span addresses {lo}..={hi}; one read covers at most {limit}"
                        ),
                    );
                }
            }
        }
        if self.channels().is_empty() {
            return err(
                "points",
                format!(
                    "open method needs at least one {:?} point with a channel",
                    self.open_role()
                ),
            );
        }
        Ok(())
    }
}

/// All profiles found in a directory, by model id.
#[derive(Debug, Clone, Default)]
pub struct ProfileSet {
    pub dir: PathBuf,
    pub by_model: BTreeMap<String, DeviceProfile>,
}

impl ProfileSet {
    pub fn load_dir(dir: &Path) -> Result<ProfileSet, ConfigError> {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            ConfigError::new(dir, "profiles_dir", format!("cannot read directory: {e}"))
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        let mut by_model = BTreeMap::new();
        for f in files {
            let text = std::fs::read_to_string(&f)
                .map_err(|e| ConfigError::new(&f, "-", format!("cannot read file: {e}")))?;
            let p = DeviceProfile::parse(&f, &text)?;
            by_model.insert(p.model.clone(), p);
        }
        Ok(ProfileSet {
            dir: dir.to_path_buf(),
            by_model,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RELAY: &str = r#"
schema_version = 1
model = "relay"
vendor = "v"
product = "p"
transports = ["rtu"]
[serial_defaults]
baud = 9600
parity = "none"
data_bits = 8
stop_bits = 1
[timing]
response_timeout_ms = 200
max_retries = 1
[open]
method = "pulse_coil"
[[points]]
name = "r1"
kind = "coil"
address = 0
role = "door_relay"
channel = 1
[[points]]
name = "i1"
kind = "discrete_input"
address = 0
role = "door_contact"
channel = 1
"#;

    fn parse(text: &str) -> Result<DeviceProfile, ConfigError> {
        DeviceProfile::parse(Path::new("relay.toml"), text)
    }

    #[test]
    fn minimal_relay_parses() {
        let p = parse(RELAY).unwrap();
        assert_eq!(p.channels(), vec![1]);
        assert_eq!(p.point(PointRole::DoorContact, Some(1)).unwrap().address, 0);
    }

    #[test]
    fn errors_name_file_field_and_reason() {
        let e = parse(&RELAY.replace("schema_version = 1", "schema_version = 2")).unwrap_err();
        assert_eq!(e.field, "schema_version");
        assert!(e.to_string().contains("relay.toml"), "{e}");
        let e = parse(&RELAY.replace("kind = \"coil\"", "kind = \"discrete_input\"")).unwrap_err();
        assert_eq!(e.field, "points[0].kind");
        let e = parse(&RELAY.replace("channel = 1\n[[points]]", "[[points]]")).unwrap_err();
        assert_eq!(e.field, "points[0].channel");
        let e = parse(&RELAY.replace(
            "[serial_defaults]\nbaud = 9600\nparity = \"none\"\ndata_bits = 8\nstop_bits = 1\n",
            "",
        ))
        .unwrap_err();
        assert_eq!(e.field, "serial_defaults");
        let e = parse(&RELAY.replace(
            "address = 0\nrole = \"door_relay\"",
            "address = 70000\nrole = \"door_relay\"",
        ))
        .unwrap_err();
        assert!(e.field.starts_with("address (line"), "{e}");
        let e = parse(&RELAY.replace(
            "max_retries = 1",
            "max_retries = 1\ninter_frame_delay_ms = 5000",
        ))
        .unwrap_err();
        assert_eq!(e.field, "timing.inter_frame_delay_ms");
        let far = RELAY.replace(
            "address = 0\nrole = \"door_contact\"",
            "address = 3000\nrole = \"door_contact\"",
        );
        let far = far + "\n[[points]]\nname = \"t\"\nkind = \"discrete_input\"\naddress = 0\nrole = \"tamper\"\n";
        let e = parse(&far).unwrap_err();
        assert!(e.reason.contains("at most 2000"), "{e}");
        let e = DeviceProfile::parse(Path::new("other.toml"), RELAY).unwrap_err();
        assert_eq!(e.field, "model");
        let e = parse(&RELAY.replace("max_retries = 1", "max_retries = 1\nbogus = 3")).unwrap_err();
        assert!(e.reason.contains("bogus"), "{e}");
    }

    #[test]
    fn mask_and_invert() {
        let mut p = parse(RELAY).unwrap().points[1].clone();
        assert!(p.is_active(1));
        p.invert = true;
        assert!(!p.is_active(1));
        p.invert = false;
        p.mask = Some(0b100);
        assert!(p.is_active(0b110));
        assert!(!p.is_active(0b011));
    }

    #[test]
    fn shipped_profiles_load() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../device-profiles");
        let set = ProfileSet::load_dir(&dir).unwrap();
        assert!(set.by_model.len() >= 2, "{:?}", set.by_model.keys());
        let has_pulse = set
            .by_model
            .values()
            .any(|p| matches!(p.open, OpenMethod::PulseCoil));
        let has_register = set
            .by_model
            .values()
            .any(|p| matches!(p.open, OpenMethod::WriteRegister { .. }));
        assert!(has_pulse && has_register);
    }
}
