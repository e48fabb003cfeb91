//! Shared set-up for the end-to-end tests: a daemon started in-process on a temp store and a
//! config written like an installer would, a signing key standing in for the cloud, and an HTTP
//! client for the box's local API.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use edge_daemon::config::EdgeConfig;
use edge_daemon::daemon::Daemon;
use edge_sync::onetap::encode_public_key;
use edge_sync::{OneTapCommandV1, SignedCommand};
use serde_json::{json, Value};

pub const ADMIN: &str = "test-admin-token";
pub const RELAY: &str = "waveshare-relay-8ch";
pub const ESTATE: &str = "huayuan-east";
pub const COMMUNITY: &str = "huayuan";

pub fn profiles_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../device-profiles")
}

pub fn now_ms() -> i64 {
    edge_daemon::os_clock::wall_ms()
}

/// The config an installer would write: `devices` and `doors` are TOML fragments.
pub fn config_text(
    dir: &Path,
    key: &SigningKey,
    profiles: &Path,
    devices: &str,
    doors: &str,
) -> String {
    format!(
        r#"
profiles_dir = "{profiles}"
[box]
id = "box-test"
community = "{COMMUNITY}"
[store]
path = "{store}"
[api]
listen = "127.0.0.1:0"
onetap_public_key = "{pk}"
admin_token = "{ADMIN}"
[monitor]
poll_interval_ms = 50
offline_after_failures = 2
probe_interval_ms = 500
{devices}
{doors}
"#,
        profiles = profiles.display(),
        store = dir.join("store").display(),
        pk = encode_public_key(&key.verifying_key()),
    )
}

pub fn tcp_device(id: &str, profile: &str, slave: u8, addr: std::net::SocketAddr) -> String {
    format!("[[devices]]\nid = \"{id}\"\nprofile = \"{profile}\"\nslave_id = {slave}\n[devices.tcp]\naddress = \"{addr}\"\n")
}

pub fn rtu_device(id: &str, profile: &str, slave: u8, port: &Path) -> String {
    format!(
        "[[devices]]\nid = \"{id}\"\nprofile = \"{profile}\"\nslave_id = {slave}\n[devices.rtu]\nport = \"{}\"\nbaud = 9600\n",
        port.display()
    )
}

pub fn door(
    id: &str,
    estate: &str,
    device: &str,
    channel: u16,
    pulse_ms: u64,
    held_open_seconds: u64,
) -> String {
    format!(
        "[[doors]]\nid = \"{id}\"\nname = \"{id}\"\nestate = \"{estate}\"\ndevice = \"{device}\"\nchannel = {channel}\npulse_ms = {pulse_ms}\nheld_open_seconds = {held_open_seconds}\n"
    )
}

pub struct EdgeBox {
    pub daemon: Option<Daemon>,
    pub key: SigningKey,
    pub dir: PathBuf,
    pub config_path: PathBuf,
    pub base: String,
    pub http: reqwest::Client,
}

impl EdgeBox {
    /// Write the config into `dir`, load it exactly as `edge-daemon run` does, and start.
    pub async fn start(dir: &Path, key: SigningKey, config: &str) -> EdgeBox {
        let config_path = dir.join("edge.toml");
        std::fs::write(&config_path, config).unwrap();
        let cfg =
            EdgeConfig::load(&config_path).unwrap_or_else(|e| panic!("test config invalid: {e}"));
        let daemon = Daemon::start(cfg)
            .await
            .unwrap_or_else(|e| panic!("daemon start: {e}"));
        let base = format!("http://{}", daemon.api_addr);
        EdgeBox {
            daemon: Some(daemon),
            key,
            dir: dir.to_path_buf(),
            config_path,
            base,
            http: reqwest::Client::new(),
        }
    }

    pub async fn stop(&mut self) {
        if let Some(d) = self.daemon.take() {
            d.stop().await;
        }
    }

    /// Stop and start again from the same config file and store (a daemon restart).
    pub async fn restart(&mut self) {
        self.stop().await;
        let cfg = std::fs::read_to_string(&self.config_path).unwrap();
        let again = EdgeBox::start(&self.dir, self.key.clone(), &cfg).await;
        *self = again;
    }

