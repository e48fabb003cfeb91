//! Case management through the API, on SQLite and PostgreSQL: a case from report to closing
//! with every kind of account doing its part (and every other account refused), the duplicate
//! check at filing, extensions, a failed inspection, lists and filters, a resident's report from
//! the app with a photo, and a foreign community that sees and changes nothing.

use serde_json::{json, Value};
use tests::cloud::{build_community, resident_user, Api, Engine, InProcess, TestDb, PASSWORD};
use tests::on_both;

fn now_ms() -> i64 {
    edge_daemon::os_clock::wall_ms()
}

const HOUR: i64 = 3_600_000;

/// A tiny valid PNG (1×1, transparent).
fn png() -> Vec<u8> {
    const HEX: &str = "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000a49444154789c63000100000500010d0a2db40000000049454e44ae426082";
    (0..HEX.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&HEX[i..i + 2], 16).unwrap())
        .collect()
}

use tests::cloud::staff_account as account;

fn report(grid: &str, building: &str, problem: &str, lat: f64) -> Value {
    json!({"kind": "event",
           "category": {"major": "safety", "middle": "fire", "minor": "fire_lane_blocked"},
           "grid": {"level1": grid}, "source": "staff",
           "location": {"text": "Building 1, east side", "point": {"lat": lat, "lon": 116.40}, "building_id": building},
           "severity": "major", "problem": problem, "description": "车辆长期占用消防通道，影响救援"})
}

