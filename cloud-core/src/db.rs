//! The database edge: connecting (SQLite file by default, PostgreSQL when the URL says so), the
//! migration runner, and the few helpers every query module shares. One set of SQL serves both
//! engines: portable types only (TEXT, BIGINT, BOOLEAN, DOUBLE PRECISION), `$n` placeholders,
//! `ON CONFLICT … DO NOTHING` and `RETURNING`, which both understand.

use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};

/// Which engine a pool talks to (a few limits differ, never the SQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub engine: Engine,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database URL `{0}` is neither sqlite: nor postgres:")]
    UnknownScheme(String),
    #[error("cannot connect to the database: {0}")]
    Connect(sqlx::Error),
    #[error("migration {name} failed: {source}")]
    Migration {
        name: &'static str,
        source: sqlx::Error,
    },
    #[error("the database has migration {0} which this build does not know; refusing to start an older build on a newer schema")]
    NewerSchema(i64),
}

/// Migrations, applied in order, each once, each in its own transaction. Additive only.
/// `$start, $start+1, …` for `n` values.
pub(crate) fn placeholders(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The newest migration this build carries.
pub fn newest_migration() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// Why the keys' fingerprints were not accepted.
#[derive(Debug)]
pub enum FingerprintError {
    Db(DbError),
    Differs {
        role: String,
        recorded: String,
        here: String,
    },
}

/// `build.rs` lists every `migrations/NNNN_name.sql`: adding a migration is adding its file.
const MIGRATIONS: &[(i64, &str, &str)] = include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

impl Db {
    /// Connect and migrate. `sqlite://path?mode=rwc` or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let engine = if url.starts_with("sqlite:") {
            Engine::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Engine::Postgres
        } else {
            return Err(DbError::UnknownScheme(redact(url)));
        };
        let opts = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        let pool = match engine {
            // One connection: SQLite has one writer anyway, and a single connection rules out
            // the busy errors of two deferred transactions upgrading to write at once.
            Engine::Sqlite => opts.max_connections(1).after_connect(|conn, _| {
                Box::pin(async move {
                    // FULL: an acknowledged uplink batch survives power loss, not only a crash.
                    conn.execute(
                        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; \
                         PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;",
                    )
                    .await?;
                    Ok(())
                })
            }),
            Engine::Postgres => opts.max_connections(16),
        }
        .connect(url)
        .await
        .map_err(DbError::Connect)?;
        let db = Db { pool, engine };
        db.migrate().await?;
        Ok(db)
    }

    /// Apply the migrations this build knows and the database lacks. On PostgreSQL under an
    /// advisory lock held on one connection: replicas started together migrate once, the
    /// others wait and find it done (without it they raced: duplicate catalog entries).
    async fn migrate(&self) -> Result<(), DbError> {
        let mig = |name: &'static str| move |source| DbError::Migration { name, source };
        let mut conn = self.pool.acquire().await.map_err(mig("lock"))?;
        if self.engine == Engine::Postgres {
            sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(MIGRATION_LOCK)
                .execute(&mut *conn)
                .await
                .map_err(mig("lock"))?;
        }
        let result = migrate_on(&mut conn).await;
        if self.engine == Engine::Postgres {
            // Also released when the connection closes, should this fail.
            let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(MIGRATION_LOCK)
                .execute(&mut *conn)
                .await;
        }
        result
    }

    /// The key fingerprints recorded by the first process that served this database.
    pub async fn key_fingerprints(&self) -> Result<Vec<(String, String)>, DbError> {
        let mig = |source| DbError::Migration {
            name: "key_fingerprints",
            source,
        };
        sqlx::query("SELECT role, fingerprint FROM key_fingerprints ORDER BY role")
            .fetch_all(&self.pool)
            .await
            .map_err(mig)?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(mig)
    }

    /// Record `here` where nothing is recorded yet (the first process wins a race), then
    /// compare: a key whose fingerprint differs from the recorded one is refused by role.
    pub async fn check_key_fingerprints(
        &self,
        here: &[(&'static str, String)],
    ) -> Result<(), FingerprintError> {
        let mig = |source| {
            FingerprintError::Db(DbError::Migration {
                name: "key_fingerprints",
                source,
            })
        };
        for (role, fp) in here {
            sqlx::query(
                "INSERT INTO key_fingerprints (role, fingerprint, recorded_at_ms) VALUES ($1, $2, $3) \
                 ON CONFLICT (role) DO NOTHING",
            )
            .bind(*role)
            .bind(fp)
            .bind(crate::now_ms())
            .execute(&self.pool)
            .await
            .map_err(mig)?;
        }
        let recorded = self
            .key_fingerprints()
            .await
            .map_err(FingerprintError::Db)?;
        for (role, fp) in here {
            if let Some((_, r)) = recorded.iter().find(|(x, _)| x == role) {
                if r != fp {
                    return Err(FingerprintError::Differs {
                        role: role.to_string(),
                        recorded: r.clone(),
                        here: fp.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Most bind parameters one statement may carry.
    pub fn max_params(&self) -> usize {
        match self.engine {
            Engine::Sqlite => 32_000,
            Engine::Postgres => 65_000,
        }
    }
}

/// The advisory lock key migrations take on PostgreSQL (any constant; this one spells "mig").
const MIGRATION_LOCK: i64 = 0x6d6967;

async fn migrate_on(conn: &mut sqlx::AnyConnection) -> Result<(), DbError> {
    let mig = |name: &'static str| move |source| DbError::Migration { name, source };
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, \
             name TEXT NOT NULL, applied_at_ms BIGINT NOT NULL)",
    )
    .await
    .map_err(mig("schema_migrations"))?;
    let applied: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations")
        .fetch_all(&mut *conn)
        .await
        .map_err(mig("schema_migrations"))?
        .iter()
        .map(|r| r.try_get::<i64, _>(0))
        .collect::<Result<_, _>>()
        .map_err(mig("schema_migrations"))?;
    let newest_known = MIGRATIONS.last().map_or(0, |m| m.0);
    if let Some(v) = applied.iter().find(|v| **v > newest_known) {
        return Err(DbError::NewerSchema(*v));
    }
    for (version, name, sql) in MIGRATIONS {
        if applied.contains(version) {
            continue;
        }
        let mut tx = sqlx::Connection::begin(&mut *conn)
            .await
            .map_err(mig(name))?;
        for stmt in split_statements(sql) {
            tx.execute(sqlx::AssertSqlSafe(stmt))
                .await
                .map_err(mig(name))?;
        }
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES ($1, $2, $3)",
        )
        .bind(*version)
        .bind(*name)
        .bind(crate::now_ms())
        .execute(&mut *tx)
        .await
        .map_err(mig(name))?;
        tx.commit().await.map_err(mig(name))?;
        tracing::info!(version, name, "applied migration");
    }
    Ok(())
}

/// Statements of a migration file (`;` at a line end closes one; comments are dropped).
fn split_statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in sql.lines() {
        let code = line.split("--").next().unwrap_or("").trim_end();
        if code.trim().is_empty() {
            continue;
        }
        cur.push_str(code);
        cur.push('\n');
        if code.ends_with(';') {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
}

/// The URL without its password, for error messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..s + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

/// Take the next directory change number inside a write transaction. The row lock (PostgreSQL)
/// or the write lock (SQLite) is held until commit, so numbers are handed out in commit order and
/// a reader that saw value N has seen every change ≤ N.
pub async fn next_change_seq(conn: &mut sqlx::AnyConnection) -> Result<i64, sqlx::Error> {
    let row = sqlx::query(
        "UPDATE counters SET value = value + 1 WHERE name = 'directory' RETURNING value",
    )
    .fetch_one(conn)
    .await?;
    row.try_get::<i64, _>(0)
}

pub async fn current_change_seq(db: &Db) -> Result<i64, sqlx::Error> {
    let row = sqlx::query("SELECT value FROM counters WHERE name = 'directory'")
        .fetch_one(&db.pool)
        .await?;
    row.try_get::<i64, _>(0)
}

/// `%text%` for `LIKE … ESCAPE '\'`, with LIKE's own wildcards (`%`, `_`) and the escape
/// character in `text` escaped, so that user input matches only itself. Case folding, where a
/// list wants it, is the caller's (`LOWER(col) LIKE` with a lowercased `text`): LIKE's case
/// rules differ between the engines.
pub fn contains_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Row access by column name, with the column named in the error. The portable schema stores
/// text, BIGINT numbers, 0/1 flags and DOUBLE PRECISION coordinates.
pub trait RowExt {
    /// A TEXT column that is never NULL.
    fn text(&self, col: &str) -> Result<String, sqlx::Error>;
    /// A TEXT column that may be NULL.
    fn opt_text(&self, col: &str) -> Result<Option<String>, sqlx::Error>;
    /// A BIGINT column that is never NULL (milliseconds, counts, change numbers).
    fn int(&self, col: &str) -> Result<i64, sqlx::Error>;
    /// A BIGINT column that may be NULL.
    fn opt_int(&self, col: &str) -> Result<Option<i64>, sqlx::Error>;
    /// A 0/1 BIGINT flag as a bool.
    fn flag(&self, col: &str) -> Result<bool, sqlx::Error>;
    /// A DOUBLE PRECISION column that may be NULL (coordinates).
    fn opt_float(&self, col: &str) -> Result<Option<f64>, sqlx::Error>;
}

impl RowExt for AnyRow {
    fn text(&self, col: &str) -> Result<String, sqlx::Error> {
        self.try_get(col)
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>, sqlx::Error> {
        self.try_get(col)
    }
    fn int(&self, col: &str) -> Result<i64, sqlx::Error> {
        self.try_get(col)
    }
    fn opt_int(&self, col: &str) -> Result<Option<i64>, sqlx::Error> {
        self.try_get(col)
    }
    /// Flags are BIGINT 0/1 on both engines.
    fn flag(&self, col: &str) -> Result<bool, sqlx::Error> {
        self.try_get::<i64, _>(col).map(|v| v != 0)
    }
    fn opt_float(&self, col: &str) -> Result<Option<f64>, sqlx::Error> {
        self.try_get(col)
    }
}

#[cfg(test)]
mod tests {

    /// A migration file left out of `MIGRATIONS` would never run (seen once: a missing table);
    /// the list is generated, this checks the generator.
    #[test]
    fn every_migration_file_is_listed_in_order() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let listed: Vec<String> = MIGRATIONS
            .iter()
            .map(|(_, name, _)| format!("{name}.sql"))
            .collect();
        assert_eq!(files, listed);
        for (i, (v, _, _)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(*v, i as i64 + 1, "versions run 1, 2, 3…");
        }
    }

    use super::*;

    #[test]
    fn statements_split_at_line_end_semicolons_without_comments() {
        let s = split_statements(
            "-- head\nCREATE TABLE a (x TEXT); -- tail\n\nINSERT INTO a VALUES ('x');\n",
        );
        assert_eq!(s.len(), 2);
        assert!(s[0].starts_with("CREATE TABLE a"));
    }

    #[test]
    fn redaction_hides_the_password() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }
}
