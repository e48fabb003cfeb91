//! Case management over HTTP and SQL: reporting (staff, seat operators, residents from the app,
//! an edge alarm in one call), the lists with their filters, one case with its history and the
//! operations the caller may start, and every workflow operation. The rules are the sans-IO
//! core's (`crate::cases`); this module checks what only the database knows (referenced
//! accounts, cases, grids, buildings and attachments exist in scope), picks the duplicate
//! candidates, and stores what the core returns: the case row and one history entry, in one
//! transaction guarded by the case's version.

pub mod export;

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::cases::{
    self, Actor, Applied, Case, CaseError, CaseOp, CaseRole, CaseStatus, CategoryTree, DupConfig,
    DupMatch, DupSubject, ErrorClass, HistoryEntry, NewCase, OpKind, Timeliness,
};
use crate::contract::{Attachment, Created, Docx, File, FileKind, Html, Items, Xlsx};
use crate::db::{Engine, RowExt};
use crate::error::{ApiError, ApiResult, Body, Q};
use crate::paging::Page;
use crate::policy::{Caller, Role};
use crate::scope::{InCommunity, Kind};
use crate::state::AppState;
use crate::{new_id, now_ms};

/// The category tree a new street starts with (replace it with `PUT /v1/street/case-categories`).
const DEFAULT_TREE: &str = include_str!("../../../case-categories.default.json");

// ---- API types (v1) --------------------------------------------------------------------------

/// Where a case stands against its active deadline, as a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimelinessV1 {
    /// Not in a stage that runs against a deadline.
    NoDeadline,
    OnTime,
    /// Within a day of the deadline.
    DueSoon,
    Overdue,
}

impl From<Timeliness> for TimelinessV1 {
    fn from(t: Timeliness) -> TimelinessV1 {
        match t {
            Timeliness::NoDeadline => TimelinessV1::NoDeadline,
            Timeliness::OnTime { .. } => TimelinessV1::OnTime,
            Timeliness::DueSoon { .. } => TimelinessV1::DueSoon,
            Timeliness::Overdue { .. } => TimelinessV1::Overdue,
        }
    }
}

/// One case as the caller sees it: the whole case, its timeliness, and what the caller may do
/// next (the answer to a report and to an operation).
#[derive(Serialize, JsonSchema)]
pub struct CaseV1 {
    #[serde(flatten)]
    pub case: Case,
    pub timeliness: TimelinessV1,
    /// The operations the caller may start now.
    pub available_ops: Vec<OpKind>,
}

/// One case with its whole history, oldest first.
#[derive(Serialize, JsonSchema)]
pub struct CaseDetailV1 {
    #[serde(flatten)]
    pub case: CaseV1,
    pub history: Vec<HistoryEntry>,
}

/// A case in a list, from the index columns only.
#[derive(Serialize, JsonSchema)]
pub struct CaseRowV1 {
    pub id: String,
    pub number: String,
    pub status: CaseStatus,
    pub source: cases::Source,
    pub supervision: bool,
    pub self_handled: bool,
    pub category: cases::CategoryPath,
    pub grid: cases::GridPath,
    pub problem: String,
    /// The location as text.
    pub location: String,
    pub handling_kind: Option<cases::UnitKind>,
    pub handling_unit: Option<String>,
    pub handler: Option<String>,
    /// Who must act now.
    pub assignee: Option<String>,
    /// The active deadline.
    pub deadline_ms: Option<i64>,
    pub timeliness: TimelinessV1,
    /// The reporting account.
    pub reported_by: String,
    /// When it was reported.
    pub at_ms: i64,
    pub updated_at_ms: i64,
}

/// An uploaded file; refer to it by `id` in a report or an operation.
#[derive(Serialize, JsonSchema)]
pub struct AttachmentV1 {
    pub id: String,
    pub name: String,
    pub media_type: String,
    pub size_bytes: i64,
    /// SHA-256 of the bytes, lower-case hex.
    pub sha256: String,
}

/// A report body: a JSON object (never an array) of the report's fields.
#[derive(JsonSchema)]
#[schemars(transparent, inline)]
pub struct ReportBody(ReportFields);

/// A report (`POST …/cases`, `POST /v1/app/cases`): the core's `NewCase`, whose community is
/// the path's (or, from the app, the account's).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ReportBody")]
struct ReportFields {
    /// Leave it out; if given it must be the community the report goes to (from the app:
    /// required for accounts without a home community).
    #[serde(default, deserialize_with = "given")]
    #[schemars(with = "String")]
    community_id: Option<Given>,
    kind: cases::CaseKind,
    category: cases::CategoryPath,
    grid: cases::GridPath,
    source: cases::Source,
    /// 督查上报: only on snap-and-report, only from staff.
    #[serde(default)]
    supervision: bool,
    /// 区域
    #[serde(default)]
    area: Option<String>,
    location: cases::Location,
    severity: cases::Severity,
    /// 问题描述: what is wrong, as reported.
    problem: String,
    /// 案件描述: the case as written up; may be empty at report time.
    #[serde(default)]
    description: String,
    #[serde(default)]
    linked: cases::Linked,
    #[serde(default)]
    attachments: Vec<cases::AttachmentRef>,
    /// What it came from: an alarm id, hotline ticket, warning or suggestion id.
    #[serde(default)]
    source_ref: Option<String>,
    /// 自行处理: the reporting staff member handles it alone (§2.1.5).
    #[serde(default)]
    self_handled: bool,
}

/// Like the untyped body it replaces, a report is an object only (serde would also take a
/// struct's fields as an array).
impl<'de> Deserialize<'de> for ReportBody {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct MapOnly;
        impl<'de> serde::de::Visitor<'de> for MapOnly {
            type Value = ReportBody;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, m: A) -> Result<ReportBody, A::Error> {
                ReportFields::deserialize(serde::de::value::MapAccessDeserializer::new(m))
                    .map(ReportBody)
            }
        }
        d.deserialize_map(MapOnly)
    }
}

/// A report's `community_id` as given: a string, or anything else (refused by the handler,
/// naming the field, as before the body was typed).
enum Given {
    Text(String),
    NotText,
}

fn given<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Given>, D::Error> {
    Ok(Some(match Value::deserialize(d)? {
        Value::String(s) => Given::Text(s),
        _ => Given::NotText,
    }))
}

/// How a case is stored in `cases.body`: the core's case, versioned so the core may change.
#[derive(Serialize, Deserialize, schemars::JsonSchema)]
struct StoredCaseV1 {
    v: u32,
    case: Case,
}

fn encode(c: &Case) -> ApiResult<String> {
    serde_json::to_string(&StoredCaseV1 {
        v: 1,
        case: c.clone(),
    })
    .map_err(|e| ApiError::internal(format!("case not encodable: {e}")))
}

fn decode(body: &str) -> ApiResult<Case> {
    let s: StoredCaseV1 = serde_json::from_str(body)
        .map_err(|e| ApiError::internal(format!("stored case unreadable: {e}")))?;
    if s.v != 1 {
        return Err(ApiError::internal(format!(
            "stored case has version {}, this build reads 1",
            s.v
        )));
    }
    Ok(s.case)
}

