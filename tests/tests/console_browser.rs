//! The web console in a real browser: Playwright (console/tests/browser) driving Debian's
//! `chromium` against a real cloud-core that serves the built console, with a real box linked to
//! it, mosquitto as the smoke detector's broker and pymodbus as the box's relay module.
//!
//! This test starts those peers, seeds what the pages show (two communities, passes, a person
//! whose name is markup, a registered smoke detector, a box with face recognition), hands the specs the addresses and logins
//! through the environment, and fails when any spec fails. It needs the console built
//! (`console/dist`, made by `tests/run.sh`) and Chromium (installed by `tests/setup.sh`); either
//! missing is a loud failure, never a skip.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use tests::cloud::{
    build_community, Api, Engine, InProcess, LinkedBox, TestDb, ADMIN_TOKEN, PASSWORD,
};
use tests::{no_face_photo, workspace_root, ModbusPeer, Mosquitto};

const HOSTILE_NAME: &str = "<img src=x onerror=\"window.__pwned=1\">王<b>五</b>";

fn console_dir() -> PathBuf {
    workspace_root().join("console")
}

fn chromium() -> PathBuf {
    let p = std::env::var_os("CHROMIUM_PATH")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        p.exists(),
        "Chromium is missing at {} (tests/setup.sh installs Debian's `chromium`)",
        p.display()
    );
    p
}

