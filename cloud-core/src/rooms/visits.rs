//! Visitor appointments and multi-address applications.
//!
//! [`VisitStatus::apply`] is the sans-IO lifecycle of a visit; the handlers load, ask it, and
//! store. An approved visit *is* the visitor's grant: boxes of the visit's estate receive it on
//! their next sync and let the visitor pass over [visit − 1 h, visit + 1 h].

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::contract::{Created, Items};
use crate::db::{next_change_seq, RowExt};
use crate::error::{phone, text, ApiError, ApiResult, Body, Q};
use crate::policy::Caller;
use crate::rooms::notifications::notify;
use crate::scope::caller_person as me;
use crate::state::AppState;
use crate::{new_id, now_ms};

pub use cloud_rules::visit::{
    mask_name, Party, VisitAction, VisitStatus, MAX_BOOK_AHEAD_MS, VISIT_WINDOW_MS,
};

// ---- API types (v1) --------------------------------------------------------------------------

/// A visit's id and stored status, answered when it is requested, decided or cancelled.
#[derive(Serialize, JsonSchema)]
pub struct VisitStatusV1 {
    pub id: String,
    /// pending | approved | refused | cancelled
    pub status: String,
}

/// One visit, as its visitor or its host sees it.
#[derive(Serialize, JsonSchema)]
pub struct VisitV1 {
    pub id: String,
    pub visit_at_ms: i64,
    pub reason: String,
    /// The status with time applied: pending | approved | refused | cancelled, or `visited` /
    /// `expired` once the window of an approved / pending visit has passed.
    pub state: String,
    /// The host's estate; `null` to the visitor until the host approved.
    pub estate_id: Option<String>,
    /// The host's name, masked to the visitor until the host approved.
    pub host: String,
    pub visitor: String,
    /// When the visitor may pass: [visit − 1 h, visit + 1 h], in ms.
    pub window: [i64; 2],
}

