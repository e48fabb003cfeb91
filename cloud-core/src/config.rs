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
    /// Failed logins for one user name from one client address before that address is refused
    /// for that name (the address is refused for every name after 4×, and the name from every
    /// address that has not signed into it before after 10×)…
    #[serde(default = "default_login_max_failures")]
    pub login_max_failures: u32,
    /// …for this long after the first failure.
    #[serde(default = "default_login_window_seconds")]
    pub login_window_seconds: u64,
    /// Anonymous sign-ups accepted from one client address per `signup_window_seconds`
    /// (counted whether they succeed or not; a community's sign-up day behind one office
    /// NAT fits under the default).
    #[serde(default = "default_signup_max_per_address")]
    pub signup_max_per_address: u32,
    #[serde(default = "default_signup_window_seconds")]
    pub signup_window_seconds: u64,
    /// Visit requests one app account may make per 24 h, and pending requests to one host.
    #[serde(default = "default_visit_requests_per_day")]
    pub visit_requests_per_day: u32,
    #[serde(default = "default_visit_pending_per_host")]
    pub visit_pending_per_host: u32,
    /// Bearer token a Prometheus scraper presents to `GET /metrics` (at least 16 characters);
    /// without one the metrics are off.
    #[serde(default)]
    pub metrics_token: Option<String>,
    /// One log line per request (`target: access`: method, route template, status, duration;
    /// never ids, queries or headers). `RUST_LOG_FORMAT=json` makes every log line JSON.
    #[serde(default)]
    pub access_log: bool,
    /// How many cloud-core processes serve this database behind one address (1: this one
    /// alone). More than one needs PostgreSQL and the S3 object store: a file one replica
    /// keeps on its own disk is not there for the others.
    #[serde(default = "one")]
    pub replicas: u32,
    /// Where attachment bytes go (`[objects]`): local files under `data_dir/objects` unless
    /// `store = "s3"`.
    #[serde(default)]
    pub objects: ObjectsConfig,
    /// The web console (`[console]`).
    #[serde(default)]
    pub console: ConsoleConfig,
}

/// `[console]`: the web back office this process serves, and its session cookie.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleConfig {
    /// The built console (`console/dist`): served at `/`, with `index.html` for every page
    /// path. None: the API only.
    #[serde(default)]
    pub dir: Option<PathBuf>,
    /// Mark the session cookie `Secure` (sent over HTTPS only). Leave on in production; the
    /// loopback demo and tests, served over plain HTTP, turn it off.
    #[serde(default = "default_true")]
    pub secure_cookie: bool,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        ConsoleConfig {
            dir: None,
            secure_cookie: true,
        }
    }
}

fn default_true() -> bool {
    true
}

/// `[objects]`: the object store for attachments, face photos and pass thumbnails.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectsConfig {
    /// `"local"` (files under `data_dir/objects`, the default) or `"s3"` (then `[objects.s3]`).
    #[serde(default)]
    pub store: ObjectStoreKind,
    pub s3: Option<S3Config>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectStoreKind {
    #[default]
    Local,
    S3,
}

/// `[objects.s3]`: an S3-compatible store (AWS S3, MinIO, Ceph RGW, …). The bucket must exist;
/// the cloud checks it at start.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    /// `http://` or `https://` endpoint, e.g. `https://s3.eu-west-1.amazonaws.com`.
    pub endpoint: String,
    pub bucket: String,
    #[serde(default = "default_s3_region")]
    pub region: String,
    /// `"path"` (`endpoint/bucket/key`, what most self-hosted stores want) or `"virtual_host"`
    /// (`bucket.endpoint/key`).
    #[serde(default)]
    pub url_style: S3UrlStyle,
    pub access_key_id: String,
    /// Name of the environment variable holding the secret access key (never the key itself:
    /// config files get copied and logged).
    pub secret_access_key_env: String,
    /// Per request, for the whole exchange.
    #[serde(default = "default_s3_timeout_seconds")]
    pub timeout_seconds: u64,
    /// Read from `secret_access_key_env` when the file is loaded.
    #[serde(skip)]
    pub secret_access_key: Secret,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum S3UrlStyle {
    #[default]
    Path,
    VirtualHost,
}

/// A secret that never shows in `Debug` output or logs.
#[derive(Clone, Default)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

fn default_s3_region() -> String {
    "us-east-1".into()
}
fn default_s3_timeout_seconds() -> u64 {
    30
}

