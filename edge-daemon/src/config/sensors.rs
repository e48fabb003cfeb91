//! Config for the box's sensors: `[mqtt]` (the broker on the box), `[[sensors]]` (each device
//! with its profile and location), `[[fire_release]]` (which exits a smoke alarm releases) and
//! `[sensor_rules]` (thresholds). Resolved into a [`SensorSetup`] with the MQTT profiles loaded
//! from `<profiles_dir>/mqtt`; every error names the file, the field and the reason.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::error::ConfigError;
use crate::config::sensor_profile::{SensorProfile, SensorProfiles};
use crate::sensor::Rules;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqttConfig {
    #[serde(default = "default_host")]
    pub host: String,
    #[serde(default = "default_port")]
    pub port: u16,
    /// Stable per box: the broker keeps this client's persistent session (QoS 1 backlog).
    pub client_id: String,
    #[serde(default)]
    pub username: Option<String>,
    /// File holding the password (not the password itself: configs get copied around).
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    #[serde(default = "default_keep_alive_seconds")]
    pub keep_alive_seconds: u64,
    /// PEM file of the CA(s) that signed the broker's certificate. Set: the connection uses TLS
    /// and the broker must present a certificate for `host` signed by one of them.
    #[serde(default)]
    pub tls_ca_file: Option<PathBuf>,
    /// PEM certificate chain and private key for brokers that require client certificates
    /// (both or neither; only with `tls_ca_file`).
    #[serde(default)]
    pub tls_client_cert_file: Option<PathBuf>,
    #[serde(default)]
    pub tls_client_key_file: Option<PathBuf>,
}

