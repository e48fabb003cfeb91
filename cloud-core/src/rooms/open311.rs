//! Open311 GeoReport v2, so standard civic-reporting clients can file and follow cases:
//! `services.json` (one service per minor category of the case tree), `requests.json` (create,
//! list) and `requests/{id}.json`. `jurisdiction_id` is a community id. Filing needs `api_key`:
//! an app account's session token (the report is that account's, source `resident_report`).
//! Status is GeoReport's `open`/`closed`; the workflow state travels as the extension field
//! `x_workflow_status`. Errors use GeoReport's shape: `[{"code": <http status>, "description"}]`.
//!
//! **What the public read reveals** (the rule, also in `public.rs` and ARCHITECTURE.md): the
//! read routes need no credentials, so they show only what was filed through this public
//! channel — never staff, field or alarm cases, nor cases made from a resident's suggestion —
//! and only in a public form: category, status, times, and the place rounded to 0.001°
//! (about 100 m). The filer's words (`description`) and the address are not shown. A caller
//! whose `api_key` is the filing account's session token sees their own requests in full.

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::cases::{self, CaseStatus};
use crate::contract::{Created, DocOutput, Generators, Operation};
use crate::db::RowExt;
use crate::error::ApiError;
use crate::state::AppState;

/// An error in GeoReport's shape.
pub struct GeoError(ApiError);

impl From<ApiError> for GeoError {
    fn from(e: ApiError) -> GeoError {
        GeoError(e)
    }
}
impl From<sqlx::Error> for GeoError {
    fn from(e: sqlx::Error) -> GeoError {
        GeoError(e.into())
    }
}

impl IntoResponse for GeoError {
    fn into_response(self) -> Response {
        let e = self.0;
        (
            e.status,
            Json([GeoErrorV1 {
                code: e.status.as_u16(),
                description: e.message,
            }]),
        )
            .into_response()
    }
}

pub type GeoResult<T> = Result<T, GeoError>;

// ---- API types (v1) --------------------------------------------------------------------------

/// A GeoReport service: one minor category of the case tree.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct GeoServiceV1 {
    /// `major.middle.minor` category codes.
    pub service_code: String,
    pub service_name: String,
    /// The category's names, `major / middle / minor`.
    pub description: String,
    /// Always `false`: no service takes extra attributes.
    pub metadata: bool,
    /// Always `realtime`.
    #[serde(rename = "type")]
    pub r#type: String,
    /// Always empty.
    pub keywords: String,
    /// The major category's name.
    pub group: String,
}

/// A GeoReport service request (a case filed through this public channel). Anyone sees the
/// public form; the filing account also sees `x_case_number`, `description`, `address` and the
/// exact place.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct GeoRequestV1 {
    /// The case id.
    pub service_request_id: String,
    /// `open` or `closed`.
    pub status: String,
    /// The case's workflow state.
    pub x_workflow_status: CaseStatus,
    /// `major.middle.minor` category codes.
    pub service_code: String,
    /// RFC 3339, UTC.
    pub requested_datetime: String,
    /// RFC 3339, UTC.
    pub updated_datetime: String,
    /// Degrees; rounded to 0.001° unless the caller filed it.
    pub lat: Option<f64>,
    /// Degrees; rounded to 0.001° unless the caller filed it.
    pub long: Option<f64>,
    /// The case number (filer only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x_case_number: Option<String>,
    /// What was reported (filer only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The location as text (filer only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// The answer to filing a request (GeoReport sends it as a one-element array).
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct GeoRequestFiledV1 {
    /// The case id.
    pub service_request_id: String,
    /// `case <case number>`.
    pub service_notice: String,
    /// The filing account.
    pub account_id: String,
}

/// One entry of a GeoReport error answer (the body is an array of them).
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct GeoErrorV1 {
    /// The HTTP status.
    pub code: u16,
    pub description: String,
}

impl<T: DocOutput> DocOutput for GeoResult<T> {
    fn document(op: &mut Operation, g: &mut Generators) {
        T::document(op, g);
        let schema = g.responses.subschema_for::<Vec<GeoErrorV1>>();
        op.responses.insert(
            "default".into(),
            json!({"description": "error (GeoReport's shape)", "content": {"application/json": {"schema": schema}}}),
        );
    }
}

fn bad(field: &str, reason: &str) -> GeoError {
    GeoError(ApiError::invalid(field, reason))
}

/// Query or form parameters as pairs (GeoReport sends forms, not JSON).
fn params(raw: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(raw).into_owned().collect()
}

fn param<'a>(p: &'a [(String, String)], k: &str) -> Option<&'a str> {
    p.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

async fn jurisdiction(st: &AppState, p: &[(String, String)]) -> GeoResult<String> {
    let j = param(p, "jurisdiction_id").ok_or_else(|| bad("jurisdiction_id", "required"))?;
    if !crate::scope::community_exists(st, j).await? {
        return Err(GeoError(ApiError::not_found("jurisdiction")));
    }
    Ok(j.to_string())
}