/// The core's refusal as an API error: 400 naming the field, 403, or 409.
fn case_err(e: CaseError) -> ApiError {
    let (status, code) = match (e.class(), &e) {
        (ErrorClass::BadRequest, _) => (StatusCode::BAD_REQUEST, "invalid_field"),
        (ErrorClass::Forbidden, _) => (StatusCode::FORBIDDEN, "forbidden"),
        (_, CaseError::LikelyDuplicate { .. }) => (StatusCode::CONFLICT, "likely_duplicate"),
        (_, CaseError::IllegalTransition { .. }) => (StatusCode::CONFLICT, "illegal_transition"),
        _ => (StatusCode::CONFLICT, "case_conflict"),
    };
    let mut a = ApiError::new(status, code, e.to_string());
    a.field = e.field().map(str::to_string);
    a
}

fn unit_code(k: cases::UnitKind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn actor(caller: &Caller) -> ApiResult<Actor> {
    match caller {
        Caller::Account(a) => Ok(Actor::new(&a.id, a.role.into(), a.community_id.as_deref())),
        _ => Err(ApiError::forbidden("an account is needed")),
    }
}

/// The street's category tree: stored by a street admin, or the default one.
pub async fn category_tree(st: &AppState) -> ApiResult<Arc<CategoryTree>> {
    if let Some(tree) = st.categories.fresh() {
        return Ok(tree);
    }
    let stored = sqlx::query("SELECT tree FROM case_categories WHERE id = 'street'")
        .fetch_optional(&st.db.pool)
        .await?;
    let text = match &stored {
        Some(r) => r.text("tree")?,
        None => DEFAULT_TREE.to_string(),
    };
    let tree: Arc<CategoryTree> = Arc::new(
        serde_json::from_str(&text)
            .map_err(|e| ApiError::internal(format!("category tree unreadable: {e}")))?,
    );
    st.categories.keep(tree.clone());
    Ok(tree)
}

/// `GET …/case-categories`: the tree reports choose from.
pub async fn get_categories(State(st): State<AppState>) -> ApiResult<Json<CategoryTree>> {
    Ok(Json(CategoryTree::clone(&*category_tree(&st).await?)))
}

/// `PUT /v1/street/case-categories`: replace the tree (existing cases keep their codes).
pub async fn put_categories(
    State(st): State<AppState>,
    Body(tree): Body<CategoryTree>,
) -> ApiResult<Json<CategoryTree>> {
    tree.check().map_err(|r| ApiError::invalid("majors", r))?;
    let text = serde_json::to_string(&tree).map_err(|e| ApiError::internal(e.to_string()))?;
    sqlx::query(
        "INSERT INTO case_categories (id, tree, updated_at_ms) VALUES ('street', $1, $2) \
         ON CONFLICT (id) DO UPDATE SET tree = $1, updated_at_ms = $2",
    )
    .bind(&text)
    .bind(now_ms())
    .execute(&st.db.pool)
    .await?;
    st.categories.keep(Arc::new(tree.clone()));
    Ok(Json(tree))
}

/// Checks only the database can make about a report: the grids, the building, linked people and
/// attachments are this community's (`scope::InCommunity`).
async fn check_refs(st: &AppState, new: &NewCase) -> ApiResult<()> {
    let scope = InCommunity::new(&new.community_id);
    let db = &st.db.pool;
    let grids = [
        ("grid.level1", Some(&new.grid.level1)),
        ("grid.level2", new.grid.level2.as_ref()),
        ("grid.level3", new.grid.level3.as_ref()),
    ];
    for (field, g) in grids {
        if let Some(g) = g {
            scope.require(db, Kind::Grid, field, g).await?;
        }
    }
    if let Some(b) = &new.location.building_id {
        scope
            .require(db, Kind::Building, "location.building_id", b)
            .await?;
    }
    for (i, p) in new.linked.person_ids.iter().enumerate() {
        scope
            .require(db, Kind::Person, &format!("linked.person_ids[{i}]"), p)
            .await?;
    }
    for (i, h) in new.linked.house_ids.iter().enumerate() {
        scope
            .require(db, Kind::Room, &format!("linked.house_ids[{i}]"), h)
            .await?;
    }
    check_attachments(st, &scope, "attachments", &new.attachments).await
}

async fn check_attachments(
    st: &AppState,
    scope: &InCommunity<'_>,
    field: &str,
    list: &[cases::AttachmentRef],
) -> ApiResult<()> {
    for (i, a) in list.iter().enumerate() {
        scope
            .require(
                &st.db.pool,
                Kind::Attachment,
                &format!("{field}[{i}].id"),
                &a.id,
            )
            .await?;
    }
    Ok(())
}

/// The next case number of the day, inside the caller's transaction.
async fn next_number(tx: &mut sqlx::AnyConnection, now: i64) -> ApiResult<String> {
    let day = cases::deadline::local_day(now);
    let last = sqlx::query(
        "INSERT INTO case_numbers (day, last) VALUES ($1, 1) \
         ON CONFLICT (day) DO UPDATE SET last = case_numbers.last + 1 RETURNING last",
    )
    .bind(&day)
    .fetch_one(&mut *tx)
    .await?
    .int("last")?;
    Ok(cases::case_number(
        now,
        u32::try_from(last).unwrap_or(u32::MAX),
    ))
}

/// The next case number of the day in a statement of its own, committed without waiting for
/// the WAL flush (PostgreSQL).
///
/// Why: inside the report's transaction the day's counter row stays locked through that
/// transaction's commit fsync, so every report of the day queued behind the previous one's.
/// Committed asynchronously the lock is let go at once. It is still safe: the WAL is flushed in
/// order, so a case that is durable carries its number's increment with it; a crash can only
/// lose increments no stored case used. The price is a gap in the day's numbers when the
/// report's own transaction then fails. One round trip: the statement is its own transaction,
/// and `set_config(…, true)` holds until that transaction's commit.
async fn next_number_apart(st: &AppState, now: i64) -> ApiResult<String> {
    let day = cases::deadline::local_day(now);
    let last = sqlx::query(
        "INSERT INTO case_numbers (day, last) \
         SELECT $1, 1 FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit \
         ON CONFLICT (day) DO UPDATE SET last = case_numbers.last + 1 RETURNING last",
    )
    .bind(&day)
    .fetch_one(&st.db.pool)
    .await?
    .int("last")?;
    Ok(cases::case_number(
        now,
        u32::try_from(last).unwrap_or(u32::MAX),
    ))
}

/// How a case is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Write {
    /// An update of the stored `version`, inside the caller's transaction.
    Update { old_version: u32 },
    /// An insert, inside the caller's transaction.
    Insert,
    /// An insert of a case with no co-handlers, the case row and its first history entry in one
    /// PostgreSQL statement (a data-modifying CTE) that is its own transaction: one round trip
    /// instead of four (BEGIN, two INSERTs, COMMIT), which is most of what a report costs.
    InsertOneStatement,
}

