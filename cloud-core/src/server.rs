//! The HTTP edge of the cloud: shared state, the route table (each route declared once, with its
//! access rule and summary), the guard that authenticates and authorises every request before a
//! handler runs, and the OpenAPI document generated from the same table.

use std::collections::BTreeMap;

use axum::body::Body as AxumBody;
use axum::extract::{DefaultBodyLimit, MatchedPath, RawPathParams, Request, State};
use axum::handler::Handler;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter};
use axum::{Json, Router};
use serde_json::json;

use crate::contract::{Documented, Generators, Operation};
use crate::db::RowExt;
use crate::error::{ApiError, ApiResult};
use crate::policy::{self, Access, Caller, Denied, EdgeBox};
use crate::rooms::{
    accounts, alarms, boxconfig, cases, devices, edge, faces, logs, notifications, onetap, open311,
    overview, registry, staffrights, suggestions, visits,
};
pub use crate::state::AppState;
use edge_sync::error::ErrorBodyV1;

/// One route: method, path, who may call it, what it does, its handler, and what the handler's
/// types say about its bodies (see `contract`).
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    pub summary: &'static str,
    handler: MethodRouter<AppState>,
    document: fn(&mut Operation, &mut Generators),
}

/// A route line. The handler's signature must be documented ([`Documented`]): a handler that
/// answers with an untyped body does not compile here.
fn r<H, T, A>(
    method: Method,
    path: &'static str,
    access: Access,
    summary: &'static str,
    handler: H,
) -> RouteSpec
where
    H: Handler<T, AppState> + Documented<A>,
    T: 'static,
{
    let filter = MethodFilter::try_from(method.clone())
        .unwrap_or_else(|_| panic!("route {method} {path}: not a standard method"));
    RouteSpec {
        method,
        path,
        access,
        summary,
        handler: axum::routing::on(filter, handler),
        document: <H as Documented<A>>::document,
    }
}

