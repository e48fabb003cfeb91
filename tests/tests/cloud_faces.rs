//! Face enrolment, the cloud's half, against a real database — every scenario runs on SQLite and
//! on a throwaway PostgreSQL cluster. The boxes are played by the test with real box keys
//! (`SignedBox`: every request signed as a provisioned box signs it), so each step of the sync
//! can be looked at.
//!
//! Consent → upload → review (approve needs consent) → the person is re-sent to the boxes of
//! their estate with the photo's sha256 → the box fetches the bytes (only a box of that estate)
//! → its verdict comes up → face review shows it with its reasons → consent withdrawn → the next
//! delta has the person without photos. Pass thumbnails: kept only while the community's setting
//! is on, served to staff, purged after the community's retention. Bad input names the field.

use base64::Engine as _;
use edge_sync::sync::{FaceEnrolmentV1, PassV1, UplinkRecordV1};
use serde_json::{json, Value};
use tests::cloud::{
    tiny_jpeg, tiny_png, wall_ms, Api, Community, Engine, InProcess, SignedBox, TestDb, PASSWORD,
};
use tests::on_both;

const DAY_MS: i64 = 86_400_000;

struct World {
    tmp: tempfile::TempDir,
    _db: TestDb,
    cloud: InProcess,
    admin: Api,
    staff: Api,
    a: Community,
    b: Community,
}

async fn world(engine: Engine) -> World {
    let t = tests::cloud::two_communities(engine).await;
    let staff = Api::login(&t.cloud.base, &t.a.staff_user, PASSWORD).await;
    World {
        tmp: t.tmp,
        _db: t.db,
        cloud: t.cloud,
        admin: t.admin,
        staff,
        a: t.a,
        b: t.b,
    }
}

/// The sha256 of `bytes` as `sha256sum` (coreutils) computes it: an independent reference.
fn sha256sum(bytes: &[u8]) -> String {
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), bytes).unwrap();
    let out = std::process::Command::new("sha256sum")
        .arg(f.path())
        .output()
        .expect("sha256sum (coreutils) must be installed");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()[..64].to_string()
}

/// A person's photos in a delta as (id, sha256); none when the field is left out.
fn photos(p: &Value) -> Vec<(String, String)> {
    p["face_photos"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["id"].as_str().unwrap().to_string(),
                        f["sha256"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn person<'a>(people: &'a [Value], id: &str) -> &'a Value {
    people
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("person {id} not in the delta: {people:?}"))
}

fn verdict(
    n: u128,
    person: &str,
    photo: &str,
    accepted: bool,
    reasons: &[&str],
    at_ms: i64,
) -> UplinkRecordV1 {
    UplinkRecordV1::FaceEnrolment(FaceEnrolmentV1 {
        id: uuid::Uuid::from_u128(0x0190_0000_0000_7000_9000_0000_0000_0000 + n),
        at_ms,
        person_id: person.into(),
        photo_id: photo.into(),
        accepted,
        reasons: reasons.iter().map(|r| r.to_string()).collect(),
    })
}

fn face_pass(
    n: u128,
    person: &str,
    at_ms: i64,
    method: &str,
    thumb: Option<String>,
) -> UplinkRecordV1 {
    UplinkRecordV1::Pass(PassV1 {
        id: uuid::Uuid::from_u128(0x0190_0000_0000_7000_a000_0000_0000_0000 + n),
        at_ms,
        door: "east".into(),
        person_id: person.into(),
        method: method.into(),
        allowed: true,
        reason: "resident".into(),
        grant_id: None,
        command_id: None,
        face_thumbnail: thumb,
    })
}

