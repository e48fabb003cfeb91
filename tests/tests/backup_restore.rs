//! Backup and restore of what nothing can make again, into fresh machines, with the real
//! binaries: the cloud's keys (`cloud-core backup-keys` / `restore-keys`) and the box's identity
//! (`edge-daemon backup` / `restore`). After both machines are lost, a new cloud on the same
//! database with the restored keys still reads the sealed ID numbers, and a new box with the
//! restored identity is accepted by it and opens the gate for a one-tap. A restore never replaces
//! a different key.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;
use tests::cloud::{
    build_community, cloud_config, resident_user, Api, CloudProc, Engine, LinkedBox, TestDb,
    PASSWORD,
};
use tests::{ChangeKind, ModbusPeer, Proc};

fn run(bin: &str, args: &[&str]) -> (i32, String) {
    let out = std::process::Command::new(tests::workspace_bin(bin))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("run {bin}: {e}"));
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_restored_into_fresh_machines_keep_ids_readable_and_the_box_trusted() {
    let tmp = tempfile::tempdir().unwrap();
    let db = TestDb::new(Engine::Sqlite, tmp.path());
    let mut cloud = CloudProc::start(tmp.path(), &db.url).await;
    let admin = Api::login(&cloud.base, "admin", PASSWORD).await;
    let c = build_community(&admin, "alpha", "13800000001", 31.2, 121.4).await;
    let mut relay = ModbusPeer::tcp(&[1]).await;
    let mut edge =
        LinkedBox::provision_and_start(tmp.path(), &cloud.base, &c, relay.addr(), 100, "").await;
    edge.wait_allowed(&c.resident, Duration::from_secs(20))
        .await;

    // The backups, taken while everything works.
    let (cloud_bak, box_bak) = (tmp.path().join("cloud.bak"), tmp.path().join("box.bak"));
    let (code, said) = run(
        "cloud-core",
        &[
            "backup-keys",
            "--config",
            &s(&tmp.path().join("cloud.toml")),
            "--out",
            &s(&cloud_bak),
        ],
    );
    assert_eq!(code, 0, "{said}");
    assert!(
        said.contains("onetap-signing-key") && said.contains("id-sealing-key"),
        "{said}"
    );
    let (code, said) = run(
        "edge-daemon",
        &[
            "backup",
            "--config",
            &s(&tmp.path().join("edge.toml")),
            "--out",
            &s(&box_bak),
        ],
    );
    assert_eq!(code, 0, "{said}");
    assert!(
        said.contains("box-identity") && said.contains("box-key"),
        "{said}"
    );
    let mode = std::fs::metadata(&box_bak).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        0o600
    );

    // Both machines are lost. (The database has its own backup; here it is simply kept.)
    cloud.kill9().await;
    edge.proc.kill9().await;

    // A fresh cloud machine: an empty key folder, the keys restored into it.
    let fresh = tmp.path().join("fresh-cloud");
    std::fs::create_dir_all(&fresh).unwrap();
    let port = tests::free_port();
    let cfg = fresh.join("cloud.toml");
    std::fs::write(
        &cfg,
        cloud_config(&fresh, &db.url, &format!("127.0.0.1:{port}")),
    )
    .unwrap();
    let (code, said) = run(
        "cloud-core",
        &[
            "restore-keys",
            "--config",
            &s(&cfg),
            "--from",
            &s(&cloud_bak),
        ],
    );
    assert_eq!(code, 0, "{said}");
    assert_eq!(said.matches("Write").count(), 2, "{said}");
    let (code, said) = run(
        "cloud-core",
        &[
            "restore-keys",
            "--config",
            &s(&cfg),
            "--from",
            &s(&cloud_bak),
        ],
    );
    assert_eq!(
        (code, said.matches("AlreadyThere").count()),
        (0, 2),
        "{said}"
    );
    let mut new_cloud = Proc::spawn(
        tests::workspace_bin("cloud-core"),
        &["run", "--config", &s(&cfg)],
        &[("RUST_LOG", "warn")],
        fresh.join("cloud.log"),
    );
    let base = format!("http://127.0.0.1:{port}");
    tests::wait_http_ok(
        &format!("{base}/v1/health"),
        &mut new_cloud,
        Duration::from_secs(60),
    )
    .await;
    let admin = Api::login(&base, "admin", PASSWORD).await;
    let (status, p) = admin
        .get(&format!(
            "/v1/communities/{}/people/{}?reveal=true",
            c.id, c.resident
        ))
        .await;
    assert_eq!(
        (status, p["id_number"].as_str()),
        (200, Some("110101199003071234")),
        "{p}"
    );

    // A fresh box: its config names new places; the identity is restored there.
    let fresh_box = tmp.path().join("fresh-box");
    std::fs::create_dir_all(&fresh_box).unwrap();
    let old_cfg = std::fs::read_to_string(tmp.path().join("edge.toml")).unwrap();
    let box_cfg = fresh_box.join("edge.toml");
    let port_box = tests::free_port();
    let new_text = old_cfg
        .replace(
            &s(&tmp.path().join("edge-cloud")),
            &s(&fresh_box.join("identity")),
        )
        .replace(
            &s(&tmp.path().join("edge-store")),
            &s(&fresh_box.join("store")),
        )
        .replace(
            &edge.base.replace("http://", ""),
            &format!("127.0.0.1:{port_box}"),
        );
    assert_ne!(new_text, old_cfg);
    std::fs::write(&box_cfg, &new_text).unwrap();
    // The identity names the old cloud's address; the new cloud listens elsewhere.
    let (code, said) = run(
        "edge-daemon",
        &["restore", "--config", &s(&box_cfg), "--from", &s(&box_bak)],
    );
    assert_eq!(code, 0, "{said}");
    let identity = fresh_box.join("identity/cloud-identity.toml");
    let text = std::fs::read_to_string(&identity).unwrap();
    std::fs::remove_file(&identity).unwrap();
    std::fs::write(&identity, text.replace(&cloud.base, &base)).unwrap();
    let mut new_box = Proc::spawn(
        tests::workspace_bin("edge-daemon"),
        &["run", "--config", &s(&box_cfg)],
        &[("RUST_LOG", "info")],
        fresh_box.join("edge.log"),
    );
    let box_base = format!("http://127.0.0.1:{port_box}");
    tests::wait_http_ok(
        &format!("{box_base}/v1/health"),
        &mut new_box,
        Duration::from_secs(60),
    )
    .await;
    // The new cloud accepts the restored box's signature, and the box trusts the restored
    // cloud's one-tap key: a resident's one-tap opens the gate.
    let host = resident_user(&base, &c).await;
    while relay
        .next_change(Duration::from_millis(300))
        .await
        .is_some()
    {}
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, r) = host
            .post(
                "/v1/app/onetap",
                &json!({"lat": c.lat + 0.0002, "lon": c.lon}),
            )
            .await;
        if r["result"] == "opened" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the restored box never opened: {r}\n{}",
            new_box.log_text()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let on = relay.next_change(Duration::from_secs(5)).await;
    assert!(on.is_some_and(|c| c.kind == ChangeKind::Coil && c.value == 1));

    // A restore never replaces a different key.
    let other = tmp.path().join("other-cloud");
    std::fs::create_dir_all(other.join("keys")).unwrap();
    std::fs::write(other.join("keys/data.key"), "c29tZXRoaW5nIGVsc2U=").unwrap();
    let other_cfg = other.join("cloud.toml");
    std::fs::write(&other_cfg, cloud_config(&other, &db.url, "127.0.0.1:1")).unwrap();
    let (code, said) = run(
        "cloud-core",
        &[
            "restore-keys",
            "--config",
            &s(&other_cfg),
            "--from",
            &s(&cloud_bak),
        ],
    );
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("different id-sealing-key"), "{said}");
    assert!(
        !other.join("keys/onetap-signing.key").exists(),
        "nothing written on a refusal"
    );
    new_box.kill9().await;
    new_cloud.kill9().await;
}