/// Write a new or changed case and its one new history entry.
async fn store(tx: &mut sqlx::AnyConnection, applied: &Applied, how: Write) -> ApiResult<()> {
    let c = &applied.case;
    let e = &applied.entry;
    let entry = serde_json::to_string(e).map_err(|e| ApiError::internal(e.to_string()))?;
    let ix = c.index();
    let body = encode(c)?;
    let point = c.data.location.point;
    let binds = |q: sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments>| {
        let q = q
            .bind(ix.status)
            .bind(ix.source)
            .bind(c.data.source_ref.clone())
            .bind(i64::from(ix.supervision))
            .bind(i64::from(ix.self_handled))
            .bind(ix.category_major.clone())
            .bind(ix.category_middle.clone())
            .bind(ix.category_minor.clone())
            .bind(ix.grid_level1.clone())
            .bind(ix.grid_level2.clone())
            .bind(ix.grid_level3.clone())
            .bind(ix.handling_kind.map(unit_code))
            .bind(ix.handling_unit.clone())
            .bind(ix.handler.clone())
            .bind(ix.inspector.clone())
            .bind(ix.dispatcher.clone())
            .bind(ix.assignee.clone())
            .bind(ix.active_deadline_ms)
            .bind(i64::from(ix.extension_open))
            .bind(ix.updated_at_ms)
            .bind(ix.keywords.clone())
            .bind(c.data.problem.clone())
            .bind(c.data.location.text.clone());
        q.bind(point.map(|p| p.lat))
            .bind(point.map(|p| p.lon))
            .bind(i64::from(ix.version))
            .bind(body.clone())
    };
    const INSERT_CASE: &str = "INSERT INTO cases (status, source, source_ref, supervision, self_handled, category_major, \
         category_middle, category_minor, grid1, grid2, grid3, handling_kind, handling_unit, handler, \
         inspector, dispatcher, assignee, deadline_ms, extension_open, updated_at_ms, keywords, problem, \
         location_text, lat, lon, version, body, id, community_id, number, reported_by, at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, \
         $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32)";
    let history_binds = |q: sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments>| {
        q.bind(i64::from(e.seq))
            .bind(e.at_ms)
            .bind(e.actor.account_id.clone())
            .bind(e.op.code())
            .bind(e.from.map(|s| s.code().to_string()))
            .bind(e.to.code())
            .bind(entry.clone())
    };
    match how {
        Write::InsertOneStatement => {
            debug_assert!(c.co_handlers.is_empty());
            let sql = format!(
                "WITH new_case AS ({INSERT_CASE} RETURNING id) \
                 INSERT INTO case_history (case_id, seq, at_ms, actor, op, from_status, to_status, entry) \
                 SELECT id, $33, $34, $35, $36, $37, $38, $39 FROM new_case"
            );
            let q = binds(sqlx::query(sqlx::AssertSqlSafe(sql)))
                .bind(c.id.clone())
                .bind(c.data.community_id.clone())
                .bind(c.number.clone())
                .bind(ix.reported_by.clone())
                .bind(ix.reported_at_ms);
            history_binds(q).execute(&mut *tx).await?;
            return Ok(());
        }
        Write::Insert => {
            binds(sqlx::query(INSERT_CASE))
                .bind(c.id.clone())
                .bind(c.data.community_id.clone())
                .bind(c.number.clone())
                .bind(ix.reported_by.clone())
                .bind(ix.reported_at_ms)
                .execute(&mut *tx)
                .await?;
        }
        Write::Update { old_version: old } => {
            let q = sqlx::query(
                "UPDATE cases SET status = $1, source = $2, source_ref = $3, supervision = $4, self_handled = $5, \
                 category_major = $6, category_middle = $7, category_minor = $8, grid1 = $9, grid2 = $10, \
                 grid3 = $11, handling_kind = $12, handling_unit = $13, handler = $14, inspector = $15, \
                 dispatcher = $16, assignee = $17, deadline_ms = $18, extension_open = $19, updated_at_ms = $20, \
                 keywords = $21, problem = $22, location_text = $23, lat = $24, lon = $25, version = $26, \
                 body = $27 WHERE id = $28 AND version = $29",
            );
            let n = binds(q)
                .bind(c.id.clone())
                .bind(i64::from(old))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Err(ApiError::conflict(
                    "case_changed",
                    "the case changed meanwhile; reload it and try again",
                ));
            }
            sqlx::query("DELETE FROM case_co_handlers WHERE case_id = $1")
                .bind(&c.id)
                .execute(&mut *tx)
                .await?;
        }
    }
    for co in &c.co_handlers {
        sqlx::query(
            "INSERT INTO case_co_handlers (case_id, account_id, kind) VALUES ($1, $2, $3) \
             ON CONFLICT (case_id, account_id) DO NOTHING",
        )
        .bind(&c.id)
        .bind(&co.who.account_id)
        .bind(unit_code(co.who.kind))
        .execute(&mut *tx)
        .await?;
    }
    let q = sqlx::query(
        "INSERT INTO case_history (case_id, seq, at_ms, actor, op, from_status, to_status, entry) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(c.id.clone());
    history_binds(q).execute(&mut *tx).await?;
    Ok(())
}

/// Report a case as `actor` into `new.community_id` (every front door: staff, the app, alarms,
/// suggestions, Open311).
pub(crate) async fn report_as(st: &AppState, actor: &Actor, new: NewCase) -> ApiResult<CaseV1> {
    check_refs(st, &new).await?;
    let tree = category_tree(st).await?;
    let now = now_ms();
    let id = new_id();
    // Refusals come before a number is taken, so refused reports leave no gaps.
    Case::report(&id, "AJ-unnumbered", &new, actor, &tree, now).map_err(case_err)?;
    let applied = match st.db.engine {
        Engine::Postgres => {
            let number = next_number_apart(st, now).await?;
            let applied = Case::report(&id, &number, &new, actor, &tree, now).map_err(case_err)?;
            if applied.case.co_handlers.is_empty() {
                let mut conn = st.db.pool.acquire().await?;
                store(&mut conn, &applied, Write::InsertOneStatement).await?;
            } else {
                let mut tx = st.db.pool.begin().await?;
                store(&mut tx, &applied, Write::Insert).await?;
                tx.commit().await?;
            }
            applied
        }
        // SQLite has one writer anyway; the number stays in the report's transaction.
        Engine::Sqlite => {
            let mut tx = st.db.pool.begin().await?;
            let number = next_number(&mut tx, now).await?;
            let applied = Case::report(&id, &number, &new, actor, &tree, now).map_err(case_err)?;
            store(&mut tx, &applied, Write::Insert).await?;
            tx.commit().await?;
            applied
        }
    };
    let number = &applied.case.number;
    tracing::info!(case_id = %id, number = %number, source = applied.case.data.source.code(), "case reported");
    Ok(case_view(&applied.case, actor, now))
}