async fn lifecycle_roles_duplicates_and_lists(engine: Engine) {
    let tmp = tempfile::tempdir().unwrap();
    let db = TestDb::new(engine, tmp.path());
    let mut cloud = InProcess::start(tmp.path(), &db.url).await;
    let base = cloud.base.clone();
    let admin = Api::login(&base, "admin", PASSWORD).await;
    let c = build_community(&admin, "lotus", "13800000001", 39.90, 116.40).await;
    let other = build_community(&admin, "plum", "13800000002", 39.95, 116.45).await;
    let p = |s: &str| format!("/v1/communities/{}{s}", c.id);
    let staff = Api::login(&base, &c.staff_user, PASSWORD).await;
    let foreign = Api::login(&base, &other.staff_user, PASSWORD).await;
    let (dispatcher, dispatcher_id) =
        account(&admin, &base, "disp", "dispatcher", Some(&c.id)).await;
    let (handler, handler_id) = account(&admin, &base, "worker", "field_staff", Some(&c.id)).await;
    let (co, co_id) = account(&admin, &base, "bureau", "co_handler", None).await;
    let (inspector, inspector_id) =
        account(&admin, &base, "checker", "field_staff", Some(&c.id)).await;
    let (seat, _) = account(&admin, &base, "seat", "seat_operator", Some(&c.id)).await;
    let resident = resident_user(&base, &c).await;
    let grid = staff
        .create(&p("/grids"), &json!({"name": "Grid 1", "level": 1}))
        .await;

    // Case workers read the grids they file by, and the names behind the account ids in cases:
    // this community's accounts and the street-wide ones, never another community's or an app's.
    let (s, grids) = handler.get(&p("/grids")).await;
    assert_eq!(
        (s, grids["items"][0]["id"].as_str()),
        (200, Some(grid.as_str())),
        "{grids}"
    );
    let (s, workers) = handler.get(&p("/case-workers")).await;
    assert_eq!(s, 200, "{workers}");
    let workers = workers["items"].as_array().unwrap();
    let named = |id: &str| {
        workers
            .iter()
            .find(|w| w["id"] == id)
            .map(|w| w["username"].clone())
    };
    assert!(
        named(&dispatcher_id).is_some() && named(&co_id).is_some(),
        "{workers:?}"
    );
    assert!(workers
        .iter()
        .any(|w| w["username"] == c.staff_user.as_str()));
    assert!(
        workers
            .iter()
            .all(|w| w["username"] != other.staff_user.as_str()),
        "{workers:?}"
    );
    assert!(workers.iter().all(|w| !matches!(
        w["role"].as_str(),
        Some("resident" | "visitor" | "enterprise")
    )));
    let (s, _) = handler
        .get(&format!("/v1/communities/{}/case-workers", other.id))
        .await;
    assert_eq!(s, 403);

    let (s, v) = staff.post(&p("/cases"), &json!({"kind": "event"})).await;
    assert_eq!(s, 400, "{v}");
    assert!(v["error"]["field"].is_string(), "{v}");
    let mut bad = report(&grid, &c.building, "x", 39.9);
    bad["category"]["minor"] = json!("no_such_minor");
    let (s, v) = staff.post(&p("/cases"), &bad).await;
    assert_eq!(s, 400, "{v}");
    let mut bad = report(&grid, &other.building, "x", 39.9);
    bad["location"]["building_id"] = json!(other.building);
    let (s, v) = staff.post(&p("/cases"), &bad).await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (400, Some("location.building_id")),
        "{v}"
    );
    let mut hotline = report(&grid, &c.building, "Hotline: lane blocked", 39.9);
    hotline["source"] = json!("hotline_12345");
    hotline["category"] =
        json!({"major": "facilities", "middle": "road", "minor": "manhole_cover"});
    hotline["location"] = json!({"text": "North road", "point": {"lat": 39.93, "lon": 116.43}});
    hotline["description"] = json!("井盖缺失 manhole cover missing");
    let (s, v) = handler.post(&p("/cases"), &hotline).await;
    assert_eq!(s, 403, "field staff may not enter hotline cases: {v}");
    let (s, v) = seat.post(&p("/cases"), &hotline).await;
    assert_eq!(s, 201, "{v}");

    // Staff report; the case is pending with a number and one history entry.
    let case = staff
        .ok(
            &p("/cases"),
            &report(&grid, &c.building, "消防通道被占用", 39.9000),
        )
        .await;
    let id = case["id"].as_str().unwrap().to_string();
    let number = case["number"].as_str().unwrap().to_string();
    assert!(number.starts_with("AJ"), "{case}");
    assert_eq!(case["status"], "pending");
    let op = |id: &str| p(&format!("/cases/{id}/ops"));

    // A second report of the same thing nearby: filing it is refused as a likely duplicate.
    let dup = staff
        .ok(
            &p("/cases"),
            &report(&grid, &c.building, "消防通道被车辆占用", 39.9001),
        )
        .await;
    let dup_id = dup["id"].as_str().unwrap().to_string();
    let (_, cands) = staff.get(&p(&format!("/cases/{dup_id}/duplicates"))).await;
    let first = &cands["items"][0];
    assert!(
        first["case_id"] == id.as_str() || first["case_id"] == case["id"],
        "the first report is the top candidate: {cands}"
    );
    let (s, v) = staff.post(&op(&dup_id), &json!({"op": "file"})).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("likely_duplicate")),
        "{v}"
    );
    assert_eq!(v["error"]["field"], "not_duplicate_reason");
    let v = staff
        .ok(
            &op(&dup_id),
            &json!({"op": "mark_duplicate", "of_case_id": id, "of_number": number}),
        )
        .await;
    assert_eq!(v["status"], "voided");

    // Only managers file; void needs a reason.
    for who in [&handler, &dispatcher, &co, &seat] {
        let (s, v) = who.post(&op(&id), &json!({"op": "file"})).await;
        assert!(s == 403 || s == 404, "{s} {v}");
    }
    let (s, v) = foreign.post(&op(&id), &json!({"op": "file"})).await;
    assert_eq!(s, 403, "{v}");
    let (s, v) = foreign
        .post(
            &format!("/v1/communities/{}/cases/{id}/ops", other.id),
            &json!({"op": "file"}),
        )
        .await;
    assert_eq!(s, 404, "another community's case is not found: {v}");
    let (s, v) = staff
        .post(&op(&id), &json!({"op": "void", "reason": ""}))
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (400, Some("reason")),
        "{v}"
    );
    let v = staff.ok(&op(&id), &json!({"op": "file"})).await;
    assert_eq!(v["status"], "filed");

    // Dispatch (分转) to the dispatcher, who assigns the handler with a co-handling bureau.
    let (s, v) = staff
        .post(
            &op(&id),
            &json!({"op": "dispatch", "dispatcher": handler_id}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (400, Some("dispatcher")),
        "not a dispatcher account: {v}"
    );
    staff
        .ok(
            &op(&id),
            &json!({"op": "dispatch", "dispatcher": dispatcher_id}),
        )
        .await;
    let (_, tasks) = dispatcher.get(&p("/cases?view=dispatch")).await;
    assert_eq!(tasks["items"].as_array().map(Vec::len), Some(1), "{tasks}");
    let deadline = now_ms() + 48 * HOUR;
    let assign = json!({"op": "assign",
        "handler": {"kind": "community_worker", "unit": "Lotus committee", "account_id": handler_id},
        "deadline_ms": deadline, "requirements": "Clear the lane, talk to the owners",
        "co_handlers": [{"kind": "city_bureau", "unit": "Traffic police", "account_id": co_id}]});
    let (s, _) = handler.post(&op(&id), &assign).await;
    assert!(s == 403 || s == 404, "the handler cannot assign themselves");
    let v = dispatcher.ok(&op(&id), &assign).await;
    assert_eq!(
        (v["status"].as_str(), v["timeliness"].as_str()),
        (Some("handling"), Some("on_time")),
        "{v}"
    );
    let (_, mine) = handler.get(&p("/cases?view=mine")).await;
    assert_eq!(mine["items"][0]["id"], id.as_str(), "{mine}");
    let (_, cotasks) = co.get(&p("/cases?view=co_handling")).await;
    assert_eq!(
        cotasks["items"].as_array().map(Vec::len),
        Some(1),
        "{cotasks}"
    );
    // A case worker sees only the cases they take part in.
    let (_, seen) = inspector.get(&p("/cases")).await;
    assert_eq!(seen["items"].as_array().map(Vec::len), Some(0), "{seen}");
    let (s, _) = inspector.get(&p(&format!("/cases/{id}"))).await;
    assert_eq!(s, 404);

    // Extension: the handler asks, staff approve, the deadline moves (only then).
    let until = deadline + 24 * HOUR;
    let (s, _) = staff
        .post(
            &op(&id),
            &json!({"op": "request_extension", "until_ms": until, "reason": "x"}),
        )
        .await;
    assert!(s == 403 || s == 409, "only the assignee asks");
    handler
        .ok(&op(&id), &json!({"op": "request_extension", "until_ms": until, "reason": "Owner abroad until Friday"}))
        .await;
    let (s, _) = handler
        .post(
            &op(&id),
            &json!({"op": "decide_extension", "approve": true}),
        )
        .await;
    assert_eq!(s, 403, "nobody approves their own request");
    let v = staff
        .ok(
            &op(&id),
            &json!({"op": "decide_extension", "approve": true}),
        )
        .await;
    assert_eq!(v["handling"]["deadline_ms"].as_i64(), Some(until), "{v}");

    // Completion needs materials: a photo uploaded first; a forged type is refused.
    let (s, v) = handler
        .upload(
            &p("/attachments?name=fake.jpg"),
            "image/jpeg",
            b"not an image".to_vec(),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    let (s, v) = handler
        .upload(&p("/attachments?name=lane.png"), "image/png", png())
        .await;
    assert_eq!(s, 201, "{v}");
    let photo = v["id"].as_str().unwrap().to_string();
    let (s, v) = co
        .post(
            &op(&id),
            &json!({"op": "complete_handling", "materials": [{"id": photo}]}),
        )
        .await;
    assert_eq!(
        s, 403,
        "a co-handler adds materials but does not complete: {v}"
    );
    co.ok(
        &op(&id),
        &json!({"op": "add_materials", "materials": [{"id": photo}], "note": "Ticket issued"}),
    )
    .await;
    let v = handler
        .ok(
            &op(&id),
            &json!({"op": "complete_handling", "materials": [{"id": photo}], "note": "Lane clear"}),
        )
        .await;
    assert_eq!(v["status"], "inspection");

    // Inspection: assigned, evidence, failed back to handling, done again, closed.
    let inspect = json!({"op": "assign_inspection",
        "inspector": {"kind": "grid_worker", "unit": "", "account_id": inspector_id},
        "deadline_ms": now_ms() + 24 * HOUR, "requirements": "Check on site"});
    staff.ok(&op(&id), &inspect).await;
    inspector
        .ok(
            &op(&id),
            &json!({"op": "submit_evidence", "evidence": [{"id": photo}], "note": "Still one car"}),
        )
        .await;
    let v = staff
        .ok(
            &op(&id),
            &json!({"op": "fail_inspection", "reason": "One car still parked"}),
        )
        .await;
    assert_eq!(v["status"], "handling");
    handler
        .ok(
            &op(&id),
            &json!({"op": "complete_handling", "materials": [{"id": photo}]}),
        )
        .await;
    let v = staff.get(&p(&format!("/cases/{id}"))).await.1;
    if v["status"] == "inspection" && v["inspection"].is_null() {
        staff.ok(&op(&id), &inspect).await;
    }
    inspector
        .ok(
            &op(&id),
            &json!({"op": "submit_evidence", "evidence": [{"id": photo}], "note": "Clear now"}),
        )
        .await;
    let (s, _) = inspector
        .post(&op(&id), &json!({"op": "close", "closing_note": "x"}))
        .await;
    assert_eq!(s, 403, "only staff close");
    let v = staff
        .ok(
            &op(&id),
            &json!({"op": "close", "closing_note": "Lane clear, owners warned"}),
        )
        .await;
    assert_eq!(
        (
            v["status"].as_str(),
            v["available_ops"].as_array().map(Vec::len)
        ),
        (Some("closed"), Some(0)),
        "{v}"
    );
    let (s, v) = staff
        .post(&op(&id), &json!({"op": "void", "reason": "x"}))
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("illegal_transition")),
        "{v}"
    );

    // The whole history, in order, readable by those who took part.
    let v = handler.get(&p(&format!("/cases/{id}"))).await.1;
    let ops: Vec<&str> = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["op"].as_str().unwrap())
        .collect();
    let head = [
        "report",
        "file",
        "dispatch",
        "assign",
        "request_extension",
        "decide_extension",
        "add_materials",
        "complete_handling",
        "assign_inspection",
        "submit_evidence",
        "fail_inspection",
        "complete_handling",
    ];
    assert_eq!(&ops[..head.len()], &head[..], "{v}");
    assert_eq!(ops.last(), Some(&"close"), "{v}");
    assert_eq!(
        ops.len() as i64,
        v["version"].as_i64().unwrap(),
        "one entry per operation"
    );
    assert_eq!(
        v["history"][0]["actor"]["account_id"], v["reported_by"]["account_id"],
        "the report entry names the reporter"
    );
    let (s, bytes) = {
        let r = reqwest::Client::new()
            .get(format!("{base}{}", p(&format!("/attachments/{photo}"))))
            .bearer_auth(staff.token.as_deref().unwrap())
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
    };
    assert_eq!((s, bytes), (200, png()));

    // Exports, opened by readers the project did not write (python-docx, openpyxl).
    let fetch = |path: String| {
        let token = staff.token.clone().unwrap();
        let base = base.clone();
        async move {
            let r = reqwest::Client::new()
                .get(format!("{base}{path}"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 200, "{path}");
            r.bytes().await.unwrap().to_vec()
        }
    };
    let docx = tmp.path().join("case.docx");
    std::fs::write(&docx, fetch(p(&format!("/cases/{id}/export.docx"))).await).unwrap();
    let xlsx = tmp.path().join("cases.xlsx");
    std::fs::write(&xlsx, fetch(p("/cases/export.xlsx?view=finished")).await).unwrap();
    let html = String::from_utf8(fetch(p(&format!("/cases/{id}/print"))).await).unwrap();
    assert!(
        html.contains(&number) && html.contains("车辆长期占用消防通道"),
        "{html}"
    );
    let check = format!(
        r#"
import docx, openpyxl, sys
d = docx.Document(sys.argv[1])
text = "\n".join(p.text for p in d.paragraphs) + "\n".join(c.text for t in d.tables for r in t.rows for c in r.cells)
assert "{number}" in text, "number missing"
assert "车辆长期占用消防通道" in text, "description missing"
assert len(d.inline_shapes) >= 1, "picture missing"
for label in ("fail_inspection", "close"):
    assert any(label in c.text or label.replace("_", " ") in c.text.lower() for t in d.tables for r in t.rows for c in r.cells), label
wb = openpyxl.load_workbook(sys.argv[2])
ws = wb.active
rows = list(ws.iter_rows(values_only=True))
assert len(rows) == 3, rows
assert "{number}" in [r[0] for r in rows[1:]], rows
print("ok")
"#
    );
    tests::run_python(
        "export check (run tests/setup.sh for python-docx/openpyxl)",
        [
            std::ffi::OsStr::new("-c"),
            check.as_ref(),
            docx.as_ref(),
            xlsx.as_ref(),
        ],
    );

    // Lists and filters.
    let q = |s: &str| p(&format!("/cases{s}"));
    let n = |v: &Value| v["items"].as_array().map(Vec::len).unwrap_or(99);
    assert_eq!(n(&staff.get(&q("")).await.1), 3);
    assert_eq!(n(&staff.get(&q("?view=finished")).await.1), 2);
    assert_eq!(n(&staff.get(&q("?view=pending")).await.1), 1);
    assert_eq!(n(&staff.get(&q("?source=hotline_12345")).await.1), 1);
    assert_eq!(n(&staff.get(&q(&format!("?number={number}"))).await.1), 1);
    assert_eq!(n(&staff.get(&q(&format!("?grid={grid}"))).await.1), 3);
    assert_eq!(
        n(&staff.get(&q("?keyword=%E6%B6%88%E9%98%B2")).await.1),
        2,
        "keyword 消防: the case and its duplicate"
    );
    assert_eq!(
        n(&staff.get(&q("?keyword=100%25")).await.1),
        0,
        "% is literal"
    );
    assert_eq!(
        n(&staff
            .get(&q(&format!("?from_ms={}", now_ms() + HOUR)))
            .await
            .1),
        0
    );
    let page1 = staff.get(&q("?limit=2")).await.1;
    let next = page1["next"].as_str().unwrap().to_string();
    let page2 = staff.get(&q(&format!("?limit=2&before={next}"))).await.1;
    assert_eq!((n(&page1), n(&page2)), (2, 1));
    let (s, v) = staff.get(&q("?view=everything")).await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (400, Some("view")),
        "{v}"
    );
    let (s, v) = staff.get(&q("?timeliness=late")).await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (400, Some("timeliness")),
        "{v}"
    );
    // The foreign community sees none of it.
    assert_eq!(
        n(&foreign
            .get(&format!("/v1/communities/{}/cases", other.id))
            .await
            .1),
        0
    );

    // A resident reports from the app with a photo and follows it.
    let (s, v) = resident
        .upload("/v1/app/attachments?name=snap.png", "image/png", png())
        .await;
    assert_eq!(s, 201, "{v}");
    let snap = v["id"].as_str().unwrap().to_string();
    let mut r = report(&grid, &c.building, "Street light out at gate 2", 39.95);
    r["source"] = json!("resident_report");
    r["category"] = json!({"major": "facilities", "middle": "road", "minor": "street_light"});
    r["attachments"] = json!([{"id": snap}]);
    let (s, v) = resident.post("/v1/app/cases", &r).await;
    assert_eq!(s, 201, "{v}");
    let mut as_staff = r.clone();
    as_staff["source"] = json!("staff");
    let (s, _) = resident.post("/v1/app/cases", &as_staff).await;
    assert_eq!(s, 403, "a resident cannot claim to be staff");
    let mine = resident.get("/v1/app/cases/mine").await.1;
    assert_eq!(
        (n(&mine), mine["items"][0]["status"].as_str()),
        (1, Some("pending")),
        "{mine}"
    );
    assert_eq!(n(&staff.get(&q("?view=pending")).await.1), 2);
    // The home page's case figures are the counts of the lists they open.
    let (s, o) = staff.get(&p("/overview?since_ms=0")).await;
    assert_eq!(s, 200, "{o}");
    assert_eq!(o["cases_pending"].as_i64(), Some(2), "{o}");
    for (figure, filter) in [("cases_overdue", "overdue"), ("cases_due_soon", "due_soon")] {
        let listed = n(&staff
            .get(&q(&format!("?timeliness={filter}&limit=500")))
            .await
            .1);
        assert_eq!(o[figure].as_i64(), Some(listed as i64), "{figure}: {o}");
    }

    // A resident's suggestion becomes a case in one call, linked to it.
    let sug = resident
        .create(
            "/v1/app/suggestions",
            &json!({"text": "建议在2号门增加路灯 More lights at gate 2"}),
        )
        .await;
    let (_, list) = staff.get(&p("/suggestions")).await;
    assert_eq!(list["items"][0]["id"], sug.as_str(), "{list}");
    let to_case = json!({"category": {"major": "community", "middle": "suggestion", "minor": "general_suggestion"},
                         "grid": {"level1": grid}});
    let v = staff
        .ok(&p(&format!("/suggestions/{sug}/case")), &to_case)
        .await;
    assert_eq!(
        (
            v["data"]["source"].as_str(),
            v["data"]["source_ref"].as_str()
        ),
        (Some("suggestion"), Some(sug.as_str())),
        "{v}"
    );
    let (s, e) = staff
        .post(&p(&format!("/suggestions/{sug}/case")), &to_case)
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (409, Some("case_exists")),
        "{e}"
    );
    let (_, list) = staff.get(&p("/suggestions")).await;
    assert_eq!(list["items"][0]["case_id"], v["id"], "{list}");
    let (s, _) = foreign
        .get(&format!("/v1/communities/{}/suggestions", c.id))
        .await;
    assert_eq!(s, 403);

    // Open311: an independent client, written from the GeoReport v2 spec (Python, stdlib
    // only), discovers services, files with the resident's token as api_key, reads it back.
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/open311_client.py");
    let out = tests::run_python(
        "open311 client",
        [
            script.as_os_str(),
            base.as_ref(),
            c.id.as_ref(),
            resident.token.as_deref().unwrap().as_ref(),
        ],
    );
    let got: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(got["request"]["status"], "open", "{got}");
    assert_eq!(got["request"]["x_workflow_status"], "pending", "{got}");
    let rid = got["id"].as_str().unwrap();
    let v = staff.get(&p(&format!("/cases/{rid}"))).await.1;
    assert_eq!(
        (
            v["data"]["source"].as_str(),
            v["data"]["category"]["minor"].as_str()
        ),
        (Some("resident_report"), Some("street_light")),
        "{v}"
    );
    // The public read shows only what came through Open311: the staff case (closed above) is
    // not found there, and is not listed.
    let (s, v) = Api::new(&base)
        .get(&format!(
            "/open311/v2/requests/{id}.json?jurisdiction_id={}",
            c.id
        ))
        .await;
    assert_eq!(s, 404, "a staff case is not public: {v}");
    let (_, all) = Api::new(&base)
        .get(&format!(
            "/open311/v2/requests.json?jurisdiction_id={}",
            c.id
        ))
        .await;
    let listed: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["service_request_id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, vec![rid], "{all}");
    // Once ended in the workflow, GeoReport says closed.
    staff
        .ok(
            &p(&format!("/cases/{rid}/ops")),
            &json!({"op": "void", "reason": "duplicate of a phone report"}),
        )
        .await;
    let (_, closed) = Api::new(&base)
        .get(&format!(
            "/open311/v2/requests/{rid}.json?jurisdiction_id={}",
            c.id
        ))
        .await;
    assert_eq!(
        (
            closed[0]["status"].as_str(),
            closed[0]["x_workflow_status"].as_str()
        ),
        (Some("closed"), Some("voided")),
        "{closed}"
    );
    cloud.stop().await;
}
on_both!(lifecycle_roles_duplicates_and_lists);

