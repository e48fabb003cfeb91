//! The box's link to the cloud core (protocol: `edge_sync::sync`).
//!
//! - `provision`: exchange a one-time code for an identity; writes the identity file and the
//!   box's private key, which `[cloud] identity_file` then points at.
//! - Three tasks, each the sole owner of its side of the link:
//!   *downlink* polls directory deltas and hands each to the gatekeeper, which applies it with
//!   its cursor in one transaction; *uplink* is the only reader that advances the outbox cursor
//!   and only after the cloud acknowledged a batch (alarms go before passes); *commands* holds
//!   the long-poll and runs each signed one-tap through the same gatekeeper path as the local
//!   API, then reports the outcome.
//! - [`Backoff`] (sans-IO) spaces retries while the cloud is away: exponential, full jitter.
//! - [`wire`]: the directory wire types and their conversions into domain types (also used by
//!   the store, the owner tasks and the local API).
//!
//! The box never needs the cloud to decide: all three tasks may fail for days.

pub mod wire;

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::SigningKey;
use edge_sync::sync::{
    CommandBatchV1, CommandOutcomeV1, DownDeltaV1, ProvisionRequestV1, ProvisionResponseV1,
    UplinkAckV1, UplinkBatchV1, SYNC_VERSION,
};
use tokio::sync::watch;

use crate::access::Decision;
use crate::cloud::wire::IntoDomain;
use crate::gate::keeper::{GatekeeperHandle, OneTapError};
use crate::store::Store;

pub use crate::config::cloud::{CloudLink, CloudLinkConfig, IdentityFileV1};

#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error("cannot reach the cloud at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("the cloud refused: {0}")]
    Refused(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("{0} already exists; move it away to provision again")]
    Exists(String),
}

/// Provision this box: new key pair, register its public half with the code, write the
/// identity file and the key. Returns the identity written.
pub async fn provision(
    cloud_url: &str,
    code: &str,
    out_dir: &Path,
) -> Result<(IdentityFileV1, PathBuf), ProvisionError> {
    let identity_path = out_dir.join("cloud-identity.toml");
    let key_path = out_dir.join("box.key");
    for p in [&identity_path, &key_path] {
        if p.exists() {
            return Err(ProvisionError::Exists(p.display().to_string()));
        }
    }
    let key = {
        use rand::RngCore;
        let mut seed = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut seed);
        SigningKey::from_bytes(&seed)
    };
    let url = format!("{}/v1/edge/provision", cloud_url.trim_end_matches('/'));
    let req = ProvisionRequestV1 {
        version: SYNC_VERSION,
        code: code.trim().to_string(),
        public_key: edge_sync::onetap::encode_public_key(&key.verifying_key()),
    };
    let unreachable = |e: reqwest::Error| ProvisionError::Unreachable {
        url: url.clone(),
        reason: e.to_string(),
    };
    let resp = reqwest::Client::new()
        .post(&url)
        .timeout(Duration::from_secs(20))
        .json(&req)
        .send()
        .await
        .map_err(unreachable)?;
    let status = resp.status();
    let body = resp.text().await.map_err(unreachable)?;
    if !status.is_success() {
        return Err(ProvisionError::Refused(format!("{status}: {body}")));
    }
    let r: ProvisionResponseV1 = serde_json::from_str(&body)
        .map_err(|e| ProvisionError::Refused(format!("unreadable answer: {e}")))?;
    let write = |path: &Path, text: &str, private: bool| -> Result<(), ProvisionError> {
        let err = |source| ProvisionError::Write {
            path: path.display().to_string(),
            source,
        };
        std::fs::create_dir_all(out_dir).map_err(err)?;
        let readers = if private {
            crate::files::Readers::Owner
        } else {
            crate::files::Readers::Default
        };
        crate::files::write_new(path, text.as_bytes(), readers).map_err(err)
    };
    let identity = IdentityFileV1 {
        version: 1,
        cloud_url: cloud_url.trim_end_matches('/').to_string(),
        box_id: r.box_id,
        box_name: r.box_name,
        community_id: r.community_id,
        estate_id: r.estate_id,
        onetap_public_key: r.onetap_public_key,
        key_file: PathBuf::from("box.key"),
        doors: r.doors,
    };
    // Key first: an identity file never points at a key that is not there.
    write(&key_path, &B64.encode(key.to_bytes()), true)?;
    let text =
        toml::to_string_pretty(&identity).map_err(|e| ProvisionError::Refused(e.to_string()))?;
    write(
        &identity_path,
        &format!("# Written by `edge-daemon provision`. Point [cloud] identity_file here.\n{text}"),
        false,
    )?;
    Ok((identity, identity_path))
}