    pub fn command(&self, door: &str, person: &str, ttl_ms: i64) -> SignedCommand {
        let now = now_ms();
        sign(&self.key, door, person, now, now + ttl_ms)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .json(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn one_tap(&self, cmd: &SignedCommand) -> (u16, Value) {
        self.post_json("/v1/onetap", &serde_json::to_value(cmd).unwrap())
            .await
    }

    pub async fn open(&self, door: &str, person: &str) -> (u16, Value) {
        let cmd = self.command(door, person, 30_000);
        self.one_tap(&cmd).await
    }

    pub async fn import(&self, directory: Value) {
        let r = self
            .http
            .put(format!("{}/v1/directory", self.base))
            .bearer_auth(ADMIN)
            .json(&directory)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status().as_u16(),
            200,
            "import failed: {}",
            r.text().await.unwrap()
        );
    }

    pub async fn status(&self) -> Value {
        self.http
            .get(format!("{}/v1/status", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Poll /v1/status until `pred` holds; panics with the last status after `within`.
    pub async fn wait_status(
        &self,
        within: Duration,
        what: &str,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let s = self.status().await;
            if pred(&s) {
                return s;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; last status: {s:#}");
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub fn store(&self) -> &edge_daemon::store::Store {
        &self.daemon.as_ref().unwrap().store
    }

    /// Alarm transitions recorded in the outbox, as (source, kind, state).
    /// The outbox's alarm records once `done` holds for them. The status the tests wait on is
    /// updated before the record is queued for the writer, so they may trail it a little.
    pub async fn outbox_alarms_when(
        &self,
        what: &str,
        done: impl Fn(&[(String, String, String)]) -> bool,
    ) -> Vec<(String, String, String)> {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let alarms = self.outbox_alarms();
            if done(&alarms) {
                return alarms;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "outbox never had {what}: {alarms:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn outbox_alarms(&self) -> Vec<(String, String, String)> {
        self.store()
            .outbox_head(100_000)
            .unwrap()
            .into_iter()
            .filter_map(|i| match i {
                edge_daemon::store::records::OutboxItemV1::Alarm(a) => {
                    Some((a.source, a.kind, a.state))
                }
                _ => None,
            })
            .collect()
    }
}

pub fn sign(
    key: &SigningKey,
    door: &str,
    person: &str,
    issued: i64,
    expires: i64,
) -> SignedCommand {
    let cmd = OneTapCommandV1 {
        version: 1,
        command_id: uuid::Uuid::now_v7(),
        community_id: COMMUNITY.into(),
        door_id: door.into(),
        person_id: person.into(),
        issued_at_ms: issued,
        expires_at_ms: expires,
    };
    SignedCommand::sign(&cmd, key)
}

pub fn test_key() -> SigningKey {
    use rand::RngCore as _;
    let mut seed = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut seed);
    SigningKey::from_bytes(&seed)
}

/// A resident of `estate`, a staff member, and a visitor invited by the resident.
pub fn directory(estate: &str, appointment_at_ms: i64) -> Value {
    json!({
        "version": 1,
        "people": [
            {"id": "res-1", "name": "Resident One", "kind": "resident",
             "addresses": [{"estate": estate, "building": "3", "unit": "1", "room": "502"}]},
            {"id": "res-other", "name": "Other Estate", "kind": "resident",
             "addresses": [{"estate": "elsewhere"}]},
            {"id": "vis-1", "name": "Visitor", "kind": "visitor"},
            {"id": "staff-1", "name": "Staff", "kind": "staff", "staff_all_estates": true}
        ],
        "grants": [
            {"id": "g-1", "visitor_id": "vis-1", "host_id": "res-1", "estate": estate,
             "appointment_at_ms": appointment_at_ms, "status": "approved"}
        ]
    })
}

pub fn has_alarm(status: &Value, source: &str, kind: &str) -> bool {
    status["alarms"]
        .as_array()
        .is_some_and(|a| a.iter().any(|x| x["source"] == source && x["kind"] == kind))
}

/// Start a box on the shipped profiles with the given `[[devices]]` and `[[doors]]` TOML, and
/// import the standard directory (resident of ESTATE, visitor invited for now, staff).
pub async fn start_box(tmp: &Path, devices: &str, doors: &str) -> EdgeBox {
    let key = test_key();
    let cfg = config_text(tmp, &key, &profiles_dir(), devices, doors);
    let edge = EdgeBox::start(tmp, key, &cfg).await;
    edge.import(directory(ESTATE, now_ms())).await;
    edge
}
