//! Prometheus metrics of one cloud replica, served as OpenMetrics text at `GET /metrics`
//! (`server::metrics`) to a scraper holding `metrics_token` (off without one: box ids and counts
//! are the operator's, not the public's). Requests are counted by the access-log middleware
//! ([`observe`]) by route template, never by raw path, so ids never become labels; levels (boxes
//! online, each box's sync lag, the database pool) are read when scraped.

use std::sync::atomic::AtomicU64;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use std::sync::Arc;

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
    pub registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub request_seconds: Family<RouteLabels, Histogram>,
    /// Records boxes uploaded and the cloud stored (first time), by kind.
    pub uplink_records: Family<KindLabels, Counter>,
    /// Box long-polls this replica holds now.
    pub long_polls_open: Gauge,
    pub boxes_online: Gauge,
    pub boxes_in_service: Gauge,
    pub box_sync_lag_seconds: Family<BoxLabels, Gauge<f64, AtomicU64>>,
    pub db_pool_connections: Gauge,
    pub db_pool_idle: Gauge,
    /// Write one access-log line per request (`access_log` in the config).
    pub access_log: bool,
}

impl std::fmt::Debug for CloudMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CloudMetrics { .. }")
    }
}

impl CloudMetrics {
    pub fn new(access_log: bool) -> Self {
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
            access_log,
        }
    }

    /// The registry as OpenMetrics text.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// Count and time every request, and write the access log line (method, route template,
/// status, duration; never the path's ids, the query or any header).
pub async fn observe(State(m): State<Arc<CloudMetrics>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "other".to_string(), |m| m.as_str().to_string());
    let resp = next.run(req).await;
    let seconds = started.elapsed().as_secs_f64();
    let status = resp.status().as_u16();
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
    if m.access_log {
        tracing::info!(target: "access", method, route, status, duration_ms = seconds * 1000.0, "request");
    }
    resp
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
