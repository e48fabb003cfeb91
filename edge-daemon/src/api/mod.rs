//! The box's local HTTP API (axum): one-tap open with a signed command, directory import, door
//! modes, health and status, recent passes. Handlers translate HTTP to gatekeeper messages and
//! back; they hold no state of their own.
//!
//! Error bodies are the cloud's shape, `{"error": {"code", "message", "field"?}}`
//! (`edge_sync::error::ErrorBodyV1`), with a message that names the field.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::access::{AccessRequest, Decision, Method};
use crate::cloud::wire::{DirectoryV1, IntoDomain};
use crate::config::EdgeConfig;
use crate::face::keeper::FaceHandle;
use crate::gate::keeper::{GatekeeperHandle, OneTapError, Outcome};
use crate::sensors::keeper::SensorHandle;
use crate::store::Store;
use edge_sync::SignedCommand;

#[derive(Clone)]
pub struct ApiState {
    pub gk: GatekeeperHandle,
    pub store: Store,
    /// Bearer token for the admin endpoints (import, door modes). None = admin endpoints off.
    pub admin_token: Option<Arc<str>>,
    pub box_id: Arc<str>,
    /// Set when sensors are configured (`[mqtt]`).
    pub sensors: Option<SensorHandle>,
    /// Set when face doors are configured (`[face]`).
    pub face: Option<FaceFront>,
}

/// What the frame endpoint needs of the face set-up.
#[derive(Clone)]
pub struct FaceFront {
    pub handle: FaceHandle,
    /// `face.frame_token`: lets a terminal push frames without the admin token.
    pub frame_token: Option<Arc<str>>,
    pub max_frame_bytes: usize,
}

/// What the daemon keeps of the started API.
pub(crate) struct ApiStart {
    pub(crate) addr: SocketAddr,
    pub(crate) task: JoinHandle<()>,
}

/// Bind `api.listen` and serve until `shutdown` turns true (gracefully: in-flight requests end).
pub(crate) async fn start(
    cfg: &EdgeConfig,
    gk: GatekeeperHandle,
    store: Store,
    sensors: Option<SensorHandle>,
    face: Option<FaceHandle>,
    shutdown: &watch::Sender<bool>,
) -> Result<ApiStart, std::io::Error> {
    let face = face.zip(cfg.face.as_ref()).map(|(handle, fc)| FaceFront {
        handle,
        frame_token: fc.frame_token.as_deref().map(Arc::from),
        max_frame_bytes: fc.max_frame_bytes,
    });
    let listener = tokio::net::TcpListener::bind(cfg.api.listen).await?;
    let addr = listener.local_addr()?;
    let state = ApiState {
        gk,
        store,
        admin_token: cfg.api.admin_token.as_deref().map(Arc::from),
        box_id: Arc::from(cfg.identity.id.as_str()),
        sensors,
        face,
    };
    let mut stop_api = shutdown.subscribe();
    let task = tokio::spawn(async move {
        let serve = axum::serve(listener, router(state)).with_graceful_shutdown(async move {
            let _ = stop_api.changed().await;
        });
        if let Err(e) = serve.await {
            tracing::error!(error = %e, "local API stopped");
        }
    });
    Ok(ApiStart { addr, task })
}

pub fn router(state: ApiState) -> Router {
    // Operator routes: the admin token is checked once, by `require_admin`, before any of them
    // runs (and before their bodies are read).
    let admin = Router::new()
        .route("/v1/decide", post(decide))
        .route("/v1/directory", put(import))
        .route("/v1/doors/{id}/mode", put(set_mode))
        .route("/v1/passes", get(passes))
        .route("/v1/passes/{id}/thumbnail", get(pass_thumbnail))
        .route("/v1/clock/confirm", post(confirm_clock))
        .route("/v1/sensors", get(sensors))
        .route(
            "/v1/sensors/{id}/alarms/{alarm}/ack",
            post(ack_sensor_alarm),
        )
        .route("/v1/fire/restore", post(fire_restore))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            require_admin,
        ));
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/status", get(status))
        // Counts and timings only, like the status (no person, code or key): for Prometheus.
        .route("/metrics", get(metrics))
        // Signed commands carry their own proof.
        .route("/v1/onetap", post(one_tap))
        .route(
            "/v1/doors/{id}/face-frames",
            // The frame token or the admin token (checked in the handler); the size limit is
            // checked there against face.max_frame_bytes.
            post(face_frame).layer(axum::extract::DefaultBodyLimit::max(32 * 1024 * 1024)),
        )
        .merge(admin)
        .with_state(state)
}

