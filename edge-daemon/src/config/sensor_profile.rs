//! MQTT sensor profiles (`device-profiles/mqtt/*.toml`): the same family as the Modbus profiles
//! (`schema_version`, `model`, `vendor`, `notes`), describing where a device publishes (a topic
//! pattern with `{device}` in it) and how its payload maps onto a [`Reading`]: JSON fields by
//! pointer with a type, scale and unit, or a plain value per topic.
//!
//! Parsing and decoding are sans-IO: [`SensorProfile::decode`] takes the topic's device id and
//! the payload bytes and returns a reading or a [`DecodeError`] naming the field and the reason.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::error::ConfigError;
use crate::sensor::{Reading, SensorKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayloadFormat {
    /// One JSON object per message; points are read by JSON pointer.
    Json,
    /// The payload is the value itself; each point has its own topic.
    Plain,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueType {
    Bool,
    Number,
    Integer,
}

/// Which field of a [`Reading`] a point fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Smoke,
    SmokeDensity,
    BatteryPercent,
    Tamper,
    Fault,
    Floor,
    Direction,
    Running,
    DoorOpen,
    AtFloor,
    FaultCode,
    Trapped,
    Maintenance,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Point {
    pub name: String,
    pub field: Field,
    #[serde(rename = "type")]
    pub value_type: ValueType,
    /// JSON pointer (`/smoke`) for `payload = "json"`.
    #[serde(default)]
    pub pointer: Option<String>,
    /// Topic pattern for `payload = "plain"` (with `{device}`).
    #[serde(default)]
    pub topic: Option<String>,
    /// Multiplied into numbers (e.g. 0.1 for tenths).
    #[serde(default = "one")]
    pub scale: f64,
    #[serde(default)]
    pub unit: String,
    /// Strings that mean `true` for a bool point (besides true, 1, "true", "1").
    #[serde(default)]
    pub true_values: Vec<String>,
    /// Strings that mean `false` for a bool point (besides false, 0, "false", "0").
    #[serde(default)]
    pub false_values: Vec<String>,
}

fn one() -> f64 {
    1.0
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorProfile {
    pub schema_version: u32,
    pub model: String,
    pub vendor: String,
    pub product: String,
    #[serde(default)]
    pub notes: String,
    /// Always "mqtt" here (the Modbus profiles live one directory up).
    pub protocol: String,
    pub kind: SensorKind,
    pub payload: PayloadFormat,
    /// Topic pattern with `{device}` (JSON payloads; plain points give their own).
    #[serde(default)]
    pub topic: Option<String>,
    /// A device that sends nothing for `missed_heartbeats` × this is offline.
    pub heartbeat_interval_seconds: u64,
    /// Larger messages are refused unread.
    #[serde(default = "default_max_payload_bytes")]
    pub max_payload_bytes: usize,
    pub points: Vec<Point>,
}

fn default_max_payload_bytes() -> usize {
    4096
}

/// A topic pattern split around its single `{device}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicPattern {
    pub prefix: String,
    pub suffix: String,
}

impl TopicPattern {
    pub fn parse(p: &str) -> Option<TopicPattern> {
        let (prefix, suffix) = p.split_once("{device}")?;
        if suffix.contains("{device}") || p.contains('+') || p.contains('#') {
            return None;
        }
        // {device} must be a whole topic level.
        if !(prefix.is_empty() || prefix.ends_with('/'))
            || !(suffix.is_empty() || suffix.starts_with('/'))
        {
            return None;
        }
        Some(TopicPattern {
            prefix: prefix.to_string(),
            suffix: suffix.to_string(),
        })
    }
    /// The MQTT subscription filter (`+` for the device level).
    pub fn filter(&self) -> String {
        format!("{}+{}", self.prefix, self.suffix)
    }
    /// The device id if `topic` matches.
    pub fn device<'a>(&self, topic: &'a str) -> Option<&'a str> {
        let rest = topic.strip_prefix(self.prefix.as_str())?;
        let dev = rest.strip_suffix(self.suffix.as_str())?;
        (!dev.is_empty() && !dev.contains('/')).then_some(dev)
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    #[error("payload of {size} bytes is larger than {max}")]
    TooLarge { size: usize, max: usize },
    #[error("payload is not JSON: {0}")]
    NotJson(String),
    #[error("payload is not a JSON object")]
    NotObject,
    #[error("field `{point}`: {reason}")]
    BadValue { point: String, reason: String },
    #[error("no field of the profile is in the payload")]
    Empty,
}

impl SensorProfile {
    pub fn parse(file: &Path, text: &str) -> Result<SensorProfile, ConfigError> {
        let p: SensorProfile = crate::config::error::parse_toml(file, text)?;
        let bad = |field: &str, reason: String| Err(ConfigError::new(file, field, reason));
        if p.schema_version != crate::config::gate_profile::PROFILE_SCHEMA_VERSION {
            return bad(
                "schema_version",
                format!("{} is not supported", p.schema_version),
            );
        }
        if p.protocol != "mqtt" {
            return bad("protocol", "must be \"mqtt\"".into());
        }
        if !(1..=86_400).contains(&p.heartbeat_interval_seconds) {
            return bad(
                "heartbeat_interval_seconds",
                "must be within 1..=86400".into(),
            );
        }
        if !(16..=1_048_576).contains(&p.max_payload_bytes) {
            return bad("max_payload_bytes", "must be within 16..=1048576".into());
        }
        if p.points.is_empty() {
            return bad("points", "a profile needs at least one point".into());
        }
        match p.payload {
            PayloadFormat::Json => {
                if p.topic.as_deref().and_then(TopicPattern::parse).is_none() {
                    return bad("topic", "JSON profiles need a topic with one whole `{device}` level and no wildcards".into());
                }
            }
            PayloadFormat::Plain => {}
        }
        for (i, pt) in p.points.iter().enumerate() {
            let f = |n: &str| format!("points[{i}].{n}");
            match p.payload {
                PayloadFormat::Json => match &pt.pointer {
                    Some(ptr) if ptr.starts_with('/') => {}
                    _ => {
                        return bad(
                            &f("pointer"),
                            "JSON points need a pointer starting with /".into(),
                        )
                    }
                },
                PayloadFormat::Plain => {
                    if pt.topic.as_deref().and_then(TopicPattern::parse).is_none() {
                        return bad(
                            &f("topic"),
                            "plain points need a topic with one whole `{device}` level".into(),
                        );
                    }
                }
            }
            if !pt.scale.is_finite() || pt.scale == 0.0 {
                return bad(&f("scale"), "must be a finite, non-zero number".into());
            }
        }
        Ok(p)
    }

    /// Every (pattern, point index or None for the whole-message topic) this profile listens on.
    pub fn patterns(&self) -> Vec<(TopicPattern, Option<usize>)> {
        match self.payload {
            PayloadFormat::Json => self
                .topic
                .as_deref()
                .and_then(TopicPattern::parse)
                .map(|t| vec![(t, None)])
                .unwrap_or_default(),
            PayloadFormat::Plain => self
                .points
                .iter()
                .enumerate()
                .filter_map(|(i, p)| {
                    p.topic
                        .as_deref()
                        .and_then(TopicPattern::parse)
                        .map(|t| (t, Some(i)))
                })
                .collect(),
        }
    }

    /// Decode one message (`point`: which plain point's topic it came on).
    pub fn decode(&self, point: Option<usize>, payload: &[u8]) -> Result<Reading, DecodeError> {
        if payload.len() > self.max_payload_bytes {
            return Err(DecodeError::TooLarge {
                size: payload.len(),
                max: self.max_payload_bytes,
            });
        }
        let mut r = Reading::default();
        match (self.payload, point) {
            (PayloadFormat::Plain, Some(i)) => {
                let pt = &self.points[i.min(self.points.len() - 1)];
                let text = std::str::from_utf8(payload).map_err(|_| DecodeError::BadValue {
                    point: pt.name.clone(),
                    reason: "not UTF-8".into(),
                })?;
                let v: serde_json::Value = serde_json::from_str(text.trim())
                    .unwrap_or_else(|_| serde_json::Value::String(text.trim().to_string()));
                set(&mut r, pt, &v)?;
            }
            _ => {
                let v: serde_json::Value = serde_json::from_slice(payload)
                    .map_err(|e| DecodeError::NotJson(e.to_string()))?;
                if !v.is_object() {
                    return Err(DecodeError::NotObject);
                }
                let mut any = false;
                for pt in &self.points {
                    let Some(x) = pt.pointer.as_deref().and_then(|p| v.pointer(p)) else {
                        continue;
                    };
                    if x.is_null() {
                        continue;
                    }
                    set(&mut r, pt, x)?;
                    any = true;
                }
                if !any {
                    return Err(DecodeError::Empty);
                }
            }
        }
        Ok(r)
    }
}

fn set(r: &mut Reading, pt: &Point, v: &serde_json::Value) -> Result<(), DecodeError> {
    let bad = |reason: String| DecodeError::BadValue {
        point: pt.name.clone(),
        reason,
    };
    match pt.value_type {
        ValueType::Bool => {
            let b = match v {
                serde_json::Value::Bool(b) => *b,
                serde_json::Value::Number(n) if n.as_i64() == Some(1) => true,
                serde_json::Value::Number(n) if n.as_i64() == Some(0) => false,
                serde_json::Value::String(s)
                    if s == "true" || s == "1" || pt.true_values.contains(s) =>
                {
                    true
                }
                serde_json::Value::String(s)
                    if s == "false" || s == "0" || pt.false_values.contains(s) =>
                {
                    false
                }
                other => return Err(bad(format!("expected a boolean, got {}", short(other)))),
            };
            match pt.field {
                crate::config::sensor_profile::Field::Smoke => r.smoke = Some(b),
                Field::Tamper => r.tamper = Some(b),
                Field::Fault => r.fault = Some(b),
                Field::Running => r.running = Some(b),
                Field::DoorOpen => r.door_open = Some(b),
                Field::AtFloor => r.at_floor = Some(b),
                Field::Trapped => r.trapped = Some(b),
                Field::Maintenance => r.maintenance = Some(b),
                f => return Err(bad(format!("field {f:?} is not a boolean"))),
            }
        }
        ValueType::Number | ValueType::Integer => {
            let x = match v {
                serde_json::Value::Number(n) => n.as_f64(),
                serde_json::Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            }
            .filter(|x| x.is_finite())
            .ok_or_else(|| bad(format!("expected a number, got {}", short(v))))?;
            let x = x * pt.scale;
            if pt.value_type == ValueType::Integer && x.fract() != 0.0 {
                return Err(bad(format!("expected an integer, got {x}")));
            }
            match pt.field {
                Field::SmokeDensity => r.smoke_density = Some(x),
                Field::BatteryPercent => {
                    if !(0.0..=100.0).contains(&x) {
                        return Err(bad(format!("battery {x}% is outside 0..=100")));
                    }
                    r.battery_percent = Some(x)
                }
                Field::Floor => r.floor = Some(x as i64),
                Field::Direction => r.direction = Some(x.signum() as i64),
                Field::FaultCode => r.fault_code = Some(x as i64),
                f => return Err(bad(format!("field {f:?} is not a number"))),
            }
        }
    }
    Ok(())
}

fn short(v: &serde_json::Value) -> String {
    let s = v.to_string();
    if s.len() > 40 {
        format!(
            "{}…",
            &s[..s.char_indices().nth(40).map_or(s.len(), |(i, _)| i)]
        )
    } else {
        s
    }
}

/// All MQTT profiles of a directory, by model.
#[derive(Debug, Clone, Default)]
pub struct SensorProfiles {
    pub dir: PathBuf,
    pub by_model: BTreeMap<String, SensorProfile>,
}

impl SensorProfiles {
    pub fn load_dir(dir: &Path) -> Result<SensorProfiles, ConfigError> {
        let mut by_model = BTreeMap::new();
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Ok(SensorProfiles {
                dir: dir.to_path_buf(),
                by_model,
            });
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f)
                .map_err(|e| ConfigError::new(&f, "-", format!("cannot read file: {e}")))?;
            let p = SensorProfile::parse(&f, &text)?;
            by_model.insert(p.model.clone(), p);
        }
        Ok(SensorProfiles {
            dir: dir.to_path_buf(),
            by_model,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped(name: &str) -> SensorProfile {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../device-profiles/mqtt");
        SensorProfiles::load_dir(&dir)
            .unwrap()
            .by_model
            .remove(name)
            .unwrap()
    }

    #[test]
    fn topic_patterns_match_one_level() {
        let t = TopicPattern::parse("zigbee2mqtt/{device}").unwrap();
        assert_eq!(t.filter(), "zigbee2mqtt/+");
        assert_eq!(t.device("zigbee2mqtt/smoke-3"), Some("smoke-3"));
        assert_eq!(t.device("zigbee2mqtt/a/b"), None);
        assert_eq!(t.device("zigbee2mqtt/"), None);
        assert_eq!(t.device("other/x"), None);
        let t = TopicPattern::parse("lift/{device}/status").unwrap();
        assert_eq!(t.device("lift/L1/status"), Some("L1"));
        assert_eq!(t.device("lift/L1/statusx"), None);
        assert!(TopicPattern::parse("a/b{device}").is_none());
        assert!(TopicPattern::parse("a/+/{device}").is_none());
        assert!(TopicPattern::parse("a/b").is_none());
    }

    #[test]
    fn shipped_smoke_profile_decodes_a_documented_message() {
        let p = shipped("zigbee2mqtt-smoke");
        let r = p
            .decode(None, br#"{"battery":87,"battery_low":false,"linkquality":120,"smoke":true,"smoke_density":12,"tamper":false}"#)
            .unwrap();
        assert_eq!(r.smoke, Some(true));
        assert_eq!(r.battery_percent, Some(87.0));
        assert_eq!(r.tamper, Some(false));
        assert_eq!(r.smoke_density, Some(12.0));
    }

    #[test]
    fn shipped_elevator_profile_decodes_strings_and_numbers() {
        let p = shipped("gbt24476-elevator-json");
        let r = p
            .decode(None, br#"{"floor":"7","direction":-1,"running":1,"door":"open","level":false,"fault_code":0,"trapped":false,"service":"maintenance"}"#)
            .unwrap();
        assert_eq!(r.floor, Some(7));
        assert_eq!(r.direction, Some(-1));
        assert_eq!(r.running, Some(true));
        assert_eq!(r.door_open, Some(true));
        assert_eq!(r.maintenance, Some(true));
    }

    #[test]
    fn bad_payloads_are_errors_that_name_the_point() {
        let p = shipped("zigbee2mqtt-smoke");
        assert!(matches!(
            p.decode(None, b"{not json"),
            Err(DecodeError::NotJson(_))
        ));
        assert_eq!(p.decode(None, b"[1]"), Err(DecodeError::NotObject));
        assert_eq!(
            p.decode(None, br#"{"linkquality":3}"#),
            Err(DecodeError::Empty)
        );
        match p.decode(None, br#"{"smoke":"maybe"}"#) {
            Err(DecodeError::BadValue { point, .. }) => assert_eq!(point, "smoke"),
            other => panic!("{other:?}"),
        }
        match p.decode(None, br#"{"battery":150}"#) {
            Err(DecodeError::BadValue { point, reason }) => {
                assert_eq!(point, "battery");
                assert!(reason.contains("outside"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        let big = vec![b' '; p.max_payload_bytes + 1];
        assert!(matches!(
            p.decode(None, &big),
            Err(DecodeError::TooLarge { .. })
        ));
    }

    #[test]
    fn plain_profiles_take_one_value_per_topic() {
        let text = r#"
schema_version = 1
model = "plain-smoke"
vendor = "v"
product = "p"
protocol = "mqtt"
kind = "smoke_detector"
payload = "plain"
heartbeat_interval_seconds = 60
[[points]]
name = "smoke"
field = "smoke"
type = "bool"
topic = "s/{device}/smoke"
true_values = ["ALARM"]
false_values = ["OK"]
[[points]]
name = "battery"
field = "battery_percent"
type = "number"
topic = "s/{device}/battery"
scale = 0.1
unit = "%"
"#;
        let p = SensorProfile::parse(Path::new("x.toml"), text).unwrap();
        let pats = p.patterns();
        assert_eq!(pats.len(), 2);
        assert_eq!(pats[0].0.filter(), "s/+/smoke");
        assert_eq!(p.decode(Some(0), b"ALARM").unwrap().smoke, Some(true));
        assert_eq!(p.decode(Some(0), b"OK").unwrap().smoke, Some(false));
        assert_eq!(
            p.decode(Some(1), b"955").unwrap().battery_percent,
            Some(95.5)
        );
        assert!(p.decode(Some(1), b"lots").is_err());
        let e = SensorProfile::parse(
            Path::new("x.toml"),
            &text.replace("topic = \"s/{device}/battery\"", ""),
        )
        .unwrap_err();
        assert_eq!(e.field, "points[1].topic");
    }
}
