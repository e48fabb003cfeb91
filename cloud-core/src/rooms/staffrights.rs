//! Staff door rights: which estates' doors a person of the community may pass as staff. Kept
//! here, they reach the boxes of those estates with the person (`kind = staff`,
//! `staff_estates`) through the directory delta (`scope::rights_at_estate` names who a box is
//! sent); taking a right away removes the person from the box on its next sync.

use axum::extract::{Path, State};
use axum::{Extension, Json};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::db::RowExt;
use crate::error::{ApiError, ApiResult, Body};
use crate::now_ms;
use crate::policy::Caller;
use crate::scope::{InCommunity, Kind};
use crate::state::AppState;

/// Most estates one person may hold staff rights at.
const MAX_ESTATES: usize = 200;

/// A person's staff door rights.
#[derive(Serialize, JsonSchema)]
pub struct StaffRightsV1 {
    pub person_id: String,
    /// The estates whose doors the person passes as staff (empty: none).
    pub estate_ids: Vec<String>,
    /// Who last changed them, and when; `null` while the person has none.
    pub granted_by: Option<String>,
    pub granted_at_ms: Option<i64>,
}

/// The whole set of estates (it replaces the one before; empty takes every right away).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffRightsBody {
    pub estate_ids: Vec<String>,
}

async fn rights_of(st: &AppState, pid: &str) -> ApiResult<StaffRightsV1> {
    let rows = sqlx::query(
        "SELECT estate_id, granted_by, granted_at_ms FROM staff_door_rights WHERE person_id = $1 \
         ORDER BY estate_id",
    )
    .bind(pid)
    .fetch_all(&st.db.pool)
    .await?;
    let mut out = StaffRightsV1 {
        person_id: pid.to_string(),
        estate_ids: Vec::with_capacity(rows.len()),
        granted_by: None,
        granted_at_ms: None,
    };
    for r in &rows {
        out.estate_ids.push(r.text("estate_id")?);
        let at = r.int("granted_at_ms")?;
        if out.granted_at_ms.is_none_or(|t| at > t) {
            out.granted_at_ms = Some(at);
            out.granted_by = Some(r.text("granted_by")?);
        }
    }
    Ok(out)
}

/// `GET …/people/{person_id}/staff-rights`
pub async fn get(
    State(st): State<AppState>,
    Path((cid, pid)): Path<(String, String)>,
) -> ApiResult<Json<StaffRightsV1>> {
    InCommunity::new(&cid)
        .in_path(&st.db.pool, Kind::Person, &pid)
        .await?;
    Ok(Json(rights_of(&st, &pid).await?))
}

/// `PUT …/people/{person_id}/staff-rights`: every estate resolved in this community; the
/// person takes a new change number, so the boxes of the estates gained and lost hear of it.
pub async fn put(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((cid, pid)): Path<(String, String)>,
    Body(b): Body<StaffRightsBody>,
) -> ApiResult<Json<StaffRightsV1>> {
    if b.estate_ids.len() > MAX_ESTATES {
        return Err(ApiError::invalid(
            "estate_ids",
            format!("more than {MAX_ESTATES} estates"),
        ));
    }
    let by = match &caller {
        Caller::Account(a) => crate::scope::username(&st, &a.id).await?,
        _ => return Err(ApiError::forbidden("an account is needed")),
    };
    let mut estates = b.estate_ids;
    let mut tx = st.db.pool.begin().await?;
    InCommunity::new(&cid)
        .in_path(&mut *tx, Kind::Person, &pid)
        .await?;
    let scope = InCommunity::new(&cid);
    for (i, e) in estates.iter().enumerate() {
        scope
            .require(&mut *tx, Kind::Estate, &format!("estate_ids[{i}]"), e)
            .await?;
    }
    estates.sort();
    estates.dedup();
    sqlx::query("DELETE FROM staff_door_rights WHERE person_id = $1")
        .bind(&pid)
        .execute(&mut *tx)
        .await?;
    let now = now_ms();
    for e in &estates {
        sqlx::query(
            "INSERT INTO staff_door_rights (person_id, estate_id, community_id, granted_by, granted_at_ms) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&pid)
        .bind(e)
        .bind(&cid)
        .bind(&by)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    crate::rooms::faces::bump_person(&mut tx, &pid).await?;
    tx.commit().await?;
    tracing::info!(person_id = %pid, estates = estates.len(), "staff door rights saved");
    Ok(Json(rights_of(&st, &pid).await?))
}