/// A report body: the core's `NewCase`, with the community taken from the path.
fn new_case(ReportBody(body): ReportBody, community: &str) -> ApiResult<NewCase> {
    match &body.community_id {
        None => {}
        Some(Given::Text(c)) if c == community => {}
        Some(_) => {
            return Err(ApiError::invalid(
                "community_id",
                "leave it out, or give the community of the path",
            ))
        }
    }
    Ok(NewCase {
        community_id: community.to_string(),
        kind: body.kind,
        category: body.category,
        grid: body.grid,
        source: body.source,
        supervision: body.supervision,
        area: body.area,
        location: body.location,
        severity: body.severity,
        problem: body.problem,
        description: body.description,
        linked: body.linked,
        attachments: body.attachments,
        source_ref: body.source_ref,
        self_handled: body.self_handled,
    })
}

/// `POST /v1/communities/{id}/cases`: staff, seat operators and field staff report.
pub async fn report(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(cid): Path<String>,
    Body(body): Body<ReportBody>,
) -> ApiResult<Created<CaseV1>> {
    let actor = actor(&caller)?;
    let new = new_case(body, &cid)?;
    Ok(Created(report_as(&st, &actor, new).await?))
}

/// `POST /v1/app/cases`: a resident reports in their own community; a visitor or enterprise
/// account names the community.
pub async fn app_report(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Body(body): Body<ReportBody>,
) -> ApiResult<Created<CaseV1>> {
    let Caller::Account(acct) = &caller else {
        return Err(ApiError::forbidden("an account is needed"));
    };
    let given = match &body.0.community_id {
        None => None,
        Some(Given::Text(c)) => Some(c.as_str()),
        Some(Given::NotText) => return Err(ApiError::invalid("community_id", "must be a string")),
    };
    let community = app_community(&st, acct, given).await?;
    let actor = actor(&caller)?;
    let new = new_case(body, &community)?;
    Ok(Created(report_as(&st, &actor, new).await?))
}

/// The community an app account acts in: a resident's own (naming another is refused); a
/// visitor or enterprise account must name an existing one.
pub(crate) async fn app_community(
    st: &AppState,
    acct: &crate::policy::Account,
    given: Option<&str>,
) -> ApiResult<String> {
    match (&acct.community_id, given) {
        (Some(own), None) => Ok(own.clone()),
        (Some(own), Some(c)) if c == own => Ok(own.clone()),
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "community_id",
            "residents act in their own community",
        )),
        (None, Some(c)) if crate::scope::community_exists(st, c).await? => Ok(c.to_string()),
        (None, Some(_)) => Err(ApiError::invalid("community_id", "no such community")),
        (None, None) => Err(ApiError::invalid("community_id", "required")),
    }
}

/// `GET /v1/app/cases/mine`: what I reported, newest first, with its state.
pub async fn app_mine(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> ApiResult<Json<Items<CaseRowV1>>> {
    let actor = actor(&caller)?;
    let rows = sqlx::query(
        "SELECT * FROM cases WHERE reported_by = $1 ORDER BY at_ms DESC, id DESC LIMIT 200",
    )
    .bind(&actor.account_id)
    .fetch_all(&st.db.pool)
    .await?;
    let now = now_ms();
    let items = rows
        .iter()
        .map(|r| row_view(r, now))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(Items { items }))
}

/// A code column (status, source, unit kind) read as the enum whose serde name it holds.
fn code_column<T: serde::de::DeserializeOwned>(
    r: &sqlx::any::AnyRow,
    col: &str,
) -> Result<Option<T>, sqlx::Error> {
    r.opt_text(col)?
        .map(|s| {
            serde_json::from_value(Value::String(s)).map_err(|e| sqlx::Error::ColumnDecode {
                index: col.to_string(),
                source: Box::new(e),
            })
        })
        .transpose()
}

/// A code column that is never null.
fn code_column_req<T: serde::de::DeserializeOwned>(
    r: &sqlx::any::AnyRow,
    col: &str,
) -> Result<T, sqlx::Error> {
    code_column(r, col)?.ok_or_else(|| sqlx::Error::ColumnNotFound(col.to_string()))
}

/// A list row, from the index columns only.
fn row_view(r: &sqlx::any::AnyRow, now: i64) -> Result<CaseRowV1, sqlx::Error> {
    let deadline = r.opt_int("deadline_ms")?;
    let t = cases::timeliness(deadline, now, cases::DUE_SOON_MS);
    Ok(CaseRowV1 {
        id: r.text("id")?,
        number: r.text("number")?,
        status: code_column_req(r, "status")?,
        source: code_column_req(r, "source")?,
        supervision: r.flag("supervision")?,
        self_handled: r.flag("self_handled")?,
        category: cases::CategoryPath {
            major: r.text("category_major")?,
            middle: r.text("category_middle")?,
            minor: r.text("category_minor")?,
        },
        grid: cases::GridPath {
            level1: r.text("grid1")?,
            level2: r.opt_text("grid2")?,
            level3: r.opt_text("grid3")?,
        },
        problem: r.text("problem")?,
        location: r.text("location_text")?,
        handling_kind: code_column(r, "handling_kind")?,
        handling_unit: r.opt_text("handling_unit")?,
        handler: r.opt_text("handler")?,
        assignee: r.opt_text("assignee")?,
        deadline_ms: deadline,
        timeliness: t.into(),
        reported_by: r.text("reported_by")?,
        at_ms: r.int("at_ms")?,
        updated_at_ms: r.int("updated_at_ms")?,
    })
}

/// One case as the caller sees it: everything, timeliness, and what they may do next.
fn case_view(c: &Case, actor: &Actor, now: i64) -> CaseV1 {
    CaseV1 {
        case: c.clone(),
        timeliness: c.timeliness(now, cases::DUE_SOON_MS).into(),
        available_ops: c.available_ops(actor),
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// all | pending | finished | co_handling | dispatch | mine | self_handled | supervision
    #[serde(default)]
    view: Option<String>,
    status: Option<String>,
    source: Option<String>,
    /// The handling unit's kind (`city_bureau`, `grid_worker`, …).
    handling_kind: Option<String>,
    unit: Option<String>,
    number: Option<String>,
    /// Any grid level.
    grid: Option<String>,
    category: Option<String>,
    keyword: Option<String>,
    /// overdue | due_soon
    timeliness: Option<String>,
    from_ms: Option<i64>,
    to_ms: Option<i64>,
    limit: Option<i64>,
    before: Option<String>,
}

/// `GET /v1/communities/{id}/cases`: the lists of §2.1 with filters, newest first, keyset pages.
pub async fn list(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(cid): Path<String>,
    Q(q): Q<ListQuery>,
) -> ApiResult<Json<Page<CaseRowV1>>> {
    let actor = actor(&caller)?;
    let lim = crate::paging::limit(q.limit)?;
    let now = now_ms();
    let rows = query_cases(&st, &actor, &cid, &q, lim, now).await?;
    let items = rows
        .iter()
        .map(|r| row_view(r, now))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(Page::new(items, lim, |c| (c.at_ms, &c.id))))
}

