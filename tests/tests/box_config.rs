//! A box configured from the cloud, with the real binaries and pymodbus as the relay board:
//! staff wire a second door in the cloud, the box checks the revision as it checks its file,
//! restarts its rooms on it and opens the new door; a bad revision is refused with the field and
//! the reason shown to staff while the box keeps running what it ran, across a restart. The
//! routes are tried from the wrong community, anonymously, with foreign doors in the body, and a
//! box reporting a revision it was never sent. Staff door rights set in the cloud open the box's
//! doors to a person with no address there, and taking them away closes them.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tests::cloud::{
    build_community, Api, CloudProc, Engine, LinkedBox, SignedBox, TestDb, PASSWORD,
};
use tests::on_both;
use tests::ModbusPeer;

const WAIT: Duration = Duration::from_secs(60);

/// Poll the box's configuration in the cloud until `ok` holds.
async fn wait_config(
    staff: &Api,
    path: &str,
    edge: &LinkedBox,
    ok: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + WAIT;
    loop {
        let (s, v) = staff.get(path).await;
        assert_eq!(s, 200, "{v}");
        if ok(&v) {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "the box's configuration never got there: {v}\n{}",
            edge.proc.log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A resident's face decision at `door` on the box's local API.
async fn decide_at(edge: &LinkedBox, door: &str, person: &str) -> (u16, Value) {
    decide_by(edge, door, person, "face").await
}

async fn decide_by(edge: &LinkedBox, door: &str, person: &str, method: &str) -> (u16, Value) {
    let r = edge
        .http
        .post(format!("{}/v1/decide", edge.base))
        .bearer_auth(tests::cloud::ADMIN_TOKEN)
        .json(&json!({"door_id": door, "person_id": person, "method": method}))
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

fn sections(relay: &str, west_profile: &str) -> Value {
    json!({
        "devices": [{"id": "relay", "profile": west_profile, "slave_id": 1, "tcp": {"address": relay}}],
        "doors": [
            {"id": "east", "device": "relay", "channel": 1, "monitor_contact": false, "pulse_ms": 700},
            {"id": "west", "device": "relay", "channel": 2, "monitor_contact": false}
        ]
    })
}

async fn configured_from_the_cloud(engine: Engine) {
    let tmp = tempfile::tempdir().unwrap();
    let db = TestDb::new(engine, tmp.path());
    let cloud = CloudProc::start(tmp.path(), &db.url).await;
    let admin = Api::login(&cloud.base, "admin", PASSWORD).await;
    let c = build_community(&admin, "alpha", "13800000001", 31.2, 121.4).await;
    let other = build_community(&admin, "beta", "13800000002", 31.3, 121.5).await;
    let staff = Api::login(&cloud.base, &c.staff_user, PASSWORD).await;
    let foreign_staff = Api::login(&cloud.base, &other.staff_user, PASSWORD).await;
    let relay = ModbusPeer::tcp(&[1]).await;
    let mut edge =
        LinkedBox::provision_and_start(tmp.path(), &cloud.base, &c, relay.addr(), 500, "").await;
    let path = format!("/v1/communities/{}/boxes/{}/config", c.id, c.box_id);

    // Before anything is set, the box says it runs its file.
    let v = wait_config(&staff, &path, &edge, |v| !v["report"].is_null()).await;
    assert_eq!(v["state"], "file_only", "{v}");
    assert_eq!(v["revision"], 0);
    assert_eq!(v["report"]["source"], "file");
    assert_eq!(v["report"]["effective"]["doors"][0]["id"], "east");
    assert_eq!(v["report"]["effective"]["doors"][0]["pulse_ms"], 300);
    assert!(
        v["software"].as_str().unwrap().starts_with("edge-daemon/"),
        "{v}"
    );
    edge.wait_allowed(&c.resident, WAIT).await;
    let (s, d) = decide_at(&edge, "west", &c.resident).await;
    assert_eq!(
        (s, d["reason"].clone()),
        (403, json!("unknown_door")),
        "no west door yet"
    );

    // A door staff wire that is not registered to the box is refused by name.
    let relay_addr = relay.addr().to_string();
    let (s, e) = staff
        .put(&path, &json!({"expected_revision": 0, "sections": sections(&relay_addr, "waveshare-relay-8ch")}))
        .await;
    assert_eq!(s, 400, "{e}");
    assert_eq!(e["error"]["field"], "sections.doors[1].id", "{e}");
    // Another community's door, by its code, is no better.
    admin
        .ok(
            &format!("/v1/communities/{}/doors", other.id),
            &json!({"box_id": other.box_id, "code": "west", "name": "Their west"}),
        )
        .await;
    let (s, e) = staff
        .put(&path, &json!({"expected_revision": 0, "sections": sections(&relay_addr, "waveshare-relay-8ch")}))
        .await;
    assert_eq!(
        (s, e["error"]["field"].clone()),
        (400, json!("sections.doors[1].id")),
        "{e}"
    );

    // Register the west door to this box, then wire it.
    admin
        .ok(
            &format!("/v1/communities/{}/doors", c.id),
            &json!({"box_id": c.box_id, "code": "west", "name": "West gate"}),
        )
        .await;
    let (s, v) = staff
        .put(&path, &json!({"expected_revision": 0, "sections": sections(&relay_addr, "waveshare-relay-8ch")}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["revision"], 1);
    assert_eq!(
        v["sections"]["doors"][1]["name"], "West gate",
        "names come from the registry"
    );
    assert_eq!(v["updated_by"], c.staff_user.as_str());

    let v = wait_config(&staff, &path, &edge, |v| v["state"] == "in_effect").await;
    assert_eq!(v["report"]["source"], "cloud");
    assert_eq!(v["report"]["applied_revision"], 1);
    let doors = v["report"]["effective"]["doors"].as_array().unwrap();
    assert_eq!(doors.len(), 2, "{v}");
    assert_eq!(doors[0]["pulse_ms"], 700);
    assert_eq!(doors[1]["name"], "West gate");
    // The box runs it: the resident passes the new door.
    let deadline = Instant::now() + WAIT;
    loop {
        let (s, d) = decide_at(&edge, "west", &c.resident).await;
        if s == 200 {
            assert_eq!(d["allowed"], true, "{d}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "west never opened: {s} {d}\n{}",
            edge.proc.log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Saving over someone else's change is refused.
    let (s, e) = staff
        .put(&path, &json!({"expected_revision": 0, "sections": sections(&relay_addr, "waveshare-relay-8ch")}))
        .await;
    assert_eq!(
        (s, e["error"]["code"].clone()),
        (409, json!("revision_conflict")),
        "{e}"
    );

    // A revision the box cannot run: refused with the field and the reason; it keeps revision 1.
    let (s, v) = staff
        .put(&path, &json!({"expected_revision": 1, "sections": sections(&relay_addr, "no-such-controller")}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["revision"], 2);
    let v = wait_config(&staff, &path, &edge, |v| v["state"] == "refused").await;
    assert_eq!(v["report"]["applied_revision"], 1, "{v}");
    assert_eq!(v["report"]["refused"]["revision"], 2);
    assert_eq!(v["report"]["refused"]["field"], "devices[0].profile", "{v}");
    assert!(
        v["report"]["refused"]["reason"]
            .as_str()
            .unwrap()
            .contains("no-such-controller"),
        "the reason names what is wrong: {v}"
    );
    let (s, _) = decide_at(&edge, "west", &c.resident).await;
    assert_eq!(s, 200, "the box still runs revision 1");

    // Across a restart the box runs revision 1 and still reports the refusal.
    edge.proc.kill9().await;
    edge.restart().await;
    let (s, _) = decide_at(&edge, "west", &c.resident).await;
    assert_eq!(
        s,
        200,
        "revision 1 survives a restart\n{}",
        edge.proc.log_text()
    );
    let v = wait_config(&staff, &path, &edge, |v| {
        v["state"] == "refused" && v["reported_at_ms"].as_i64() > Some(0)
    })
    .await;
    assert_eq!(v["report"]["applied_revision"], 1);

    // Staff door rights from the cloud: a guard with no address here passes once the estate is
    // granted, and no longer once it is taken away.
    let guard = admin
        .create(
            &format!("/v1/communities/{}/people", c.id),
            &json!({"name": "保安 王", "kind": "local", "phone": "13800009999"}),
        )
        .await;
    let rights = format!("/v1/communities/{}/people/{guard}/staff-rights", c.id);
    let (s, v) = staff.get(&rights).await;
    assert_eq!((s, v["estate_ids"].clone()), (200, json!([])), "{v}");
    let (s, e) = staff
        .put(&rights, &json!({"estate_ids": [other.estate]}))
        .await;
    assert_eq!(
        (s, e["error"]["field"].clone()),
        (400, json!("estate_ids[0]")),
        "another community's estate: {e}"
    );
    let (s, v) = staff.put(&rights, &json!({"estate_ids": [c.estate]})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["estate_ids"], json!([c.estate]));
    assert_eq!(v["granted_by"], c.staff_user.as_str());
    let until = |want: u16| {
        let edge = &edge;
        let guard = guard.clone();
        async move {
            let deadline = Instant::now() + WAIT;
            loop {
                let (s, d) = decide_by(edge, "west", &guard, "staff").await;
                if s == want {
                    return d;
                }
                assert!(
                    Instant::now() < deadline,
                    "the guard never got {want}: {s} {d}\n{}",
                    edge.proc.log_text()
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    let d = until(200).await;
    assert_eq!(d["reason"], "staff", "{d}");
    let (s, _) = decide_by(&edge, "east", &guard, "face").await;
    assert_eq!(s, 200, "staff rights cover every door of the estate");
    let (s, _) = staff.put(&rights, &json!({"estate_ids": []})).await;
    assert_eq!(s, 200);
    let d = until(403).await;
    assert!(
        matches!(d["reason"].as_str(), Some("unknown_person" | "revoked")),
        "{d}"
    );
    // The other community's staff can neither read nor set them.
    let (s, _) = foreign_staff.get(&rights).await;
    assert_eq!(s, 403);
    let theirs_rights = format!("/v1/communities/{}/people/{guard}/staff-rights", other.id);
    let (s, _) = foreign_staff
        .put(&theirs_rights, &json!({"estate_ids": [other.estate]}))
        .await;
    assert_eq!(
        s, 404,
        "a foreign person through one's own community is not found"
    );

    // Scope: the other community's staff, anonymously, through their own community's path.
    let (s, _) = foreign_staff.get(&path).await;
    assert_eq!(s, 403);
    let (s, _) = foreign_staff
        .put(&path, &json!({"expected_revision": 2, "sections": sections(&relay_addr, "waveshare-relay-8ch")}))
        .await;
    assert_eq!(s, 403);
    let theirs = format!("/v1/communities/{}/boxes/{}/config", other.id, c.box_id);
    let (s, _) = foreign_staff.get(&theirs).await;
    assert_eq!(
        s, 404,
        "a foreign box id through one's own community is not found"
    );
    let (s, _) = foreign_staff
        .put(&theirs, &json!({"expected_revision": 2, "sections": sections(&relay_addr, "waveshare-relay-8ch")}))
        .await;
    assert_eq!(s, 404);
    let (s, _) = Api::new(&cloud.base).get(&path).await;
    assert_eq!(s, 401);

    // A box may only report revisions it was sent (the other box has none).
    let signed = SignedBox::provision(&cloud.base, &other.code, 7).await;
    let report = |applied: i64| {
        serde_json::to_vec(
            &json!({"version": 1, "source": "cloud", "applied_revision": applied,
                                   "effective": {"devices": [], "doors": []}}),
        )
        .unwrap()
    };
    let (s, e) = signed
        .call("POST", "/v1/edge/config/report", report(1))
        .await;
    assert_eq!(
        (s, e["error"]["field"].clone()),
        (400, json!("applied_revision")),
        "{e}"
    );
    let (s, _) = signed
        .call("POST", "/v1/edge/config/report", report(0))
        .await;
    assert_eq!(s, 204);
    // Staff cannot post a box's report.
    let (s, _) = staff
        .post(
            "/v1/edge/config/report",
            &json!({"version": 1, "source": "file", "applied_revision": 0, "effective": {}}),
        )
        .await;
    assert!(s == 401 || s == 403, "{s}");
}

on_both!(configured_from_the_cloud);