/// Retry spacing while the cloud is away: exponential from `base_ms` up to `max_ms`, full
/// jitter (a fleet of boxes coming back after an outage does not arrive in lock-step). Sans-IO:
/// the caller passes the random draw.
#[derive(Debug, Clone)]
pub struct Backoff {
    base_ms: u64,
    max_ms: u64,
    failures: u32,
}

impl Backoff {
    pub fn new(base_ms: u64, max_ms: u64) -> Backoff {
        Backoff {
            base_ms,
            max_ms,
            failures: 0,
        }
    }
    /// After a failure: how long to wait, for a draw `unit` in [0, 1).
    pub fn failed(&mut self, unit: f64) -> Duration {
        let cap = self.cap_ms();
        self.failures = self.failures.saturating_add(1);
        let unit = unit.clamp(0.0, 1.0);
        // At least base/2, so a zero draw does not spin.
        Duration::from_millis(((cap as f64 * unit) as u64).max(self.base_ms / 2))
    }
    fn cap_ms(&self) -> u64 {
        let exp = self.base_ms.saturating_mul(1u64 << self.failures.min(20));
        exp.min(self.max_ms)
    }
    pub fn succeeded(&mut self) {
        self.failures = 0;
    }
    pub fn failures(&self) -> u32 {
        self.failures
    }
    /// Log the first failure of a streak and every 20th after it: a link down for hours
    /// stays visible without flooding the journal.
    pub fn worth_logging(&self) -> bool {
        self.failures == 1 || self.failures.is_multiple_of(20)
    }
}

/// A signed HTTP client for one box. Requests are signed with the box's best guess of now
/// ([`crate::os_clock::BoxTime`]); every answer's signed cloud time goes to the gatekeeper,
/// and a refusal for a request time too far off is answered by re-signing once with the time
/// the refusal stated (`edge_sync::auth`).
#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    base: String,
    box_id: String,
    key: SigningKey,
    /// The cloud's key (the one-tap key): it signs the time on every answer.
    cloud_key: ed25519_dalek::VerifyingKey,
    gate: GatekeeperHandle,
    timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
enum LinkError {
    #[error("cloud unreachable: {0}")]
    Transport(String),
    #[error("cloud answered {status}: {body}")]
    Status { status: u16, body: String },
    #[error("unreadable answer: {0}")]
    Decode(String),
    #[error("answer larger than {0} bytes")]
    TooLarge(usize),
}

