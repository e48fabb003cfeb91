//! Each box's hardware configuration, kept in the cloud (`edge_sync::boxconfig`): staff set the
//! Modbus devices, how the box's registered doors are wired, its face doors and its cameras; each
//! change is the box's next revision. The box receives it with its directory delta
//! (`rooms::edge::sync_down`), checks it as it checks its TOML file, applies or refuses it, and
//! reports what it runs (`POST /v1/edge/config/report`). Staff read both sides here.

use axum::extract::{Path, State};
use axum::{Extension, Json};
use edge_sync::boxconfig::{
    BoxConfigReportV1, BoxConfigV1, BoxSectionsV1, BOX_CONFIG_VERSION, MAX_SECTION_ENTRIES,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::contract::NoContent;
use crate::db::RowExt;
use crate::error::{ApiError, ApiResult, Body};
use crate::now_ms;
use crate::policy::Caller;
use crate::state::AppState;

/// Where a box stands with its configuration.
pub mod state {
    /// No revision set in the cloud: the box runs its TOML file.
    pub const FILE_ONLY: &str = "file_only";
    /// The box has not yet said it runs the newest revision (offline, or about to restart).
    pub const PENDING: &str = "pending";
    /// The box runs the newest revision.
    pub const IN_EFFECT: &str = "in_effect";
    /// The box refused the newest revision (see `report.refused`) and runs what it ran.
    pub const REFUSED: &str = "refused";
}

/// A box's configuration, as set in the cloud and as the box runs it.
#[derive(Serialize, JsonSchema)]
pub struct BoxConfigViewV1 {
    pub box_id: String,
    /// The software the box last said it runs.
    pub software: Option<String>,
    /// file_only | pending | in_effect | refused
    pub state: String,
    /// The newest revision set in the cloud (0: none).
    pub revision: i64,
    /// Its sections; `null` when none was set.
    pub sections: Option<BoxSectionsV1>,
    pub updated_at_ms: Option<i64>,
    pub updated_by: Option<String>,
    /// What the box last said it runs; `null` until it has reported.
    pub report: Option<BoxConfigReportV1>,
    pub reported_at_ms: Option<i64>,
}

/// A new revision. `expected_revision` is the revision the editor started from (0 for none):
/// if someone saved in between, the change is refused with 409 `revision_conflict`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BoxConfigBody {
    pub expected_revision: i64,
    pub sections: BoxSectionsV1,
}

/// The box in the caller's community (the path's), or 404.
async fn box_in(st: &AppState, cid: &str, box_id: &str) -> ApiResult<sqlx::any::AnyRow> {
    sqlx::query(
        "SELECT id, revoked, software, config_report, config_reported_at_ms FROM edge_boxes \
         WHERE id = $1 AND community_id = $2",
    )
    .bind(box_id)
    .bind(cid)
    .fetch_optional(&st.db.pool)
    .await?
    .ok_or_else(|| ApiError::not_found("box"))
}

/// The newest revision of a box and its sections, if one was set.
pub(crate) async fn current(
    st: &AppState,
    box_id: &str,
) -> ApiResult<Option<(i64, BoxSectionsV1, i64, String)>> {
    let Some(r) = sqlx::query(
        "SELECT revision, body, updated_at_ms, updated_by FROM box_configs WHERE box_id = $1",
    )
    .bind(box_id)
    .fetch_optional(&st.db.pool)
    .await?
    else {
        return Ok(None);
    };
    let sections: BoxSectionsV1 = serde_json::from_str(&r.text("body")?)
        .map_err(|e| ApiError::internal(format!("stored box configuration unreadable: {e}")))?;
    Ok(Some((
        r.int("revision")?,
        sections,
        r.int("updated_at_ms")?,
        r.text("updated_by")?,
    )))
}

/// The revision to send a box that has judged up to `judged`, if there is a newer one.
pub(crate) async fn newer_than(
    st: &AppState,
    box_id: &str,
    judged: i64,
) -> ApiResult<Option<BoxConfigV1>> {
    Ok(current(st, box_id)
        .await?
        .filter(|(rev, ..)| *rev > judged)
        .map(|(revision, sections, ..)| BoxConfigV1 {
            version: BOX_CONFIG_VERSION,
            revision,
            sections,
        }))
}

