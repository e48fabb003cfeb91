//! The cloud core's API against a real database — every scenario runs on SQLite and on a
//! throwaway PostgreSQL cluster: registry and visits, the generated scope matrix, sessions and
//! login throttling, bad input, and the sync endpoints as a box sees them.

use std::collections::BTreeSet;

use ed25519_dalek::SigningKey;
use edge_sync::sync::{PassV1, UplinkBatchV1, UplinkRecordV1};
use serde_json::{json, Value};
use tests::cloud::{app_user, resident_user, tiny_jpeg, Api, Engine, PASSWORD};

use tests::on_both;

use tests::cloud::two_communities as world;

/// A box's signed request.
async fn edge_call(
    base: &str,
    box_id: &str,
    key: &SigningKey,
    method: &str,
    pq: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let headers = edge_sync::auth::sign_request(key, box_id, method, pq, tests_now(), &body);
    let mut req = reqwest::Client::new().request(
        reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
        format!("{base}{pq}"),
    );
    for (k, v) in headers {
        req = req.header(k, v);
    }
    if !body.is_empty() {
        req = req.header("content-type", "application/json").body(body);
    }
    let r = req.send().await.unwrap();
    let s = r.status().as_u16();
    let t = r.text().await.unwrap();
    (s, serde_json::from_str(&t).unwrap_or(Value::String(t)))
}

