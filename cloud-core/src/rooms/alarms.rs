//! Alarms as staff manage them: the lifecycle (sans-IO, `Life::apply`), folding the boxes'
//! alarm transitions into one row per alarm, and the staff routes: list with filters, one
//! alarm with its history, acknowledge with a comment, clear with a comment, and the live feed
//! that tells an open console which alarms changed.
//!
//! Lifecycle (ThingsBoard's): active/cleared × unacknowledged/acknowledged. One open alarm per
//! (box, source, kind), updated rather than duplicated; closed once cleared *and* acknowledged,
//! after which the next raise opens a new alarm. An acknowledgement or clear made in the cloud
//! is also queued for the box (`alarm_actions`, down with the directory cursor) so the box's
//! engine stops escalating; the box's echo of it changes nothing here.

use axum::extract::{Path, State};
use axum::{Extension, Json};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::contract::EventStream;
use crate::db::{next_change_seq, RowExt};
use crate::error::{text, ApiError, ApiResult, Body, Q};
use crate::paging::Page;
use crate::policy::Caller;
use crate::state::AppState;
use crate::{new_id, now_ms};

pub use cloud_rules::alarm::{Life, Refusal, Step, Transition};

// ---- API types (v1) --------------------------------------------------------------------------

/// One alarm as staff manage it (the box's upload of a transition is `edge_sync::sync::AlarmV1`).
#[derive(Serialize, JsonSchema)]
pub struct ManagedAlarmV1 {
    pub id: String,
    pub estate_id: String,
    pub box_id: String,
    /// Door code, device id, or "box".
    pub source: String,
    /// The registry's device with that code, when there is one.
    pub device_id: Option<String>,
    pub kind: String,
    /// critical | major | minor | warning
    pub severity: String,
    /// active_unack | active_ack | cleared_unack | cleared_ack
    pub status: String,
    pub active: bool,
    pub acked: bool,
    /// Cleared and acknowledged: the next raise opens a new alarm.
    pub closed: bool,
    /// When it was raised.
    pub at_ms: i64,
    pub updated_at_ms: i64,
    pub cleared_at_ms: Option<i64>,
    /// Who cleared it by hand (`null` when the box cleared it).
    pub cleared_by: Option<String>,
    pub clear_comment: Option<String>,
    pub acked_at_ms: Option<i64>,
    pub acked_by: Option<String>,
    pub ack_comment: Option<String>,
    /// The box's latest detail.
    pub detail: String,
}

/// One alarm with its whole history, oldest first.
#[derive(Serialize, JsonSchema)]
pub struct ManagedAlarmWithHistoryV1 {
    #[serde(flatten)]
    pub alarm: ManagedAlarmV1,
    pub history: Vec<AlarmHistoryEntryV1>,
    /// The case it was turned into, if it was.
    pub case_id: Option<String>,
}

/// One event in an alarm's history: a transition from the box, or staff's ack or clear.
#[derive(Serialize, JsonSchema)]
pub struct AlarmHistoryEntryV1 {
    pub id: String,
    pub at_ms: i64,
    /// The box's record state (`raised`, `updated`, `escalated`, `cleared`, `acked:<by>`), or
    /// `acked` / `cleared` by staff.
    pub state: String,
    pub severity: String,
    /// The box's detail, or the staff's comment.
    pub detail: String,
    /// The staff member's user name; `null` for the box's records.
    pub actor: Option<String>,
}

fn life_of(r: &sqlx::any::AnyRow) -> Result<Life, sqlx::Error> {
    Ok(Life {
        severity: r.text("severity")?,
        active: r.flag("active")?,
        acked: r.flag("acked")?,
        raised_at_ms: r.int("at_ms")?,
        updated_at_ms: r.int("updated_at_ms")?,
        cleared_at_ms: r.opt_int("cleared_at_ms")?,
        cleared_by: r.opt_text("cleared_by")?,
        clear_comment: r.opt_text("clear_comment")?,
        acked_at_ms: r.opt_int("acked_at_ms")?,
        acked_by: r.opt_text("acked_by")?,
        ack_comment: r.opt_text("ack_comment")?,
        detail: r.text("detail")?,
    })
}

/// What the live feed says: `ready` once the console is subscribed (nothing published before it
/// is missed after it), `changed` with the alarms to read again, `resync` when the console fell
/// too far behind and must reload its list.
#[derive(Serialize, JsonSchema)]
pub struct AlarmFeedEventV1 {
    pub kind: AlarmFeedKindV1,
    /// The alarms that changed (`changed` only); read them through the scoped routes.
    pub alarm_ids: Vec<String>,
}

#[derive(Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlarmFeedKindV1 {
    Ready,
    Changed,
    Resync,
}