/// The route table: the single place that says which routes exist and who may call them.
pub fn routes() -> Vec<RouteSpec> {
    use Access::*;
    vec![
        r(Method::GET, "/v1/health", Public, "Liveness and database reachability", health),
        r(Method::GET, "/v1/ready", Public, "Readiness: the database answers and carries every migration this build knows (503 otherwise)", ready),
        r(Method::GET, "/openapi.json", Public, "This API's OpenAPI 3.1 document", openapi),
        // accounts and sessions
        r(Method::POST, "/v1/auth/login", Public, "Log in with user name and password; returns a session token", accounts::login),
        r(Method::POST, "/v1/auth/logout", Account, "End this session (bearer token or console cookie)", accounts::logout),
        r(Method::POST, "/v1/console/session", Public, "The console's login: sets an HttpOnly session cookie and answers the CSRF token for writes", accounts::console_login),
        r(Method::GET, "/v1/console/session", Account, "The console's session (cookie only): account, CSRF token, communities it may work on", accounts::console_session),
        r(Method::GET, "/v1/me", Account, "The signed-in account", accounts::me),
        r(Method::POST, "/v1/app/signup", Public, "Create an app account (visitor, enterprise, or resident already registered by staff)", accounts::signup),
        r(Method::POST, "/v1/street/accounts", Street, "Create a staff account", accounts::create_staff),
        r(Method::GET, "/v1/street/accounts", Street, "Staff accounts (not app accounts), oldest first; filter by name, role, community, enabled", accounts::list_staff),
        r(Method::POST, "/v1/street/accounts/{account_id}/disable", Street, "Disable an account and end its sessions", accounts::disable),
        // street-level registry
        r(Method::POST, "/v1/street/communities", Street, "Create a community", registry::create_community),
        r(Method::GET, "/v1/street/communities", Street, "List communities", registry::list_communities),
        r(Method::POST, "/v1/street/people/{person_id}/move", Street, "Move a person to another community (their addresses stay behind)", registry::move_person),
        r(Method::GET, "/v1/street/address-applications", Street, "Pending multi-address applications that cross communities", visits::street_applications),
        r(Method::POST, "/v1/street/address-applications/{application_id}/decide", Street, "Approve or refuse a cross-community address application", visits::street_decide_application),
        // community registry
        r(Method::POST, "/v1/communities/{community_id}/grids", Community, "Create a grid (level 1, or 2/3 under a parent)", registry::create_grid),
        r(Method::GET, "/v1/communities/{community_id}/grids", Cases, "List grids (case workers file cases by grid, so they read them too)", registry::list_grids),
        r(Method::POST, "/v1/communities/{community_id}/estates", Community, "Create an estate", registry::create_estate),
        r(Method::GET, "/v1/communities/{community_id}/estates", Community, "List estates", registry::list_estates),
        r(Method::GET, "/v1/communities/{community_id}/estates/{estate_id}", Community, "An estate with its buildings, units and rooms", registry::estate_tree),
        r(Method::POST, "/v1/communities/{community_id}/estates/{estate_id}/buildings", Community, "Add a building to an estate", registry::create_building),
        r(Method::POST, "/v1/communities/{community_id}/buildings/{building_id}/units", Community, "Add a unit to a building", registry::create_unit),
        r(Method::POST, "/v1/communities/{community_id}/units/{unit_id}/rooms", Community, "Add a room to a unit", registry::create_room),
        r(Method::POST, "/v1/communities/{community_id}/people", Community, "Register a person", registry::create_person),
        r(Method::GET, "/v1/communities/{community_id}/people", Community, "List people (ID numbers masked)", registry::list_people),
        r(Method::GET, "/v1/communities/{community_id}/people/{person_id}", Community, "One person with addresses (ID number masked unless street role asks reveal=true)", registry::get_person),
        r(Method::POST, "/v1/communities/{community_id}/people/{person_id}/activation", Community, "A one-time code with which the resident signs up in the app (7 days)", registry::new_activation_code),
        r(Method::PUT, "/v1/communities/{community_id}/people/{person_id}/enabled", Community, "Enable or disable a person's door rights (revocation reaches boxes on their next sync)", registry::set_person_enabled),
        r(Method::GET, "/v1/communities/{community_id}/people/{person_id}/staff-rights", Community, "The estates whose doors a person passes as staff", staffrights::get),
        r(Method::PUT, "/v1/communities/{community_id}/people/{person_id}/staff-rights", Community, "Set the estates whose doors a person passes as staff ({estate_ids}, the whole set); boxes of the estates gained and lost follow on their next sync", staffrights::put),
        r(Method::POST, "/v1/communities/{community_id}/people/{person_id}/addresses", Community, "Link a person to a room", registry::add_address),
        r(Method::DELETE, "/v1/communities/{community_id}/people/{person_id}/addresses/{room_id}", Community, "Remove a person's address (moving out)", registry::remove_address),
        r(Method::POST, "/v1/communities/{community_id}/boxes", Community, "Register an edge box for an estate; returns a one-time provisioning code", registry::create_box),
        r(Method::GET, "/v1/communities/{community_id}/boxes", Community, "List edge boxes", registry::list_boxes),
        r(Method::POST, "/v1/communities/{community_id}/boxes/{box_id}/revoke", Community, "Revoke an edge box: its requests are refused from now on", registry::revoke_box),
        r(Method::POST, "/v1/communities/{community_id}/boxes/{box_id}/code", Community, "A new one-time code for a box not yet provisioned", registry::new_box_code),
        r(Method::GET, "/v1/communities/{community_id}/boxes/{box_id}/config", Community, "A box's configuration (Modbus devices, door wiring, face doors, cameras): the newest revision set here, and what the box reports it runs, with the reason if it refused the revision", boxconfig::get),
        r(Method::PUT, "/v1/communities/{community_id}/boxes/{box_id}/config", Community, "Set a box's configuration ({expected_revision, sections}); the box checks it as it checks its file and applies or refuses it on its next sync. 409 revision_conflict if it changed since expected_revision", boxconfig::put),
        r(Method::POST, "/v1/communities/{community_id}/doors", Community, "Register a door on an edge box", registry::create_door),
        r(Method::GET, "/v1/communities/{community_id}/doors", Community, "List doors", registry::list_doors),
        r(Method::PUT, "/v1/communities/{community_id}/doors/{door_id}/mode", Community, "Set a door's mode (normal, held_open, locked, emergency_release)", registry::set_door_mode),
        r(Method::GET, "/v1/communities/{community_id}/passes", Community, "Pass logs, newest first, filtered and paginated (has_thumbnail: a face thumbnail is kept)", logs::passes),
        r(Method::GET, "/v1/communities/{community_id}/passes/{pass_id}/thumbnail", Community, "A face pass's thumbnail (image/jpeg) while the community keeps it (viewing is logged)", faces::pass_thumbnail),
        // face enrolment
        r(Method::PUT, "/v1/communities/{community_id}/people/{person_id}/face-consent", Community, "Record a person's consent to face recognition ({given, note?}); withdrawing it makes boxes delete their templates on the next sync", faces::put_consent),
        r(Method::POST, "/v1/communities/{community_id}/people/{person_id}/face-photos", Community, "Upload a face photo (raw body, Content-Type image/jpeg or image/png, at most 4 MiB); it waits for review", faces::upload),
        r(Method::GET, "/v1/communities/{community_id}/face-photos", Community, "Face review: photos with person, consent and each box's enrolment verdict (?status=&person_id=), newest first, keyset pages", faces::list),
        r(Method::GET, "/v1/communities/{community_id}/face-photos/{photo_id}", Community, "One face photo with consent and enrolment verdicts", faces::get),
        r(Method::GET, "/v1/communities/{community_id}/face-photos/{photo_id}/image", Community, "A face photo's bytes", faces::get_image),
        r(Method::POST, "/v1/communities/{community_id}/face-photos/{photo_id}/approve", Community, "Approve a face photo (needs the person's consent: 409 consent_missing); boxes enrol it", faces::approve),
        r(Method::POST, "/v1/communities/{community_id}/face-photos/{photo_id}/reject", Community, "Reject a face photo with a note ({note}); boxes drop it if it was approved", faces::reject),
        r(Method::DELETE, "/v1/communities/{community_id}/face-photos/{photo_id}", Community, "Delete a face photo: its bytes are removed, boxes drop it", faces::delete),
        r(Method::GET, "/v1/communities/{community_id}/face-settings", Community, "Face settings: thumbnail upload and retention (defaults when never saved)", faces::get_settings),
        r(Method::PUT, "/v1/communities/{community_id}/face-settings", Community, "Change the face settings ({face_thumbnail_upload, face_thumbnail_retention_days 1..=365}); boxes follow on their next sync", faces::put_settings),
        r(Method::GET, "/v1/communities/{community_id}/overview", Community, "The home page's figures: open alarms by severity, pending/due-soon/overdue cases, passes since `since_ms`, boxes and devices offline", overview::get),
        r(Method::GET, "/v1/communities/{community_id}/alarm-events", Community, "Alarm transitions as boxes reported them, newest first, filtered and paginated", logs::alarms),
        r(Method::GET, "/v1/communities/{community_id}/alarms", Community, "Alarms (one per device and type until closed), newest first; filter by status, kind, severity, place, time", alarms::list),
        r(Method::GET, "/v1/communities/{community_id}/alarms/feed", Community, "Live feed of this community's alarm changes (server-sent events named `alarms`; ids only)", alarms::feed),
        r(Method::GET, "/v1/communities/{community_id}/alarms/{alarm_id}", Community, "One alarm with its whole history", alarms::get),
        r(Method::POST, "/v1/communities/{community_id}/alarms/{alarm_id}/ack", Community, "Acknowledge an alarm with a comment (who and when are recorded; the box hears of it)", alarms::ack),
        r(Method::POST, "/v1/communities/{community_id}/alarms/{alarm_id}/clear", Community, "Clear an alarm by hand with a comment", alarms::clear),
        r(Method::GET, "/v1/communities/{community_id}/case-categories", Cases, "The case category tree (major → middle → minor)", cases::get_categories),
        r(Method::POST, "/v1/communities/{community_id}/cases", Cases, "Report a case (staff, seat operators, field staff; the source must suit the role)", cases::report),
        r(Method::GET, "/v1/communities/{community_id}/cases", Cases, "Case lists (view = all, pending, finished, co_handling, dispatch, mine, self_handled, supervision) with filters, newest first, keyset pages", cases::list),
        r(Method::GET, "/v1/communities/{community_id}/case-workers", Cases, "The accounts that can appear in this community's cases (its staff and case workers, street-wide ones, street admins): names for ids, and whom to dispatch or assign to", cases::workers),
        r(Method::GET, "/v1/communities/{community_id}/cases/{case_id}", Cases, "One case with its whole history and the operations the caller may start", cases::get),
        r(Method::GET, "/v1/communities/{community_id}/cases/{case_id}/duplicates", Cases, "Open cases this one may repeat, ranked, with the signals that matched", cases::duplicates),
        r(Method::GET, "/v1/communities/{community_id}/cases/{case_id}/export.docx", Cases, "One case as a Word document: details, pictures, full history", cases::export_docx),
        r(Method::GET, "/v1/communities/{community_id}/cases/{case_id}/print", Cases, "One case as a print-friendly HTML page", cases::print),
        r(Method::GET, "/v1/communities/{community_id}/cases/export.xlsx", Cases, "A case list (same views and filters) as a spreadsheet", cases::export_xlsx),
        r(Method::POST, "/v1/communities/{community_id}/cases/{case_id}/ops", Cases, "One workflow operation ({\"op\": \"file\" | \"void\" | \"assign\" | …})", cases::operate),
        r(Method::POST, "/v1/communities/{community_id}/alarms/{alarm_id}/case", Community, "Turn an alarm into a case in one call (linked to it)", cases::from_alarm),
        r(Method::POST, "/v1/communities/{community_id}/attachments", Cases, "Upload a file for a case (raw body; Content-Type image/jpeg, image/png or application/pdf; ?name=)", cases::upload),
        r(Method::GET, "/v1/communities/{community_id}/attachments/{attachment_id}", Cases, "Download an uploaded file", cases::download),
        r(Method::POST, "/v1/app/attachments", App, "Upload a photo for a report from the app (?community_id= for non-residents)", cases::app_upload),
        r(Method::GET, "/open311/v2/services.json", Public, "Open311 GeoReport v2: services (one per minor case category); ?jurisdiction_id=<community id>", open311::services),
        r(Method::GET, "/open311/v2/requests.json", Public, "Open311 GeoReport v2: service requests of a jurisdiction (status open/closed; x_workflow_status)", open311::list_requests),
        r(Method::POST, "/open311/v2/requests.json", Public, "Open311 GeoReport v2: file a request (form; api_key = an app session token)", open311::create_request),
        r(Method::GET, "/open311/v2/requests/{request_file}", Public, "Open311 GeoReport v2: one request ({id}.json)", open311::get_request),
        r(Method::POST, "/v1/app/suggestions", App, "Send a suggestion to one's community", suggestions::post),
        r(Method::GET, "/v1/communities/{community_id}/suggestions", Community, "Residents' suggestions, newest first", suggestions::list),
        r(Method::POST, "/v1/communities/{community_id}/suggestions/{suggestion_id}/case", Community, "Turn a suggestion into a case in one call (linked to it)", suggestions::to_case),
        r(Method::PUT, "/v1/street/case-categories", Street, "Replace the case category tree", cases::put_categories),
        r(Method::POST, "/v1/app/cases", App, "Report a case from the app (residents: in their community)", cases::app_report),
        r(Method::GET, "/v1/app/cases/mine", App, "Cases I reported, with their state", cases::app_mine),
        r(Method::POST, "/v1/communities/{community_id}/devices", Community, "Register a smoke detector or elevator on a box (the box learns it on its next sync)", devices::create),
        r(Method::GET, "/v1/communities/{community_id}/devices", Community, "Devices with last state and last seen", devices::list),
        r(Method::GET, "/v1/communities/{community_id}/devices/tree", Community, "Devices grouped estate → building → unit", devices::tree),
        r(Method::GET, "/v1/communities/{community_id}/devices/{device_id}", Community, "One device with its open alarms and latest records", devices::get),
        r(Method::PUT, "/v1/communities/{community_id}/devices/{device_id}", Community, "Move or re-describe a device", devices::update),
        r(Method::DELETE, "/v1/communities/{community_id}/devices/{device_id}", Community, "Remove a device (its box forgets it; history stays)", devices::remove),
        r(Method::POST, "/v1/communities/{community_id}/devices/{device_id}/records", Community, "Add an elevator maintenance record or a repair record", devices::add_record),
        r(Method::GET, "/v1/communities/{community_id}/devices/{device_id}/records", Community, "A device's maintenance and repair records, newest first", devices::records),
        r(Method::GET, "/v1/communities/{community_id}/visits", Community, "Visitor appointments of this community, latest visit time first (hosts decide them in the app); names, phones, state with time applied", visits::staff_visits),
        r(Method::GET, "/v1/communities/{community_id}/address-applications", Community, "Multi-address applications for rooms in this community", visits::community_applications),
        r(Method::POST, "/v1/communities/{community_id}/address-applications/{application_id}/decide", Community, "Approve or refuse an address application within this community", visits::community_decide_application),
        // the app
        r(Method::POST, "/v1/app/visits", App, "Ask to visit a resident (host's phone, time, reason)", visits::request_visit),
        r(Method::GET, "/v1/app/visits/mine", App, "My visits (as visitor), with state", visits::my_visits),
        r(Method::GET, "/v1/app/visits/hosting", App, "My visitors (as host), with state", visits::my_visitors),
        r(Method::POST, "/v1/app/visits/{visit_id}/decide", App, "Host approves or refuses a visit", visits::decide_visit),
        r(Method::POST, "/v1/app/visits/{visit_id}/cancel", App, "Visitor or host cancels a visit", visits::cancel_visit),
        r(Method::GET, "/v1/app/notifications", App, "My notifications, newest first", notifications::list),
        r(Method::POST, "/v1/app/address-applications", App, "Apply for one more address", visits::apply_address),
        r(Method::POST, "/v1/app/onetap", App, "Open the nearest door I may pass", onetap::one_tap),
        // edge boxes
        r(Method::POST, "/v1/edge/provision", Public, "A box exchanges its one-time code and public key for its identity", edge::provision),
        r(Method::GET, "/v1/edge/sync/down", Edge, "Directory changes after a cursor", edge::sync_down),
        r(Method::POST, "/v1/edge/sync/up", Edge, "Upload pass logs, alarms, device states and face enrolment verdicts (idempotent by record id)", edge::sync_up),
        r(Method::GET, "/v1/edge/face-photos/{photo_id}", Edge, "A face photo this box was sent (approved, consent given, person with rights at the box's estate); 404 otherwise", faces::edge_photo),
        r(Method::POST, "/v1/edge/config/report", Edge, "What configuration the box runs, and what it made of the last revision it was sent", boxconfig::report),
        r(Method::GET, "/v1/edge/commands", Edge, "Long-poll for signed one-tap commands", edge::poll_commands),
        r(Method::POST, "/v1/edge/commands/outcome", Edge, "Report what a command did", edge::command_outcome),
    ]
}

