//! Both binaries end to end, with pymodbus as the relay board: provisioning, a visitor's grant
//! reaching the box, one-tap through the cloud's long-poll, and the outage cases — the cloud
//! killed while the box keeps deciding, the box killed in the middle of an upload — each
//! checked by comparing record ids: every pass arrives, exactly once.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::json;
use tests::cloud::{
    app_user, build_community, cloud_pass_ids, resident_user, Api, CloudProc, Engine, LinkedBox,
    TestDb, PASSWORD,
};
use tests::ModbusPeer;

use tests::on_both;

fn now_ms() -> i64 {
    edge_daemon::os_clock::wall_ms()
}

// ---------------------------------------------------------------------------------------------

async fn visitor_window_and_one_tap(engine: Engine) {
    let tmp = tempfile::tempdir().unwrap();
    let db = TestDb::new(engine, tmp.path());
    let cloud = CloudProc::start(tmp.path(), &db.url).await;
    let admin = Api::login(&cloud.base, "admin", PASSWORD).await;
    let c = build_community(&admin, "alpha", "13800000001", 31.2, 121.4).await;
    let mut relay = ModbusPeer::tcp(&[1]).await;
    let edge =
        LinkedBox::provision_and_start(tmp.path(), &cloud.base, &c, relay.addr(), 500, "").await;

    // The resident arrives through sync.
    edge.wait_allowed(&c.resident, Duration::from_secs(20))
        .await;

    // Two visitors: one appointment 59 min ahead (now is inside its window), one 61 min ahead
    // (now is one minute before its window opens).
    let v_in = app_user(&cloud.base, "13700000011", "visitor").await;
    let v_out = app_user(&cloud.base, "13700000012", "visitor").await;
    let host = resident_user(&cloud.base, &c).await;
    let mut visitor_ids = Vec::new();
    for (v, minutes) in [(&v_in, 59), (&v_out, 61)] {
        let visit = v
            .ok("/v1/app/visits", &json!({"host_phone": c.resident_phone, "visit_at_ms": now_ms() + minutes * 60_000, "reason": "visit"}))
            .await;
        host.ok(
            &format!("/v1/app/visits/{}/decide", visit["id"].as_str().unwrap()),
            &json!({"approve": true}),
        )
        .await;
        let (_, me) = v.get("/v1/me").await;
        visitor_ids.push(me["person_id"].as_str().unwrap().to_string());
    }
    // The grant reaches the box: the visitor inside the window is let in by a face decision…
    let ok = edge
        .wait_allowed(&visitor_ids[0], Duration::from_secs(20))
        .await;
    assert_eq!(ok["reason"], "visitor", "{ok}");
    // …and the one a minute outside is refused by the box itself, once their grant is there
    // too (it may come in a later delta than the first visitor's).
    edge.wait_refused(
        &visitor_ids[1],
        "outside_visitor_window",
        Duration::from_secs(20),
    )
    .await;

    // One-tap through the cloud: the long-poll carries the signed command, the coil pulses.
    // Let earlier pulses (the face decisions above) finish first.
    while relay
        .next_change(Duration::from_millis(600))
        .await
        .is_some()
    {}
    let (s, r) = v_in
        .post(
            "/v1/app/onetap",
            &json!({"lat": c.lat + 0.0002, "lon": c.lon}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(r["result"], "opened", "{r}\n{}", edge.proc.log_text());
    let change = relay
        .next_change(Duration::from_secs(5))
        .await
        .expect("the relay coil was written");
    assert_eq!((change.addr, change.value), (0, 1), "{change:?}");
    let off = relay
        .next_change(Duration::from_secs(5))
        .await
        .expect("the pulse ended");
    assert_eq!((off.addr, off.value), (0, 0), "{off:?}");
    // Outside the window the cloud finds no door this visitor may pass.
    let (_, r) = v_out
        .post("/v1/app/onetap", &json!({"lat": c.lat, "lon": c.lon}))
        .await;
    assert_eq!(r["result"], "no_door_nearby", "{r}");
    // Far away: nothing nearby either.
    let (_, r) = host
        .post("/v1/app/onetap", &json!({"lat": c.lat + 0.1, "lon": c.lon}))
        .await;
    assert_eq!(r["result"], "no_door_nearby", "{r}");

    // A revocation takes effect on the next sync.
    let (s, _) = admin
        .put(
            &format!("/v1/communities/{}/people/{}/enabled", c.id, c.resident),
            &json!({"enabled": false}),
        )
        .await;
    assert_eq!(s, 204);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (s, v) = edge.decide(&c.resident).await;
        if s == 403 {
            assert_eq!(v["reason"], "person_disabled", "{v}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "revocation never reached the box"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Every decision made on the box reaches the cloud once, with the one-tap among them.
    let staff = Api::login(&cloud.base, &c.staff_user, PASSWORD).await;
    let local = edge.wait_drained(Duration::from_secs(20)).await;
    let ids = cloud_pass_ids(&staff, &c.id).await;
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!((unique.len(), ids.len()), (local, local));
    let (_, one_tap) = staff
        .get(&format!("/v1/communities/{}/passes?method=one_tap", c.id))
        .await;
    assert_eq!(one_tap["items"].as_array().unwrap().len(), 1, "{one_tap}");
    assert_eq!(one_tap["items"][0]["person_id"], visitor_ids[0].as_str());
    drop(edge);
    drop(cloud);
}
on_both!(visitor_window_and_one_tap);

// ---------------------------------------------------------------------------------------------

/// The cloud is SIGKILLed; the box keeps deciding; the cloud comes back; every pass arrives
/// once. Then the box is SIGKILLed in the middle of draining a backlog; after its restart the
/// cloud holds exactly the box's records.
async fn outages_lose_nothing_and_double_nothing(engine: Engine) {
    let tmp = tempfile::tempdir().unwrap();
    let db = TestDb::new(engine, tmp.path());
    let mut cloud = CloudProc::start(tmp.path(), &db.url).await;
    let admin = Api::login(&cloud.base, "admin", PASSWORD).await;
    let c = build_community(&admin, "alpha", "13800000001", 31.2, 121.4).await;
    let relay = ModbusPeer::tcp(&[1]).await;
    let mut edge =
        LinkedBox::provision_and_start(tmp.path(), &cloud.base, &c, relay.addr(), 10, "").await;
    edge.wait_allowed(&c.resident, Duration::from_secs(20))
        .await;
    let staff = Api::login(&cloud.base, &c.staff_user, PASSWORD).await;

    // 1. Cloud down: the box decides on its own.
    cloud.kill9().await;
    let mut made = BTreeSet::new();
    for i in 0..1500 {
        let who = if i % 3 == 0 {
            "stranger"
        } else {
            c.resident.as_str()
        };
        let (s, v) = edge.decide(who).await;
        assert!(s == 200 || s == 403, "{s} {v}");
        made.insert(v["record_id"].as_str().unwrap().to_string());
    }
    assert_eq!(made.len(), 1500);
    cloud.restart().await;
    // 2. Mid-drain (batches of 10: a drain of 150 batches gives the poll below a wide window),
    // the box is SIGKILLed, then restarted.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut killed_at = None;
    while killed_at.is_none() {
        let n = cloud_pass_ids(&staff, &c.id).await.len();
        if n > 100 && n < 1400 {
            edge.proc.kill9().await;
            killed_at = Some(n);
        }
        assert!(
            Instant::now() < deadline,
            "upload never started: {n}\n{}",
            edge.proc.log_text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    edge.restart().await;
    let local_count = edge.wait_drained(Duration::from_secs(120)).await;
    let all_cloud = cloud_pass_ids(&staff, &c.id).await;
    let cloud_ids: BTreeSet<String> = all_cloud.iter().cloned().collect();
    assert_eq!(cloud_ids.len(), all_cloud.len(), "a record arrived twice");
    assert_eq!(all_cloud.len(), local_count);
    assert!(
        made.is_subset(&cloud_ids),
        "{} made while the cloud was down are missing",
        made.difference(&cloud_ids).count()
    );
    // Stop the box and compare with its store: the same ids, no more, no less.
    edge.proc.kill9().await;
    let store = edge_daemon::store::Store::open(&edge.store).unwrap();
    let local: BTreeSet<String> = store
        .recent_passes(usize::MAX)
        .unwrap()
        .iter()
        .map(|p| p.id.to_string())
        .collect();
    assert_eq!(local, cloud_ids, "box and cloud disagree");
    assert_eq!(store.outbox_depth(), 0);
    eprintln!(
        "outage: {} passes made offline; box killed after {} arrived; cloud holds {} == box {}",
        made.len(),
        killed_at.unwrap_or(0),
        cloud_ids.len(),
        local.len()
    );
    drop(relay);
}
on_both!(outages_lose_nothing_and_double_nothing);

// ---------------------------------------------------------------------------------------------

/// Wait until the box's status satisfies `ok`.
async fn wait_status(edge: &LinkedBox, what: &str, ok: impl Fn(&serde_json::Value) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let st = edge.status().await;
        if ok(&st) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: {st}\n{}",
            edge.proc.log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn alarm_active(st: &serde_json::Value, kind: &str) -> bool {
    st["alarms"]
        .as_array()
        .is_some_and(|a| a.iter().any(|x| x["kind"] == kind))
}

/// The log's byte budget with the real binaries: acknowledged records are trimmed to it; with the
/// cloud away the unacknowledged ones pass the warning line ("outbox_nearly_full"), then the
/// budget itself ("outbox_full", critical) and are all kept — every decision is still made and
/// recorded; when the cloud is back every pass arrives exactly once, the alarms end and the log
/// is trimmed back under its budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_keeps_its_budget_but_never_drops_what_the_cloud_has_not_taken() {
    let tmp = tempfile::tempdir().unwrap();
    let db = TestDb::new(Engine::Sqlite, tmp.path());
    let mut cloud = CloudProc::start(tmp.path(), &db.url).await;
    let admin = Api::login(&cloud.base, "admin", PASSWORD).await;
    let c = build_community(&admin, "alpha", "13800000001", 31.2, 121.4).await;
    let relay = ModbusPeer::tcp(&[1]).await;
    let mut edge =
        LinkedBox::provision_and_start(tmp.path(), &cloud.base, &c, relay.addr(), 100, "").await;
    // A budget of 40 kB (about 140 pass records): warn at half of it, clear below a quarter.
    const BUDGET: u64 = 40_000;
    edge.proc.kill9().await;
    let cfg = tmp.path().join("edge.toml");
    let text = std::fs::read_to_string(&cfg).unwrap().replacen(
        "[store]\n",
        &format!("[store]\nmax_log_bytes = {BUDGET}\noutbox_nearly_full_pct = 50\noutbox_clear_pct = 25\n"),
        1,
    );
    std::fs::write(&cfg, text).unwrap();
    edge.restart().await;
    edge.wait_allowed(&c.resident, Duration::from_secs(20))
        .await;
    let staff = Api::login(&cloud.base, &c.staff_user, PASSWORD).await;
    let mut made = BTreeSet::new();
    let decide = async |edge: &LinkedBox, n: usize, made: &mut BTreeSet<String>| {
        for _ in 0..n {
            let (s, v) = edge.decide(&c.resident).await;
            assert_eq!(s, 200, "a decision is never refused for the budget: {v}");
            made.insert(v["record_id"].as_str().unwrap().to_string());
        }
    };

    // 1. The cloud up: 300 passes (about twice the budget) reach it; the box keeps its budget.
    decide(&edge, 300, &mut made).await;
    edge.wait_drained(Duration::from_secs(30)).await;
    wait_status(&edge, "trimmed to the budget", |st| {
        st["log_bytes"].as_u64().is_some_and(|b| b <= BUDGET)
    })
    .await;

    // 2. The cloud away: past the warning line, then past the budget; nothing is dropped.
    cloud.kill9().await;
    decide(&edge, 90, &mut made).await;
    wait_status(&edge, "outbox nearly full", |st| {
        alarm_active(st, "outbox_nearly_full") && !alarm_active(st, "outbox_full")
    })
    .await;
    decide(&edge, 120, &mut made).await;
    wait_status(&edge, "outbox full", |st| {
        alarm_active(st, "outbox_full")
            && st["outbox_bytes"].as_u64().is_some_and(|b| b >= BUDGET)
            && st["log_bytes"].as_u64().is_some_and(|b| b > BUDGET)
    })
    .await;
    // All 210 passes since the cloud went are kept (with the two alarm records), while the
    // acknowledged ones from before were trimmed to make room.
    let st = edge.status().await;
    assert!(st["outbox_depth"].as_u64().unwrap() >= 212, "{st}");
    assert_eq!(st["passlog_records"], 210, "{st}");

    // 3. The cloud back: everything arrives once, the alarms end, the log is trimmed again.
    cloud.restart().await;
    edge.wait_drained(Duration::from_secs(60)).await;
    wait_status(&edge, "alarms ended and trimmed", |st| {
        !alarm_active(st, "outbox_full")
            && !alarm_active(st, "outbox_nearly_full")
            && st["log_bytes"].as_u64().is_some_and(|b| b <= BUDGET)
    })
    .await;
    let all_cloud = cloud_pass_ids(&staff, &c.id).await;
    let cloud_ids: BTreeSet<String> = all_cloud.iter().cloned().collect();
    assert_eq!(cloud_ids.len(), all_cloud.len(), "a record arrived twice");
    assert!(
        made.is_subset(&cloud_ids),
        "{} passes never reached the cloud",
        made.difference(&cloud_ids).count()
    );
    // The outbox alarms reached the cloud too (raised and cleared).
    let (_, alarms) = staff
        .get(&format!(
            "/v1/communities/{}/alarms?kind=outbox_full&status=cleared_unack",
            c.id
        ))
        .await;
    assert_eq!(
        alarms["items"].as_array().map_or(0, Vec::len),
        1,
        "the cloud has the outbox alarm, raised and ended: {alarms}"
    );
    eprintln!(
        "budget {BUDGET} B: {} passes made, cloud holds {}; box log now {} B; outbox_full in the cloud: {}",
        made.len(),
        cloud_ids.len(),
        edge.status().await["log_bytes"],
        alarms["items"].as_array().map_or(0, Vec::len)
    );
    drop(relay);
}
