//! The home page: a community's figures at a glance (open alarms by severity, pending cases and
//! those due soon or overdue, today's passes, boxes and devices offline). Each figure is the
//! count of a list the console can open with the same filter; the counting itself is each
//! room's own (`alarms::open_counts`, `cases::case_counts`, `logs::pass_counts`,
//! `registry::box_counts`, `devices::device_counts`).

use axum::extract::{Path, State};
use axum::Json;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult, Q};
use crate::state::AppState;
use crate::{now_ms, rooms};

/// Open alarms of one severity.
#[derive(Serialize, JsonSchema)]
pub struct SeverityCountV1 {
    /// critical | major | minor | warning
    pub severity: String,
    pub open: i64,
}

/// A community's figures at one moment.
#[derive(Serialize, JsonSchema)]
pub struct OverviewV1 {
    /// When the figures were read (ms).
    pub at_ms: i64,
    /// Alarms not closed, by severity (severities without any are left out).
    pub alarms_open: Vec<SeverityCountV1>,
    /// Of those, active and not acknowledged by anyone.
    pub alarms_unacknowledged: i64,
    /// Cases in the `pending` view.
    pub cases_pending: i64,
    /// Cases whose deadline falls within the next 24 h (`timeliness=due_soon`).
    pub cases_due_soon: i64,
    /// Cases past their deadline (`timeliness=overdue`).
    pub cases_overdue: i64,
    /// Passes since `since_ms` (the console sends the start of today in the community's time).
    pub passes_since: i64,
    /// Of those, refused.
    pub passes_refused: i64,
    /// Boxes provisioned and not revoked.
    pub boxes: i64,
    /// Of those, not connected to the cloud now.
    pub boxes_offline: i64,
    /// Devices in service.
    pub devices: i64,
    /// Of those, reported offline by their box.
    pub devices_offline: i64,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OverviewQuery {
    /// Count passes from this time (ms); usually the start of today.
    since_ms: i64,
}

/// `GET /v1/communities/{community_id}/overview?since_ms=`.
pub async fn get(
    State(st): State<AppState>,
    Path(cid): Path<String>,
    Q(q): Q<OverviewQuery>,
) -> ApiResult<Json<OverviewV1>> {
    let now = now_ms();
    if q.since_ms < 0 || q.since_ms > now {
        return Err(ApiError::invalid(
            "since_ms",
            "must be a time (ms) not in the future",
        ));
    }
    let (by_severity, alarms_unacknowledged) = rooms::alarms::open_counts(&st, &cid).await?;
    let (cases_pending, cases_due_soon, cases_overdue) =
        rooms::cases::case_counts(&st, &cid, now).await?;
    let (passes_since, passes_refused) = rooms::logs::pass_counts(&st, &cid, q.since_ms).await?;
    let (boxes, boxes_offline) = rooms::registry::box_counts(&st, &cid, now).await?;
    let (devices, devices_offline) = rooms::devices::device_counts(&st, &cid).await?;
    Ok(Json(OverviewV1 {
        at_ms: now,
        alarms_open: by_severity
            .into_iter()
            .map(|(severity, open)| SeverityCountV1 { severity, open })
            .collect(),
        alarms_unacknowledged,
        cases_pending,
        cases_due_soon,
        cases_overdue,
        passes_since,
        passes_refused,
        boxes,
        boxes_offline,
        devices,
        devices_offline,
    }))
}
