//! Face pass end to end (issue 4), with the real models and ONNX Runtime fetched by
//! `models/fetch.sh`, the real cloud core and box binaries, and pymodbus as the relay board:
//! staff upload a resident's photo, record consent and approve it; the box fetches the photo
//! through sync, enrols it (template sealed with a key outside its store) and reports the
//! verdict to face review; a pushed frame of the resident opens the relay, a stranger's does not,
//! both are in the pass log (with thumbnails, uploaded because the community allows it);
//! a photo with no face comes back refused with its reason; withdrawn consent removes the
//! template on the next sync.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tests::cloud::{build_community, Api, InProcess, LinkedBox, TestDb, ADMIN_TOKEN, PASSWORD};
use tests::{no_face_photo, test_image as image, ModbusPeer};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A camera's snapshot URL: answers every GET with the current image and counts the requests.
struct Camera {
    url: String,
    image: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    hits: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Camera {
    async fn start() -> Camera {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/snapshot.jpg", listener.local_addr().unwrap());
        let image = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (img, n) = (image.clone(), hits.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let (img, n) = (img.clone(), n.clone());
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    let mut got = Vec::new();
                    // One request per connection; read the head, answer, close.
                    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                        match sock.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(k) => got.extend_from_slice(&buf[..k]),
                        }
                    }
                    n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let body = img.lock().unwrap().clone();
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: image/jpeg\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = sock.write_all(head.as_bytes()).await;
                    let _ = sock.write_all(&body).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        Camera {
            url,
            image,
            hits,
            task,
        }
    }

    fn hits(&self) -> usize {
        self.hits.load(std::sync::atomic::Ordering::SeqCst)
    }
}

async fn push(b: &LinkedBox, img: &[u8]) -> (u16, Value) {
    let r = b
        .http
        .post(format!("{}/v1/doors/east/face-frames", b.base))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "image/jpeg")
        .body(img.to_vec())
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// Pushes the same frame until one completes an attempt (a pass record), at most 6 frames.
async fn attempt(b: &LinkedBox, img: &[u8]) -> Value {
    for _ in 0..6 {
        let (s, v) = push(b, img).await;
        assert_eq!(s, 200, "{v}\n{}", b.proc.log_text());
        if v["record_id"].is_string() {
            return v;
        }
    }
    panic!("six frames made no pass record\n{}", b.proc.log_text());
}

