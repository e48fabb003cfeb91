//! What the cloud does for the web console: the cookie session (HttpOnly, SameSite=Strict,
//! CSRF token for writes, bearer tokens unchanged), the live alarm feed (server-sent events,
//! scoped to the caller's community), and serving the built console (page fallback, caching,
//! Content-Security-Policy, API paths never answered with the page).

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use tests::cloud::{build_community, Api, Engine, InProcess, SignedBox, TestDb, PASSWORD};
use tests::on_both;

/// A browser-like client: keeps only what the server puts in `Set-Cookie`.
struct Browser {
    base: String,
    http: reqwest::Client,
    cookie: Option<String>,
    csrf: Option<String>,
}

impl Browser {
    fn new(base: &str) -> Browser {
        Browser {
            base: base.to_string(),
            http: reqwest::Client::new(),
            cookie: None,
            csrf: None,
        }
    }

    async fn login(&mut self, user: &str, password: &str) -> (u16, Value, Option<String>) {
        let r = self
            .http
            .post(format!("{}/v1/console/session", self.base))
            .json(&json!({"username": user, "password": password}))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let set_cookie = r
            .headers()
            .get("set-cookie")
            .map(|v| v.to_str().unwrap().to_string());
        let body: Value = r.json().await.unwrap_or(Value::Null);
        if let Some(c) = &set_cookie {
            self.cookie = Some(c.split(';').next().unwrap().to_string());
        }
        self.csrf = body["csrf_token"].as_str().map(str::to_string);
        (status, body, set_cookie)
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        csrf: bool,
    ) -> (u16, Value) {
        let mut rq = self.http.request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}{path}", self.base),
        );
        if let Some(c) = &self.cookie {
            rq = rq.header("cookie", c);
        }
        if csrf {
            if let Some(t) = &self.csrf {
                rq = rq.header("x-csrf-token", t);
            }
        }
        if let Some(b) = body {
            rq = rq.json(&b);
        }
        let r = rq.send().await.unwrap();
        let s = r.status().as_u16();
        let t = r.text().await.unwrap_or_default();
        (s, serde_json::from_str(&t).unwrap_or(Value::String(t)))
    }
}