/// `GET /open311/v2/services.json?jurisdiction_id=`.
pub async fn services(
    State(st): State<AppState>,
    RawQuery(q): RawQuery,
) -> GeoResult<Json<Vec<GeoServiceV1>>> {
    let p = params(q.unwrap_or_default().as_bytes());
    jurisdiction(&st, &p).await?;
    let tree = crate::rooms::cases::category_tree(&st).await?;
    let mut out = Vec::new();
    for major in &tree.majors {
        for middle in &major.children {
            for minor in &middle.children {
                out.push(GeoServiceV1 {
                    service_code: format!("{}.{}.{}", major.code, middle.code, minor.code),
                    service_name: minor.name.clone(),
                    description: format!("{} / {} / {}", major.name, middle.name, minor.name),
                    metadata: false,
                    r#type: "realtime".into(),
                    keywords: String::new(),
                    group: major.name.clone(),
                });
            }
        }
    }
    Ok(Json(out))
}

/// How much of a request a caller sees.
#[derive(Clone, Copy, PartialEq, Eq)]
enum View {
    /// Anyone: category, status, times, the place rounded to ~100 m.
    Public,
    /// The account that filed it: everything it sent.
    Filer,
}

/// A coordinate rounded to 0.001° (~110 m of latitude): enough to show the street, not the door.
fn coarse(v: Option<f64>) -> Option<f64> {
    v.map(|x| (x * 1000.0).round() / 1000.0)
}

/// The account behind an optional `api_key` (an app session token); a key that is not a live
/// session is refused rather than silently treated as anonymous.
async fn key_account(
    st: &AppState,
    p: &[(String, String)],
) -> GeoResult<Option<crate::policy::Account>> {
    match param(p, "api_key") {
        None => Ok(None),
        Some(k) => crate::rooms::accounts::account_by_token(st, k)
            .await
            .map(Some)
            .map_err(|_| GeoError(ApiError::forbidden("api_key is not a valid session token"))),
    }
}

fn view_for(
    r: &sqlx::any::AnyRow,
    who: Option<&crate::policy::Account>,
) -> Result<View, sqlx::Error> {
    let reporter = r.text("reported_by")?;
    Ok(match who {
        Some(a) if a.id == reporter => View::Filer,
        _ => View::Public,
    })
}

fn request_view(r: &sqlx::any::AnyRow, view: View) -> Result<GeoRequestV1, sqlx::Error> {
    let status = CaseStatus::parse(&r.text("status")?).unwrap_or(CaseStatus::Pending);
    let iso = |ms: i64| {
        // RFC 3339 in UTC, as GeoReport asks (W3C datetime).
        let secs = ms.div_euclid(1000);
        let days = secs.div_euclid(86_400);
        let (y, m, d) = cases::deadline::civil_from_days(days);
        let t = secs.rem_euclid(86_400);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            t / 3600,
            t % 3600 / 60,
            t % 60
        )
    };
    let mut v = GeoRequestV1 {
        service_request_id: r.text("id")?,
        status: status.open311().to_string(),
        x_workflow_status: status,
        service_code: format!(
            "{}.{}.{}",
            r.text("category_major")?,
            r.text("category_middle")?,
            r.text("category_minor")?
        ),
        requested_datetime: iso(r.int("at_ms")?),
        updated_datetime: iso(r.int("updated_at_ms")?),
        lat: coarse(r.opt_float("lat")?),
        long: coarse(r.opt_float("lon")?),
        x_case_number: None,
        description: None,
        address: None,
    };
    if view == View::Filer {
        v.x_case_number = Some(r.text("number")?);
        v.description = Some(r.text("problem")?);
        v.address = Some(r.text("location_text")?);
        v.lat = r.opt_float("lat")?;
        v.long = r.opt_float("lon")?;
    }
    Ok(v)
}

/// `GET /open311/v2/requests.json?jurisdiction_id=&service_request_id=&service_code=&status=`.
pub async fn list_requests(
    State(st): State<AppState>,
    RawQuery(q): RawQuery,
) -> GeoResult<Json<Vec<GeoRequestV1>>> {
    let p = params(q.unwrap_or_default().as_bytes());
    let j = jurisdiction(&st, &p).await?;
    let status = match param(&p, "status") {
        None => "",
        Some("open") => "open",
        Some("closed") => "closed",
        Some(_) => return Err(bad("status", "must be open or closed")),
    };
    let who = key_account(&st, &p).await?;
    let ids: Vec<&str> = param(&p, "service_request_id")
        .map(|s| s.split(',').collect())
        .unwrap_or_default();
    let rows = sqlx::query(
        "SELECT * FROM cases WHERE community_id = $1 AND public_channel = 1 \
         AND ($2 = '' OR ($2 = 'closed' AND status IN ('closed', 'voided')) OR ($2 = 'open' AND status NOT IN ('closed', 'voided'))) \
         ORDER BY at_ms DESC, id DESC LIMIT 1000",
    )
    .bind(&j)
    .bind(status)
    .fetch_all(&st.db.pool)
    .await?;
    let code = param(&p, "service_code");
    let mut out = Vec::new();
    for r in &rows {
        let v = request_view(r, view_for(r, who.as_ref())?)?;
        if !ids.is_empty() && !ids.contains(&v.service_request_id.as_str()) {
            continue;
        }
        if code.is_some_and(|c| v.service_code != c) {
            continue;
        }
        out.push(v);
    }
    Ok(Json(out))
}

