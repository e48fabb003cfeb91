//! The installer's tools with the real binary and real peers: `edge-daemon doctor` (pymodbus with
//! one configured unit present and one missing, mosquitto up and down, the store in use by a
//! running daemon, the real cloud with this box's identity, a box clock 10 minutes off under
//! libfaketime, the cloud gone), `edge-daemon scan-bus` (which unit ids answer on a line) and
//! `edge-daemon test-door` (the relay pulsed, the contact opened and closed by the peer).

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use common::*;
use tests::cloud::{build_community, Api, CloudProc, Engine, LinkedBox, TestDb, PASSWORD};
use tests::{ChangeKind, ModbusPeer, Mosquitto};

fn bin() -> PathBuf {
    tests::workspace_bin("edge-daemon")
}

async fn tool(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = tokio::process::Command::new(bin());
    cmd.args(args).env("RUST_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().await.expect("run edge-daemon");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&stdout),
        String::from_utf8_lossy(&stderr)
    );
    (status.code().unwrap_or(-1), text)
}

/// The report line about `what` (its second column), which must exist.
fn line<'a>(report: &'a str, what: &str) -> &'a str {
    report
        .lines()
        .find(|l| {
            let rest = l.split_once(' ').map_or("", |(_, r)| r.trim_start());
            rest.strip_prefix(what)
                .is_some_and(|after| after.starts_with(' '))
        })
        .unwrap_or_else(|| panic!("no line about `{what}` in:\n{report}"))
}

