//! Cloud configuration (TOML) and the key files it points at. Errors name the file, the field
//! and the reason; the binary exits 64 on them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}: field `{field}`: {reason}")]
pub struct ConfigError {
    pub file: String,
    pub field: String,
    pub reason: String,
}

impl ConfigError {
    pub fn new(file: &Path, field: &str, reason: impl Into<String>) -> ConfigError {
        ConfigError {
            file: file.display().to_string(),
            field: field.to_string(),
            reason: reason.into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudConfig {
    /// Address the HTTP API listens on.
    pub listen: SocketAddr,
    /// `sqlite://FILE?mode=rwc` (default engine) or `postgres://…`. The `DATABASE_URL`
    /// environment variable, when set, wins.
    #[serde(default = "default_database_url")]
    pub database_url: String,
    /// Directory for the key files (one-tap signing key, ID-number key). Never the database.
    pub data_dir: PathBuf,
    /// How long a session token lives after login.
    #[serde(default = "default_session_ttl_seconds")]
    pub session_ttl_seconds: u64,
    /// How long an edge box's one-time provisioning code stays valid.
    #[serde(default = "default_provision_code_ttl_seconds")]
    pub provision_code_ttl_seconds: u64,
    /// One-tap picks the nearest door the user may pass within this distance.
    #[serde(default = "default_onetap_radius_m")]
    pub onetap_radius_m: f64,
    /// How long one-tap waits for the box to report the outcome before answering `timeout`.
    #[serde(default = "default_onetap_timeout_ms")]
    pub onetap_timeout_ms: u64,
    /// Lifetime of a signed one-tap command (≤ 120000, the box's limit).
    #[serde(default = "default_command_ttl_ms")]
    pub command_ttl_ms: u64,
    /// Largest request body accepted.
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: usize,
    /// Failed logins per user name (and per client address) before logins are refused…
    #[serde(default = "default_login_max_failures")]
    pub login_max_failures: u32,
    /// …for this long after the first failure.
    #[serde(default = "default_login_window_seconds")]
    pub login_window_seconds: u64,
}

fn default_database_url() -> String {
    "sqlite://cloud-data/cloud.db?mode=rwc".into()
}
fn default_session_ttl_seconds() -> u64 {
    12 * 3600
}
fn default_provision_code_ttl_seconds() -> u64 {
    900
}
fn default_onetap_radius_m() -> f64 {
    150.0
}
fn default_onetap_timeout_ms() -> u64 {
    5_000
}
fn default_command_ttl_ms() -> u64 {
    30_000
}
fn default_max_body_bytes() -> usize {
    2 * 1024 * 1024
}
fn default_login_max_failures() -> u32 {
    5
}
fn default_login_window_seconds() -> u64 {
    900
}

impl CloudConfig {
    pub fn load(file: &Path) -> Result<CloudConfig, ConfigError> {
        let text = std::fs::read_to_string(file)
            .map_err(|e| ConfigError::new(file, "(file)", format!("cannot read: {e}")))?;
        Self::parse(file, &text)
    }

    pub fn parse(file: &Path, text: &str) -> Result<CloudConfig, ConfigError> {
        let mut cfg: CloudConfig = toml::from_str(text).map_err(|e| {
            let field = e
                .span()
                .map(|s| {
                    let line = text[..s.start].matches('\n').count() + 1;
                    format!("line {line}")
                })
                .unwrap_or_else(|| "(document)".into());
            ConfigError::new(file, &field, e.message().to_string())
        })?;
        if let Ok(url) = std::env::var("DATABASE_URL") {
            if !url.trim().is_empty() {
                cfg.database_url = url;
            }
        }
        let bad = |field: &str, reason: &str| Err(ConfigError::new(file, field, reason));
        if !(cfg.database_url.starts_with("sqlite:")
            || cfg.database_url.starts_with("postgres:")
            || cfg.database_url.starts_with("postgresql:"))
        {
            return bad("database_url", "must start with sqlite: or postgres:");
        }
        if !(60..=30 * 86_400).contains(&cfg.session_ttl_seconds) {
            return bad("session_ttl_seconds", "must be within 60..=2592000");
        }
        if !(60..=86_400).contains(&cfg.provision_code_ttl_seconds) {
            return bad("provision_code_ttl_seconds", "must be within 60..=86400");
        }
        if !(cfg.onetap_radius_m > 0.0 && cfg.onetap_radius_m <= 10_000.0) {
            return bad("onetap_radius_m", "must be within (0, 10000]");
        }
        if !(100..=60_000).contains(&cfg.onetap_timeout_ms) {
            return bad("onetap_timeout_ms", "must be within 100..=60000");
        }
        if !(1_000..=edge_sync::MAX_TTL_MS as u64).contains(&cfg.command_ttl_ms) {
            return bad(
                "command_ttl_ms",
                "must be within 1000..=120000 (the box refuses longer)",
            );
        }
        // A full uplink batch (1000 records) must always fit, or a box could never drain.
        if !(1024 * 1024..=64 * 1024 * 1024).contains(&cfg.max_body_bytes) {
            return bad(
                "max_body_bytes",
                "must be within 1048576..=67108864 (a full uplink batch must fit)",
            );
        }
        if cfg.login_max_failures == 0 {
            return bad("login_max_failures", "must be at least 1");
        }
        if !(1..=86_400).contains(&cfg.login_window_seconds) {
            return bad("login_window_seconds", "must be within 1..=86400");
        }
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_example_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("cloud-core.example.toml");
        let cfg = CloudConfig::load(&path).unwrap();
        assert_eq!(cfg.onetap_radius_m, 150.0);
    }

    #[test]
    fn errors_name_the_field() {
        let p = Path::new("x.toml");
        let e = CloudConfig::parse(
            p,
            "listen = \"127.0.0.1:1\"\ndata_dir = \"d\"\nonetap_timeout_ms = 5\n",
        )
        .unwrap_err();
        assert_eq!(e.field, "onetap_timeout_ms");
        let e = CloudConfig::parse(p, "listen = \"nope\"\ndata_dir = \"d\"\n").unwrap_err();
        assert_eq!(e.field, "line 1");
        let e = CloudConfig::parse(p, "data_dir = \"d\"\n").unwrap_err();
        assert!(e.reason.contains("listen"), "{e}");
    }
}