async fn require_admin(
    State(s): State<ApiState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match authorised(&s, req.headers()) {
        Ok(()) => next.run(req).await,
        Err(r) => *r,
    }
}

/// An error in the project's one shape (`edge_sync::error::ErrorBodyV1`, as the cloud's). A
/// message that starts with ``field `x`:`` names `x` as the field to blame.
fn error(status: StatusCode, code: &str, message: impl std::fmt::Display) -> Response {
    let message = message.to_string();
    let field = message
        .strip_prefix("field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(f, _)| f.to_string());
    (
        status,
        Json(edge_sync::error::ErrorBodyV1::new(
            code,
            message,
            field.as_deref(),
        )),
    )
        .into_response()
}

fn unavailable() -> Response {
    error(
        StatusCode::SERVICE_UNAVAILABLE,
        "shutting_down",
        "the daemon is stopping",
    )
}

fn bad_json(rej: JsonRejection) -> Response {
    error(
        StatusCode::UNPROCESSABLE_ENTITY,
        "malformed_body",
        rej.body_text(),
    )
}

fn authorised(state: &ApiState, headers: &HeaderMap) -> Result<(), Box<Response>> {
    let Some(token) = &state.admin_token else {
        return Err(Box::new(error(
            StatusCode::FORBIDDEN,
            "admin_disabled",
            "no api.admin_token is configured",
        )));
    };
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match given {
        Some(g) if edge_sync::auth::constant_time_eq(g.as_bytes(), token.as_bytes()) => Ok(()),
        _ => Err(Box::new(error(
            StatusCode::UNAUTHORIZED,
            "unauthorised",
            "header `Authorization`: missing or wrong bearer token",
        ))),
    }
}

async fn health() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

async fn status(State(s): State<ApiState>) -> Response {
    let Some(snap) = s.gk.snapshot().await else {
        return unavailable();
    };
    // Counters the writes keep: no scan, however long the log.
    let figures = s.store.log_figures();
    Json(json!({
        "box_id": &*s.box_id,
        "doors": snap.doors,
        "offline_devices": snap.offline_devices,
        "alarms": snap.alarms,
        "people": snap.people,
        "grants": snap.grants,
        "clock_jumped": snap.clock_jumped,
        "clock_source": snap.clock_source,
        "wall_offset_ms": snap.wall_offset_ms,
        "outbox_depth": s.store.outbox_depth(),
        "outbox_bytes": figures.unacked_bytes,
        "passlog_records": s.store.passlog_len(),
        "log_records": s.store.log_records(),
        "log_bytes": figures.total_bytes,
        "store_bytes": s.store.size_on_disk(),
    }))
    .into_response()
}

/// `GET /metrics`: counters as they are, levels read now (OpenMetrics text). Counts and timings
/// only: no person, code or key.
async fn metrics(State(s): State<ApiState>) -> Response {
    let m = crate::metrics::get();
    let figures = s.store.log_figures();
    m.outbox_records.set(s.store.outbox_depth() as i64);
    m.outbox_bytes.set(figures.unacked_bytes as i64);
    m.log_bytes.set(figures.total_bytes as i64);
    let now = s.gk.time().now_ms();
    let oldest = s
        .store
        .outbox_head(1)
        .ok()
        .and_then(|h| h.first().map(|r| r.at_ms()));
    m.outbox_oldest_age_seconds
        .set(oldest.map_or(0.0, |at| (now - at).max(0) as f64 / 1000.0));
    if let Some(snap) = s.gk.snapshot().await {
        m.clock_from_cloud
            .set(i64::from(snap.clock_source == "cloud"));
        m.clock_wall_offset_seconds
            .set(snap.wall_offset_ms.unwrap_or(0) as f64 / 1000.0);
        m.clock_jumped.set(i64::from(snap.clock_jumped));
    }
    if let Some(sensors) = &s.sensors {
        if let Some(snap) = sensors.snapshot().await {
            let c = &snap.counters;
            m.mqtt_total("received", c.received);
            m.mqtt_total("decoded", c.decoded);
            m.mqtt_total("unknown_topic", c.unknown_topic);
            m.mqtt_total("unknown_device", c.unknown_device);
            for (why, n) in &c.rejected {
                m.mqtt_total(&format!("rejected_{why}"), *n);
            }
        }
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        m.encode(),
    )
        .into_response()
}

/// Wait until the decision is on disk and the door has been driven, then answer.
async fn finish(out: Outcome) -> Response {
    let durable = out.durable.await;
    let recorded = matches!(durable, Ok(Ok(_)));
    if !recorded {
        let why = match durable {
            Ok(Err(e)) => e,
            _ => "store writer stopped".into(),
        };
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "not_recorded",
            format!("decision could not be stored: {why}"),
        );
    }
    let opened = match out.opened {
        Some(rx) => Some(rx.await.unwrap_or_else(|_| {
            Err(crate::gate::modbus::GateError::BusGone {
                bus: "driver".into(),
            })
        })),
        None => None,
    };
    let body = |extra: serde_json::Value| {
        let mut v = json!({
            "record_id": out.record_id,
            "allowed": out.decision.is_allowed(),
            "reason": out.decision.reason_code(),
        });
        if let (Some(m), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            m.extend(e.clone());
        }
        v
    };
    match (&out.decision, opened) {
        (Decision::Deny { .. }, _) => {
            (StatusCode::FORBIDDEN, Json(body(json!({})))).into_response()
        }
        (Decision::Allow { .. }, None) => {
            (StatusCode::OK, Json(body(json!({"opened": false})))).into_response()
        }
        (Decision::Allow { .. }, Some(Ok(()))) => {
            (StatusCode::OK, Json(body(json!({"opened": true})))).into_response()
        }
        (Decision::Allow { .. }, Some(Err(e))) => {
            let status = match e {
                crate::gate::modbus::GateError::Exception { .. } => StatusCode::BAD_GATEWAY,
                _ => StatusCode::SERVICE_UNAVAILABLE,
            };
            (
                status,
                Json(body(
                    json!({"opened": false, "error": {"code": "open_failed", "message": e.to_string()}}),
                )),
            )
                .into_response()
        }
    }
}