/// Reports arriving together each get their own number of the day, with no gaps: a refused
/// report takes none (PostgreSQL takes numbers in a statement of their own, see
/// `rooms::cases::next_number_apart`), and every stored case has its first history entry.
async fn concurrent_reports_number_without_gaps(engine: Engine) {
    let tmp = tempfile::tempdir().unwrap();
    let db = TestDb::new(engine, tmp.path());
    let mut cloud = InProcess::start(tmp.path(), &db.url).await;
    let admin = Api::login(&cloud.base, "admin", PASSWORD).await;
    let c = build_community(&admin, "lotus", "13800000001", 39.90, 116.40).await;
    let path = format!("/v1/communities/{}/cases", c.id);
    let staff = Api::login(&cloud.base, &c.staff_user, PASSWORD).await;
    let grid = staff
        .create(
            &format!("/v1/communities/{}/grids", c.id),
            &json!({"name": "Grid 1", "level": 1}),
        )
        .await;
    // Reports with and without coordinates, one after the other (so on the same pooled
    // connection): a NULL coordinate must not fix the statement's parameter type (sqlx 0.9.0
    // sent NULL f64 as float4 and PostgreSQL then refused the next real one; 0.9.1 fixed it).
    for i in 0..6 {
        let mut r = report(&grid, &c.building, &format!("alternating {i}"), 39.9);
        if i % 2 == 0 {
            r["location"].as_object_mut().unwrap().remove("point");
        }
        let (s, v) = staff.post(&path, &r).await;
        assert_eq!(s, 201, "report {i} (point: {}): {v}", i % 2 == 1);
    }
    const CLIENTS: usize = 4;
    const EACH: usize = 10;
    let mut tasks = Vec::new();
    for k in 0..CLIENTS {
        let (api, path) = (staff.clone(), path.clone());
        let (good, mut refused) = (
            report(&grid, &c.building, &format!("report {k}"), 39.9),
            report(&grid, &c.building, "refused", 39.9),
        );
        refused["category"]["minor"] = json!("no_such_minor");
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            for _ in 0..EACH {
                let (s, v) = api.post(&path, &refused).await;
                assert_eq!(s, 400, "{v}");
                let (s, v) = api.post(&path, &good).await;
                assert_eq!(s, 201, "{v}");
                got.push((
                    v["id"].as_str().unwrap().to_string(),
                    v["number"].as_str().unwrap().to_string(),
                ));
            }
            got
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let mut seqs: Vec<u32> = all
        .iter()
        .map(|(_, n)| n.rsplit('-').next().unwrap().parse().unwrap())
        .collect();
    seqs.sort_unstable();
    let want: Vec<u32> = (7..=6 + (CLIENTS * EACH) as u32).collect();
    assert_eq!(seqs, want, "numbers of the day: {all:?}");
    for (id, number) in all.iter().step_by(7) {
        let (s, v) = staff.get(&format!("{path}/{id}")).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["number"].as_str(), Some(number.as_str()), "{v}");
        assert_eq!(v["history"].as_array().map(Vec::len), Some(1), "{v}");
        assert_eq!(v["history"][0]["op"].as_str(), Some("report"), "{v}");
    }
    cloud.stop().await;
}
on_both!(concurrent_reports_number_without_gaps);
