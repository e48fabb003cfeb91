//! Smoke detectors and elevator monitors over MQTT, with real peers: mosquitto as the broker,
//! `mosquitto_pub` as the sensors, pymodbus as the relay module that holds the exits.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;
use tests::{ModbusPeer, Mosquitto, TestPki};

fn sensor_config(broker: u16, extra: &str) -> String {
    sensor_config_with(broker, "", extra)
}

/// `mqtt_extra`: more `[mqtt]` keys (TLS).
fn sensor_config_with(broker: u16, mqtt_extra: &str, extra: &str) -> String {
    format!(
        r#"
[mqtt]
host = "127.0.0.1"
port = {broker}
client_id = "edge-test-box"
keep_alive_seconds = 5
{mqtt_extra}

[sensor_rules]
escalate_after_seconds = 0

[[sensors]]
id = "smoke-b3"
profile = "zigbee2mqtt-smoke"
name = "Smoke B3 stairwell"
building = "B3"
unit = "1"
floor = 5

[[sensors]]
id = "lift-b3"
profile = "gbt24476-elevator-json"
building = "B3"
unit = "1"

[[fire_release]]
building = "B3"
doors = ["exit-b3"]
{extra}
"#
    )
}

async fn start(
    tmp: &std::path::Path,
    relay: &ModbusPeer,
    broker: &Mosquitto,
    extra: &str,
) -> EdgeBox {
    let key = test_key();
    let devices = tcp_device("relay", RELAY, 1, relay.addr());
    let doors = format!(
        "{}monitor_contact = false\n",
        door("exit-b3", ESTATE, "relay", 1, 300, 30)
    );
    let cfg = config_text(tmp, &key, &profiles_dir(), &devices, &doors)
        + &sensor_config(broker.port, extra);
    EdgeBox::start(tmp, key, &cfg).await
}

async fn sensors(b: &EdgeBox) -> Value {
    tests::box_sensors(&b.http, &b.base, ADMIN).await
}

async fn wait_sensors(b: &EdgeBox, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let v = sensors(b).await;
        if ok(&v) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {v}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn alarm<'a>(v: &'a Value, device: &str, kind: &str) -> Option<&'a Value> {
    v["alarms"]
        .as_array()?
        .iter()
        .find(|a| a["device"] == device && a["alarm"] == kind)
}

fn outbox_kinds(b: &EdgeBox, source: &str) -> Vec<(String, String)> {
    b.outbox_alarms()
        .into_iter()
        .filter(|(s, _, _)| s == source)
        .map(|(_, k, st)| (k, st))
        .collect()
}