fn write_config(dir: &Path, peer: std::net::SocketAddr, broker: u16) -> PathBuf {
    let key = test_key();
    let devices = format!(
        "{}{}",
        tcp_device("relay", RELAY, 1, peer),
        tcp_device("relay-b", RELAY, 2, peer)
    );
    let mut cfg = config_text(
        dir,
        &key,
        &profiles_dir(),
        &devices,
        &door("gate", ESTATE, "relay", 1, 300, 30),
    );
    cfg.push_str(&format!(
        "[mqtt]\nhost = \"127.0.0.1\"\nport = {broker}\nclient_id = \"box-under-test\"\n"
    ));
    let path = dir.join("edge.toml");
    std::fs::write(&path, cfg).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_scan_bus_and_test_door_explain_the_wiring() {
    let tmp = tempfile::tempdir().unwrap();
    // Units 1 and 3 answer on the line; the config names 1 (relay) and 2 (relay-b).
    let mut peer = ModbusPeer::tcp(&[1, 3]).await;
    let mut broker = Mosquitto::start().await;
    let cfg = write_config(tmp.path(), peer.addr(), broker.port);
    let cfg_s = cfg.display().to_string();

    let (code, report) = tool(&["doctor", "--config", &cfg_s], &[]).await;
    assert_eq!(code, 1, "a missing unit is a problem:\n{report}");
    assert!(line(&report, "device relay").starts_with("ok"), "{report}");
    let missing = line(&report, "device relay-b");
    assert!(missing.starts_with("PROBLEM"), "{report}");
    assert!(
        missing.contains("unit 2") && missing.contains("scan-bus"),
        "{missing}"
    );
    assert!(line(&report, "mqtt broker").starts_with("ok"), "{report}");
    assert!(line(&report, "store").starts_with("ok"), "{report}");
    assert!(line(&report, "disk").starts_with("ok"), "{report}");
    assert!(report.contains("1 problem(s)"), "{report}");

    // The broker down: said in words.
    broker.stop(true).await;
    let (_, report) = tool(&["doctor", "--config", &cfg_s], &[]).await;
    let mqtt = line(&report, "mqtt broker");
    assert!(
        mqtt.starts_with("PROBLEM") && mqtt.contains("mosquitto"),
        "{mqtt}"
    );

    // Which ids answer on the line: 1 and 3, not 2.
    let (code, scan) = tool(
        &[
            "scan-bus",
            "--config",
            &cfg_s,
            "--device",
            "relay-b",
            "--from",
            "1",
            "--to",
            "5",
            "--timeout-ms",
            "300",
        ],
        &[],
    )
    .await;
    assert_eq!(code, 0, "{scan}");
    assert!(scan.contains("2 unit id(s) answered"), "{scan}");
    assert!(
        scan.contains("unit 1:") && scan.contains("unit 3:"),
        "{scan}"
    );
    assert!(!scan.contains("unit 2:"), "{scan}");

    // test-door: the relay pulses; the peer opens the contact for a moment, as a door would.
    while peer.next_change(Duration::from_millis(200)).await.is_some() {}
    let door_test = tokio::spawn({
        let cfg_s = cfg_s.clone();
        async move {
            tool(
                &[
                    "test-door",
                    "--config",
                    &cfg_s,
                    "gate",
                    "--watch-seconds",
                    "3",
                ],
                &[],
            )
            .await
        }
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(c) = peer.next_change(Duration::from_millis(200)).await {
            if c.kind == ChangeKind::Coil && c.addr == 0 && c.value == 1 {
                break;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "test-door never drove the relay"
        );
    }
    peer.set_di(1, 0, true).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    peer.set_di(1, 0, false).await;
    let (code, said) = door_test.await.unwrap();
    assert_eq!(code, 0, "{said}");
    assert!(
        said.contains("pulsed through device relay for 300 ms"),
        "{said}"
    );
    assert!(
        said.contains("the contact went open after") && said.contains("closed again"),
        "{said}"
    );

    // With the daemon running, the doctor says so instead of fighting it for the line.
    let mut daemon = tests::Proc::spawn(
        bin(),
        &["run", "--config", &cfg_s],
        &[("RUST_LOG", "warn")],
        tmp.path().join("daemon.log"),
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!daemon.has_exited(), "{}", daemon.log_text());
    let (code, report) = tool(&["doctor", "--config", &cfg_s], &[]).await;
    assert_eq!(code, 1, "{report}");
    assert!(
        line(&report, "store").contains("edge-daemon is running"),
        "{report}"
    );
    daemon.kill9().await;

    // A config error exits 64 and names the field.
    let bad = tmp.path().join("bad.toml");
    std::fs::write(
        &bad,
        std::fs::read_to_string(&cfg)
            .unwrap()
            .replace("slave_id = 2", "slave_id = 0"),
    )
    .unwrap();
    let (code, said) = tool(&["doctor", "--config", &bad.display().to_string()], &[]).await;
    assert_eq!(code, 64, "{said}");
    assert!(said.contains("slave_id"), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_checks_the_cloud_identity_and_the_clock() {
    let tmp = tempfile::tempdir().unwrap();
    let db = TestDb::new(Engine::Sqlite, tmp.path());
    let mut cloud = CloudProc::start(tmp.path(), &db.url).await;
    let admin = Api::login(&cloud.base, "admin", PASSWORD).await;
    let c = build_community(&admin, "alpha", "13800000001", 31.2, 121.4).await;
    let relay = ModbusPeer::tcp(&[1]).await;
    let mut edge =
        LinkedBox::provision_and_start(tmp.path(), &cloud.base, &c, relay.addr(), 100, "").await;
    edge.proc.kill9().await;
    let cfg_s = tmp.path().join("edge.toml").display().to_string();

    let (code, report) = tool(&["doctor", "--config", &cfg_s], &[]).await;
    assert_eq!(code, 0, "{report}");
    let cloud_line = line(&report, "cloud");
    assert!(
        cloud_line.starts_with("ok") && cloud_line.contains(&c.box_id),
        "{report}"
    );
    assert!(line(&report, "clock").starts_with("ok"), "{report}");

    // The box's clock 10 minutes ahead: the cloud refuses its signature's time, and the doctor
    // measures by how much from the cloud's signed answer.
    let ft = tmp.path().join("faketime");
    std::fs::write(&ft, "+600\n").unwrap();
    let lib = std::fs::read_dir("/usr/lib")
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path().join("faketime/libfaketime.so.1"))
        .find(|p| p.exists())
        .expect("libfaketime (tests/setup.sh installs it)");
    let (lib_s, ft_s) = (lib.display().to_string(), ft.display().to_string());
    let (code, report) = tool(
        &["doctor", "--config", &cfg_s],
        &[
            ("LD_PRELOAD", &lib_s),
            ("FAKETIME_TIMESTAMP_FILE", &ft_s),
            ("FAKETIME_DONT_FAKE_MONOTONIC", "1"),
        ],
    )
    .await;
    assert_eq!(code, 0, "warnings only:\n{report}");
    let clock = line(&report, "clock");
    assert!(
        clock.starts_with("WARN") && clock.contains("+600."),
        "{report}"
    );
    assert!(line(&report, "cloud").starts_with("WARN"), "{report}");

    // The box revoked in the console: a problem, in words.
    admin
        .ok(
            &format!("/v1/communities/{}/boxes/{}/revoke", c.id, c.box_id),
            &serde_json::json!({}),
        )
        .await;
    let (code, report) = tool(&["doctor", "--config", &cfg_s], &[]).await;
    assert_eq!(code, 1, "{report}");
    assert!(line(&report, "cloud").contains("revoked"), "{report}");

    // The cloud gone.
    cloud.kill9().await;
    let (code, report) = tool(&["doctor", "--config", &cfg_s], &[]).await;
    assert_eq!(code, 1, "{report}");
    assert!(line(&report, "cloud").contains("cannot reach"), "{report}");
    drop(relay);
}
