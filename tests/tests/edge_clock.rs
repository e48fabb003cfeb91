//! The clock story with the real binaries. The box's wall clock is driven by libfaketime from a
//! file (Debian's `libfaketime`; the monotonic clock is left alone), the cloud's is the real one.
//! The wall clock is stepped ±10 minutes while the box runs, and the box is restarted a day
//! behind and a day ahead, first with the cloud up, then with it down. Each time a one-tap from
//! the app must open the door (the cloud's commands and the box's signed requests both carry
//! times) and a visitor whose ±1 h window opened five minutes ago must be let in — or, with the
//! cloud down and nothing to vouch for the time, refused as "clock uncertain", never let in on
//! a wrong clock.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tests::cloud::{
    app_user, build_community, resident_user, Api, CloudProc, Community, Engine, LinkedBox, TestDb,
};
use tests::ModbusPeer;

/// Debian's libfaketime (tests/setup.sh installs it); missing is a failure, not a skip.
fn faketime_lib() -> PathBuf {
    let found = std::fs::read_dir("/usr/lib")
        .expect("read /usr/lib")
        .filter_map(Result::ok)
        .map(|e| e.path().join("faketime/libfaketime.so.1"))
        .find(|p| p.exists());
    found.expect("libfaketime.so.1 not found under /usr/lib/*/faketime (run tests/setup.sh)")
}

/// The box's wall clock: an offset in seconds from the real time, read by libfaketime from a
/// file at most once a second.
struct FakeWall {
    file: PathBuf,
    lib: String,
}

impl FakeWall {
    fn new(dir: &Path) -> FakeWall {
        let f = FakeWall {
            file: dir.join("faketime"),
            lib: faketime_lib().display().to_string(),
        };
        f.write(0);
        f
    }

    fn write(&self, offset_s: i64) {
        std::fs::write(&self.file, format!("{offset_s:+}\n")).expect("write the faketime file");
    }

    /// Step the wall clock; returns once libfaketime has re-read the file.
    async fn step_to(&self, offset_s: i64) {
        self.write(offset_s);
        tokio::time::sleep(Duration::from_millis(1_500)).await;
    }

    fn env(&self) -> Vec<(&str, &str)> {
        vec![
            ("LD_PRELOAD", self.lib.as_str()),
            ("FAKETIME_TIMESTAMP_FILE", self.file.to_str().unwrap()),
            ("FAKETIME_CACHE_DURATION", "1"),
            ("FAKETIME_DONT_FAKE_MONOTONIC", "1"),
        ]
    }
}

fn now_ms() -> i64 {
    edge_daemon::os_clock::wall_ms()
}

struct Scene {
    edge: LinkedBox,
    relay: ModbusPeer,
    visitor: Api,
    visitor_id: String,
}

