//! Case management at scale, on SQLite and PostgreSQL. Each figure is printed on its own line as
//! `BENCH <name> <value> <unit>`; README.md says what each means and what we measured.
//! Run with `bash tests/bench.sh cases` (starts its own PostgreSQL).
//!
//! - `case_report_{engine}`: cases reported through the API by 8 concurrent staff clients
//!   (validation, numbering, the core's decision, row + history entry committed); cases/s.
//! - `case_list_{filter}_{engine}_{p50,p99}`: one page (50) of a list through the API with
//!   `CASES_BENCH_N` cases (default 1,000,000) in one community — the worst case for scoping.
//!   The bulk of the cases are seeded with SQL (rows shaped like the reported ones, statuses,
//!   sources, categories, grids, assignees, deadlines and times spread over a year).
//! - `console_case_list_{engine}_{cold,warm}_{p50,p95}`: the console's case list in Chromium
//!   with those cases, from navigation (a full load; a route change inside the console) to 50
//!   rendered rows.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sqlx::Row;
use tests::cloud::{build_community, Api, Engine, InProcess, TestDb, PASSWORD};

fn bench(name: &str, value: f64, unit: &str) {
    println!("BENCH {name} {value:.3} {unit}");
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn engine_name(e: Engine) -> &'static str {
    match e {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    }
}

const DAY: i64 = 86_400_000;
const MINORS: [(&str, &str, &str); 6] = [
    ("safety", "fire", "fire_lane_blocked"),
    ("facilities", "road", "manhole_cover"),
    ("facilities", "road", "street_light"),
    ("environment", "sanitation", "garbage_piled"),
    ("facilities", "elevator", "elevator_fault"),
    ("community", "dispute", "noise"),
];
const WORDS: [&str; 8] = [
    "消防通道",
    "井盖",
    "路灯",
    "垃圾",
    "电梯",
    "噪音",
    "漏水",
    "停车",
];
const STATUSES: [&str; 10] = [
    "pending",
    "filed",
    "handling",
    "handling",
    "handling",
    "inspection",
    "closed",
    "closed",
    "closed",
    "voided",
];
const SOURCES: [&str; 6] = [
    "staff",
    "hotline_12345",
    "resident_report",
    "snap_and_report",
    "seat_operator",
    "video_monitoring",
];

fn report(grid: &str, i: usize) -> Value {
    let (major, middle, minor) = MINORS[i % MINORS.len()];
    json!({"kind": "event", "category": {"major": major, "middle": middle, "minor": minor},
           "grid": {"level1": grid}, "source": "staff",
           "location": {"text": format!("Building {}, gate {}", i % 40, i % 3), "point": {"lat": 39.9 + (i % 100) as f64 * 1e-3, "lon": 116.4}},
           "severity": "moderate", "problem": format!("{} 问题 {i}", WORDS[i % WORDS.len()]),
           "description": "bench"})
}

const COLS: &str = "id, community_id, number, status, source, source_ref, supervision, self_handled, \
    category_major, category_middle, category_minor, grid1, grid2, grid3, handling_kind, handling_unit, \
    handler, inspector, dispatcher, assignee, deadline_ms, extension_open, reported_by, at_ms, \
    updated_at_ms, keywords, problem, location_text, lat, lon, version, body";
const NCOLS: usize = 32;