/// Where an alarm belongs.
pub struct AlarmKey<'a> {
    pub community_id: &'a str,
    pub estate_id: &'a str,
    pub box_id: &'a str,
    pub source: &'a str,
    pub kind: &'a str,
}

/// Fold a transition into the alarms table inside the caller's transaction; returns the id of
/// the alarm it belongs to (None when there was no alarm to change) and the decision.
pub async fn fold(
    tx: &mut sqlx::AnyConnection,
    k: &AlarmKey<'_>,
    t: &Transition,
    at: i64,
) -> Result<(Option<String>, Step), sqlx::Error> {
    let open = sqlx::query(
        "SELECT * FROM alarms WHERE box_id = $1 AND source = $2 AND kind = $3 AND closed = 0",
    )
    .bind(k.box_id)
    .bind(k.source)
    .bind(k.kind)
    .fetch_optional(&mut *tx)
    .await?;
    let (id, life) = match &open {
        Some(r) => (Some(r.text("id")?), Some(life_of(r)?)),
        None => (None, None),
    };
    let step = Life::apply(life.as_ref(), t, at);
    match &step {
        Step::Open(l) => {
            let id = new_id();
            let device: Option<String> =
                sqlx::query("SELECT id FROM devices WHERE box_id = $1 AND code = $2")
                    .bind(k.box_id)
                    .bind(k.source)
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|r| r.text("id"))
                    .transpose()?;
            sqlx::query(
                "INSERT INTO alarms (id, community_id, estate_id, box_id, source, device_id, kind, severity, \
                 active, acked, closed, at_ms, updated_at_ms, detail) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, 0, 0, $9, $9, $10)",
            )
            .bind(&id)
            .bind(k.community_id)
            .bind(k.estate_id)
            .bind(k.box_id)
            .bind(k.source)
            .bind(device)
            .bind(k.kind)
            .bind(&l.severity)
            .bind(at)
            .bind(&l.detail)
            .execute(&mut *tx)
            .await?;
            Ok((Some(id), step))
        }
        Step::Update(l) => {
            let id = id.unwrap_or_default();
            sqlx::query(
                "UPDATE alarms SET severity = $1, active = $2, acked = $3, closed = $4, updated_at_ms = $5, \
                 cleared_at_ms = $6, cleared_by = $7, clear_comment = $8, acked_at_ms = $9, acked_by = $10, \
                 ack_comment = $11, detail = $12 WHERE id = $13",
            )
            .bind(&l.severity)
            .bind(i64::from(l.active))
            .bind(i64::from(l.acked))
            .bind(i64::from(l.closed()))
            .bind(l.updated_at_ms)
            .bind(l.cleared_at_ms)
            .bind(l.cleared_by.clone())
            .bind(l.clear_comment.clone())
            .bind(l.acked_at_ms)
            .bind(l.acked_by.clone())
            .bind(l.ack_comment.clone())
            .bind(&l.detail)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
            Ok((Some(id), step))
        }
        Step::Unchanged(_) => Ok((id, step)),
    }
}

