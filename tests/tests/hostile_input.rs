//! Hostile and broken input: forged, expired, replayed and malformed one-tap commands; Modbus
//! exception replies; garbage bytes and bad CRCs on the RS-485 line; silence. Each must give a
//! clear error or alarm, never a panic, and never lose what was already stored.

mod common;

use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use common::*;
use serde_json::json;
use tests::{ModbusPeer, PtyPair};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const WAIT: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_expired_replayed_and_malformed_commands_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let peer = ModbusPeer::tcp(&[1]).await;
    let mut edge = start_box(
        tmp.path(),
        &tcp_device("relay", RELAY, 1, peer.addr()),
        &door("gate", ESTATE, "relay", 1, 100, 30),
    )
    .await;
    let good = edge.command("gate", "res-1", 30_000);
    let (status, body) = edge.one_tap(&good).await;
    assert_eq!(status, 200, "{body}");
    let stored: uuid::Uuid = body["record_id"].as_str().unwrap().parse().unwrap();
    let passes_before = edge.store().passlog_len();

    // Replay of an accepted command.
    let (status, body) = edge.one_tap(&good).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("replayed")),
        "{body}"
    );

    // Signed by someone else.
    let forged = sign(&test_key(), "gate", "res-1", now_ms(), now_ms() + 30_000);
    let (status, body) = edge.one_tap(&forged).await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("signature"),
        "{body}"
    );

    // Tampered payload (door changed after signing).
    let mut tampered = edge.command("gate", "res-1", 30_000);
    let mut payload: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(&tampered.payload)
            .unwrap(),
    )
    .unwrap();
    payload["person_id"] = json!("res-other");
    tampered.payload =
        base64::engine::general_purpose::STANDARD.encode(serde_json::to_vec(&payload).unwrap());
    let (status, _) = edge.one_tap(&tampered).await;
    assert_eq!(status, 401);

    // Expired, and too long-lived.
    let expired = sign(
        &edge.key,
        "gate",
        "res-1",
        now_ms() - 60_000,
        now_ms() - 1_000,
    );
    let (status, body) = edge.one_tap(&expired).await;
    assert_eq!(status, 401);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expire"),
        "{body}"
    );
    let forever = sign(&edge.key, "gate", "res-1", now_ms(), now_ms() + 3_600_000);
    let (status, body) = edge.one_tap(&forever).await;
    assert_eq!(status, 401, "{body}");

    // Not JSON, wrong shape, garbage base64.
    let r = edge
        .http
        .post(format!("{}/v1/onetap", edge.base))
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let (status, body) = edge.post_json("/v1/onetap", &json!({"payload": 5})).await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = edge
        .post_json("/v1/onetap", &json!({"payload": "%%%", "signature": "%%%"}))
        .await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("payload"),
        "{body}"
    );

    // Admin endpoints without or with a wrong token.
    let r = edge
        .http
        .put(format!("{}/v1/directory", edge.base))
        .json(&directory(ESTATE, 0))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = edge
        .http
        .get(format!("{}/v1/passes", edge.base))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    // A bad directory names the field.
    let r = edge
        .http
        .put(format!("{}/v1/directory", edge.base))
        .bearer_auth(ADMIN)
        .json(&json!({"version": 1, "people": [{"id": "x", "kind": "martian"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("people[0].kind"),
        "{body}"
    );

    // None of that was a decision, nothing was lost, the daemon is healthy.
    assert_eq!(edge.store().passlog_len(), passes_before);
    assert!(edge.store().contains_record(stored).unwrap());
    let r = edge
        .http
        .get(format!("{}/v1/health", edge.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    edge.stop().await;
    drop(peer);
}

/// A profile whose points lie beyond the 64 the pymodbus peer serves: it answers every request
/// with an "illegal data address" exception.
fn write_bad_address_profile(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("far-relay.toml"),
        r#"
schema_version = 1
model = "far-relay"
vendor = "test"
product = "relay with points out of the slave's range"
transports = ["tcp", "rtu"]
[serial_defaults]
baud = 9600
parity = "none"
data_bits = 8
stop_bits = 1
[timing]
response_timeout_ms = 300
max_retries = 1
[open]
method = "pulse_coil"
[[points]]
name = "relay_1"
kind = "coil"
address = 1000
role = "door_relay"
channel = 1
[[points]]
name = "contact_1"
kind = "discrete_input"
address = 1000
role = "door_contact"
channel = 1
"#,
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn modbus_exception_replies_are_device_faults_not_link_failures() {
    let tmp = tempfile::tempdir().unwrap();
    let profiles = tmp.path().join("profiles");
    write_bad_address_profile(&profiles);
    let peer = ModbusPeer::tcp(&[1]).await;
    let key = test_key();
    let cfg = config_text(
        tmp.path(),
        &key,
        &profiles,
        &tcp_device("relay", "far-relay", 1, peer.addr()),
        &door("gate", ESTATE, "relay", 1, 100, 30),
    );
    let mut edge = EdgeBox::start(tmp.path(), key, &cfg).await;
    edge.import(directory(ESTATE, now_ms())).await;
    let s = edge
        .wait_status(WAIT, "device_fault", |s| {
            has_alarm(s, "relay", "device_fault")
        })
        .await;
    // The slave answers, so it is not offline.
    assert_eq!(s["offline_devices"], json!([]), "{s:#}");
    let (status, body) = edge.open("gate", "res-1").await;
    assert_eq!(status, 502, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("exception"),
        "{body}"
    );
    edge.stop().await;
    drop(peer);
}

/// Plays a broken slave on the line: answers every request with `reply(request)`.
async fn broken_slave(path: std::path::PathBuf, reply: fn(&[u8]) -> Vec<u8>) {
    let mut port =
        tokio_serial::SerialStream::open(&tokio_serial::new(path.to_string_lossy(), 9600)).unwrap();
    let mut buf = [0u8; 256];
    loop {
        let n = match port.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let out = reply(&buf[..n]);
        if port.write_all(&out).await.is_err() {
            return;
        }
    }
}

async fn line_fault_is_an_alarm_then_recovers(reply: fn(&[u8]) -> Vec<u8>) {
    let tmp = tempfile::tempdir().unwrap();
    let pty = PtyPair::new(tmp.path()).await;
    let fake = tokio::spawn(broken_slave(pty.bus_a().to_path_buf(), reply));
    let mut edge = start_box(
        tmp.path(),
        &rtu_device("relay", RELAY, 1, pty.bus_b()),
        &door("gate", ESTATE, "relay", 1, 100, 30),
    )
    .await;
    edge.wait_status(WAIT, "device_offline", |s| {
        has_alarm(s, "relay", "device_offline")
    })
    .await;
    let (status, body) = edge.open("gate", "res-1").await;
    assert_eq!(status, 503, "{body}");
    let recorded: uuid::Uuid = body["record_id"].as_str().unwrap().parse().unwrap();

    // A real slave takes the line: the device recovers, nothing stored was lost.
    fake.abort();
    let _ = fake.await;
    let peer = ModbusPeer::rtu(pty.bus_a(), &[1]).await;
    edge.wait_status(WAIT, "device back", |s| {
        !has_alarm(s, "relay", "device_offline")
    })
    .await;
    let (status, body) = edge.open("gate", "res-1").await;
    assert_eq!(status, 200, "{body}");
    assert!(edge.store().contains_record(recorded).unwrap());
    edge.stop().await;
    drop(peer);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_bytes_on_the_line_raise_offline_not_a_panic() {
    line_fault_is_an_alarm_then_recovers(|_req| {
        vec![0xff, 0x00, 0x13, 0x37, 0xde, 0xad, 0xbe, 0xef, 0x01]
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crc_errors_on_the_line_raise_offline_not_a_panic() {
    // Echo the request (a well-formed reply for write-coil) with its CRC corrupted.
    line_fault_is_an_alarm_then_recovers(|req| {
        let mut v = req.to_vec();
        if let Some(last) = v.last_mut() {
            *last ^= 0x5a;
        }
        v
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_line_times_out_into_offline() {
    line_fault_is_an_alarm_then_recovers(|_req| Vec::new()).await;
}

fn crc16(data: &[u8]) -> u16 {
    let mut crc = 0xffffu16;
    for b in data {
        crc ^= u16::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xa001
            } else {
                crc >> 1
            };
        }
    }
    crc
}

/// Sends its frame to the test when dropped: at the end of the loop turn, after the reply.
struct Report<'a>(&'a tokio::sync::mpsc::UnboundedSender<Vec<u8>>, Vec<u8>);

impl Drop for Report<'_> {
    fn drop(&mut self) {
        let _ = self.0.send(std::mem::take(&mut self.1));
    }
}

/// A slave that answers reads (all inputs off) and, once `deaf` is set, no longer answers
/// writes: the relay may well have switched, only the reply is lost. Every request frame it
/// sees goes to `seen`.
async fn deaf_to_writes(
    path: std::path::PathBuf,
    deaf: std::sync::Arc<std::sync::atomic::AtomicBool>,
    seen: tokio::sync::mpsc::UnboundedSender<Vec<u8>>,
) {
    let mut port =
        tokio_serial::SerialStream::open(&tokio_serial::new(path.to_string_lossy(), 9600)).unwrap();
    let mut buf = [0u8; 256];
    loop {
        let n = match port.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let req = buf[..n].to_vec();
        // Reported after any reply went out, so a test that saw a write knows it was answered.
        let _report = Report(&seen, req.clone());
        if req.len() == 8 && req[1] == 5 && !deaf.load(std::sync::atomic::Ordering::SeqCst) {
            // Write single coil: the normal reply echoes the request.
            if port.write_all(&req).await.is_err() {
                return;
            }
        } else if req.len() == 8 && matches!(req[1], 1 | 2) {
            let count = u16::from_be_bytes([req[4], req[5]]);
            let bytes = count.div_ceil(8) as usize;
            let mut resp = vec![req[0], req[1], bytes as u8];
            resp.extend(std::iter::repeat_n(0u8, bytes));
            let crc = crc16(&resp);
            resp.extend(crc.to_le_bytes());
            if port.write_all(&resp).await.is_err() {
                return;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_is_switched_off_even_when_the_on_reply_is_lost() {
    let tmp = tempfile::tempdir().unwrap();
    let pty = PtyPair::new(tmp.path()).await;
    let (tx, mut seen) = tokio::sync::mpsc::unbounded_channel();
    let deaf = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let fake = tokio::spawn(deaf_to_writes(pty.bus_a().to_path_buf(), deaf.clone(), tx));
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
    let is_write = |f: &[u8], on: bool| {
        f.len() == 8
            && f[0] == 1
            && f[1] == 5
            && f[2..4] == [0, 0]
            && f[4] == if on { 0xff } else { 0 }
    };
    // Wait until the start-up "relay off" write has been answered; from then on write replies
    // are lost.
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match tokio::time::timeout(left, seen.recv()).await {
            Ok(Some(f)) if is_write(&f, false) => break,
            Ok(Some(_)) => {}
            _ => panic!("the start-up relay-off write never came"),
        }
    }
    deaf.store(true, std::sync::atomic::Ordering::SeqCst);
    while seen.try_recv().is_ok() {}
    let (status, body) = edge.open("gate", "res-1").await;
    assert_eq!(status, 503, "{body}");
    // The on-write went out (no reply came back) ...
    let deadline = std::time::Instant::now() + WAIT;
    let mut saw_on = false;
    let mut writes = Vec::new();
    loop {
        assert!(
            std::time::Instant::now() < deadline,
            "no relay-off write after a lost on-reply; writes seen: {writes:02x?}"
        );
        let Ok(Some(f)) = tokio::time::timeout(Duration::from_millis(500), seen.recv()).await
        else {
            continue;
        };
        if f.get(1) == Some(&5) {
            writes.push(f.clone());
        }
        saw_on |= is_write(&f, true);
        // ... and the switch-off follows anyway.
        if saw_on && is_write(&f, false) {
            break;
        }
    }
    edge.stop().await;
    fake.abort();
}
