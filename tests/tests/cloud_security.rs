//! Regression tests for the security audit (issue 11), each scenario on SQLite and PostgreSQL.
//! Every test names the audit finding it covers and asserts the new behaviour itself (not just
//! "not 200"): the public Open311 read, what a box is told and what its uploads are joined to,
//! duplicates and case hand-overs within one community, visits that give no rights until
//! approved, sign-up that cannot take over a phone, sign-up and login throttles per client
//! address, visit request limits with the host masked, foreign face verdicts and attachments.

use std::net::IpAddr;
use std::time::Duration;

use edge_sync::sync::{FaceEnrolmentV1, PassV1, UplinkRecordV1};
use serde_json::{json, Value};
use tests::cloud::{
    app_user, resident_user, tiny_jpeg, tiny_png, wall_ms, Api, Engine, SignedBox, PASSWORD,
};
use tests::on_both;

use tests::cloud::two_communities as world;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 3_600_000;

use tests::cloud::staff_account as account;

/// The account id and person id of a signed-in app account (`GET /v1/me`).
async fn me(api: &Api) -> (String, String) {
    let (s, v) = api.get("/v1/me").await;
    assert_eq!(s, 200, "{v}");
    (
        v["id"].as_str().unwrap().to_string(),
        v["person_id"]
            .as_str()
            .unwrap_or_else(|| panic!("no person_id: {v}"))
            .to_string(),
    )
}

/// A staff report in the shape of `scope_matrix`'s `case_body`, at a given point.
fn case_body(grid: &str, problem: &str, lat: f64, lon: f64) -> Value {
    json!({"kind": "event", "category": {"major": "safety", "middle": "fire", "minor": "fire_lane_blocked"},
           "grid": {"level1": grid}, "source": "staff",
           "location": {"text": "B1 east", "point": {"lat": lat, "lon": lon}},
           "severity": "moderate", "problem": problem, "description": problem})
}

/// `application/x-www-form-urlencoded` (RFC 3986 unreserved characters kept, the rest %XX).
fn form(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A client whose connections leave from `ip` (Linux routes all of 127/8 to lo), so the
/// cloud sees a distinct client address.
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(ip.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

/// POST JSON from a given client; status and body.
async fn post_from(http: &reqwest::Client, base: &str, path: &str, body: &Value) -> (u16, Value) {
    let r = http
        .post(format!("{base}{path}"))
        .timeout(Duration::from_secs(30))
        .json(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {path}: {e}"));
    let s = r.status().as_u16();
    let t = r.text().await.unwrap_or_default();
    (s, serde_json::from_str(&t).unwrap_or(Value::String(t)))
}

/// Every delta after `cursor` until `more` is false, as raw JSON: the last cursor and all pages.
async fn deltas(bx: &SignedBox, mut cursor: i64) -> (i64, Vec<Value>) {
    let mut pages = Vec::new();
    loop {
        let d = bx.down(cursor).await;
        cursor = d["cursor"].as_i64().unwrap();
        let more = d["more"] == true;
        pages.push(d);
        if !more {
            return (cursor, pages);
        }
    }
}

fn ids_of<'a>(pages: &'a [Value], key: &str) -> Vec<&'a Value> {
    pages
        .iter()
        .flat_map(|d| d[key].as_array().into_iter().flatten())
        .collect()
}

fn keys_of(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    k.sort();
    k
}

fn item<'a>(list: &'a Value, id: &str) -> &'a Value {
    list["items"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["id"] == id))
        .unwrap_or_else(|| panic!("{id} not listed: {list}"))
}

// ---------------------------------------------------------------------------------------------

