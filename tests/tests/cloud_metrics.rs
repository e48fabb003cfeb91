//! The cloud's own observability: Prometheus metrics behind the scraper's token (off without
//! one), counted by route template so no id or personal detail becomes a label; readiness that
//! means "can serve" (database answers, schema current).

use tests::cloud::{build_community, Api, Engine, InProcess, SignedBox, TestDb, PASSWORD};
use tests::on_both;

const TOKEN: &str = "scraper-token-for-the-tests";

async fn metrics_and_readiness(engine: Engine) {
    let tmp = tempfile::tempdir().unwrap();
    let db = TestDb::new(engine, tmp.path());
    // Without a token the metrics are off.
    let mut off = InProcess::start(
        &tmp.path().join("off"),
        &TestDb::new(Engine::Sqlite, &{
            let d = tmp.path().join("off-db");
            std::fs::create_dir_all(&d).unwrap();
            d
        })
        .url,
    )
    .await;
    let r = reqwest::get(format!("{}/metrics", off.base)).await.unwrap();
    assert_eq!(r.status(), 404);
    off.stop().await;

    let mut cfg = InProcess::config(tmp.path(), &db.url);
    cfg.metrics_token = Some(TOKEN.into());
    let mut cloud = InProcess::start_with(cfg).await;
    let admin = Api::login(&cloud.base, "admin", PASSWORD).await;
    let c = build_community(&admin, "alpha", "13800000001", 31.2, 121.4).await;
    let bx = SignedBox::provision(&cloud.base, &c.code, 5).await;
    let pass = edge_sync::sync::UplinkRecordV1::Pass(edge_sync::sync::PassV1 {
        id: uuid::Uuid::now_v7(),
        at_ms: tests::cloud::wall_ms(),
        door: "east".into(),
        person_id: c.resident.clone(),
        method: "face".into(),
        allowed: true,
        reason: "resident".into(),
        grant_id: None,
        command_id: None,
        face_thumbnail: None,
    });
    let batch = edge_sync::sync::UplinkBatchV1 {
        version: 1,
        records: vec![pass.clone(), pass],
    };
    let (s, v) = bx
        .call(
            "POST",
            "/v1/edge/sync/up",
            serde_json::to_vec(&batch).unwrap(),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, _) = bx
        .call("GET", "/v1/edge/sync/down?cursor=0", Vec::new())
        .await;
    assert_eq!(s, 200);

    // The scraper's token, and only it.
    let url = format!("{}/metrics", cloud.base);
    let r = reqwest::get(&url).await.unwrap();
    assert_eq!(r.status(), 401);
    let r = reqwest::Client::new()
        .get(&url)
        .bearer_auth("wrong-token-of-some-length")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = reqwest::Client::new()
        .get(&url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    let has = |needle: &str| assert!(text.contains(needle), "no `{needle}` in:\n{text}");
    has(r#"cloud_http_requests_total{method="POST",route="/v1/auth/login",status="200"} 1"#);
    has(r#"route="/v1/communities/{community_id}/estates""#);
    has(r#"cloud_uplink_records_total{kind="pass"} 1"#);
    has("cloud_boxes_in_service 1");
    has(&format!(
        r#"cloud_box_sync_lag_seconds{{box_id="{}"}}"#,
        bx.box_id
    ));
    has("cloud_db_pool_connections");
    has("cloud_http_request_duration_seconds_bucket");
    // Route templates only: no community id from a path, no phone, no person.
    for secret in [c.id.as_str(), c.resident.as_str(), "13800000001", PASSWORD] {
        assert!(!text.contains(secret), "`{secret}` leaked into the metrics");
    }

    // Ready: the database answers and carries every migration this build knows.
    let (s, v) = Api::new(&cloud.base).get("/v1/ready").await;
    assert_eq!((s, v["status"].as_str()), (200, Some("ready")), "{v}");
    assert!(v["schema_version"].as_i64().unwrap() >= 14, "{v}");
    cloud.stop().await;
}

on_both!(metrics_and_readiness);
