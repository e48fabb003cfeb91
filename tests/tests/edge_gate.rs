//! End-to-end: the edge daemon against pymodbus playing the relay module, over Modbus TCP and
//! over RTU through a socat pty pair. One-tap opens, pulses, door alarms, dead and returning
//! devices, a shared RS-485 bus with one dead slave, and hostile input on the API and the line.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use serde_json::json;
use tests::{ChangeKind, ModbusPeer, PtyPair};

const WAIT: Duration = Duration::from_secs(10);

/// Wait for coil `addr` of device `dev` to take `value`, returning the peer's timestamp (µs).
async fn coil_change(peer: &mut ModbusPeer, dev: u8, addr: u16, value: u16) -> u64 {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if let Some(c) = peer.next_change(Duration::from_millis(200)).await {
            if c.kind == ChangeKind::Coil && c.dev == dev && c.addr == addr && c.value == value {
                return c.t_us;
            }
        }
    }
    panic!("coil {dev}/{addr} never became {value}");
}

async fn pulse_is_seen(peer: &mut ModbusPeer, edge: &EdgeBox, door: &str, pulse_ms: u64) {
    let (status, body) = edge.open(door, "res-1").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["allowed"], true);
    assert_eq!(body["reason"], "resident");
    assert_eq!(body["opened"], true);
    let on = coil_change(peer, 1, 0, 1).await;
    let off = coil_change(peer, 1, 0, 0).await;
    let held_ms = (off - on) / 1000;
    // The relay stays on for pulse_ms (the poll of the peer's store adds a little jitter).
    assert!(
        held_ms >= pulse_ms - 20,
        "relay on for {held_ms} ms, pulse is {pulse_ms} ms"
    );
    // Switched off, not held: a loaded CI machine may be late by a second or two, never more.
    assert!(
        held_ms < pulse_ms + 5000,
        "relay on for {held_ms} ms, pulse is {pulse_ms} ms"
    );
    // The decision is in the pass log and the outbox.
    let id: uuid::Uuid = body["record_id"].as_str().unwrap().parse().unwrap();
    assert!(edge.store().contains_record(id).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_one_tap_pulses_the_relay_for_pulse_ms() {
    let tmp = tempfile::tempdir().unwrap();
    let mut peer = ModbusPeer::tcp(&[1]).await;
    let mut edge = start_box(
        tmp.path(),
        &tcp_device("relay", RELAY, 1, peer.addr()),
        &door("gate", ESTATE, "relay", 1, 300, 30),
    )
    .await;
    pulse_is_seen(&mut peer, &edge, "gate", 300).await;

    // A resident of another estate is refused, and the refusal is recorded too.
    let before = edge.store().passlog_len();
    let (status, body) = edge.open("gate", "res-other").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["reason"], "not_authorised_for_estate");
    assert_eq!(edge.store().passlog_len(), before + 1);
    assert!(
        peer.next_change(Duration::from_millis(300)).await.is_none(),
        "a refused open moved a relay"
    );
    edge.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rtu_one_tap_pulses_the_relay_for_pulse_ms() {
    let tmp = tempfile::tempdir().unwrap();
    let pty = PtyPair::new(tmp.path()).await;
    let mut peer = ModbusPeer::rtu(pty.bus_a(), &[1]).await;
    let mut edge = start_box(
        tmp.path(),
        &rtu_device("relay", RELAY, 1, pty.bus_b()),
        &door("gate", ESTATE, "relay", 1, 400, 30),
    )
    .await;
    pulse_is_seen(&mut peer, &edge, "gate", 400).await;
    edge.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn visitor_window_is_honoured_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let peer = ModbusPeer::tcp(&[1]).await;
    let key = test_key();
    let cfg = config_text(
        tmp.path(),
        &key,
        &profiles_dir(),
        &tcp_device("relay", RELAY, 1, peer.addr()),
        &door("gate", ESTATE, "relay", 1, 200, 30),
    );
    let mut edge = EdgeBox::start(tmp.path(), key, &cfg).await;
    // Appointment in 50 minutes: inside the ±1 h window now.
    edge.import(directory(ESTATE, now_ms() + 50 * 60_000)).await;
    let (status, body) = edge.open("gate", "vis-1").await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (200, Some("visitor")),
        "{body}"
    );
    // Appointment moved to 61 minutes ahead: outside.
    edge.import(directory(ESTATE, now_ms() + 61 * 60_000)).await;
    let (status, body) = edge.open("gate", "vis-1").await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (403, Some("outside_visitor_window")),
        "{body}"
    );
    edge.stop().await;
    drop(peer);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forced_open_and_held_open_alarms_raise_and_clear() {
    let tmp = tempfile::tempdir().unwrap();
    let mut peer = ModbusPeer::tcp(&[1]).await;
    let mut edge = start_box(
        tmp.path(),
        &tcp_device("relay", RELAY, 1, peer.addr()),
        &door("gate", ESTATE, "relay", 1, 200, 1),
    )
    .await;
    edge.wait_status(WAIT, "contact read", |s| {
        s["doors"][0]["contact"] == "closed"
    })
    .await;

    // Contact opens with no granted open: forced open. Left open past 1 s: held open too.
    peer.set_di(1, 0, true).await;
    edge.wait_status(WAIT, "forced_open", |s| has_alarm(s, "gate", "forced_open"))
        .await;
    edge.wait_status(WAIT, "held_open", |s| has_alarm(s, "gate", "held_open"))
        .await;
    peer.set_di(1, 0, false).await;
    edge.wait_status(WAIT, "alarms cleared", |s| {
        !has_alarm(s, "gate", "forced_open") && !has_alarm(s, "gate", "held_open")
    })
    .await;

    // A granted open followed by the door opening is not forced; staying open is held-open.
    let (status, _) = edge.open("gate", "res-1").await;
    assert_eq!(status, 200);
    peer.set_di(1, 0, true).await;
    edge.wait_status(WAIT, "held_open after a granted open", |s| {
        has_alarm(s, "gate", "held_open")
    })
    .await;
    let s = edge.status().await;
    assert!(
        !has_alarm(&s, "gate", "forced_open"),
        "granted open counted as forced: {s:#}"
    );
    peer.set_di(1, 0, false).await;
    edge.wait_status(WAIT, "held_open cleared", |s| {
        !has_alarm(s, "gate", "held_open")
    })
    .await;

    // Every transition went into the outbox.
    let is = |a: &(String, String, String), kind: &str, state: &str| {
        a.0 == "gate" && a.1 == kind && a.2 == state
    };
    let alarms = edge
        .outbox_alarms_when("the second held_open cleared", |all| {
            all.iter().filter(|a| is(a, "held_open", "cleared")).count() >= 2
        })
        .await;
    let count = |kind: &str, state: &str| {
        alarms
            .iter()
            .filter(|(s, k, st)| s == "gate" && k == kind && st == state)
            .count()
    };
    assert_eq!(count("forced_open", "raised"), 1, "{alarms:?}");
    assert_eq!(count("forced_open", "cleared"), 1, "{alarms:?}");
    assert_eq!(count("held_open", "raised"), 2, "{alarms:?}");
    assert_eq!(count("held_open", "cleared"), 2, "{alarms:?}");
    edge.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_tcp_slave_goes_offline_and_recovers() {
    let tmp = tempfile::tempdir().unwrap();
    let mut peer = ModbusPeer::tcp(&[1]).await;
    let addr = peer.addr();
    let mut edge = start_box(
        tmp.path(),
        &tcp_device("relay", RELAY, 1, addr),
        &door("gate", ESTATE, "relay", 1, 200, 30),
    )
    .await;
    edge.wait_status(WAIT, "contact read", |s| {
        s["doors"][0]["contact"] == "closed"
    })
    .await;

    peer.kill();
    let s = edge
        .wait_status(WAIT, "device_offline", |s| {
            has_alarm(s, "relay", "device_offline")
        })
        .await;
    assert_eq!(s["offline_devices"], json!(["relay"]));
    assert_eq!(s["doors"][0]["contact"], "unknown");
    // Opening now fails clearly; the decision itself is still recorded.
    let (status, body) = edge.open("gate", "res-1").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "open_failed");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("relay"),
        "{body}"
    );

    let mut peer = ModbusPeer::tcp_at(addr, &[1]).await;
    edge.wait_status(WAIT, "device back", |s| {
        !has_alarm(s, "relay", "device_offline")
    })
    .await;
    let (status, body) = edge.open("gate", "res-1").await;
    assert_eq!(status, 200, "{body}");
    coil_change(&mut peer, 1, 0, 1).await;
    let offline = |state: &str| {
        (
            "relay".to_string(),
            "device_offline".to_string(),
            state.to_string(),
        )
    };
    let alarms = edge
        .outbox_alarms_when("device_offline cleared", |all| {
            all.contains(&offline("cleared"))
        })
        .await;
    assert!(alarms.contains(&("relay".into(), "device_offline".into(), "raised".into())));
    assert!(alarms.contains(&("relay".into(), "device_offline".into(), "cleared".into())));
    edge.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_dead_slave_does_not_stall_the_other_on_a_shared_rtu_bus() {
    let tmp = tempfile::tempdir().unwrap();
    let pty = PtyPair::new(tmp.path()).await;
    // Only unit 1 answers; unit 2 is configured on the same line but dead.
    let mut peer = ModbusPeer::rtu(pty.bus_a(), &[1]).await;
    let key = test_key();
    // The dead unit answers slowly when it answers at all: 1.5 s per try, 3 tries. Without the
    // offline gate every poll of it would hold the line for 4.5 s; with it, an open waits behind
    // one probe (1.5 s) at most. Wide margins both ways for a loaded CI machine.
    const SLOW: &str = "slow-relay";
    let profiles = tmp.path().join("profiles");
    copy_dir(&profiles_dir(), &profiles);
    let relay = std::fs::read_to_string(profiles.join(format!("{RELAY}.toml"))).unwrap();
    let slow = relay
        .replace(
            &format!("model = \"{RELAY}\""),
            &format!("model = \"{SLOW}\""),
        )
        .replace("response_timeout_ms = 300", "response_timeout_ms = 1500");
    assert!(slow.contains("response_timeout_ms = 1500") && slow.contains(SLOW));
    std::fs::write(profiles.join(format!("{SLOW}.toml")), slow).unwrap();
    let devices = format!(
        "{}{}",
        rtu_device("alive", RELAY, 1, pty.bus_b()),
        rtu_device("dead", SLOW, 2, pty.bus_b())
    );
    let doors = format!(
        "{}{}",
        door("gate-a", ESTATE, "alive", 1, 100, 30),
        door("gate-d", ESTATE, "dead", 1, 100, 30)
    );
    let cfg = config_text(tmp.path(), &key, &profiles, &devices, &doors);
    let mut edge = EdgeBox::start(tmp.path(), key, &cfg).await;
    edge.import(directory(ESTATE, now_ms())).await;
    // Three failed polls of 4.5 s each before it is offline.
    edge.wait_status(Duration::from_secs(60), "dead slave offline", |s| {
        has_alarm(s, "dead", "device_offline")
    })
    .await;

    // While the dead slave is only probed, the live one answers every open promptly. Without
    // the offline gate each poll of the dead unit would hold the line for (1+retries)×timeout.
    let mut worst = Duration::ZERO;
    for _ in 0..10 {
        let t = Instant::now();
        let (status, body) = edge.open("gate-a", "res-1").await;
        worst = worst.max(t.elapsed());
        assert_eq!(status, 200, "{body}");
        coil_change(&mut peer, 1, 0, 1).await;
        coil_change(&mut peer, 1, 0, 0).await;
    }
    let s = edge.status().await;
    assert!(!has_alarm(&s, "alive", "device_offline"), "{s:#}");
    // One probe of the dead unit (1.5 s) is the most an open may wait behind; without the gate
    // it would be three tries (4.5 s).
    assert!(
        worst < Duration::from_millis(3_500),
        "an open waited {worst:?}"
    );
    edge.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unplugged_serial_adapter_is_reopened() {
    let tmp = tempfile::tempdir().unwrap();
    let mut pty = PtyPair::new(tmp.path()).await;
    let mut peer = ModbusPeer::rtu(pty.bus_a(), &[1]).await;
    let mut edge = start_box(
        tmp.path(),
        &rtu_device("relay", RELAY, 1, pty.bus_b()),
        &door("gate", ESTATE, "relay", 1, 100, 30),
    )
    .await;
    edge.wait_status(WAIT, "contact read", |s| {
        s["doors"][0]["contact"] == "closed"
    })
    .await;

    // Unplug: the pty pair disappears (and the peer with it).
    peer.kill();
    pty.kill();
    edge.wait_status(WAIT, "device_offline", |s| {
        has_alarm(s, "relay", "device_offline")
    })
    .await;
    // Plug back in: same device path, a fresh slave behind it.
    pty.restart().await;
    let mut peer = ModbusPeer::rtu(pty.bus_a(), &[1]).await;
    edge.wait_status(WAIT, "device back", |s| {
        !has_alarm(s, "relay", "device_offline")
    })
    .await;
    let (status, body) = edge.open("gate", "res-1").await;
    assert_eq!(status, 200, "{body}");
    coil_change(&mut peer, 1, 0, 1).await;
    edge.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turnstile_opens_by_register_and_reports_status_bits() {
    let tmp = tempfile::tempdir().unwrap();
    let mut peer = ModbusPeer::tcp(&[5]).await;
    let key = test_key();
    let doors = format!(
        "{}{}",
        door("entry", ESTATE, "turnstile", 1, 500, 2),
        door("exit", ESTATE, "turnstile", 2, 500, 2)
    );
    let cfg = config_text(
        tmp.path(),
        &key,
        &profiles_dir(),
        &tcp_device("turnstile", "generic-turnstile-2dir", 5, peer.addr()),
        &doors,
    );
    let mut edge = EdgeBox::start(tmp.path(), key, &cfg).await;
    edge.import(directory(ESTATE, now_ms())).await;

    // Open entry: the controller's open-command register 0 receives the profile's value 1.
    let (status, body) = edge.open("entry", "staff-1").await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (200, Some("staff")),
        "{body}"
    );
    let c = peer.next_change(WAIT).await.expect("register write");
    assert_eq!(
        (c.kind, c.dev, c.addr, c.value),
        (ChangeKind::Holding, 5, 0, 1)
    );
    // Exit is register 1.
    let (status, _) = edge.open("exit", "res-1").await;
    assert_eq!(status, 200);
    let c = peer.next_change(WAIT).await.expect("register write");
    assert_eq!((c.kind, c.addr, c.value), (ChangeKind::Holding, 1, 1));

    // Status register bits: exit arm moved without a grant (bit 1) → forced open on `exit`
    // only; tamper (bit 3) and fault (bit 2) are device alarms.
    tokio::time::sleep(Duration::from_millis(5_500)).await; // past the grant grace of the opens above
    peer.set_ir(5, 0, 0b1010).await;
    let s = edge
        .wait_status(WAIT, "forced exit + tamper", |s| {
            has_alarm(s, "exit", "forced_open") && has_alarm(s, "turnstile", "tamper")
        })
        .await;
    assert!(!has_alarm(&s, "entry", "forced_open"), "{s:#}");
    peer.set_ir(5, 0, 0b0100).await;
    edge.wait_status(WAIT, "fault, tamper and forced cleared", |s| {
        has_alarm(s, "turnstile", "device_fault")
            && !has_alarm(s, "turnstile", "tamper")
            && !has_alarm(s, "exit", "forced_open")
    })
    .await;
    peer.set_ir(5, 0, 0).await;
    edge.wait_status(WAIT, "fault cleared", |s| {
        !has_alarm(s, "turnstile", "device_fault")
    })
    .await;
    edge.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relays_are_switched_off_at_start_and_at_stop() {
    let tmp = tempfile::tempdir().unwrap();
    let mut peer = ModbusPeer::tcp(&[1]).await;
    // As if the box had crashed mid-pulse: the relay is still on.
    peer.set_coil(1, 0, true).await;
    let key = test_key();
    let cfg = config_text(
        tmp.path(),
        &key,
        &profiles_dir(),
        &tcp_device("relay", RELAY, 1, peer.addr()),
        &door("gate", ESTATE, "relay", 1, 20_000, 60),
    );
    let mut edge = EdgeBox::start(tmp.path(), key, &cfg).await;
    coil_change(&mut peer, 1, 0, 0).await;
    assert!(!peer.get_coil(1, 0).await);

    // A 20 s pulse is cut short by a clean stop: no door is left unlocked.
    edge.import(directory(ESTATE, now_ms())).await;
    let (status, _) = edge.open("gate", "res-1").await;
    assert_eq!(status, 200);
    coil_change(&mut peer, 1, 0, 1).await;
    edge.stop().await;
    assert!(!peer.get_coil(1, 0).await, "relay left on after stop");
}

async fn set_mode(edge: &EdgeBox, door: &str, mode: &str) -> u16 {
    edge.http
        .put(format!("{}/v1/doors/{door}/mode", edge.base))
        .bearer_auth(ADMIN)
        .json(&json!({ "mode": mode }))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn door_modes_directory_and_alarms_survive_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let mut peer = ModbusPeer::tcp(&[1]).await;
    let doors = format!(
        "{}{}",
        door("gate", ESTATE, "relay", 1, 100, 1),
        door("side", ESTATE, "relay", 2, 100, 1)
    );
    let mut edge = start_box(
        tmp.path(),
        &tcp_device("relay", RELAY, 1, peer.addr()),
        &doors,
    )
    .await;

    assert_eq!(set_mode(&edge, "gate", "locked").await, 200);
    assert_eq!(set_mode(&edge, "gate", "sideways").await, 422);
    assert_eq!(set_mode(&edge, "nope", "locked").await, 404);
    let (status, body) = edge.open("gate", "staff-1").await;
    assert_eq!(
        (status, body["reason"].as_str()),
        (403, Some("door_locked")),
        "{body}"
    );
    // Fire release: everyone passes, nothing to drive (the door is already released).
    assert_eq!(set_mode(&edge, "side", "emergency_release").await, 200);
    let (status, body) = edge.open("side", "res-other").await;
    assert_eq!(
        (status, body["reason"].as_str(), body["opened"].as_bool()),
        (200, Some("emergency_release"), Some(false)),
        "{body}"
    );

    // Leave the gate's door open long enough to be held-open, then restart the daemon.
    peer.set_di(1, 0, true).await;
    edge.wait_status(WAIT, "held_open", |s| has_alarm(s, "gate", "held_open"))
        .await;
    let passes = edge.store().passlog_len();
    edge.restart().await;
    let s = edge.status().await;
    assert!(
        has_alarm(&s, "gate", "held_open"),
        "alarm forgotten across restart: {s:#}"
    );
    let modes: Vec<(String, String)> = s["doors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap().to_string(),
                d["mode"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        modes.contains(&("gate".into(), "locked".into())),
        "{modes:?}"
    );
    assert!(
        modes.contains(&("side".into(), "emergency_release".into())),
        "{modes:?}"
    );
    assert_eq!(edge.store().passlog_len(), passes);
    // The directory came back from disk: the resident still passes where the door is normal.
    assert_eq!(set_mode(&edge, "gate", "normal").await, 200);
    let (status, body) = edge.open("gate", "res-1").await;
    assert_eq!(status, 200, "{body}");
    // The restored alarm is cleared once when the door closes, and was not raised twice.
    peer.set_di(1, 0, false).await;
    edge.wait_status(WAIT, "held_open cleared", |s| {
        !has_alarm(s, "gate", "held_open")
    })
    .await;
    let alarms = edge
        .outbox_alarms_when("held_open cleared", |all| {
            all.iter()
                .any(|a| a.0 == "gate" && a.1 == "held_open" && a.2 == "cleared")
        })
        .await;
    let raised = alarms
        .iter()
        .filter(|a| a.0 == "gate" && a.1 == "held_open" && a.2 == "raised")
        .count();
    let cleared = alarms
        .iter()
        .filter(|a| a.0 == "gate" && a.1 == "held_open" && a.2 == "cleared")
        .count();
    assert_eq!((raised, cleared), (1, 1), "{alarms:?}");
    edge.stop().await;
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}