/// Each route's rule by `"METHOD PATH"`, built once from the route table.
fn rules() -> &'static std::collections::HashMap<String, Access> {
    static RULES: std::sync::OnceLock<std::collections::HashMap<String, Access>> =
        std::sync::OnceLock::new();
    RULES.get_or_init(|| {
        routes()
            .into_iter()
            .map(|r| (format!("{} {}", r.method, r.path), r.access))
            .collect()
    })
}

pub fn router(state: AppState) -> Router {
    let mut by_path: BTreeMap<&'static str, MethodRouter<AppState>> = BTreeMap::new();
    for spec in routes() {
        let merged = match by_path.remove(spec.path) {
            Some(existing) => existing.merge(spec.handler),
            None => spec.handler,
        };
        by_path.insert(spec.path, merged);
    }
    let mut router = Router::new();
    for (path, mr) in by_path {
        router = router.route(path, mr);
    }
    let limit = state.cfg.max_body_bytes;
    let console_dir = state.cfg.console.dir.clone();
    router
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), guard))
        // Outside the route table: the scraper's own token, not an account (see `metrics`).
        .route("/metrics", axum::routing::get(metrics))
        .route_layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            crate::metrics::observe,
        ))
        .fallback(
            move |method: Method, uri: axum::http::Uri, headers: HeaderMap| {
                crate::console::serve(console_dir.clone(), method, uri, headers)
            },
        )
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not take that method",
            )
        })
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}

