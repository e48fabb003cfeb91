//! The face pass through the real box: a ≈1 MP JPEG pushed to `POST /v1/doors/east/face-frames`
//! of the release daemon, answered after the pass is on disk and the relay (pymodbus) acknowledged
//! the coil — frame in, relay command out. The resident was enrolled through the real cloud
//! (in-process, SQLite) and sync, as in production. Prints `BENCH` lines (README "Benchmarks").
//! Run with `bash tests/bench.sh face` (builds the release daemon, fetches the models).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tests::cloud::{build_community, Api, InProcess, LinkedBox, TestDb, ADMIN_TOKEN, PASSWORD};
use tests::ModbusPeer;

fn bench(name: &str, value: f64, unit: &str) {
    println!("BENCH {name} {value:.3} {unit}");
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn image(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../models/test-images")
        .join(name);
    std::fs::read(&p)
        .unwrap_or_else(|e| panic!("{}: {e} — run `bash models/fetch.sh`", p.display()))
}

fn loadavg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(f64::NAN)
}

fn main() {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(run());
}

async fn run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let release: PathBuf = std::env::var_os("EDGE_DAEMON_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/release/edge-daemon"));
    assert!(
        release.exists(),
        "{} missing: run `bash tests/bench.sh face`",
        release.display()
    );
    std::env::set_var("EDGE_DAEMON_BIN", &release);
    let tmp = tempfile::tempdir().unwrap();
    let db = TestDb::new(tests::cloud::Engine::Sqlite, tmp.path());
    let cloud = InProcess::start(tmp.path(), &db.url).await;
    let admin = Api::login(&cloud.base, "admin", PASSWORD).await;
    let c = build_community(&admin, "bench", "13800000041", 31.2, 121.4).await;
    let staff = Api::login(&cloud.base, &c.staff_user, PASSWORD).await;
    let p = |s: &str| format!("/v1/communities/{}{s}", c.id);
    let (_, v) = staff
        .upload(
            &p(&format!("/people/{}/face-photos", c.resident)),
            "image/jpeg",
            image("obama2.jpg"),
        )
        .await;
    let photo = v["id"].as_str().expect("photo uploaded").to_string();
    staff
        .put(
            &p(&format!("/people/{}/face-consent", c.resident)),
            &json!({"given": true}),
        )
        .await;
    staff
        .post(&p(&format!("/face-photos/{photo}/approve")), &json!({}))
        .await;

    let mut relay = ModbusPeer::tcp(&[1]).await;
    // One frame per decision (confirm_frames = 1, no repeat pause): every frame is a full
    // identification → access decision → durable record → coil write.
    let extra = format!(
        "[face]\nlibrary_path = \"{}\"\nmodels_dir = \"{}\"\ntemplate_key_file = \"{}\"\n\n[[face.doors]]\ndoor = \"east\"\nconfirm_frames = 1\nrepeat_ms = 0\n",
        root.join("models/runtime/libonnxruntime.so").display(),
        root.join("models").display(),
        tmp.path().join("face.key").display()
    );
    let b = LinkedBox::provision_and_start(tmp.path(), &cloud.base, &c, relay.addr(), 500, &extra)
        .await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, v) = staff.get(&p(&format!("/face-photos/{photo}"))).await;
        if v["enrolment"] == "enrolled" {
            break;
        }
        assert!(Instant::now() < deadline, "not enrolled: {v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let frame = image("obama.jpg"); // 1137×910, 1.03 MP
    let http = reqwest::Client::new();
    let push = || async {
        let t = Instant::now();
        let r = http
            .post(format!("{}/v1/doors/east/face-frames", b.base))
            .bearer_auth(ADMIN_TOKEN)
            .body(frame.clone())
            .send()
            .await
            .unwrap();
        let v: Value = r.json().await.unwrap();
        (t.elapsed().as_secs_f64() * 1000.0, v)
    };
    for _ in 0..10 {
        push().await;
    }
    let n = 200;
    let load_before = loadavg();
    let (mut e2e, mut keeper, mut decode) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let (ms, v) = push().await;
        assert_eq!(v["opened"], true, "{v}");
        e2e.push(ms);
        keeper.push(v["total_ms"].as_f64().unwrap());
        decode.push(v["decode_ms"].as_f64().unwrap());
        // Drain the peer's change lines so its pipe never fills.
        while relay.next_change(Duration::from_millis(0)).await.is_some() {}
    }
    let load_after = loadavg();
    for v in [&mut e2e, &mut keeper, &mut decode] {
        v.sort_by(|a, b| a.total_cmp(b));
    }
    bench("face_daemon_frames", n as f64, "frames");
    for (name, v) in [
        ("face_daemon_e2e", &e2e),
        ("face_daemon_keeper", &keeper),
        ("face_daemon_decode", &decode),
    ] {
        bench(&format!("{name}_p50"), pct(v, 0.50), "ms");
        bench(&format!("{name}_p95"), pct(v, 0.95), "ms");
        bench(&format!("{name}_p99"), pct(v, 0.99), "ms");
    }
    bench("face_daemon_loadavg_1m_before", load_before, "load");
    bench("face_daemon_loadavg_1m_after", load_after, "load");
    if let Some(pid) = b.proc.child.as_ref().and_then(|c| c.id()) {
        bench(
            "face_daemon_rss",
            tests::rss_kb(pid, "VmRSS:") as f64 / 1024.0,
            "MB",
        );
    }
}
