//! The cloud as more than one process on one database: what each process must agree on before
//! it serves. Keys: a process whose data_dir holds other keys, or none, than the ones the
//! database was first served with refuses to start (naming the key and both fingerprints)
//! instead of sealing and signing with keys the rest of the deployment lacks. Migrations run
//! once when replicas start together; a second process on one SQLite file is refused. Shared
//! state lives in the database: a box request captured and replayed to another replica is
//! refused; a scheduled job runs on one replica at a time; wrong passwords spread over replicas
//! are counted together. One-taps meet their box's long-poll on whichever replica holds it.

use tests::cloud::{
    build_community, resident_user, Api, Engine, InProcess, SignedBox, TestDb, PASSWORD,
};
use tests::on_both;

async fn start_err(cfg: cloud_core::config::CloudConfig) -> String {
    match cloud_core::start(cfg).await {
        Ok(r) => {
            r.stop().await;
            panic!("started although it should have been refused")
        }
        Err(e) => e.to_string(),
    }
}

async fn keys_must_match_the_database(engine: Engine) {
    let tmp = tempfile::tempdir().unwrap();
    let db = TestDb::new(engine, tmp.path());
    // The first process makes the keys and records their fingerprints.
    let first = tmp.path().join("first");
    let mut cloud = InProcess::start(&first, &db.url).await;
    let recorded = cloud
        .running
        .as_ref()
        .unwrap()
        .state
        .keys
        .fingerprints()
        .to_vec();
    assert_eq!(recorded.len(), 2);
    cloud.stop().await;

    // A second process with an empty data_dir: no key is made, the start is refused.
    let empty = tmp.path().join("empty");
    let e = start_err(InProcess::config(&empty, &db.url)).await;
    assert!(
        e.contains("onetap-signing.key is missing") && e.contains("restore-keys"),
        "{e}"
    );
    assert!(
        !empty.join("keys/onetap-signing.key").exists(),
        "no new key was made"
    );

    // A process with keys of its own (made against another database): refused, by role.
    std::fs::create_dir_all(tmp.path().join("other-db")).unwrap();
    let other_db = TestDb::new(Engine::Sqlite, &tmp.path().join("other-db"));
    let other = tmp.path().join("other");
    let mut elsewhere = InProcess::start(&other, &other_db.url).await;
    elsewhere.stop().await;
    let e = start_err(InProcess::config(&other, &db.url)).await;
    assert!(
        e.contains("onetap-signing-key") || e.contains("id-sealing-key"),
        "{e}"
    );
    assert!(
        e.contains(&recorded[0].1) || e.contains(&recorded[1].1),
        "both fingerprints named: {e}"
    );

    // The same keys copied to another host's data_dir: accepted.
    let copy = tmp.path().join("copy/keys");
    std::fs::create_dir_all(&copy).unwrap();
    for f in ["onetap-signing.key", "data.key"] {
        std::fs::copy(first.join("keys").join(f), copy.join(f)).unwrap();
    }
    let again = cloud_core::start(InProcess::config(&tmp.path().join("copy"), &db.url))
        .await
        .unwrap_or_else(|e| panic!("the same keys on another host: {e}"));
    again.stop().await;
}

on_both!(keys_must_match_the_database);

/// Replicas started together on a new PostgreSQL database: the migrations run once, under a
/// lock, and every replica serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_started_together_migrate_once() {
    let tmp = tempfile::tempdir().unwrap();
    // The keys every replica shares (made once, as an operator copies them to each host).
    let keys_db = TestDb::new(Engine::Sqlite, tmp.path());
    let mut maker = InProcess::start(tmp.path(), &keys_db.url).await;
    maker.stop().await;
    let db = TestDb::new(Engine::Postgres, tmp.path());
    let starts = (0..3).map(|_| cloud_core::start(InProcess::config(tmp.path(), &db.url)));
    let mut running = Vec::new();
    for r in futures_join_all(starts).await {
        running.push(r.unwrap_or_else(|e| panic!("a replica did not start: {e}")));
    }
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM schema_migrations")
        .fetch_one(&running[0].state.db.pool)
        .await
        .unwrap();
    let distinct: i64 = sqlx::query_scalar("SELECT COUNT(DISTINCT version) FROM schema_migrations")
        .fetch_one(&running[0].state.db.pool)
        .await
        .unwrap();
    assert_eq!(applied, distinct);
    assert!(applied >= 11, "{applied}");
    for r in running {
        r.stop().await;
    }
}