/// Authenticate, then apply the route's rule. Handlers find the caller in the request's
/// extensions (`Extension<Caller>`).
async fn guard(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let Some(path) = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
    else {
        return ApiError::internal("route without a matched path").into_response();
    };
    // axum answers HEAD with the GET handler: same rule.
    let method = if req.method() == Method::HEAD {
        &Method::GET
    } else {
        req.method()
    };
    let Some(access) = rules().get(&format!("{method} {path}")).copied() else {
        return ApiError::internal("route missing from the route table").into_response();
    };
    let (mut parts, body) = req.into_parts();
    let path_community = {
        use axum::extract::FromRequestParts;
        RawPathParams::from_request_parts(&mut parts, &())
            .await
            .ok()
            .and_then(|params| {
                params
                    .iter()
                    .find(|(k, _)| *k == "community_id")
                    .map(|(_, v)| v.to_string())
            })
    };
    // A box's request: its answer states the cloud's time (`edge_sync::auth::sign_time`).
    let mut stamp: Option<(String, String)> = None;
    let (caller, body) = match access {
        Access::Public => (Caller::Anonymous, body),
        Access::Edge => match edge_caller(&st, &parts, body).await {
            Ok((caller, body, signed)) => {
                stamp = Some(signed);
                (caller, body)
            }
            Err((e, signed)) => {
                let mut r = e.into_response();
                if let Some(signed) = signed {
                    stamp_cloud_time(&st, &mut r, &signed);
                }
                return r;
            }
        },
        _ => match account_caller(&st, &parts.method, &parts.headers).await {
            Ok(c) => (c, body),
            Err(e) => return e.into_response(),
        },
    };
    match policy::decide(access, &caller, path_community.as_deref()) {
        Ok(()) => {}
        Err(Denied::Unauthenticated) => {
            return ApiError::unauthenticated("sign in first (Authorization: Bearer TOKEN)")
                .into_response()
        }
        Err(Denied::Forbidden(why)) => return ApiError::forbidden(why).into_response(),
    }
    parts.extensions.insert(caller);
    let mut resp = next.run(Request::from_parts(parts, body)).await;
    if let Some(signed) = stamp {
        stamp_cloud_time(&st, &mut resp, &signed);
    }
    resp
}

