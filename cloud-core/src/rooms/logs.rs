//! Admin queries over what boxes uploaded: pass logs and alarm events of one community, newest
//! first, filtered, with keyset pagination (`before` = the `next` of the previous page) so a page
//! stays stable while new records arrive.

use axum::extract::{Path, State};
use axum::Json;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::db::RowExt;
use crate::error::{ApiError, ApiResult, Q};
use crate::paging::{limit, Bind, Filter, Page};
use crate::state::AppState;

// ---- API types (v1) --------------------------------------------------------------------------

/// One pass log record a box uploaded (the type that travels up is `edge_sync::sync::PassV1`).
#[derive(Serialize, JsonSchema)]
pub struct PassLogV1 {
    pub id: String,
    /// When the box saw it.
    pub at_ms: i64,
    pub estate_id: String,
    pub box_id: String,
    /// The door's code on its box.
    pub door_code: String,
    /// The registry's door with that code, when there is one.
    pub door_id: Option<String>,
    pub door_name: Option<String>,
    /// Who passed, as the box reported it.
    pub person_id: String,
    /// Name and phone, when the person is in the box's directory.
    pub person_name: Option<String>,
    pub phone: Option<String>,
    /// The person is in the box's directory.
    pub person_known: bool,
    /// face | one_tap | staff
    pub method: String,
    pub allowed: bool,
    /// Why the box allowed or refused it.
    pub reason: String,
    /// The grant (e.g. a visit) that let them in, if any.
    pub grant_id: Option<String>,
    /// When the cloud received it.
    pub received_at_ms: i64,
    /// A face thumbnail of the pass is stored.
    pub has_thumbnail: bool,
}