impl Client {
    fn new(link: &CloudLink, gate: GatekeeperHandle) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: link.identity.cloud_url.clone(),
            box_id: link.identity.box_id.clone(),
            key: link.key.clone(),
            cloud_key: link.onetap_key,
            gate,
            timeout: Duration::from_millis(link.settings.request_timeout_ms),
        }
    }

    /// A request signed with the box key (`edge_sync::auth`), the one place requests are built;
    /// also returns the signature (the cloud's time statement is bound to it).
    fn signed(
        &self,
        method: reqwest::Method,
        path_and_query: &str,
        body: Vec<u8>,
        timeout: Duration,
    ) -> (reqwest::RequestBuilder, String) {
        let headers = edge_sync::auth::sign_request(
            &self.key,
            &self.box_id,
            method.as_str(),
            path_and_query,
            self.gate.time().now_ms(),
            &body,
        );
        let signature = headers[2].1.clone();
        let mut req = self
            .http
            .request(method, format!("{}{path_and_query}", self.base))
            .timeout(timeout);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req = req.header(
            edge_sync::auth::HEADER_SOFTWARE,
            concat!("edge-daemon/", env!("CARGO_PKG_VERSION")),
        );
        if !body.is_empty() {
            req = req.header("content-type", "application/json").body(body);
        }
        (req, signature)
    }

    /// One signed exchange: the answer's status and body (at most `max` bytes). The cloud's
    /// time on the answer is handed to the gatekeeper; a refusal for the request's time is
    /// retried once, signed with the time it stated.
    async fn exchange(
        &self,
        method: reqwest::Method,
        path_and_query: &str,
        body: Vec<u8>,
        timeout: Duration,
        max: usize,
    ) -> Result<(reqwest::StatusCode, Vec<u8>), LinkError> {
        let mut retried = false;
        loop {
            let (req, signature) =
                self.signed(method.clone(), path_and_query, body.clone(), timeout);
            let sent = crate::os_clock::mono_ms();
            let resp = req
                .send()
                .await
                .map_err(|e| LinkError::Transport(e.to_string()))?;
            let status = resp.status();
            let stated = edge_sync::auth::verify_time(
                &self.cloud_key,
                &self.box_id,
                &signature,
                header_text(&resp, edge_sync::auth::HEADER_CLOUD_TIME),
                header_text(&resp, edge_sync::auth::HEADER_CLOUD_TIME_SIGNATURE),
            );
            if resp.content_length().is_some_and(|n| n > max as u64) {
                return Err(LinkError::TooLarge(max));
            }
            let bytes = resp
                .bytes()
                .await
                .map_err(|e| LinkError::Transport(e.to_string()))?;
            let received = crate::os_clock::mono_ms();
            if bytes.len() > max {
                return Err(LinkError::TooLarge(max));
            }
            let skewed = status == reqwest::StatusCode::UNAUTHORIZED
                && error_code(&bytes).as_deref() == Some(edge_sync::auth::SKEW_ERROR_CODE);
            let heard = stated.is_ok();
            match stated {
                Ok(cloud_ms) => {
                    if let Some(r) =
                        crate::clock::Reference::from_exchange(cloud_ms, sent, received)
                    {
                        self.gate.heard_cloud(r, skewed).await;
                    }
                }
                // A refusal before the box's signature was checked carries no time; an answer
                // that passed the cloud's check but whose time does not verify is worth a word.
                Err(e) if status.is_success() => {
                    tracing::warn!(error = %e, "the cloud's time on an answer did not verify; ignored");
                }
                Err(_) => {}
            }
            if skewed && !retried && heard {
                retried = true;
                tracing::info!(
                    "the cloud refused the request's time; signed again with the cloud's time"
                );
                continue;
            }
            return Ok((status, bytes.to_vec()));
        }
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path_and_query: &str,
        body: Option<Vec<u8>>,
        extra_timeout: Duration,
    ) -> Result<Option<T>, LinkError> {
        let (status, bytes) = self
            .exchange(
                method,
                path_and_query,
                body.unwrap_or_default(),
                self.timeout + extra_timeout,
                usize::MAX,
            )
            .await?;
        if !status.is_success() {
            return Err(LinkError::Status {
                status: status.as_u16(),
                body: String::from_utf8_lossy(&bytes).chars().take(300).collect(),
            });
        }
        if status == reqwest::StatusCode::NO_CONTENT {
            return Ok(None);
        }
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| LinkError::Decode(e.to_string()))
    }

    /// A signed GET returning raw bytes (at most `max` of them).
    async fn get_bytes(&self, path: &str, max: usize) -> Result<Vec<u8>, String> {
        match self
            .exchange(
                reqwest::Method::GET,
                path,
                Vec::new(),
                self.timeout * 4,
                max,
            )
            .await
        {
            Ok((status, _)) if !status.is_success() => {
                Err(format!("cloud answered {}", status.as_u16()))
            }
            Ok((_, bytes)) => Ok(bytes),
            Err(LinkError::TooLarge(max)) => Err(format!("photo larger than {max} bytes")),
            Err(e) => Err(e.to_string()),
        }
    }
}

fn header_text<'a>(resp: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    resp.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The `code` of the cloud's error body (`{"error": {"code", …}}`), if it is one.
fn error_code(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Inner {
        code: String,
    }
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        error: Inner,
    }
    serde_json::from_slice::<ErrorBody>(body)
        .ok()
        .map(|b| b.error.code)
}

fn jitter() -> f64 {
    rand::random::<f64>()
}