async fn one_tap(
    State(s): State<ApiState>,
    body: Result<Json<SignedCommand>, JsonRejection>,
) -> Response {
    let Json(cmd) = match body {
        Ok(b) => b,
        Err(rej) => return bad_json(rej),
    };
    match s.gk.one_tap(cmd).await {
        None => unavailable(),
        Some(Err(OneTapError::Invalid(e))) => {
            tracing::warn!(error = %e, "one-tap command refused");
            error(StatusCode::UNAUTHORIZED, "invalid_command", e)
        }
        Some(Err(OneTapError::Replayed)) => {
            tracing::warn!("one-tap command replayed");
            error(
                StatusCode::CONFLICT,
                "replayed",
                "field `command_id`: this command was already used",
            )
        }
        Some(Err(OneTapError::Store(e))) => error(StatusCode::INTERNAL_SERVER_ERROR, "store", e),
        Some(Ok(out)) => finish(out).await,
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DecideBody {
    door_id: String,
    person_id: String,
    /// face | staff (one_tap needs a signed command: POST /v1/onetap)
    method: String,
}

/// Decisions from on-box recognisers (face terminals) — admin-authenticated.
async fn decide(
    State(s): State<ApiState>,
    body: Result<Json<DecideBody>, JsonRejection>,
) -> Response {
    let Json(b) = match body {
        Ok(b) => b,
        Err(rej) => return bad_json(rej),
    };
    use edge_sync::vocab::PassMethod as Code;
    let method = match Code::parse(&b.method) {
        Some(Code::Face) => Method::Face,
        Some(Code::Staff) => Method::Staff,
        _ => {
            let other = &b.method;
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "malformed_body",
                format!("field `method`: `{other}` is not face or staff"),
            );
        }
    };
    let req = AccessRequest {
        door_id: b.door_id,
        person_id: b.person_id,
        method,
    };
    match s.gk.decide(req).await {
        None => unavailable(),
        Some(out) => finish(out).await,
    }
}

/// A face terminal or camera pushes one JPEG/PNG frame for a face door (body = the image).
/// 200 with the frame's verdict, and when it completed an attempt, the pass record.
async fn face_frame(
    State(s): State<ApiState>,
    headers: HeaderMap,
    Path(door): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let Some(face) = &s.face else {
        return error(
            StatusCode::NOT_FOUND,
            "face_disabled",
            "no [face] section is configured on this box",
        );
    };
    let frame_ok = face.frame_token.as_ref().is_some_and(|t| {
        headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|g| edge_sync::auth::constant_time_eq(g.as_bytes(), t.as_bytes()))
    });
    if !frame_ok {
        if let Err(r) = authorised(&s, &headers) {
            return *r;
        }
    }
    if body.len() > face.max_frame_bytes {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "frame_too_large",
            format!(
                "body: {} bytes, more than face.max_frame_bytes = {}",
                body.len(),
                face.max_frame_bytes
            ),
        );
    }
    match crate::face::keeper::face_pass(&face.handle, &s.gk, &s.store, &door, body.to_vec()).await
    {
        Ok(pass) => Json(pass).into_response(),
        Err(e @ crate::face::keeper::FrameError::NotAFaceDoor(_)) => {
            error(StatusCode::NOT_FOUND, "not_a_face_door", e)
        }
        Err(e @ crate::face::keeper::FrameError::Image(_)) => {
            error(StatusCode::UNPROCESSABLE_ENTITY, "bad_image", e)
        }
        Err(crate::face::keeper::FrameError::Gone) => unavailable(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "face_pipeline", e),
    }
}