async fn wait_for<F: Fn(&Value) -> bool>(api: &Api, path: &str, what: &str, ok: F) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (s, v) = api.get(path).await;
        if s == 200 && ok(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}: last answer {s} {v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resident_opens_the_gate_by_face_and_a_stranger_does_not() {
    let tmp = tempfile::tempdir().unwrap();
    let db = TestDb::new(tests::cloud::Engine::Sqlite, tmp.path());
    let cloud = InProcess::start(tmp.path(), &db.url).await;
    let admin = Api::login(&cloud.base, "admin", PASSWORD).await;
    let c = build_community(&admin, "face", "13800000031", 31.2, 121.4).await;
    let staff = Api::login(&cloud.base, &c.staff_user, PASSWORD).await;
    let p = |s: &str| format!("/v1/communities/{}{s}", c.id);

    // A second resident whose photo shows no face.
    let other = staff
        .create(&p("/people"), &json!({"name": "second resident", "kind": "local", "phone": "13800000032", "id_number": "110101199003071242"}))
        .await;
    staff
        .ok(
            &p(&format!("/people/{other}/addresses")),
            &json!({"room_id": c.room}),
        )
        .await;

    // Thumbnails go up with face passes in this community.
    let (s, v) = staff
        .put(
            &p("/face-settings"),
            &json!({"face_thumbnail_upload": true, "face_thumbnail_retention_days": 30}),
        )
        .await;
    assert_eq!(s, 200, "{v}");

    // Photos, consent, review.
    let mut photos = Vec::new();
    for (person, bytes) in [(&c.resident, image("obama.jpg")), (&other, no_face_photo())] {
        let (s, v) = staff
            .upload(
                &p(&format!("/people/{person}/face-photos")),
                "image/jpeg",
                bytes,
            )
            .await;
        assert_eq!(s, 201, "{v}");
        let id = v["id"].as_str().unwrap().to_string();
        let (s, v) = staff
            .post(&p(&format!("/face-photos/{id}/approve")), &json!({}))
            .await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (409, Some("consent_missing")),
            "{v}"
        );
        let (s, v) = staff
            .put(
                &p(&format!("/people/{person}/face-consent")),
                &json!({"given": true, "note": "signed form"}),
            )
            .await;
        assert_eq!(s, 200, "{v}");
        let (s, v) = staff
            .post(&p(&format!("/face-photos/{id}/approve")), &json!({}))
            .await;
        assert_eq!(s, 200, "{v}");
        photos.push(id);
    }

    // The box, with face on its only door and a camera it pulls while the presence input
    // (discrete input 0 of the relay board) is on.
    let mut relay = ModbusPeer::tcp(&[1]).await;
    relay.set_di(1, 0, false).await;
    let camera = Camera::start().await;
    let key_file = tmp.path().join("secrets/face.key");
    let extra = format!(
        r#"
[face]
library_path = "{lib}"
models_dir = "{models}"
template_key_file = "{key}"

[[face.doors]]
door = "east"
repeat_ms = 1000

[[face.cameras]]
door = "east"
snapshot_url = "{camera}"
interval_ms = 150
presence = {{ device = "relay", discrete_input = 0, poll_ms = 100 }}
"#,
        camera = camera.url,
        lib = repo().join("models/runtime/libonnxruntime.so").display(),
        models = repo().join("models").display(),
        key = key_file.display(),
    );
    let b = LinkedBox::provision_and_start(tmp.path(), &cloud.base, &c, relay.addr(), 500, &extra)
        .await;

    // Face review shows the box's verdicts: the resident enrolled, the photo without a face
    // refused with its reason.
    let good = wait_for(
        &staff,
        &p(&format!("/face-photos/{}", photos[0])),
        "resident photo enrolled",
        |v| v["enrolment"] == "enrolled",
    )
    .await;
    assert_eq!(good["verdicts"][0]["box_id"], c.box_id.as_str(), "{good}");
    let bad = wait_for(
        &staff,
        &p(&format!("/face-photos/{}", photos[1])),
        "photo without a face refused",
        |v| v["enrolment"] == "refused",
    )
    .await;
    assert_eq!(bad["refusal_reasons"], json!(["no_face"]), "{bad}");

    // The frame endpoint: no token → 401; a door without face → 404; not an image → 422;
    // nothing of it makes a pass record.
    let r = b
        .http
        .post(format!("{}/v1/doors/east/face-frames", b.base))
        .body(image("obama2.jpg"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = b
        .http
        .post(format!("{}/v1/doors/west/face-frames", b.base))
        .bearer_auth(ADMIN_TOKEN)
        .body(image("obama2.jpg"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "not_a_face_door", "{v}");
    let (s, v) = push(&b, b"\xFF\xD8\xFF\xE0 not really a jpeg").await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (422, Some("bad_image")),
        "{v}"
    );

    // The template is sealed: the store holds no plain embedding and the key is outside it.
    assert_eq!(std::fs::metadata(&key_file).unwrap().len(), 32);
    assert!(!key_file.starts_with(&b.store));

    // Let pulses from start-up settle, then: another photo of the resident opens the door.
    while relay
        .next_change(Duration::from_millis(300))
        .await
        .is_some()
    {}
    let v = attempt(&b, &image("obama2.jpg")).await;
    assert_eq!(v["allowed"], true, "{v}");
    assert_eq!(v["reason"], "resident", "{v}");
    assert_eq!(v["opened"], true, "{v}");
    assert_eq!(v["identified"], c.resident.as_str(), "{v}");
    let on = relay
        .next_change(Duration::from_secs(5))
        .await
        .expect("the relay coil was written");
    assert_eq!((on.addr, on.value), (0, 1), "{on:?}");
    let resident_pass = v["record_id"].as_str().unwrap().to_string();

    // A stranger: refused, logged once, nothing pulses.
    let v = attempt(&b, &image("biden.jpg")).await;
    assert_eq!(v["allowed"], false, "{v}");
    assert_eq!(v["reason"], "face_unknown", "{v}");
    assert_eq!(v["opened"], false, "{v}");
    let stranger_pass = v["record_id"].as_str().unwrap().to_string();
    let after: Vec<_> = relay
        .changes_for(Duration::from_millis(800))
        .await
        .into_iter()
        .filter(|c| c.value == 1)
        .collect();
    assert!(after.is_empty(), "the stranger pulsed the relay: {after:?}");

    // Both in the box's pass log, and in the cloud's with their thumbnails.
    let r = b
        .http
        .get(format!("{}/v1/passes?limit=50", b.base))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    let local: Value = r.json().await.unwrap();
    let text = local.to_string();
    assert!(
        text.contains(&resident_pass) && text.contains(&stranger_pass),
        "{local}"
    );
    let listed = wait_for(
        &staff,
        &p("/passes?limit=50"),
        "face passes uplinked",
        |v| {
            let t = v.to_string();
            t.contains(&resident_pass) && t.contains(&stranger_pass)
        },
    )
    .await;
    for item in listed["items"].as_array().unwrap() {
        if item["id"] == resident_pass.as_str() || item["id"] == stranger_pass.as_str() {
            assert_eq!(item["method"], "face", "{item}");
            assert_eq!(item["has_thumbnail"], true, "{item}");
        }
    }
    let (s, ct, jpeg) = staff
        .bytes(&p(&format!("/passes/{resident_pass}/thumbnail")))
        .await;
    assert_eq!((s, ct.as_str()), (200, "image/jpeg"));
    assert!(
        jpeg.starts_with(&[0xFF, 0xD8]) && jpeg.len() < 16 * 1024,
        "{} bytes",
        jpeg.len()
    );

    // The camera: nobody present, nothing pulled; someone present, the box pulls snapshots and
    // the resident's face opens the door; gone again, pulling stops.
    assert_eq!(camera.hits(), 0, "pulled with nobody present");
    *camera.image.lock().unwrap() = image("obama2.jpg");
    tokio::time::sleep(Duration::from_millis(1200)).await; // past repeat_ms of the pushes above
    while relay
        .next_change(Duration::from_millis(300))
        .await
        .is_some()
    {}
    relay.set_di(1, 0, true).await;
    let on = relay
        .next_change(Duration::from_secs(15))
        .await
        .unwrap_or_else(|| {
            panic!(
                "the camera's frames did not open the door\n{}",
                b.proc.log_text()
            )
        });
    assert_eq!((on.addr, on.value), (0, 1), "{on:?}");
    assert!(camera.hits() >= 3, "{} snapshots", camera.hits());
    relay.set_di(1, 0, false).await;
    // Pulling stops once the presence poll sees the input off: wait for 1.5 s without a
    // snapshot (a frame in flight may still land), within 20 s.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last = (camera.hits(), Instant::now());
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = camera.hits();
        if now != last.0 {
            last = (now, Instant::now());
        } else if last.1.elapsed() >= Duration::from_millis(1500) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still pulling with nobody present ({now} snapshots)"
        );
    }
    camera.task.abort();

    // Consent withdrawn: the next sync deletes the template; the resident is now a stranger to
    // the face gate but keeps their rights (one-tap and decisions by other means still pass:
    // face is never the only way in).
    let (s, v) = staff
        .put(
            &p(&format!("/people/{}/face-consent", c.resident)),
            &json!({"given": false}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        tokio::time::sleep(Duration::from_millis(1200)).await;
        let v = attempt(&b, &image("obama2.jpg")).await;
        if v["reason"] == "face_unknown" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "template still used after consent was withdrawn: {v}"
        );
    }
    let (s, v) = b.decide(&c.resident).await;
    assert_eq!((s, v["allowed"].as_bool()), (200, Some(true)), "{v}");
}