/// Wait until the daemon has subscribed (a first message is decoded).
async fn wait_subscribed(b: &EdgeBox, broker: &Mosquitto) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        broker.publish("zigbee2mqtt/smoke-b3", br#"{"battery": 95}"#, 1);
        tokio::time::sleep(Duration::from_millis(200)).await;
        if sensors(b).await["counters"]["decoded"]
            .as_u64()
            .unwrap_or(0)
            > 0
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "never subscribed; broker log: {}",
            broker.log()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smoke_raises_releases_the_exits_and_only_an_operator_restores_them() {
    let tmp = tempfile::tempdir().unwrap();
    let mut relay = ModbusPeer::tcp(&[1]).await;
    let broker = Mosquitto::start().await;
    let mut b = start(tmp.path(), &relay, &broker, "").await;
    wait_subscribed(&b, &broker).await;
    while relay
        .next_change(Duration::from_millis(300))
        .await
        .is_some()
    {}

    broker.publish(
        "zigbee2mqtt/smoke-b3",
        br#"{"smoke": true, "smoke_density": 12, "battery": 90, "tamper": false}"#,
        1,
    );
    let v = wait_sensors(&b, "smoke alarm", |v| {
        alarm(v, "smoke-b3", "smoke").is_some()
    })
    .await;
    let a = alarm(&v, "smoke-b3", "smoke").unwrap();
    assert_eq!(
        (a["severity"].as_str(), a["active"].as_bool()),
        (Some("critical"), Some(true))
    );
    // The exit is held released: the coil goes on and stays on.
    let on = relay
        .next_change(Duration::from_secs(5))
        .await
        .expect("relay energised");
    assert_eq!((on.addr, on.value), (0, 1), "{on:?}");
    assert!(
        relay
            .next_change(Duration::from_millis(1500))
            .await
            .is_none(),
        "a fire release is not a pulse"
    );
    let v = wait_sensors(&b, "released doors", |v| {
        v["released_doors"][0] == "exit-b3"
    })
    .await;
    assert_eq!(v["released_doors"].as_array().unwrap().len(), 1);
    let st = b.status().await;
    assert_eq!(st["doors"][0]["mode"], "emergency_release", "{st}");
    // Anyone may pass while released.
    let r = b
        .http
        .post(format!("{}/v1/decide", b.base))
        .bearer_auth(ADMIN)
        .json(&serde_json::json!({"door_id": "exit-b3", "person_id": "stranger", "method": "face"}))
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    let d: Value = r.json().await.unwrap();
    assert_eq!(
        (s, d["reason"].as_str()),
        (200, Some("emergency_release")),
        "{d}"
    );

    // The smoke clears: the alarm clears, the exit stays released.
    broker.publish("zigbee2mqtt/smoke-b3", br#"{"smoke": false}"#, 1);
    wait_sensors(&b, "smoke cleared", |v| {
        alarm(v, "smoke-b3", "smoke").is_some_and(|a| a["active"] == false)
    })
    .await;
    assert!(relay
        .next_change(Duration::from_millis(800))
        .await
        .is_none());
    // Acknowledged after clearing: closed. A second ack: 404.
    let ack = |b: &EdgeBox| {
        let url = format!("{}/v1/sensors/smoke-b3/alarms/smoke/ack", b.base);
        let http = b.http.clone();
        async move {
            http.post(url)
                .bearer_auth(ADMIN)
                .json(&serde_json::json!({"by": "staff-li"}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(ack(&b).await, 200);
    assert_eq!(ack(&b).await, 404);
    assert!(alarm(&sensors(&b).await, "smoke-b3", "smoke").is_none());

    // A restart keeps the release (doors stay released until restored).
    b.restart().await;
    let st = b.status().await;
    assert_eq!(st["doors"][0]["mode"], "emergency_release");
    // Only the restore ends it: the relay goes off.
    let r = b
        .http
        .post(format!("{}/v1/fire/restore", b.base))
        .bearer_auth(ADMIN)
        .json(&serde_json::json!({"building": "B3", "by": "fire officer Wang"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["restored"][0], "exit-b3");
    let mut off = None;
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        match relay.next_change(Duration::from_secs(1)).await {
            Some(c) if c.addr == 0 && c.value == 0 => {
                off = Some(c);
                break;
            }
            _ => {}
        }
    }
    assert!(off.is_some(), "the relay was not switched off on restore");
    assert_eq!(b.status().await["doors"][0]["mode"], "normal");
    // Every transition went to the outbox, audited: raised, cleared, acked, and the release.
    let kinds = outbox_kinds(&b, "smoke-b3");
    assert_eq!(
        kinds,
        vec![
            ("smoke".into(), "raised".into()),
            ("smoke".into(), "cleared".into()),
            ("smoke".into(), "acked:staff-li".into())
        ]
    );
    let audit = outbox_kinds(&b, "box");
    assert!(
        audit.contains(&("fire_release".into(), "raised".into())),
        "{audit:?}"
    );
    assert!(
        audit.contains(&("fire_release".into(), "cleared".into())),
        "{audit:?}"
    );
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_messages_are_counted_and_raise_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = ModbusPeer::tcp(&[1]).await;
    let broker = Mosquitto::start().await;
    let mut b = start(tmp.path(), &relay, &broker, "").await;
    wait_subscribed(&b, &broker).await;
    let t = "zigbee2mqtt/smoke-b3";
    broker.publish(t, b"{smoke: yes", 1);
    broker.publish(t, br#"{"smoke": "perhaps"}"#, 1);
    broker.publish(t, br#"{"linkquality": 80}"#, 1);
    broker.publish(t, br#"[true]"#, 1);
    broker.publish(t, &vec![b' '; 5000], 1);
    broker.publish(t, br#"{"battery": 250}"#, 1);
    broker.publish("zigbee2mqtt/not-registered", br#"{"smoke": true}"#, 1);
    broker.publish("elevator/lift-b3/status", br#"{"floor": "three"}"#, 1);
    let v = wait_sensors(&b, "all counted", |v| {
        let c = &v["counters"];
        c["unknown_device"] == 1 && c["rejected"]["bad_value"] == 3
    })
    .await;
    let c = &v["counters"];
    assert_eq!(c["rejected"]["not_json"], 1, "{c}");
    assert_eq!(c["rejected"]["no_known_field"], 1, "{c}");
    assert_eq!(c["rejected"]["not_object"], 1, "{c}");
    assert_eq!(c["rejected"]["too_large"], 1, "{c}");
    assert!(
        v["alarms"].as_array().unwrap().is_empty(),
        "false alarm: {v}"
    );
    assert!(outbox_kinds(&b, "smoke-b3").is_empty());
    // Still alive and deciding.
    broker.publish(t, br#"{"tamper": true}"#, 1);
    wait_sensors(&b, "tamper", |v| alarm(v, "smoke-b3", "tamper").is_some()).await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silence_raises_offline_and_a_message_clears_it() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = ModbusPeer::tcp(&[1]).await;
    let broker = Mosquitto::start().await;
    // The elevator monitor must report every second; three missed → offline.
    let mut b = start(tmp.path(), &relay, &broker, "").await;
    let cfg = std::fs::read_to_string(&b.config_path).unwrap().replace(
        "profile = \"gbt24476-elevator-json\"",
        "profile = \"gbt24476-elevator-json\"\nheartbeat_interval_seconds = 1",
    );
    std::fs::write(&b.config_path, cfg).unwrap();
    b.restart().await;
    wait_subscribed(&b, &broker).await;
    let v = wait_sensors(&b, "lift offline", |v| {
        alarm(v, "lift-b3", "sensor_offline").is_some()
    })
    .await;
    assert!(
        alarm(&v, "smoke-b3", "sensor_offline").is_none(),
        "the hourly smoke detector is not late"
    );
    broker.publish(
        "elevator/lift-b3/status",
        br#"{"floor": 2, "running": false, "level": true}"#,
        1,
    );
    wait_sensors(&b, "lift back", |v| {
        alarm(v, "lift-b3", "sensor_offline").is_some_and(|a| a["active"] == false)
    })
    .await;
    b.stop().await;
}

/// The broker kept a session for the box's client id that lacks the box's subscriptions (the
/// daemon was stopped between connecting and subscribing, or ran an older config). The box
/// subscribes anyway: a present session is not proof of the subscriptions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_session_without_our_subscriptions_is_subscribed_again() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = ModbusPeer::tcp(&[1]).await;
    let broker = Mosquitto::start().await;
    broker.leave_session("edge-test-box", "somewhere/else");
    let mut b = start(tmp.path(), &relay, &broker, "").await;
    wait_subscribed(&b, &broker).await;
    b.stop().await;
}

/// Messages queued in the broker while the box is away, and a broker restart in the middle of a
/// stream: every QoS 1 message arrives and the alarm is raised once. (QoS 1 is at-least-once: a
/// broker that restarts may deliver again what it had not yet saved as acknowledged; a repeat
/// never raises a second alarm — it can only update the open one.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_restart_mid_stream_loses_no_qos1_message() {
    let tmp = tempfile::tempdir().unwrap();
    let relay = ModbusPeer::tcp(&[1]).await;
    let mut broker = Mosquitto::start().await;
    let mut b = start(tmp.path(), &relay, &broker, "").await;
    wait_subscribed(&b, &broker).await;
    // Box away: 20 fault codes wait in its persistent session.
    b.stop().await;
    for code in 1..=20 {
        broker.publish(
            "elevator/lift-b3/status",
            format!(r#"{{"fault_code": {code}}}"#).as_bytes(),
            1,
        );
    }
    // The broker restarts too (saving the session), then the box comes back.
    broker.stop(true).await;
    broker.restart().await;
    b.restart().await;
    // Mid-stream restart with the box connected.
    for code in 21..=40 {
        broker.publish(
            "elevator/lift-b3/status",
            format!(r#"{{"fault_code": {code}}}"#).as_bytes(),
            1,
        );
        if code == 30 {
            broker.stop(true).await;
            broker.restart().await;
        }
    }
    let v = wait_sensors(&b, "fault code 40", |v| {
        alarm(v, "lift-b3", "elevator_fault")
            .is_some_and(|a| a["detail"].as_str().unwrap_or("").contains("fault code 40"))
    })
    .await;
    assert!(v["counters"]["decoded"].as_u64().unwrap() >= 20, "{v}");
    let records: Vec<(String, String)> = b
        .store()
        .outbox_head(100_000)
        .unwrap()
        .into_iter()
        .filter_map(|i| match i {
            edge_daemon::store::records::OutboxItemV1::Alarm(a)
                if a.source == "lift-b3" && a.kind == "elevator_fault" =>
            {
                Some((a.state, a.detail))
            }
            _ => None,
        })
        .collect();
    let raised = records.iter().filter(|r| r.0 == "raised").count();
    assert_eq!(
        raised, 1,
        "one alarm, however often messages repeat: {records:?}"
    );
    let seen: std::collections::BTreeSet<i64> = records
        .iter()
        .filter_map(|(_, d)| {
            d.split("fault code ")
                .nth(1)?
                .split(';')
                .next()?
                .trim()
                .parse()
                .ok()
        })
        .collect();
    let want: std::collections::BTreeSet<i64> = (1..=40).collect();
    assert_eq!(seen, want, "every fault code arrived");
    b.stop().await;
}

/// TLS to the broker: with the CA that signed the broker's certificate the box connects and a
/// smoke message raises the alarm; a box that trusts another CA never connects.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_broker_is_verified() {
    let tmp = tempfile::tempdir().unwrap();
    let pki_dir = tmp.path().join("pki");
    let other_dir = tmp.path().join("other-pki");
    std::fs::create_dir_all(&pki_dir).unwrap();
    std::fs::create_dir_all(&other_dir).unwrap();
    let pki = TestPki::generate(&pki_dir);
    let other = TestPki::generate(&other_dir);
    let relay = ModbusPeer::tcp(&[1]).await;
    let broker = Mosquitto::start_tls(&pki).await;

    let start_with_ca = |dir: std::path::PathBuf, ca: std::path::PathBuf| {
        let relay_addr = relay.addr();
        let port = broker.port;
        async move {
            std::fs::create_dir_all(&dir).unwrap();
            let key = test_key();
            let devices = tcp_device("relay", RELAY, 1, relay_addr);
            let doors = format!(
                "{}monitor_contact = false\n",
                door("exit-b3", ESTATE, "relay", 1, 300, 30)
            );
            let cfg = config_text(&dir, &key, &profiles_dir(), &devices, &doors)
                + &sensor_config_with(port, &format!("tls_ca_file = \"{}\"", ca.display()), "");
            EdgeBox::start(&dir, key, &cfg).await
        }
    };
    let b = start_with_ca(tmp.path().join("good"), pki.ca_cert.clone()).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        broker.publish("zigbee2mqtt/smoke-b3", br#"{"smoke": true}"#, 1);
        tokio::time::sleep(Duration::from_millis(300)).await;
        if alarm(&sensors(&b).await, "smoke-b3", "smoke").is_some() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no alarm over TLS; broker log: {}",
            broker.log()
        );
    }
    drop(b);

    let wrong = start_with_ca(tmp.path().join("wrong"), other.ca_cert.clone()).await;
    for _ in 0..5 {
        broker.publish("zigbee2mqtt/smoke-b3", br#"{"smoke": true}"#, 1);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let v = sensors(&wrong).await;
    assert_eq!(
        v["counters"]["received"], 0,
        "a broker with an unknown CA was trusted: {v}"
    );
    assert!(v["alarms"].as_array().unwrap().is_empty(), "{v}");
}