fn default_host() -> String {
    "127.0.0.1".into()
}
fn default_port() -> u16 {
    1883
}
fn default_keep_alive_seconds() -> u64 {
    30
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorConfig {
    /// The device id in its topic (e.g. the Zigbee2MQTT friendly name).
    pub id: String,
    /// MQTT profile model from `<profiles_dir>/mqtt`.
    pub profile: String,
    #[serde(default)]
    pub name: String,
    /// Defaults to the box's estate (provisioned identity) when left out.
    #[serde(default)]
    pub estate: String,
    pub building: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub floor: Option<i64>,
    /// Overrides the profile's heartbeat interval for this device.
    #[serde(default)]
    pub heartbeat_interval_seconds: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FireReleaseConfig {
    /// A smoke alarm of any sensor in this building releases `doors`; "*" = any building.
    pub building: String,
    /// Door ids (`[[doors]] id`) held released until an operator restores them.
    pub doors: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesConfig {
    #[serde(default = "d_battery")]
    pub battery_low_percent: f64,
    #[serde(default = "d_battery_for")]
    pub battery_low_for_seconds: u64,
    #[serde(default = "d_missed")]
    pub missed_heartbeats: u32,
    #[serde(default = "d_stopped")]
    pub stopped_between_floors_seconds: u64,
    /// An unacknowledged active alarm escalates one severity step after this (0 = never).
    #[serde(default = "d_escalate")]
    pub escalate_after_seconds: u64,
}

impl Default for RulesConfig {
    fn default() -> Self {
        RulesConfig {
            battery_low_percent: d_battery(),
            battery_low_for_seconds: d_battery_for(),
            missed_heartbeats: d_missed(),
            stopped_between_floors_seconds: d_stopped(),
            escalate_after_seconds: d_escalate(),
        }
    }
}

fn d_battery() -> f64 {
    20.0
}
fn d_battery_for() -> u64 {
    600
}
fn d_missed() -> u32 {
    3
}
fn d_stopped() -> u64 {
    30
}
fn d_escalate() -> u64 {
    300
}

/// A sensor, resolved.
#[derive(Debug, Clone)]
pub struct Sensor {
    pub id: String,
    pub name: String,
    pub model: String,
    pub estate: String,
    pub building: String,
    pub unit: String,
    pub floor: Option<i64>,
    pub heartbeat_ms: i64,
}

#[derive(Debug, Clone)]
pub struct SensorSetup {
    pub mqtt: MqttConfig,
    pub password: Option<String>,
    /// Built from the `tls_*` files when TLS is configured (errors surface at `check-config`).
    pub tls: Option<std::sync::Arc<rustls::ClientConfig>>,
    pub profiles: BTreeMap<String, SensorProfile>,
    pub sensors: Vec<Sensor>,
    pub fire_release: Vec<FireReleaseConfig>,
    pub rules: Rules,
}

/// A configured door as the sensor settings see it: its id and estate.
#[derive(Debug, Clone, Copy)]
pub struct DoorRef<'a> {
    pub id: &'a str,
    pub estate: &'a str,
}

#[allow(clippy::too_many_arguments)]
pub fn resolve(
    file: &Path,
    profiles_dir: &Path,
    mqtt: Option<MqttConfig>,
    sensors: &[SensorConfig],
    fire: &[FireReleaseConfig],
    rules: &RulesConfig,
    doors: &[DoorRef<'_>],
) -> Result<Option<SensorSetup>, ConfigError> {
    // A box serves one estate: sensors default to its doors' estate.
    let default_estate = doors
        .first()
        .map(|d| d.estate.to_string())
        .unwrap_or_default();
    let bad = |field: String, reason: String| Err(ConfigError::new(file, &field, reason));
    let Some(mqtt) = mqtt else {
        if !sensors.is_empty() {
            return bad("mqtt".into(), "[[sensors]] need an [mqtt] broker".into());
        }
        return Ok(None);
    };
    if mqtt.client_id.trim().is_empty() || mqtt.client_id.len() > 64 {
        return bad("mqtt.client_id".into(), "must be 1 to 64 characters".into());
    }
    if !(5..=3_600).contains(&mqtt.keep_alive_seconds) {
        return bad(
            "mqtt.keep_alive_seconds".into(),
            "must be within 5..=3600".into(),
        );
    }
    let base = file.parent().unwrap_or(Path::new("."));
    let password = match &mqtt.password_file {
        Some(p) => {
            let p = if p.is_absolute() {
                p.clone()
            } else {
                base.join(p)
            };
            Some(
                std::fs::read_to_string(&p)
                    .map_err(|e| {
                        ConfigError::new(
                            file,
                            "mqtt.password_file",
                            format!("{}: {e}", p.display()),
                        )
                    })?
                    .trim_end_matches(['\r', '\n'])
                    .to_string(),
            )
        }
        None => None,
    };
    let tls = tls_config(file, base, &mqtt)?;
    let profiles = SensorProfiles::load_dir(&profiles_dir.join("mqtt"))?.by_model;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, s) in sensors.iter().enumerate() {
        let f = |n: &str| format!("sensors[{i}].{n}");
        if s.id.is_empty() || s.id.len() > 64 || s.id.contains(['/', '+', '#']) {
            return bad(f("id"), "must be 1 to 64 characters without / + #".into());
        }
        if !seen.insert(s.id.as_str()) {
            return bad(f("id"), format!("duplicate sensor id `{}`", s.id));
        }
        let Some(p) = profiles.get(&s.profile) else {
            return bad(
                f("profile"),
                format!(
                    "no MQTT profile `{}` in {} (have: {:?})",
                    s.profile,
                    profiles_dir.join("mqtt").display(),
                    profiles.keys().collect::<Vec<_>>()
                ),
            );
        };
        if s.building.trim().is_empty() {
            return bad(f("building"), "must not be empty".into());
        }
        let hb = s
            .heartbeat_interval_seconds
            .unwrap_or(p.heartbeat_interval_seconds);
        if !(1..=86_400).contains(&hb) {
            return bad(
                f("heartbeat_interval_seconds"),
                "must be within 1..=86400".into(),
            );
        }
        out.push(Sensor {
            id: s.id.clone(),
            name: if s.name.is_empty() {
                s.id.clone()
            } else {
                s.name.clone()
            },
            model: s.profile.clone(),
            estate: if s.estate.is_empty() {
                default_estate.clone()
            } else {
                s.estate.clone()
            },
            building: s.building.clone(),
            unit: s.unit.clone(),
            floor: s.floor,
            heartbeat_ms: (hb * 1000) as i64,
        });
    }
    let door_ids: HashSet<&str> = doors.iter().map(|d| d.id).collect();
    for (i, g) in fire.iter().enumerate() {
        if g.building.trim().is_empty() {
            return bad(
                format!("fire_release[{i}].building"),
                "must not be empty (\"*\" = any building)".into(),
            );
        }
        for (j, d) in g.doors.iter().enumerate() {
            if !door_ids.contains(d.as_str()) {
                return bad(
                    format!("fire_release[{i}].doors[{j}]"),
                    format!("no door `{d}` in [[doors]]"),
                );
            }
        }
    }
    if !(0.0..=100.0).contains(&rules.battery_low_percent) {
        return bad(
            "sensor_rules.battery_low_percent".into(),
            "must be within 0..=100".into(),
        );
    }
    if rules.missed_heartbeats == 0 {
        return bad(
            "sensor_rules.missed_heartbeats".into(),
            "must be at least 1".into(),
        );
    }
    Ok(Some(SensorSetup {
        mqtt,
        password,
        tls,
        profiles,
        sensors: out,
        fire_release: fire.to_vec(),
        rules: Rules {
            battery_low_percent: rules.battery_low_percent,
            battery_low_for_ms: (rules.battery_low_for_seconds * 1000) as i64,
            missed_heartbeats: rules.missed_heartbeats,
            stopped_between_floors_ms: (rules.stopped_between_floors_seconds * 1000) as i64,
            escalate_after_ms: (rules.escalate_after_seconds * 1000) as i64,
        },
    }))
}

/// The rustls client config for `[mqtt] tls_*`, or None when TLS is not configured.
fn tls_config(
    file: &Path,
    base: &Path,
    mqtt: &MqttConfig,
) -> Result<Option<std::sync::Arc<rustls::ClientConfig>>, ConfigError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let abs = |p: &PathBuf| {
        if p.is_absolute() {
            p.clone()
        } else {
            base.join(p)
        }
    };
    let bad = |field: &str, reason: String| ConfigError::new(file, field, reason);
    let Some(ca_file) = &mqtt.tls_ca_file else {
        if mqtt.tls_client_cert_file.is_some() || mqtt.tls_client_key_file.is_some() {
            return Err(bad(
                "mqtt.tls_ca_file",
                "client certificates need TLS: set tls_ca_file too".into(),
            ));
        }
        return Ok(None);
    };
    let certs = |field: &str, p: &PathBuf| -> Result<Vec<CertificateDer<'static>>, ConfigError> {
        let p = abs(p);
        let v = CertificateDer::pem_file_iter(&p)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(|e| bad(field, format!("{}: {e}", p.display())))?;
        if v.is_empty() {
            return Err(bad(
                field,
                format!("{}: no PEM certificate in it", p.display()),
            ));
        }
        Ok(v)
    };
    let mut roots = rustls::RootCertStore::empty();
    for c in certs("mqtt.tls_ca_file", ca_file)? {
        roots
            .add(c)
            .map_err(|e| bad("mqtt.tls_ca_file", format!("unusable CA certificate: {e}")))?;
    }
    let builder = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| bad("mqtt.tls_ca_file", e.to_string()))?
    .with_root_certificates(roots);
    let cfg = match (&mqtt.tls_client_cert_file, &mqtt.tls_client_key_file) {
        (None, None) => builder.with_no_client_auth(),
        (Some(c), Some(k)) => {
            let chain = certs("mqtt.tls_client_cert_file", c)?;
            let kp = abs(k);
            let key = PrivateKeyDer::from_pem_file(&kp)
                .map_err(|e| bad("mqtt.tls_client_key_file", format!("{}: {e}", kp.display())))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| bad("mqtt.tls_client_key_file", e.to_string()))?
        }
        (Some(_), None) => {
            return Err(bad(
                "mqtt.tls_client_key_file",
                "needed with tls_client_cert_file".into(),
            ))
        }
        (None, Some(_)) => {
            return Err(bad(
                "mqtt.tls_client_cert_file",
                "needed with tls_client_key_file".into(),
            ))
        }
    };
    Ok(Some(std::sync::Arc::new(cfg)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mqtt(extra: &str) -> MqttConfig {
        toml::from_str(&format!("client_id = \"box\"\n{extra}")).unwrap()
    }

    fn err(extra: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("empty.pem"), "not a certificate\n").unwrap();
        tls_config(Path::new("edge.toml"), dir.path(), &mqtt(extra))
            .map(|_| ())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn plain_mqtt_needs_no_tls_files() {
        let c = tls_config(Path::new("edge.toml"), Path::new("."), &mqtt("")).unwrap();
        assert!(c.is_none());
    }

    #[test]
    fn tls_errors_name_the_field() {
        let e = err("tls_ca_file = \"missing.pem\"");
        assert!(
            e.contains("mqtt.tls_ca_file") && e.contains("missing.pem"),
            "{e}"
        );
        let e = err("tls_ca_file = \"empty.pem\"");
        assert!(
            e.contains("mqtt.tls_ca_file") && e.contains("no PEM certificate"),
            "{e}"
        );
        let e = err("tls_client_cert_file = \"c.pem\"\ntls_client_key_file = \"k.pem\"");
        assert!(
            e.contains("mqtt.tls_ca_file") && e.contains("need TLS"),
            "{e}"
        );
    }
}
