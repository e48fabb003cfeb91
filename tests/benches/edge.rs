//! Benchmarks for the edge daemon. Each figure is printed on its own line as
//! `BENCH <name> <value> <unit>`; README.md says what each means and what we measured.
//! Run with `bash tests/bench.sh` (builds the release daemon first, installs the peers).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use edge_daemon::access::{
    AccessEngine, AccessRequest, Address, DoorInfo, DoorMode, GrantStatus, Method, Person,
    PersonKind, VisitorGrant,
};
use edge_daemon::clock::TimeView;
use edge_daemon::store::records::{OutboxItemV1, PassRecordV1};
use edge_daemon::store::writer::StoreWriter;
use edge_daemon::store::Store;
use tests::{ChangeKind, ModbusPeer, PtyPair};
use tokio_modbus::client::Writer as _;

#[path = "../tests/common/mod.rs"]
mod common;
use common::*;

fn bench(name: &str, value: f64, unit: &str) {
    println!("BENCH {name} {value:.3} {unit}");
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(|a, b| a.total_cmp(b));
    v
}

/// CLOCK_MONOTONIC in µs: the same clock the Python peer stamps its change lines with.
fn mono_us() -> u64 {
    let t = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC).expect("clock_gettime");
    t.tv_sec() as u64 * 1_000_000 + t.tv_nsec() as u64 / 1000
}

fn people(n: usize, doors: usize) -> (Vec<Person>, Vec<VisitorGrant>) {
    let mut people = Vec::with_capacity(n);
    let mut grants = Vec::new();
    for i in 0..n {
        let estate = format!("estate-{}", i % doors.max(1));
        if i % 10 == 9 {
            people.push(Person {
                id: format!("p{i}"),
                name: format!("Visitor {i}"),
                kind: PersonKind::Visitor,
                addresses: vec![],
                staff_estates: vec![],
                staff_all_estates: false,
                enabled: true,
            });
            grants.push(VisitorGrant {
                id: format!("g{i}"),
                visitor_id: format!("p{i}"),
                host_id: format!("p{}", i - 1),
                estate,
                appointment_at: 1_800_000_000_000,
                status: GrantStatus::Approved,
            });
        } else {
            people.push(Person {
                id: format!("p{i}"),
                name: format!("Resident {i}"),
                kind: PersonKind::Resident,
                addresses: vec![Address {
                    estate,
                    building: "1".into(),
                    unit: "1".into(),
                    room: "101".into(),
                }],
                staff_estates: vec![],
                staff_all_estates: false,
                enabled: true,
            });
        }
    }
    (people, grants)
}

fn engine_decisions() {
    let mut engine = AccessEngine::new();
    let (ps, gs) = people(10_000, 50);
    for p in ps {
        engine.upsert_person(p);
    }
    for g in gs {
        engine.upsert_grant(g);
    }
    for d in 0..50 {
        engine.upsert_door(DoorInfo {
            id: format!("door-{d}"),
            estate: format!("estate-{d}"),
            mode: DoorMode::Normal,
        });
    }
    let reqs: Vec<AccessRequest> = (0..4096)
        .map(|i| AccessRequest {
            door_id: format!("door-{}", (i * 7) % 50),
            person_id: format!("p{}", (i * 13) % 10_000),
            method: Method::Face,
        })
        .collect();
    let tv = TimeView::at(1_800_000_000_000);
    let n = 4_000_000;
    let mut allowed = 0usize;
    let t = Instant::now();
    for i in 0..n {
        if engine.decide(&reqs[i % reqs.len()], &tv).is_allowed() {
            allowed += 1;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    assert!(allowed > 0 && allowed < n);
    bench("engine_decisions_per_sec", n as f64 / secs, "decisions/s");
}

async fn store_group_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("store")).unwrap();
    let writer = StoreWriter::start(store.clone());
    let callers = 256;
    let per_caller = 800;
    let t = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..callers {
        let w = writer.clone();
        tasks.push(tokio::spawn(async move {
            let req = AccessRequest {
                door_id: format!("door-{}", c % 50),
                person_id: format!("p{c}"),
                method: Method::Face,
            };
            let d = edge_daemon::access::Decision::Deny {
                reason: edge_daemon::access::DenyReason::UnknownPerson,
            };
            let mut waits = Vec::with_capacity(per_caller);
            for _ in 0..per_caller {
                let rec =
                    PassRecordV1::from_decision(uuid::Uuid::now_v7(), 0, "box", &req, &d, None);
                let s = Instant::now();
                w.append(OutboxItemV1::Pass(rec)).await.unwrap();
                waits.push(s.elapsed().as_secs_f64() * 1000.0);
            }
            waits
        }));
    }
    let mut waits = Vec::new();
    for t in tasks {
        waits.extend(t.await.unwrap());
    }
    let secs = t.elapsed().as_secs_f64();
    let waits = sorted(waits);
    assert_eq!(store.passlog_len(), callers * per_caller);
    bench(
        "store_durable_appends_per_sec",
        (callers * per_caller) as f64 / secs,
        "records/s",
    );
    bench("store_append_wait_p50", pct(&waits, 0.50), "ms");
    bench("store_append_wait_p99", pct(&waits, 0.99), "ms");
    // A single caller waiting for each append alone: the cost of one fsync here.
    let s = Instant::now();
    let req = AccessRequest {
        door_id: "d".into(),
        person_id: "p".into(),
        method: Method::Face,
    };
    let d = edge_daemon::access::Decision::Deny {
        reason: edge_daemon::access::DenyReason::UnknownPerson,
    };
    for _ in 0..200 {
        let rec = PassRecordV1::from_decision(uuid::Uuid::now_v7(), 0, "box", &req, &d, None);
        writer.append(OutboxItemV1::Pass(rec)).await.unwrap();
    }
    bench(
        "store_single_append_latency_mean",
        s.elapsed().as_secs_f64() * 1000.0 / 200.0,
        "ms",
    );
}

