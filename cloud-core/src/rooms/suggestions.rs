//! Residents' suggestions (意见建议): posted from the app, read by their community's staff, and
//! turned into a case in one call (source `suggestion`, linked by `source_ref`).

use axum::extract::{Path, State};
use axum::{Extension, Json};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::cases::{self, NewCase};
use crate::contract::Created;
use crate::db::RowExt;
use crate::error::{text, ApiError, ApiResult, Body, Q};
use crate::paging::Page;
use crate::policy::Caller;
use crate::rooms::cases::CaseV1;
use crate::state::AppState;
use crate::{new_id, now_ms};

// ---- API types (v1) --------------------------------------------------------------------------

/// `POST /v1/app/suggestions` answers with where the suggestion went.
#[derive(Serialize, JsonSchema)]
pub struct SuggestionPostedV1 {
    pub id: String,
    pub community_id: String,
}

/// One suggestion as staff see it.
#[derive(Serialize, JsonSchema)]
pub struct SuggestionV1 {
    pub id: String,
    pub text: String,
    /// The case made from it, once there is one.
    pub case_id: Option<String>,
    pub at_ms: i64,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SuggestionBody {
    text: String,
    /// For accounts without a home community (visitors, enterprises).
    #[serde(default)]
    community_id: Option<String>,
}

/// `POST /v1/app/suggestions`.
pub async fn post(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Body(b): Body<SuggestionBody>,
) -> ApiResult<Created<SuggestionPostedV1>> {
    let Caller::Account(acct) = &caller else {
        return Err(ApiError::forbidden("an account is needed"));
    };
    let body = text("text", &b.text, 2000)?;
    let community =
        crate::rooms::cases::app_community(&st, acct, b.community_id.as_deref()).await?;
    let id = new_id();
    sqlx::query(
        "INSERT INTO suggestions (id, community_id, account_id, text, created_at_ms) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(&community)
    .bind(&acct.id)
    .bind(&body)
    .bind(now_ms())
    .execute(&st.db.pool)
    .await?;
    Ok(Created(SuggestionPostedV1 {
        id,
        community_id: community,
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    limit: Option<i64>,
    before: Option<String>,
}

/// `GET /v1/communities/{id}/suggestions`: newest first, keyset pages.
pub async fn list(
    State(st): State<AppState>,
    Path(cid): Path<String>,
    Q(q): Q<ListQuery>,
) -> ApiResult<Json<Page<SuggestionV1>>> {
    let lim = crate::paging::limit(q.limit)?;
    let mut f = crate::paging::Filter::new(&cid, "s");
    f.before("s", &q.before)?;
    let rows = f
        .fetch(
            &st,
            "SELECT s.* FROM (SELECT id, community_id, text, case_id, created_at_ms AS at_ms FROM suggestions) s",
            lim,
            "s",
        )
        .await?;
    let items = rows
        .iter()
        .map(|r| {
            Ok(SuggestionV1 {
                id: r.text("id")?,
                text: r.text("text")?,
                case_id: r.opt_text("case_id")?,
                at_ms: r.int("at_ms")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Json(Page::new(items, lim, |s| (s.at_ms, &s.id))))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ToCaseBody {
    category: cases::CategoryPath,
    grid: cases::GridPath,
    #[serde(default)]
    location: Option<cases::Location>,
}

/// `POST /v1/communities/{id}/suggestions/{suggestion_id}/case`.
pub async fn to_case(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((cid, sid)): Path<(String, String)>,
    Body(b): Body<ToCaseBody>,
) -> ApiResult<Created<CaseV1>> {
    let Caller::Account(acct) = &caller else {
        return Err(ApiError::forbidden("an account is needed"));
    };
    let row =
        sqlx::query("SELECT text, case_id FROM suggestions WHERE id = $1 AND community_id = $2")
            .bind(&sid)
            .bind(&cid)
            .fetch_optional(&st.db.pool)
            .await?
            .ok_or_else(|| ApiError::not_found("suggestion"))?;
    if row.opt_text("case_id")?.is_some() {
        return Err(ApiError::conflict(
            "case_exists",
            "this suggestion already has a case",
        ));
    }
    let said = row.text("text")?;
    let new = NewCase {
        community_id: cid.clone(),
        kind: cases::CaseKind::Event,
        category: b.category,
        grid: b.grid,
        source: cases::Source::Suggestion,
        supervision: false,
        area: None,
        location: b.location.unwrap_or(cases::Location {
            text: "(from a suggestion)".into(),
            point: None,
            building_id: None,
        }),
        severity: cases::Severity::Minor,
        problem: said.chars().take(cases::MAX_SHORT_CHARS).collect(),
        description: said,
        linked: cases::Linked::default(),
        attachments: Vec::new(),
        source_ref: Some(sid.clone()),
        self_handled: false,
    };
    let actor = cases::Actor::new(&acct.id, acct.role.into(), acct.community_id.as_deref());
    // Claim the suggestion first, so two clicks at once make one case; release it if the
    // report is refused.
    let claimed =
        sqlx::query("UPDATE suggestions SET case_id = 'claimed' WHERE id = $1 AND case_id IS NULL")
            .bind(&sid)
            .execute(&st.db.pool)
            .await?
            .rows_affected();
    if claimed == 0 {
        return Err(ApiError::conflict(
            "case_exists",
            "this suggestion already has a case",
        ));
    }
    let link = match crate::rooms::cases::report_as(&st, &actor, new).await {
        Ok(v) => Ok(v),
        Err(e) => {
            sqlx::query("UPDATE suggestions SET case_id = NULL WHERE id = $1")
                .bind(&sid)
                .execute(&st.db.pool)
                .await?;
            Err(e)
        }
    }?;
    sqlx::query("UPDATE suggestions SET case_id = $1 WHERE id = $2")
        .bind(&link.case.id)
        .bind(&sid)
        .execute(&st.db.pool)
        .await?;
    Ok(Created(link))
}