fn one() -> u32 {
    1
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
fn default_signup_max_per_address() -> u32 {
    30
}
fn default_signup_window_seconds() -> u64 {
    600
}
fn default_visit_requests_per_day() -> u32 {
    10
}
fn default_visit_pending_per_host() -> u32 {
    2
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
        if cfg.signup_max_per_address == 0 {
            return bad("signup_max_per_address", "must be at least 1");
        }
        if !(1..=86_400).contains(&cfg.signup_window_seconds) {
            return bad("signup_window_seconds", "must be within 1..=86400");
        }
        if cfg.visit_requests_per_day == 0 {
            return bad("visit_requests_per_day", "must be at least 1");
        }
        if cfg.visit_pending_per_host == 0 {
            return bad("visit_pending_per_host", "must be at least 1");
        }
        if cfg
            .metrics_token
            .as_ref()
            .is_some_and(|t| t.trim().len() < 16)
        {
            return bad("metrics_token", "must be at least 16 characters");
        }
        if cfg.replicas == 0 {
            return bad("replicas", "must be at least 1");
        }
        if cfg.replicas > 1 && cfg.database_url.starts_with("sqlite:") {
            return bad(
                "replicas",
                "more than one replica needs PostgreSQL (database_url = \"postgres://…\"): SQLite is served by one process",
            );
        }
        if cfg.replicas > 1 && cfg.objects.store == ObjectStoreKind::Local {
            return bad(
                "objects.store",
                "more than one replica needs store = \"s3\": files under one replica's data_dir are not on the others",
            );
        }
        if let Some(dir) = &cfg.console.dir {
            if !dir.join("index.html").is_file() {
                return Err(ConfigError::new(
                    file,
                    "console.dir",
                    format!(
                        "{} has no index.html (build the console: `npm ci && npm run build` in console/)",
                        dir.display()
                    ),
                ));
            }
        }
        match (cfg.objects.store, cfg.objects.s3.as_mut()) {
            (ObjectStoreKind::Local, _) => {}
            (ObjectStoreKind::S3, None) => {
                return bad("objects.s3", "store = \"s3\" needs an [objects.s3] table");
            }
            (ObjectStoreKind::S3, Some(s3)) => {
                if !(s3.endpoint.starts_with("http://") || s3.endpoint.starts_with("https://")) {
                    return bad("objects.s3.endpoint", "must start with http:// or https://");
                }
                let bucket_ok = (3..=63).contains(&s3.bucket.len())
                    && s3.bucket.bytes().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'.'
                    });
                if !bucket_ok {
                    return bad(
                        "objects.s3.bucket",
                        "must be 3..=63 characters of a-z 0-9 - . (an S3 bucket name)",
                    );
                }
                if s3.access_key_id.trim().is_empty() {
                    return bad("objects.s3.access_key_id", "must not be empty");
                }
                if !(1..=600).contains(&s3.timeout_seconds) {
                    return bad("objects.s3.timeout_seconds", "must be within 1..=600");
                }
                match std::env::var(&s3.secret_access_key_env) {
                    Ok(v) if !v.is_empty() => s3.secret_access_key = Secret(v),
                    _ => {
                        return Err(ConfigError::new(
                            file,
                            "objects.s3.secret_access_key_env",
                            format!(
                            "environment variable `{}` is not set (it holds the secret access key)",
                            s3.secret_access_key_env
                        ),
                        ))
                    }
                }
            }
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

    #[test]
    fn more_than_one_replica_needs_postgres_and_s3() {
        let p = Path::new("x.toml");
        let base = "listen = \"127.0.0.1:1\"\ndata_dir = \"d\"\n";
        let e = CloudConfig::parse(p, &format!("{base}replicas = 0\n")).unwrap_err();
        assert_eq!(e.field, "replicas");
        let e = CloudConfig::parse(p, &format!("{base}replicas = 3\n")).unwrap_err();
        assert_eq!(e.field, "replicas");
        assert!(e.reason.contains("PostgreSQL"), "{e}");
        let pg = format!("{base}replicas = 3\ndatabase_url = \"postgres://u@h/db\"\n");
        let e = CloudConfig::parse(p, &pg).unwrap_err();
        assert_eq!(e.field, "objects.store");
        assert!(e.reason.contains("s3"), "{e}");
        assert_eq!(CloudConfig::parse(p, base).unwrap().replicas, 1);
    }

    #[test]
    fn s3_store_settings_are_checked() {
        let p = Path::new("x.toml");
        let base = "listen = \"127.0.0.1:1\"\ndata_dir = \"d\"\n[objects]\nstore = \"s3\"\n";
        let e = CloudConfig::parse(p, base).unwrap_err();
        assert_eq!(e.field, "objects.s3");
        let s3 = |endpoint: &str, bucket: &str, env: &str| {
            format!(
                "{base}[objects.s3]\nendpoint = \"{endpoint}\"\nbucket = \"{bucket}\"\n\
                 access_key_id = \"AK\"\nsecret_access_key_env = \"{env}\"\n"
            )
        };
        let e = CloudConfig::parse(p, &s3("ftp://x", "cases", "HOME")).unwrap_err();
        assert_eq!(e.field, "objects.s3.endpoint");
        let e = CloudConfig::parse(p, &s3("http://x", "Cases_1", "HOME")).unwrap_err();
        assert_eq!(e.field, "objects.s3.bucket");
        let e = CloudConfig::parse(
            p,
            &s3("http://x", "cases", "CLOUD_TEST_SURELY_UNSET_SECRET"),
        )
        .unwrap_err();
        assert_eq!(e.field, "objects.s3.secret_access_key_env");
        assert!(e.reason.contains("CLOUD_TEST_SURELY_UNSET_SECRET"), "{e}");
        // HOME is set in any test environment; the value is kept and never shown.
        let cfg = CloudConfig::parse(p, &s3("http://x", "cases", "HOME")).unwrap();
        let s3 = cfg.objects.s3.unwrap();
        assert!(!s3.secret_access_key.0.is_empty());
        assert_eq!(format!("{:?}", s3.secret_access_key), "Secret(***)");
    }
}
