//! Helpers for the cloud tests: a cloud core in-process (on SQLite or a throwaway PostgreSQL)
//! or as its real binary, a small JSON API client, and a street built through the API.

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};

use std::path::PathBuf;
use std::time::Instant;

use crate::{free_port, workspace_bin, Postgres, Proc};

/// The local API token of boxes the cloud tests start.
pub const ADMIN_TOKEN: &str = "edge-admin-token-for-tests";

/// Run an `async fn scenario(Engine)` as two tests, `sqlite` and `postgres`, in a module named
/// after it: every cloud scenario runs on both engines.
#[macro_export]
macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::cloud::Engine::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::cloud::Engine::Postgres).await
            }
        }
    };
}

pub const PASSWORD: &str = "correct-horse-battery";

/// How long a binary may take to answer its health check: a debug build's first start on a
/// loaded 2-core CI machine has taken over 30 s (migrations, models). Only a failure waits it out.
const START_WAIT: Duration = Duration::from_secs(120);

/// Which database a cloud test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A database for one test: a SQLite file in `dir`, or a fresh PostgreSQL cluster.
pub struct TestDb {
    pub url: String,
    _pg: Option<Postgres>,
}

impl TestDb {
    pub fn new(engine: Engine, dir: &Path) -> TestDb {
        match engine {
            Engine::Sqlite => TestDb {
                url: format!("sqlite://{}?mode=rwc", dir.join("cloud.db").display()),
                _pg: None,
            },
            Engine::Postgres => {
                let pg = Postgres::start();
                TestDb {
                    url: pg.url.clone(),
                    _pg: Some(pg),
                }
            }
        }
    }
}

pub fn cloud_config(dir: &Path, db_url: &str, listen: &str) -> String {
    format!(
        "listen = \"{listen}\"\ndatabase_url = \"{db_url}\"\ndata_dir = \"{}\"\nlogin_max_failures = 5\nlogin_window_seconds = 60\nonetap_timeout_ms = 30000\n",
        dir.join("keys").display()
    )
}

/// The cloud core running inside the test process.
pub struct InProcess {
    pub running: Option<cloud_core::Running>,
    pub base: String,
}

impl InProcess {
    pub async fn start(dir: &Path, db_url: &str) -> InProcess {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("warn"))
            .with_test_writer()
            .try_init();
        let text = cloud_config(dir, db_url, "127.0.0.1:0");
        let cfg = cloud_core::config::CloudConfig::parse(Path::new("test.toml"), &text)
            .unwrap_or_else(|e| panic!("test cloud config: {e}"));
        Self::start_with(cfg).await
    }

    /// The test configuration for `dir` and `db_url` (to change before `start_with`).
    pub fn config(dir: &Path, db_url: &str) -> cloud_core::config::CloudConfig {
        let text = cloud_config(dir, db_url, "127.0.0.1:0");
        cloud_core::config::CloudConfig::parse(Path::new("test.toml"), &text)
            .unwrap_or_else(|e| panic!("test cloud config: {e}"))
    }

    /// Starts `cfg` with the contract check on every answer (what the suite uses).
    pub async fn start_with(cfg: cloud_core::config::CloudConfig) -> InProcess {
        Self::start_checked(cfg, true).await
    }

    /// `checked = false` serves without the contract check: only for benchmarks, which measure
    /// the product, not the suite's harness (the check re-reads and validates every body).
    pub async fn start_checked(cfg: cloud_core::config::CloudConfig, checked: bool) -> InProcess {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("warn"))
            .with_test_writer()
            .try_init();
        let running = cloud_core::start_layered(cfg, |r| {
            if checked {
                r.layer(axum::middleware::from_fn(crate::contract_check::layer))
            } else {
                r
            }
        })
        .await
        .unwrap_or_else(|e| panic!("cloud core did not start: {e}"));
        let base = format!("http://{}", running.addr);
        cloud_core::rooms::accounts::insert_account(
            &running.state,
            "admin",
            PASSWORD,
            cloud_core::policy::Role::StreetAdmin,
            None,
        )
        .await
        .unwrap_or_else(|e| panic!("bootstrap admin: {e:?}"));
        InProcess {
            running: Some(running),
            base,
        }
    }

    pub async fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }
}

