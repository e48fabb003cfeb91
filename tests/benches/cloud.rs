//! Benchmarks for the cloud core and the sync spine. Each figure is printed on its own line as
//! `BENCH <name> <value> <unit>`; README.md says what each means and what we measured.
//! Run with `bash tests/bench.sh cloud` (release build; starts its own PostgreSQL and pymodbus).
//!
//! - `uplink_ingest_{sqlite,postgres}_{1,4}box`: signed uplink batches of 1000 records posted
//!   back to back by 1 or 4 simulated boxes; records stored per second. `…_checked`: the same
//!   behind the suite's contract check (which validates every answer against `/openapi.json`).
//! - `backlog_drain_100k_{sqlite,postgres}`: a real edge daemon (in-process) with 100,000
//!   records in its outbox connects; seconds until the cloud acknowledged them all.
//! - `onetap_e2e_{p50,p99}`: app request → cloud → long-poll → edge → coil write seen by the
//!   pymodbus relay (the peer's own clock stamps the write).

use std::path::Path;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use edge_sync::sync::{PassV1, UplinkBatchV1, UplinkRecordV1};
use serde_json::json;
use tests::cloud::{build_community, resident_user, Api, Engine, InProcess, TestDb, PASSWORD};
use tests::ModbusPeer;

fn bench(name: &str, value: f64, unit: &str) {
    println!("BENCH {name} {value:.3} {unit}");
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn mono_us() -> u64 {
    let t = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC).expect("clock_gettime");
    t.tv_sec() as u64 * 1_000_000 + t.tv_nsec() as u64 / 1000
}

fn engine_name(e: Engine) -> &'static str {
    match e {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    }
}