impl Scene {
    /// A one-tap from the visitor's app: the cloud signs a command, the box checks its times,
    /// the relay pulses.
    async fn one_tap_opens(&mut self, c: &Community, when: &str) {
        while self
            .relay
            .next_change(Duration::from_millis(500))
            .await
            .is_some()
        {}
        // Just after a restart the box's long-poll may not be back yet ("box_offline"): ask
        // again for a while; any other answer counts.
        let deadline = Instant::now() + Duration::from_secs(15);
        let (s, r) = loop {
            let (s, r) = self
                .visitor
                .post(
                    "/v1/app/onetap",
                    &json!({"lat": c.lat + 0.0002, "lon": c.lon}),
                )
                .await;
            if r["result"] != "box_offline" || Instant::now() > deadline {
                break (s, r);
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        };
        assert_eq!(
            (s, r["result"].as_str()),
            (200, Some("opened")),
            "{when}: one-tap {r}\n{}",
            self.edge.proc.log_text()
        );
        let on = self.relay.next_change(Duration::from_secs(5)).await;
        assert_eq!(
            on.map(|c| (c.addr, c.value)),
            Some((0, 1)),
            "{when}: the coil was not driven"
        );
    }

    async fn visitor_decision(&self) -> (u16, Value) {
        self.edge.decide(&self.visitor_id).await
    }

    /// Wait until the box follows the cloud's time with its wall clock `offset_s` off it.
    async fn wait_cloud_time(&self, offset_s: i64, when: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let st = self.edge.status().await;
            let off = st["wall_offset_ms"].as_i64();
            if st["clock_source"] == "cloud"
                && off.is_some_and(|o| (o - offset_s * 1_000).abs() < 3_000)
            {
                return st;
            }
            assert!(
                Instant::now() < deadline,
                "{when}: the box never followed the cloud's time: {st}\n{}",
                self.edge.proc.log_text()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Everything the box decided reaches the cloud: the link's signed requests are accepted.
    async fn drains(&self, when: &str) {
        let before = self.edge.status().await;
        assert!(
            before["passlog_records"].as_u64().is_some(),
            "{when}: {before}"
        );
        self.edge.wait_drained(Duration::from_secs(20)).await;
    }
}

fn has_clock_alarm(status: &Value) -> bool {
    status["alarms"]
        .as_array()
        .is_some_and(|a| a.iter().any(|x| x["kind"] == "clock_jump"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_tap_and_visitor_windows_survive_clock_steps_and_bad_boots() {
    let tmp = tempfile::tempdir().unwrap();
    let db = TestDb::new(Engine::Sqlite, tmp.path());
    let mut cloud = CloudProc::start(tmp.path(), &db.url).await;
    let admin = Api::login(&cloud.base, "admin", tests::cloud::PASSWORD).await;
    let c = build_community(&admin, "alpha", "13800000001", 31.2, 121.4).await;
    let relay = ModbusPeer::tcp(&[1]).await;
    let wall = FakeWall::new(tmp.path());
    let edge = LinkedBox::provision_and_start_env(
        tmp.path(),
        &cloud.base,
        &c,
        relay.addr(),
        500,
        "",
        &wall.env(),
    )
    .await;
    edge.wait_allowed(&c.resident, Duration::from_secs(20))
        .await;

    // A visitor whose window (visit ± 1 h) opened five minutes ago: a box that believes a wall
    // clock 10 minutes slow would think it has not opened yet.
    let visitor = app_user(&cloud.base, "13700000011", "visitor").await;
    let host = resident_user(&cloud.base, &c).await;
    let visit = visitor
        .ok(
            "/v1/app/visits",
            &json!({"host_phone": c.resident_phone, "visit_at_ms": now_ms() + 55 * 60_000, "reason": "visit"}),
        )
        .await;
    host.ok(
        &format!("/v1/app/visits/{}/decide", visit["id"].as_str().unwrap()),
        &json!({"approve": true}),
    )
    .await;
    let (_, me) = visitor.get("/v1/me").await;
    let visitor_id = me["person_id"].as_str().unwrap().to_string();
    edge.wait_allowed(&visitor_id, Duration::from_secs(20))
        .await;
    let mut scene = Scene {
        edge,
        relay,
        visitor,
        visitor_id,
    };
    scene.wait_cloud_time(0, "at the start").await;
    scene.one_tap_opens(&c, "at the start").await;

    // Steps of the wall clock while the box runs, the cloud up.
    for offset in [600, -600] {
        let when = format!("wall clock stepped to {offset:+} s");
        wall.step_to(offset).await;
        let st = scene.wait_cloud_time(offset, &when).await;
        scene.one_tap_opens(&c, &when).await;
        let (s, v) = scene.visitor_decision().await;
        assert_eq!((s, &v["reason"]), (200, &json!("visitor")), "{when}: {v}");
        scene.drains(&when).await;
        // The step is reported so that somebody fixes the clock.
        let st2 = scene.edge.status().await;
        assert!(
            has_clock_alarm(&st) || has_clock_alarm(&st2),
            "{when}: {st2}"
        );
    }
    wall.step_to(0).await;

    // Restarts a day off, the cloud up: the box's first request is refused for its time, the
    // refusal states the cloud's time, the box signs again with it.
    for offset in [-86_400, 86_400] {
        let when = format!("restarted with the wall clock {offset:+} s off");
        scene.edge.proc.kill9().await;
        wall.write(offset);
        scene.edge.restart().await;
        scene.wait_cloud_time(offset, &when).await;
        scene.one_tap_opens(&c, &when).await;
        let (s, v) = scene.visitor_decision().await;
        assert_eq!((s, &v["reason"]), (200, &json!("visitor")), "{when}: {v}");
        scene.drains(&when).await;
    }
    let log = scene.edge.proc.log_text();
    assert!(
        log.contains("signed again with the cloud's time"),
        "the skew refusal path was never taken:\n{log}"
    );

    // The cloud goes down. The box heard it in this run: steps change nothing.
    cloud.kill9().await;
    wall.step_to(-600).await;
    let (s, v) = scene.visitor_decision().await;
    assert_eq!(
        (s, &v["reason"]),
        (200, &json!("visitor")),
        "cloud down, after a step: {v}"
    );
    // A restart a day behind with the cloud down: nothing vouches for the time. The window is
    // narrowed (refused as uncertain, not let in on a wrong clock); a resident without a time
    // window still passes.
    scene.edge.proc.kill9().await;
    wall.write(-86_400);
    scene.edge.restart().await;
    let (s, v) = scene.visitor_decision().await;
    assert_eq!(
        (s, &v["reason"]),
        (403, &json!("clock_uncertain")),
        "cloud down, booted a day behind: {v}"
    );
    let (s, v) = scene.edge.decide(&c.resident).await;
    assert_eq!(s, 200, "a resident passes whatever the clock: {v}");
    assert_eq!(scene.edge.status().await["clock_source"], "wall");
    // The cloud comes back: as soon as the box hears it, the window works again.
    cloud.restart().await;
    scene.wait_cloud_time(-86_400, "the cloud back").await;
    let (s, v) = scene.visitor_decision().await;
    assert_eq!(
        (s, &v["reason"]),
        (200, &json!("visitor")),
        "the cloud back: {v}"
    );
    scene.one_tap_opens(&c, "the cloud back").await;
    scene.drains("the cloud back").await;
}