/// The cloud core binary as a child process (so it can be SIGKILLed).
pub struct CloudProc {
    pub proc: Proc,
    pub base: String,
}

impl CloudProc {
    pub async fn start(dir: &Path, db_url: &str) -> CloudProc {
        Self::start_with(dir, db_url, "", true, &[]).await
    }

    /// [`start`](Self::start) with more config text (`extra`, appended), the admin made only
    /// when `admin` (a second replica of the same database must not make it again), and more
    /// environment.
    pub async fn start_with(
        dir: &Path,
        db_url: &str,
        extra: &str,
        admin: bool,
        env: &[(&str, &str)],
    ) -> CloudProc {
        let port = crate::free_port();
        let cfg = dir.join("cloud.toml");
        std::fs::write(
            &cfg,
            cloud_config(dir, db_url, &format!("127.0.0.1:{port}")) + extra,
        )
        .unwrap();
        let cfg_s = cfg.display().to_string();
        let bin = workspace_bin("cloud-core");
        if admin {
            let out = std::process::Command::new(&bin)
                .args(["create-admin", "--config", &cfg_s, "--username", "admin"])
                .env("CLOUD_ADMIN_PASSWORD", PASSWORD)
                .envs(env.iter().copied())
                .output()
                .expect("run cloud-core create-admin");
            assert!(
                out.status.success(),
                "create-admin failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let mut all_env = vec![("RUST_LOG", "info,sqlx=warn")];
        all_env.extend_from_slice(env);
        let mut proc = Proc::spawn(
            bin,
            &["run", "--config", &cfg_s],
            &all_env,
            dir.join("cloud.log"),
        );
        let base = format!("http://127.0.0.1:{port}");
        crate::wait_http_ok(&format!("{base}/v1/health"), &mut proc, START_WAIT).await;
        CloudProc { proc, base }
    }

    pub async fn kill9(&mut self) {
        self.proc.kill9().await;
    }

    pub async fn restart(&mut self) {
        self.proc.start();
        crate::wait_http_ok(
            &format!("{}/v1/health", self.base),
            &mut self.proc,
            START_WAIT,
        )
        .await;
    }
}

/// A JSON client for the cloud API, optionally signed in.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub token: Option<String>,
    http: reqwest::Client,
}

impl Api {
    pub fn new(base: &str) -> Api {
        Api {
            base: base.to_string(),
            token: None,
            http: reqwest::Client::new(),
        }
    }

    pub async fn login(base: &str, user: &str, password: &str) -> Api {
        let mut api = Api::new(base);
        let (s, v) = api
            .post(
                "/v1/auth/login",
                &json!({"username": user, "password": password}),
            )
            .await;
        assert_eq!(s, 200, "login {user}: {v}");
        api.token = Some(v["token"].as_str().unwrap().to_string());
        api
    }

    pub async fn call(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .http
            .request(m, format!("{}{path}", self.base))
            .timeout(Duration::from_secs(30));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        let v = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, v)
    }

    /// A raw body on a connection of its own (a server refusing a huge body closes it).
    pub async fn raw(&self, method: &str, path: &str, body: Vec<u8>) -> (u16, Value) {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = reqwest::Client::new()
            .request(m, format!("{}{path}", self.base))
            .timeout(Duration::from_secs(30));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let resp = req
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call("GET", path, None).await
    }