fn alarm_of(r: &sqlx::any::AnyRow) -> Result<ManagedAlarmV1, sqlx::Error> {
    let l = life_of(r)?;
    Ok(ManagedAlarmV1 {
        id: r.text("id")?,
        estate_id: r.text("estate_id")?,
        box_id: r.text("box_id")?,
        source: r.text("source")?,
        device_id: r.opt_text("device_id")?,
        kind: r.text("kind")?,
        status: l.status().to_string(),
        active: l.active,
        acked: l.acked,
        closed: l.closed(),
        at_ms: l.raised_at_ms,
        updated_at_ms: l.updated_at_ms,
        cleared_at_ms: l.cleared_at_ms,
        cleared_by: l.cleared_by,
        clear_comment: l.clear_comment,
        acked_at_ms: l.acked_at_ms,
        acked_by: l.acked_by,
        ack_comment: l.ack_comment,
        severity: l.severity,
        detail: l.detail,
    })
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AlarmListQuery {
    estate_id: Option<String>,
    box_id: Option<String>,
    device_id: Option<String>,
    building_id: Option<String>,
    kind: Option<String>,
    severity: Option<String>,
    /// active_unack | active_ack | cleared_unack | cleared_ack | open
    status: Option<String>,
    from_ms: Option<i64>,
    to_ms: Option<i64>,
    limit: Option<i64>,
    before: Option<String>,
}

/// Alarms of a community, newest raise first, keyset-paginated.
pub async fn list(
    State(st): State<AppState>,
    Path(cid): Path<String>,
    Q(q): Q<AlarmListQuery>,
) -> ApiResult<Json<Page<ManagedAlarmV1>>> {
    let mut f = crate::paging::Filter::new(&cid, "alarms");
    let lim = crate::paging::limit(q.limit)?;
    f.opt_s("alarms.estate_id = $?", &q.estate_id);
    f.opt_s("alarms.box_id = $?", &q.box_id);
    f.opt_s("alarms.device_id = $?", &q.device_id);
    f.opt_s(
        "alarms.device_id IN (SELECT id FROM devices WHERE building_id = $?)",
        &q.building_id,
    );
    f.opt_s("alarms.kind = $?", &q.kind);
    f.opt_s("alarms.severity = $?", &q.severity);
    if let Some(s) = &q.status {
        let clause = match s.as_str() {
            "active_unack" => "alarms.active = 1 AND alarms.acked = 0",
            "active_ack" => "alarms.active = 1 AND alarms.acked = 1",
            "cleared_unack" => "alarms.active = 0 AND alarms.acked = 0",
            "cleared_ack" => "alarms.active = 0 AND alarms.acked = 1",
            "open" => "alarms.closed = 0",
            _ => {
                return Err(ApiError::invalid(
                    "status",
                    "must be active_unack, active_ack, cleared_unack, cleared_ack or open",
                ))
            }
        };
        f.raw(clause);
    }
    f.opt_i("alarms.at_ms >= $?", q.from_ms);
    f.opt_i("alarms.at_ms < $?", q.to_ms);
    f.before("alarms", &q.before)?;
    let rows = f
        .fetch(&st, "SELECT alarms.* FROM alarms", lim, "alarms")
        .await?;
    let items = rows.iter().map(alarm_of).collect::<Result<Vec<_>, _>>()?;
    Ok(Json(Page::new(items, lim, |a| (a.at_ms, &a.id))))
}

/// Open alarms (not closed) of a community by severity, and how many of them are active and
/// unacknowledged: the home page's alarm figures.
pub(crate) async fn open_counts(st: &AppState, cid: &str) -> ApiResult<(Vec<(String, i64)>, i64)> {
    let rows = sqlx::query(
        "SELECT severity, COUNT(*) AS n, SUM(CASE WHEN active = 1 AND acked = 0 THEN 1 ELSE 0 END) AS unacked \
         FROM alarms WHERE community_id = $1 AND closed = 0 GROUP BY severity ORDER BY severity",
    )
    .bind(cid)
    .fetch_all(&st.db.pool)
    .await?;
    let mut unacked = 0;
    let mut by_severity = Vec::with_capacity(rows.len());
    for r in &rows {
        unacked += r.int("unacked")?;
        by_severity.push((r.text("severity")?, r.int("n")?));
    }
    Ok((by_severity, unacked))
}

async fn one(st: &AppState, cid: &str, id: &str) -> ApiResult<sqlx::any::AnyRow> {
    sqlx::query("SELECT * FROM alarms WHERE id = $1 AND community_id = $2")
        .bind(id)
        .bind(cid)
        .fetch_optional(&st.db.pool)
        .await?
        .ok_or_else(|| ApiError::not_found("alarm"))
}

/// One alarm with its whole history, oldest first.
pub async fn get(
    State(st): State<AppState>,
    Path((cid, id)): Path<(String, String)>,
) -> ApiResult<Json<ManagedAlarmWithHistoryV1>> {
    let row = one(&st, &cid, &id).await?;
    let history = sqlx::query(
        "SELECT id, at_ms, state, severity, detail, actor FROM alarm_events WHERE alarm_id = $1 \
         ORDER BY at_ms, id",
    )
    .bind(&id)
    .fetch_all(&st.db.pool)
    .await?
    .iter()
    .map(|r| {
        Ok(AlarmHistoryEntryV1 {
            id: r.text("id")?,
            at_ms: r.int("at_ms")?,
            state: r.text("state")?,
            severity: r.text("severity")?,
            detail: r.text("detail")?,
            actor: r.opt_text("actor")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Json(ManagedAlarmWithHistoryV1 {
        alarm: alarm_of(&row)?,
        history,
        case_id: crate::rooms::cases::case_of_alarm(&st, &cid, &id).await?,
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    #[serde(default)]
    comment: String,
}

/// Acknowledge: who and when are recorded, with the comment.
pub async fn ack(
    st: State<AppState>,
    caller: Extension<Caller>,
    path: Path<(String, String)>,
    body: Body<CommentBody>,
) -> ApiResult<Json<ManagedAlarmV1>> {
    act(st, caller, path, body, "ack").await
}

/// Clear by hand (a condition the box cannot see end, or a stale alarm).
pub async fn clear(
    st: State<AppState>,
    caller: Extension<Caller>,
    path: Path<(String, String)>,
    body: Body<CommentBody>,
) -> ApiResult<Json<ManagedAlarmV1>> {
    act(st, caller, path, body, "clear").await
}

async fn act(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((cid, id)): Path<(String, String)>,
    Body(b): Body<CommentBody>,
    action: &'static str,
) -> ApiResult<Json<ManagedAlarmV1>> {
    let comment = if b.comment.is_empty() {
        None
    } else {
        Some(text("comment", &b.comment, 500)?)
    };
    let Caller::Account(acct) = &caller else {
        return Err(ApiError::forbidden("an account is needed"));
    };
    let by = crate::scope::username(&st, &acct.id).await?;
    let now = now_ms();
    let mut tx = st.db.pool.begin().await?;
    let row = sqlx::query("SELECT * FROM alarms WHERE id = $1 AND community_id = $2")
        .bind(&id)
        .bind(&cid)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| ApiError::not_found("alarm"))?;
    let life = life_of(&row)?;
    if life.closed() {
        return Err(ApiError::conflict(
            "alarm_closed",
            "the alarm is closed (cleared and acknowledged)",
        ));
    }
    let t = match action {
        "ack" => Transition::Acked {
            by: by.clone(),
            comment: comment.clone(),
        },
        _ => Transition::Cleared {
            by: Some(by.clone()),
            comment: comment.clone(),
        },
    };
    let key = AlarmKey {
        community_id: &cid,
        estate_id: &row.text("estate_id")?,
        box_id: &row.text("box_id")?,
        source: &row.text("source")?,
        kind: &row.text("kind")?,
    };
    let (_, step) = fold(&mut tx, &key, &t, now).await?;
    if let Step::Unchanged(why) = step {
        let code = match why {
            Refusal::AlreadyAcked => "already_acknowledged",
            Refusal::AlreadyCleared => "already_cleared",
            Refusal::NoOpenAlarm => "alarm_closed",
        };
        return Err(ApiError::conflict(code, why.to_string()));
    }
    let state = if action == "ack" { "acked" } else { "cleared" };
    sqlx::query(
        "INSERT INTO alarm_events (id, community_id, estate_id, box_id, source, kind, severity, state, detail, \
         at_ms, received_at_ms, alarm_id, actor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12)",
    )
    .bind(new_id())
    .bind(&cid)
    .bind(key.estate_id)
    .bind(key.box_id)
    .bind(key.source)
    .bind(key.kind)
    .bind(&life.severity)
    .bind(state)
    .bind(comment.clone().unwrap_or_default())
    .bind(now)
    .bind(&id)
    .bind(&by)
    .execute(&mut *tx)
    .await?;
    let seq = next_change_seq(&mut tx).await?;
    sqlx::query(
        "INSERT INTO alarm_actions (id, box_id, source, kind, action, by_name, at_ms, change_seq) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(key.box_id)
    .bind(key.source)
    .bind(key.kind)
    .bind(action)
    .bind(format!("cloud:{by}"))
    .bind(now)
    .bind(seq)
    .execute(&mut *tx)
    .await?;
    let row = sqlx::query("SELECT * FROM alarms WHERE id = $1")
        .bind(&id)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    st.feed.publish_alarms(&cid, vec![id.clone()]);
    tracing::info!(alarm_id = %id, action, "alarm changed by staff");
    Ok(Json(alarm_of(&row)?))
}

/// The live feed of this community's alarm changes (server-sent events named `alarms`). Ids
/// only: a console reads the alarms through the list and detail routes, which apply the scope.
pub async fn feed(
    State(st): State<AppState>,
    Path(cid): Path<String>,
) -> ApiResult<EventStream<AlarmFeedEventV1>> {
    use tokio::sync::broadcast::error::RecvError;
    let rx = st.feed.subscribe_alarms();
    let stopping = st.feed.stopping();
    let first = Some(AlarmFeedEventV1 {
        kind: AlarmFeedKindV1::Ready,
        alarm_ids: Vec::new(),
    });
    let events = futures_util::stream::unfold(
        (rx, stopping, cid, first),
        |(mut rx, mut stopping, cid, first)| async move {
            if let Some(ready) = first {
                return Some((("alarms", ready), (rx, stopping, cid, None)));
            }
            loop {
                if *stopping.borrow() {
                    return None;
                }
                let event = tokio::select! {
                    r = rx.recv() => match r {
                        Ok(ev) if ev.community_id == cid => AlarmFeedEventV1 {
                            kind: AlarmFeedKindV1::Changed,
                            alarm_ids: ev.alarm_ids,
                        },
                        Ok(_) => continue,
                        Err(RecvError::Lagged(_)) => AlarmFeedEventV1 {
                            kind: AlarmFeedKindV1::Resync,
                            alarm_ids: Vec::new(),
                        },
                        Err(RecvError::Closed) => return None,
                    },
                    _ = stopping.changed() => return None,
                };
                return Some((("alarms", event), (rx, stopping, cid, None)));
            }
        },
    );
    Ok(EventStream::new(events))
}