/// A box whose ONNX Runtime library is missing (or is not ONNX Runtime) refuses to start with
/// a message naming the field, and exits 64 so systemd does not restart it in a loop.
#[test]
fn a_missing_or_wrong_runtime_library_is_a_clear_start_error() {
    use base64::Engine as _;
    let tmp = tempfile::tempdir().unwrap();
    let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let public = base64::engine::general_purpose::STANDARD.encode(key.verifying_key().as_bytes());
    let profiles = repo().join("device-profiles");
    for (lib, why) in [
        (
            tmp.path().join("nowhere/libonnxruntime.so"),
            "file not found",
        ),
        (
            PathBuf::from("/usr/lib/x86_64-linux-gnu/libz.so.1"),
            "cannot load ONNX Runtime",
        ),
    ] {
        let cfg = format!(
            r#"profiles_dir = "{profiles}"
[box]
id = "box-1"
community = "c1"
[store]
path = "{store}"
[api]
listen = "127.0.0.1:0"
onetap_public_key = "{public}"
[[devices]]
id = "relay"
profile = "waveshare-relay-8ch"
slave_id = 1
[devices.tcp]
address = "127.0.0.1:1"
[[doors]]
id = "east"
name = "East"
estate = "e1"
device = "relay"
channel = 1
monitor_contact = false
[face]
library_path = "{lib}"
models_dir = "{models}"
template_key_file = "{key}"
[[face.doors]]
door = "east"
"#,
            profiles = profiles.display(),
            store = tmp.path().join("store").display(),
            lib = lib.display(),
            models = repo().join("models").display(),
            key = tmp.path().join("face.key").display(),
        );
        let path = tmp.path().join("edge.toml");
        std::fs::write(&path, cfg).unwrap();
        let out = std::process::Command::new(tests::workspace_bin("edge-daemon"))
            .arg("run")
            .arg("--config")
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(64), "{stderr}");
        assert!(
            stderr.contains("face.library_path") && stderr.contains(why),
            "{stderr}"
        );
    }
}