async fn wait_until<F: std::future::Future<Output = bool>>(
    what: &str,
    within: Duration,
    mut ok: impl FnMut() -> F,
) {
    let deadline = Instant::now() + within;
    while !ok().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_screens_in_chromium() {
    let dist = console_dir().join("dist");
    assert!(
        dist.join("index.html").is_file(),
        "the console is not built ({}): `bash tests/run.sh` builds it, or `npm ci && npm run build` in console/",
        dist.display()
    );
    assert!(
        console_dir().join("node_modules/.bin/playwright").exists(),
        "Playwright is not installed: `npm ci` in console/ (tests/setup.sh does it)"
    );
    let chromium = chromium();

    let tmp = tempfile::tempdir().unwrap();
    let db = TestDb::new(Engine::Sqlite, tmp.path());
    let mut cfg = InProcess::config(tmp.path(), &db.url);
    cfg.console.dir = Some(dist);
    cfg.console.secure_cookie = false;
    let mut cloud = InProcess::start_with(cfg).await;
    let admin = Api::login(&cloud.base, "admin", PASSWORD).await;
    let c = build_community(&admin, "huayuan", "13800000001", 31.23, 121.47).await;
    let other = build_community(&admin, "meiyuan", "13800000002", 31.30, 121.50).await;
    let staff = Api::login(&cloud.base, &c.staff_user, PASSWORD).await;
    let p = |s: &str| format!("/v1/communities/{}{s}", c.id);

    // A smoke detector on the box, in building B1, releasing the east gate on smoke.
    staff
        .ok(
            &p("/devices"),
            &json!({"box_id": c.box_id, "code": "smoke-1", "kind": "smoke_detector",
            "profile": "zigbee2mqtt-smoke", "name": "楼梯间烟感 3F", "building_id": c.building,
            "unit_id": c.unit, "floor": 3, "heartbeat_seconds": 600}),
        )
        .await;
    // A person whose registered name is markup, living in the resident's room.
    let hostile = admin
        .ok(
            &p("/people"),
            &json!({"name": HOSTILE_NAME, "kind": "local", "phone": "13800009999"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    // A second person for face review, whose photo will show no face.
    let lisi = admin
        .ok(
            &p("/people"),
            &json!({"name": "李四", "kind": "local", "phone": "13800007777"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    for person in [&hostile, &lisi] {
        admin
            .ok(
                &p(&format!("/people/{person}/addresses")),
                &json!({"room_id": c.room}),
            )
            .await;
    }
    let face_photo = workspace_root().join("models/test-images/obama.jpg");
    let no_face = tmp.path().join("no-face.jpg");
    std::fs::write(&no_face, no_face_photo()).unwrap();

    let relay = ModbusPeer::tcp(&[1]).await;
    let broker = Mosquitto::start().await;
    let extra = format!(
        r#"
[mqtt]
host = "127.0.0.1"
port = {}
client_id = "edge-console-browser"
keep_alive_seconds = 5

[[fire_release]]
building = "{}"
doors = ["east"]

[face]
library_path = "{}"
models_dir = "{}"
template_key_file = "{}"

[[face.doors]]
door = "east"
"#,
        broker.port,
        c.building,
        workspace_root()
            .join("models/runtime/libonnxruntime.so")
            .display(),
        workspace_root().join("models").display(),
        tmp.path().join("face.key").display(),
    );
    let b = LinkedBox::provision_and_start(tmp.path(), &cloud.base, &c, relay.addr(), 500, &extra)
        .await;
    // The box knows the detector (from the cloud) and is subscribed (a reading is decoded).
    wait_until(
        "the box subscribed to the detector",
        Duration::from_secs(30),
        || async {
            broker.publish(
                "zigbee2mqtt/smoke-1",
                br#"{"smoke": false, "battery": 95}"#,
                1,
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
            b.sensors().await["counters"]["decoded"]
                .as_u64()
                .unwrap_or(0)
                > 0
        },
    )
    .await;
    // Passes for the log: the resident and the person with the markup name, through the box.
    b.wait_allowed(&c.resident, Duration::from_secs(20)).await;
    b.wait_allowed(&hostile, Duration::from_secs(20)).await;
    b.wait_drained(Duration::from_secs(20)).await;
    wait_until(
        "the passes in the cloud",
        Duration::from_secs(20),
        || async {
            let (_, v) = staff.get(&p("/passes")).await;
            v["items"].as_array().is_some_and(|i| i.len() >= 2)
        },
    )
    .await;

    let env: Vec<(&str, String)> = vec![
        ("CHROMIUM_PATH", chromium.display().to_string()),
        ("CONSOLE_URL", cloud.base.clone()),
        ("CONSOLE_PASSWORD", PASSWORD.to_string()),
        ("CONSOLE_STAFF_USER", c.staff_user.clone()),
        ("CONSOLE_ADMIN_USER", "admin".to_string()),
        ("CONSOLE_COMMUNITY_ID", c.id.clone()),
        ("CONSOLE_COMMUNITY_NAME", "huayuan".to_string()),
        ("CONSOLE_OTHER_COMMUNITY_ID", other.id.clone()),
        ("CONSOLE_OTHER_COMMUNITY_NAME", "meiyuan".to_string()),
        ("CONSOLE_MQTT_PORT", broker.port.to_string()),
        ("CONSOLE_SMOKE_TOPIC", "zigbee2mqtt/smoke-1".to_string()),
        ("CONSOLE_BOX_URL", b.base.clone()),
        ("CONSOLE_BOX_TOKEN", ADMIN_TOKEN.to_string()),
        ("CONSOLE_HOSTILE_NAME", HOSTILE_NAME.to_string()),
        ("CONSOLE_FACE_PERSON", "huayuan resident".to_string()),
        ("CONSOLE_FACE_PHOTO", face_photo.display().to_string()),
        ("CONSOLE_NOFACE_PERSON", "李四".to_string()),
        ("CONSOLE_NOFACE_PHOTO", no_face.display().to_string()),
    ];
    if std::env::var_os("CONSOLE_BROWSER_HOLD").is_some() {
        // Writing specs: keep the stack up and leave its addresses where a shell can load them
        // (`. console/.browser-stack.env && npx playwright test` in console/).
        let file = console_dir().join(".browser-stack.env");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        let text: String = env
            .iter()
            .map(|(k, v)| format!("export {k}='{}'\n", v.replace('\'', "'\\''")))
            .collect();
        std::fs::write(&file, text).unwrap();
        println!("stack held; its environment is in {}", file.display());
        tokio::time::sleep(Duration::from_secs(24 * 3600)).await;
    }
    let out = Command::new(console_dir().join("node_modules/.bin/playwright"))
        .arg("test")
        .current_dir(console_dir())
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("CI", "1")
        .output()
        .expect("run Playwright");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{said}");
    assert!(
        out.status.success(),
        "browser specs failed (screenshots in console/test-results):\n{said}\n--- box log ---\n{}",
        b.proc.log_text()
    );
    // The specs ran, all of them: Playwright's summary names how many passed and none failed.
    assert!(
        said.contains(" passed") && !said.contains(" failed") && !said.contains(" skipped"),
        "{said}"
    );
    drop(relay);
    cloud.stop().await;
}