fn pass_id(n: u128) -> String {
    uuid::Uuid::from_u128(0x0190_0000_0000_7000_a000_0000_0000_0000 + n).to_string()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

// ---------------------------------------------------------------------------------------------

async fn consent_review_sync_fetch_and_verdicts(engine: Engine) {
    let mut w = world(engine).await;
    let base = w.cloud.base.clone();
    let c = |s: &str| format!("/v1/communities/{}{s}", w.a.id);
    let resident = w.a.resident.clone();
    let box_a = SignedBox::provision(&base, &w.a.code, 1).await;
    let box_b = SignedBox::provision(&base, &w.b.code, 2).await;
    // A second box of community A, at another estate.
    let estate2 = w
        .admin
        .create(&c("/estates"), &json!({"name": "alpha east"}))
        .await;
    let other = w
        .admin
        .ok(
            &c("/boxes"),
            &json!({"estate_id": estate2, "name": "east box"}),
        )
        .await;
    let box_a2 = SignedBox::provision(&base, other["provisioning_code"].as_str().unwrap(), 3).await;

    // Before anything: the resident has no photos, the settings are the private defaults.
    let (cursor, people, _) = box_a.down_all(0).await;
    assert!(photos(person(&people, &resident)).is_empty());
    let d = box_a.down(cursor).await;
    assert_eq!(
        d["settings"],
        json!({"face_thumbnail_upload": false, "face_thumbnail_retention_days": 7})
    );

    // Consent, recorded with who and when; it re-sends the person (still without photos).
    let (s, v) = w
        .staff
        .put(
            &c(&format!("/people/{resident}/face-consent")),
            &json!({"given": true, "note": "signed form 2026-11-29"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["given"].as_bool(), v["recorded_by"].as_str()),
        (Some(true), Some(w.a.staff_user.as_str()))
    );
    assert!(v["recorded_at_ms"].as_i64().unwrap() > 0);
    let (cursor, people, _) = box_a.down_all(cursor).await;
    assert!(photos(person(&people, &resident)).is_empty());

    // Upload: pending review, not sent to boxes yet.
    let jpeg = tiny_jpeg("resident, front");
    let (s, up) = w
        .staff
        .upload(
            &c(&format!("/people/{resident}/face-photos")),
            "image/jpeg",
            jpeg.clone(),
        )
        .await;
    assert_eq!(s, 201, "{up}");
    assert_eq!(up["status"], "pending_review");
    assert_eq!(up["sha256"], sha256sum(&jpeg));
    let photo = up["id"].as_str().unwrap().to_string();
    let (cursor, people, _) = box_a.down_all(cursor).await;
    assert!(
        people.is_empty(),
        "an upload alone changes nothing for boxes"
    );
    let (s, _, _) = box_a.bytes(&format!("/v1/edge/face-photos/{photo}")).await;
    assert_eq!(s, 404, "a photo pending review is not handed out");
    // Staff see the bytes.
    let (s, ct, bytes) = w
        .staff
        .bytes(&c(&format!("/face-photos/{photo}/image")))
        .await;
    assert_eq!((s, ct.as_str(), bytes == jpeg), (200, "image/jpeg", true));

    // Approve without consent: 409 consent_missing (another person, consent never recorded).
    let other_person = w
        .admin
        .create(
            &c("/people"),
            &json!({"name": "No Consent", "kind": "local"}),
        )
        .await;
    w.admin
        .ok(
            &c(&format!("/people/{other_person}/addresses")),
            &json!({"room_id": w.a.room}),
        )
        .await;
    let (s, up2) = w
        .staff
        .upload(
            &c(&format!("/people/{other_person}/face-photos")),
            "image/png",
            tiny_png(),
        )
        .await;
    assert_eq!(
        (s, up2["status"].as_str()),
        (201, Some("pending_review")),
        "{up2}"
    );
    let photo2 = up2["id"].as_str().unwrap().to_string();
    let (s, v) = w
        .staff
        .post(&c(&format!("/face-photos/{photo2}/approve")), &json!({}))
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("consent_missing")),
        "{v}"
    );
    let (_, p2) = w.staff.get(&c(&format!("/face-photos/{photo2}"))).await;
    assert_eq!(p2["status"], "pending_review");
    assert_eq!(p2["consent"]["given"], false);
    assert_eq!(p2["content_type"], "image/png");

    // Approve with consent: the person is re-sent with the photo and its sha256.
    let (s, v) = w
        .staff
        .post(&c(&format!("/face-photos/{photo}/approve")), &json!({}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (
            v["status"].as_str(),
            v["sent_to_boxes"].as_bool(),
            v["enrolment"].as_str()
        ),
        (Some("approved"), Some(true), Some("waiting"))
    );
    assert_eq!(v["reviewed_by"], w.a.staff_user.as_str());
    let (s, v) = w
        .staff
        .post(&c(&format!("/face-photos/{photo}/approve")), &json!({}))
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("already_approved"))
    );
    let (cursor, people, _) = box_a.down_all(cursor).await;
    assert_eq!(
        photos(person(&people, &resident)),
        vec![(photo.clone(), sha256sum(&jpeg))]
    );
    assert!(
        people
            .iter()
            .all(|p| p["id"] != other_person.as_str() || photos(p).is_empty()),
        "a photo without consent never reaches a box"
    );
    // Box B (another community) gets the resident at most as a removal, never their photos.
    let (_, people_b, _) = box_b.down_all(0).await;
    assert!(people_b.iter().all(|p| p["id"] != resident.as_str()));

    // The signed fetch: the bytes for the resident's box; 404 for the other community's box
    // and for A's box at another estate; 404 for an unknown id.
    let (s, ct, bytes) = box_a.bytes(&format!("/v1/edge/face-photos/{photo}")).await;
    assert_eq!((s, ct.as_str()), (200, "image/jpeg"));
    assert_eq!(sha256sum(&bytes), sha256sum(&jpeg));
    for (who, bx) in [
        ("community B's box", &box_b),
        ("A's box at another estate", &box_a2),
    ] {
        let (s, _, body) = bx.bytes(&format!("/v1/edge/face-photos/{photo}")).await;
        assert_eq!(s, 404, "{who}: {}", String::from_utf8_lossy(&body));
    }
    let (s, _, _) = box_a.bytes("/v1/edge/face-photos/no-such-photo").await;
    assert_eq!(s, 404);
    // Unsigned callers (staff included) are refused before the handler.
    let (s, _, _) = w
        .staff
        .bytes(&format!("/v1/edge/face-photos/{photo}"))
        .await;
    assert_eq!(s, 401);

    // Verdicts come up: enrolled, then refused by a later attempt (latest per box wins), with
    // reasons clipped to the wire limits; a resend is a duplicate.
    let t = wall_ms();
    let ack = box_a
        .up(vec![verdict(1, &resident, &photo, true, &[], t - 10_000)])
        .await;
    assert_eq!(
        (ack["stored"].as_u64(), ack["duplicates"].as_u64()),
        (Some(1), Some(0))
    );
    let (_, list) = w
        .staff
        .get(&c(&format!("/face-photos?person_id={resident}")))
        .await;
    assert_eq!(list["items"][0]["enrolment"], "enrolled", "{list}");
    let long = "x".repeat(40);
    let mut reasons = vec!["blurred", "too_dark", long.as_str()];
    reasons.extend(["turned_away"; 9]);
    let refusal = verdict(2, &resident, &photo, false, &reasons, t);
    let ack = box_a.up(vec![refusal.clone()]).await;
    assert_eq!(ack["stored"], 1);
    let ack = box_a.up(vec![refusal]).await;
    assert_eq!(
        (ack["stored"].as_u64(), ack["duplicates"].as_u64()),
        (Some(0), Some(1))
    );
    let (s, list) = w
        .staff
        .get(&c(&format!("/face-photos?person_id={resident}")))
        .await;
    assert_eq!(s, 200, "{list}");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let it = &items[0];
    assert_eq!(it["id"], photo.as_str());
    assert_eq!(it["person_name"], "alpha resident");
    assert_eq!(it["consent"]["given"], true);
    assert_eq!(it["enrolment"], "refused", "{it}");
    let shown = it["verdicts"][0]["reasons"].as_array().unwrap();
    assert_eq!(shown.len(), 8, "at most limits::REASONS: {it}");
    assert_eq!(shown[2], "x".repeat(32), "each at most limits::WORD bytes");
    assert_eq!(
        it["refusal_reasons"],
        json!(["blurred", "too_dark", "x".repeat(32), "turned_away"])
    );
    assert_eq!(it["verdicts"][0]["box_id"], box_a.box_id.as_str());
    assert_eq!(it["verdicts"][0]["accepted"], false);
    assert_eq!(
        it["verdicts"].as_array().unwrap().len(),
        1,
        "latest per box only"
    );
    // The list is paged and filtered like the others.
    let (_, l1) = w.staff.get(&c("/face-photos?limit=1")).await;
    assert_eq!(l1["items"].as_array().unwrap().len(), 1);
    let next = l1["next"].as_str().unwrap().to_string();
    let (_, l2) = w
        .staff
        .get(&c(&format!("/face-photos?limit=1&before={next}")))
        .await;
    assert_eq!(l2["items"].as_array().unwrap().len(), 1);
    assert_ne!(l1["items"][0]["id"], l2["items"][0]["id"]);
    let (_, pend) = w.staff.get(&c("/face-photos?status=pending_review")).await;
    assert_eq!(pend["items"].as_array().unwrap().len(), 1);
    assert_eq!(pend["items"][0]["id"], photo2.as_str());

    // Consent withdrawn: the next delta has the person with no photos, and the box can no
    // longer fetch the bytes. The photo stays approved; given again, it is sent again.
    let (s, _) = w
        .staff
        .put(
            &c(&format!("/people/{resident}/face-consent")),
            &json!({"given": false}),
        )
        .await;
    assert_eq!(s, 200);
    let (cursor, people, _) = box_a.down_all(cursor).await;
    assert!(photos(person(&people, &resident)).is_empty(), "{people:?}");
    let (s, _, _) = box_a.bytes(&format!("/v1/edge/face-photos/{photo}")).await;
    assert_eq!(s, 404);
    let (_, p) = w.staff.get(&c(&format!("/face-photos/{photo}"))).await;
    assert_eq!(
        (
            p["status"].as_str(),
            p["consent"]["given"].as_bool(),
            p["sent_to_boxes"].as_bool()
        ),
        (Some("approved"), Some(false), Some(false))
    );
    w.staff
        .put(
            &c(&format!("/people/{resident}/face-consent")),
            &json!({"given": true}),
        )
        .await;
    let (cursor, people, _) = box_a.down_all(cursor).await;
    assert_eq!(photos(person(&people, &resident)).len(), 1);

    // Reject (a note is required) takes it off the boxes; delete removes the bytes.
    let (s, v) = w
        .staff
        .post(&c(&format!("/face-photos/{photo}/reject")), &json!({}))
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (400, Some("note")),
        "{v}"
    );
    let (s, v) = w
        .staff
        .post(
            &c(&format!("/face-photos/{photo}/reject")),
            &json!({"note": "glasses"}),
        )
        .await;
    assert_eq!(
        (s, v["status"].as_str(), v["review_note"].as_str()),
        (200, Some("rejected"), Some("glasses"))
    );
    let (cursor, people, _) = box_a.down_all(cursor).await;
    assert!(photos(person(&people, &resident)).is_empty());
    let (s, _) = w
        .staff
        .call("DELETE", &c(&format!("/face-photos/{photo}")), None)
        .await;
    assert_eq!(s, 204);
    let (s, _) = w
        .staff
        .call("DELETE", &c(&format!("/face-photos/{photo}")), None)
        .await;
    assert_eq!(s, 204, "a repeated delete changes nothing");
    let (s, _, _) = w
        .staff
        .bytes(&c(&format!("/face-photos/{photo}/image")))
        .await;
    assert_eq!(s, 404);
    assert!(
        !w.tmp.path().join("keys/objects").join(&photo).exists(),
        "the bytes are gone from the object store"
    );
    let (_, p) = w.staff.get(&c(&format!("/face-photos/{photo}"))).await;
    assert_eq!(
        (p["status"].as_str(), p["deleted_by"].as_str()),
        (Some("deleted"), Some(w.a.staff_user.as_str()))
    );
    let (s, v) = w
        .staff
        .post(&c(&format!("/face-photos/{photo}/approve")), &json!({}))
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("photo_deleted"))
    );
    let (_, l) = w
        .staff
        .get(&c(&format!("/face-photos?person_id={resident}")))
        .await;
    assert!(
        l["items"].as_array().unwrap().is_empty(),
        "deleted photos only when asked for"
    );
    let (_, l) = w
        .staff
        .get(&c(&format!(
            "/face-photos?person_id={resident}&status=deleted"
        )))
        .await;
    assert_eq!(l["items"].as_array().unwrap().len(), 1);
    let _ = cursor;

    // Staff of B see none of A's photos; B's path with A's photo id is not found.
    let staff_b = Api::login(&base, &w.b.staff_user, PASSWORD).await;
    let (_, lb) = staff_b
        .get(&format!("/v1/communities/{}/face-photos", w.b.id))
        .await;
    assert!(lb["items"].as_array().unwrap().is_empty());
    let (s, _) = staff_b
        .get(&format!("/v1/communities/{}/face-photos/{photo2}", w.b.id))
        .await;
    assert_eq!(s, 404);
    w.cloud.stop().await;
}
on_both!(consent_review_sync_fetch_and_verdicts);