    /// A raw upload with its own Content-Type (photos), on a connection of its own.
    pub async fn upload(&self, path: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
        let mut req = reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .timeout(Duration::from_secs(30))
            .header("content-type", content_type)
            .body(body);
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// GET a file: status, Content-Type and bytes.
    pub async fn bytes(&self, path: &str) -> (u16, String, Vec<u8>) {
        let mut req = self
            .http
            .get(format!("{}{path}", self.base))
            .timeout(Duration::from_secs(30));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = resp.status().as_u16();
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        (status, ct, resp.bytes().await.unwrap().to_vec())
    }
    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.call("POST", path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: &Value) -> (u16, Value) {
        self.call("PUT", path, Some(body)).await
    }

    /// POST that must succeed (2xx); returns the body.
    /// POST that must succeed; the new object's `id`.
    pub async fn create(&self, path: &str, body: &Value) -> String {
        let v = self.ok(path, body).await;
        v["id"]
            .as_str()
            .unwrap_or_else(|| panic!("POST {path} answered no id: {v}"))
            .to_string()
    }

    pub async fn ok(&self, path: &str, body: &Value) -> Value {
        let (s, v) = self.post(path, body).await;
        assert!((200..300).contains(&s), "POST {path} → {s}: {v}");
        v
    }
}

/// One community with an estate, a room, a resident, a box and a door.
#[derive(Debug, Clone)]
pub struct Community {
    pub id: String,
    pub staff_user: String,
    pub estate: String,
    pub building: String,
    pub unit: String,
    pub room: String,
    pub resident: String,
    pub resident_phone: String,
    /// The staff-issued code the resident signs up in the app with.
    pub resident_code: String,
    pub box_id: String,
    pub code: String,
    pub door: String,
    pub door_code: String,
    pub lat: f64,
    pub lon: f64,
}

/// Build a community through the API as the street admin.
pub async fn build_community(
    admin: &Api,
    name: &str,
    phone: &str,
    lat: f64,
    lon: f64,
) -> Community {
    let c = admin
        .ok("/v1/street/communities", &json!({"name": name}))
        .await;
    let cid = c["id"].as_str().unwrap().to_string();
    let staff_user = format!("staff-{name}");
    admin
        .ok("/v1/street/accounts", &json!({"username": staff_user, "password": PASSWORD, "role": "community_staff", "community_id": cid}))
        .await;
    let p = |s: &str| format!("/v1/communities/{cid}{s}");
    let id = |v: Value| v["id"].as_str().unwrap().to_string();
    let estate = id(admin
        .ok(
            &p("/estates"),
            &json!({"name": format!("{name} estate"), "lat": lat, "lon": lon}),
        )
        .await);
    let building = id(admin
        .ok(
            &p(&format!("/estates/{estate}/buildings")),
            &json!({"name": "B1"}),
        )
        .await);
    let unit = id(admin
        .ok(
            &p(&format!("/buildings/{building}/units")),
            &json!({"name": "U1"}),
        )
        .await);
    let room = id(admin
        .ok(&p(&format!("/units/{unit}/rooms")), &json!({"name": "101"}))
        .await);
    let resident = id(admin
        .ok(&p("/people"), &json!({"name": format!("{name} resident"), "kind": "local", "phone": phone, "id_number": "110101199003071234"}))
        .await);
    admin
        .ok(
            &p(&format!("/people/{resident}/addresses")),
            &json!({"room_id": room}),
        )
        .await;
    let resident_code = admin
        .ok(&p(&format!("/people/{resident}/activation")), &json!({}))
        .await["activation_code"]
        .as_str()
        .unwrap()
        .to_string();
    let b = admin
        .ok(
            &p("/boxes"),
            &json!({"estate_id": estate, "name": format!("{name} box")}),
        )
        .await;
    let box_id = id(b.clone());
    let code = b["provisioning_code"].as_str().unwrap().to_string();
    let door_code = "east".to_string();
    let door = id(admin
        .ok(&p("/doors"), &json!({"box_id": box_id, "code": door_code, "name": "East gate", "lat": lat, "lon": lon}))
        .await);
    Community {
        id: cid,
        staff_user,
        estate,
        building,
        unit,
        room,
        resident,
        resident_phone: phone.to_string(),
        resident_code,
        box_id,
        code,
        door,
        door_code,
        lat,
        lon,
    }
}

/// A cloud on a fresh database with two communities built by the street admin: A ("alpha",
/// resident 13800000001) and B ("beta", resident 13800000002), each with an estate, a room, a
/// resident, a box and a door `east` — the world most API tests attack one from the other.
pub struct TwoCommunities {
    pub tmp: tempfile::TempDir,
    pub db: TestDb,
    pub cloud: InProcess,
    pub admin: Api,
    pub a: Community,
    pub b: Community,
}

pub async fn two_communities(engine: Engine) -> TwoCommunities {
    let tmp = tempfile::tempdir().unwrap();
    let db = TestDb::new(engine, tmp.path());
    let cloud = InProcess::start(tmp.path(), &db.url).await;
    let admin = Api::login(&cloud.base, "admin", PASSWORD).await;
    let a = build_community(&admin, "alpha", "13800000001", 31.2000, 121.4000).await;
    let b = build_community(&admin, "beta", "13800000002", 31.3000, 121.5000).await;
    TwoCommunities {
        tmp,
        db,
        cloud,
        admin,
        a,
        b,
    }
}

/// A staff or case-worker account made by the street admin (`community`: its community, or
/// none for street-wide), logged in; with its account id.
pub async fn staff_account(
    admin: &Api,
    base: &str,
    name: &str,
    role: &str,
    community: Option<&str>,
) -> (Api, String) {
    let mut body = json!({"username": name, "password": PASSWORD, "role": role});
    if let Some(c) = community {
        body["community_id"] = json!(c);
    }
    let id = admin.create("/v1/street/accounts", &body).await;
    (Api::login(base, name, PASSWORD).await, id)
}

/// Sign up an app user (visitor or enterprise) and log in.
pub async fn app_user(base: &str, phone: &str, role: &str) -> Api {
    signup(base, json!({"phone": phone, "name": format!("user {phone}"), "password": PASSWORD, "role": role}), phone).await
}

/// The community's resident signs up with the staff-issued code and logs in.
pub async fn resident_user(base: &str, c: &Community) -> Api {
    signup(
        base,
        json!({"phone": c.resident_phone, "name": "resident", "password": PASSWORD, "role": "resident", "activation_code": c.resident_code}),
        &c.resident_phone,
    )
    .await
}

async fn signup(base: &str, body: Value, phone: &str) -> Api {
    let anon = Api::new(base);
    let (s, v) = anon.post("/v1/app/signup", &body).await;
    assert_eq!(s, 201, "signup {phone}: {v}");
    Api::login(base, phone, PASSWORD).await
}

/// A box provisioned with a community's code and running as its real binary, with pymodbus
/// as its relay (door `east`, channel 1). `extra` is appended to its config.
pub struct LinkedBox {
    pub proc: Proc,
    pub base: String,
    pub store: PathBuf,
    pub http: reqwest::Client,
}

impl LinkedBox {
    /// Provision with the community's code, write the installer's config, start the binary.
    pub async fn provision_and_start(
        dir: &Path,
        cloud: &str,
        c: &Community,
        relay: std::net::SocketAddr,
        uplink_batch: usize,
        extra: &str,
    ) -> LinkedBox {
        Self::provision_and_start_env(dir, cloud, c, relay, uplink_batch, extra, &[]).await
    }

