//! Where the abuse limits' state lives. The rules are pure (`cloud_rules::throttle`); this
//! shell hands them the state of the keys one attempt touches. One SQLite process keeps each
//! throttle in memory. On PostgreSQL, where replicas share the database, the keys are rows of
//! `throttle_keys`: locked (`FOR UPDATE`, in key order) for the attempt, loaded into a fresh
//! throttle, decided on, and written back in the same transaction, so attempts spread over the
//! replicas count as if one process had seen them all.

use std::sync::Mutex;

use sqlx::Row as _;

use crate::auth::{KeyState, Throttle};
use crate::db::Engine;
use crate::error::ApiResult;
use crate::scope::placeholders;
use crate::state::AppState;

/// Which limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Login,
    Signup,
    VisitRequest,
}

fn in_memory(st: &AppState, which: Which) -> &Mutex<Throttle> {
    match which {
        Which::Login => &st.throttle,
        Which::Signup => &st.signups,
        Which::VisitRequest => &st.visit_requests,
    }
}

/// Run `decide` on the throttle `which` holding the current state of `keys`.
pub async fn run<T>(
    st: &AppState,
    which: Which,
    keys: &[&str],
    decide: impl FnOnce(&mut Throttle) -> T,
) -> ApiResult<T> {
    let shared = in_memory(st, which);
    if st.db.engine == Engine::Sqlite {
        return Ok(decide(
            &mut shared.lock().unwrap_or_else(|p| p.into_inner()),
        ));
    }
    let mut throttle = shared
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .empty_like();
    let mut keys: Vec<&str> = keys.to_vec();
    keys.sort_unstable();
    keys.dedup();
    let mut tx = st.db.pool.begin().await?;
    for k in &keys {
        sqlx::query(
            "INSERT INTO throttle_keys (key, window_start_ms, attempts, trusted_at_ms) \
             VALUES ($1, NULL, 0, NULL) ON CONFLICT (key) DO NOTHING",
        )
        .bind(*k)
        .execute(&mut *tx)
        .await?;
    }
    let sql = format!(
        "SELECT key, window_start_ms, attempts, trusted_at_ms FROM throttle_keys \
         WHERE key IN ({}) ORDER BY key FOR UPDATE",
        placeholders(1, keys.len())
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for k in &keys {
        q = q.bind(*k);
    }
    for r in q.fetch_all(&mut *tx).await? {
        let key: String = r.try_get(0)?;
        let start: Option<i64> = r.try_get(1)?;
        let attempts: i64 = r.try_get(2)?;
        let trusted_at: Option<i64> = r.try_get(3)?;
        throttle.set_key_state(
            &key,
            KeyState {
                window: start.map(|s| (s, u32::try_from(attempts).unwrap_or(u32::MAX))),
                trusted_at,
            },
        );
    }
    let out = decide(&mut throttle);
    for k in &keys {
        let s = throttle.key_state(k);
        sqlx::query(
            "UPDATE throttle_keys SET window_start_ms = $1, attempts = $2, trusted_at_ms = $3 \
             WHERE key = $4",
        )
        .bind(s.window.map(|w| w.0))
        .bind(s.window.map_or(0, |w| i64::from(w.1)))
        .bind(s.trusted_at)
        .bind(*k)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(out)
}

/// Remove keys whose window has passed and whose trust has lapsed (a scheduled job; PostgreSQL
/// only). The longest window of the three throttles is kept, so no live window is cut short.
pub async fn forget_expired(st: &AppState, now_ms: i64) -> Result<u64, sqlx::Error> {
    if st.db.engine == Engine::Sqlite {
        return Ok(0);
    }
    let longest = [Which::Login, Which::Signup, Which::VisitRequest]
        .iter()
        .map(|w| {
            in_memory(st, *w)
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .window_ms()
        })
        .max()
        .unwrap_or(0);
    Ok(sqlx::query(
        "DELETE FROM throttle_keys WHERE (window_start_ms IS NULL OR window_start_ms < $1) \
         AND (trusted_at_ms IS NULL OR trusted_at_ms < $2)",
    )
    .bind(now_ms - longest)
    .bind(now_ms - crate::auth::TRUST_MS)
    .execute(&st.db.pool)
    .await?
    .rows_affected())
}