/// Start the three link tasks; they end when `stop` turns true.
pub fn start(
    link: &CloudLink,
    store: Store,
    gate: GatekeeperHandle,
    sensors: Option<crate::sensors::keeper::SensorHandle>,
    face_kick: Option<crate::face::enrol::EnrolKick>,
    config: ConfigLink,
    stop: watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let client = Client::new(link, gate.clone());
    let s = link.settings.clone();
    let tasks = vec![
        tokio::spawn(downlink(
            client.clone(),
            s.clone(),
            store.clone(),
            gate.clone(),
            sensors,
            face_kick,
            config,
            stop.clone(),
        )),
        tokio::spawn(uplink(client.clone(), s.clone(), store, stop.clone())),
        tokio::spawn(commands(client, s, gate, stop)),
    ];
    tracing::info!(cloud = %link.identity.cloud_url, "cloud link started");
    tasks
}

/// Sleep, or return true at once if the daemon is stopping.
async fn pause(stop: &mut watch::Receiver<bool>, d: Duration) -> bool {
    if *stop.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => *stop.borrow(),
        _ = stop.changed() => true,
    }
}

/// What the downlink needs to judge the configuration revisions the cloud sends
/// ([`crate::config::overlay`]) and to say what the box runs.
#[derive(Debug)]
pub struct ConfigLink {
    /// The box's TOML file (read again for each judgement).
    pub file: std::path::PathBuf,
    pub state_path: std::path::PathBuf,
    pub state: crate::config::overlay::OverlayState,
    /// What runs now; sent once per start and after each refusal.
    pub report: edge_sync::boxconfig::BoxConfigReportV1,
    /// Turned true when a revision was applied: the daemon restarts its rooms on it.
    pub restart: watch::Sender<bool>,
}

impl ConfigLink {
    /// Judge a revision newer than the last judged: `Some(true)` when the daemon must restart
    /// on it, `Some(false)` when it was refused, `None` when there was nothing to judge. A state
    /// that cannot be saved is not acted on (the revision comes again).
    fn take(&mut self, sent: &edge_sync::boxconfig::BoxConfigV1) -> Option<bool> {
        use crate::config::overlay::{judge, save_state, Judgement};
        if sent.revision <= self.state.judged() {
            return None;
        }
        let (state, apply) = match judge(&self.file, &self.state, sent) {
            Judgement::Apply(st) => (st, true),
            Judgement::Refuse(st) => (st, false),
        };
        if let Err(e) = save_state(&self.state_path, &state) {
            tracing::error!(error = %e, revision = sent.revision, "configuration from the cloud not saved; it will be judged again");
            return None;
        }
        match &state.refused {
            Some(r) if !apply => {
                tracing::warn!(revision = r.revision, field = %r.field, reason = %r.reason, "configuration from the cloud refused; the box keeps what it runs");
                self.report.refused = Some(r.clone());
            }
            _ => tracing::info!(
                revision = sent.revision,
                "configuration from the cloud accepted; restarting on it"
            ),
        }
        self.state = state;
        Some(apply)
    }
}

