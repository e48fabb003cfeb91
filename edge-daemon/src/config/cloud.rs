//! `[cloud]` in the box config and the identity file provisioning writes: the cloud link's
//! settings, checked and resolved (identity loaded, keys read) at config time. Below `config`
//! and `cloud` both, so the config can hold the link's settings without knowing the link.

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use edge_sync::sync::{DoorV1, MAX_UPLINK_BATCH};
use serde::{Deserialize, Serialize};

use crate::config::error::ConfigError;

/// `[cloud]` in the box config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudLinkConfig {
    /// The identity file `edge-daemon provision` wrote (relative paths: to this config file).
    pub identity_file: PathBuf,
    /// How often the directory is polled for changes.
    #[serde(default = "default_sync_interval_ms")]
    pub sync_interval_ms: u64,
    /// Records per uplink batch (at most 1000).
    #[serde(default = "default_uplink_batch")]
    pub uplink_batch: usize,
    /// Longest wait between retries while the cloud is unreachable.
    #[serde(default = "default_backoff_max_ms")]
    pub backoff_max_ms: u64,
    /// How long the cloud may hold the command long-poll (at most 30000).
    #[serde(default = "default_long_poll_ms")]
    pub long_poll_ms: u64,
    /// Timeout of one request (the long-poll gets this on top of its wait).
    #[serde(default = "default_request_timeout_ms")]
    pub request_timeout_ms: u64,
    /// How often changed sensor states (reading, online) are reported to the cloud's registry.
    #[serde(default = "default_device_state_interval_ms")]
    pub device_state_interval_ms: u64,
}

fn default_sync_interval_ms() -> u64 {
    2_000
}
fn default_uplink_batch() -> usize {
    500
}
fn default_backoff_max_ms() -> u64 {
    30_000
}
fn default_long_poll_ms() -> u64 {
    25_000
}
fn default_request_timeout_ms() -> u64 {
    10_000
}
fn default_device_state_interval_ms() -> u64 {
    30_000
}

/// What `provision` writes: who the box is and whom it trusts. Versioned; additive changes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityFileV1 {
    pub version: u32,
    pub cloud_url: String,
    pub box_id: String,
    pub box_name: String,
    pub community_id: String,
    pub estate_id: String,
    /// base64 public key of the cloud's one-tap signer.
    pub onetap_public_key: String,
    /// File with the box's base64 Ed25519 private key (mode 0600), relative to this file.
    pub key_file: PathBuf,
    /// The doors the cloud registered for this box at provisioning time (`code` = `[[doors]] id`).
    #[serde(default)]
    pub doors: Vec<DoorV1>,
}

/// `[cloud]` resolved: identity loaded, key read.
#[derive(Debug, Clone)]
pub struct CloudLink {
    pub settings: CloudLinkConfig,
    pub identity: IdentityFileV1,
    pub key: SigningKey,
    pub onetap_key: ed25519_dalek::VerifyingKey,
}

impl CloudLinkConfig {
    pub fn resolve(
        &self,
        file: &Path,
        rel: &dyn Fn(&Path) -> PathBuf,
    ) -> Result<CloudLink, ConfigError> {
        let bad = |field: &str, reason: String| ConfigError::new(file, field, reason);
        if !(200..=3_600_000).contains(&self.sync_interval_ms) {
            return Err(bad(
                "cloud.sync_interval_ms",
                "must be within 200..=3600000".into(),
            ));
        }
        if !(1..=MAX_UPLINK_BATCH).contains(&self.uplink_batch) {
            return Err(bad(
                "cloud.uplink_batch",
                format!("must be within 1..={MAX_UPLINK_BATCH}"),
            ));
        }
        if !(1_000..=600_000).contains(&self.backoff_max_ms) {
            return Err(bad(
                "cloud.backoff_max_ms",
                "must be within 1000..=600000".into(),
            ));
        }
        if !(1_000..=edge_sync::sync::MAX_WAIT_MS).contains(&self.long_poll_ms) {
            return Err(bad(
                "cloud.long_poll_ms",
                "must be within 1000..=30000".into(),
            ));
        }
        if !(500..=120_000).contains(&self.request_timeout_ms) {
            return Err(bad(
                "cloud.request_timeout_ms",
                "must be within 500..=120000".into(),
            ));
        }
        if !(100..=3_600_000).contains(&self.device_state_interval_ms) {
            return Err(bad(
                "cloud.device_state_interval_ms",
                "must be within 100..=3600000".into(),
            ));
        }
        let path = rel(&self.identity_file);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            bad(
                "cloud.identity_file",
                format!(
                    "cannot read {}: {e} (run `edge-daemon provision` first)",
                    path.display()
                ),
            )
        })?;
        let identity: IdentityFileV1 = toml::from_str(&text).map_err(|e| {
            bad(
                "cloud.identity_file",
                format!("{}: {}", path.display(), e.message()),
            )
        })?;
        if identity.version != 1 {
            return Err(bad(
                "cloud.identity_file",
                format!("version {} is not supported", identity.version),
            ));
        }
        let onetap_key = edge_sync::onetap::parse_public_key(&identity.onetap_public_key)
            .map_err(|r| bad("cloud.identity_file", format!("onetap_public_key: {r}")))?;
        let key_path = if identity.key_file.is_absolute() {
            identity.key_file.clone()
        } else {
            path.parent()
                .unwrap_or(Path::new("."))
                .join(&identity.key_file)
        };
        let key_text = std::fs::read_to_string(&key_path).map_err(|e| {
            bad(
                "cloud.identity_file",
                format!("key file {}: {e}", key_path.display()),
            )
        })?;
        let key = edge_sync::onetap::parse_signing_key(key_text.trim()).map_err(|r| {
            bad(
                "cloud.identity_file",
                format!("key file {}: {r}", key_path.display()),
            )
        })?;
        if !(identity.cloud_url.starts_with("http://")
            || identity.cloud_url.starts_with("https://"))
        {
            return Err(bad(
                "cloud.identity_file",
                "cloud_url must start with http:// or https://".into(),
            ));
        }
        Ok(CloudLink {
            settings: self.clone(),
            identity,
            key,
            onetap_key,
        })
    }
}