fn tests_now() -> i64 {
    edge_daemon::os_clock::wall_ms()
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

async fn provision(base: &str, code: &str, key: &SigningKey) -> (u16, Value) {
    Api::new(base)
        .post(
            "/v1/edge/provision",
            &json!({"version": 1, "code": code, "public_key": edge_sync::onetap::encode_public_key(&key.verifying_key())}),
        )
        .await
}

// ---------------------------------------------------------------------------------------------

async fn registry_visits_and_notifications(engine: Engine) {
    let mut w = world(engine).await;
    let base = w.cloud.base.clone();
    // ID numbers: masked in lists and for community staff; street admin may reveal.
    let staff = Api::login(&base, &w.a.staff_user, PASSWORD).await;
    let (s, people) = staff
        .get(&format!("/v1/communities/{}/people", w.a.id))
        .await;
    assert_eq!(s, 200);
    assert_eq!(people["items"][0]["id_number"], "110***********1234");
    let (s, _) = staff
        .get(&format!(
            "/v1/communities/{}/people/{}?reveal=true",
            w.a.id, w.a.resident
        ))
        .await;
    assert_eq!(s, 403);
    let (s, p) = w
        .admin
        .get(&format!(
            "/v1/communities/{}/people/{}?reveal=true",
            w.a.id, w.a.resident
        ))
        .await;
    assert_eq!(s, 200);
    assert_eq!(p["id_number"], "110101199003071234");
    assert_eq!(p["addresses"][0]["estate_id"], w.a.estate);

    // Knowing a resident's phone is not enough: sign-up needs the staff-issued code.
    for body in [
        json!({"phone": w.a.resident_phone, "name": "x", "password": PASSWORD, "role": "resident"}),
        json!({"phone": w.a.resident_phone, "name": "x", "password": PASSWORD, "role": "resident", "activation_code": "WRONG-CODE1"}),
        json!({"phone": w.b.resident_phone, "name": "x", "password": PASSWORD, "role": "resident", "activation_code": w.a.resident_code}),
    ] {
        let (s, v) = Api::new(&base).post("/v1/app/signup", &body).await;
        assert_eq!(
            (s, v["error"]["field"].as_str()),
            (400, Some("activation_code")),
            "{v}"
        );
    }
    // With the code the resident signs up, once.
    let host = resident_user(&base, &w.a).await;
    let (s, _) = Api::new(&base)
        .post("/v1/app/signup", &json!({"phone": "13600000000", "name": "x", "password": PASSWORD, "role": "resident", "activation_code": w.a.resident_code}))
        .await;
    assert_eq!(s, 400);
    let visitor = app_user(&base, "13700000001", "visitor").await;

    // Visit: ask → host approves → visitor notified; states in both lists.
    let at = tests_now() + 30 * 60_000;
    let (s, v) = visitor
        .post(
            "/v1/app/visits",
            &json!({"host_phone": w.a.resident_phone, "visit_at_ms": at, "reason": "tea"}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let visit = v["id"].as_str().unwrap().to_string();
    // The visitor learns nothing of the host's home before the host approves.
    assert!(v.get("estate_id").is_none(), "{v}");
    let (_, hosting) = host.get("/v1/app/visits/hosting").await;
    assert_eq!(hosting["items"][0]["state"], "pending");
    // The visitor cannot approve their own visit; the host can, once.
    let (s, _) = visitor
        .post(
            &format!("/v1/app/visits/{visit}/decide"),
            &json!({"approve": true}),
        )
        .await;
    assert_eq!(s, 409);
    let (s, v) = host
        .post(
            &format!("/v1/app/visits/{visit}/decide"),
            &json!({"approve": true}),
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (200, Some("approved")), "{v}");
    let (s, _) = host
        .post(
            &format!("/v1/app/visits/{visit}/decide"),
            &json!({"approve": false}),
        )
        .await;
    assert_eq!(s, 409);
    let (_, mine) = visitor.get("/v1/app/visits/mine").await;
    assert_eq!(mine["items"][0]["state"], "approved");
    assert_eq!(
        mine["items"][0]["window"],
        json!([at - 3_600_000, at + 3_600_000])
    );
    let (_, notes) = visitor.get("/v1/app/notifications").await;
    assert_eq!(notes["items"][0]["kind"], "visit_approved");
    let (_, notes) = host.get("/v1/app/notifications").await;
    assert_eq!(notes["items"][0]["kind"], "visit_requested");
    // A second visit refused; a third cancelled by the visitor.
    let v2 = visitor
        .ok(
            "/v1/app/visits",
            &json!({"host_phone": w.a.resident_phone, "visit_at_ms": at + 1, "reason": "b"}),
        )
        .await;
    host.ok(
        &format!("/v1/app/visits/{}/decide", v2["id"].as_str().unwrap()),
        &json!({"approve": false}),
    )
    .await;
    let v3 = visitor
        .ok(
            "/v1/app/visits",
            &json!({"host_phone": w.a.resident_phone, "visit_at_ms": at + 2, "reason": "c"}),
        )
        .await;
    visitor
        .ok(
            &format!("/v1/app/visits/{}/cancel", v3["id"].as_str().unwrap()),
            &json!({}),
        )
        .await;
    let (_, mine) = visitor.get("/v1/app/visits/mine").await;
    let states: BTreeSet<&str> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, BTreeSet::from(["approved", "refused", "cancelled"]));
    // Community staff see the community's appointments, latest visit first, with both parties;
    // the status filter narrows; another community sees none of them.
    let staff_a = Api::login(&base, &w.a.staff_user, PASSWORD).await;
    let pa = |s: &str| format!("/v1/communities/{}{s}", w.a.id);
    let (s, list) = staff_a.get(&pa("/visits")).await;
    assert_eq!(s, 200, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{list}");
    assert_eq!(items[0]["visit_at_ms"].as_i64(), Some(at + 2), "{list}");
    assert_eq!(items[2]["id"], visit.as_str(), "{list}");
    assert_eq!(items[2]["state"], "approved");
    assert_eq!(items[2]["visitor_phone"], "13700000001");
    assert_eq!(items[2]["window"], json!([at - 3_600_000, at + 3_600_000]));
    let (_, refused) = staff_a.get(&pa("/visits?status=refused")).await;
    assert_eq!(refused["items"].as_array().unwrap().len(), 1, "{refused}");
    let (_, paged) = staff_a.get(&pa("/visits?limit=2")).await;
    let next = paged["next"].as_str().unwrap().to_string();
    let (_, rest) = staff_a
        .get(&pa(&format!("/visits?limit=2&before={next}")))
        .await;
    assert_eq!(rest["items"][0]["id"], visit.as_str(), "{rest}");
    let (s, v) = staff_a.get(&pa("/visits?status=visited")).await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (400, Some("status")),
        "{v}"
    );
    let (_, theirs) = w
        .admin
        .get(&format!("/v1/communities/{}/visits", w.b.id))
        .await;
    assert_eq!(theirs["items"].as_array().unwrap().len(), 0, "{theirs}");

    // Multi-address: a room in the same community → community staff decide; a room in another
    // community → only the street decides, and approval adds the address.
    let app = host
        .ok(
            "/v1/app/address-applications",
            &json!({"room_id": w.b.room}),
        )
        .await;
    assert_eq!(app["crosses_community"], true);
    let app_id = app["id"].as_str().unwrap();
    let staff_b = Api::login(&base, &w.b.staff_user, PASSWORD).await;
    let (s, _) = staff_b
        .post(
            &format!(
                "/v1/communities/{}/address-applications/{app_id}/decide",
                w.b.id
            ),
            &json!({"approve": true}),
        )
        .await;
    assert_eq!(
        s, 403,
        "community staff must not decide a cross-community application"
    );
    let (_, pending) = w.admin.get("/v1/street/address-applications").await;
    assert!(pending["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["id"] == app_id));
    w.admin
        .ok(
            &format!("/v1/street/address-applications/{app_id}/decide"),
            &json!({"approve": true}),
        )
        .await;
    let (_, p) = w
        .admin
        .get(&format!(
            "/v1/communities/{}/people/{}",
            w.a.id, w.a.resident
        ))
        .await;
    assert_eq!(p["addresses"].as_array().unwrap().len(), 2, "{p}");

    // The estate tree shows what was built.
    let (_, tree) = staff
        .get(&format!(
            "/v1/communities/{}/estates/{}",
            w.a.id, w.a.estate
        ))
        .await;
    assert_eq!(tree["buildings"][0]["units"][0]["rooms"][0]["id"], w.a.room);
    w.cloud.stop().await;
}
on_both!(registry_visits_and_notifications);

// ---------------------------------------------------------------------------------------------

/// Every scoped route of the OpenAPI document × every wrong caller: no success, and the other
/// community's data is unchanged afterwards.
async fn scope_matrix(engine: Engine) {
    let mut w = world(engine).await;
    let base = w.cloud.base.clone();
    let staff_a = Api::login(&base, &w.a.staff_user, PASSWORD).await;
    let resident_a = resident_user(&base, &w.a).await;
    let visitor = app_user(&base, "13700000002", "visitor").await;
    let anon = Api::new(&base);
    // Something of B's to aim at: a pending application, a visit.
    let resident_b = resident_user(&base, &w.b).await;
    let appl = resident_b
        .ok(
            "/v1/app/address-applications",
            &json!({"room_id": w.b.room}),
        )
        .await;
    let appl_b = appl["id"].as_str().unwrap().to_string();
    let visit_b = visitor
        .create("/v1/app/visits", &json!({"host_phone": w.b.resident_phone, "visit_at_ms": tests_now() + 60_000, "reason": "x"})).await;
    // A box of B provisioned: edge routes exist for real.
    let kb = key(9);
    assert_eq!(provision(&base, &w.b.code, &kb).await.0, 200);

    // B's device, grid and case, and a case worker of A.
    let pb = |s: &str| format!("/v1/communities/{}{s}", w.b.id);
    let device_b = w
        .admin
        .create(&pb("/devices"), &json!({"box_id": w.b.box_id, "code": "smoke-b", "kind": "smoke_detector",
            "profile": "zigbee2mqtt-smoke", "name": "x", "building_id": w.b.building, "heartbeat_seconds": 60})).await;
    let grid_b = w
        .admin
        .create(&pb("/grids"), &json!({"name": "G1", "level": 1}))
        .await;
    let case_body = |grid: &str| {
        json!({"kind": "event", "category": {"major": "safety", "middle": "fire", "minor": "fire_lane_blocked"},
               "grid": {"level1": grid}, "source": "staff", "location": {"text": "B1 east"},
               "severity": "moderate", "problem": "Fire lane blocked"})
    };
    let case_b = w.admin.create(&pb("/cases"), &case_body(&grid_b)).await;
    w.admin
        .ok("/v1/street/accounts", &json!({"username": "seat-a", "password": PASSWORD, "role": "seat_operator", "community_id": w.a.id}))
        .await;
    let seat_a = Api::login(&base, "seat-a", PASSWORD).await;
    // B's face photo (pending review, no consent) and a pass of B's box with a kept thumbnail.
    let (s, v) = w
        .admin
        .upload(
            &pb(&format!("/people/{}/face-photos", w.b.resident)),
            "image/jpeg",
            tiny_jpeg("b"),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let photo_b = v["id"].as_str().unwrap().to_string();
    let (s, _) = w
        .admin
        .put(
            &pb("/face-settings"),
            &json!({"face_thumbnail_upload": true, "face_thumbnail_retention_days": 7}),
        )
        .await;
    assert_eq!(s, 200);
    let mut thumb_pass = pass(77, "east", &w.b.resident);
    if let UplinkRecordV1::Pass(p) = &mut thumb_pass {
        use base64::Engine as _;
        p.at_ms = tests_now();
        p.face_thumbnail = Some(base64::engine::general_purpose::STANDARD.encode(tiny_jpeg("t")));
    }
    let pass_b = thumb_pass.id().to_string();
    let batch = UplinkBatchV1 {
        version: 1,
        records: vec![thumb_pass],
    };
    let (s, v) = edge_call(
        &base,
        &w.b.box_id,
        &kb,
        "POST",
        "/v1/edge/sync/up",
        serde_json::to_vec(&batch).unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let b_thumbnail = pb(&format!("/passes/{pass_b}/thumbnail"));
    assert_eq!(w.admin.bytes(&b_thumbnail).await.0, 200);

    let (_, doc) = anon.get("/openapi.json").await;
    let paths = doc["paths"].as_object().unwrap();
    let fill = |path: &str, community: &str| {
        path.replace("{community_id}", community)
            .replace("{person_id}", &w.b.resident)
            .replace("{estate_id}", &w.b.estate)
            .replace("{building_id}", &w.b.building)
            .replace("{unit_id}", &w.b.unit)
            .replace("{room_id}", &w.b.room)
            .replace("{box_id}", &w.b.box_id)
            .replace("{door_id}", &w.b.door)
            .replace("{application_id}", &appl_b)
            .replace("{account_id}", "nobody")
            .replace("{visit_id}", &visit_b)
            .replace("{device_id}", &device_b)
            .replace("{case_id}", &case_b)
            .replace("{alarm_id}", "none")
            .replace("{photo_id}", &photo_b)
            .replace("{pass_id}", &pass_b)
    };
    // Bodies valid enough to reach the handler's own checks.
    let body_for = |path: &str| -> Value {
        match path.rsplit('/').next().unwrap_or("") {
            "addresses" => json!({"room_id": w.b.room}),
            "enabled" => json!({"enabled": false}),
            "mode" => json!({"mode": "locked"}),
            "decide" => json!({"approve": true}),
            "move" => json!({"community_id": w.a.id}),
            "doors" => json!({"box_id": w.b.box_id, "code": "x1", "name": "x"}),
            "boxes" => json!({"estate_id": w.b.estate, "name": "x"}),
            "buildings" | "units" | "rooms" | "estates" | "communities" => json!({"name": "x"}),
            "people" => json!({"name": "x", "kind": "local"}),
            "grids" => json!({"name": "x", "level": 1}),
            "accounts" => {
                json!({"username": "intruder", "password": PASSWORD, "role": "street_admin"})
            }
            "visits" => {
                json!({"host_phone": w.b.resident_phone, "visit_at_ms": tests_now() + 60_000, "reason": "x"})
            }
            "onetap" => json!({"lat": w.b.lat, "lon": w.b.lon}),
            "cases" => case_body(&grid_b),
            "ops" => json!({"op": "void", "reason": "intruder"}),
            "devices" => {
                json!({"box_id": w.b.box_id, "code": "x2", "kind": "elevator", "profile": "p",
                                "name": "x", "building_id": w.b.building, "heartbeat_seconds": 60})
            }
            "records" => json!({"kind": "repair", "content": "x"}),
            "ack" | "clear" => json!({"comment": "x"}),
            "face-consent" => json!({"given": true}),
            "reject" => json!({"note": "x"}),
            "face-settings" => {
                json!({"face_thumbnail_upload": false, "face_thumbnail_retention_days": 1})
            }
            _ => json!({}),
        }
    };
    let mut tried = 0;
    let mut successes = Vec::new();
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            let method = method.to_uppercase();
            let access = op["x-access"].as_str().unwrap();
            let body = body_for(path);
            let wrong: Vec<(&str, &Api, String)> = match access {
                // Staff of A on B's community; staff of A on its own path with B's ids; app users.
                "community" => {
                    let mut v = vec![
                        ("staff_a@B", &staff_a, fill(path, &w.b.id)),
                        ("resident@A", &resident_a, fill(path, &w.a.id)),
                        ("visitor@B", &visitor, fill(path, &w.b.id)),
                        ("anonymous", &anon, fill(path, &w.b.id)),
                    ];
                    // Own community path but another community's ids: only meaningful when the
                    // route names an id besides the community.
                    if path.matches('{').count() > 1 {
                        v.push(("staff_a@A-with-B-ids", &staff_a, fill(path, &w.a.id)));
                    }
                    v
                }
                "cases" => {
                    let mut v = vec![
                        ("staff_a@B", &staff_a, fill(path, &w.b.id)),
                        ("seat_a@B", &seat_a, fill(path, &w.b.id)),
                        ("resident@A", &resident_a, fill(path, &w.a.id)),
                        ("visitor@B", &visitor, fill(path, &w.b.id)),
                        ("anonymous", &anon, fill(path, &w.b.id)),
                    ];
                    if path.matches('{').count() > 1 {
                        v.push(("staff_a@A-with-B-ids", &staff_a, fill(path, &w.a.id)));
                        v.push(("seat_a@A-with-B-ids", &seat_a, fill(path, &w.a.id)));
                    }
                    v
                }
                "street" => vec![
                    ("staff_a", &staff_a, fill(path, &w.b.id)),
                    ("seat_a", &seat_a, fill(path, &w.b.id)),
                    ("resident", &resident_a, fill(path, &w.b.id)),
                    ("anonymous", &anon, fill(path, &w.b.id)),
                ],
                "app" => vec![
                    ("staff_a", &staff_a, fill(path, &w.b.id)),
                    ("street", &w.admin, fill(path, &w.b.id)),
                    ("anonymous", &anon, fill(path, &w.b.id)),
                ],
                "edge" => vec![
                    ("staff_a", &staff_a, fill(path, &w.b.id)),
                    ("street", &w.admin, fill(path, &w.b.id)),
                    ("anonymous", &anon, fill(path, &w.b.id)),
                ],
                "account" => vec![("anonymous", &anon, fill(path, &w.b.id))],
                _ => vec![],
            };
            for (who, api, url) in wrong {
                let b = if method == "GET" { None } else { Some(&body) };
                let (s, v) = api.call(&method, &url, b).await;
                tried += 1;
                if (200..300).contains(&s) {
                    successes.push(format!("{who}: {method} {url} → {s} {v}"));
                } else {
                    assert!(
                        v["error"]["code"].is_string(),
                        "{who}: {method} {url} → {s} without a JSON error: {v}"
                    );
                }
            }
        }
    }
    assert!(
        tried >= 150,
        "the matrix must cover the API, tried only {tried}"
    );
    assert!(
        successes.is_empty(),
        "{} wrong callers succeeded:\n{}",
        successes.len(),
        successes.join("\n")
    );

    // B's data is as it was.
    let (_, doors) = w
        .admin
        .get(&format!("/v1/communities/{}/doors", w.b.id))
        .await;
    assert_eq!(doors["items"][0]["mode"], "normal");
    let (_, p) = w
        .admin
        .get(&format!(
            "/v1/communities/{}/people/{}",
            w.b.id, w.b.resident
        ))
        .await;
    assert_eq!(p["enabled"], true);
    assert_eq!(p["addresses"].as_array().unwrap().len(), 1);
    let (_, boxes) = w
        .admin
        .get(&format!("/v1/communities/{}/boxes", w.b.id))
        .await;
    assert_eq!(boxes["items"][0]["revoked"], false);
    let (_, people) = w
        .admin
        .get(&format!("/v1/communities/{}/people", w.b.id))
        .await;
    assert_eq!(people["items"].as_array().unwrap().len(), 1);
    // And A's lists show none of B's.
    let (_, people_a) = staff_a
        .get(&format!("/v1/communities/{}/people", w.a.id))
        .await;
    assert!(people_a["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["id"] != w.b.resident));
    let (_, c) = w.admin.get(&pb(&format!("/cases/{case_b}"))).await;
    assert_eq!(
        (c["status"].as_str(), c["version"].as_i64()),
        (Some("pending"), Some(1)),
        "{c}"
    );
    // B's face photo, consent, settings and thumbnail are as they were.
    let (_, f) = w.admin.get(&pb(&format!("/face-photos/{photo_b}"))).await;
    assert_eq!(
        (f["status"].as_str(), f["consent"]["given"].as_bool()),
        (Some("pending_review"), Some(false)),
        "{f}"
    );
    assert_eq!(
        w.admin
            .bytes(&pb(&format!("/face-photos/{photo_b}/image")))
            .await
            .0,
        200
    );
    let (_, fs) = w.admin.get(&pb("/face-settings")).await;
    assert_eq!(
        (
            fs["face_thumbnail_upload"].as_bool(),
            fs["face_thumbnail_retention_days"].as_u64()
        ),
        (Some(true), Some(7))
    );
    assert_eq!(w.admin.bytes(&b_thumbnail).await.0, 200);
    eprintln!("scope matrix: {tried} wrong-caller requests, 0 successes");
    w.cloud.stop().await;
}
on_both!(scope_matrix);

// ---------------------------------------------------------------------------------------------

/// Set `v` at JSON pointer `ptr`, making objects and arrays on the way.
fn set_pointer(root: &mut Value, ptr: &str, v: Value) {
    let mut cur = root;
    let segs: Vec<&str> = ptr.trim_start_matches('/').split('/').collect();
    for (i, seg) in segs.iter().enumerate() {
        let last = i + 1 == segs.len();
        let next_is_index = segs.get(i + 1).is_some_and(|s| s.parse::<usize>().is_ok());
        let fresh = || if next_is_index { json!([]) } else { json!({}) };
        if let Ok(ix) = seg.parse::<usize>() {
            let arr = cur.as_array_mut().expect("an array on the pointer's way");
            while arr.len() <= ix {
                arr.push(fresh());
            }
            if last {
                arr[ix] = v;
                return;
            }
            cur = &mut arr[ix];
        } else {
            let obj = cur.as_object_mut().expect("an object on the pointer's way");
            if last {
                obj.insert(seg.to_string(), v);
                return;
            }
            cur = obj.entry(seg.to_string()).or_insert_with(fresh);
        }
    }
}

/// How an error names a pointer's field: `/linked/person_ids/0` → `linked.person_ids[0]`.
fn field_name(ptr: &str) -> String {
    let mut out = String::new();
    for seg in ptr.trim_start_matches('/').split('/') {
        if seg.parse::<usize>().is_ok() {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(seg);
        }
    }
    out
}

/// Every id field a route declares (`x-id-fields` in `/openapi.json`, from
/// `cloud_core::scope::ID_FIELDS`) is tried on the caller's *own* community with another
/// community's object in that one field: each must be refused, naming the field, and nothing
/// is created. Also: every id-looking key in a route's sample body must be declared.
async fn body_references_are_scoped(engine: Engine) {
    let mut w = world(engine).await;
    let base = w.cloud.base.clone();
    let staff_a = Api::login(&base, &w.a.staff_user, PASSWORD).await;
    let pa = |s: &str| format!("/v1/communities/{}{s}", w.a.id);
    let pb = |s: &str| format!("/v1/communities/{}{s}", w.b.id);
    // Objects of each community the bodies can name.
    let grid_a = w
        .admin
        .create(&pa("/grids"), &json!({"name": "GA", "level": 1}))
        .await;
    let grid_b = w
        .admin
        .create(&pb("/grids"), &json!({"name": "GB", "level": 1}))
        .await;
    let (s, att) = w
        .admin
        .upload(
            &pb("/attachments?name=b.jpg"),
            "image/jpeg",
            tiny_jpeg("att-b"),
        )
        .await;
    assert_eq!(s, 201, "{att}");
    let att_b = att["id"].as_str().unwrap().to_string();
    let device_a = w
        .admin
        .create(&pa("/devices"), &json!({"box_id": w.a.box_id, "code": "smoke-a", "kind": "smoke_detector",
            "profile": "zigbee2mqtt-smoke", "name": "x", "building_id": w.a.building, "heartbeat_seconds": 60})).await;
    let resident_a = resident_user(&base, &w.a).await;
    let suggestion_a = resident_a
        .create(
            "/v1/app/suggestions",
            &json!({"text": "more benches please"}),
        )
        .await;
    // An alarm of A's, raised by A's box.
    let ka = key(21);
    assert_eq!(provision(&base, &w.a.code, &ka).await.0, 200);
    let alarm = UplinkRecordV1::Alarm(edge_sync::sync::AlarmV1 {
        id: uuid::Uuid::now_v7(),
        at_ms: tests_now(),
        source: "east".into(),
        kind: "forced_open".into(),
        severity: "critical".into(),
        state: "raised".into(),
        detail: String::new(),
    });
    let batch = UplinkBatchV1 {
        version: 1,
        records: vec![alarm],
    };
    let (s, v) = edge_call(
        &base,
        &w.a.box_id,
        &ka,
        "POST",
        "/v1/edge/sync/up",
        serde_json::to_vec(&batch).unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (_, alarms) = w.admin.get(&pa("/alarms")).await;
    let alarm_a = alarms["items"][0]["id"]
        .as_str()
        .expect("A has an alarm")
        .to_string();

    // B's object for each id field (by the field's last name).
    let foreign = |ptr: &str| -> String {
        let name = ptr
            .trim_start_matches('/')
            .split('/')
            .rfind(|s| s.parse::<usize>().is_err())
            .unwrap();
        match name {
            "parent_id" | "grid_id" | "level1" => grid_b.clone(),
            "room_id" | "house_ids" => w.b.room.clone(),
            "estate_id" | "estate_ids" => w.b.estate.clone(),
            "box_id" => w.b.box_id.clone(),
            "building_id" => w.b.building.clone(),
            "person_ids" => w.b.resident.clone(),
            "id" => att_b.clone(),
            other => panic!("the test knows no foreign object for `{other}` ({ptr}): add one"),
        }
    };
    let case_body = |grid: &str| {
        json!({"kind": "event", "category": {"major": "safety", "middle": "fire", "minor": "fire_lane_blocked"},
               "grid": {"level1": grid}, "source": "staff", "location": {"text": "B1 east"},
               "severity": "moderate", "problem": "Fire lane blocked"})
    };
    // A body valid on A's own path, and the path itself.
    let sample = |method: &str, path: &str| -> Option<(String, Value)> {
        let url = path
            .replace("{community_id}", &w.a.id)
            .replace("{person_id}", &w.a.resident)
            .replace("{device_id}", &device_a)
            .replace("{alarm_id}", &alarm_a)
            .replace("{suggestion_id}", &suggestion_a);
        let category = json!({"major": "safety", "middle": "fire", "minor": "fire_lane_blocked"});
        let body = match (method, path.rsplit('/').next().unwrap()) {
            ("POST", "grids") => json!({"name": "G2", "level": 2, "parent_id": grid_a}),
            ("POST", "estates") => json!({"name": "E2", "grid_id": grid_a}),
            ("POST", "addresses") => json!({"room_id": w.a.room}),
            ("PUT", "staff-rights") => json!({"estate_ids": [w.a.estate]}),
            ("POST", "boxes") => json!({"estate_id": w.a.estate, "name": "box 2"}),
            ("POST", "doors") => json!({"box_id": w.a.box_id, "code": "west", "name": "West gate"}),
            (m @ ("POST" | "PUT"), "devices" | "{device_id}") => {
                // A device keeps its code when it is moved.
                let code = if m == "PUT" { "smoke-a" } else { "smoke-a2" };
                json!({"box_id": w.a.box_id, "code": code, "kind": "smoke_detector", "profile": "zigbee2mqtt-smoke",
                       "name": "x", "building_id": w.a.building, "heartbeat_seconds": 60})
            }
            ("POST", "cases") => case_body(&grid_a),
            ("POST", "case") => json!({"category": category, "grid": {"level1": grid_a}}),
            // The case operations need a case in the right state for each op: covered field by
            // field in cloud_security.rs (case_operations_accept_only_this_communitys_accounts).
            ("POST", "ops") => return None,
            _ => panic!(
                "{method} {path} declares id fields but the test has no sample body: add one"
            ),
        };
        Some((url, body))
    };
    let (_, doc) = Api::new(&base).get("/openapi.json").await;
    let mut tried = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let method = method.to_uppercase();
            let Some(fields) = op["x-id-fields"].as_array() else {
                continue;
            };
            let Some((url, good)) = sample(&method, path) else {
                continue;
            };
            let declared: BTreeSet<String> = fields
                .iter()
                .map(|f| f.as_str().unwrap().to_string())
                .collect();
            // Every id-looking key of the sample is declared.
            fn keys(v: &Value, at: String, out: &mut Vec<String>) {
                match v {
                    Value::Object(m) => m
                        .iter()
                        .for_each(|(k, x)| keys(x, format!("{at}/{k}"), out)),
                    Value::Array(a) => a
                        .iter()
                        .enumerate()
                        .for_each(|(i, x)| keys(x, format!("{at}/{i}"), out)),
                    _ => out.push(at),
                }
            }
            let mut leaves = Vec::new();
            keys(&good, String::new(), &mut leaves);
            for leaf in leaves {
                let last = leaf
                    .rsplit('/')
                    .find(|s| s.parse::<usize>().is_err())
                    .unwrap_or("");
                if last == "id"
                    || last.ends_with("_id")
                    || last.ends_with("_ids")
                    || matches!(last, "level1" | "level2" | "level3")
                {
                    assert!(
                        declared.contains(&leaf),
                        "{method} {path}: `{leaf}` names an object but is not in x-id-fields"
                    );
                }
            }
            for f in &declared {
                let mut body = good.clone();
                set_pointer(&mut body, f, json!(foreign(f)));
                let (s, v) = staff_a.call(&method, &url, Some(&body)).await;
                tried += 1;
                assert_eq!(
                    (s, v["error"]["field"].as_str()),
                    (400, Some(field_name(f).as_str())),
                    "{method} {path} with B's object in {f}: {v}"
                );
            }
        }
    }
    assert!(tried >= 15, "only {tried} foreign body references tried");
    // Nothing was made in A with B's objects.
    let (_, doors) = w.admin.get(&pa("/doors")).await;
    assert_eq!(doors["items"].as_array().unwrap().len(), 1);
    let (_, cases) = w.admin.get(&pa("/cases")).await;
    assert_eq!(cases["items"].as_array().unwrap().len(), 0, "{cases}");
    eprintln!("body references: {tried} foreign ids tried, all refused naming the field");
    w.cloud.stop().await;
}
on_both!(body_references_are_scoped);

// ---------------------------------------------------------------------------------------------

async fn sessions_end_and_logins_are_throttled(engine: Engine) {
    let mut w = world(engine).await;
    let base = w.cloud.base.clone();
    let staff = Api::login(&base, &w.a.staff_user, PASSWORD).await;
    let people = format!("/v1/communities/{}/people", w.a.id);
    assert_eq!(staff.get(&people).await.0, 200);
    let (_, me) = staff.get("/v1/me").await;
    let account = me["id"].as_str().unwrap().to_string();
    // Disabling ends the session at once.
    w.admin
        .ok(
            &format!("/v1/street/accounts/{account}/disable"),
            &json!({}),
        )
        .await;
    let (s, v) = staff.get(&people).await;
    assert_eq!(s, 401, "{v}");
    // The street's list shows it disabled, with its community; app accounts are not listed.
    let (s, list) = w
        .admin
        .get(&format!(
            "/v1/street/accounts?q={}",
            w.a.staff_user.to_uppercase()
        ))
        .await;
    assert_eq!(s, 200, "{list}");
    let rows = list["items"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{list}");
    assert_eq!(rows[0]["id"], account.as_str());
    assert_eq!(rows[0]["enabled"], false);
    assert_eq!(rows[0]["community_id"], w.a.id.as_str());
    assert_eq!(rows[0]["role"], "community_staff");
    let (_, all) = w.admin.get("/v1/street/accounts?limit=500").await;
    let all = all["items"].as_array().unwrap();
    assert!(all.iter().any(|r| r["role"] == "street_admin"), "{all:?}");
    assert!(all.iter().all(|r| !matches!(
        r["role"].as_str(),
        Some("resident" | "visitor" | "enterprise")
    )));
    let (_, enabled) = w
        .admin
        .get("/v1/street/accounts?enabled=false&limit=500")
        .await;
    assert!(enabled["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["enabled"] == false));
    // A LIKE wildcard in the name filter matches only itself.
    let (_, wild) = w.admin.get("/v1/street/accounts?q=%25").await;
    assert_eq!(wild["items"].as_array().unwrap().len(), 0, "{wild}");
    let (s, v) = w.admin.get("/v1/street/accounts?role=resident").await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (400, Some("role")),
        "{v}"
    );
    let (s, _) = Api::new(&base)
        .post(
            "/v1/auth/login",
            &json!({"username": w.a.staff_user, "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, 401);
    // Logout ends a session.
    let other = Api::login(&base, &w.b.staff_user, PASSWORD).await;
    assert_eq!(other.post("/v1/auth/logout", &json!({})).await.0, 204);
    assert_eq!(
        other
            .get(&format!("/v1/communities/{}/people", w.b.id))
            .await
            .0,
        401
    );
    // Brute force: 5 wrong passwords, then even the right one is refused for a while.
    let anon = Api::new(&base);
    for _ in 0..5 {
        let (s, _) = anon
            .post(
                "/v1/auth/login",
                &json!({"username": w.b.staff_user, "password": "wrong-wrong-wrong"}),
            )
            .await;
        assert_eq!(s, 401);
    }
    let (s, v) = anon
        .post(
            "/v1/auth/login",
            &json!({"username": w.b.staff_user, "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, 429, "{v}");
    assert_eq!(v["error"]["code"], "too_many_attempts");
    // A forged token is refused.
    let mut forged = Api::new(&base);
    forged.token = Some("A".repeat(43));
    assert_eq!(forged.get(&people).await.0, 401);
    w.cloud.stop().await;
}
on_both!(sessions_end_and_logins_are_throttled);

// ---------------------------------------------------------------------------------------------

async fn bad_input_is_refused_and_changes_nothing(engine: Engine) {
    let mut w = world(engine).await;
    let base = w.cloud.base.clone();
    let c = |s: &str| format!("/v1/communities/{}{s}", w.a.id);
    let count = |v: &Value| v["items"].as_array().map_or(0, Vec::len);
    let before = (
        count(&w.admin.get("/v1/street/communities").await.1),
        count(&w.admin.get(&c("/people")).await.1),
        count(&w.admin.get(&c("/doors")).await.1),
        count(&w.admin.get(&c("/estates")).await.1),
    );
    let cases: Vec<(&str, String, Value, &str)> = vec![
        ("POST", "/v1/street/communities".into(), json!({}), "name"),
        (
            "POST",
            "/v1/street/communities".into(),
            json!({"name": 5}),
            "name",
        ),
        (
            "POST",
            "/v1/street/communities".into(),
            json!({"name": "  "}),
            "name",
        ),
        (
            "POST",
            "/v1/street/communities".into(),
            json!({"name": "x", "extra": 1}),
            "body",
        ),
        ("POST", c("/people"), json!({"name": "x"}), "kind"),
        (
            "POST",
            c("/people"),
            json!({"name": "x", "kind": "alien"}),
            "kind",
        ),
        (
            "POST",
            c("/people"),
            json!({"name": "x", "kind": "local", "phone": "12ab"}),
            "phone",
        ),
        (
            "POST",
            c("/people"),
            json!({"name": "x", "kind": "local", "id_number": "1;DROP TABLE people"}),
            "id_number",
        ),
        (
            "POST",
            c("/people"),
            json!({"name": "x".repeat(101), "kind": "local"}),
            "name",
        ),
        (
            "POST",
            c("/estates"),
            json!({"name": "x", "lat": 95.0}),
            "lat",
        ),
        (
            "POST",
            c("/estates"),
            json!({"name": "x", "lat": "north"}),
            "lat",
        ),
        (
            "POST",
            c("/doors"),
            json!({"box_id": w.a.box_id, "code": "a b", "name": "x"}),
            "code",
        ),
        (
            "POST",
            c("/doors"),
            json!({"box_id": "no-such-box", "code": "ok", "name": "x"}),
            "box_id",
        ),
        (
            "POST",
            c("/grids"),
            json!({"name": "x", "level": 4}),
            "level",
        ),
        (
            "POST",
            c("/grids"),
            json!({"name": "x", "level": 2}),
            "parent_id",
        ),
        (
            "PUT",
            c(&format!("/doors/{}/mode", w.a.door)),
            json!({"mode": "wide_open"}),
            "mode",
        ),
        (
            "POST",
            c(&format!("/people/{}/addresses", w.a.resident)),
            json!({"room_id": "nope"}),
            "room_id",
        ),
        (
            "POST",
            "/v1/street/accounts".into(),
            json!({"username": "u", "password": "short", "role": "street_admin"}),
            "password",
        ),
        (
            "POST",
            "/v1/street/accounts".into(),
            json!({"username": "u", "password": PASSWORD, "role": "community_staff"}),
            "community_id",
        ),
        (
            "POST",
            "/v1/street/accounts".into(),
            json!({"username": "u", "password": PASSWORD, "role": "god"}),
            "role",
        ),
    ];
    for (method, path, body, field) in &cases {
        let (s, v) = w.admin.call(method, path, Some(body)).await;
        assert_eq!(s, 400, "{method} {path} {body} → {s} {v}");
        assert_eq!(v["error"]["code"], "invalid_field", "{v}");
        if *field != "body" {
            assert_eq!(v["error"]["field"], *field, "{method} {path} {body}: {v}");
        }
    }
    // Not JSON at all; a huge body; query parameters of the wrong type; unknown ids.
    let (s, v) = w
        .admin
        .raw("POST", "/v1/street/communities", b"{not json".to_vec())
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (400, Some("invalid_field"))
    );
    let (s, v) = w
        .admin
        .raw(
            "POST",
            "/v1/street/communities",
            vec![b' '; 3 * 1024 * 1024],
        )
        .await;
    assert_eq!(s, 413, "{v}");
    let (s, v) = w.admin.get(&c("/passes?limit=lots")).await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (400, Some("limit")),
        "{v}"
    );
    let (s, v) = w.admin.get(&c("/passes?limit=100000")).await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (400, Some("limit")),
        "{v}"
    );
    let (s, v) = w.admin.get(&c("/passes?before=yesterday")).await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (400, Some("before")),
        "{v}"
    );
    let (s, _) = w
        .admin
        .get(&c("/people/00000000-0000-0000-0000-000000000000"))
        .await;
    assert_eq!(s, 404);
    let (s, _) = w.admin.get("/v1/communities/nope/estates/nope").await;
    assert_eq!(s, 404);
    let (s, v) = w.admin.get("/v1/no/such/route").await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (404, Some("no_such_route"))
    );
    let (s, v) = w.admin.call("DELETE", "/v1/street/communities", None).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (405, Some("method_not_allowed"))
    );
    // Provisioning with a wrong code, a bad key; uplink without a signature.
    let (s, _) = provision(&base, "WRONG-CODE1", &key(3)).await;
    assert_eq!(s, 401);
    let (s, v) = Api::new(&base)
        .post(
            "/v1/edge/provision",
            &json!({"version": 1, "code": w.a.code, "public_key": "AAAA"}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (400, Some("public_key")),
        "{v}"
    );
    let (s, _) = Api::new(&base)
        .post("/v1/edge/sync/up", &json!({"version": 1, "records": []}))
        .await;
    assert_eq!(s, 401);
    // Generated from the OpenAPI document: every route that takes a body gets, from a caller
    // allowed to use it, a body that is not JSON, one of the wrong shape, and one with an
    // unknown field. Each answer is a 4xx with a JSON error.
    let app = app_user(&base, "13700000009", "visitor").await;
    let (_, doc) = Api::new(&base).get("/openapi.json").await;
    let mut probed = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let method = method.to_uppercase();
            if method == "GET" || method == "DELETE" || path == "/v1/auth/logout" {
                continue;
            }
            let caller = match op["x-access"].as_str().unwrap() {
                "street" | "community" | "account" | "cases" => &w.admin,
                "app" => &app,
                "public" => &w.admin,
                _ => continue, // edge routes: signed, covered in sync_endpoints_as_a_box_sees_them
            };
            let url = path
                .replace("{community_id}", &w.a.id)
                .replace("{person_id}", &w.a.resident)
                .replace("{estate_id}", &w.a.estate)
                .replace("{building_id}", &w.a.building)
                .replace("{unit_id}", &w.a.unit)
                .replace("{room_id}", &w.a.room)
                .replace("{box_id}", &w.a.box_id)
                .replace("{door_id}", &w.a.door)
                .replace("{application_id}", "none")
                .replace("{account_id}", "none")
                .replace("{visit_id}", "none")
                .replace("{device_id}", "none")
                .replace("{case_id}", "none")
                .replace("{alarm_id}", "none")
                .replace("{photo_id}", "none")
                .replace("{pass_id}", "none");
            // Routes that take no body (revoke, cancel, new code, disable) ignore it by design.
            if ["revoke", "code", "cancel", "disable", "activation"]
                .iter()
                .any(|t| url.ends_with(t))
            {
                continue;
            }
            for body in [
                b"{not json".to_vec(),
                b"[1,2,3]".to_vec(),
                br#"{"zzz_unknown": true}"#.to_vec(),
            ] {
                let (s, v) = caller.raw(&method, &url, body.clone()).await;
                probed += 1;
                assert!(
                    (400..500).contains(&s),
                    "{method} {url} {:?} → {s} {v}",
                    String::from_utf8_lossy(&body)
                );
                // Open311 routes answer in GeoReport's error shape.
                assert!(
                    v["error"]["code"].is_string()
                        || (url.starts_with("/open311/") && v[0]["code"].is_number()),
                    "{method} {url} → {v}"
                );
            }
        }
    }
    assert!(probed >= 60, "probed only {probed}");
    let after = (
        count(&w.admin.get("/v1/street/communities").await.1),
        count(&w.admin.get(&c("/people")).await.1),
        count(&w.admin.get(&c("/doors")).await.1),
        count(&w.admin.get(&c("/estates")).await.1),
    );
    assert_eq!(before, after, "refused requests changed data");
    let (_, doors) = w.admin.get(&c("/doors")).await;
    assert_eq!(doors["items"][0]["mode"], "normal");
    w.cloud.stop().await;
}
on_both!(bad_input_is_refused_and_changes_nothing);

// ---------------------------------------------------------------------------------------------

fn pass(n: u128, door: &str, person: &str) -> UplinkRecordV1 {
    UplinkRecordV1::Pass(PassV1 {
        id: uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + n),
        at_ms: 1_700_000_000_000 + n as i64,
        door: door.into(),
        person_id: person.into(),
        method: "face".into(),
        allowed: true,
        reason: "resident".into(),
        grant_id: None,
        command_id: None,
        face_thumbnail: None,
    })
}

/// Every answer to the box states the cloud's time, signed for that box and that request; a
/// request 10 minutes off is refused as `clock_skew` with the time, so the box can sign again;
/// a request whose signature does not verify hears no time.
async fn cloud_time_is_stated_to_the_box_only(
    base: &str,
    box_id: &str,
    k: &SigningKey,
    identity: &Value,
) {
    use edge_sync::auth::{verify_time, HEADER_CLOUD_TIME, HEADER_CLOUD_TIME_SIGNATURE};
    let cloud_key =
        edge_sync::onetap::parse_public_key(identity["onetap_public_key"].as_str().unwrap())
            .unwrap();
    let pq = "/v1/edge/sync/down?cursor=0";
    let send = |key: SigningKey, time_ms: i64| async move {
        let headers = edge_sync::auth::sign_request(&key, box_id, "GET", pq, time_ms, b"");
        let sig = headers[2].1.clone();
        let mut req = reqwest::Client::new().get(format!("{base}{pq}"));
        for (hk, hv) in headers {
            req = req.header(hk, hv);
        }
        let r = req.send().await.unwrap();
        let h = |n: &str| r.headers().get(n).map(|v| v.to_str().unwrap().to_string());
        let (t, ts) = (h(HEADER_CLOUD_TIME), h(HEADER_CLOUD_TIME_SIGNATURE));
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        (status, body, sig, t, ts)
    };
    for off in [0, 600_000, -600_000, 86_400_000] {
        let before = tests_now();
        let (s, body, sig, t, ts) = send(k.clone(), before + off).await;
        let after = tests_now();
        let stated = verify_time(&cloud_key, box_id, &sig, t.as_deref(), ts.as_deref())
            .unwrap_or_else(|e| panic!("offset {off}: {e} ({s} {body})"));
        assert!(
            before <= stated && stated <= after,
            "offset {off}: {stated}"
        );
        if off == 0 {
            assert_eq!(s, 200, "{body}");
        } else {
            assert_eq!(
                (s, body["error"]["code"].as_str()),
                (401, Some("clock_skew")),
                "offset {off}: {body}"
            );
        }
        // Bound to this request: not valid for another signature of the same box.
        assert!(verify_time(&cloud_key, box_id, "AAAA", t.as_deref(), ts.as_deref()).is_err());
    }
    // Not the box's key: refused without a word about the time.
    let (s, body, _, t, ts) = send(key(99), tests_now() + 600_000).await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (401, Some("unauthenticated"))
    );
    assert_eq!((t, ts), (None, None));
}

/// Provisioning, deltas, idempotent uplink, revocation — as a box sees the cloud.
async fn sync_endpoints_as_a_box_sees_them(engine: Engine) {
    let mut w = world(engine).await;
    let base = w.cloud.base.clone();
    let k = key(1);
    let (s, id) = provision(&base, &w.a.code, &k).await;
    assert_eq!(s, 200, "{id}");
    assert_eq!(id["box_id"], w.a.box_id);
    assert_eq!(id["doors"][0]["code"], "east");
    // Single use.
    assert_eq!(provision(&base, &w.a.code, &key(2)).await.0, 401);
    cloud_time_is_stated_to_the_box_only(&base, &w.a.box_id, &k, &id).await;

    // Down: the resident of A, nobody of B.
    let (s, d) = edge_call(
        &base,
        &w.a.box_id,
        &k,
        "GET",
        "/v1/edge/sync/down?cursor=0",
        vec![],
    )
    .await;
    assert_eq!(s, 200, "{d}");
    let ids: Vec<&str> = d["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![w.a.resident.as_str()]);
    assert_eq!(d["people"][0]["addresses"][0]["estate"], w.a.estate);
    // A new box hears of nobody outside its estate (it was never sent anyone to remove).
    assert_eq!(d["removed_people"], json!([]), "{d}");
    let cursor = d["cursor"].as_i64().unwrap();
    // Nothing new: same cursor, empty. Then a revocation arrives on the next delta.
    let (_, d2) = edge_call(
        &base,
        &w.a.box_id,
        &k,
        "GET",
        &format!("/v1/edge/sync/down?cursor={cursor}"),
        vec![],
    )
    .await;
    assert_eq!(d2["cursor"], cursor);
    assert!(d2["people"].as_array().unwrap().is_empty());
    let (s, _) = w
        .admin
        .put(
            &format!("/v1/communities/{}/people/{}/enabled", w.a.id, w.a.resident),
            &json!({"enabled": false}),
        )
        .await;
    assert_eq!(s, 204);
    let (_, d3) = edge_call(
        &base,
        &w.a.box_id,
        &k,
        "GET",
        &format!("/v1/edge/sync/down?cursor={cursor}"),
        vec![],
    )
    .await;
    assert_eq!(d3["people"][0]["enabled"], false, "{d3}");

    // Up: a batch stored once however often it is sent.
    let batch = UplinkBatchV1 {
        version: 1,
        records: (0..300).map(|n| pass(n, "east", &w.a.resident)).collect(),
    };
    let body = serde_json::to_vec(&batch).unwrap();
    let (s, ack) = edge_call(
        &base,
        &w.a.box_id,
        &k,
        "POST",
        "/v1/edge/sync/up",
        body.clone(),
    )
    .await;
    assert_eq!(
        (s, ack["stored"].as_u64(), ack["duplicates"].as_u64()),
        (200, Some(300), Some(0)),
        "{ack}"
    );
    let (_, ack) = edge_call(
        &base,
        &w.a.box_id,
        &k,
        "POST",
        "/v1/edge/sync/up",
        body.clone(),
    )
    .await;
    assert_eq!(
        (ack["stored"].as_u64(), ack["duplicates"].as_u64()),
        (Some(0), Some(300))
    );
    // Staff of A page through all 300 with the door resolved; staff of B see none.
    let staff = Api::login(&base, &w.a.staff_user, PASSWORD).await;
    let mut seen = BTreeSet::new();
    let mut next: Option<String> = None;
    loop {
        let q = match &next {
            Some(n) => format!("?limit=128&door_id={}&before={n}", w.a.door),
            None => format!("?limit=128&door_id={}", w.a.door),
        };
        let (s, page) = staff
            .get(&format!("/v1/communities/{}/passes{q}", w.a.id))
            .await;
        assert_eq!(s, 200, "{page}");
        for i in page["items"].as_array().unwrap() {
            assert!(
                seen.insert(i["id"].as_str().unwrap().to_string()),
                "page overlap"
            );
            assert_eq!(i["door_name"], "East gate");
        }
        match page["next"].as_str() {
            Some(n) => next = Some(n.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 300);
    let staff_b = Api::login(&base, &w.b.staff_user, PASSWORD).await;
    let (_, pb) = staff_b
        .get(&format!("/v1/communities/{}/passes", w.b.id))
        .await;
    assert!(pb["items"].as_array().unwrap().is_empty());
    // Oversized batch, wrong version, tampered body: refused.
    let big = UplinkBatchV1 {
        version: 1,
        records: (0..1001).map(|n| pass(n + 10_000, "east", "p")).collect(),
    };
    let (s, v) = edge_call(
        &base,
        &w.a.box_id,
        &k,
        "POST",
        "/v1/edge/sync/up",
        serde_json::to_vec(&big).unwrap(),
    )
    .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (400, Some("records")),
        "{v}"
    );
    let headers = edge_sync::auth::sign_request(
        &k,
        &w.a.box_id,
        "POST",
        "/v1/edge/sync/up",
        tests_now(),
        &body,
    );
    let mut req = reqwest::Client::new().post(format!("{base}/v1/edge/sync/up"));
    for (hk, hv) in headers {
        req = req.header(hk, hv);
    }
    let mut tampered = body.clone();
    let pos = tampered.len() / 2;
    tampered[pos] ^= 1;
    let r = req
        .header("content-type", "application/json")
        .body(tampered)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    // Another box's key cannot speak for this box.
    let (s, _) = edge_call(
        &base,
        &w.a.box_id,
        &key(7),
        "GET",
        "/v1/edge/sync/down?cursor=0",
        vec![],
    )
    .await;
    assert_eq!(s, 401);
    // A captured request sent again (the command long-poll, whose replay would swallow the
    // box's queued one-taps): the first copy is served, the second refused.
    let pq = "/v1/edge/commands?wait_ms=0";
    let headers = edge_sync::auth::sign_request(&k, &w.a.box_id, "GET", pq, tests_now(), b"");
    let send = || {
        let mut req = reqwest::Client::new().get(format!("{base}{pq}"));
        for (hk, hv) in headers.clone() {
            req = req.header(hk, hv);
        }
        req.send()
    };
    let first = send().await.unwrap();
    assert!(
        first.status().is_success(),
        "{}: {}",
        first.status(),
        first.text().await.unwrap_or_default()
    );
    let again = send().await.unwrap();
    assert_eq!(again.status().as_u16(), 401);
    let v: Value = again.json().await.unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("replay"),
        "{v}"
    );
    // Revoked: refused at once.
    w.admin
        .ok(
            &format!("/v1/communities/{}/boxes/{}/revoke", w.a.id, w.a.box_id),
            &json!({}),
        )
        .await;
    let (s, v) = edge_call(
        &base,
        &w.a.box_id,
        &k,
        "GET",
        "/v1/edge/sync/down?cursor=0",
        vec![],
    )
    .await;
    assert_eq!(s, 403, "{v}");
    w.cloud.stop().await;
}
on_both!(sync_endpoints_as_a_box_sees_them);