#[allow(clippy::too_many_arguments)]
async fn downlink(
    c: Client,
    s: CloudLinkConfig,
    store: Store,
    gate: GatekeeperHandle,
    sensors: Option<crate::sensors::keeper::SensorHandle>,
    face_kick: Option<crate::face::enrol::EnrolKick>,
    mut config: ConfigLink,
    mut stop: watch::Receiver<bool>,
) {
    let mut backoff = Backoff::new(500, s.backoff_max_ms);
    let mut reported = false;
    loop {
        let mut restart = false;
        if !reported {
            let body = serde_json::to_vec(&config.report).unwrap_or_default();
            match c
                .call::<serde_json::Value>(
                    reqwest::Method::POST,
                    "/v1/edge/config/report",
                    Some(body),
                    Duration::ZERO,
                )
                .await
            {
                Ok(_) => reported = true,
                Err(e) => tracing::debug!(error = %e, "configuration report not delivered yet"),
            }
        }
        let cursor = match store.directory_cursor() {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the directory cursor");
                if pause(&mut stop, Duration::from_secs(5)).await {
                    return;
                }
                continue;
            }
        };
        let path = format!(
            "/v1/edge/sync/down?cursor={cursor}&config={}",
            config.state.judged()
        );
        let result = c
            .call::<DownDeltaV1>(reqwest::Method::GET, &path, None, Duration::ZERO)
            .await;
        let wait = match result {
            Ok(Some(delta)) => {
                let more = delta.more;
                let to = delta.cursor;
                // A revision applied restarts the rooms once the rest of the delta is in; a
                // refusal is reported at once.
                match delta.config.as_ref().and_then(|sent| config.take(sent)) {
                    Some(true) => restart = true,
                    Some(false) => reported = false,
                    None => {}
                }
                // Settings come with every delta; stored when they change.
                if let Some(settings) = &delta.settings {
                    match store.put_box_settings(settings) {
                        Ok(true) => tracing::info!(
                            face_thumbnail_upload = settings.face_thumbnail_upload,
                            face_thumbnail_retention_days = settings.face_thumbnail_retention_days,
                            "community settings changed"
                        ),
                        Ok(false) => {}
                        Err(e) => tracing::error!(error = %e, "community settings not stored"),
                    }
                }
                let empty = delta.people.is_empty()
                    && delta.removed_people.is_empty()
                    && delta.grants.is_empty()
                    && delta.doors.is_empty()
                    && delta.sensors.is_empty()
                    && delta.alarm_actions.is_empty();
                match delta.into_domain("delta") {
                    Err(e) => {
                        // A delta we cannot read is not applied (and the cursor stays): retry
                        // later; a newer cloud or a fixed record will get past it.
                        tracing::error!(error = %e, "directory delta refused");
                        backoff.failed(jitter())
                    }
                    Ok(d) if empty && to == cursor => {
                        let _ = d;
                        backoff.succeeded();
                        Duration::from_millis(s.sync_interval_ms)
                    }
                    Ok(d) => {
                        let (cloud_sensors, actions) =
                            (d.sensors.clone(), !d.alarm_actions.is_empty());
                        match gate.apply_delta(d).await {
                            Some(Ok(())) => {
                                if let Some(k) = &face_kick {
                                    k.kick();
                                }
                                // After the commit: the sensor keeper registers what is now stored
                                // and applies the alarm actions the delta kept pending (a crash
                                // here leaves them pending: applied at the keeper's next start).
                                if let Some(sh) = &sensors {
                                    if !cloud_sensors.is_empty() || actions {
                                        let _ = sh
                                            .tx
                                            .send(crate::sensors::keeper::SensorMsg::Cloud {
                                                sensors: cloud_sensors,
                                                actions,
                                            })
                                            .await;
                                    }
                                }
                                backoff.succeeded();
                                if more {
                                    Duration::ZERO
                                } else {
                                    Duration::from_millis(s.sync_interval_ms)
                                }
                            }
                            Some(Err(e)) => {
                                tracing::error!(error = %e, "directory delta could not be stored");
                                backoff.failed(jitter())
                            }
                            None => return,
                        }
                    }
                }
            }
            Ok(None) => backoff.failed(jitter()),
            Err(e) => {
                let d = backoff.failed(jitter());
                if backoff.worth_logging() {
                    tracing::warn!(error = %e, retry_in_ms = d.as_millis() as u64, failures = backoff.failures(), "directory sync failed");
                }
                d
            }
        };
        if restart {
            // The daemon stops its rooms and starts them again on the saved revision.
            let _ = config.restart.send(true);
            return;
        }
        if pause(&mut stop, wait).await {
            return;
        }
    }
}

async fn uplink(c: Client, s: CloudLinkConfig, store: Store, mut stop: watch::Receiver<bool>) {
    let mut backoff = Backoff::new(500, s.backoff_max_ms);
    loop {
        let wait = match uplink_once(&c, &s, &store).await {
            Ok(0) => {
                backoff.succeeded();
                Duration::from_millis(250)
            }
            Ok(_) => {
                backoff.succeeded();
                Duration::ZERO
            }
            Err(e) => {
                let d = backoff.failed(jitter());
                if backoff.worth_logging() {
                    tracing::warn!(error = %e, retry_in_ms = d.as_millis() as u64, failures = backoff.failures(), outbox = store.outbox_depth(), "uplink failed; records stay in the outbox");
                }
                d
            }
        };
        if pause(&mut stop, wait).await {
            return;
        }
    }
}