/// The cloud's time on an answer to a box, read as the answer leaves, signed for that box and
/// that request (`signed`: the box id and the request's signature).
fn stamp_cloud_time(st: &AppState, resp: &mut Response, signed: &(String, String)) {
    let headers =
        edge_sync::auth::sign_time(&st.keys.onetap, &signed.0, &signed.1, crate::now_ms());
    for (name, value) in headers {
        if let Ok(v) = axum::http::HeaderValue::from_str(&value) {
            resp.headers_mut().insert(name, v);
        }
    }
}

/// The account behind a request: a bearer token (API clients, the app), or else the console's
/// session cookie, whose writes must also carry the session's CSRF token (a cookie is sent by
/// the browser whatever page asks; the token only by our own pages).
async fn account_caller(
    st: &AppState,
    method: &Method,
    headers: &HeaderMap,
) -> Result<Caller, ApiError> {
    use crate::auth::Presented;
    let token = match crate::auth::presented_token(headers) {
        Some(Presented::Malformed) => {
            return Err(ApiError::unauthenticated(
                "Authorization must be `Bearer TOKEN`",
            ))
        }
        None => return Ok(Caller::Anonymous),
        Some(Presented::Bearer(token)) => {
            return crate::rooms::accounts::account_by_token(st, &token)
                .await
                .map(Caller::Account)
        }
        Some(Presented::Cookie(token)) => token,
    };
    let account = crate::rooms::accounts::account_by_token(st, &token).await?;
    if !(method == Method::GET || method == Method::HEAD) {
        let sent = headers
            .get(crate::auth::CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !crate::auth::same_secret(sent, &crate::auth::csrf_token(&token)) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf_failed",
                format!(
                    "a write with the session cookie needs the session's {} header",
                    crate::auth::CSRF_HEADER
                ),
            ));
        }
    }
    Ok(Caller::Account(account))
}