/// One visit as community staff see it (the gate's and the office's list): both parties by
/// name and phone, as in the pass log.
#[derive(Serialize, JsonSchema)]
pub struct StaffVisitV1 {
    pub id: String,
    pub visit_at_ms: i64,
    pub reason: String,
    /// The status with time applied: pending | approved | refused | cancelled | visited | expired.
    pub state: String,
    pub estate_id: String,
    pub host_person_id: String,
    pub host: String,
    /// The host's phone (the console masks it unless asked).
    pub host_phone: Option<String>,
    pub visitor_person_id: String,
    pub visitor: String,
    /// The visitor's phone.
    pub visitor_phone: Option<String>,
    /// When the visitor may pass: [visit − 1 h, visit + 1 h], in ms.
    pub window: [i64; 2],
    pub created_at_ms: i64,
    pub decided_at_ms: Option<i64>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffVisitsQuery {
    /// pending | approved | refused | cancelled (the stored status).
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    estate_id: Option<String>,
    /// Visits whose time is at or after this (ms).
    #[serde(default)]
    from_ms: Option<i64>,
    /// Visits whose time is before this (ms).
    #[serde(default)]
    to_ms: Option<i64>,
    #[serde(default)]
    before: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
}

/// `POST /v1/app/address-applications` answers with the new application.
#[derive(Serialize, JsonSchema)]
pub struct ApplicationPostedV1 {
    pub id: String,
    /// Always `pending`.
    pub status: String,
    /// The room is outside the applicant's home community (a street account decides).
    pub crosses_community: bool,
}

/// One application for another address, as staff see it.
#[derive(Serialize, JsonSchema)]
pub struct AddressApplicationV1 {
    pub id: String,
    pub person_id: String,
    /// The applicant's name.
    pub name: String,
    pub room_id: String,
    pub community_id: String,
    /// The room was outside the applicant's home community when they applied.
    pub crosses_community: bool,
    /// pending | approved | refused
    pub status: String,
    pub created_at_ms: i64,
}

/// An application's id and status once decided.
#[derive(Serialize, JsonSchema)]
pub struct ApplicationStatusV1 {
    pub id: String,
    /// approved | refused
    pub status: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitBody {
    host_phone: String,
    visit_at_ms: i64,
    reason: String,
    /// Which of the host's estates, when the host has homes in more than one.
    #[serde(default)]
    estate_id: Option<String>,
}

pub async fn request_visit(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Body(b): Body<VisitBody>,
) -> ApiResult<Created<VisitStatusV1>> {
    let visitor = me(&caller)?;
    let host_phone = phone("host_phone", &b.host_phone)?;
    let reason = text("reason", &b.reason, 200)?;
    let now = now_ms();
    if b.visit_at_ms < now - VISIT_WINDOW_MS || b.visit_at_ms > now + MAX_BOOK_AHEAD_MS {
        return Err(ApiError::invalid(
            "visit_at_ms",
            "must be between one hour ago and 30 days ahead",
        ));
    }
    // Every request counts, found or not: the route cannot be used to probe phones in bulk.
    {
        let key = format!("visit:{visitor}");
        let verdict =
            crate::throttles::run(&st, crate::throttles::Which::VisitRequest, &[&key], |t| {
                let v = t.check(&key, now);
                if v == crate::auth::ThrottleVerdict::Allowed {
                    t.failure(&key, now);
                }
                v
            })
            .await?;
        if let crate::auth::ThrottleVerdict::Refused { retry_after_ms } = verdict {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_attempts",
                format!(
                    "at most {} visit requests a day; try again in {} min",
                    st.cfg.visit_requests_per_day,
                    (retry_after_ms + 59_999) / 60_000
                ),
            ));
        }
    }
    let mut tx = st.db.pool.begin().await?;
    let host = sqlx::query(
        "SELECT p.id, p.name FROM people p WHERE p.phone = $1 AND p.kind <> 'visitor' AND p.enabled = 1 \
         ORDER BY p.created_at_ms LIMIT 1",
    )
    .bind(&host_phone)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::invalid("host_phone", "no resident with this phone"))?;
    let host_id = host.text("id")?;
    if host_id == visitor {
        return Err(ApiError::invalid("host_phone", "you cannot visit yourself"));
    }
    let addr = sqlx::query(
        "SELECT estate_id, community_id FROM addresses WHERE person_id = $1 AND ($2 = '' OR estate_id = $2) \
         ORDER BY created_at_ms LIMIT 1",
    )
    .bind(&host_id)
    .bind(b.estate_id.clone().unwrap_or_default())
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::invalid("estate_id", "the host has no home there"))?;
    // A host is not flooded: a visitor has at most a few undecided requests to one host.
    let pending = sqlx::query(
        "SELECT COUNT(*) AS n FROM visits WHERE visitor_person_id = $1 AND host_person_id = $2 \
         AND status = 'pending' AND visit_at_ms + $3 >= $4",
    )
    .bind(&visitor)
    .bind(&host_id)
    .bind(VISIT_WINDOW_MS)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?
    .int("n")?;
    if pending >= i64::from(st.cfg.visit_pending_per_host) {
        return Err(ApiError::conflict(
            "too_many_pending",
            "you already have requests to this host waiting for an answer",
        ));
    }
    let id = new_id();
    let seq = next_change_seq(&mut tx).await?;
    sqlx::query(
        "INSERT INTO visits (id, visitor_person_id, host_person_id, community_id, estate_id, visit_at_ms, reason, status, created_at_ms, change_seq) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9)",
    )
    .bind(&id)
    .bind(&visitor)
    .bind(&host_id)
    .bind(addr.text("community_id")?)
    .bind(addr.text("estate_id")?)
    .bind(b.visit_at_ms)
    .bind(&reason)
    .bind(now)
    .bind(seq)
    .execute(&mut *tx)
    .await?;
    notify(
        &mut tx,
        &host_id,
        "visit_requested",
        "A visitor asks to visit you",
        &id,
    )
    .await?;
    tx.commit().await?;
    Ok(Created(VisitStatusV1 {
        id,
        status: VisitStatus::Pending.code().to_string(),
    }))
}