/// The face thumbnail of a pass record (admin; the box keeps it for the retention period).
async fn pass_thumbnail(State(s): State<ApiState>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<uuid::Uuid>() else {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "malformed_path",
            "path `id`: not a UUID",
        );
    };
    match s.store.thumbnail(id) {
        Ok(Some(jpeg)) => {
            ([(axum::http::header::CONTENT_TYPE, "image/jpeg")], jpeg).into_response()
        }
        Ok(None) => error(
            StatusCode::NOT_FOUND,
            "not_found",
            "no thumbnail for this pass",
        ),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "store", e),
    }
}

async fn import(
    State(s): State<ApiState>,
    body: Result<Json<DirectoryV1>, JsonRejection>,
) -> Response {
    let Json(dir) = match body {
        Ok(b) => b,
        Err(rej) => return bad_json(rej),
    };
    let dir = match dir.into_domain("directory") {
        Ok(d) => d,
        Err(e) => return error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_directory", e),
    };
    match s.gk.import(dir).await {
        None => unavailable(),
        Some(Ok((people, grants))) => {
            Json(json!({"people": people, "grants": grants})).into_response()
        }
        Some(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, "store", e),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModeBody {
    /// normal | held_open | locked | emergency_release
    mode: String,
}

async fn set_mode(
    State(s): State<ApiState>,
    Path(id): Path<String>,
    body: Result<Json<ModeBody>, JsonRejection>,
) -> Response {
    let Json(b) = match body {
        Ok(b) => b,
        Err(rej) => return bad_json(rej),
    };
    let Some(mode) = crate::cloud::wire::parse_door_mode(&b.mode) else {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "malformed_body",
            format!(
                "field `mode`: `{}` is not {}",
                b.mode,
                edge_sync::vocab::DoorMode::EXPECTED
            ),
        );
    };
    match s.gk.set_mode(id.clone(), mode).await {
        None => unavailable(),
        Some(Ok(true)) => Json(json!({"door_id": id, "mode": b.mode})).into_response(),
        Some(Ok(false)) => error(
            StatusCode::NOT_FOUND,
            "unknown_door",
            format!("path `id`: no door `{id}`"),
        ),
        Some(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, "store", e),
    }
}

#[derive(Debug, Deserialize)]
struct PassQuery {
    limit: Option<usize>,
}

async fn passes(
    State(s): State<ApiState>,
    q: Result<Query<PassQuery>, QueryRejection>,
) -> Response {
    let Query(q) = match q {
        Ok(q) => q,
        Err(rej) => {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "malformed_query",
                format!("query `limit`: {}", rej.body_text()),
            )
        }
    };
    let limit = q.limit.unwrap_or(50).min(1000);
    let store = s.store.clone();
    match tokio::task::spawn_blocking(move || store.recent_passes(limit)).await {
        Ok(Ok(v)) => Json(json!({"passes": v})).into_response(),
        Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, "store", e),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "store", e),
    }
}