/// The box id and request signature of a box's request whose signature verified.
type SignedBy = (String, String);

/// Verify a box's signed request. The body is read here (bounded) because the signature covers
/// it, then handed on unchanged. A refusal says whether the signature had verified (then the
/// refusal, too, carries the cloud's time: a box whose clock is off learns it).
async fn edge_caller(
    st: &AppState,
    parts: &axum::http::request::Parts,
    body: AxumBody,
) -> Result<(Caller, AxumBody, SignedBy), (ApiError, Option<SignedBy>)> {
    fn unsigned(e: impl Into<ApiError>) -> (ApiError, Option<SignedBy>) {
        (e.into(), None)
    }
    use edge_sync::auth::{HEADER_BOX, HEADER_SIGNATURE, HEADER_TIME};
    let header = |name: &'static str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .ok_or_else(|| {
                unsigned(ApiError::unauthenticated(format!(
                    "header `{name}` is missing"
                )))
            })
    };
    let box_id = header(HEADER_BOX)?;
    let time = header(HEADER_TIME)?;
    let sig = header(HEADER_SIGNATURE)?;
    let bytes = axum::body::to_bytes(body, st.cfg.max_body_bytes)
        .await
        .map_err(|_| {
            unsigned(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_rejected",
                "request body too large",
            ))
        })?;
    let row = sqlx::query(
        "SELECT community_id, estate_id, public_key, revoked FROM edge_boxes WHERE id = $1",
    )
    .bind(&box_id)
    .fetch_optional(&st.db.pool)
    .await
    .map_err(unsigned)?;
    let Some(row) = row else {
        return Err(unsigned(ApiError::unauthenticated("unknown edge box")));
    };
    if row.flag("revoked").map_err(unsigned)? {
        return Err(unsigned(ApiError::forbidden(
            "this edge box has been revoked",
        )));
    }
    let Some(pk) = row.opt_text("public_key").map_err(unsigned)? else {
        return Err(unsigned(ApiError::unauthenticated(
            "edge box not provisioned yet",
        )));
    };
    let key = edge_sync::onetap::parse_public_key(&pk)
        .map_err(|_| unsigned(ApiError::internal("stored box key is unreadable")))?;
    let pq = parts
        .uri
        .path_and_query()
        .map_or(parts.uri.path(), |p| p.as_str());
    let now = crate::now_ms();
    let signed: SignedBy = (box_id.clone(), sig.clone());
    match edge_sync::auth::verify_request(&key, parts.method.as_str(), pq, &time, &sig, &bytes, now)
    {
        Ok(()) => {}
        Err(e @ edge_sync::auth::RequestAuthError::Skew) => {
            tracing::info!(box_id = %box_id, "a box's request time is off; told the cloud's time");
            return Err((
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    edge_sync::auth::SKEW_ERROR_CODE,
                    e.to_string(),
                ),
                Some(signed),
            ));
        }
        Err(e) => return Err(unsigned(ApiError::unauthenticated(e.to_string()))),
    }
    // Only a verified request is remembered, so nobody but a box can fill the guard.
    if !crate::replay::admit(st, &time, &sig, now)
        .await
        .map_err(unsigned)?
    {
        tracing::warn!(box_id = %box_id, "a signed box request was replayed; refused");
        return Err(unsigned(ApiError::unauthenticated(
            edge_sync::auth::RequestAuthError::Replayed.to_string(),
        )));
    }
    let caller = Caller::Edge(EdgeBox {
        box_id,
        community_id: row.text("community_id").map_err(unsigned)?,
        estate_id: row.text("estate_id").map_err(unsigned)?,
    });
    Ok((caller, AxumBody::from(bytes), signed))
}