async fn console_session_is_an_httponly_cookie_and_writes_need_the_csrf_token(engine: Engine) {
    let tmp = tempfile::tempdir().unwrap();
    let db = TestDb::new(engine, tmp.path());
    let mut cloud = InProcess::start(tmp.path(), &db.url).await;
    let admin = Api::login(&cloud.base, "admin", PASSWORD).await;
    let c = build_community(&admin, "Huayuan", "13800000001", 31.23, 121.47).await;

    let mut browser = Browser::new(&cloud.base);
    let (s, body, cookie) = browser.login(&c.staff_user, PASSWORD).await;
    assert_eq!(s, 200, "{body}");
    let cookie = cookie.expect("the login sets a cookie");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attr), "cookie lacks {attr}: {cookie}");
    }
    assert!(cookie.contains("Secure"), "Secure by default: {cookie}");
    let token = browser.cookie.clone().unwrap();
    let token = token.split_once('=').unwrap().1;
    assert!(
        !body.to_string().contains(token),
        "the session token is not in the body page scripts read"
    );
    assert!(body["csrf_token"].as_str().is_some_and(|t| t.len() >= 40));
    assert_eq!(body["account"]["role"], "community_staff");
    assert_eq!(
        body["communities"],
        json!([{"id": c.id, "name": "Huayuan"}])
    );
    assert_eq!(body["rights"], json!(["account", "community", "cases"]));

    // Reads with the cookie alone; the session again after a reload.
    let (s, again) = browser
        .send("GET", "/v1/console/session", None, false)
        .await;
    assert_eq!(s, 200, "{again}");
    assert_eq!(again["csrf_token"], body["csrf_token"]);
    let p = format!("/v1/communities/{}", c.id);
    let (s, _) = browser
        .send("GET", &format!("{p}/alarms"), None, false)
        .await;
    assert_eq!(s, 200);

    // A write with the cookie but without the token (what another site's form could make the
    // browser send) is refused, and changes nothing; with a wrong token too.
    let grid = json!({"name": "Grid A", "level": 1});
    let (s, v) = browser
        .send("POST", &format!("{p}/grids"), Some(grid.clone()), false)
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("csrf_failed")),
        "{v}"
    );
    let good = browser.csrf.replace("x".repeat(43));
    let (s, _) = browser
        .send("POST", &format!("{p}/grids"), Some(grid.clone()), true)
        .await;
    assert_eq!(s, 403);
    browser.csrf = good;
    let (_, grids) = admin.get(&format!("{p}/grids")).await;
    assert_eq!(grids["items"].as_array().map(Vec::len), Some(0), "{grids}");
    let (s, v) = browser
        .send("POST", &format!("{p}/grids"), Some(grid), true)
        .await;
    assert_eq!(s, 201, "{v}");

    // Another community's data stays refused with the cookie.
    let other = build_community(&admin, "Other", "13800000002", 31.3, 121.5).await;
    let (s, _) = browser
        .send(
            "GET",
            &format!("/v1/communities/{}/alarms", other.id),
            None,
            false,
        )
        .await;
    assert_eq!(s, 403);

    // Bearer clients need no CSRF token; the console route wants the cookie.
    let staff = Api::login(&cloud.base, &c.staff_user, PASSWORD).await;
    let (s, _) = staff
        .post(
            &format!("{p}/grids"),
            &json!({"name": "Grid B", "level": 1}),
        )
        .await;
    assert_eq!(s, 201);
    let (s, _) = staff.get("/v1/console/session").await;
    assert_eq!(s, 401);

    // App accounts do not get a console session.
    let resident = Api::new(&cloud.base);
    let (s, v) = resident
        .post("/v1/app/signup", &json!({"phone": c.resident_phone, "name": "Resident", "password": PASSWORD, "role": "resident", "activation_code": c.resident_code}))
        .await;
    assert_eq!(s, 201, "{v}");
    let mut app = Browser::new(&cloud.base);
    let (s, _, cookie) = app.login(&c.resident_phone, PASSWORD).await;
    assert_eq!((s, cookie), (403, None));

    // A wrong password: one answer, no cookie.
    let mut wrong = Browser::new(&cloud.base);
    let (s, _, cookie) = wrong.login(&c.staff_user, "not-the-password").await;
    assert_eq!((s, cookie), (401, None));

    // Logout needs the token too, then ends the session and removes the cookie.
    let (s, _) = browser.send("POST", "/v1/auth/logout", None, false).await;
    assert_eq!(s, 403);
    let r = reqwest::Client::new()
        .post(format!("{}/v1/auth/logout", cloud.base))
        .header("cookie", browser.cookie.clone().unwrap())
        .header("x-csrf-token", browser.csrf.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    let cleared = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cleared.starts_with("cc_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    let (s, _) = browser
        .send("GET", "/v1/console/session", None, false)
        .await;
    assert_eq!(s, 401);
    cloud.stop().await;
}
on_both!(console_session_is_an_httponly_cookie_and_writes_need_the_csrf_token);

/// Read server-sent events until one whose data satisfies `want`.
async fn next_event(
    resp: &mut reqwest::Response,
    buf: &mut String,
    want: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let data: String = block
                .lines()
                .filter_map(|l| l.strip_prefix("data:"))
                .map(str::trim)
                .collect();
            if data.is_empty() {
                continue;
            }
            let v: Value = serde_json::from_str(&data).unwrap();
            if want(&v) {
                return v;
            }
        }
        let chunk = tokio::time::timeout_at(deadline, resp.chunk())
            .await
            .expect("no such event within 20 s")
            .unwrap()
            .expect("the stream ended");
        buf.push_str(&String::from_utf8_lossy(&chunk));
    }
}