/// Send one batch (alarms first, else the oldest records). Returns how many were acknowledged.
async fn uplink_once(c: &Client, s: &CloudLinkConfig, store: &Store) -> Result<usize, String> {
    let alarms = store
        .pending_alarms(s.uplink_batch)
        .map_err(|e| e.to_string())?;
    let (entries, alarms_only) = if alarms.is_empty() {
        (
            store
                .outbox_entries(s.uplink_batch)
                .map_err(|e| e.to_string())?,
            false,
        )
    } else {
        (alarms, true)
    };
    if entries.is_empty() {
        return Ok(0);
    }
    let upload_thumbnails = store
        .box_settings()
        .map(|s| s.face_thumbnail_upload)
        .unwrap_or(false);
    let mut records: Vec<_> = entries.iter().map(|(_, item)| item.to_wire()).collect();
    let mut entries = entries;
    if upload_thumbnails {
        attach_thumbnails(store, &mut records);
        // Thumbnails make records ~22 KB: keep a batch under the cloud's body limit by bytes,
        // not only by count (the rest goes in the next batch).
        let keep = within_bytes(&records, MAX_BATCH_BYTES);
        records.truncate(keep);
        entries.truncate(keep);
    }
    let batch = UplinkBatchV1 {
        version: SYNC_VERSION,
        records,
    };
    let body = serde_json::to_vec(&batch).map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    let ack: UplinkAckV1 = c
        .call(
            reqwest::Method::POST,
            "/v1/edge/sync/up",
            Some(body),
            Duration::ZERO,
        )
        .await
        .map_err(|e| e.to_string())?
        .ok_or("empty acknowledgement")?;
    // Acknowledged durably by the cloud: only now may the outbox move.
    if alarms_only {
        let keys: Vec<Vec<u8>> = entries.iter().map(|(k, _)| k.clone()).collect();
        store.ack_alarms(&keys).map_err(|e| e.to_string())?;
    } else if let Some((last, _)) = entries.last() {
        store.ack_through(last).map_err(|e| e.to_string())?;
    }
    tracing::debug!(
        records = entries.len(),
        stored = ack.stored,
        duplicates = ack.duplicates,
        alarms_only,
        duration_ms = started.elapsed().as_secs_f64() * 1000.0,
        "uplink batch acknowledged"
    );
    Ok(entries.len())
}

/// The cloud's default request body limit is 2 MiB; batches stay well under it.
const MAX_BATCH_BYTES: usize = 1536 * 1024;

/// How many leading records fit in `budget` bytes of JSON (always at least one).
fn within_bytes(records: &[edge_sync::sync::UplinkRecordV1], budget: usize) -> usize {
    let mut used = 0;
    for (i, r) in records.iter().enumerate() {
        used += serde_json::to_vec(r).map_or(0, |v| v.len()) + 1;
        if used > budget {
            return i.max(1);
        }
    }
    records.len()
}

/// Face passes go up with their thumbnail when the community allows it (and it is still kept).
fn attach_thumbnails(store: &Store, records: &mut [edge_sync::sync::UplinkRecordV1]) {
    use base64::Engine as _;
    for r in records {
        if let edge_sync::sync::UplinkRecordV1::Pass(p) = r {
            if p.method != "face" {
                continue;
            }
            match store.thumbnail(p.id) {
                Ok(Some(jpeg)) if jpeg.len() <= edge_sync::sync::limits::THUMBNAIL => {
                    p.face_thumbnail = Some(base64::engine::general_purpose::STANDARD.encode(jpeg));
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "face thumbnail unreadable; sent without"),
            }
        }
    }
}

/// What the cloud answered one signed, read-only request (`edge-daemon doctor`).
#[derive(Debug, Clone)]
pub struct CloudProbe {
    pub status: u16,
    /// The error code of a refusal (`clock_skew`, `unauthenticated`, `forbidden`, …).
    pub code: Option<String>,
    pub round_trip_ms: u64,
    /// The cloud's signed time on the answer, checked against its key; `None` if it carried none.
    pub cloud_ms: Option<i64>,
    /// This box's wall clock when the answer came.
    pub wall_ms: i64,
}