/// Finding: Open311's anonymous read (`requests.json`, `requests/{id}.json`) listed every case
/// of a community with the reporter's text, address and exact place. Now it shows only
/// requests filed through Open311, in a public form (no description or address, place rounded
/// to 0.001°); the filer, with their session token as `api_key`, sees their own in full.
async fn open311_public_read_shows_only_open311_requests_in_public_form(engine: Engine) {
    let mut w = world(engine).await;
    let base = w.cloud.base.clone();
    let pa = |s: &str| format!("/v1/communities/{}{s}", w.a.id);
    let staff = Api::login(&base, &w.a.staff_user, PASSWORD).await;
    let grid = w
        .admin
        .create(&pa("/grids"), &json!({"name": "Grid 1", "level": 1}))
        .await;
    // A staff case, and a case made from a resident's suggestion.
    let staff_text = "STAFF-PRIVATE-fire-lane-behind-B1";
    let staff_case = staff
        .create(
            &pa("/cases"),
            &case_body(&grid, staff_text, 31.2001, 121.4001),
        )
        .await;
    let resident = resident_user(&base, &w.a).await;
    let sug_text = "SUGGESTION-PRIVATE-more benches by gate 2";
    let sug = resident
        .create("/v1/app/suggestions", &json!({"text": sug_text}))
        .await;
    let sug_case = staff
        .ok(
            &pa(&format!("/suggestions/{sug}/case")),
            &json!({"category": {"major": "community", "middle": "suggestion", "minor": "general_suggestion"},
                    "grid": {"level1": grid}}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    // A request filed through Open311 with the resident's session token as api_key.
    let description = "OPEN311-PRIVATE-street light out, my window is 3rd floor";
    let address = "Secret Lane 7, door 3";
    let (lat, lon) = (31.234567, 121.456789);
    let token = resident.token.clone().unwrap();
    let body = form(&[
        ("jurisdiction_id", &w.a.id),
        ("service_code", "facilities.road.street_light"),
        ("lat", "31.234567"),
        ("long", "121.456789"),
        ("address_string", address),
        ("description", description),
        ("api_key", &token),
    ]);
    let r = reqwest::Client::new()
        .post(format!("{base}/open311/v2/requests.json"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    let created: Value = r.json().await.unwrap();
    assert_eq!(s, 201, "{created}");
    let rid = created[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_string();

    let anon = Api::new(&base);
    let list_q = format!("/open311/v2/requests.json?jurisdiction_id={}", w.a.id);
    let one_q = |id: &str| format!("/open311/v2/requests/{id}.json?jurisdiction_id={}", w.a.id);
    // Anonymous list: only the Open311 request, in public form.
    let (s, all) = anon.get(&list_q).await;
    assert_eq!(s, 200, "{all}");
    let listed: Vec<&str> = all
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {all}"))
        .iter()
        .map(|r| r["service_request_id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, vec![rid.as_str()], "{all}");
    let text = all.to_string();
    for secret in [staff_text, sug_text, description, address] {
        assert!(
            !text.contains(secret),
            "`{secret}` in the public list: {all}"
        );
    }
    let check_public = |r: &Value| {
        for k in [
            "service_request_id",
            "status",
            "service_code",
            "requested_datetime",
        ] {
            assert!(
                r.get(k).is_some_and(|v| !v.is_null()),
                "public form lacks {k}: {r}"
            );
        }
        assert_eq!(r["service_code"], "facilities.road.street_light", "{r}");
        for k in ["description", "address"] {
            assert!(r.get(k).is_none_or(Value::is_null), "public {k}: {r}");
        }
        let (plat, plon) = (r["lat"].as_f64().unwrap(), r["long"].as_f64().unwrap());
        for x in [plat, plon] {
            assert!(
                (x * 1000.0 - (x * 1000.0).round()).abs() < 1e-9,
                "not rounded to 0.001°: {r}"
            );
        }
        assert!(
            (plat - lat).abs() > 1e-7 && (plon - lon).abs() > 1e-7,
            "{r}"
        );
        assert!((plat - lat).abs() <= 0.0005 + 1e-9, "{r}");
    };
    check_public(&all[0]);
    // By id: the Open311 request in public form; the others are not found.
    let (s, one) = anon.get(&one_q(&rid)).await;
    assert_eq!(s, 200, "{one}");
    check_public(&one[0]);
    assert!(!one.to_string().contains(description), "{one}");
    for (what, id) in [("staff case", &staff_case), ("suggestion case", &sug_case)] {
        let (s, v) = anon.get(&one_q(id)).await;
        assert_eq!(s, 404, "{what} is not public: {v}");
        assert!(!v.to_string().contains("PRIVATE"), "{v}");
    }
    // Another app account's key sees the public form only.
    let other = app_user(&base, "13700000101", "visitor").await;
    let other_key = other.token.clone().unwrap();
    let (s, v) = anon
        .get(&format!("{}&api_key={other_key}", one_q(&rid)))
        .await;
    assert_eq!(s, 200, "{v}");
    check_public(&v[0]);
    // The filer sees their own request in full, by id and in the list.
    let (s, mine) = anon.get(&format!("{}&api_key={token}", one_q(&rid))).await;
    assert_eq!(s, 200, "{mine}");
    assert_eq!(mine[0]["description"], description, "{mine}");
    assert!(
        (mine[0]["lat"].as_f64().unwrap() - lat).abs() < 1e-9,
        "{mine}"
    );
    let (s, all) = anon.get(&format!("{list_q}&api_key={token}")).await;
    assert_eq!(s, 200, "{all}");
    assert_eq!(all.as_array().map(Vec::len), Some(1), "{all}");
    assert_eq!(all[0]["description"], description, "{all}");
    assert!(
        (all[0]["long"].as_f64().unwrap() - lon).abs() < 1e-9,
        "{all}"
    );
    assert!(!all.to_string().contains(staff_text), "{all}");
    w.cloud.stop().await;
}
on_both!(open311_public_read_shows_only_open311_requests_in_public_form);

// ---------------------------------------------------------------------------------------------

/// Finding: a box's first sync listed in `removed_people` every person changed street-wide
/// (other communities' residents included), later syncs told it of other communities' changes,
/// and a pass it uploaded with any `person_id` was joined to that person's name and phone.
/// Now a box hears only of people it was sent; a pass naming anyone else is stored with no
/// name or phone (`person_known: false`).
async fn a_box_sees_only_its_own_people(engine: Engine) {
    let mut w = world(engine).await;
    let base = w.cloud.base.clone();
    let bx = SignedBox::provision(&base, &w.a.code, 31).await;
    let (cursor, people, removed) = bx.down_all(0).await;
    assert!(
        !removed.contains(&w.b.resident),
        "another community's resident named to A's box: {removed:?}"
    );
    assert!(
        removed.is_empty(),
        "a fresh box removes nobody: {removed:?}"
    );
    let ids: Vec<&str> = people.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![w.a.resident.as_str()], "{people:?}");

    // B's resident changes: A's box hears nothing of it.
    let (s, v) = w
        .admin
        .put(
            &format!("/v1/communities/{}/people/{}/enabled", w.b.id, w.b.resident),
            &json!({"enabled": false}),
        )
        .await;
    assert_eq!(s, 204, "{v}");
    let (_, pages) = deltas(&bx, cursor).await;
    let text = serde_json::to_string(&pages).unwrap();
    assert!(
        !text.contains(&w.b.resident),
        "B's resident in A's delta: {text}"
    );

    // Passes: one naming B's resident is stored but joined to nobody; A's own shows the name.
    let pass = |person: &str| {
        let id = uuid::Uuid::now_v7();
        (
            id.to_string(),
            UplinkRecordV1::Pass(PassV1 {
                id,
                at_ms: wall_ms(),
                door: "east".into(),
                person_id: person.into(),
                method: "face".into(),
                allowed: true,
                reason: "resident".into(),
                grant_id: None,
                command_id: None,
                face_thumbnail: None,
            }),
        )
    };
    let (foreign_id, foreign) = pass(&w.b.resident);
    let (own_id, own) = pass(&w.a.resident);
    let ack = bx.up(vec![foreign, own]).await;
    assert_eq!(ack["stored"].as_u64(), Some(2), "{ack}");
    let staff = Api::login(&base, &w.a.staff_user, PASSWORD).await;
    let (s, list) = staff
        .get(&format!("/v1/communities/{}/passes", w.a.id))
        .await;
    assert_eq!(s, 200, "{list}");
    let f = item(&list, &foreign_id);
    assert_eq!(
        (
            f["person_name"].clone(),
            f["phone"].clone(),
            f["person_known"].as_bool()
        ),
        (Value::Null, Value::Null, Some(false)),
        "a pass naming B's resident: {f}"
    );
    assert!(!list.to_string().contains(&w.b.resident_phone), "{list}");
    assert!(!list.to_string().contains("beta resident"), "{list}");
    let o = item(&list, &own_id);
    assert_eq!(
        (o["person_name"].as_str(), o["person_known"].as_bool()),
        (Some("alpha resident"), Some(true)),
        "{o}"
    );
    w.cloud.stop().await;
}
on_both!(a_box_sees_only_its_own_people);

// ---------------------------------------------------------------------------------------------

/// Finding: the duplicate check was street-wide — A's staff saw B's case (id, number, a score
/// that is an oracle for its text) as a candidate, and B's open case blocked filing A's. Now
/// candidates come from the case's own community only.
async fn duplicate_detection_stays_in_the_community(engine: Engine) {
    let mut w = world(engine).await;
    let base = w.cloud.base.clone();
    let pa = |s: &str| format!("/v1/communities/{}{s}", w.a.id);
    let pb = |s: &str| format!("/v1/communities/{}{s}", w.b.id);
    let grid_a = w
        .admin
        .create(&pa("/grids"), &json!({"name": "GA", "level": 1}))
        .await;
    let grid_b = w
        .admin
        .create(&pb("/grids"), &json!({"name": "GB", "level": 1}))
        .await;
    // The same words, category, place and time: a certain duplicate, were it in one community.
    let text = "Blue van parked across the fire lane behind block 9, every night";
    let (lat, lon) = (31.25, 121.45);
    let case_b = w
        .admin
        .ok(&pb("/cases"), &case_body(&grid_b, text, lat, lon))
        .await;
    let (id_b, number_b) = (
        case_b["id"].as_str().unwrap().to_string(),
        case_b["number"].as_str().unwrap().to_string(),
    );
    let staff = Api::login(&base, &w.a.staff_user, PASSWORD).await;
    let id_a = staff
        .create(&pa("/cases"), &case_body(&grid_a, text, lat, lon))
        .await;
    let (s, cands) = staff.get(&pa(&format!("/cases/{id_a}/duplicates"))).await;
    assert_eq!(s, 200, "{cands}");
    assert!(cands["items"].is_array(), "{cands}");
    let shown = cands.to_string();
    assert!(
        !shown.contains(&id_b) && !shown.contains(&number_b),
        "B's case is a candidate for A's: {cands}"
    );
    let (s, v) = staff
        .post(&pa(&format!("/cases/{id_a}/ops")), &json!({"op": "file"}))
        .await;
    assert_eq!(
        (s, v["status"].as_str()),
        (200, Some("filed")),
        "B's case must not block filing A's: {v}"
    );
    // Within one community the check still works: a second A case is blocked by the first.
    let id_a2 = staff
        .create(&pa("/cases"), &case_body(&grid_a, text, lat, lon))
        .await;
    let (s, v) = staff
        .post(&pa(&format!("/cases/{id_a2}/ops")), &json!({"op": "file"}))
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("likely_duplicate")),
        "{v}"
    );
    w.cloud.stop().await;
}
on_both!(duplicate_detection_stays_in_the_community);

// ---------------------------------------------------------------------------------------------

/// Finding: a visit request gave the visitor rights at the host's estate before (and even
/// after refusing) — A's box got the visitor in its directory and a grant, and could fetch his
/// face photo. Now only an approved visit brings the visitor and a grant to the box.
async fn a_pending_or_refused_visit_gives_no_rights(engine: Engine) {
    let mut w = world(engine).await;
    let base = w.cloud.base.clone();
    let bx = SignedBox::provision(&base, &w.a.code, 41).await;
    let (cursor, _, _) = bx.down_all(0).await;
    let host = resident_user(&base, &w.a).await;
    let visitor = app_user(&base, "13700000201", "visitor").await;
    let (_, visitor_person) = me(&visitor).await;
    let at = wall_ms() + 30 * MINUTE;

    // Pending: nothing of the visitor or the visit reaches the box.
    let v1 = visitor
        .create(
            "/v1/app/visits",
            &json!({"host_phone": w.a.resident_phone, "visit_at_ms": at, "reason": "tea"}),
        )
        .await;
    let (cursor, pages) = deltas(&bx, cursor).await;
    let text = serde_json::to_string(&pages).unwrap();
    assert!(
        !text.contains(&visitor_person) && !text.contains(&v1),
        "a pending visit reached the box: {text}"
    );
    assert!(ids_of(&pages, "grants").is_empty(), "{text}");

    // Refused: still nothing.
    host.ok(
        &format!("/v1/app/visits/{v1}/decide"),
        &json!({"approve": false}),
    )
    .await;
    let (cursor, pages) = deltas(&bx, cursor).await;
    let text = serde_json::to_string(&pages).unwrap();
    assert!(
        !text.contains(&visitor_person) && !text.contains(&v1),
        "a refused visit reached the box: {text}"
    );

    // Approved: the visitor and an approved grant arrive.
    let v2 = visitor
        .create(
            "/v1/app/visits",
            &json!({"host_phone": w.a.resident_phone, "visit_at_ms": at + 1, "reason": "cake"}),
        )
        .await;
    host.ok(
        &format!("/v1/app/visits/{v2}/decide"),
        &json!({"approve": true}),
    )
    .await;
    let (_, pages) = deltas(&bx, cursor).await;
    let people = ids_of(&pages, "people");
    let p = people
        .iter()
        .find(|p| p["id"] == visitor_person.as_str())
        .unwrap_or_else(|| panic!("approved visitor not sent: {pages:?}"));
    assert_eq!(p["kind"], "visitor", "{p}");
    let grants = ids_of(&pages, "grants");
    let g = grants
        .iter()
        .find(|g| g["id"] == v2.as_str())
        .unwrap_or_else(|| panic!("no grant for the approved visit: {pages:?}"));
    assert_eq!(
        (
            g["status"].as_str(),
            g["visitor_id"].as_str(),
            g["host_id"].as_str()
        ),
        (
            Some("approved"),
            Some(visitor_person.as_str()),
            Some(w.a.resident.as_str())
        ),
        "{g}"
    );
    w.cloud.stop().await;
}
on_both!(a_pending_or_refused_visit_gives_no_rights);

// ---------------------------------------------------------------------------------------------

/// Finding: case operations handed work to any account of a fitting role street-wide (B's
/// dispatcher could be given A's case), and the error told "no such account" apart from
/// "wrong role" — an oracle for which ids are accounts of which role. Now only accounts of the
/// case's community (or street-wide ones) are accepted; any other id gets the answer of an id
/// that does not exist.
async fn case_operations_accept_only_this_communitys_accounts(engine: Engine) {
    let mut w = world(engine).await;
    let base = w.cloud.base.clone();
    let pa = |s: &str| format!("/v1/communities/{}{s}", w.a.id);
    let (_, disp_b) = account(&w.admin, &base, "disp-b", "dispatcher", Some(&w.b.id)).await;
    let (_, co_b) = account(&w.admin, &base, "co-b", "co_handler", Some(&w.b.id)).await;
    let (_, disp_a) = account(&w.admin, &base, "disp-a", "dispatcher", Some(&w.a.id)).await;
    let (_, worker_a) = account(&w.admin, &base, "worker-a", "field_staff", Some(&w.a.id)).await;
    let (_, worker_a2) = account(&w.admin, &base, "worker-a2", "field_staff", Some(&w.a.id)).await;
    let (_, co_a) = account(&w.admin, &base, "co-a", "co_handler", Some(&w.a.id)).await;
    let staff = Api::login(&base, &w.a.staff_user, PASSWORD).await;
    let grid = w
        .admin
        .create(&pa("/grids"), &json!({"name": "G1", "level": 1}))
        .await;
    let id = staff
        .create(
            &pa("/cases"),
            &case_body(&grid, "Broken gate hinge", 31.2, 121.4),
        )
        .await;
    let op = pa(&format!("/cases/{id}/ops"));
    staff.ok(&op, &json!({"op": "file"})).await;

    // Each op: B's account refused naming the field, with the message of a nonexistent id.
    let refused_alike = |field: &'static str, make: Box<dyn Fn(&str) -> Value>| {
        let (staff, op, disp_b, co_b) = (staff.clone(), op.clone(), disp_b.clone(), co_b.clone());
        async move {
            let foreign = if field.starts_with("co_handler") {
                co_b
            } else {
                disp_b
            };
            let (s, v) = staff.post(&op, &make(&foreign)).await;
            assert_eq!(
                (s, v["error"]["field"].as_str()),
                (400, Some(field)),
                "B's account in {field}: {v}"
            );
            let (s2, v2) = staff.post(&op, &make("nobody-xyz")).await;
            assert_eq!(
                (s2, v2["error"]["field"].as_str()),
                (400, Some(field)),
                "a nonexistent id in {field}: {v2}"
            );
            assert_eq!(
                (&v["error"]["code"], &v["error"]["message"]),
                (&v2["error"]["code"], &v2["error"]["message"]),
                "{field}: B's account must be refused exactly like a nonexistent id"
            );
        }
    };
    refused_alike(
        "dispatcher",
        Box::new(|d| json!({"op": "dispatch", "dispatcher": d})),
    )
    .await;
    let v = staff
        .ok(&op, &json!({"op": "dispatch", "dispatcher": disp_a}))
        .await;
    assert_eq!(v["status"], "filed", "{v}");

    let deadline = wall_ms() + 48 * HOUR;
    let assign = move |handler: &str, co: &str| {
        json!({"op": "assign",
               "handler": {"kind": "community_worker", "unit": "Alpha committee", "account_id": handler},
               "deadline_ms": deadline, "requirements": "Fix the hinge",
               "co_handlers": [{"kind": "city_bureau", "unit": "Housing", "account_id": co}]})
    };
    let (wa, ca) = (worker_a.clone(), co_a.clone());
    refused_alike("handler.account_id", Box::new(move |h| assign(h, &ca))).await;
    refused_alike(
        "co_handlers[0].account_id",
        Box::new(move |c| assign(&wa, c)),
    )
    .await;
    let v = staff.ok(&op, &assign(&worker_a, &co_a)).await;
    assert_eq!(v["status"], "handling", "{v}");

    refused_alike(
        "co_handler.account_id",
        Box::new(|c| {
            json!({"op": "add_co_handler", "co_handler": {"kind": "city_bureau", "unit": "Police", "account_id": c}})
        }),
    )
    .await;
    refused_alike(
        "to.account_id",
        Box::new(|t| {
            json!({"op": "reassign", "to": {"kind": "community_worker", "unit": "", "account_id": t}, "reason": "x"})
        }),
    )
    .await;
    // A's own accounts work.
    let v = staff
        .ok(
            &op,
            &json!({"op": "reassign", "to": {"kind": "community_worker", "unit": "", "account_id": worker_a2}, "reason": "shift change"}),
        )
        .await;
    assert_eq!(v["status"], "handling", "{v}");
    // B's accounts appear nowhere in the case.
    let (_, c) = staff.get(&pa(&format!("/cases/{id}"))).await;
    let text = c.to_string();
    assert!(
        !text.contains(&disp_b) && !text.contains(&co_b),
        "B's accounts in A's case: {c}"
    );
    w.cloud.stop().await;
}
on_both!(case_operations_accept_only_this_communitys_accounts);

// ---------------------------------------------------------------------------------------------

/// Finding: anyone could sign up as a visitor with a resident's phone before the resident did,
/// locking the resident out (their code-backed sign-up answered 409), and sign-up answered
/// "already exists" for a registered phone (an oracle for who has an account). Now a valid
/// activation code supersedes a squatter, and a visitor sign-up answers alike either way.
async fn signup_cannot_take_over_a_phone(engine: Engine) {
    let mut w = world(engine).await;
    let base = w.cloud.base.clone();
    let anon = Api::new(&base);
    let squat_password = "squatter-horse-battery";
    let (s, v) = anon
        .post(
            "/v1/app/signup",
            &json!({"phone": w.a.resident_phone, "name": "squatter", "password": squat_password, "role": "visitor"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let squatter = Api::login(&base, &w.a.resident_phone, squat_password).await;
    // The resident signs up with their code (asserts 201) and logs in.
    let resident = resident_user(&base, &w.a).await;
    let (_, who) = me(&resident).await;
    assert_eq!(who, w.a.resident);
    // The squatter's password no longer opens the phone, and their session is over.
    let (s, v) = anon
        .post(
            "/v1/auth/login",
            &json!({"username": w.a.resident_phone, "password": squat_password}),
        )
        .await;
    assert_eq!(s, 401, "{v}");
    let (s, v) = squatter.get("/v1/me").await;
    assert_eq!(s, 401, "the squatter's session must end: {v}");

    // A sign-up for a phone with an account answers like one for a fresh phone, and changes
    // nothing.
    let fresh = "13700000301";
    let (s1, v1) = anon
        .post(
            "/v1/app/signup",
            &json!({"phone": fresh, "name": "first", "password": PASSWORD, "role": "visitor"}),
        )
        .await;
    let (s2, v2) = anon
        .post(
            "/v1/app/signup",
            &json!({"phone": fresh, "name": "second", "password": "another-horse-battery", "role": "visitor"}),
        )
        .await;
    let (s3, v3) = anon
        .post(
            "/v1/app/signup",
            &json!({"phone": w.a.resident_phone, "name": "again", "password": "another-horse-battery", "role": "visitor"}),
        )
        .await;
    assert_eq!(s1, 201, "{v1}");
    assert_eq!((s2, keys_of(&v2)), (s1, keys_of(&v1)), "{v1} vs {v2}");
    assert_eq!((s3, keys_of(&v3)), (s1, keys_of(&v1)), "{v1} vs {v3}");
    for v in [&v1, &v2, &v3] {
        assert!(
            v.get("id").is_none() && v.get("person_id").is_none(),
            "a visitor sign-up answer names no account: {v}"
        );
    }
    let (s, _) = anon
        .post(
            "/v1/auth/login",
            &json!({"username": fresh, "password": "another-horse-battery"}),
        )
        .await;
    assert_eq!(s, 401, "the second sign-up changed the account");
    Api::login(&base, fresh, PASSWORD).await;
    Api::login(&base, &w.a.resident_phone, PASSWORD).await;
    w.cloud.stop().await;
}
on_both!(signup_cannot_take_over_a_phone);

// ---------------------------------------------------------------------------------------------

/// Finding: sign-up was unthrottled (each one an argon2 hash: a CPU and memory lever, and a
/// way to mint accounts in bulk). Now one client address gets 30 sign-ups per 10 minutes; the
/// 31st answers 429 `too_many_attempts`, other addresses are unaffected.
async fn signups_are_throttled_per_address(engine: Engine) {
    let mut w = world(engine).await;
    let base = w.cloud.base.clone();
    let body = |phone: String| json!({"phone": phone, "name": "v", "password": PASSWORD, "role": "visitor"});
    // Bad input is refused naming the field.
    let (s, v) = post_from(
        &client_from("127.0.0.4"),
        &base,
        "/v1/app/signup",
        &json!({"phone": "13900009999", "name": "v", "password": "short", "role": "visitor"}),
    )
    .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (400, Some("password")),
        "{v}"
    );
    let one = client_from("127.0.0.5");
    for i in 0..30 {
        let (s, v) = post_from(
            &one,
            &base,
            "/v1/app/signup",
            &body(format!("1390000{i:04}")),
        )
        .await;
        assert_eq!(s, 201, "sign-up {i}: {v}");
    }
    let (s, v) = post_from(&one, &base, "/v1/app/signup", &body("13900000030".into())).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (429, Some("too_many_attempts")),
        "{v}"
    );
    let (s, v) = post_from(
        &client_from("127.0.0.6"),
        &base,
        "/v1/app/signup",
        &body("13900000031".into()),
    )
    .await;
    assert_eq!(s, 201, "another address is not throttled: {v}");
    // The refused one made no account; the accepted ones did.
    let (s, _) = Api::new(&base)
        .post(
            "/v1/auth/login",
            &json!({"username": "13900000030", "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, 401);
    Api::login(&base, "13900000029", PASSWORD).await;
    w.cloud.stop().await;
}
on_both!(signups_are_throttled_per_address);

// ---------------------------------------------------------------------------------------------

/// Finding: the login throttle counted successes against the client address (an office
/// behind one NAT was locked out after 20 logins) and counted failures per user name from
/// anywhere (anyone could lock the street admin out with 5 wrong passwords). Now successes
/// never count, and a name guessed from one address is refused from that address only.
async fn login_throttle_spares_owners_and_offices(engine: Engine) {
    let mut w = world(engine).await;
    let base = w.cloud.base.clone();
    let login = |user: &str, password: &str| json!({"username": user, "password": password});
    // (a) 30 correct logins from one address all succeed.
    let office = client_from("127.0.0.9");
    for i in 0..30 {
        let (s, v) = post_from(
            &office,
            &base,
            "/v1/auth/login",
            &login(&w.a.staff_user, PASSWORD),
        )
        .await;
        assert_eq!(s, 200, "login {i} from one address: {v}");
    }
    // …and so do 30 at once by six colleagues (in flight they are counted against each name,
    // at most 5 per name from one address; never against the address).
    let mut colleagues = Vec::new();
    for i in 0..6 {
        let name = format!("office-{i}");
        account(&w.admin, &base, &name, "community_staff", Some(&w.a.id)).await;
        colleagues.push(name);
    }
    let at_once: Vec<_> = (0..30)
        .map(|i| {
            let (office, base) = (office.clone(), base.clone());
            let body = login(&colleagues[i % 6], PASSWORD);
            tokio::spawn(async move { post_from(&office, &base, "/v1/auth/login", &body).await })
        })
        .collect();
    for (i, h) in at_once.into_iter().enumerate() {
        let (s, v) = h.await.unwrap();
        assert_eq!(s, 200, "concurrent login {i} from one address: {v}");
    }
    // (b) 5 wrong passwords for admin from one address: the 6th attempt is refused there…
    let attacker = client_from("127.0.0.7");
    for i in 0..5 {
        let (s, v) = post_from(
            &attacker,
            &base,
            "/v1/auth/login",
            &login("admin", "wrong-wrong-wrong"),
        )
        .await;
        assert_eq!(s, 401, "wrong password {i}: {v}");
    }
    let (s, v) = post_from(
        &attacker,
        &base,
        "/v1/auth/login",
        &login("admin", "wrong-wrong-wrong"),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (429, Some("too_many_attempts")),
        "{v}"
    );
    // …but the admin signs in from another address.
    let (s, v) = post_from(
        &client_from("127.0.0.8"),
        &base,
        "/v1/auth/login",
        &login("admin", PASSWORD),
    )
    .await;
    assert_eq!(
        s, 200,
        "the admin is locked out by someone else's guesses: {v}"
    );
    assert!(v["token"].is_string(), "{v}");
    // (c) The guessing address stays refused for admin, even with the right password.
    let (s, v) = post_from(
        &attacker,
        &base,
        "/v1/auth/login",
        &login("admin", PASSWORD),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (429, Some("too_many_attempts")),
        "{v}"
    );
    w.cloud.stop().await;
}
on_both!(login_throttle_spares_owners_and_offices);

// ---------------------------------------------------------------------------------------------

/// Finding: a visit request answered with the host's estate and the visitor's list showed the
/// host's full name before the host approved (any phone number could be resolved to a name and
/// a home), and requests were unlimited (a host could be flooded). Now the estate is not
/// answered, the host's name is masked until approval, a visitor may ask 10 times a day, and
/// have at most 2 undecided requests to one host.
async fn visit_requests_are_limited_and_hide_the_host(engine: Engine) {
    let mut w = world(engine).await;
    let base = w.cloud.base.clone();
    let host = resident_user(&base, &w.a).await;
    let visitor = app_user(&base, "13700000401", "visitor").await;
    let at = wall_ms() + 30 * MINUTE;
    let ask = |api: Api, n: i64| {
        let phone = w.a.resident_phone.clone();
        async move {
            api.post(
                "/v1/app/visits",
                &json!({"host_phone": phone, "visit_at_ms": at + n, "reason": format!("visit {n}")}),
            )
            .await
        }
    };
    let masked = |shown: &Value| {
        let s = shown.as_str().unwrap_or_else(|| panic!("host: {shown}"));
        assert_ne!(s, "alpha resident");
        assert!(s.starts_with('a') && s.contains('*'), "not masked: {s}");
    };
    let (s, v) = ask(visitor.clone(), 0).await;
    assert_eq!(s, 201, "{v}");
    assert!(
        v.get("estate_id").is_none(),
        "the answer names the estate: {v}"
    );
    assert!(!v.to_string().contains(&w.a.estate), "{v}");
    let v1 = v["id"].as_str().unwrap().to_string();
    let (_, mine) = visitor.get("/v1/app/visits/mine").await;
    let it = item(&mine, &v1);
    assert_eq!(it["state"], "pending", "{it}");
    masked(&it["host"]);
    assert!(!mine.to_string().contains(&w.a.estate), "{mine}");
    // Refused: still masked.
    host.ok(
        &format!("/v1/app/visits/{v1}/decide"),
        &json!({"approve": false}),
    )
    .await;
    let (_, mine) = visitor.get("/v1/app/visits/mine").await;
    let it = item(&mine, &v1);
    assert_eq!(it["state"], "refused", "{it}");
    masked(&it["host"]);
    // Approved: the full name shows.
    let (s, v) = ask(visitor.clone(), 1).await;
    assert_eq!(s, 201, "{v}");
    let v2 = v["id"].as_str().unwrap().to_string();
    host.ok(
        &format!("/v1/app/visits/{v2}/decide"),
        &json!({"approve": true}),
    )
    .await;
    let (_, mine) = visitor.get("/v1/app/visits/mine").await;
    assert_eq!(item(&mine, &v2)["host"], "alpha resident", "{mine}");
    // At most 2 undecided requests to one host.
    for n in 2..4 {
        let (s, v) = ask(visitor.clone(), n).await;
        assert_eq!(s, 201, "pending request {n}: {v}");
    }
    let (s, v) = ask(visitor.clone(), 4).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("too_many_pending")),
        "{v}"
    );

    // At most 10 requests a day per visitor account (each decided at once, so the pending
    // limit plays no part): the 11th answers 429.
    let busy = app_user(&base, "13700000402", "visitor").await;
    for n in 0..10 {
        let (s, v) = ask(busy.clone(), 100 + n).await;
        assert_eq!(s, 201, "request {n}: {v}");
        host.ok(
            &format!("/v1/app/visits/{}/decide", v["id"].as_str().unwrap()),
            &json!({"approve": false}),
        )
        .await;
    }
    let (s, v) = ask(busy.clone(), 200).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (429, Some("too_many_attempts")),
        "{v}"
    );
    w.cloud.stop().await;
}
on_both!(visit_requests_are_limited_and_hide_the_host);

// ---------------------------------------------------------------------------------------------

/// Finding (low): a box could upload a face-enrolment verdict about any photo of the street,
/// and it showed in the other community's face review. Now a verdict on a photo the box was
/// never sent is answered (the box's uplink moves on) but dropped.
async fn a_foreign_box_verdict_is_dropped(engine: Engine) {
    let mut w = world(engine).await;
    let base = w.cloud.base.clone();
    let pa = |s: &str| format!("/v1/communities/{}{s}", w.a.id);
    let box_a = SignedBox::provision(&base, &w.a.code, 51).await;
    let box_b = SignedBox::provision(&base, &w.b.code, 52).await;
    let (s, v) = w
        .admin
        .put(
            &pa(&format!("/people/{}/face-consent", w.a.resident)),
            &json!({"given": true}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, up) = w
        .admin
        .upload(
            &pa(&format!("/people/{}/face-photos", w.a.resident)),
            "image/jpeg",
            tiny_jpeg("alpha face"),
        )
        .await;
    assert_eq!(s, 201, "{up}");
    let photo = up["id"].as_str().unwrap().to_string();
    w.admin
        .ok(&pa(&format!("/face-photos/{photo}/approve")), &json!({}))
        .await;
    box_a.down_all(0).await;
    box_b.down_all(0).await;
    let verdict = |accepted: bool| {
        UplinkRecordV1::FaceEnrolment(FaceEnrolmentV1 {
            id: uuid::Uuid::now_v7(),
            at_ms: wall_ms(),
            person_id: w.a.resident.clone(),
            photo_id: photo.clone(),
            accepted,
            reasons: if accepted {
                vec![]
            } else {
                vec!["blurred".into()]
            },
        })
    };
    // B's box: answered 200 (up() asserts it), not kept.
    box_b.up(vec![verdict(false)]).await;
    // A's box: kept.
    let ack = box_a.up(vec![verdict(true)]).await;
    assert_eq!(ack["stored"].as_u64(), Some(1), "{ack}");
    let staff = Api::login(&base, &w.a.staff_user, PASSWORD).await;
    let (s, f) = staff.get(&pa(&format!("/face-photos/{photo}"))).await;
    assert_eq!(s, 200, "{f}");
    let boxes: Vec<&str> = f["verdicts"]
        .as_array()
        .unwrap_or_else(|| panic!("no verdicts: {f}"))
        .iter()
        .map(|v| v["box_id"].as_str().unwrap())
        .collect();
    assert_eq!(boxes, vec![box_a.box_id.as_str()], "{f}");
    assert_eq!(
        f["enrolment"], "enrolled",
        "B's refusal must not count: {f}"
    );
    w.cloud.stop().await;
}
on_both!(a_foreign_box_verdict_is_dropped);

/// Finding (low): any case worker of a community could download every attachment of it by id.
/// Now a case worker gets only files they uploaded or that belong to a case they take part
/// in; others are "not found". Community staff see all of their community's.
async fn attachments_only_for_those_who_take_part(engine: Engine) {
    let mut w = world(engine).await;
    let base = w.cloud.base.clone();
    let pa = |s: &str| format!("/v1/communities/{}{s}", w.a.id);
    let staff = Api::login(&base, &w.a.staff_user, PASSWORD).await;
    let (uploader, _) = account(&w.admin, &base, "uploader-a", "field_staff", Some(&w.a.id)).await;
    let (outsider, outsider_id) =
        account(&w.admin, &base, "outsider-a", "field_staff", Some(&w.a.id)).await;
    let grid = w
        .admin
        .create(&pa("/grids"), &json!({"name": "G1", "level": 1}))
        .await;
    let png = tiny_png();
    let (s, v) = uploader
        .upload(&pa("/attachments?name=lane.png"), "image/png", png.clone())
        .await;
    assert_eq!(s, 201, "{v}");
    let att = v["id"].as_str().unwrap().to_string();
    let mut body = case_body(&grid, "Lane blocked", 31.2, 121.4);
    body["attachments"] = json!([{"id": att}]);
    let case = staff.create(&pa("/cases"), &body).await;
    let path = pa(&format!("/attachments/{att}"));

    let (s, _, bytes) = outsider.bytes(&path).await;
    assert_eq!(
        s,
        404,
        "a case worker outside the case: {}",
        String::from_utf8_lossy(&bytes)
    );
    for (who, api) in [("community staff", &staff), ("the uploader", &uploader)] {
        let (s, _, bytes) = api.bytes(&path).await;
        assert_eq!((s, bytes == png), (200, true), "{who}");
    }
    // Once the outsider takes part (handler of the case), the file is theirs to see.
    let op = pa(&format!("/cases/{case}/ops"));
    staff.ok(&op, &json!({"op": "file"})).await;
    staff
        .ok(
            &op,
            &json!({"op": "assign",
                    "handler": {"kind": "community_worker", "unit": "", "account_id": outsider_id},
                    "deadline_ms": wall_ms() + 48 * HOUR, "requirements": "Clear it"}),
        )
        .await;
    let (s, _, bytes) = outsider.bytes(&path).await;
    assert_eq!((s, bytes == png), (200, true), "the handler of the case");
    w.cloud.stop().await;
}
on_both!(attachments_only_for_those_who_take_part);