fn view_state(revision: i64, report: Option<&BoxConfigReportV1>) -> &'static str {
    match report {
        _ if revision == 0 => state::FILE_ONLY,
        Some(r) if r.applied_revision >= revision => state::IN_EFFECT,
        Some(r) if r.refused.as_ref().is_some_and(|x| x.revision >= revision) => state::REFUSED,
        _ => state::PENDING,
    }
}

async fn view(st: &AppState, row: &sqlx::any::AnyRow) -> ApiResult<BoxConfigViewV1> {
    let box_id = row.text("id")?;
    let report: Option<BoxConfigReportV1> = row
        .opt_text("config_report")?
        .and_then(|t| serde_json::from_str(&t).ok());
    let cur = current(st, &box_id).await?;
    let revision = cur.as_ref().map_or(0, |c| c.0);
    Ok(BoxConfigViewV1 {
        state: view_state(revision, report.as_ref()).into(),
        software: row.opt_text("software")?,
        revision,
        updated_at_ms: cur.as_ref().map(|c| c.2),
        updated_by: cur.as_ref().map(|c| c.3.clone()),
        sections: cur.map(|c| c.1),
        reported_at_ms: row.opt_int("config_reported_at_ms")?,
        report,
        box_id,
    })
}

/// `GET …/boxes/{box_id}/config`
pub async fn get(
    State(st): State<AppState>,
    Path((cid, box_id)): Path<(String, String)>,
) -> ApiResult<Json<BoxConfigViewV1>> {
    let row = box_in(&st, &cid, &box_id).await?;
    Ok(Json(view(&st, &row).await?))
}

/// `PUT …/boxes/{box_id}/config`: the box's next revision. Door ids must be doors registered to
/// this box; their names and estates are taken from the registration. Everything else is the
/// box's own check (its profiles, its ports), and its verdict comes back in the report.
pub async fn put(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((cid, box_id)): Path<(String, String)>,
    Body(b): Body<BoxConfigBody>,
) -> ApiResult<Json<BoxConfigViewV1>> {
    let row = box_in(&st, &cid, &box_id).await?;
    if row.flag("revoked")? {
        return Err(ApiError::conflict(
            "box_revoked",
            "this box is revoked: it receives no configuration",
        ));
    }
    let mut sections = b.sections;
    if let Some(section) = sections.oversized() {
        return Err(ApiError::invalid(
            &format!("sections.{section}"),
            format!("more than {MAX_SECTION_ENTRIES} entries"),
        ));
    }
    let registered = sqlx::query("SELECT code, name, estate_id FROM doors WHERE box_id = $1")
        .bind(&box_id)
        .fetch_all(&st.db.pool)
        .await?;
    for (i, door) in sections.doors.iter_mut().enumerate() {
        let found = registered
            .iter()
            .find(|r| r.text("code").is_ok_and(|c| c == door.id));
        let Some(r) = found else {
            return Err(ApiError::invalid(
                &format!("sections.doors[{i}].id"),
                "is not a door registered to this box (register the door first)",
            ));
        };
        door.name = r.text("name")?;
        door.estate = r.text("estate_id")?;
    }
    let by = match &caller {
        Caller::Account(a) => crate::scope::username(&st, &a.id).await?,
        _ => return Err(ApiError::forbidden("an account is needed")),
    };
    let body = serde_json::to_string(&sections)
        .map_err(|e| ApiError::internal(format!("cannot encode the configuration: {e}")))?;
    let now = now_ms();
    let n = if b.expected_revision == 0 {
        sqlx::query(
            "INSERT INTO box_configs (box_id, revision, body, updated_at_ms, updated_by) \
             VALUES ($1, 1, $2, $3, $4) ON CONFLICT (box_id) DO NOTHING",
        )
        .bind(&box_id)
        .bind(&body)
        .bind(now)
        .bind(&by)
        .execute(&st.db.pool)
        .await?
        .rows_affected()
    } else {
        sqlx::query(
            "UPDATE box_configs SET revision = revision + 1, body = $1, updated_at_ms = $2, \
             updated_by = $3 WHERE box_id = $4 AND revision = $5",
        )
        .bind(&body)
        .bind(now)
        .bind(&by)
        .bind(&box_id)
        .bind(b.expected_revision)
        .execute(&st.db.pool)
        .await?
        .rows_affected()
    };
    if n != 1 {
        return Err(ApiError::conflict(
            "revision_conflict",
            "the configuration changed since it was opened: reload it and make the change again",
        ));
    }
    tracing::info!(
        box_id,
        devices = sections.devices.len(),
        doors = sections.doors.len(),
        face_doors = sections.face_doors.len(),
        cameras = sections.cameras.len(),
        "box configuration saved"
    );
    Ok(Json(view(&st, &row).await?))
}

