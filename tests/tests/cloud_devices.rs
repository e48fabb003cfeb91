//! Smoke detectors and elevators managed from the cloud, end to end with real peers: the cloud
//! (SQLite and PostgreSQL), a provisioned box as its real binary, mosquitto as the broker,
//! `mosquitto_pub` as the sensors, pymodbus as the relay holding the exit.
//!
//! Staff register devices in the cloud → the box learns them on its next sync → a smoke
//! message raises an alarm on the box, which releases the building's exit and reaches the cloud
//! as one alarm → staff acknowledge it in the cloud with a comment → the box's engine hears of
//! it → the smoke clears → the cloud's alarm is closed, with its whole history. Device states
//! (last reading, online, last seen) reach the registry; maintenance and repair records are
//! kept per device; a removed device is forgotten by the box.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tests::cloud::{build_community, Api, Engine, InProcess, LinkedBox, TestDb, PASSWORD};
use tests::{on_both, ModbusPeer, Mosquitto};

/// Poll `path` as `who` until `ok` holds.
async fn wait_cloud(who: &Api, path: &str, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (s, v) = who.get(path).await;
        if s == 200 && ok(&v) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {s} {v}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn wait_box(b: &LinkedBox, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let v = b.sensors().await;
        if ok(&v) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {v}\n{}",
            b.proc.log_text()
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn devices_from_registry_to_alarm_closed_in_the_cloud(engine: Engine) {
    let tmp = tempfile::tempdir().unwrap();
    let db = TestDb::new(engine, tmp.path());
    let mut cloud = InProcess::start(tmp.path(), &db.url).await;
    let admin = Api::login(&cloud.base, "admin", PASSWORD).await;
    let c = build_community(&admin, "lotus", "13800000001", 39.90, 116.40).await;
    let other = build_community(&admin, "plum", "13800000002", 39.95, 116.45).await;
    let staff = Api::login(&cloud.base, &c.staff_user, PASSWORD).await;
    let foreign = Api::login(&cloud.base, &other.staff_user, PASSWORD).await;
    let p = |s: &str| format!("/v1/communities/{}{s}", c.id);

    // Staff register a smoke detector and an elevator monitor on the box.
    let smoke = staff
        .ok(&p("/devices"), &json!({"box_id": c.box_id, "code": "smoke-1", "kind": "smoke_detector",
            "profile": "zigbee2mqtt-smoke", "name": "Stairwell smoke, floor 3", "building_id": c.building,
            "unit_id": c.unit, "floor": 3, "heartbeat_seconds": 60}))
        .await;
    let smoke_id = smoke["id"].as_str().unwrap().to_string();
    let lift = staff
        .ok(
            &p("/devices"),
            &json!({"box_id": c.box_id, "code": "lift-1", "kind": "elevator",
            "profile": "gbt24476-elevator-json", "name": "Lift A", "building_id": c.building,
            "heartbeat_seconds": 60}),
        )
        .await;
    let lift_id = lift["id"].as_str().unwrap().to_string();
    // Bad registrations name the field; a foreign building is not found in this community.
    for (body, field) in [
        (
            json!({"box_id": c.box_id, "code": "x/y", "kind": "smoke_detector", "profile": "p", "name": "n", "building_id": c.building, "heartbeat_seconds": 60}),
            "code",
        ),
        (
            json!({"box_id": c.box_id, "code": "x", "kind": "toaster", "profile": "p", "name": "n", "building_id": c.building, "heartbeat_seconds": 60}),
            "kind",
        ),
        (
            json!({"box_id": c.box_id, "code": "x", "kind": "elevator", "profile": "p", "name": "n", "building_id": other.building, "heartbeat_seconds": 60}),
            "building_id",
        ),
        (
            json!({"box_id": c.box_id, "code": "x", "kind": "elevator", "profile": "p", "name": "n", "building_id": c.building, "heartbeat_seconds": 1}),
            "heartbeat_seconds",
        ),
    ] {
        let (s, v) = staff.post(&p("/devices"), &body).await;
        assert_eq!((s, v["error"]["field"].as_str()), (400, Some(field)), "{v}");
    }
    let (s, v) = staff.post(&p("/devices"), &json!({"box_id": c.box_id, "code": "smoke-1", "kind": "smoke_detector",
            "profile": "zigbee2mqtt-smoke", "name": "again", "building_id": c.building, "heartbeat_seconds": 60})).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("device_exists")),
        "{v}"
    );

    // The box: provisioned, MQTT on a real broker, the building's exit released on smoke.
    let mut relay = ModbusPeer::tcp(&[1]).await;
    let broker = Mosquitto::start().await;
    let extra = format!(
        r#"
[mqtt]
host = "127.0.0.1"
port = {}
client_id = "edge-cloud-devices"
keep_alive_seconds = 5

[[fire_release]]
building = "{}"
doors = ["east"]
"#,
        broker.port, c.building
    );
    let b = LinkedBox::provision_and_start(tmp.path(), &cloud.base, &c, relay.addr(), 500, &extra)
        .await;
    // It learns both devices from the cloud (no [[sensors]] in its config).
    let v = wait_box(&b, "devices from the cloud", |v| {
        v["sensors"].as_array().is_some_and(|s| s.len() == 2)
    })
    .await;
    let s0 = v["sensors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "smoke-1")
        .unwrap()
        .clone();
    assert_eq!(
        (s0["building"].as_str(), s0["floor"].as_i64()),
        (Some(c.building.as_str()), Some(3)),
        "{s0}"
    );
    while relay
        .next_change(Duration::from_millis(300))
        .await
        .is_some()
    {}

    // Smoke: the box raises, holds the exit released, and the cloud gets one alarm.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        // Until the subscription is up, a message may be missed: publish again.
        broker.publish(
            "zigbee2mqtt/smoke-1",
            br#"{"smoke": true, "battery": 88}"#,
            1,
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        if b.sensors().await["alarms"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no alarm on the box: {}",
            b.proc.log_text()
        );
    }
    let on = relay
        .next_change(Duration::from_secs(5))
        .await
        .expect("exit released");
    assert_eq!((on.addr, on.value), (0, 1), "{on:?}");
    let list = wait_cloud(
        &staff,
        &p("/alarms?kind=smoke"),
        "the smoke alarm in the cloud",
        |v| v["items"].as_array().is_some_and(|i| i.len() == 1),
    )
    .await;
    let a = &list["items"][0];
    assert_eq!(
        (
            a["status"].as_str(),
            a["severity"].as_str(),
            a["device_id"].as_str()
        ),
        (
            Some("active_unack"),
            Some("critical"),
            Some(smoke_id.as_str())
        ),
        "{a}"
    );
    let alarm_id = a["id"].as_str().unwrap().to_string();
    // The home page's figures: each is the count of the list it opens.
    let (s, o) = staff.get(&p("/overview?since_ms=0")).await;
    assert_eq!(s, 200, "{o}");
    let (_, open) = staff.get(&p("/alarms?status=open&limit=500")).await;
    let open = open["items"].as_array().unwrap();
    for sev in o["alarms_open"].as_array().unwrap() {
        let n = open
            .iter()
            .filter(|a| a["severity"] == sev["severity"])
            .count();
        assert_eq!(sev["open"].as_i64(), Some(n as i64), "{o}");
    }
    assert!(
        o["alarms_open"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["severity"] == "critical"),
        "{o}"
    );
    let unacked = open
        .iter()
        .filter(|a| a["status"] == "active_unack")
        .count();
    assert_eq!(
        o["alarms_unacknowledged"].as_i64(),
        Some(unacked as i64),
        "{o}"
    );
    assert_eq!(
        (o["boxes"].as_i64(), o["devices"].as_i64()),
        (Some(1), Some(2)),
        "{o}"
    );
    assert_eq!(
        o["boxes_offline"].as_i64(),
        Some(0),
        "the box long-polls: {o}"
    );
    let (_, passes) = staff.get(&p("/passes?limit=500")).await;
    assert_eq!(
        o["passes_since"].as_i64(),
        Some(passes["items"].as_array().unwrap().len() as i64),
        "{o}"
    );
    let (s, v) = staff
        .get(&p(&format!("/overview?since_ms={}", i64::MAX)))
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (400, Some("since_ms")),
        "{v}"
    );
    let (s, v) = staff.get(&p("/overview")).await;
    assert_eq!(s, 400, "{v}");
    // Another community's staff may not read these figures; its own show none of them.
    let (s, _) = foreign.get(&p("/overview?since_ms=0")).await;
    assert_eq!(s, 403);
    let (_, theirs) = foreign
        .get(&format!("/v1/communities/{}/overview?since_ms=0", other.id))
        .await;
    assert_eq!(theirs["alarms_open"], json!([]), "{theirs}");
    // Filters: by building and by status; another community sees nothing of it.
    let (_, v) = staff
        .get(&p(&format!(
            "/alarms?building_id={}&status=active_unack",
            c.building
        )))
        .await;
    assert_eq!(v["items"].as_array().map(Vec::len), Some(1), "{v}");
    let (_, v) = staff.get(&p("/alarms?status=cleared_ack")).await;
    assert_eq!(v["items"].as_array().map(Vec::len), Some(0), "{v}");
    let (s, v) = staff.get(&p("/alarms?status=burning")).await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (400, Some("status")),
        "{v}"
    );
    let (s, _) = foreign.get(&p(&format!("/alarms/{alarm_id}"))).await;
    assert_eq!(s, 403);
    let (s, _) = foreign
        .post(
            &format!("/v1/communities/{}/alarms/{alarm_id}/ack", other.id),
            &json!({"comment": "not mine"}),
        )
        .await;
    assert_eq!(
        s, 404,
        "another community's alarm is not found in one's own"
    );

    // Staff acknowledge in the cloud with a comment; the box's engine hears of it.
    let acked = staff
        .ok(
            &p(&format!("/alarms/{alarm_id}/ack")),
            &json!({"comment": "guard sent to B1"}),
        )
        .await;
    assert_eq!(
        (
            acked["status"].as_str(),
            acked["acked_by"].as_str(),
            acked["ack_comment"].as_str()
        ),
        (
            Some("active_ack"),
            Some(c.staff_user.as_str()),
            Some("guard sent to B1")
        ),
        "{acked}"
    );
    let (s, v) = staff
        .post(&p(&format!("/alarms/{alarm_id}/ack")), &json!({}))
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("already_acknowledged")),
        "{v}"
    );
    let want_by = format!("cloud:{}", c.staff_user);
    wait_box(&b, "the cloud's ack on the box", |v| {
        v["alarms"].as_array().is_some_and(|a| {
            a.iter()
                .any(|x| x["device"] == "smoke-1" && x["acked_by"] == want_by.as_str())
        })
    })
    .await;

    // The smoke clears: the alarm is cleared and acknowledged, so closed. The exit stays held.
    broker.publish("zigbee2mqtt/smoke-1", br#"{"smoke": false}"#, 1);
    let v = wait_cloud(
        &staff,
        &p(&format!("/alarms/{alarm_id}")),
        "the alarm closed",
        |v| v["closed"] == true,
    )
    .await;
    assert_eq!(v["status"], "cleared_ack", "{v}");
    let states: Vec<&str> = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["state"].as_str().unwrap())
        .collect();
    assert_eq!(states.first(), Some(&"raised"), "{v}");
    assert!(
        states.contains(&"acked"),
        "the cloud's ack is in the history: {states:?}"
    );
    assert!(
        states.contains(&want_by.replace("cloud:", "acked:cloud:").as_str()),
        "the box's echo: {states:?}"
    );
    assert_eq!(states.last(), Some(&"cleared"), "{v}");
    let cloud_ack = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["state"] == "acked")
        .unwrap();
    assert_eq!(
        (cloud_ack["actor"].as_str(), cloud_ack["detail"].as_str()),
        (Some(c.staff_user.as_str()), Some("guard sent to B1"))
    );
    assert!(
        relay
            .next_change(Duration::from_millis(500))
            .await
            .is_none(),
        "held until restored"
    );
    let (s, v) = staff
        .post(
            &p(&format!("/alarms/{alarm_id}/clear")),
            &json!({"comment": "x"}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("alarm_closed")),
        "{v}"
    );

    // A trapped passenger: raised on the box, cleared by hand in the cloud with a comment.
    broker.publish(
        "elevator/lift-1/status",
        br#"{"floor": 4, "running": false, "trapped": true}"#,
        1,
    );
    let list = wait_cloud(
        &staff,
        &p("/alarms?kind=trapped_passenger"),
        "the trapped alarm",
        |v| v["items"].as_array().is_some_and(|i| i.len() == 1),
    )
    .await;
    let trapped = list["items"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(list["items"][0]["device_id"], lift_id.as_str());
    let cleared = staff
        .ok(
            &p(&format!("/alarms/{trapped}/clear")),
            &json!({"comment": "rescued by maintenance"}),
        )
        .await;
    assert_eq!(
        (
            cleared["status"].as_str(),
            cleared["clear_comment"].as_str()
        ),
        (Some("cleared_unack"), Some("rescued by maintenance"))
    );
    wait_box(&b, "the cloud's clear on the box", |v| {
        v["alarms"].as_array().is_some_and(|a| {
            a.iter().any(|x| {
                x["device"] == "lift-1" && x["alarm"] == "trapped_passenger" && x["active"] == false
            })
        })
    })
    .await;

    // The trapped alarm becomes a case in one call, linked to it and placed at the lift.
    let grid = staff
        .create(&p("/grids"), &json!({"name": "Grid 1", "level": 1}))
        .await;
    let body = json!({"category": {"major": "facilities", "middle": "elevator", "minor": "elevator_trapped"},
                      "grid": {"level1": grid}});
    let case = staff
        .ok(&p(&format!("/alarms/{trapped}/case")), &body)
        .await;
    assert_eq!(
        (
            case["data"]["source"].as_str(),
            case["data"]["source_ref"].as_str(),
            case["data"]["location"]["building_id"].as_str()
        ),
        (
            Some("edge_alarm"),
            Some(trapped.as_str()),
            Some(c.building.as_str())
        ),
        "{case}"
    );
    assert_eq!(case["data"]["severity"], "critical", "{case}");
    let (s, v) = staff
        .post(&p(&format!("/alarms/{trapped}/case")), &body)
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("case_exists")),
        "{v}"
    );
    // The alarm names the case it became.
    let (_, a) = staff.get(&p(&format!("/alarms/{trapped}"))).await;
    assert_eq!(a["case_id"], case["id"], "{a}");

    // Device states reach the registry; the tree groups estate → building → unit.
    let v = wait_cloud(
        &staff,
        &p(&format!("/devices/{smoke_id}")),
        "smoke-1's state",
        |v| v["last_state"]["smoke"] == false && v["online"] == true,
    )
    .await;
    assert_eq!(v["last_state"]["battery_percent"], 88.0, "{v}");
    assert!(v["last_seen_ms"].as_i64().is_some(), "{v}");
    let tree = staff.get(&p("/devices/tree")).await.1;
    let est = &tree["estates"][0];
    assert_eq!(est["id"], c.estate.as_str(), "{tree}");
    let units = est["buildings"][0]["units"].as_array().unwrap();
    let with_unit = units
        .iter()
        .find(|u| u["id"] == c.unit.as_str())
        .expect("unit group");
    assert_eq!(with_unit["devices"][0]["code"], "smoke-1", "{tree}");
    let no_unit = units
        .iter()
        .find(|u| u["id"] == "")
        .expect("building-level group");
    assert_eq!(no_unit["devices"][0]["code"], "lift-1", "{tree}");
    assert_eq!(
        no_unit["devices"][0]["open_alarms"], 1,
        "the trapped alarm is cleared but not acknowledged: {tree}"
    );

    // Maintenance (elevators) and repair records: who and when.
    let r = staff
        .ok(&p(&format!("/devices/{lift_id}/records")), &json!({"kind": "maintenance", "content": "Half-monthly maintenance: brakes, doors, ropes checked"}))
        .await;
    assert_eq!(r["by"], c.staff_user.as_str());
    staff
        .ok(&p(&format!("/devices/{smoke_id}/records")), &json!({"kind": "repair", "content": "Battery replaced", "done_at_ms": 1_764_000_000_000i64}))
        .await;
    let (s, v) = staff
        .post(
            &p(&format!("/devices/{smoke_id}/records")),
            &json!({"kind": "maintenance", "content": "x"}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (400, Some("kind")),
        "{v}"
    );
    let (s, v) = staff
        .post(
            &p(&format!("/devices/{smoke_id}/records")),
            &json!({"kind": "repair", "content": "x", "done_at_ms": 9_999_999_999_999i64}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (400, Some("done_at_ms")),
        "{v}"
    );
    let recs = staff
        .get(&p(&format!("/devices/{lift_id}/records")))
        .await
        .1;
    assert_eq!(recs["items"].as_array().map(Vec::len), Some(1), "{recs}");
    let (s, _) = foreign
        .get(&format!(
            "/v1/communities/{}/devices/{lift_id}/records",
            other.id
        ))
        .await;
    assert_eq!(s, 404);

    // Removed in the cloud: the box forgets it; its messages count as an unknown device.
    let (s, _) = staff
        .call("DELETE", &p(&format!("/devices/{lift_id}")), None)
        .await;
    assert_eq!(s, 204);
    wait_box(&b, "lift-1 forgotten", |v| {
        v["sensors"].as_array().is_some_and(|s| s.len() == 1)
    })
    .await;
    let before = b.sensors().await["counters"]["unknown_device"]
        .as_u64()
        .unwrap();
    broker.publish("elevator/lift-1/status", br#"{"trapped": true}"#, 1);
    wait_box(&b, "unknown device counted", |v| {
        v["counters"]["unknown_device"].as_u64().unwrap() > before
    })
    .await;
    let (_, v) = staff.get(&p("/alarms?kind=trapped_passenger")).await;
    assert_eq!(
        v["items"].as_array().map(Vec::len),
        Some(1),
        "no new alarm from a removed device: {v}"
    );
    drop(b);
    cloud.stop().await;
}
on_both!(devices_from_registry_to_alarm_closed_in_the_cloud);