/// `GET /open311/v2/requests/{id}.json?jurisdiction_id=`.
pub async fn get_request(
    State(st): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> GeoResult<Json<Vec<GeoRequestV1>>> {
    let p = params(q.unwrap_or_default().as_bytes());
    let j = jurisdiction(&st, &p).await?;
    let id = file
        .strip_suffix(".json")
        .ok_or_else(|| bad("format", "only .json is served"))?;
    let who = key_account(&st, &p).await?;
    let r = sqlx::query(
        "SELECT * FROM cases WHERE id = $1 AND community_id = $2 AND public_channel = 1",
    )
    .bind(id)
    .bind(&j)
    .fetch_optional(&st.db.pool)
    .await?
    .ok_or_else(|| GeoError(ApiError::not_found("service request")))?;
    Ok(Json(vec![request_view(&r, view_for(&r, who.as_ref())?)?]))
}

/// `POST /open311/v2/requests.json` (form): jurisdiction_id, service_code, lat/long or
/// address_string, description, api_key.
pub async fn create_request(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> GeoResult<Created<Vec<GeoRequestFiledV1>>> {
    let form = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Err(bad(
            "content-type",
            "GeoReport requests are application/x-www-form-urlencoded",
        ));
    }
    let p = params(&body);
    let j = jurisdiction(&st, &p).await?;
    let acct = key_account(&st, &p)
        .await?
        .ok_or_else(|| bad("api_key", "required to file a request"))?;
    if !acct.role.is_app() {
        return Err(GeoError(ApiError::forbidden(
            "api_key must belong to an app account",
        )));
    }
    if acct.community_id.as_deref().is_some_and(|c| c != j) {
        return Err(bad(
            "jurisdiction_id",
            "residents report in their own community",
        ));
    }
    let code = param(&p, "service_code").ok_or_else(|| bad("service_code", "required"))?;
    let mut parts = code.split('.');
    let category = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(a), Some(b), Some(c), None) => cases::CategoryPath {
            major: a.into(),
            middle: b.into(),
            minor: c.into(),
        },
        _ => return Err(bad("service_code", "not a service code of services.json")),
    };
    let coord = |k: &str| -> GeoResult<Option<f64>> {
        param(&p, k)
            .map(|v| v.parse::<f64>().map_err(|_| bad(k, "must be a number")))
            .transpose()
    };
    let point = match (coord("lat")?, coord("long")?) {
        (Some(lat), Some(lon)) => {
            crate::error::lat_lon(Some(lat), Some(lon))?;
            Some(cases::GeoPoint { lat, lon })
        }
        (None, None) => None,
        _ => return Err(bad("long", "lat and long come together")),
    };
    let address = param(&p, "address_string").unwrap_or("").to_string();
    if point.is_none() && address.is_empty() {
        return Err(bad(
            "lat",
            "a location is required: lat & long, or address_string",
        ));
    }
    let description = param(&p, "description").unwrap_or("").to_string();
    // GeoReport knows no grids: the case goes to the community's first level-1 grid.
    let grid = sqlx::query(
        "SELECT id FROM grids WHERE community_id = $1 AND level = 1 ORDER BY name, id LIMIT 1",
    )
    .bind(&j)
    .fetch_optional(&st.db.pool)
    .await?
    .ok_or_else(|| {
        bad(
            "jurisdiction_id",
            "this community has no grid to receive reports yet",
        )
    })?
    .text("id")?;
    let new = cases::NewCase {
        community_id: j.clone(),
        kind: cases::CaseKind::Event,
        category,
        grid: cases::GridPath {
            level1: grid,
            level2: None,
            level3: None,
        },
        source: cases::Source::ResidentReport,
        supervision: false,
        area: None,
        location: cases::Location {
            text: if address.is_empty() {
                "(from coordinates)".into()
            } else {
                address
            },
            point,
            building_id: None,
        },
        severity: cases::Severity::Moderate,
        problem: description.chars().take(cases::MAX_SHORT_CHARS).collect(),
        description,
        linked: cases::Linked::default(),
        attachments: Vec::new(),
        source_ref: None,
        self_handled: false,
    };
    let actor = cases::Actor::new(&acct.id, acct.role.into(), acct.community_id.as_deref());
    let v = crate::rooms::cases::report_as(&st, &actor, new).await?.case;
    // Marked after the report: a crash in between leaves the case internal (never the reverse).
    sqlx::query("UPDATE cases SET public_channel = 1 WHERE id = $1")
        .bind(&v.id)
        .execute(&st.db.pool)
        .await?;
    Ok(Created(vec![GeoRequestFiledV1 {
        service_request_id: v.id,
        service_notice: format!("case {}", v.number),
        account_id: acct.id,
    }]))
}