/// After a clock jump, visitor windows stay narrowed until someone vouches for the time.
async fn confirm_clock(State(s): State<ApiState>) -> Response {
    match s.gk.confirm_clock().await {
        None => unavailable(),
        Some(wall) => Json(json!({"confirmed_wall_ms": wall})).into_response(),
    }
}

fn sensors_of(s: &ApiState) -> Result<&SensorHandle, Box<Response>> {
    s.sensors.as_ref().ok_or_else(|| {
        Box::new(error(
            StatusCode::NOT_FOUND,
            "no_sensors",
            "this box has no [mqtt] sensors configured",
        ))
    })
}

/// Sensors with their last state, open alarms, ingest counters and fire-released doors.
async fn sensors(State(s): State<ApiState>) -> Response {
    let h = match sensors_of(&s) {
        Ok(h) => h,
        Err(r) => return *r,
    };
    match h.snapshot().await {
        Some(snap) => Json(snap).into_response(),
        None => unavailable(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AckBody {
    /// Who acknowledges (recorded with the alarm).
    by: String,
}

async fn ack_sensor_alarm(
    State(s): State<ApiState>,
    Path((id, alarm)): Path<(String, String)>,
    body: Result<Json<AckBody>, JsonRejection>,
) -> Response {
    let h = match sensors_of(&s) {
        Ok(h) => h,
        Err(r) => return *r,
    };
    let Json(b) = match body {
        Ok(b) => b,
        Err(rej) => return bad_json(rej),
    };
    if b.by.trim().is_empty() || b.by.len() > 64 {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "malformed_body",
            "field `by`: 1 to 64 characters",
        );
    }
    let Some(kind) = crate::sensor::SensorAlarm::parse(&alarm) else {
        return error(
            StatusCode::NOT_FOUND,
            "unknown_alarm",
            format!("path `alarm`: `{alarm}` is not a sensor alarm kind"),
        );
    };
    match h.ack(id.clone(), kind, b.by.trim().to_string()).await {
        None => unavailable(),
        Some(Ok(())) => {
            Json(json!({"device": id, "alarm": alarm, "acked_by": b.by.trim()})).into_response()
        }
        Some(Err(e @ crate::sensor::AckError::NoSuchAlarm { .. })) => {
            error(StatusCode::NOT_FOUND, "no_such_alarm", e)
        }
        Some(Err(e)) => error(StatusCode::CONFLICT, "already_acked", e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RestoreBody {
    /// Restore the exits released for this building; leave out for every released door.
    #[serde(default)]
    building: Option<String>,
    by: String,
}

/// An authorised person ends a fire release: the doors go back to normal.
async fn fire_restore(
    State(s): State<ApiState>,
    body: Result<Json<RestoreBody>, JsonRejection>,
) -> Response {
    let h = match sensors_of(&s) {
        Ok(h) => h,
        Err(r) => return *r,
    };
    let Json(b) = match body {
        Ok(b) => b,
        Err(rej) => return bad_json(rej),
    };
    if b.by.trim().is_empty() || b.by.len() > 64 {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "malformed_body",
            "field `by`: 1 to 64 characters",
        );
    }
    match h.restore(b.building, b.by.trim().to_string()).await {
        None => unavailable(),
        Some(doors) => Json(json!({"restored": doors})).into_response(),
    }
}
