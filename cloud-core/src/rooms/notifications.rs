//! Notifications to a person (a visit asked for, decided or cancelled; an address application
//! decided): other rooms write them with [`notify`] inside their own transaction, so a
//! notification exists exactly when the change it reports does; the app reads its own.

use axum::extract::State;
use axum::{Extension, Json};
use schemars::JsonSchema;
use serde::Serialize;

use crate::contract::Items;
use crate::db::RowExt;
use crate::error::ApiResult;
use crate::policy::Caller;
use crate::scope::caller_person;
use crate::state::AppState;
use crate::{new_id, now_ms};

// ---- API types (v1) --------------------------------------------------------------------------

/// One notification to a person.
#[derive(Serialize, JsonSchema)]
pub struct NotificationV1 {
    pub id: String,
    pub kind: String,
    pub body: String,
    /// The visit or application it is about.
    pub ref_id: Option<String>,
    pub created_at_ms: i64,
}

// ---- writing ---------------------------------------------------------------------------------

/// Record a notification to `person` in the caller's transaction.
pub(crate) async fn notify(
    tx: &mut sqlx::AnyConnection,
    person: &str,
    kind: &str,
    body: &str,
    ref_id: &str,
) -> ApiResult<()> {
    sqlx::query("INSERT INTO notifications (id, person_id, kind, body, ref_id, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(new_id())
        .bind(person)
        .bind(kind)
        .bind(body)
        .bind(ref_id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    Ok(())
}

// ---- handlers --------------------------------------------------------------------------------

/// `GET /v1/app/notifications`: my newest 200.
pub async fn list(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<Items<NotificationV1>>> {
    let rows = sqlx::query(
        "SELECT id, kind, body, ref_id, created_at_ms FROM notifications WHERE person_id = $1 \
         ORDER BY created_at_ms DESC, id DESC LIMIT 200",
    )
    .bind(caller_person(&caller)?)
    .fetch_all(&st.db.pool)
    .await?;
    let items = rows
        .iter()
        .map(|r| {
            Ok(NotificationV1 {
                id: r.text("id")?,
                kind: r.text("kind")?,
                body: r.text("body")?,
                ref_id: r.opt_text("ref_id")?,
                created_at_ms: r.int("created_at_ms")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Json(Items::from(items)))
}