/// Ask the cloud for the directory past its end (changes nothing, takes nothing: unlike the
/// command poll, which would take queued one-taps), signed with the box's key and wall clock.
pub async fn probe(link: &CloudLink, timeout: Duration) -> Result<CloudProbe, String> {
    let pq = format!("/v1/edge/sync/down?cursor={}", i64::MAX);
    let headers = edge_sync::auth::sign_request(
        &link.key,
        &link.identity.box_id,
        "GET",
        &pq,
        crate::os_clock::wall_ms(),
        b"",
    );
    let signature = headers[2].1.clone();
    let mut req = reqwest::Client::new()
        .get(format!("{}{pq}", link.identity.cloud_url))
        .timeout(timeout);
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let sent = std::time::Instant::now();
    let resp = req.send().await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let cloud_ms = edge_sync::auth::verify_time(
        &link.onetap_key,
        &link.identity.box_id,
        &signature,
        header_text(&resp, edge_sync::auth::HEADER_CLOUD_TIME),
        header_text(&resp, edge_sync::auth::HEADER_CLOUD_TIME_SIGNATURE),
    )
    .ok();
    let body = resp.bytes().await.map_err(|e| e.to_string())?;
    Ok(CloudProbe {
        status,
        code: (status >= 400).then(|| error_code(&body)).flatten(),
        round_trip_ms: sent.elapsed().as_millis() as u64,
        cloud_ms,
        wall_ms: crate::os_clock::wall_ms(),
    })
}

/// Fetches face photos from the cloud with the box's signature (for the enroller).
pub fn photo_fetcher(link: &CloudLink, gate: GatekeeperHandle) -> crate::face::enrol::PhotoFetcher {
    let c = Client::new(link, gate);
    std::sync::Arc::new(move |id: String| {
        let c = c.clone();
        Box::pin(async move {
            c.get_bytes(&format!("/v1/edge/face-photos/{id}"), 8 << 20)
                .await
        })
    })
}

async fn commands(
    c: Client,
    s: CloudLinkConfig,
    gate: GatekeeperHandle,
    mut stop: watch::Receiver<bool>,
) {
    let mut backoff = Backoff::new(500, s.backoff_max_ms);
    let path = format!("/v1/edge/commands?wait_ms={}", s.long_poll_ms);
    loop {
        let poll = c.call::<CommandBatchV1>(
            reqwest::Method::GET,
            &path,
            None,
            Duration::from_millis(s.long_poll_ms),
        );
        let result = tokio::select! {
            r = poll => r,
            _ = stop.changed() => return,
        };
        match result {
            Ok(Some(batch)) => {
                backoff.succeeded();
                for cmd in batch.commands {
                    // Each command runs on its own task: a slow gate must not hold up the poll.
                    let (c, gate) = (c.clone(), gate.clone());
                    tokio::spawn(async move { run_command(&c, &gate, cmd).await });
                }
            }
            Ok(None) => {}
            Err(e) => {
                let d = backoff.failed(jitter());
                if backoff.worth_logging() {
                    tracing::warn!(error = %e, retry_in_ms = d.as_millis() as u64, "command poll failed");
                }
                if pause(&mut stop, d).await {
                    return;
                }
            }
        }
    }
}

