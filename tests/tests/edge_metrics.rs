//! The box's Prometheus metrics from the real binary: decisions by method, result and reason,
//! decision and relay latency histograms, bus failures for a unit that does not answer, outbox
//! depth and age, the clock's state. Text scraped from `GET /metrics` as Prometheus would.

mod common;

use std::time::{Duration, Instant};

use common::*;

/// The value of the sample `name` (with its labels exactly as written), if present.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_what_the_box_did() {
    let tmp = tempfile::tempdir().unwrap();
    // Unit 1 answers; the config also names unit 2, which does not.
    let peer = tests::ModbusPeer::tcp(&[1]).await;
    let key = test_key();
    let port = tests::free_port();
    let devices = format!(
        "{}{}",
        tcp_device("relay", RELAY, 1, peer.addr()),
        tcp_device("relay-b", RELAY, 2, peer.addr())
    );
    let cfg = config_text(
        tmp.path(),
        &key,
        &profiles_dir(),
        &devices,
        &format!(
            "{}{}",
            door("gate", ESTATE, "relay", 1, 100, 30),
            // Its contact is polled on the unit that does not answer.
            door("side", ESTATE, "relay-b", 1, 100, 30)
        ),
    )
    .replace("127.0.0.1:0", &format!("127.0.0.1:{port}"));
    let cfg_path = tmp.path().join("edge.toml");
    std::fs::write(&cfg_path, cfg).unwrap();
    let cfg_s = cfg_path.display().to_string();
    let mut proc = tests::Proc::spawn(
        tests::workspace_bin("edge-daemon"),
        &["run", "--config", &cfg_s],
        &[("RUST_LOG", "warn")],
        tmp.path().join("edge.log"),
    );
    let base = format!("http://127.0.0.1:{port}");
    tests::wait_http_ok(
        &format!("{base}/v1/health"),
        &mut proc,
        Duration::from_secs(30),
    )
    .await;
    let http = reqwest::Client::new();
    let r = http
        .put(format!("{base}/v1/directory"))
        .bearer_auth(ADMIN)
        .json(&directory(ESTATE, now_ms()))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    // Two one-taps that open, one for somebody the box does not know.
    for person in ["res-1", "res-1", "nobody"] {
        let cmd = sign(&key, "gate", person, now_ms(), now_ms() + 30_000);
        let r = http
            .post(format!("{base}/v1/onetap"))
            .json(&cmd)
            .send()
            .await
            .unwrap();
        assert!(r.status().as_u16() == 200 || r.status().as_u16() == 403);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let text = loop {
        let r = http.get(format!("{base}/metrics")).send().await.unwrap();
        assert_eq!(
            r.headers()["content-type"],
            "application/openmetrics-text; version=1.0.0; charset=utf-8"
        );
        let text = r.text().await.unwrap();
        // The missing unit is polled; its failures show up within a few polls.
        if sample(
            &text,
            r#"edge_bus_request_failures_total{device="relay-b"}"#,
        )
        .is_some_and(|v| v >= 1.0)
        {
            break text;
        }
        assert!(Instant::now() < deadline, "no bus failure counted:\n{text}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        sample(
            &text,
            r#"edge_decisions_total{method="one_tap",result="allowed",reason="resident"}"#
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"edge_decisions_total{method="one_tap",result="denied",reason="unknown_person"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "edge_decision_seconds_count"),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "edge_relay_seconds_count"),
        Some(2.0),
        "{text}"
    );
    assert!(
        sample(&text, r#"edge_bus_request_failures_total{device="relay"}"#).is_none(),
        "{text}"
    );
    // No cloud: all three passes wait in the outbox, and the oldest has some age.
    assert!(
        sample(&text, "edge_outbox_records").is_some_and(|v| v >= 3.0),
        "{text}"
    );
    assert!(
        sample(&text, "edge_outbox_bytes").is_some_and(|v| v > 0.0),
        "{text}"
    );
    assert!(
        sample(&text, "edge_outbox_oldest_age_seconds").is_some_and(|v| v >= 0.0),
        "{text}"
    );
    assert_eq!(sample(&text, "edge_clock_from_cloud"), Some(0.0), "{text}");
    assert!(text.ends_with("# EOF\n"));
    // Nothing personal in the text: no person ids, no keys.
    assert!(!text.contains("res-1"), "{text}");
    proc.kill9().await;
}