/// `GET /v1/health`.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct HealthV1 {
    /// `ok` when the database answered.
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    pub database: String,
}

async fn health(State(st): State<AppState>) -> ApiResult<Json<HealthV1>> {
    sqlx::query("SELECT 1").fetch_one(&st.db.pool).await?;
    Ok(Json(HealthV1 {
        status: "ok",
        database: format!("{:?}", st.db.engine).to_lowercase(),
    }))
}

/// `GET /metrics`: 404 unless `metrics_token` is set; then only with it as the bearer token.
pub async fn metrics(State(st): State<AppState>, headers: HeaderMap) -> Response {
    let Some(want) = st.cfg.metrics_token.as_deref() else {
        return (StatusCode::NOT_FOUND, "metrics are off (set metrics_token)").into_response();
    };
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !edge_sync::auth::constant_time_eq(given.as_bytes(), want.as_bytes()) {
        return (StatusCode::UNAUTHORIZED, "a bearer token is needed").into_response();
    }
    if let Err(e) = read_levels(&st).await {
        tracing::warn!(error = %e, "metrics: levels not read");
    }
    let mut text = String::new();
    if prometheus_client::encoding::text::encode(&mut text, &st.metrics.registry).is_err() {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "metrics could not be encoded",
        )
            .into_response();
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

async fn read_levels(st: &AppState) -> Result<(), sqlx::Error> {
    let m = &st.metrics;
    m.db_pool_connections.set(i64::from(st.db.pool.size()));
    m.db_pool_idle.set(st.db.pool.num_idle() as i64);
    let now = crate::now_ms();
    let rows = sqlx::query(
        "SELECT id, last_seen_ms FROM edge_boxes WHERE revoked = 0 AND provisioned_at_ms IS NOT NULL",
    )
    .fetch_all(&st.db.pool)
    .await?;
    let mut ids = Vec::with_capacity(rows.len());
    m.box_sync_lag_seconds.clear();
    for r in &rows {
        let id = r.text("id")?;
        let lag = r
            .opt_int("last_seen_ms")?
            .map_or(f64::NAN, |t| (now - t).max(0) as f64 / 1000.0);
        m.box_sync_lag_seconds
            .get_or_create(&crate::metrics::BoxLabels { box_id: id.clone() })
            .set(lag);
        ids.push(id);
    }
    m.boxes_in_service.set(ids.len() as i64);
    let online = st.hub.online_among(&ids, now).await?;
    m.boxes_online.set(online.len() as i64);
    Ok(())
}

/// `GET /v1/ready`.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct ReadyV1 {
    /// `ready`.
    pub status: &'static str,
    /// The newest migration applied, as this build knows it.
    pub schema_version: i64,
}