/// The rows of a list: its view and filters, newest first, at most `lim`.
async fn query_cases(
    st: &AppState,
    actor: &Actor,
    cid: &str,
    q: &ListQuery,
    lim: i64,
    now: i64,
) -> ApiResult<Vec<sqlx::any::AnyRow>> {
    let me = actor.account_id.clone();
    let mut f = crate::paging::Filter::new(cid, "cases");
    match q.view.as_deref().unwrap_or("all") {
        "all" => {}
        "pending" => f.raw("cases.status = 'pending'"),
        "finished" => f.raw("cases.status IN ('closed', 'voided')"),
        "co_handling" => f.opt_s(
            "cases.id IN (SELECT case_id FROM case_co_handlers WHERE account_id = $?)",
            &Some(me.clone()),
        ),
        "dispatch" => f.opt_s("cases.dispatcher = $?", &Some(me.clone())),
        "mine" => f.opt_s("cases.assignee = $?", &Some(me.clone())),
        "self_handled" => f.raw("cases.self_handled = 1"),
        "supervision" => f.raw("cases.supervision = 1"),
        _ => {
            return Err(ApiError::invalid(
                "view",
                "must be all, pending, finished, co_handling, dispatch, mine, self_handled or supervision",
            ))
        }
    }
    // Case workers who are not managers see only the cases they take part in.
    let manager = matches!(
        actor.role,
        cases::CaseRole::StreetAdmin | cases::CaseRole::CommunityStaff
    );
    if !manager {
        f.opt_s(
            "(cases.reported_by = $? OR cases.assignee = $? OR cases.handler = $? OR cases.inspector = $? \
             OR cases.dispatcher = $? OR cases.id IN (SELECT case_id FROM case_co_handlers WHERE account_id = $?))",
            &Some(me.clone()),
        );
    }
    if let Some(s) = &q.status {
        if CaseStatus::parse(s).is_none() {
            return Err(ApiError::invalid("status", "not a case status"));
        }
        f.opt_s("cases.status = $?", &q.status);
    }
    if let Some(s) = &q.source {
        if cases::Source::parse(s).is_none() {
            return Err(ApiError::invalid("source", "not a case source"));
        }
        f.opt_s("cases.source = $?", &q.source);
    }
    f.opt_s("cases.handling_kind = $?", &q.handling_kind);
    f.opt_s("cases.handling_unit = $?", &q.unit);
    f.opt_s("cases.number = $?", &q.number);
    f.opt_s("cases.category_minor = $?", &q.category);
    f.opt_s(
        "(cases.grid1 = $? OR cases.grid2 = $? OR cases.grid3 = $?)",
        &q.grid,
    );
    if let Some(k) = &q.keyword {
        let k = k.trim();
        if k.is_empty() || k.chars().count() > 50 {
            return Err(ApiError::invalid("keyword", "must be 1 to 50 characters"));
        }
        f.opt_s(
            "cases.keywords LIKE $? ESCAPE '\\'",
            &Some(crate::db::contains_pattern(k)),
        );
    }
    match q.timeliness.as_deref() {
        None => {}
        // `+deadline_ms`: not through the deadline index (which serves the home page's counts):
        // a page of the newest overdue cases is found fastest walking the time index.
        Some("overdue") => f.opt_i("+cases.deadline_ms < $?", Some(now)),
        Some("due_soon") => {
            f.opt_i("+cases.deadline_ms >= $?", Some(now));
            f.opt_i("+cases.deadline_ms <= $?", Some(now + cases::DUE_SOON_MS));
        }
        Some(_) => {
            return Err(ApiError::invalid(
                "timeliness",
                "must be overdue or due_soon",
            ))
        }
    }
    f.opt_i("cases.at_ms >= $?", q.from_ms);
    f.opt_i("cases.at_ms < $?", q.to_ms);
    f.before("cases", &q.before)?;
    f.fetch(st, "SELECT cases.* FROM cases", lim, "cases").await
}

/// Display names an export needs: account user names, grid names, the category tree.
/// The home page's case figures for a community, each the count of the list it opens: pending
/// (view `pending`), due within [`cases::DUE_SOON_MS`] and overdue (`timeliness`).
pub(crate) async fn case_counts(st: &AppState, cid: &str, now: i64) -> ApiResult<(i64, i64, i64)> {
    let r = sqlx::query(
        "SELECT \
           (SELECT COUNT(*) FROM cases WHERE community_id = $1 AND status = 'pending') AS pending, \
           (SELECT COUNT(*) FROM cases WHERE community_id = $1 AND deadline_ms >= $2 AND deadline_ms <= $3) AS due_soon, \
           (SELECT COUNT(*) FROM cases WHERE community_id = $1 AND deadline_ms < $2) AS overdue",
    )
    .bind(cid)
    .bind(now)
    .bind(now + cases::DUE_SOON_MS)
    .fetch_one(&st.db.pool)
    .await?;
    Ok((r.int("pending")?, r.int("due_soon")?, r.int("overdue")?))
}

async fn display_names(
    st: &AppState,
    cid: &str,
) -> ApiResult<crate::rooms::cases::export::DisplayNames> {
    let mut names = crate::rooms::cases::export::DisplayNames::default();
    // Only accounts that can appear in this community's cases: its own and street-wide ones.
    for r in sqlx::query(
        "SELECT id, username FROM accounts WHERE community_id = $1 OR community_id IS NULL",
    )
    .bind(cid)
    .fetch_all(&st.db.pool)
    .await?
    {
        names.accounts.insert(r.text("id")?, r.text("username")?);
    }
    for r in sqlx::query("SELECT id, name FROM grids WHERE community_id = $1")
        .bind(cid)
        .fetch_all(&st.db.pool)
        .await?
    {
        names.grids.insert(r.text("id")?, r.text("name")?);
    }
    names.add_categories(&*category_tree(st).await?);
    Ok(names)
}

