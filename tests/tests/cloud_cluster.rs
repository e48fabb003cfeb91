//! The cloud as a cluster: three cloud-core replicas (the binary) behind HAProxy (Debian's
//! package; round robin, health checks) on one PostgreSQL, with the S3 object store (moto), two
//! real boxes with pymodbus relays and residents' apps all talking to the load balancer's one
//! address. One-taps from several apps at once all open, whichever replica each request and
//! each box's long-poll lands on; a replica is SIGKILLed mid-traffic and the others carry on:
//! after the health check has taken it out every one-tap opens, and every pass reaches the
//! cloud exactly once; a captured box request replayed through the balancer is refused; the
//! login throttle holds across the replicas.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;
use tests::cloud::{
    build_community, cloud_pass_ids, resident_user, Api, CloudProc, Community, Engine, LinkedBox,
    SignedBox, TestDb, PASSWORD,
};
use tests::s3::{boto3, moto};
use tests::{free_port, wait_http_ok, ModbusPeer, Proc};

const SECRET_ENV: &str = "CLUSTER_TEST_S3_SECRET";

/// HAProxy in front of `servers`, on `port`: round robin, a health check every 300 ms (two
/// failures take a server out), long timeouts for the boxes' long-polls.
fn haproxy(dir: &Path, port: u16, servers: &[String]) -> Proc {
    let backends: String = servers
        .iter()
        .enumerate()
        .map(|(i, s)| format!("    server r{i} {s} check inter 300 fall 2 rise 2\n"))
        .collect();
    let cfg = format!(
        "global\n    maxconn 4096\n\
         defaults\n    mode http\n    timeout connect 2s\n    timeout client 60s\n    timeout server 60s\n\
         \x20   retries 2\n    option redispatch\n\
         frontend cloud\n    bind 127.0.0.1:{port}\n    default_backend replicas\n\
         backend replicas\n    balance roundrobin\n    option httpchk GET /v1/health\n\
         \x20   http-check expect status 200\n{backends}"
    );
    let file = dir.join("haproxy.cfg");
    std::fs::write(&file, cfg).unwrap();
    let bin = Path::new("/usr/sbin/haproxy");
    assert!(
        bin.exists(),
        "haproxy is not installed: tests/setup.sh installs Debian's package"
    );
    Proc::spawn(
        bin.to_path_buf(),
        &["-f", &file.display().to_string(), "-db"],
        &[],
        dir.join("haproxy.log"),
    )
}