async fn seed(
    engine: Engine,
    url: &str,
    community: &str,
    grids: &[String],
    staff_id: &str,
    n: usize,
) -> f64 {
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .expect("connect for seeding");
    let body: String = sqlx::query("SELECT body FROM cases LIMIT 1")
        .fetch_one(&pool)
        .await
        .unwrap()
        .get(0);
    let now = edge_daemon::os_clock::wall_ms();
    let t0 = Instant::now();
    const ROWS: usize = 500;
    let mut done = 0;
    while done < n {
        let mut tx = pool.begin().await.unwrap();
        for _ in 0..40 {
            let k = ROWS.min(n - done);
            if k == 0 {
                break;
            }
            let mut p = 0;
            let rows: Vec<String> = (0..k)
                .map(|_| {
                    let ph: Vec<String> = (0..NCOLS)
                        .map(|_| {
                            p += 1;
                            match engine {
                                Engine::Sqlite => "?".to_string(),
                                Engine::Postgres => format!("${p}"),
                            }
                        })
                        .collect();
                    format!("({})", ph.join(", "))
                })
                .collect();
            let sql = format!("INSERT INTO cases ({COLS}) VALUES {}", rows.join(", "));
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for j in 0..k {
                let i = done + j;
                let status = STATUSES[i % STATUSES.len()];
                let (major, middle, minor) = MINORS[i % MINORS.len()];
                let active = matches!(status, "handling" | "inspection");
                let at = now - (i as i64 * 31_536_000_000 / n as i64);
                let assignee = active.then(|| {
                    if i % 1000 == 0 {
                        staff_id.to_string()
                    } else {
                        format!("acct-{}", i % 50)
                    }
                });
                q = q
                    .bind(format!("seed-{i:08}"))
                    .bind(community.to_string())
                    .bind(format!("BJ{i:08}"))
                    .bind(status)
                    .bind(SOURCES[i % SOURCES.len()])
                    .bind(None::<String>)
                    .bind(0i64)
                    .bind(i64::from(i % 97 == 0))
                    .bind(major)
                    .bind(middle)
                    .bind(minor)
                    .bind(grids[i % grids.len()].clone())
                    .bind(None::<String>)
                    .bind(None::<String>)
                    .bind(active.then_some("community_worker"))
                    .bind(active.then(|| format!("unit-{}", i % 20)))
                    .bind(assignee.clone())
                    .bind(None::<String>)
                    .bind((status == "filed").then(|| format!("disp-{}", i % 5)))
                    .bind(assignee)
                    // Of the active cases (statuses 2..=5 of the cycle), those at i % 20 == 2
                    // are overdue and those at i % 20 == 3 due within a day: 5 % of all cases each.
                    .bind(active.then(|| {
                        now + match i % 20 {
                            2 => -DAY,
                            3 => DAY / 2,
                            _ => 3 * DAY,
                        }
                    }))
                    .bind(0i64)
                    .bind(staff_id.to_string())
                    .bind(at)
                    .bind(at)
                    .bind(format!(
                        "BJ{i:08} {} 问题 Building {}",
                        WORDS[i % WORDS.len()],
                        i % 40
                    ))
                    .bind(format!("{} 问题", WORDS[i % WORDS.len()]))
                    .bind(format!("Building {}", i % 40))
                    .bind(39.9)
                    .bind(116.4)
                    .bind(3i64)
                    .bind(body.clone());
            }
            q.execute(&mut *tx).await.expect("seed insert");
            done += k;
        }
        tx.commit().await.unwrap();
    }
    if engine == Engine::Postgres {
        sqlx::query("ANALYZE cases").execute(&pool).await.unwrap();
    }
    pool.close().await;
    t0.elapsed().as_secs_f64()
}