async fn export_view(
    st: &AppState,
    cid: &str,
    id: &str,
    actor: &Actor,
    with_bytes: bool,
) -> ApiResult<crate::rooms::cases::export::CaseExport> {
    let case = load(st, cid, id, actor).await?;
    let history = sqlx::query("SELECT entry FROM case_history WHERE case_id = $1 ORDER BY seq")
        .bind(id)
        .fetch_all(&st.db.pool)
        .await?
        .iter()
        .map(|r| {
            serde_json::from_str::<cases::HistoryEntry>(&r.text("entry")?)
                .map_err(|e| ApiError::internal(format!("history entry unreadable: {e}")))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let mut files = Vec::new();
    for r in crate::rooms::cases::export::CaseExport::attachment_refs(&case, &history) {
        let (name, media, bytes) = attachment(st, cid, &r.id).await?;
        files.push(crate::rooms::cases::export::ExportFile {
            id: r.id.clone(),
            name,
            media_type: media,
            bytes: if with_bytes { bytes } else { Vec::new() },
        });
    }
    Ok(crate::rooms::cases::export::CaseExport {
        case,
        history,
        files,
        names: display_names(st, cid).await?,
        now_ms: now_ms(),
    })
}

fn download_as<K: FileKind>(file: String, bytes: Vec<u8>) -> ApiResult<File<K>> {
    File::new(K::MEDIA_TYPES[0], bytes)?.with_header(
        axum::http::header::CONTENT_DISPOSITION,
        &format!("attachment; filename=\"{file}\""),
    )
}

/// `GET …/cases/{id}/export.docx`: the case as a Word document (details, pictures, history).
pub async fn export_docx(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((cid, id)): Path<(String, String)>,
) -> ApiResult<File<Docx>> {
    let view = export_view(&st, &cid, &id, &actor(&caller)?, true).await?;
    let bytes = crate::rooms::cases::export::case_docx(&view)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    download_as::<Docx>(format!("{}.docx", view.case.number), bytes)
}

/// `GET …/cases/{id}/print`: a print-friendly HTML page.
pub async fn print(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((cid, id)): Path<(String, String)>,
) -> ApiResult<File<Html>> {
    let view = export_view(&st, &cid, &id, &actor(&caller)?, false).await?;
    let html = crate::rooms::cases::export::case_html(
        &view,
        &format!("/v1/communities/{cid}/attachments/"),
    );
    File::new(Html::MEDIA_TYPES[0], html.into_bytes())
}

/// `GET …/cases/export.xlsx?view=…&filters…`: a list as a spreadsheet (at most 5,000 rows).
pub async fn export_xlsx(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(cid): Path<String>,
    Q(q): Q<ListQuery>,
) -> ApiResult<File<Xlsx>> {
    let actor = actor(&caller)?;
    if q.limit.is_some() || q.before.is_some() {
        return Err(ApiError::invalid(
            "limit",
            "an export takes the whole list (no paging)",
        ));
    }
    let now = now_ms();
    let rows = query_cases(&st, &actor, &cid, &q, 5_000, now).await?;
    let names = display_names(&st, &cid).await?;
    let list = rows
        .iter()
        .map(|r| {
            Ok(crate::rooms::cases::export::CaseRow::from_case(
                &decode(&r.text("body")?)?,
                &names,
            ))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let bytes = crate::rooms::cases::export::cases_xlsx(&list, now)
        .map_err(|e| ApiError::internal(e.to_string()))?;
    download_as::<Xlsx>("cases.xlsx".into(), bytes)
}

/// Load a case of this community that the caller may see: managers see all; others see the
/// cases they reported or take part in (a case they may not see is not found).
async fn load(st: &AppState, cid: &str, id: &str, actor: &Actor) -> ApiResult<Case> {
    let row = sqlx::query("SELECT body FROM cases WHERE id = $1 AND community_id = $2")
        .bind(id)
        .bind(cid)
        .fetch_optional(&st.db.pool)
        .await?
        .ok_or_else(|| ApiError::not_found("case"))?;
    let c = decode(&row.text("body")?)?;
    if c.is_manager(actor) || takes_part(&c, &actor.account_id) {
        Ok(c)
    } else {
        Err(ApiError::not_found("case"))
    }
}

fn takes_part(c: &Case, me: &str) -> bool {
    c.reported_by.account_id == me
        || c.dispatch.as_ref().is_some_and(|d| d.dispatcher == me)
        || c.handling
            .as_ref()
            .is_some_and(|h| h.handler.account_id == me)
        || c.inspection
            .as_ref()
            .is_some_and(|i| i.inspector.account_id == me)
        || c.co_handlers.iter().any(|co| co.who.account_id == me)
}

/// The case an alarm was turned into (`POST …/alarms/{id}/case`), if it was.
pub(crate) async fn case_of_alarm(
    st: &AppState,
    cid: &str,
    alarm_id: &str,
) -> ApiResult<Option<String>> {
    Ok(sqlx::query(
        "SELECT id FROM cases WHERE community_id = $1 AND source = 'edge_alarm' AND source_ref = $2",
    )
    .bind(cid)
    .bind(alarm_id)
    .fetch_optional(&st.db.pool)
    .await?
    .map(|r| r.text("id"))
    .transpose()?)
}

/// An account that can appear in a community's cases.
#[derive(Serialize, JsonSchema)]
pub struct CaseWorkerV1 {
    pub id: String,
    pub username: String,
    pub role: crate::policy::Role,
    /// `null` for street-wide accounts.
    pub community_id: Option<String>,
    /// A disabled account still names its past work but takes no new work.
    pub enabled: bool,
}

/// `GET …/case-workers`: the accounts of this community and the street-wide ones, staff and case
/// workers only (app accounts never handle cases), by user name.
pub async fn workers(
    State(st): State<AppState>,
    Path(cid): Path<String>,
) -> ApiResult<Json<Items<CaseWorkerV1>>> {
    use crate::policy::Role;
    let rows = sqlx::query(
        "SELECT id, username, role, community_id, enabled FROM accounts \
         WHERE (community_id = $1 OR community_id IS NULL) AND person_id IS NULL \
         ORDER BY username, id",
    )
    .bind(&cid)
    .fetch_all(&st.db.pool)
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in &rows {
        let Some(role) = Role::parse(&r.text("role")?).filter(|r| !r.is_app()) else {
            continue;
        };
        items.push(CaseWorkerV1 {
            id: r.text("id")?,
            username: r.text("username")?,
            role,
            community_id: r.opt_text("community_id")?,
            enabled: r.flag("enabled")?,
        });
    }
    Ok(Json(items.into()))
}

/// `GET …/cases/{id}`: the case, its whole history (oldest first), what the caller may do.
pub async fn get(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((cid, id)): Path<(String, String)>,
) -> ApiResult<Json<CaseDetailV1>> {
    let actor = actor(&caller)?;
    let c = load(&st, &cid, &id, &actor).await?;
    let history = history(&st, &id).await?;
    Ok(Json(CaseDetailV1 {
        case: case_view(&c, &actor, now_ms()),
        history,
    }))
}

/// A case's history entries, oldest first.
pub async fn history(st: &AppState, id: &str) -> ApiResult<Vec<HistoryEntry>> {
    sqlx::query("SELECT entry FROM case_history WHERE case_id = $1 ORDER BY seq")
        .bind(id)
        .fetch_all(&st.db.pool)
        .await?
        .iter()
        .map(|r| {
            serde_json::from_str::<HistoryEntry>(&r.text("entry")?)
                .map_err(|e| ApiError::internal(format!("history entry unreadable: {e}")))
        })
        .collect()
}

/// Open cases of the case's own community reported within the duplicate window around `at`.
/// Never street-wide: another community's cases are neither shown nor scored (a score is an
/// oracle for their text) and never block this community's filing.
async fn dup_pool(
    st: &AppState,
    cfg: &DupConfig,
    community: &str,
    at: i64,
    except: &str,
) -> ApiResult<Vec<DupSubject>> {
    let rows = sqlx::query(
        "SELECT body FROM cases WHERE community_id = $1 AND at_ms >= $2 AND at_ms <= $3 AND id <> $4 \
         AND status NOT IN ('closed', 'voided') ORDER BY at_ms DESC LIMIT 2000",
    )
    .bind(community)
    .bind(at - cfg.window_ms)
    .bind(at + cfg.window_ms)
    .bind(except)
    .fetch_all(&st.db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok(DupSubject::of_case(&decode(&r.text("body")?)?)))
        .collect()
}

/// `GET …/cases/{id}/duplicates`: the ranked candidates staff see before filing.
pub async fn duplicates(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((cid, id)): Path<(String, String)>,
) -> ApiResult<Json<Items<DupMatch>>> {
    let actor = actor(&caller)?;
    let c = load(&st, &cid, &id, &actor).await?;
    let cfg = DupConfig::default();
    let pool = dup_pool(&st, &cfg, &cid, c.reported_at_ms, &c.id).await?;
    let ranked = cases::rank(&DupSubject::of_case(&c), &pool, &cfg);
    Ok(Json(Items { items: ranked }))
}

const WORKERS: &[Role] = &[
    Role::StreetAdmin,
    Role::CommunityStaff,
    Role::FieldStaff,
    Role::CoHandler,
    Role::Dispatcher,
];

/// Every id an operation names, resolved in the case's community (`scope::InCommunity`): an
/// account of another community is refused exactly like one that does not exist.
async fn check_op_refs(st: &AppState, cid: &str, op: &CaseOp) -> ApiResult<()> {
    let scope = InCommunity::new(cid);
    let check_account = |field: String, id: String, roles: &'static [Role]| {
        let scope = &scope;
        async move { scope.account(&st.db.pool, &field, &id, roles).await }
    };
    match op {
        CaseOp::Dispatch { dispatcher, .. } => {
            check_account("dispatcher".into(), dispatcher.clone(), &[Role::Dispatcher]).await
        }
        CaseOp::Assign {
            handler,
            co_handlers,
            ..
        } => {
            check_account(
                "handler.account_id".into(),
                handler.account_id.clone(),
                WORKERS,
            )
            .await?;
            for (i, c) in co_handlers.iter().enumerate() {
                check_account(
                    format!("co_handlers[{i}].account_id"),
                    c.account_id.clone(),
                    &[Role::CoHandler],
                )
                .await?;
            }
            Ok(())
        }
        CaseOp::AddCoHandler { co_handler } => {
            check_account(
                "co_handler.account_id".into(),
                co_handler.account_id.clone(),
                &[Role::CoHandler],
            )
            .await
        }
        CaseOp::Reassign { to, .. } => {
            check_account("to.account_id".into(), to.account_id.clone(), WORKERS).await
        }
        CaseOp::AssignInspection { inspector, .. } => {
            check_account(
                "inspector.account_id".into(),
                inspector.account_id.clone(),
                WORKERS,
            )
            .await
        }
        CaseOp::MarkDuplicate {
            of_case_id,
            of_number,
            ..
        } => {
            scope
                .require(&st.db.pool, Kind::Case, "of_case_id", of_case_id)
                .await?;
            let row = sqlx::query("SELECT number FROM cases WHERE id = $1 AND community_id = $2")
                .bind(of_case_id)
                .bind(cid)
                .fetch_one(&st.db.pool)
                .await?;
            if &row.text("number")? != of_number {
                return Err(ApiError::invalid("of_number", "is not that case's number"));
            }
            Ok(())
        }
        CaseOp::SelfResolve { materials, .. }
        | CaseOp::AddMaterials { materials, .. }
        | CaseOp::CompleteHandling { materials, .. } => {
            check_attachments(st, &scope, "materials", materials).await
        }
        CaseOp::SubmitEvidence { evidence, .. } => {
            check_attachments(st, &scope, "evidence", evidence).await
        }
        _ => Ok(()),
    }
}

/// `POST …/cases/{id}/ops`: one workflow operation (`{"op": "file", …}`). At filing the
/// duplicate candidates are the server's; only `not_duplicate_reason` is taken from the body.
pub async fn operate(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((cid, id)): Path<(String, String)>,
    Body(mut op): Body<CaseOp>,
) -> ApiResult<Json<CaseV1>> {
    let actor = actor(&caller)?;
    let c = load(&st, &cid, &id, &actor).await?;
    // Refuse early (no database checks for an op the actor may not start).
    c.authorize(op.kind(), &actor).map_err(case_err)?;
    check_op_refs(&st, &cid, &op).await?;
    if let CaseOp::File { check } | CaseOp::Refile { check, .. } = &mut op {
        let cfg = DupConfig::default();
        let pool = dup_pool(&st, &cfg, &cid, c.reported_at_ms, &c.id).await?;
        check.candidates = cases::rank(&DupSubject::of_case(&c), &pool, &cfg);
    }
    let now = now_ms();
    let applied = c.apply(&op, &actor, now).map_err(case_err)?;
    let mut tx = st.db.pool.begin().await?;
    store(
        &mut tx,
        &applied,
        Write::Update {
            old_version: c.version,
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(case_id = %id, op = op.kind().code(), to = applied.case.status.code(), "case operation");
    Ok(Json(case_view(&applied.case, &actor, now)))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FromAlarmBody {
    category: cases::CategoryPath,
    grid: cases::GridPath,
    #[serde(default)]
    severity: Option<cases::Severity>,
    #[serde(default)]
    description: Option<String>,
}

/// `POST …/alarms/{alarm_id}/case`: an edge alarm becomes a case in one call, linked to it
/// (`source = edge_alarm`, `source_ref` = the alarm id), placed at its device's building.
pub async fn from_alarm(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((cid, alarm_id)): Path<(String, String)>,
    Body(b): Body<FromAlarmBody>,
) -> ApiResult<Created<CaseV1>> {
    let actor = actor(&caller)?;
    let a = sqlx::query("SELECT * FROM alarms WHERE id = $1 AND community_id = $2")
        .bind(&alarm_id)
        .bind(&cid)
        .fetch_optional(&st.db.pool)
        .await?
        .ok_or_else(|| ApiError::not_found("alarm"))?;
    if sqlx::query("SELECT id FROM cases WHERE source = 'edge_alarm' AND source_ref = $1")
        .bind(&alarm_id)
        .fetch_optional(&st.db.pool)
        .await?
        .is_some()
    {
        return Err(ApiError::conflict(
            "case_exists",
            "this alarm already has a case",
        ));
    }
    let device = match a.opt_text("device_id")? {
        Some(d) => {
            sqlx::query("SELECT name, building_id FROM devices WHERE id = $1")
                .bind(d)
                .fetch_optional(&st.db.pool)
                .await?
        }
        None => None,
    };
    let (where_, building) = match &device {
        Some(d) => (d.text("name")?, Some(d.text("building_id")?)),
        None => (
            format!("{} on box {}", a.text("source")?, a.text("box_id")?),
            None,
        ),
    };
    let severity = b.severity.unwrap_or(match a.text("severity")?.as_str() {
        "critical" => cases::Severity::Critical,
        "major" => cases::Severity::Major,
        _ => cases::Severity::Moderate,
    });
    let problem = format!("{} alarm: {}", a.text("kind")?, a.text("detail")?);
    let new = NewCase {
        community_id: cid.clone(),
        kind: cases::CaseKind::Event,
        category: b.category,
        grid: b.grid,
        source: cases::Source::EdgeAlarm,
        supervision: false,
        area: None,
        location: cases::Location {
            text: where_,
            point: None,
            building_id: building,
        },
        severity,
        problem: problem.chars().take(cases::MAX_SHORT_CHARS).collect(),
        description: b.description.unwrap_or(problem),
        linked: cases::Linked::default(),
        attachments: Vec::new(),
        source_ref: Some(alarm_id),
        self_handled: false,
    };
    // Only the system may claim an edge alarm as a case's source; it reports here on behalf of
    // the staff member who asked, whose account is recorded as the actor.
    let system = Actor {
        role: cases::CaseRole::System,
        ..actor
    };
    Ok(Created(report_as(&st, &system, new).await?))
}

/// File types a case may carry, by what the bytes are (the declared type must agree).
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    crate::faces::sniff(bytes).or_else(|| bytes.starts_with(b"%PDF-").then_some("application/pdf"))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    community_id: Option<String>,
}

async fn store_upload(
    st: &AppState,
    community: &str,
    by: &str,
    name: Option<String>,
    headers: &axum::http::HeaderMap,
    bytes: &[u8],
) -> ApiResult<AttachmentV1> {
    if bytes.is_empty() {
        return Err(ApiError::invalid("body", "the file is empty"));
    }
    let declared = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let kind = sniff(bytes)
        .ok_or_else(|| ApiError::invalid("body", "only JPEG, PNG and PDF files are taken"))?;
    if declared != kind {
        return Err(ApiError::invalid(
            "content-type",
            format!("the file is {kind}, not `{declared}`"),
        ));
    }
    let name = crate::error::text("name", name.as_deref().unwrap_or("file"), 200)?;
    let id = new_id();
    use sha2::Digest;
    let sha = sha2::Sha256::digest(bytes);
    let sha: String = sha.iter().map(|b| format!("{b:02x}")).collect();
    // Bytes first, then the row: a row never points at a file that is not there.
    let store = st.objects.clone();
    let (key, data) = (id.clone(), bytes.to_vec());
    tokio::task::spawn_blocking(move || store.put(&key, &data))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(ApiError::object_store)?;
    sqlx::query(
        "INSERT INTO attachments (id, community_id, name, media_type, size_bytes, sha256, storage_key, uploaded_by, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $1, $7, $8)",
    )
    .bind(&id)
    .bind(community)
    .bind(&name)
    .bind(kind)
    .bind(bytes.len() as i64)
    .bind(&sha)
    .bind(by)
    .bind(now_ms())
    .execute(&st.db.pool)
    .await?;
    Ok(AttachmentV1 {
        id,
        name,
        media_type: kind.to_string(),
        size_bytes: bytes.len() as i64,
        sha256: sha,
    })
}

/// `POST …/attachments`: store a photo or document; refer to it by id in a report or operation.
pub async fn upload(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(cid): Path<String>,
    Q(q): Q<UploadQuery>,
    headers: axum::http::HeaderMap,
    bytes: axum::body::Bytes,
) -> ApiResult<Created<AttachmentV1>> {
    let a = actor(&caller)?;
    if q.community_id.is_some() {
        return Err(ApiError::invalid(
            "community_id",
            "the path names the community",
        ));
    }
    let v = store_upload(&st, &cid, &a.account_id, q.name, &headers, &bytes).await?;
    Ok(Created(v))
}

/// `POST /v1/app/attachments`: the same from the app.
pub async fn app_upload(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Q(q): Q<UploadQuery>,
    headers: axum::http::HeaderMap,
    bytes: axum::body::Bytes,
) -> ApiResult<Created<AttachmentV1>> {
    let Caller::Account(acct) = &caller else {
        return Err(ApiError::forbidden("an account is needed"));
    };
    let community = app_community(&st, acct, q.community_id.as_deref()).await?;
    let v = store_upload(&st, &community, &acct.id, q.name, &headers, &bytes).await?;
    Ok(Created(v))
}

/// Metadata and bytes of an attachment of this community.
pub async fn attachment(
    st: &AppState,
    cid: &str,
    id: &str,
) -> ApiResult<(String, String, Vec<u8>)> {
    let row = sqlx::query(
        "SELECT name, media_type, storage_key, sha256 FROM attachments WHERE id = $1 AND community_id = $2",
    )
    .bind(id)
    .bind(cid)
    .fetch_optional(&st.db.pool)
    .await?
    .ok_or_else(|| ApiError::not_found("attachment"))?;
    let store = st.objects.clone();
    let key = row.text("storage_key")?;
    let bytes = tokio::task::spawn_blocking(move || store.get(&key))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(ApiError::object_store)?;
    Ok((row.text("name")?, row.text("media_type")?, bytes))
}

/// May `actor` download attachment `id` of community `cid`? Managers (street admins, this
/// community's staff) may; anyone else only a file they uploaded, or one attached to a case
/// they take part in. Anything else is "not found".
async fn may_see_attachment(st: &AppState, cid: &str, id: &str, actor: &Actor) -> ApiResult<()> {
    if matches!(actor.role, CaseRole::StreetAdmin | CaseRole::CommunityStaff) {
        return Ok(());
    }
    let row =
        sqlx::query("SELECT uploaded_by FROM attachments WHERE id = $1 AND community_id = $2")
            .bind(id)
            .bind(cid)
            .fetch_optional(&st.db.pool)
            .await?
            .ok_or_else(|| ApiError::not_found("attachment"))?;
    if row.text("uploaded_by")? == actor.account_id {
        return Ok(());
    }
    // Cases that mention the file (the LIKE only narrows; the exact id is checked below).
    let quoted = format!("\"{id}\"");
    let pattern = format!("%{}%", id.replace(['%', '_', '\\'], ""));
    for r in sqlx::query("SELECT body FROM cases WHERE community_id = $1 AND body LIKE $2")
        .bind(cid)
        .bind(pattern)
        .fetch_all(&st.db.pool)
        .await?
    {
        let body = r.text("body")?;
        if body.contains(&quoted) && takes_part(&decode(&body)?, &actor.account_id) {
            return Ok(());
        }
    }
    Err(ApiError::not_found("attachment"))
}

/// `GET …/attachments/{id}`.
pub async fn download(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((cid, id)): Path<(String, String)>,
) -> ApiResult<File<Attachment>> {
    may_see_attachment(&st, &cid, &id, &actor(&caller)?).await?;
    let (_, media, bytes) = attachment(&st, &cid, &id).await?;
    File::new(&media, bytes)
}
