//! Benchmarks for sensors over MQTT. Each figure is one line `BENCH <name> <value> <unit>`;
//! README.md says what they mean. Run with `bash tests/bench.sh sensors`.
//!
//! - `mqtt_ingest_qos{0,1}`: 100,000 messages from 10 `mosquitto_pub -l` processes (a second
//!   process, as sensors are) through mosquitto into the daemon, decoded and run through the
//!   rules; messages/s from the first publish to the last decoded.
//! - `mqtt_publish_to_alarm_stored_{p50,p99}`: a smoke message published (rumqttc, QoS 1) →
//!   its alarm record durable in the outbox.
//! - `daemon_rss_2000_sensors`: the release daemon with 2,000 registered sensors that have all
//!   reported.

use std::io::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;
use tests::{free_port, Mosquitto};

#[path = "../tests/common/mod.rs"]
mod common;
use common::*;

fn bench(name: &str, value: f64, unit: &str) {
    println!("BENCH {name} {value:.3} {unit}");
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn sensors_toml(broker: u16, n: usize, client: &str) -> String {
    let mut s = format!("\n[mqtt]\nhost = \"127.0.0.1\"\nport = {broker}\nclient_id = \"{client}\"\n[sensor_rules]\nescalate_after_seconds = 0\n");
    for i in 0..n {
        s.push_str(&format!(
            "[[sensors]]\nid = \"smoke-{i:04}\"\nprofile = \"zigbee2mqtt-smoke\"\nbuilding = \"B{}\"\nunit = \"1\"\nfloor = {}\n",
            i % 20,
            i % 30
        ));
    }
    s
}

fn config(tmp: &Path, broker: u16, n: usize, client: &str) -> String {
    config_text(tmp, &test_key(), &profiles_dir(), "", "") + &sensors_toml(broker, n, client)
}

async fn snapshot(b: &EdgeBox) -> Value {
    tests::box_sensors(&b.http, &b.base, ADMIN).await
}

async fn wait_decoded(b: &EdgeBox, n: u64, within: Duration) -> u64 {
    let deadline = Instant::now() + within;
    loop {
        let d = snapshot(b).await["counters"]["decoded"]
            .as_u64()
            .unwrap_or(0);
        if d >= n || Instant::now() > deadline {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn ingest(qos: u8) {
    const PUBLISHERS: usize = 10;
    let per: usize = std::env::var("BENCH_MQTT_PER")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    #[allow(non_snake_case)]
    let PER = per;
    let tmp = tempfile::tempdir().unwrap();
    let broker = Mosquitto::start_with_autosave(1800).await;
    let mut b = EdgeBox::start(
        tmp.path(),
        test_key(),
        &config(
            tmp.path(),
            broker.port,
            PUBLISHERS,
            &format!("bench-q{qos}"),
        ),
    )
    .await;
    // Subscribed once a first message is decoded.
    let deadline = Instant::now() + Duration::from_secs(15);
    while wait_decoded(&b, 1, Duration::from_millis(300)).await == 0 {
        broker.publish("zigbee2mqtt/smoke-0000", br#"{"battery": 99}"#, 1);
        assert!(Instant::now() < deadline, "daemon never subscribed");
    }
    let base = wait_decoded(&b, 1, Duration::ZERO).await;
    // Each publisher sends PER lines; battery readings vary so the rules have work to do.
    let mut lines = Vec::new();
    for i in 0..PER {
        writeln!(
            lines,
            r#"{{"battery": {}, "smoke": false, "tamper": false, "linkquality": {}}}"#,
            50 + i % 50,
            i % 255
        )
        .unwrap();
    }
    let started = Instant::now();
    let mut kids = Vec::new();
    for p in 0..PUBLISHERS {
        let mut child = std::process::Command::new("mosquitto_pub")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &broker.port.to_string(),
                "-q",
                &qos.to_string(),
                "-l",
                "-t",
                &format!("zigbee2mqtt/smoke-{p:04}"),
            ])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .expect("mosquitto_pub");
        let mut stdin = child.stdin.take().unwrap();
        let data = lines.clone();
        std::thread::spawn(move || {
            let _ = stdin.write_all(&data);
        });
        kids.push(child);
    }
    let want = base + (PUBLISHERS * PER) as u64;
    let got = wait_decoded(&b, want, Duration::from_secs(300)).await;
    let secs = started.elapsed().as_secs_f64();
    for mut k in kids {
        let _ = k.wait();
    }
    if qos == 1 {
        assert_eq!(got, want, "QoS 1 messages lost");
    }
    bench(
        &format!("mqtt_ingest_qos{qos}"),
        (got - base) as f64 / secs,
        "msg/s",
    );
    if qos == 0 {
        bench(
            "mqtt_ingest_qos0_delivered",
            (got - base) as f64 / (PUBLISHERS * PER) as f64 * 100.0,
            "%",
        );
    }
    b.stop().await;
}

async fn latency() {
    let tmp = tempfile::tempdir().unwrap();
    let broker = Mosquitto::start_with_autosave(1800).await;
    let mut b = EdgeBox::start(
        tmp.path(),
        test_key(),
        &config(tmp.path(), broker.port, 1, "bench-lat"),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while wait_decoded(&b, 1, Duration::from_millis(300)).await == 0 {
        broker.publish("zigbee2mqtt/smoke-0000", br#"{"battery": 99}"#, 1);
        assert!(Instant::now() < deadline, "daemon never subscribed");
    }
    let mut opts = rumqttc::MqttOptions::new("bench-publisher", "127.0.0.1", broker.port);
    opts.set_keep_alive(Duration::from_secs(10));
    let (client, mut events) = rumqttc::AsyncClient::new(opts, 64);
    tokio::spawn(async move { while events.poll().await.is_ok() {} });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let store = b.store().clone();
    let mut samples = Vec::new();
    for i in 0..300 {
        let before = store.pending_alarm_count();
        let payload = if i % 2 == 0 {
            r#"{"smoke": true}"#
        } else {
            r#"{"smoke": false}"#
        };
        let t0 = Instant::now();
        client
            .publish(
                "zigbee2mqtt/smoke-0000",
                rumqttc::QoS::AtLeastOnce,
                false,
                payload.as_bytes().to_vec(),
            )
            .await
            .unwrap();
        // The keeper answers the MQTT ack only after the append is durable, so a record that
        // shows up here is on disk.
        loop {
            if store.pending_alarm_count() > before {
                break;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(5),
                "no alarm stored for message {i}"
            );
            tokio::task::yield_now().await;
        }
        samples.push(t0.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    bench("mqtt_publish_to_alarm_stored_p50", pct(&samples, 0.5), "ms");
    bench(
        "mqtt_publish_to_alarm_stored_p99",
        pct(&samples, 0.99),
        "ms",
    );
    b.stop().await;
}

async fn rss() {
    const N: usize = 2000;
    let tmp = tempfile::tempdir().unwrap();
    let broker = Mosquitto::start_with_autosave(1800).await;
    let port = free_port();
    let cfg = config(tmp.path(), broker.port, N, "bench-rss")
        .replace("127.0.0.1:0", &format!("127.0.0.1:{port}"));
    let cfg_path = tmp.path().join("edge.toml");
    std::fs::write(&cfg_path, cfg).unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = tests::start_release_daemon(&cfg_path, &base).await;
    let http = reqwest::Client::new();
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Every sensor reports once.
    let mut opts = rumqttc::MqttOptions::new("bench-rss-pub", "127.0.0.1", broker.port);
    opts.set_keep_alive(Duration::from_secs(10));
    let (client, mut events) = rumqttc::AsyncClient::new(opts, 1024);
    tokio::spawn(async move { while events.poll().await.is_ok() {} });
    for i in 0..N {
        client
            .publish(
                format!("zigbee2mqtt/smoke-{i:04}"),
                rumqttc::QoS::AtLeastOnce,
                false,
                br#"{"battery": 88, "smoke": false, "tamper": false}"#.to_vec(),
            )
            .await
            .unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let v: Value = tests::box_sensors(&http, &base, ADMIN).await;
        if v["counters"]["decoded"].as_u64().unwrap_or(0) >= N as u64 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not all sensors reported: {}",
            v["counters"]
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss = tests::rss_kb(child.id(), "VmRSS:");
    let hwm = tests::rss_kb(child.id(), "VmHWM:");
    let _ = child.kill();
    let _ = child.wait();
    bench("daemon_rss_2000_sensors", rss as f64 / 1024.0, "MB");
    bench("daemon_peak_rss_2000_sensors", hwm as f64 / 1024.0, "MB");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if let Ok(filter) = std::env::var("RUST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .try_init();
    }
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let want = |s: &str| args.is_empty() || args.iter().any(|a| a == s);
    if want("ingest") {
        ingest(1).await;
        ingest(0).await;
    }
    if want("latency") {
        latency().await;
    }
    if want("rss") {
        rss().await;
    }
}