async fn alarm_feed_pushes_changes_of_ones_own_community_only(engine: Engine) {
    let tmp = tempfile::tempdir().unwrap();
    let db = TestDb::new(engine, tmp.path());
    let mut cloud = InProcess::start(tmp.path(), &db.url).await;
    let admin = Api::login(&cloud.base, "admin", PASSWORD).await;
    let c = build_community(&admin, "Huayuan", "13800000001", 31.23, 121.47).await;
    let other = build_community(&admin, "Other", "13800000002", 31.3, 121.5).await;
    let bx = SignedBox::provision(&cloud.base, &c.code, 1).await;
    let other_box = SignedBox::provision(&cloud.base, &other.code, 2).await;
    let staff = Api::login(&cloud.base, &c.staff_user, PASSWORD).await;
    let feed_path = format!("/v1/communities/{}/alarms/feed", c.id);

    // Anonymous and foreign callers get no stream.
    assert_eq!(Api::new(&cloud.base).get(&feed_path).await.0, 401);
    let foreign = Api::login(&cloud.base, &other.staff_user, PASSWORD).await;
    assert_eq!(foreign.get(&feed_path).await.0, 403);

    let mut resp = reqwest::Client::new()
        .get(format!("{}{feed_path}", cloud.base))
        .bearer_auth(staff.token.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let mut buf = String::new();
    next_event(&mut resp, &mut buf, |v| v["kind"] == "ready").await;

    let raise = |source: &str| {
        edge_sync::sync::UplinkRecordV1::Alarm(edge_sync::sync::AlarmV1 {
            id: uuid::Uuid::now_v7(),
            at_ms: tests::cloud::wall_ms(),
            source: source.into(),
            kind: "smoke".into(),
            severity: "critical".into(),
            state: "raised".into(),
            detail: "smoke".into(),
        })
    };
    // The other community's alarm first: it must not reach this stream.
    other_box.up(vec![raise("other-detector")]).await;
    bx.up(vec![raise("detector-1")]).await;
    let ev = next_event(&mut resp, &mut buf, |v| v["kind"] == "changed").await;
    let ids = ev["alarm_ids"].as_array().unwrap().clone();
    assert_eq!(ids.len(), 1, "{ev}");
    let id = ids[0].as_str().unwrap();
    let (_, alarm) = staff
        .get(&format!("/v1/communities/{}/alarms/{id}", c.id))
        .await;
    assert_eq!(
        alarm["source"], "detector-1",
        "only our community's alarm: {alarm}"
    );

    // An acknowledgement is pushed too.
    let (s, _) = staff
        .post(
            &format!("/v1/communities/{}/alarms/{id}/ack", c.id),
            &json!({"comment": "on my way"}),
        )
        .await;
    assert_eq!(s, 200);
    let ev = next_event(&mut resp, &mut buf, |v| v["kind"] == "changed").await;
    assert_eq!(ev["alarm_ids"], json!([id]));

    // Stopping the server ends open streams (a graceful stop does not hang on them).
    tokio::time::timeout(Duration::from_secs(10), cloud.stop())
        .await
        .expect("the server stops with a stream open");
}
on_both!(alarm_feed_pushes_changes_of_ones_own_community_only);

fn write(dir: &Path, rel: &str, bytes: &[u8]) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_built_console_is_served_with_its_page_fallback_caching_and_policy() {
    let tmp = tempfile::tempdir().unwrap();
    let dist = tmp.path().join("dist");
    write(
        &dist,
        "index.html",
        b"<!doctype html><title>console</title>",
    );
    write(&dist, "assets/index-abc123.js", b"console.log(1)");
    // The bytes stand for the precompressed copy; the server only picks the file.
    write(&dist, "assets/index-abc123.js.gz", b"gzipped bytes");
    write(&dist, ".secret", b"no");
    let db = TestDb::new(Engine::Sqlite, tmp.path());
    let mut cfg = InProcess::config(tmp.path(), &db.url);
    cfg.console.dir = Some(dist.clone());
    let mut cloud = InProcess::start_with(cfg).await;
    let http = reqwest::Client::new();
    let get = |path: &str, gzip: bool| {
        let mut rq = http.get(format!("{}{path}", cloud.base));
        if gzip {
            rq = rq.header("accept-encoding", "gzip");
        }
        rq.send()
    };

    for page in ["/", "/alarms", "/cases/019abc/detail"] {
        let r = get(page, false).await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "{page}");
        let h = r.headers().clone();
        assert_eq!(h["content-type"], "text/html; charset=utf-8");
        assert_eq!(h["cache-control"], "no-cache");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self';") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(r.text().await.unwrap().contains("<title>console</title>"));
    }
    let r = get("/assets/index-abc123.js", false).await.unwrap();
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        r.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert!(r.headers().get("content-encoding").is_none());
    assert_eq!(r.text().await.unwrap(), "console.log(1)");
    let r = get("/assets/index-abc123.js", true).await.unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    assert_eq!(
        r.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"gzipped bytes");

    // A missing script is a 404 (never the page run as a script); hidden files and climbing
    // out are refused; API paths stay JSON.
    for (path, code) in [
        ("/assets/gone-000.js", "no_such_file"),
        ("/.secret", "no_such_file"),
        ("/assets/%2e%2e/%2e%2e/cloud.db", "no_such_file"),
        ("/v1/no-such-route", "no_such_route"),
        ("/v1", "no_such_route"),
    ] {
        let r = get(path, false).await.unwrap();
        let s = r.status().as_u16();
        let v: Value = r.json().await.unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (404, Some(code)),
            "{path}: {v}"
        );
    }
    let r = http
        .post(format!("{}/alarms", cloud.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404, "only reads get the page");
    cloud.stop().await;
}