// ---------------------------------------------------------------------------------------------

async fn thumbnails_follow_the_setting_and_are_purged(engine: Engine) {
    let mut w = world(engine).await;
    let base = w.cloud.base.clone();
    let c = |s: &str| format!("/v1/communities/{}{s}", w.a.id);
    let box_a = SignedBox::provision(&base, &w.a.code, 1).await;
    let box_b = SignedBox::provision(&base, &w.b.code, 2).await;
    let resident = w.a.resident.clone();
    let thumb = tiny_jpeg("thumbnail");
    let now = wall_ms();
    let objects = w.tmp.path().join("keys/objects");

    let (s, v) = w.staff.get(&c("/face-settings")).await;
    assert_eq!(s, 200);
    assert_eq!(
        (
            v["face_thumbnail_upload"].as_bool(),
            v["face_thumbnail_retention_days"].as_u64()
        ),
        (Some(false), Some(7))
    );
    // Setting off: the pass is stored, its thumbnail dropped.
    let ack = box_a
        .up(vec![face_pass(
            1,
            &resident,
            now,
            "face",
            Some(b64(&thumb)),
        )])
        .await;
    assert_eq!(ack["stored"], 1);
    let (s, _, _) = w
        .staff
        .bytes(&c(&format!("/passes/{}/thumbnail", pass_id(1))))
        .await;
    assert_eq!(s, 404);

    // Setting on, two days' retention: boxes hear of it on their next delta.
    let (s, v) = w
        .staff
        .put(
            &c("/face-settings"),
            &json!({"face_thumbnail_upload": true, "face_thumbnail_retention_days": 2}),
        )
        .await;
    assert_eq!(
        (s, v["updated_by"].as_str()),
        (200, Some(w.a.staff_user.as_str())),
        "{v}"
    );
    let d = box_a.down(0).await;
    assert_eq!(
        d["settings"],
        json!({"face_thumbnail_upload": true, "face_thumbnail_retention_days": 2})
    );
    assert_eq!(
        box_b.down(0).await["settings"]["face_thumbnail_upload"],
        false
    );

    let mut oversized = vec![0u8; 16 * 1024 + 1];
    oversized[..2].copy_from_slice(&[0xFF, 0xD8]);
    let ack = box_a
        .up(vec![
            face_pass(2, &resident, now, "face", Some(b64(&thumb))),
            face_pass(3, &resident, now, "face", Some(b64(&tiny_png()))),
            face_pass(4, &resident, now, "face", Some("not base64 at all!".into())),
            face_pass(5, &resident, now, "face", Some(b64(&oversized))),
            face_pass(6, &resident, now, "one_tap", Some(b64(&thumb))),
            face_pass(7, &resident, now - 3 * DAY_MS, "face", Some(b64(&thumb))),
            face_pass(8, &resident, now, "face", None),
        ])
        .await;
    assert_eq!(
        (ack["stored"].as_u64(), ack["duplicates"].as_u64()),
        (Some(7), Some(0)),
        "every pass is stored, whatever became of its thumbnail"
    );
    // A resend is a duplicate and keeps one thumbnail.
    let ack = box_a
        .up(vec![face_pass(
            2,
            &resident,
            now,
            "face",
            Some(b64(&thumb)),
        )])
        .await;
    assert_eq!(ack["duplicates"], 1);

    let with_thumbnail = |list: &Value| -> Vec<String> {
        let mut v: Vec<String> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["has_thumbnail"] == true)
            .map(|p| p["id"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    let (_, list) = w.staff.get(&c("/passes")).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 8);
    assert_eq!(with_thumbnail(&list), vec![pass_id(2), pass_id(7)]);
    let (s, ct, bytes) = w
        .staff
        .bytes(&c(&format!("/passes/{}/thumbnail", pass_id(2))))
        .await;
    assert_eq!((s, ct.as_str()), (200, "image/jpeg"));
    assert_eq!(bytes, thumb);
    for n in [1, 3, 4, 5, 6, 8] {
        let (s, _, _) = w
            .staff
            .bytes(&c(&format!("/passes/{}/thumbnail", pass_id(n))))
            .await;
        assert_eq!(s, 404, "pass {n}");
    }
    // Another community's staff cannot reach it, not even through their own path.
    let staff_b = Api::login(&base, &w.b.staff_user, PASSWORD).await;
    let (s, _, _) = staff_b
        .bytes(&format!(
            "/v1/communities/{}/passes/{}/thumbnail",
            w.b.id,
            pass_id(2)
        ))
        .await;
    assert_eq!(s, 404);

    // B keeps thumbnails a week.
    w.admin
        .put(
            &format!("/v1/communities/{}/face-settings", w.b.id),
            &json!({"face_thumbnail_upload": true, "face_thumbnail_retention_days": 7}),
        )
        .await;
    box_b
        .up(vec![face_pass(
            20,
            &w.b.resident,
            now - 3 * DAY_MS,
            "face",
            Some(b64(&thumb)),
        )])
        .await;
    assert!(objects.join(format!("thumb-{}", pass_id(20))).exists());

    // Retention: now, A's three-day-old thumbnail goes (two days kept), B's stays (a week).
    let state = w.cloud.running.as_ref().unwrap().state.clone();
    let r = cloud_core::rooms::faces::purge_thumbnails(&state, wall_ms())
        .await
        .unwrap();
    assert_eq!((r.deleted, r.failed), (1, 0));
    let (_, list) = w.staff.get(&c("/passes")).await;
    assert_eq!(with_thumbnail(&list), vec![pass_id(2)]);
    assert!(!objects.join(format!("thumb-{}", pass_id(7))).exists());
    // Three days on: A's other one goes; B's (six days old) stays.
    let r = cloud_core::rooms::faces::purge_thumbnails(&state, now + 3 * DAY_MS)
        .await
        .unwrap();
    assert_eq!(r.deleted, 1);
    let (_, list) = w.staff.get(&c("/passes")).await;
    assert!(with_thumbnail(&list).is_empty());
    assert_eq!(list["items"].as_array().unwrap().len(), 8, "passes stay");
    let (s, _, _) = w
        .staff
        .bytes(&c(&format!("/passes/{}/thumbnail", pass_id(2))))
        .await;
    assert_eq!(s, 404);
    assert!(!objects.join(format!("thumb-{}", pass_id(2))).exists());
    let (s, _, _) = staff_b
        .bytes(&format!(
            "/v1/communities/{}/passes/{}/thumbnail",
            w.b.id,
            pass_id(20)
        ))
        .await;
    assert_eq!(s, 200);
    // Five days on, B's is past its week too; a purge with nothing due does nothing.
    let r = cloud_core::rooms::faces::purge_thumbnails(&state, now + 5 * DAY_MS)
        .await
        .unwrap();
    assert_eq!(r.deleted, 1);
    assert!(!objects.join(format!("thumb-{}", pass_id(20))).exists());
    let r = cloud_core::rooms::faces::purge_thumbnails(&state, now + 5 * DAY_MS)
        .await
        .unwrap();
    assert_eq!((r.deleted, r.failed), (0, 0));
    // A resend of a purged pass does not bring its thumbnail back.
    box_a
        .up(vec![face_pass(
            2,
            &resident,
            now,
            "face",
            Some(b64(&thumb)),
        )])
        .await;
    let (_, list) = w.staff.get(&c("/passes")).await;
    assert!(with_thumbnail(&list).is_empty());
    w.cloud.stop().await;
}
on_both!(thumbnails_follow_the_setting_and_are_purged);

// ---------------------------------------------------------------------------------------------

async fn bad_input_names_the_field_and_changes_nothing(engine: Engine) {
    let mut w = world(engine).await;
    let base = w.cloud.base.clone();
    let c = |s: &str| format!("/v1/communities/{}{s}", w.a.id);
    let resident = w.a.resident.clone();
    let photos_path = c(&format!("/people/{resident}/face-photos"));

    // Uploads: not an image, a JPEG declared as PNG, empty, too large (413), the 4 MiB edge.
    let (s, v) = w
        .staff
        .upload(&photos_path, "image/jpeg", b"hello, not a photo".to_vec())
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (400, Some("body")),
        "{v}"
    );
    let (s, v) = w
        .staff
        .upload(&photos_path, "image/png", tiny_jpeg("x"))
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (400, Some("content-type")),
        "{v}"
    );
    let (s, v) = w.staff.upload(&photos_path, "image/jpeg", Vec::new()).await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (400, Some("body")),
        "{v}"
    );
    let mut big = tiny_jpeg("big");
    big.resize(4 * 1024 * 1024 + 1, 0);
    let (s, v) = w
        .staff
        .upload(&photos_path, "image/jpeg", big.clone())
        .await;
    assert_eq!(s, 413, "{v}");
    assert_eq!(v["error"]["field"], "body", "{v}");
    big.truncate(4 * 1024 * 1024);
    let (s, v) = w.staff.upload(&photos_path, "image/jpeg", big).await;
    assert_eq!(
        s, 201,
        "exactly 4 MiB is taken (more than max_body_bytes): {v}"
    );
    // Unknown person, another community's person through this community's path.
    let (s, _) = w
        .staff
        .upload(
            &c("/people/nobody/face-photos"),
            "image/jpeg",
            tiny_jpeg("x"),
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = w
        .staff
        .upload(
            &c(&format!("/people/{}/face-photos", w.b.resident)),
            "image/jpeg",
            tiny_jpeg("x"),
        )
        .await;
    assert_eq!(s, 404);
    // At most ten photos pending or approved per person.
    for i in 1..10 {
        let (s, v) = w
            .staff
            .upload(&photos_path, "image/jpeg", tiny_jpeg(&format!("p{i}")))
            .await;
        assert_eq!(s, 201, "{v}");
    }
    let (s, v) = w
        .staff
        .upload(&photos_path, "image/jpeg", tiny_jpeg("eleventh"))
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (409, Some("too_many_photos")),
        "{v}"
    );

    // Consent bodies.
    let consent = c(&format!("/people/{resident}/face-consent"));
    for (body, field) in [
        (json!({}), "given"),
        (json!({"given": "yes"}), "given"),
        (json!({"given": true, "note": "n".repeat(501)}), "note"),
    ] {
        let (s, v) = w.staff.put(&consent, &body).await;
        assert_eq!(
            (s, v["error"]["field"].as_str()),
            (400, Some(field)),
            "{body} → {v}"
        );
    }
    let (s, _) = w
        .staff
        .put(&c("/people/nobody/face-consent"), &json!({"given": true}))
        .await;
    assert_eq!(s, 404);
    let (_, l) = w.staff.get(&c("/face-photos?limit=1")).await;
    assert_eq!(
        l["items"][0]["consent"]["given"], false,
        "no consent was recorded"
    );

    // Settings: retention out of range, wrong types, unknown fields; nothing changes.
    for (body, field) in [
        (
            json!({"face_thumbnail_upload": true, "face_thumbnail_retention_days": 0}),
            "face_thumbnail_retention_days",
        ),
        (
            json!({"face_thumbnail_upload": true, "face_thumbnail_retention_days": 366}),
            "face_thumbnail_retention_days",
        ),
        (
            json!({"face_thumbnail_upload": true, "face_thumbnail_retention_days": -1}),
            "face_thumbnail_retention_days",
        ),
        (
            json!({"face_thumbnail_upload": true, "face_thumbnail_retention_days": "week"}),
            "face_thumbnail_retention_days",
        ),
        (
            json!({"face_thumbnail_retention_days": 3}),
            "face_thumbnail_upload",
        ),
    ] {
        let (s, v) = w.staff.put(&c("/face-settings"), &body).await;
        assert_eq!(
            (s, v["error"]["field"].as_str()),
            (400, Some(field)),
            "{body} → {v}"
        );
    }
    let (s, v) = w
        .staff
        .put(
            &c("/face-settings"),
            &json!({"face_thumbnail_upload": true, "face_thumbnail_retention_days": 3, "extra": 1}),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    let (_, v) = w.staff.get(&c("/face-settings")).await;
    assert_eq!(
        (
            v["face_thumbnail_upload"].as_bool(),
            v["face_thumbnail_retention_days"].as_u64()
        ),
        (Some(false), Some(7))
    );
    let (s, _) = w.admin.get("/v1/communities/nope/face-settings").await;
    assert_eq!(s, 404);

    // Review: a blank note, unknown ids, bad filters.
    let (_, l) = w.staff.get(&c("/face-photos?limit=1")).await;
    let photo = l["items"][0]["id"].as_str().unwrap().to_string();
    let (s, v) = w
        .staff
        .post(
            &c(&format!("/face-photos/{photo}/reject")),
            &json!({"note": "   "}),
        )
        .await;
    assert_eq!((s, v["error"]["field"].as_str()), (400, Some("note")));
    let (s, _) = w
        .staff
        .post(&c("/face-photos/nope/approve"), &json!({}))
        .await;
    assert_eq!(s, 404);
    let (s, _) = w.staff.call("DELETE", &c("/face-photos/nope"), None).await;
    assert_eq!(s, 404);
    for (q, field) in [
        ("status=lost", "status"),
        ("limit=0", "limit"),
        ("before=x", "before"),
        ("colour=red", "colour"),
    ] {
        let (s, v) = w.staff.get(&c(&format!("/face-photos?{q}"))).await;
        assert_eq!(s, 400, "{q}: {v}");
        if field != "colour" {
            assert_eq!(v["error"]["field"], field, "{q}: {v}");
        }
    }

    // A verdict naming an over-long photo id is refused naming the record's field.
    let bx = SignedBox::provision(&base, &w.a.code, 1).await;
    let batch = edge_sync::sync::UplinkBatchV1 {
        version: 1,
        records: vec![verdict(
            1,
            &resident,
            &"p".repeat(65),
            false,
            &["no_face"],
            wall_ms(),
        )],
    };
    let (s, v) = bx
        .call(
            "POST",
            "/v1/edge/sync/up",
            serde_json::to_vec(&batch).unwrap(),
        )
        .await;
    assert_eq!(
        (s, v["error"]["field"].as_str()),
        (400, Some("records[0].photo_id")),
        "{v}"
    );
    w.cloud.stop().await;
}
on_both!(bad_input_names_the_field_and_changes_nothing);