/// Ready to serve: the database answers and its schema is the one this build expects (a
/// replica started before a newer one migrated, or with the database away, says so with 503).
async fn ready(State(st): State<AppState>) -> ApiResult<Json<ReadyV1>> {
    let unavailable =
        |why: String| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", why);
    let newest: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
        .fetch_one(&st.db.pool)
        .await
        .map_err(|e| unavailable(format!("the database does not answer: {e}")))?;
    let known = crate::db::newest_migration();
    match newest {
        Some(v) if v == known => Ok(Json(ReadyV1 {
            status: "ready",
            schema_version: v,
        })),
        other => Err(unavailable(format!(
            "the database's schema is at {}, this build expects {known}",
            other.unwrap_or(0)
        ))),
    }
}

/// Built once (the route table and the types cannot change while the process runs).
async fn openapi() -> ApiResult<Json<OpenApiV1>> {
    static DOC: std::sync::OnceLock<Result<serde_json::Value, String>> = std::sync::OnceLock::new();
    DOC.get_or_init(openapi_document)
        .clone()
        .map(|d| Json(OpenApiV1(d)))
        .map_err(ApiError::internal)
}

/// This document, as `/openapi.json` serves it (its own schema is OpenAPI 3.1's).
#[derive(serde::Serialize)]
#[serde(transparent)]
pub struct OpenApiV1(serde_json::Value);

impl schemars::JsonSchema for OpenApiV1 {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "OpenApiV1".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "object",
            "description": "An OpenAPI 3.1 document (https://spec.openapis.org/oas/3.1.0)",
            "required": ["openapi", "info", "paths", "components"],
            "properties": {
                "openapi": {"type": "string"},
                "info": {"type": "object"},
                "paths": {"type": "object"},
                "components": {"type": "object"}
            }
        })
    }
}

/// The OpenAPI document, generated from the route table so it cannot drift from the router:
/// bodies and responses from each handler's types (`contract`), `x-access` from its rule (the
/// scope tests read it), `x-id-fields` and `x-public-reveals` from `scope` and `public`.
pub fn openapi_document() -> Result<serde_json::Value, String> {
    let mut gens = Generators::default();
    let error = gens.responses.subschema_for::<ErrorBodyV1>().to_value();
    let mut paths = serde_json::Map::new();
    let mut ops = Vec::new();
    for spec in routes() {
        let mut doc = Operation::default();
        (spec.document)(&mut doc, &mut gens);
        let mut params: Vec<serde_json::Value> = spec
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        params.extend(doc.query);
        let security = match spec.access {
            Access::Public => json!([]),
            Access::Edge => json!([{"edgeSignature": []}]),
            _ => json!([{"bearer": []}]),
        };
        if let Some(default) = doc.responses.get_mut("default") {
            if default["content"]["application/json"]["schema"]["$ref"]
                == "#/components/schemas/Error"
            {
                default["content"]["application/json"]["schema"] = error.clone();
            }
        }
        let mut op = json!({
            "operationId": operation_id(&spec.method, spec.path),
            "summary": spec.summary,
            "x-access": spec.access.code(),
            "parameters": params,
            "security": security,
            "responses": doc.responses,
        });
        let ids = crate::scope::id_fields(spec.method.as_str(), spec.path);
        if !ids.is_empty() {
            op["x-id-fields"] = json!(ids);
        }
        if let Some(r) = crate::public::reveals(spec.method.as_str(), spec.path) {
            op["x-public-reveals"] = json!(r);
        }
        if let Some(body) = doc.request_body {
            op["requestBody"] = body;
        }
        ops.push((spec.path, spec.method.as_str().to_lowercase(), op));
    }
    let (schemas, rename_request) = gens.components();
    for (path, method, mut op) in ops {
        if let Some(body) = op.get_mut("requestBody") {
            rename_request(body);
        }
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[method] = op;
    }
    Ok(json!({
        "openapi": "3.1.0",
        "info": {"title": "cloud-core", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Registry, accounts and scope, visitor appointments, edge provisioning and sync, one-tap, pass and alarm queries, alarms and devices, face enrolment, case management, Open311."},
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "Session token from POST /v1/auth/login"},
                "edgeSignature": {"type": "apiKey", "in": "header", "name": "x-edge-signature",
                                  "description": "Ed25519 signature of METHOD\\nPATH\\nTIME\\nsha256(body) with x-edge-box and x-edge-time-ms"}
            },
            "schemas": schemas,
        }
    }))
}

/// A stable operation id from method and path (`get_communities_community_id_people`), for
/// generated clients.
fn operation_id(method: &Method, path: &str) -> String {
    let mut id = method.as_str().to_lowercase();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        id.push('_');
        id.extend(seg.chars().map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        }));
    }
    while id.contains("__") {
        id = id.replace("__", "_");
    }
    id.trim_end_matches('_').to_string()
}
