//! Prometheus metrics of one cloud replica, served as OpenMetrics text at `GET /metrics` to a
//! scraper holding `metrics_token` (off without one: box ids and counts are the operator's, not
//! the public's). Requests are counted by the access-log middleware ([`observe`]) by route
//! template, never by raw path, so ids never become labels; levels (boxes online, each box's
//! sync lag, the database pool) are read when scraped.

use std::sync::atomic::AtomicU64;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use crate::db::RowExt;
use crate::state::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    /// The route template (`/v1/communities/{community_id}/…`), or `other`.
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    pub kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BoxLabels {
    pub box_id: String,
}

pub struct CloudMetrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub request_seconds: Family<RouteLabels, Histogram>,
    /// Records boxes uploaded and the cloud stored (first time), by kind.
    pub uplink_records: Family<KindLabels, Counter>,
    /// Box long-polls this replica holds now.
    pub long_polls_open: Gauge,
    boxes_online: Gauge,
    boxes_in_service: Gauge,
    box_sync_lag_seconds: Family<BoxLabels, Gauge<f64, AtomicU64>>,
    db_pool_connections: Gauge,
    db_pool_idle: Gauge,
}

impl std::fmt::Debug for CloudMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CloudMetrics { .. }")
    }
}

impl Default for CloudMetrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("cloud");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "Requests answered, by route template and status",
            requests.clone(),
        );
        let request_seconds = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0,
            ])
        });
        registry.register_with_unit(
            "http_request_duration",
            "Time from request to response (long-polls included), by route template",
            Unit::Seconds,
            request_seconds.clone(),
        );
        let uplink_records = Family::<KindLabels, Counter>::default();
        registry.register(
            "uplink_records",
            "Records boxes uploaded that were new here, by kind",
            uplink_records.clone(),
        );
        let long_polls_open = Gauge::default();
        registry.register(
            "long_polls_open",
            "Box command long-polls this replica holds now",
            long_polls_open.clone(),
        );
        let boxes_online = Gauge::default();
        registry.register(
            "boxes_online",
            "Provisioned, unrevoked boxes holding a long-poll (on any replica)",
            boxes_online.clone(),
        );
        let boxes_in_service = Gauge::default();
        registry.register(
            "boxes_in_service",
            "Provisioned, unrevoked boxes",
            boxes_in_service.clone(),
        );
        let box_sync_lag_seconds = Family::<BoxLabels, Gauge<f64, AtomicU64>>::default();
        registry.register_with_unit(
            "box_sync_lag",
            "Time since each box in service last talked to the cloud",
            Unit::Seconds,
            box_sync_lag_seconds.clone(),
        );
        let db_pool_connections = Gauge::default();
        registry.register(
            "db_pool_connections",
            "Database connections open in this replica's pool",
            db_pool_connections.clone(),
        );
        let db_pool_idle = Gauge::default();
        registry.register(
            "db_pool_idle",
            "Of those, idle (0 for long: requests wait for a connection)",
            db_pool_idle.clone(),
        );
        CloudMetrics {
            registry,
            requests,
            request_seconds,
            uplink_records,
            long_polls_open,
            boxes_online,
            boxes_in_service,
            box_sync_lag_seconds,
            db_pool_connections,
            db_pool_idle,
        }
    }
}

/// Count and time every request, and write the access log line (method, route template,
/// status, duration; never the path's ids, the query or any header).
pub async fn observe(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "other".to_string(), |m| m.as_str().to_string());
    let resp = next.run(req).await;
    let seconds = started.elapsed().as_secs_f64();
    let status = resp.status().as_u16();
    let m = &st.metrics;
    m.requests
        .get_or_create(&RequestLabels {
            method: method.clone(),
            route: route.clone(),
            status,
        })
        .inc();
    m.request_seconds
        .get_or_create(&RouteLabels {
            method: method.clone(),
            route: route.clone(),
        })
        .observe(seconds);
    if st.cfg.access_log {
        tracing::info!(target: "access", method, route, status, duration_ms = seconds * 1000.0, "request");
    }
    resp
}

/// `GET /metrics`: 404 unless `metrics_token` is set; then only with it as the bearer token.
pub async fn serve(State(st): State<AppState>, headers: HeaderMap) -> Response {
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
            .get_or_create(&BoxLabels { box_id: id.clone() })
            .set(lag);
        ids.push(id);
    }
    m.boxes_in_service.set(ids.len() as i64);
    let online = st.hub.online_among(&ids, now).await?;
    m.boxes_online.set(online.len() as i64);
    Ok(())
}

/// One more on `gauge` while alive (a long-poll held, however it ends).
pub struct Open<'a>(&'a Gauge);

impl<'a> Open<'a> {
    pub fn new(gauge: &'a Gauge) -> Open<'a> {
        gauge.inc();
        Open(gauge)
    }
}

impl Drop for Open<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}