async fn list_visits(st: &AppState, column: &str, person: &str) -> ApiResult<Json<Items<VisitV1>>> {
    let now = now_ms();
    let sql = format!(
        "SELECT v.id, v.visit_at_ms, v.reason, v.status, v.estate_id, h.name AS host, g.name AS visitor \
         FROM visits v JOIN people h ON h.id = v.host_person_id JOIN people g ON g.id = v.visitor_person_id \
         WHERE v.{column} = $1 ORDER BY v.visit_at_ms DESC LIMIT 200"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(person)
        .fetch_all(&st.db.pool)
        .await?;
    let items = rows
        .iter()
        .map(|r| {
            let status = VisitStatus::parse(&r.text("status")?).unwrap_or(VisitStatus::Cancelled);
            let at = r.int("visit_at_ms")?;
            // The visitor learns who the host is, and where, only once the host approved.
            let revealed = column == "host_person_id" || status == VisitStatus::Approved;
            let (host, estate) = if revealed {
                (r.text("host")?, Some(r.text("estate_id")?))
            } else {
                (mask_name(&r.text("host")?), None)
            };
            Ok(VisitV1 {
                id: r.text("id")?,
                visit_at_ms: at,
                reason: r.text("reason")?,
                state: status.shown(at, now).to_string(),
                estate_id: estate,
                host,
                visitor: r.text("visitor")?,
                window: [at - VISIT_WINDOW_MS, at + VISIT_WINDOW_MS],
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Json(Items::from(items)))
}

pub async fn my_visits(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<Items<VisitV1>>> {
    list_visits(&st, "visitor_person_id", &me(&caller)?).await
}

pub async fn my_visitors(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<Items<VisitV1>>> {
    list_visits(&st, "host_person_id", &me(&caller)?).await
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideBody {
    approve: bool,
    #[serde(default)]
    note: Option<String>,
}

async fn act_on_visit(
    st: &AppState,
    caller: &Caller,
    visit_id: &str,
    action: VisitAction,
) -> ApiResult<Json<VisitStatusV1>> {
    let person = me(caller)?;
    let mut tx = st.db.pool.begin().await?;
    let v = sqlx::query(
        "SELECT status, visit_at_ms, host_person_id, visitor_person_id FROM visits \
         WHERE id = $1 AND (host_person_id = $2 OR visitor_person_id = $2)",
    )
    .bind(visit_id)
    .bind(&person)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::not_found("visit"))?;
    let host = v.text("host_person_id")?;
    let visitor = v.text("visitor_person_id")?;
    let by = if host == person {
        Party::Host
    } else {
        Party::Visitor
    };
    let status = VisitStatus::parse(&v.text("status")?)
        .ok_or_else(|| ApiError::internal("bad stored status"))?;
    let next = status
        .apply(action, by, v.int("visit_at_ms")?, now_ms())
        .map_err(|why| ApiError::conflict("invalid_transition", why))?;
    let seq = next_change_seq(&mut tx).await?;
    // Only from the status we read: a concurrent decision makes this one a conflict.
    let n = sqlx::query(
        "UPDATE visits SET status = $1, decided_at_ms = $2, change_seq = $3 WHERE id = $4 AND status = $5",
    )
    .bind(next.code())
    .bind(now_ms())
    .bind(seq)
    .bind(visit_id)
    .bind(status.code())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n != 1 {
        return Err(ApiError::conflict(
            "invalid_transition",
            "the visit changed meanwhile; reload it",
        ));
    }
    let (to, kind, body) = match (next, by) {
        (VisitStatus::Approved, _) => (&visitor, "visit_approved", "Your visit was approved"),
        (VisitStatus::Refused, _) => (&visitor, "visit_refused", "Your visit was refused"),
        (_, Party::Host) => (&visitor, "visit_cancelled", "The host cancelled your visit"),
        (_, Party::Visitor) => (&host, "visit_cancelled", "The visitor cancelled the visit"),
    };
    notify(&mut tx, to, kind, body, visit_id).await?;
    tx.commit().await?;
    Ok(Json(VisitStatusV1 {
        id: visit_id.to_string(),
        status: next.code().to_string(),
    }))
}

pub async fn decide_visit(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(visit_id): Path<String>,
    Body(b): Body<DecideBody>,
) -> ApiResult<Json<VisitStatusV1>> {
    let _ = b.note;
    let action = if b.approve {
        VisitAction::Approve
    } else {
        VisitAction::Refuse
    };
    act_on_visit(&st, &caller, &visit_id, action).await
}

pub async fn cancel_visit(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(visit_id): Path<String>,
) -> ApiResult<Json<VisitStatusV1>> {
    act_on_visit(&st, &caller, &visit_id, VisitAction::Cancel).await
}

// ---- multi-address applications ------------------------------------------------------------

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyBody {
    room_id: String,
}

pub async fn apply_address(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Body(b): Body<ApplyBody>,
) -> ApiResult<Created<ApplicationPostedV1>> {
    let person = me(&caller)?;
    let p = sqlx::query("SELECT community_id FROM people WHERE id = $1 AND kind <> 'visitor'")
        .bind(&person)
        .fetch_optional(&st.db.pool)
        .await?
        .ok_or_else(|| {
            ApiError::forbidden("only registered residents may apply for another address")
        })?;
    let room = sqlx::query("SELECT community_id FROM rooms WHERE id = $1")
        .bind(&b.room_id)
        .fetch_optional(&st.db.pool)
        .await?
        .ok_or_else(|| ApiError::invalid("room_id", "no such room"))?;
    let target = room.text("community_id")?;
    let crosses = p.opt_text("community_id")?.as_deref() != Some(target.as_str());
    let id = new_id();
    sqlx::query(
        "INSERT INTO address_applications (id, person_id, room_id, community_id, crosses_community, status, note, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, 'pending', '', $6)",
    )
    .bind(&id)
    .bind(&person)
    .bind(&b.room_id)
    .bind(&target)
    .bind(i64::from(crosses))
    .bind(now_ms())
    .execute(&st.db.pool)
    .await?;
    Ok(Created(ApplicationPostedV1 {
        id,
        status: "pending".to_string(),
        crosses_community: crosses,
    }))
}

async fn list_applications(
    st: &AppState,
    community: Option<&str>,
) -> ApiResult<Json<Items<AddressApplicationV1>>> {
    let rows = sqlx::query(
        "SELECT a.id, a.person_id, p.name, a.room_id, a.community_id, a.crosses_community, a.status, a.created_at_ms \
         FROM address_applications a JOIN people p ON p.id = a.person_id \
         WHERE ($1 = '' AND a.crosses_community = 1) OR a.community_id = $1 ORDER BY a.created_at_ms DESC LIMIT 500",
    )
    .bind(community.unwrap_or(""))
    .fetch_all(&st.db.pool)
    .await?;
    let items = rows
        .iter()
        .map(|r| {
            Ok(AddressApplicationV1 {
                id: r.text("id")?,
                person_id: r.text("person_id")?,
                name: r.text("name")?,
                room_id: r.text("room_id")?,
                community_id: r.text("community_id")?,
                crosses_community: r.flag("crosses_community")?,
                status: r.text("status")?,
                created_at_ms: r.int("created_at_ms")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Json(Items::from(items)))
}

pub async fn community_applications(
    State(st): State<AppState>,
    Path(cid): Path<String>,
) -> ApiResult<Json<Items<AddressApplicationV1>>> {
    list_applications(&st, Some(&cid)).await
}

pub async fn street_applications(
    State(st): State<AppState>,
) -> ApiResult<Json<Items<AddressApplicationV1>>> {
    list_applications(&st, None).await
}

/// Decide an application. `community`: the deciding staff's community path (None = street).
/// An application that crosses communities may only be decided by a street account.
async fn decide_application(
    st: &AppState,
    caller: &Caller,
    community: Option<&str>,
    app_id: &str,
    b: DecideBody,
) -> ApiResult<Json<ApplicationStatusV1>> {
    let decided_by = match caller {
        Caller::Account(a) => a.id.clone(),
        _ => return Err(ApiError::unauthenticated("sign in first")),
    };
    let note = match b.note.as_deref() {
        Some(n) if !n.trim().is_empty() => text("note", n, 500)?,
        _ => String::new(),
    };
    let mut tx = st.db.pool.begin().await?;
    let a = sqlx::query(
        "SELECT person_id, room_id, community_id, crosses_community, status FROM address_applications \
         WHERE id = $1 AND ($2 = '' OR community_id = $2)",
    )
    .bind(app_id)
    .bind(community.unwrap_or(""))
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::not_found("application"))?;
    // Crossing is judged now, not when the resident applied (they may have moved since).
    let home = sqlx::query("SELECT community_id FROM people WHERE id = $1")
        .bind(a.text("person_id")?)
        .fetch_optional(&mut *tx)
        .await?
        .and_then(|r| r.opt_text("community_id").ok().flatten());
    let crosses = home.as_deref() != Some(a.text("community_id")?.as_str());
    if crosses && community.is_some() {
        let street = matches!(caller, Caller::Account(acct) if acct.role == crate::policy::Role::StreetAdmin);
        if !street {
            return Err(ApiError::forbidden(
                "this application crosses communities: a street account decides it",
            ));
        }
    }
    if a.text("status")? != "pending" {
        return Err(ApiError::conflict(
            "invalid_transition",
            "the application was already decided",
        ));
    }
    let status = if b.approve { "approved" } else { "refused" };
    let n = sqlx::query("UPDATE address_applications SET status = $1, decided_by = $2, decided_at_ms = $3, note = $4 WHERE id = $5 AND status = 'pending'")
        .bind(status)
        .bind(&decided_by)
        .bind(now_ms())
        .bind(&note)
        .bind(app_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n != 1 {
        return Err(ApiError::conflict(
            "invalid_transition",
            "the application was decided meanwhile",
        ));
    }
    let person = a.text("person_id")?;
    if b.approve {
        crate::rooms::registry::insert_address(&mut tx, &person, &a.text("room_id")?, None).await?;
    }
    notify(
        &mut tx,
        &person,
        "address_application",
        if b.approve {
            "Your address application was approved"
        } else {
            "Your address application was refused"
        },
        app_id,
    )
    .await?;
    tx.commit().await?;
    Ok(Json(ApplicationStatusV1 {
        id: app_id.to_string(),
        status: status.to_string(),
    }))
}

pub async fn community_decide_application(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((cid, app_id)): Path<(String, String)>,
    Body(b): Body<DecideBody>,
) -> ApiResult<Json<ApplicationStatusV1>> {
    decide_application(&st, &caller, Some(&cid), &app_id, b).await
}

pub async fn street_decide_application(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(app_id): Path<String>,
    Body(b): Body<DecideBody>,
) -> ApiResult<Json<ApplicationStatusV1>> {
    decide_application(&st, &caller, None, &app_id, b).await
}

/// `GET /v1/communities/{community_id}/visits`: the community's visitor appointments, latest
/// visit time first, keyset pages. Hosts decide them in the app; staff see who is expected.
pub async fn staff_visits(
    State(st): State<AppState>,
    Path(cid): Path<String>,
    Q(q): Q<StaffVisitsQuery>,
) -> ApiResult<Json<crate::paging::Page<StaffVisitV1>>> {
    let lim = crate::paging::limit(q.limit)?;
    if let Some(s) = &q.status {
        if VisitStatus::parse(s).is_none() {
            return Err(ApiError::invalid(
                "status",
                "must be pending, approved, refused or cancelled",
            ));
        }
    }
    // The list's order and keyset are the visit time, named `at_ms` for the shared pager.
    let mut f = crate::paging::Filter::new(&cid, "v");
    f.opt_s("v.status = $?", &q.status);
    f.opt_s("v.estate_id = $?", &q.estate_id);
    f.opt_i("v.at_ms >= $?", q.from_ms);
    f.opt_i("v.at_ms < $?", q.to_ms);
    f.before("v", &q.before)?;
    let rows = f
        .fetch(
            &st,
            "SELECT v.* FROM (SELECT visits.*, visits.visit_at_ms AS at_ms, h.name AS host, \
             h.phone AS host_phone, g.name AS visitor, g.phone AS visitor_phone FROM visits \
             JOIN people h ON h.id = visits.host_person_id \
             JOIN people g ON g.id = visits.visitor_person_id) v",
            lim,
            "v",
        )
        .await?;
    let now = now_ms();
    let items = rows
        .iter()
        .map(|r| {
            let status = VisitStatus::parse(&r.text("status")?).unwrap_or(VisitStatus::Cancelled);
            let at = r.int("visit_at_ms")?;
            Ok(StaffVisitV1 {
                id: r.text("id")?,
                visit_at_ms: at,
                reason: r.text("reason")?,
                state: status.shown(at, now).to_string(),
                estate_id: r.text("estate_id")?,
                host_person_id: r.text("host_person_id")?,
                host: r.text("host")?,
                host_phone: r.opt_text("host_phone")?,
                visitor_person_id: r.text("visitor_person_id")?,
                visitor: r.text("visitor")?,
                visitor_phone: r.opt_text("visitor_phone")?,
                window: [at - VISIT_WINDOW_MS, at + VISIT_WINDOW_MS],
                created_at_ms: r.int("created_at_ms")?,
                decided_at_ms: r.opt_int("decided_at_ms")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Json(crate::paging::Page::new(items, lim, |v| {
        (v.visit_at_ms, &v.id)
    })))
}