/// One alarm event: a transition a box reported, or an acknowledgement or clear by staff.
#[derive(Serialize, JsonSchema)]
pub struct AlarmEventV1 {
    pub id: String,
    pub at_ms: i64,
    pub estate_id: String,
    pub box_id: String,
    /// Door code, device id, or "box".
    pub source: String,
    pub kind: String,
    /// critical | major | minor | warning (empty on a clear)
    pub severity: String,
    /// The box's record state (`raised`, `updated`, `escalated`, `cleared`, `acked:<by>`), or
    /// `acked` / `cleared` by staff.
    pub state: String,
    /// The box's detail, or the staff's comment.
    pub detail: String,
    /// When the cloud received it.
    pub received_at_ms: i64,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PassQuery {
    estate_id: Option<String>,
    door_id: Option<String>,
    person_id: Option<String>,
    method: Option<String>,
    allowed: Option<bool>,
    from_ms: Option<i64>,
    to_ms: Option<i64>,
    limit: Option<i64>,
    before: Option<String>,
}

pub async fn passes(
    State(st): State<AppState>,
    Path(cid): Path<String>,
    Q(q): Q<PassQuery>,
) -> ApiResult<Json<Page<PassLogV1>>> {
    let lim = limit(q.limit)?;
    if let Some(m) = &q.method {
        if edge_sync::vocab::PassMethod::parse(m).is_none() {
            return Err(ApiError::invalid(
                "method",
                format!("must be {}", edge_sync::vocab::PassMethod::EXPECTED),
            ));
        }
    }
    let mut f = Filter::new(&cid, "passes");
    f.opt_s("passes.estate_id = $?", &q.estate_id);
    f.opt_s("passes.door_id = $?", &q.door_id);
    f.opt_s("passes.person_id = $?", &q.person_id);
    f.opt_s("passes.method = $?", &q.method);
    if let Some(a) = q.allowed {
        f.add("passes.allowed = $?", Bind::B(a));
    }
    f.opt_i("passes.at_ms >= $?", q.from_ms);
    f.opt_i("passes.at_ms < $?", q.to_ms);
    f.before("passes", &q.before)?;
    let rows = f
        .fetch(
            &st,
            "SELECT passes.id, passes.at_ms, passes.estate_id, passes.box_id, passes.door_code, passes.door_id, \
             passes.person_id, passes.method, passes.allowed, passes.reason, passes.grant_id, passes.received_at_ms, \
             p.name AS person_name, p.phone AS phone, bp.person_id AS known_person, d.name AS door_name, \
             t.pass_id AS thumbnail FROM passes \
             LEFT JOIN box_people bp ON bp.box_id = passes.box_id AND bp.person_id = passes.person_id \
             LEFT JOIN people p ON p.id = bp.person_id LEFT JOIN doors d ON d.id = passes.door_id \
             LEFT JOIN pass_thumbnails t ON t.pass_id = passes.id",
            lim,
            "passes",
        )
        .await?;
    let items = rows
        .iter()
        .map(|r| {
            Ok(PassLogV1 {
                id: r.text("id")?,
                at_ms: r.int("at_ms")?,
                estate_id: r.text("estate_id")?,
                box_id: r.text("box_id")?,
                door_code: r.text("door_code")?,
                door_id: r.opt_text("door_id")?,
                door_name: r.opt_text("door_name")?,
                person_id: r.text("person_id")?,
                person_name: r.opt_text("person_name")?,
                phone: r.opt_text("phone")?,
                person_known: r.opt_text("known_person")?.is_some(),
                method: r.text("method")?,
                allowed: r.flag("allowed")?,
                reason: r.text("reason")?,
                grant_id: r.opt_text("grant_id")?,
                received_at_ms: r.int("received_at_ms")?,
                has_thumbnail: r.opt_text("thumbnail")?.is_some(),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Json(Page::new(items, lim, |p| (p.at_ms, &p.id))))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlarmQuery {
    estate_id: Option<String>,
    box_id: Option<String>,
    kind: Option<String>,
    severity: Option<String>,
    state: Option<String>,
    from_ms: Option<i64>,
    to_ms: Option<i64>,
    limit: Option<i64>,
    before: Option<String>,
}

pub async fn alarms(
    State(st): State<AppState>,
    Path(cid): Path<String>,
    Q(q): Q<AlarmQuery>,
) -> ApiResult<Json<Page<AlarmEventV1>>> {
    let lim = limit(q.limit)?;
    let mut f = Filter::new(&cid, "alarm_events");
    f.opt_s("alarm_events.estate_id = $?", &q.estate_id);
    f.opt_s("alarm_events.box_id = $?", &q.box_id);
    f.opt_s("alarm_events.kind = $?", &q.kind);
    f.opt_s("alarm_events.severity = $?", &q.severity);
    f.opt_s("alarm_events.state = $?", &q.state);
    f.opt_i("alarm_events.at_ms >= $?", q.from_ms);
    f.opt_i("alarm_events.at_ms < $?", q.to_ms);
    f.before("alarm_events", &q.before)?;
    let rows = f
        .fetch(
            &st,
            "SELECT alarm_events.* FROM alarm_events",
            lim,
            "alarm_events",
        )
        .await?;
    let items = rows
        .iter()
        .map(|r| {
            Ok(AlarmEventV1 {
                id: r.text("id")?,
                at_ms: r.int("at_ms")?,
                estate_id: r.text("estate_id")?,
                box_id: r.text("box_id")?,
                source: r.text("source")?,
                kind: r.text("kind")?,
                severity: r.text("severity")?,
                state: r.text("state")?,
                detail: r.text("detail")?,
                received_at_ms: r.int("received_at_ms")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Json(Page::new(items, lim, |a| (a.at_ms, &a.id))))
}

/// Passes at a community's doors since `since_ms`, and how many of them were refused: the home
/// page's figures for today.
pub(crate) async fn pass_counts(st: &AppState, cid: &str, since_ms: i64) -> ApiResult<(i64, i64)> {
    let r = sqlx::query(
        "SELECT COUNT(*) AS n, SUM(CASE WHEN allowed = 0 THEN 1 ELSE 0 END) AS refused \
         FROM passes WHERE community_id = $1 AND at_ms >= $2",
    )
    .bind(cid)
    .bind(since_ms)
    .fetch_one(&st.db.pool)
    .await?;
    Ok((r.int("n")?, r.opt_int("refused")?.unwrap_or(0)))
}
