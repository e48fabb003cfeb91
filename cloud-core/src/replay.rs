//! The replay guard for signed box requests: a verified request is admitted once within its
//! time window. One SQLite process keeps the marks in memory (`edge_sync::auth::ReplayGuard`);
//! on PostgreSQL, where replicas share the database, the marks are rows of `box_request_seen`
//! (a request captured and replayed to another replica is refused there too), forgotten by a
//! scheduled job once their window has closed.

use edge_sync::auth::{RequestAuthError, MAX_REQUEST_SKEW_MS};

use crate::db::Engine;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Admit a request whose signature was just verified: `Ok(true)` the first time within its
/// window, `Ok(false)` for a replay.
pub async fn admit(
    st: &AppState,
    time_header: &str,
    signature: &str,
    now_ms: i64,
) -> ApiResult<bool> {
    if st.db.engine == Engine::Sqlite {
        return match st.replay.lock().unwrap_or_else(|p| p.into_inner()).admit(
            time_header,
            signature,
            now_ms,
        ) {
            Ok(()) => Ok(true),
            Err(RequestAuthError::Replayed) => Ok(false),
            Err(e) => Err(ApiError::unauthenticated(e.to_string())),
        };
    }
    let time_ms: i64 = time_header
        .trim()
        .parse()
        .map_err(|_| ApiError::unauthenticated(RequestAuthError::BadTime.to_string()))?;
    let until = time_ms.saturating_add(MAX_REQUEST_SKEW_MS);
    // A new mark, or an expired one taken over; a live one is left as it is (0 rows).
    let n = sqlx::query(
        "INSERT INTO box_request_seen (signature, until_ms) VALUES ($1, $2) \
         ON CONFLICT (signature) DO UPDATE SET until_ms = excluded.until_ms \
         WHERE box_request_seen.until_ms < $3",
    )
    .bind(signature.trim())
    .bind(until)
    .bind(now_ms)
    .execute(&st.db.pool)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Remove marks whose window has closed (a scheduled job; PostgreSQL only).
pub async fn forget_expired(st: &AppState, now_ms: i64) -> Result<u64, sqlx::Error> {
    if st.db.engine == Engine::Sqlite {
        return Ok(0);
    }
    Ok(
        sqlx::query("DELETE FROM box_request_seen WHERE until_ms < $1")
            .bind(now_ms)
            .execute(&st.db.pool)
            .await?
            .rows_affected(),
    )
}