async fn provisioned_box(base: &str, code: &str, seed: u8) -> SigningKey {
    let key = SigningKey::from_bytes(&[seed; 32]);
    let (s, v) = Api::new(base)
        .post(
            "/v1/edge/provision",
            &json!({"version": 1, "code": code, "public_key": edge_sync::onetap::encode_public_key(&key.verifying_key())}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    key
}

async fn ingest(engine: Engine, boxes: usize, checked: bool) {
    let tmp = tempfile::tempdir().unwrap();
    let db = TestDb::new(engine, tmp.path());
    let mut cloud = InProcess::start_checked(InProcess::config(tmp.path(), &db.url), checked).await;
    let admin = Api::login(&cloud.base, "admin", PASSWORD).await;
    let mut senders = Vec::new();
    const PER_BOX: usize = 100_000;
    for b in 0..boxes {
        let c = build_community(
            &admin,
            &format!("c{b}"),
            &format!("1380000{b:04}"),
            31.0,
            121.0,
        )
        .await;
        let key = provisioned_box(&cloud.base, &c.code, 10 + b as u8).await;
        // Bodies are made before the clock starts: the figure is the cloud's.
        let bodies: Vec<Vec<u8>> = (0..PER_BOX / 1000)
            .map(|chunk| {
                let records = (0..1000)
                    .map(|i| {
                        let n = (b * PER_BOX + chunk * 1000 + i) as u128;
                        UplinkRecordV1::Pass(PassV1 {
                            id: uuid::Uuid::from_u128(
                                0x0190_0000_0000_7000_8000_0000_0000_0000 + n,
                            ),
                            at_ms: 1_700_000_000_000 + n as i64,
                            door: "east".into(),
                            person_id: c.resident.clone(),
                            method: "face".into(),
                            allowed: true,
                            reason: "resident".into(),
                            grant_id: None,
                            command_id: None,
                            face_thumbnail: None,
                        })
                    })
                    .collect();
                serde_json::to_vec(&UplinkBatchV1 {
                    version: 1,
                    records,
                })
                .unwrap()
            })
            .collect();
        senders.push((c.box_id.clone(), key, bodies));
    }
    let base = cloud.base.clone();
    let started = Instant::now();
    let tasks: Vec<_> = senders
        .into_iter()
        .map(|(box_id, key, bodies)| {
            let base = base.clone();
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                for body in bodies {
                    let now = edge_daemon::os_clock::wall_ms();
                    let headers = edge_sync::auth::sign_request(
                        &key,
                        &box_id,
                        "POST",
                        "/v1/edge/sync/up",
                        now,
                        &body,
                    );
                    let mut req = http.post(format!("{base}/v1/edge/sync/up"));
                    for (k, v) in headers {
                        req = req.header(k, v);
                    }
                    let r = req
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(
                        r.status().as_u16(),
                        200,
                        "{}",
                        r.text().await.unwrap_or_default()
                    );
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    bench(
        &format!(
            "uplink_ingest_{}_{boxes}box{}",
            engine_name(engine),
            if checked { "_checked" } else { "" }
        ),
        (boxes * PER_BOX) as f64 / secs,
        "records/s",
    );
    cloud.stop().await;
}

async fn drain(engine: Engine) {
    let tmp = tempfile::tempdir().unwrap();
    let db = TestDb::new(engine, tmp.path());
    let mut cloud = InProcess::start(tmp.path(), &db.url).await;
    let admin = Api::login(&cloud.base, "admin", PASSWORD).await;
    let c = build_community(&admin, "alpha", "13800000001", 31.0, 121.0).await;
    let (_, identity) = edge_daemon::cloud::provision(&cloud.base, &c.code, &tmp.path().join("id"))
        .await
        .unwrap();
    // 100,000 records in the box's outbox, as after a day offline at a busy gate.
    const N: usize = 100_000;
    let store_dir = tmp.path().join("store");
    {
        let store = edge_daemon::store::Store::open(&store_dir).unwrap();
        let (writer, thread) = edge_daemon::store::writer::StoreWriter::start_joinable(store);
        let mut pending = Vec::new();
        for i in 0..N {
            let rec = edge_daemon::store::records::PassRecordV1 {
                v: 1,
                id: uuid::Uuid::now_v7(),
                at_ms: 1_700_000_000_000 + i as i64,
                box_id: c.box_id.clone(),
                door_id: "east".into(),
                person_id: c.resident.clone(),
                method: "face".into(),
                allowed: true,
                reason: "resident".into(),
                grant_id: None,
                command_id: None,
            };
            pending.push(
                writer
                    .enqueue(edge_daemon::store::records::OutboxItemV1::Pass(rec))
                    .await
                    .unwrap(),
            );
            if pending.len() >= 4096 {
                for p in pending.drain(..) {
                    p.await.unwrap().unwrap();
                }
            }
        }
        for p in pending {
            p.await.unwrap().unwrap();
        }
        drop(writer);
        thread.unwrap().join().unwrap();
    }
    let cfg = format!(
        "profiles_dir = \"{}\"\n[cloud]\nidentity_file = \"{}\"\nuplink_batch = 1000\n[store]\npath = \"{}\"\n[api]\nlisten = \"127.0.0.1:0\"\n",
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../device-profiles").display(),
        identity.display(),
        store_dir.display()
    );
    let cfg_path = tmp.path().join("edge.toml");
    std::fs::write(&cfg_path, cfg).unwrap();
    let cfg = edge_daemon::config::EdgeConfig::load(&cfg_path).unwrap();
    let started = Instant::now();
    let daemon = edge_daemon::daemon::Daemon::start(cfg).await.unwrap();
    let store = daemon.store.clone();
    loop {
        let depth = tokio::task::spawn_blocking({
            let s = store.clone();
            move || s.outbox_depth()
        })
        .await
        .unwrap();
        if depth == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "drain stuck at {depth}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let secs = started.elapsed().as_secs_f64();
    bench(
        &format!("backlog_drain_100k_{}", engine_name(engine)),
        secs,
        "s",
    );
    let staff = Api::login(&cloud.base, &c.staff_user, PASSWORD).await;
    let (_, page) = staff
        .get(&format!("/v1/communities/{}/passes?limit=1", c.id))
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    daemon.stop().await;
    cloud.stop().await;
}

async fn onetap_e2e() {
    let tmp = tempfile::tempdir().unwrap();
    let db = TestDb::new(Engine::Sqlite, tmp.path());
    let mut cloud = InProcess::start(tmp.path(), &db.url).await;
    let admin = Api::login(&cloud.base, "admin", PASSWORD).await;
    let c = build_community(&admin, "alpha", "13800000001", 31.0, 121.0).await;
    let (_, identity) = edge_daemon::cloud::provision(&cloud.base, &c.code, &tmp.path().join("id"))
        .await
        .unwrap();
    let mut relay = ModbusPeer::tcp(&[1]).await;
    let cfg = format!(
        "profiles_dir = \"{}\"\n[cloud]\nidentity_file = \"{}\"\nsync_interval_ms = 300\n[store]\npath = \"{}\"\n[api]\nlisten = \"127.0.0.1:0\"\n\
         [[devices]]\nid = \"relay\"\nprofile = \"waveshare-relay-8ch\"\nslave_id = 1\n[devices.tcp]\naddress = \"{}\"\n\
         [[doors]]\nid = \"east\"\nname = \"East\"\ndevice = \"relay\"\nchannel = 1\nmonitor_contact = false\npulse_ms = 100\n",
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../device-profiles").display(),
        identity.display(),
        tmp.path().join("store").display(),
        relay.addr()
    );
    let cfg_path = tmp.path().join("edge.toml");
    std::fs::write(&cfg_path, cfg).unwrap();
    let daemon = edge_daemon::daemon::Daemon::start(
        edge_daemon::config::EdgeConfig::load(&cfg_path).unwrap(),
    )
    .await
    .unwrap();
    let resident = resident_user(&cloud.base, &c).await;
    // Wait for the directory to arrive and the long-poll to be held.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, r) = resident
            .post("/v1/app/onetap", &json!({"lat": c.lat, "lon": c.lon}))
            .await;
        if r["result"] == "opened" {
            break;
        }
        assert!(Instant::now() < deadline, "one-tap never opened: {r}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let mut samples = Vec::new();
    for _ in 0..200 {
        // Idle: the previous pulse is over and the box is back in its long-poll.
        while relay
            .next_change(Duration::from_millis(250))
            .await
            .is_some()
        {}
        let t0 = mono_us();
        let (_, r) = resident
            .post("/v1/app/onetap", &json!({"lat": c.lat, "lon": c.lon}))
            .await;
        assert_eq!(r["result"], "opened", "{r}");
        let on = loop {
            let ch = relay
                .next_change(Duration::from_secs(5))
                .await
                .expect("coil write");
            if ch.value == 1 {
                break ch;
            }
        };
        samples.push((on.t_us.saturating_sub(t0)) as f64 / 1000.0);
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    bench("onetap_e2e_p50", pct(&samples, 0.5), "ms");
    bench("onetap_e2e_p99", pct(&samples, 0.99), "ms");
    daemon.stop().await;
    cloud.stop().await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let want = |s: &str| args.is_empty() || args.iter().any(|a| a == s);
    if want("ingest") {
        // Side by side: the product alone, then behind the suite's contract check.
        for e in [Engine::Sqlite, Engine::Postgres] {
            for boxes in [1, 4] {
                ingest(e, boxes, false).await;
                ingest(e, boxes, true).await;
            }
        }
    }
    if want("drain") {
        for e in [Engine::Sqlite, Engine::Postgres] {
            drain(e).await;
        }
    }
    if want("onetap") {
        onetap_e2e().await;
    }
}