    /// [`provision_and_start`](Self::provision_and_start) with more environment for the
    /// daemon (e.g. a controlled wall clock); kept across restarts.
    pub async fn provision_and_start_env(
        dir: &Path,
        cloud: &str,
        c: &Community,
        relay: std::net::SocketAddr,
        uplink_batch: usize,
        extra: &str,
        env: &[(&str, &str)],
    ) -> LinkedBox {
        // Benchmarks point EDGE_DAEMON_BIN at the release build; tests use the debug one.
        let bin = std::env::var_os("EDGE_DAEMON_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace_bin("edge-daemon"));
        let out = dir.join("edge-cloud");
        let prov = std::process::Command::new(&bin)
            .args(["provision", "--cloud", cloud, "--code", &c.code, "--out"])
            .arg(&out)
            .output()
            .expect("run edge-daemon provision");
        assert!(
            prov.status.success(),
            "provision failed: {}",
            String::from_utf8_lossy(&prov.stderr)
        );
        let said = String::from_utf8_lossy(&prov.stdout);
        assert!(
            said.contains(&c.box_id) && said.contains("door `east`"),
            "{said}"
        );
        let port = free_port();
        let store = dir.join("edge-store");
        let profiles = Path::new(env!("CARGO_MANIFEST_DIR")).join("../device-profiles");
        let cfg = format!(
            r#"profiles_dir = "{profiles}"
[cloud]
identity_file = "{identity}"
sync_interval_ms = 300
uplink_batch = {uplink_batch}
backoff_max_ms = 1000
long_poll_ms = 20000
device_state_interval_ms = 500
[store]
path = "{store}"
[api]
listen = "127.0.0.1:{port}"
admin_token = "{ADMIN_TOKEN}"
[monitor]
poll_interval_ms = 100
[[devices]]
id = "relay"
profile = "waveshare-relay-8ch"
slave_id = 1
[devices.tcp]
address = "{relay}"
[[doors]]
id = "east"
name = "East gate"
device = "relay"
channel = 1
monitor_contact = false
pulse_ms = 300
{extra}
"#,
            profiles = profiles.display(),
            identity = out.join("cloud-identity.toml").display(),
            store = store.display(),
        );
        let cfg_path = dir.join("edge.toml");
        std::fs::write(&cfg_path, cfg).unwrap();
        let check = std::process::Command::new(&bin)
            .arg("check-config")
            .arg(&cfg_path)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "check-config: {}",
            String::from_utf8_lossy(&check.stderr)
        );
        let cfg_s = cfg_path.display().to_string();
        let mut all_env = vec![("RUST_LOG", "info")];
        all_env.extend_from_slice(env);
        let mut proc = Proc::spawn(
            bin,
            &["run", "--config", &cfg_s],
            &all_env,
            dir.join("edge.log"),
        );
        let base = format!("http://127.0.0.1:{port}");
        crate::wait_http_ok(&format!("{base}/v1/health"), &mut proc, START_WAIT).await;
        LinkedBox {
            proc,
            base,
            store,
            http: reqwest::Client::new(),
        }
    }