/// `POST /v1/edge/config/report`: what the box runs. Checked against what it was sent: a
/// revision it reports applied or refused must be one the cloud has set for it.
pub async fn report(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Body(r): Body<BoxConfigReportV1>,
) -> ApiResult<NoContent> {
    let Caller::Edge(bx) = &caller else {
        return Err(ApiError::forbidden("only edge boxes may call this"));
    };
    if r.version != BOX_CONFIG_VERSION {
        return Err(ApiError::invalid(
            "version",
            format!("must be {BOX_CONFIG_VERSION}"),
        ));
    }
    if !matches!(
        r.source.as_str(),
        edge_sync::boxconfig::source::FILE | edge_sync::boxconfig::source::CLOUD
    ) {
        return Err(ApiError::invalid("source", "must be file or cloud"));
    }
    if let Some(section) = r.effective.oversized() {
        return Err(ApiError::invalid(
            &format!("effective.{section}"),
            format!("more than {MAX_SECTION_ENTRIES} entries"),
        ));
    }
    let newest = current(&st, &bx.box_id).await?.map_or(0, |c| c.0);
    if r.applied_revision < 0 || r.applied_revision > newest {
        return Err(ApiError::invalid(
            "applied_revision",
            "is not a revision this box was sent",
        ));
    }
    if let Some(x) = &r.refused {
        if x.revision < 1 || x.revision > newest {
            return Err(ApiError::invalid(
                "refused.revision",
                "is not a revision this box was sent",
            ));
        }
        if x.field.len() > 200 || x.reason.len() > 1000 {
            return Err(ApiError::invalid(
                "refused",
                "field ≤ 200 and reason ≤ 1000 bytes",
            ));
        }
    }
    let text = serde_json::to_string(&r)
        .map_err(|e| ApiError::internal(format!("cannot encode the report: {e}")))?;
    sqlx::query(
        "UPDATE edge_boxes SET config_report = $1, config_reported_at_ms = $2 WHERE id = $3",
    )
    .bind(text)
    .bind(now_ms())
    .bind(&bx.box_id)
    .execute(&st.db.pool)
    .await?;
    tracing::info!(box_id = %bx.box_id, applied_revision = r.applied_revision,
                   refused_revision = r.refused.as_ref().map(|x| x.revision),
                   "box configuration reported");
    Ok(NoContent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use edge_sync::boxconfig::ConfigRefusalV1;

    fn rep(applied: i64, refused: Option<i64>) -> BoxConfigReportV1 {
        BoxConfigReportV1 {
            version: 1,
            source: "cloud".into(),
            applied_revision: applied,
            refused: refused.map(|revision| ConfigRefusalV1 {
                revision,
                field: "f".into(),
                reason: "r".into(),
            }),
            effective: BoxSectionsV1::default(),
        }
    }

    #[test]
    fn the_state_follows_the_newest_revision() {
        assert_eq!(view_state(0, None), state::FILE_ONLY);
        assert_eq!(view_state(0, Some(&rep(0, None))), state::FILE_ONLY);
        assert_eq!(view_state(2, None), state::PENDING);
        assert_eq!(view_state(2, Some(&rep(1, None))), state::PENDING);
        assert_eq!(view_state(2, Some(&rep(2, None))), state::IN_EFFECT);
        assert_eq!(view_state(2, Some(&rep(1, Some(2)))), state::REFUSED);
        // A refusal of an older revision says nothing of the newest.
        assert_eq!(view_state(3, Some(&rep(1, Some(2)))), state::PENDING);
    }
}