/// One one-tap through the balancer: the result word, or what went wrong when there was no
/// answer (a replica dying under the request: HAProxy's 502, or the connection cut).
async fn tap(app: &Api, c: &Community) -> String {
    let sent = reqwest::Client::new()
        .post(format!("{}/v1/app/onetap", app.base))
        .bearer_auth(app.token.clone().unwrap_or_default())
        .json(&json!({"lat": c.lat, "lon": c.lon}))
        .timeout(Duration::from_secs(40))
        .send()
        .await;
    match sent {
        Err(e) => format!("transport: {e}"),
        Ok(r) => {
            let s = r.status().as_u16();
            let v: serde_json::Value = r.json().await.unwrap_or_default();
            match v["result"].as_str() {
                Some(w) if s == 200 => w.to_string(),
                _ => format!("http {s}"),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_behind_haproxy() {
    let tmp = tempfile::tempdir().unwrap();
    let db = TestDb::new(Engine::Postgres, tmp.path());
    let s3_port = free_port();
    let _moto = moto(s3_port, tmp.path().join("moto.log")).await;
    boto3(
        s3_port,
        "s3.create_bucket(Bucket=sys.argv[1])",
        &["cluster-files"],
    );
    let extra = format!(
        "replicas = 3\n[objects]\nstore = \"s3\"\n[objects.s3]\nendpoint = \"http://127.0.0.1:{s3_port}\"\n\
         bucket = \"cluster-files\"\nurl_style = \"path\"\naccess_key_id = \"AKIDCLUSTER\"\n\
         secret_access_key_env = \"{SECRET_ENV}\"\n"
    );
    let env = [(SECRET_ENV, "cluster-secret")];
    // The first replica makes the keys and the admin; the others run on copies of the keys.
    let dirs: Vec<_> = (0..3).map(|i| tmp.path().join(format!("r{i}"))).collect();
    for d in &dirs {
        std::fs::create_dir_all(d).unwrap();
    }
    let mut replicas = vec![CloudProc::start_with(&dirs[0], &db.url, &extra, true, &env).await];
    for d in &dirs[1..] {
        std::fs::create_dir_all(d.join("keys")).unwrap();
        for f in ["onetap-signing.key", "data.key"] {
            std::fs::copy(dirs[0].join("keys").join(f), d.join("keys").join(f)).unwrap();
        }
        replicas.push(CloudProc::start_with(d, &db.url, &extra, false, &env).await);
    }
    let servers: Vec<String> = replicas
        .iter()
        .map(|r| r.base.trim_start_matches("http://").to_string())
        .collect();
    let lb_port = free_port();
    let mut lb = haproxy(tmp.path(), lb_port, &servers);
    let base = format!("http://127.0.0.1:{lb_port}");
    wait_http_ok(
        &format!("{base}/v1/health"),
        &mut lb,
        Duration::from_secs(30),
    )
    .await;

    // Two communities, each with a box (pymodbus relay) linked through the balancer.
    let admin = Api::login(&base, "admin", PASSWORD).await;
    let cs = [
        build_community(&admin, "alpha", "13800000001", 31.2, 121.4).await,
        build_community(&admin, "beta", "13800000002", 31.3, 121.5).await,
    ];
    let relays = [ModbusPeer::tcp(&[1]).await, ModbusPeer::tcp(&[1]).await];
    let mut boxes = Vec::new();
    for (i, c) in cs.iter().enumerate() {
        let dir = tmp.path().join(format!("box{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        let b = LinkedBox::provision_and_start(&dir, &base, c, relays[i].addr(), 500, "").await;
        b.wait_allowed(&c.resident, Duration::from_secs(60)).await;
        boxes.push(b);
    }
    let apps = [
        resident_user(&base, &cs[0]).await,
        resident_user(&base, &cs[1]).await,
    ];

    // Several apps at once, 30 one-taps: all open, none box_offline or timeout.
    let started = Instant::now();
    let mut tasks = Vec::new();
    for k in 0..3 {
        let (app, c) = (apps[k % 2].clone(), cs[k % 2].clone());
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for _ in 0..10 {
                let t = Instant::now();
                out.push((tap(&app, &c).await, t.elapsed()));
            }
            out
        }));
    }
    let mut results = Vec::new();
    for t in tasks {
        results.extend(t.await.unwrap());
    }
    let words: Vec<&str> = results.iter().map(|(w, _)| w.as_str()).collect();
    assert!(
        words.iter().all(|w| *w == "opened"),
        "every one-tap opens through the cluster: {words:?}"
    );
    let mut ms: Vec<u128> = results.iter().map(|(_, d)| d.as_millis()).collect();
    ms.sort_unstable();
    eprintln!(
        "cluster: 30 one-taps opened in {:?}; p50 {} ms, max {} ms",
        started.elapsed(),
        ms[ms.len() / 2],
        ms[ms.len() - 1]
    );

    // A replica dies mid-traffic. Requests it held fail; once the health check took it out
    // (two checks, 300 ms apart), every one-tap opens again.
    let traffic = {
        let (app, c) = (apps[0].clone(), cs[0].clone());
        tokio::spawn(async move {
            let mut out = Vec::new();
            let until = Instant::now() + Duration::from_secs(8);
            while Instant::now() < until {
                out.push((Instant::now(), tap(&app, &c).await));
            }
            out
        })
    };
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let killed_at = Instant::now();
    replicas[1].kill9().await;
    let during = traffic.await.unwrap();
    let settled = killed_at + Duration::from_secs(3);
    let after: Vec<&str> = during
        .iter()
        .filter(|(at, _)| *at > settled)
        .map(|(_, w)| w.as_str())
        .collect();
    let story: Vec<String> = during
        .iter()
        .map(|(at, w)| {
            let rel = if *at >= killed_at {
                at.duration_since(killed_at).as_millis() as i64
            } else {
                -(killed_at.duration_since(*at).as_millis() as i64)
            };
            format!("{rel}ms:{w}")
        })
        .filter(|x| !x.ends_with(":opened"))
        .collect();
    assert!(
        !after.is_empty(),
        "no one-tap after the kill settled; not opened: {story:?} (of {})\n{}",
        during.len(),
        boxes[0]
            .proc
            .log_text()
            .lines()
            .rev()
            .take(40)
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        after.iter().all(|w| *w == "opened"),
        "after the dead replica was taken out: {after:?}"
    );
    let failed = during.iter().filter(|(_, w)| w != "opened").count();
    eprintln!(
        "cluster: replica killed; {} one-taps during 8 s, {failed} not opened",
        during.len()
    );

    // Every pass each box made reaches the cloud exactly once.
    for (i, b) in boxes.iter().enumerate() {
        let made = b.wait_drained(Duration::from_secs(60)).await;
        let staff = Api::login(&base, &cs[i].staff_user, PASSWORD).await;
        let deadline = Instant::now() + Duration::from_secs(30);
        let ids = loop {
            let ids = cloud_pass_ids(&staff, &cs[i].id).await;
            if ids.len() >= made || Instant::now() > deadline {
                break ids;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let unique: BTreeSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "a pass arrived twice");
        assert_eq!(ids.len(), made, "box {i}: the cloud holds every pass once");
    }
    // Each command opened its door at most once, and every command the app heard "opened"
    // has its pass in the cloud.
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&db.url)
        .await
        .unwrap();
    let twice: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT command_id FROM passes WHERE command_id IS NOT NULL \
         AND allowed = 1 GROUP BY command_id HAVING COUNT(*) > 1) x",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(twice, 0, "a command opened a door twice");
    let without_pass: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM commands c WHERE c.outcome = 'opened' AND NOT EXISTS \
         (SELECT 1 FROM passes p WHERE p.command_id = c.id AND p.allowed = 1)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(without_pass, 0, "an opened command without its pass");
    let opened: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM commands WHERE outcome = 'opened'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(opened >= 30, "{opened}");

    // A captured box request, replayed through the balancer (so to another replica): refused.
    let b3 = admin
        .ok(
            &format!("/v1/communities/{}/boxes", cs[0].id),
            &json!({"estate_id": cs[0].estate, "name": "third box"}),
        )
        .await;
    let signed = SignedBox::provision(&base, b3["provisioning_code"].as_str().unwrap(), 31).await;
    let pq = "/v1/edge/sync/down?cursor=0";
    let headers = edge_sync::auth::sign_request(
        &signed.key,
        &signed.box_id,
        "GET",
        pq,
        tests::cloud::wall_ms(),
        b"",
    );
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let mut req = reqwest::Client::new().get(format!("{base}{pq}"));
        for (k, v) in headers.clone() {
            req = req.header(k, v);
        }
        statuses.push(req.send().await.unwrap().status().as_u16());
    }
    assert_eq!(
        statuses,
        [200, 401, 401],
        "the first copy is served, replays refused"
    );

    // Wrong passwords spread over the replicas by the balancer are counted together.
    let mut answers = Vec::new();
    for _ in 0..7 {
        let (s, _) = Api::new(&base)
            .post(
                "/v1/auth/login",
                &json!({"username": cs[1].staff_user, "password": "wrong-password-here"}),
            )
            .await;
        answers.push(s);
    }
    assert_eq!(answers, [401, 401, 401, 401, 401, 429, 429], "{answers:?}");

    drop(lb);
    for b in &mut boxes {
        b.proc.kill9().await;
    }
}