    pub async fn restart(&mut self) {
        self.proc.start();
        crate::wait_http_ok(
            &format!("{}/v1/health", self.base),
            &mut self.proc,
            START_WAIT,
        )
        .await;
    }

    /// A face decision on the box's local API (what an on-box recogniser posts).
    pub async fn decide(&self, person: &str) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}/v1/decide", self.base))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({"door_id": "east", "person_id": person, "method": "face"}))
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    /// The box's `GET /v1/sensors`.
    pub async fn sensors(&self) -> Value {
        crate::box_sensors(&self.http, &self.base, ADMIN_TOKEN).await
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

    /// Wait until the cloud acknowledged everything; returns the box's pass count.
    pub async fn wait_drained(&self, within: Duration) -> usize {
        let deadline = Instant::now() + within;
        loop {
            let st = self.status().await;
            if st["outbox_depth"] == 0 {
                return st["passlog_records"].as_u64().unwrap() as usize;
            }
            assert!(
                Instant::now() < deadline,
                "outbox never drained: {st}\n{}",
                self.proc.log_text()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Decide until the box allows (the directory arrives on a sync).
    pub async fn wait_allowed(&self, person: &str, within: Duration) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let (s, v) = self.decide(person).await;
            if s == 200 {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "box never allowed {person}: {v}\n{}",
                self.proc.log_text()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Ask until the box refuses `person` for `reason` (a grant may still be on its way: until
    /// it arrives the person is simply unknown there).
    pub async fn wait_refused(&self, person: &str, reason: &str, within: Duration) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let (s, v) = self.decide(person).await;
            if s == 403 && v["reason"] == reason {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "box never refused {person} for {reason}: {s} {v}\n{}",
                self.proc.log_text()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// A provisioned box played by the test: its key signs each request as the real box would
/// (`edge_sync::auth`), so the cloud's box routes can be driven step by step.
pub struct SignedBox {
    pub base: String,
    pub box_id: String,
    pub key: ed25519_dalek::SigningKey,
}

impl SignedBox {
    /// Provision with a one-time code and a key made from `seed`.
    pub async fn provision(base: &str, code: &str, seed: u8) -> SignedBox {
        let key = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
        let (s, v) = Api::new(base)
            .post(
                "/v1/edge/provision",
                &json!({"version": 1, "code": code,
                        "public_key": edge_sync::onetap::encode_public_key(&key.verifying_key())}),
            )
            .await;
        assert_eq!(s, 200, "provision: {v}");
        SignedBox {
            base: base.to_string(),
            box_id: v["box_id"].as_str().unwrap().to_string(),
            key,
        }
    }

    async fn send(&self, method: &str, pq: &str, body: Vec<u8>) -> reqwest::Response {
        let headers = edge_sync::auth::sign_request(
            &self.key,
            &self.box_id,
            method,
            pq,
            crate::cloud::wall_ms(),
            &body,
        );
        let mut req = reqwest::Client::new()
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{}{pq}", self.base),
            )
            .timeout(Duration::from_secs(30));
        for (k, v) in headers {
            req = req.header(k, v);
        }
        if !body.is_empty() {
            req = req.header("content-type", "application/json").body(body);
        }
        req.send()
            .await
            .unwrap_or_else(|e| panic!("{method} {pq}: {e}"))
    }

    /// A signed request; the answer as JSON (or a string).
    pub async fn call(&self, method: &str, pq: &str, body: Vec<u8>) -> (u16, Value) {
        let r = self.send(method, pq, body).await;
        let s = r.status().as_u16();
        let t = r.text().await.unwrap_or_default();
        (s, serde_json::from_str(&t).unwrap_or(Value::String(t)))
    }

    /// A signed GET of a file: status, Content-Type and bytes.
    pub async fn bytes(&self, pq: &str) -> (u16, String, Vec<u8>) {
        let r = self.send("GET", pq, Vec::new()).await;
        let s = r.status().as_u16();
        let ct = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        (s, ct, r.bytes().await.unwrap().to_vec())
    }

    /// `GET /v1/edge/sync/down?cursor=N`, which must answer 200.
    pub async fn down(&self, cursor: i64) -> Value {
        let (s, d) = self
            .call(
                "GET",
                &format!("/v1/edge/sync/down?cursor={cursor}"),
                vec![],
            )
            .await;
        assert_eq!(s, 200, "sync/down: {d}");
        d
    }

    /// Every delta after `cursor` until `more` is false: the last one's cursor and all people
    /// upserted (later copies win) and removed.
    pub async fn down_all(&self, mut cursor: i64) -> (i64, Vec<Value>, Vec<String>) {
        let (mut people, mut removed): (Vec<Value>, Vec<String>) = (Vec::new(), Vec::new());
        loop {
            let d = self.down(cursor).await;
            for p in d["people"].as_array().unwrap() {
                people.retain(|q: &Value| q["id"] != p["id"]);
                people.push(p.clone());
            }
            for r in d["removed_people"].as_array().unwrap() {
                removed.push(r.as_str().unwrap().to_string());
            }
            cursor = d["cursor"].as_i64().unwrap();
            if d["more"] != true {
                return (cursor, people, removed);
            }
        }
    }

    /// `POST /v1/edge/sync/up` with these records, which must answer 200; the ack.
    pub async fn up(&self, records: Vec<edge_sync::sync::UplinkRecordV1>) -> Value {
        let batch = edge_sync::sync::UplinkBatchV1 {
            version: 1,
            records,
        };
        let (s, ack) = self
            .call(
                "POST",
                "/v1/edge/sync/up",
                serde_json::to_vec(&batch).unwrap(),
            )
            .await;
        assert_eq!(s, 200, "sync/up: {ack}");
        ack
    }
}

/// Wall-clock milliseconds (what a box puts in its signature).
pub fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A small valid JPEG (8×8 grey) with `label` in a comment segment, so different labels give
/// different bytes (and different sha256s).
pub fn tiny_jpeg(label: &str) -> Vec<u8> {
    let img = image::GrayImage::from_raw(8, 8, vec![0x80; 64]).expect("8×8 grey");
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("JPEG encodes");
    let jpeg = out.into_inner();
    // COM right after SOI: FF FE, length (itself included), the text.
    let mut j = jpeg[..2].to_vec();
    j.extend_from_slice(&[0xFF, 0xFE]);
    j.extend_from_slice(&((label.len() + 2) as u16).to_be_bytes());
    j.extend_from_slice(label.as_bytes());
    j.extend_from_slice(&jpeg[2..]);
    j
}

/// A valid 1×1 grey PNG.
pub fn tiny_png() -> Vec<u8> {
    let img = image::GrayImage::from_raw(1, 1, vec![0x80]).expect("1×1 grey");
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("PNG encodes");
    out.into_inner()
}

/// Every pass id the community's staff can page through.
pub async fn cloud_pass_ids(staff: &Api, community: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let q = next.as_ref().map_or("?limit=500".to_string(), |n| {
            format!("?limit=500&before={n}")
        });
        let (s, page) = staff
            .get(&format!("/v1/communities/{community}/passes{q}"))
            .await;
        assert_eq!(s, 200, "{page}");
        ids.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_string()),
        );
        match page["next"].as_str() {
            Some(n) => next = Some(n.to_string()),
            None => return ids,
        }
    }
}