async fn run_command(c: &Client, gate: &GatekeeperHandle, cmd: edge_sync::SignedCommand) {
    // The command id is inside the signed payload; read it only to report back.
    let command_id = B64
        .decode(&cmd.payload)
        .ok()
        .and_then(|b| serde_json::from_slice::<edge_sync::OneTapCommandV1>(&b).ok())
        .map(|c| c.command_id);
    let (opened, reason) = match gate.one_tap(cmd).await {
        None => return,
        Some(Err(OneTapError::Invalid(e))) => {
            tracing::warn!(error = %e, "cloud one-tap command refused");
            (false, "invalid_command".to_string())
        }
        Some(Err(OneTapError::Replayed)) => (false, "replayed".to_string()),
        Some(Err(OneTapError::Store(e))) => {
            tracing::error!(error = %e, "one-tap could not be recorded");
            (false, "not_recorded".to_string())
        }
        Some(Ok(out)) => {
            let recorded = matches!(out.durable.await, Ok(Ok(_)));
            let opened = match out.opened {
                Some(rx) => rx.await.map_or(Err("driver gone".to_string()), |r| {
                    r.map_err(|e| e.to_string())
                }),
                None => Ok(()),
            };
            match (&out.decision, opened, recorded) {
                (_, _, false) => (false, "not_recorded".to_string()),
                (Decision::Deny { .. }, _, _) => (false, out.decision.reason_code().to_string()),
                (Decision::Allow { .. }, Ok(()), _) => {
                    (true, out.decision.reason_code().to_string())
                }
                (Decision::Allow { .. }, Err(e), _) => {
                    tracing::warn!(error = %e, "allowed one-tap did not open the door");
                    (false, "device_unavailable".to_string())
                }
            }
        }
    };
    let Some(command_id) = command_id else { return };
    let outcome = CommandOutcomeV1 {
        version: SYNC_VERSION,
        command_id,
        opened,
        reason,
    };
    let body = serde_json::to_vec(&outcome).unwrap_or_default();
    // The resident's app waits for this report: a report lost on the way (a cloud replica dying
    // under it) is sent again, on a new connection, while the app may still be waiting. A 4xx
    // answer is final (e.g. 404: the cloud has the outcome already, or gave up on the command).
    let mut wait = Duration::from_millis(100);
    for attempt in 1..=OUTCOME_ATTEMPTS {
        match c
            .call::<serde_json::Value>(
                reqwest::Method::POST,
                "/v1/edge/commands/outcome",
                Some(body.clone()),
                Duration::ZERO,
            )
            .await
        {
            Ok(_) => return,
            Err(LinkError::Status { status, .. }) if (400..500).contains(&status) => {
                tracing::debug!(status, %command_id, "one-tap outcome not taken; not sent again");
                return;
            }
            Err(e) if attempt < OUTCOME_ATTEMPTS => {
                tracing::info!(error = %e, %command_id, attempt, "one-tap outcome not delivered; sending it again");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(2));
            }
            Err(e) => {
                tracing::warn!(error = %e, %command_id, "could not report a one-tap outcome (the pass log still goes up)");
            }
        }
    }
}

/// How often a one-tap outcome is sent before giving up (≈ 10 s in all, inside the app's wait).
const OUTCOME_ATTEMPTS: u32 = 8;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn batches_with_thumbnails_are_cut_by_bytes() {
        let pass = |i: u128, thumb: usize| {
            edge_sync::sync::UplinkRecordV1::Pass(edge_sync::sync::PassV1 {
                id: uuid::Uuid::from_u128(i),
                at_ms: 1,
                door: "east".into(),
                person_id: "p".into(),
                method: "face".into(),
                allowed: true,
                reason: "resident".into(),
                grant_id: None,
                command_id: None,
                face_thumbnail: (thumb > 0).then(|| "A".repeat(thumb)),
            })
        };
        let small: Vec<_> = (0..500).map(|i| pass(i, 0)).collect();
        assert_eq!(within_bytes(&small, MAX_BATCH_BYTES), 500);
        let big: Vec<_> = (0..500).map(|i| pass(i, 21_848)).collect();
        let n = within_bytes(&big, MAX_BATCH_BYTES);
        assert!((60..80).contains(&n), "{n}");
        let body = serde_json::to_vec(&big[..n]).unwrap();
        assert!(body.len() < 2 * 1024 * 1024);
        // One record larger than the budget still goes (alone): the outbox never stalls.
        assert_eq!(within_bytes(&[pass(1, 3_000_000)], MAX_BATCH_BYTES), 1);
    }

    #[test]
    fn backoff_grows_to_its_cap_and_resets() {
        let mut b = Backoff::new(500, 30_000);
        assert_eq!(b.failed(0.999_999), Duration::from_millis(499));
        assert_eq!(b.failed(0.5), Duration::from_millis(500));
        assert_eq!(b.failed(1.0), Duration::from_millis(2_000));
        for _ in 0..30 {
            b.failed(0.5);
        }
        assert_eq!(b.failed(1.0), Duration::from_millis(30_000));
        b.succeeded();
        assert_eq!(b.failures(), 0);
        assert_eq!(b.failed(0.0), Duration::from_millis(250));
    }

    proptest! {
        #[test]
        fn backoff_stays_within_bounds(draws in proptest::collection::vec(any::<f64>(), 1..80), base in 1u64..5_000, max in 1_000u64..600_000) {
            let mut b = Backoff::new(base, max);
            for u in draws {
                let d = b.failed(if u.is_finite() { u.abs().fract() } else { 0.5 }).as_millis() as u64;
                prop_assert!(d >= base / 2);
                prop_assert!(d <= max.max(base / 2));
            }
        }
    }
}