/// All futures at once, in order (the workspace has no `futures` dependency for tests).
async fn futures_join_all<F>(fs: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = fs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

/// SQLite is one process's: a second cloud-core on the same file is refused while the first
/// serves, and starts once it has stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_process_on_one_sqlite_file_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let db = TestDb::new(Engine::Sqlite, tmp.path());
    let mut first = InProcess::start(tmp.path(), &db.url).await;
    let e = start_err(InProcess::config(tmp.path(), &db.url)).await;
    assert!(
        e.contains("another cloud-core process is serving") && e.contains("PostgreSQL"),
        "{e}"
    );
    first.stop().await;
    let second = cloud_core::start(InProcess::config(tmp.path(), &db.url))
        .await
        .unwrap_or_else(|e| panic!("after the first stopped: {e}"));
    second.stop().await;
}

/// Two replicas on one PostgreSQL with the same keys: the first in-process (with the admin).
async fn two_replicas(tmp: &std::path::Path) -> (TestDb, InProcess, cloud_core::Running) {
    let db = TestDb::new(Engine::Postgres, tmp);
    let a = InProcess::start(tmp, &db.url).await;
    let b = cloud_core::start(InProcess::config(tmp, &db.url))
        .await
        .unwrap_or_else(|e| panic!("replica b: {e}"));
    (db, a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_box_request_replayed_to_another_replica_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (_db, mut a, b) = two_replicas(tmp.path()).await;
    let b_base = format!("http://{}", b.addr);
    let admin = Api::login(&a.base, "admin", PASSWORD).await;
    let c = build_community(&admin, "alpha", "13800000001", 31.2, 121.4).await;
    let bx = SignedBox::provision(&a.base, &c.code, 9).await;
    // One signed request, captured: sent to a, then replayed to b and to a.
    let pq = "/v1/edge/sync/down?cursor=0";
    let headers =
        edge_sync::auth::sign_request(&bx.key, &bx.box_id, "GET", pq, tests::cloud::wall_ms(), b"");
    let send = |base: String| {
        let headers = headers.clone();
        async move {
            let mut req = reqwest::Client::new().get(format!("{base}{pq}"));
            for (k, v) in headers {
                req = req.header(k, v);
            }
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (s, body) = send(a.base.clone()).await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = send(b_base.clone()).await;
    assert_eq!(s, 401, "replayed to the other replica: {body}");
    assert!(
        body.contains("replayed") || body.contains("already"),
        "{body}"
    );
    let (s, _) = send(a.base.clone()).await;
    assert_eq!(s, 401, "replayed to the same replica");
    // A fresh request goes through either replica.
    let (s, _) = SignedBox {
        base: b_base,
        box_id: bx.box_id.clone(),
        key: bx.key.clone(),
    }
    .call("GET", pq, Vec::new())
    .await;
    assert_eq!(s, 200);
    // The marks expire with their window: the job forgets nothing still live.
    let live: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM box_request_seen")
        .fetch_one(&b.state.db.pool)
        .await
        .unwrap();
    assert!(live >= 2, "{live}");
    let now = tests::cloud::wall_ms();
    assert_eq!(
        cloud_core::replay::forget_expired(&b.state, now)
            .await
            .unwrap(),
        0
    );
    let later = now + edge_sync::auth::MAX_REQUEST_SKEW_MS + 60_000;
    assert_eq!(
        cloud_core::replay::forget_expired(&b.state, later)
            .await
            .unwrap() as i64,
        live
    );
    b.stop().await;
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_runs_on_one_replica_at_a_time() {
    let tmp = tempfile::tempdir().unwrap();
    let (_db, mut a, b) = two_replicas(tmp.path()).await;
    let sa = a.running.as_ref().unwrap().state.clone();
    let (release, held) = tokio::sync::oneshot::channel::<()>();
    let (started_tx, started) = tokio::sync::oneshot::channel::<()>();
    let long = tokio::spawn(async move {
        cloud_core::jobs::exclusive(&sa, "test_job", async move {
            let _ = started_tx.send(());
            let _ = held.await;
            "a ran"
        })
        .await
        .unwrap()
    });
    started.await.unwrap();
    let on_b = cloud_core::jobs::exclusive(&b.state, "test_job", async { "b ran" })
        .await
        .unwrap();
    assert_eq!(on_b, None, "b must skip while a runs it");
    // Another job is not held up.
    let other = cloud_core::jobs::exclusive(&b.state, "other_job", async { "b ran" })
        .await
        .unwrap();
    assert_eq!(other, Some("b ran"));
    release.send(()).unwrap();
    assert_eq!(long.await.unwrap(), Some("a ran"));
    let after = cloud_core::jobs::exclusive(&b.state, "test_job", async { "b ran" })
        .await
        .unwrap();
    assert_eq!(after, Some("b ran"), "free again once a finished");
    b.stop().await;
    a.stop().await;
}

/// Wrong passwords for one name, spread over two replicas, are counted as one process would:
/// after the limit (5 in the test config) every replica refuses, the right password too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_login_throttle_holds_across_replicas() {
    let tmp = tempfile::tempdir().unwrap();
    let (_db, mut a, b) = two_replicas(tmp.path()).await;
    let bases = [a.base.clone(), format!("http://{}", b.addr)];
    let mut answers = Vec::new();
    for i in 0..9 {
        let (s, _) = Api::new(&bases[i % 2])
            .post(
                "/v1/auth/login",
                &serde_json::json!({"username": "admin", "password": "wrong-password-here"}),
            )
            .await;
        answers.push(s);
    }
    assert_eq!(
        answers,
        [401, 401, 401, 401, 401, 429, 429, 429, 429],
        "{answers:?}"
    );
    for base in &bases {
        let (s, _) = Api::new(base)
            .post(
                "/v1/auth/login",
                &serde_json::json!({"username": "admin", "password": PASSWORD}),
            )
            .await;
        assert_eq!(s, 429, "locked on every replica, the right password too");
    }
    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM throttle_keys")
        .fetch_one(&b.state.db.pool)
        .await
        .unwrap();
    assert!(kept >= 3, "{kept}");
    // Expired windows are forgotten by the job; live ones are not.
    let now = tests::cloud::wall_ms();
    assert_eq!(
        cloud_core::throttles::forget_expired(&b.state, now)
            .await
            .unwrap(),
        0
    );
    b.stop().await;
    a.stop().await;
}

/// A box long-polls one replica while the resident taps on another: every one-tap opens (none
/// "box_offline", none "timeout"), each command is delivered once, and both replicas see the
/// box online. The box answers on a third hand: its outcome goes to either replica.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_taps_meet_their_box_across_replicas() {
    let tmp = tempfile::tempdir().unwrap();
    let (_db, mut a, b) = two_replicas(tmp.path()).await;
    let bases = [a.base.clone(), format!("http://{}", b.addr)];
    let admin = Api::login(&a.base, "admin", PASSWORD).await;
    let c = build_community(&admin, "alpha", "13800000001", 31.2, 121.4).await;
    let bx = SignedBox::provision(&a.base, &c.code, 11).await;
    let resident = resident_user(&a.base, &c).await;
    // The box: long-polls replica b, answers every command "opened", the outcome alternately
    // to a and b; counts the commands it was given.
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let box_side = {
        let bases = bases.clone();
        let (box_id, key) = (bx.box_id.clone(), bx.key.clone());
        tokio::spawn(async move {
            let mut delivered = Vec::new();
            let mut n = 0usize;
            loop {
                let poll = SignedBox {
                    base: bases[1].clone(),
                    box_id: box_id.clone(),
                    key: key.clone(),
                };
                let (s, batch) = tokio::select! {
                    r = poll.call("GET", "/v1/edge/commands?wait_ms=5000", Vec::new()) => r,
                    _ = stop_rx.changed() => return delivered,
                };
                assert_eq!(s, 200, "{batch}");
                for cmd in batch["commands"].as_array().unwrap() {
                    use base64::Engine as _;
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(cmd["payload"].as_str().unwrap())
                        .unwrap();
                    let payload: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                    let id = payload["command_id"].as_str().unwrap().to_string();
                    delivered.push(id.clone());
                    n += 1;
                    let to = SignedBox {
                        base: bases[n % 2].clone(),
                        box_id: box_id.clone(),
                        key: key.clone(),
                    };
                    let body = serde_json::to_vec(&serde_json::json!(
                        {"version": 1, "command_id": id, "opened": true, "reason": "resident"}))
                    .unwrap();
                    let (s, v) = to.call("POST", "/v1/edge/commands/outcome", body).await;
                    assert_eq!(s, 204, "{v}");
                }
            }
        })
    };
    // Both replicas see the box online (its poll is held by b).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (s, list) = admin.get(&format!("/v1/communities/{}/boxes", c.id)).await;
        assert_eq!(s, 200);
        if list["items"][0]["online"] == true {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never online on a: {list}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // The resident taps on a (the box is on b), then on b.
    let mut results = Vec::new();
    for i in 0..10 {
        let mut app = Api::new(&bases[i % 2]);
        app.token = resident.token.clone();
        let (s, r) = app
            .post(
                "/v1/app/onetap",
                &serde_json::json!({"lat": c.lat, "lon": c.lon}),
            )
            .await;
        assert_eq!(s, 200, "{r}");
        results.push(r["result"].as_str().unwrap().to_string());
    }
    stop_tx.send(true).unwrap();
    let delivered = box_side.await.unwrap();
    assert_eq!(results, vec!["opened"; 10], "{results:?}");
    let mut unique = delivered.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        (delivered.len(), unique.len()),
        (10, 10),
        "each command delivered once"
    );
    b.stop().await;
    a.stop().await;
}

/// Read a server-sent event stream until `want` appears; what was read.
async fn read_until(stream: &mut reqwest::Response, want: &str) -> String {
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while !seen.contains(want) {
        let chunk = tokio::time::timeout_at(deadline, stream.chunk())
            .await
            .unwrap_or_else(|_| panic!("no `{want}` on the stream: {seen}"))
            .unwrap()
            .expect("the stream ended");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    seen
}

/// A console connected to one replica hears of an alarm a box reported to another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_on_any_replica_hears_every_alarm() {
    use edge_sync::sync::{AlarmV1, UplinkBatchV1, UplinkRecordV1};
    let tmp = tempfile::tempdir().unwrap();
    let (_db, mut a, b) = two_replicas(tmp.path()).await;
    let b_base = format!("http://{}", b.addr);
    let admin = Api::login(&a.base, "admin", PASSWORD).await;
    let c = build_community(&admin, "alpha", "13800000001", 31.2, 121.4).await;
    let bx = SignedBox::provision(&a.base, &c.code, 13).await;
    // The console's stream, on b.
    let mut stream = reqwest::Client::new()
        .get(format!("{b_base}/v1/communities/{}/alarms/feed", c.id))
        .bearer_auth(admin.token.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    read_until(&mut stream, "ready").await;
    // The box reports a smoke alarm to a.
    let batch = UplinkBatchV1 {
        version: 1,
        records: vec![UplinkRecordV1::Alarm(AlarmV1 {
            id: uuid::Uuid::now_v7(),
            at_ms: tests::cloud::wall_ms(),
            source: "east".into(),
            kind: "forced_open".into(),
            severity: "critical".into(),
            state: "raised".into(),
            detail: String::new(),
        })],
    };
    let (s, v) = bx
        .call(
            "POST",
            "/v1/edge/sync/up",
            serde_json::to_vec(&batch).unwrap(),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (_, alarms) = admin.get(&format!("/v1/communities/{}/alarms", c.id)).await;
    let alarm_id = alarms["items"][0]["id"]
        .as_str()
        .expect("the alarm is listed")
        .to_string();
    let seen = read_until(&mut stream, "changed").await;
    assert!(
        seen.contains(&alarm_id),
        "b's console hears the alarm a stored: {seen}"
    );
    b.stop().await;
    a.stop().await;
}