/// The cost of the store's durability point: sled's own flush (which ends in
/// `sync_file_range` and did not survive the power-cut simulation) against the same flush
/// followed by fdatasync of sled's data file (what `Store::flush` does since), interleaved in one
/// run on one store, one 200-byte record per point.
fn store_durability_point() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sled");
    let db = sled::Config::new()
        .path(&dir)
        .mode(sled::Mode::HighThroughput)
        .flush_every_ms(None)
        .open()
        .unwrap();
    let file = std::fs::File::open(dir.join("db")).unwrap();
    let value = vec![7u8; 200];
    let (mut bare, mut synced) = (Vec::new(), Vec::new());
    for i in 0u64..1_000 {
        db.insert(i.to_be_bytes(), value.as_slice()).unwrap();
        let s = Instant::now();
        db.flush().unwrap();
        if i % 2 == 1 {
            file.sync_data().unwrap();
            synced.push(s.elapsed().as_secs_f64() * 1000.0);
        } else {
            bare.push(s.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let (bare, synced) = (sorted(bare), sorted(synced));
    bench("store_point_sled_flush_p50", pct(&bare, 0.50), "ms");
    bench("store_point_sled_flush_p99", pct(&bare, 0.99), "ms");
    bench("store_point_flush_fdatasync_p50", pct(&synced, 0.50), "ms");
    bench("store_point_flush_fdatasync_p99", pct(&synced, 0.99), "ms");
    bench(
        "store_point_fdatasync_ratio_p50",
        pct(&synced, 0.50) / pct(&bare, 0.50),
        "x",
    );
}

/// One-tap → coil-on seen at the pymodbus slave, and a raw tokio-modbus write-coil round trip
/// to the same slave, measured in the same run.
async fn one_tap_latency(label: &str, rtu: bool) {
    let tmp = tempfile::tempdir().unwrap();
    let pty = if rtu {
        Some(PtyPair::new(tmp.path()).await)
    } else {
        None
    };
    let mut peer = match &pty {
        Some(p) => ModbusPeer::rtu(p.bus_a(), &[1]).await,
        None => ModbusPeer::tcp(&[1]).await,
    };
    let key = test_key();
    let device = match &pty {
        Some(p) => rtu_device("relay", "waveshare-relay-8ch", 1, p.bus_b()),
        None => tcp_device("relay", "waveshare-relay-8ch", 1, peer.addr()),
    };
    // Door on channel 2 so the raw client can use coil 7 without touching the door's relay.
    let profiles = std::env::var_os("BENCH_PROFILES").map_or_else(profiles_dir, PathBuf::from);
    let cfg = config_text(
        tmp.path(),
        &key,
        &profiles,
        &device,
        &door("gate", "e1", "relay", 2, 50, 30),
    )
    .replace("poll_interval_ms = 50", "poll_interval_ms = 1000");
    let mut edge = EdgeBox::start(tmp.path(), key, &cfg).await;
    edge.import(directory("e1", now_ms())).await;

    // 500 samples: p99 is the 5th worst. Both loops leave the same idle gap between requests,
    // so both pay the same wake-up costs of an idle (virtual) machine.
    let rounds = 500;
    let mut daemon = Vec::with_capacity(rounds);
    let mut reply = Vec::with_capacity(rounds);
    for i in 0..rounds + 20 {
        let cmd = edge.command("gate", "res-1", 30_000);
        let t0 = mono_us();
        let s = Instant::now();
        let (status, body) = edge.one_tap(&cmd).await;
        let answered = s.elapsed();
        assert_eq!(status, 200, "{body}");
        let seen = loop {
            let c = peer
                .next_change(Duration::from_secs(5))
                .await
                .expect("coil change");
            if c.kind == ChangeKind::Coil && c.addr == 1 && c.value == 1 {
                break c.t_us;
            }
        };
        // Let the pulse end before the next open.
        loop {
            let c = peer
                .next_change(Duration::from_secs(5))
                .await
                .expect("coil off");
            if c.kind == ChangeKind::Coil && c.addr == 1 && c.value == 0 {
                break;
            }
        }
        // Leave the line idle a moment: real opens do not arrive in lock-step with the
        // previous relay-off.
        tokio::time::sleep(Duration::from_millis(20)).await;
        tokio::time::sleep(IDLE_BETWEEN).await;
        if i >= 20 {
            daemon.push(seen.saturating_sub(t0) as f64 / 1000.0);
            reply.push(answered.as_secs_f64() * 1000.0);
        }
    }
    edge.stop().await;

    // Raw tokio-modbus round trip on the same peer and transport.
    let mut ctx = match &pty {
        Some(p) => {
            let port = tokio_serial::SerialStream::open(&tokio_serial::new(
                p.bus_b().to_string_lossy(),
                9600,
            ))
            .unwrap();
            tokio_modbus::client::rtu::attach_slave(port, tokio_modbus::Slave(1))
        }
        None => tokio_modbus::client::tcp::connect_slave(peer.addr(), tokio_modbus::Slave(1))
            .await
            .unwrap(),
    };
    // Same idle gap as the one-taps (the comparable figure), and back to back (the floor).
    let mut raw = Vec::with_capacity(rounds);
    let mut busy = Vec::with_capacity(rounds);
    for i in 0..2 * (rounds + 20) {
        let idle = i < rounds + 20;
        if idle {
            tokio::time::sleep(IDLE_BETWEEN).await;
        }
        let s = Instant::now();
        ctx.write_single_coil(7, i % 2 == 0).await.unwrap().unwrap();
        let ms = s.elapsed().as_secs_f64() * 1000.0;
        match (idle, i % (rounds + 20) >= 20) {
            (true, true) => raw.push(ms),
            (false, true) => busy.push(ms),
            _ => {}
        }
    }
    let (daemon, reply, raw, busy) = (sorted(daemon), sorted(reply), sorted(raw), sorted(busy));
    bench(
        &format!("raw_write_coil_{label}_back_to_back_p50"),
        pct(&busy, 0.5),
        "ms",
    );
    bench(
        &format!("raw_write_coil_{label}_back_to_back_p99"),
        pct(&busy, 0.99),
        "ms",
    );
    bench(
        &format!("daemon_overhead_{label}_p50"),
        pct(&daemon, 0.5) - pct(&raw, 0.5),
        "ms",
    );
    bench(
        &format!("onetap_to_coil_{label}_p50"),
        pct(&daemon, 0.5),
        "ms",
    );
    bench(
        &format!("onetap_to_coil_{label}_p99"),
        pct(&daemon, 0.99),
        "ms",
    );
    bench(
        &format!("onetap_http_reply_{label}_p50"),
        pct(&reply, 0.5),
        "ms",
    );
    bench(
        &format!("onetap_http_reply_{label}_p99"),
        pct(&reply, 0.99),
        "ms",
    );
    bench(&format!("raw_write_coil_{label}_p50"), pct(&raw, 0.5), "ms");
    bench(
        &format!("raw_write_coil_{label}_p99"),
        pct(&raw, 0.99),
        "ms",
    );
    bench(
        &format!("daemon_overhead_{label}_p99"),
        pct(&daemon, 0.99) - pct(&raw, 0.99),
        "ms",
    );
    if rtu {
        // Ptys ignore baud rate; what a real line adds is computed: 8-byte request + 8-byte
        // reply, 10 bits a character (8N1), plus the 3.5-character gap after each frame
        // (fixed at 1.75 ms above 19200 baud by the Modbus serial-line spec).
        for baud in [9600.0f64, 115_200.0] {
            let char_ms = 10.0 * 1000.0 / baud;
            let gap_ms = if baud > 19_200.0 { 1.75 } else { 3.5 * char_ms };
            let wire = 16.0 * char_ms + 2.0 * gap_ms;
            bench(
                &format!("rtu_wire_write_coil_{}baud", baud as u32),
                wire,
                "ms",
            );
            bench(
                &format!("onetap_to_coil_rtu_{}baud_est_p99", baud as u32),
                wire + pct(&daemon, 0.99) - pct(&raw, 0.99) + pct(&raw, 0.99),
                "ms",
            );
        }
    }
}

/// Gap before each measured request (beside the pulse wait): requests to a gate arrive one by
/// one, not back to back.
const IDLE_BETWEEN: Duration = Duration::from_millis(30);

/// The release daemon with 50 doors on 7 relay modules (one TCP gateway) and 10,000 people.
async fn daemon_rss() {
    let tmp = tempfile::tempdir().unwrap();
    let peer = ModbusPeer::tcp(&[1, 2, 3, 4, 5, 6, 7]).await;
    let key = test_key();
    let mut devices = String::new();
    let mut doors = String::new();
    for d in 0..50u16 {
        let dev = d / 8 + 1;
        if d % 8 == 0 {
            devices.push_str(&tcp_device(
                &format!("relay-{dev}"),
                "waveshare-relay-8ch",
                dev as u8,
                peer.addr(),
            ));
        }
        doors.push_str(&door(
            &format!("door-{d}"),
            &format!("estate-{d}"),
            &format!("relay-{dev}"),
            d % 8 + 1,
            500,
            30,
        ));
    }
    let cfg = config_text(tmp.path(), &key, &profiles_dir(), &devices, &doors);
    let cfg_path = tmp.path().join("edge.toml");
    std::fs::write(
        &cfg_path,
        cfg.replace("127.0.0.1:0", &format!("127.0.0.1:{}", tests::free_port())),
    )
    .unwrap();
    let text = std::fs::read_to_string(&cfg_path).unwrap();
    let listen = text
        .lines()
        .find(|l| l.starts_with("listen"))
        .unwrap()
        .split('"')
        .nth(1)
        .unwrap()
        .to_string();
    let base = format!("http://{listen}");
    let mut child = tests::start_release_daemon(&cfg_path, &base).await;
    let http = reqwest::Client::new();
    let (ps, gs) = people(10_000, 50);
    let dir = serde_json::json!({
        "version": 1,
        "people": ps.iter().map(|p| serde_json::json!({
            "id": p.id, "name": p.name,
            "kind": if p.kind == PersonKind::Visitor { "visitor" } else { "resident" },
            "addresses": p.addresses.iter().map(|a| serde_json::json!({"estate": a.estate, "building": a.building, "unit": a.unit, "room": a.room})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "grants": gs.iter().map(|g| serde_json::json!({
            "id": g.id, "visitor_id": g.visitor_id, "host_id": g.host_id, "estate": g.estate,
            "appointment_at_ms": g.appointment_at, "status": "approved"})).collect::<Vec<_>>(),
    });
    let r = http
        .put(format!("{base}/v1/directory"))
        .bearer_auth(ADMIN)
        .json(&dir)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // Let it poll all 50 contacts for a while.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let status: serde_json::Value = http
        .get(format!("{base}/v1/status"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["people"], 10_000);
    assert_eq!(status["doors"].as_array().unwrap().len(), 50);
    let rss = tests::rss_kb(child.id(), "VmRSS:");
    let hwm = tests::rss_kb(child.id(), "VmHWM:");
    let _ = child.kill();
    let _ = child.wait();
    bench("daemon_rss_50_doors_10k_people", rss as f64 / 1024.0, "MB");
    bench(
        "daemon_peak_rss_50_doors_10k_people",
        hwm as f64 / 1024.0,
        "MB",
    );
    drop(peer);
}

fn main() {
    // `cargo bench -p tests --bench edge -- NAME…` runs only the sections named
    // (engine, store, onetap_tcp, onetap_rtu, rss); without names, all of them.
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let want = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    if want("engine") {
        engine_decisions();
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        if want("store") {
            store_durability_point();
            store_group_commit().await;
        }
        if want("onetap_tcp") {
            one_tap_latency("tcp", false).await;
        }
        if want("onetap_rtu") {
            one_tap_latency("rtu_pty", true).await;
        }
        if want("rss") {
            daemon_rss().await;
        }
    });
}