async fn run(engine: Engine, n: usize) {
    let e = engine_name(engine);
    let tmp = tempfile::tempdir().unwrap();
    let db = TestDb::new(engine, tmp.path());
    // The cloud serves the built console too, for the page figures (`console_case_list`).
    let mut cfg = InProcess::config(tmp.path(), &db.url);
    let dist = tests::workspace_root().join("console/dist");
    assert!(
        dist.join("index.html").is_file(),
        "the console is not built: `bash tests/bench.sh` builds it"
    );
    cfg.console.dir = Some(dist);
    cfg.console.secure_cookie = false;
    let mut cloud = InProcess::start_with(cfg).await;
    let admin = Api::login(&cloud.base, "admin", PASSWORD).await;
    let c = build_community(&admin, "bench", "13800000001", 39.9, 116.4).await;
    let staff = Api::login(&cloud.base, &c.staff_user, PASSWORD).await;
    let me = staff.get("/v1/me").await.1["id"]
        .as_str()
        .unwrap()
        .to_string();
    let p = |s: &str| format!("/v1/communities/{}{s}", c.id);
    let mut grids = Vec::new();
    for g in 0..3 {
        grids.push(
            staff
                .ok(&p("/grids"), &json!({"name": format!("G{g}"), "level": 1}))
                .await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }

    // Reporting throughput through the API, 8 concurrent clients.
    // Logins (Argon2id, tens of ms each) happen before the clock starts: they are not reports.
    const CLIENTS: usize = 8;
    const EACH: usize = 500;
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        clients.push(Api::login(&cloud.base, &c.staff_user, PASSWORD).await);
    }
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for (k, api) in clients.into_iter().enumerate() {
        let (path, grid) = (p("/cases"), grids[k % grids.len()].clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..EACH {
                let (s, v) = api.post(&path, &report(&grid, k * EACH + i)).await;
                assert_eq!(s, 201, "{v}");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    bench(
        &format!("case_report_{e}"),
        (CLIENTS * EACH) as f64 / t0.elapsed().as_secs_f64(),
        "cases/s",
    );

    let secs = seed(engine, &db.url, &c.id, &grids, &me, n).await;
    eprintln!("seeded {n} cases in {secs:.1} s");
    bench(&format!("case_seed_{e}"), n as f64 / secs, "rows/s");

    let now = edge_daemon::os_clock::wall_ms();
    let page1 = staff.get(&p("/cases")).await.1;
    let next = page1["next"].as_str().unwrap().to_string();
    let filters: Vec<(&str, String)> = vec![
        ("all", String::new()),
        ("pending", "?view=pending".into()),
        ("finished", "?view=finished".into()),
        ("status", "?status=inspection".into()),
        ("source", "?source=hotline_12345".into()),
        ("grid", format!("?grid={}", grids[1])),
        ("category", "?category=street_light".into()),
        ("number", format!("?number=BJ{:08}", n / 2)),
        ("keyword", "?keyword=%E7%94%B5%E6%A2%AF".into()),
        ("overdue", "?timeliness=overdue".into()),
        ("due_soon", "?timeliness=due_soon".into()),
        (
            "week",
            format!("?from_ms={}&to_ms={}", now - 200 * DAY, now - 193 * DAY),
        ),
        ("mine", "?view=mine".into()),
        ("dispatch", "?view=dispatch".into()),
        ("self_handled", "?view=self_handled".into()),
        (
            "combined",
            format!("?status=handling&grid={}&source=staff", grids[0]),
        ),
        ("page2", format!("?before={next}")),
    ];
    for (name, q) in filters {
        let url = p(&format!("/cases{q}"));
        for _ in 0..3 {
            let (s, v) = staff.get(&url).await;
            assert_eq!(s, 200, "{url}: {v}");
        }
        let mut ms = Vec::new();
        for _ in 0..40 {
            let t = Instant::now();
            let (s, _) = staff.get(&url).await;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(s, 200);
        }
        ms.sort_by(|a, b| a.total_cmp(b));
        bench(&format!("case_list_{name}_{e}_p50"), pct(&ms, 0.5), "ms");
        bench(&format!("case_list_{name}_{e}_p99"), pct(&ms, 0.99), "ms");
    }
    console_case_list(&cloud.base, &c.staff_user, &c.id, e).await;
    cloud.stop().await;
    drop(db);
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// The same list as a worker sees it: Chromium from navigation to 50 rendered rows
/// (`console/scripts/bench-case-list.mjs`), its figures renamed for the engine.
async fn console_case_list(base: &str, user: &str, cid: &str, e: &str) {
    let console = tests::workspace_root().join("console");
    let (base, user, cid) = (base.to_string(), user.to_string(), cid.to_string());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg("scripts/bench-case-list.mjs")
            .current_dir(&console)
            .env("BENCH_URL", &base)
            .env("BENCH_USER", &user)
            .env("BENCH_PASSWORD", PASSWORD)
            .env("BENCH_COMMUNITY", &cid)
            .output()
            .expect("run node (tests/setup.sh installs it)")
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "console case-list bench failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        match line.strip_prefix("BENCH case_list_page_") {
            Some(rest) => println!("BENCH console_case_list_{e}_{rest}"),
            None => println!("{line}"),
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::var("CASES_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    // `cargo bench` passes `--bench`; anything else names the engines to run.
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    for w in &wanted {
        assert!(
            w == "sqlite" || w == "postgres",
            "unknown argument `{w}`: sqlite | postgres"
        );
    }
    for engine in [Engine::Sqlite, Engine::Postgres] {
        if wanted.is_empty() || wanted.iter().any(|w| w == engine_name(engine)) {
            run(engine, n).await;
        }
    }
}
