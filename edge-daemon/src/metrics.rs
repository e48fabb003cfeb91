//! Prometheus metrics of the box, served as OpenMetrics text on the local API (`GET /metrics`).
//!
//! Events are counted where they happen (decisions in the gatekeeper, bus failures in the bus
//! owners, face timings in the face path); levels are read when scraped (outbox depth and age
//! from the store's counters, the clock from the gatekeeper, MQTT ingest from the sensor keeper).
//! One set per process ([`get`]): every counter is an atomic, so any task may count.

use std::sync::OnceLock;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DecisionLabels {
    pub method: String,
    /// `allowed` or `denied`.
    pub result: String,
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DeviceLabels {
    pub device: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StageLabels {
    pub stage: String,
}

pub struct Metrics {
    registry: Registry,
    pub decisions: Family<DecisionLabels, Counter>,
    /// Decision asked → its pass record durable.
    pub decision_seconds: Histogram,
    /// Record durable → the relay write acknowledged by the device.
    pub relay_seconds: Histogram,
    pub bus_failures: Family<DeviceLabels, Counter>,
    pub face_seconds: Family<StageLabels, Histogram>,
    pub mqtt_messages: Family<OutcomeLabels, Counter>,
    pub outbox_records: Gauge,
    pub outbox_bytes: Gauge,
    pub outbox_oldest_age_seconds: Gauge<f64, std::sync::atomic::AtomicU64>,
    pub log_bytes: Gauge,
    pub clock_from_cloud: Gauge,
    pub clock_wall_offset_seconds: Gauge<f64, std::sync::atomic::AtomicU64>,
    pub clock_jumped: Gauge,
}

/// Buckets from 0.1 ms to about 3.3 s.
fn latency_buckets() -> impl Iterator<Item = f64> {
    prometheus_client::metrics::histogram::exponential_buckets(0.0001, 2.0, 16)
}

impl Metrics {
    fn new() -> Metrics {
        let mut r = Registry::with_prefix("edge");
        let decisions = Family::<DecisionLabels, Counter>::default();
        r.register(
            "decisions",
            "Access decisions by method, result and reason",
            decisions.clone(),
        );
        let decision_seconds = Histogram::new(latency_buckets());
        r.register_with_unit(
            "decision",
            "From a decision asked to its pass record durable",
            Unit::Seconds,
            decision_seconds.clone(),
        );
        let relay_seconds = Histogram::new(latency_buckets());
        r.register_with_unit(
            "relay",
            "From the pass record durable to the relay write acknowledged",
            Unit::Seconds,
            relay_seconds.clone(),
        );
        let bus_failures = Family::<DeviceLabels, Counter>::default();
        r.register(
            "bus_request_failures",
            "Modbus requests that got no answer (each attempt), per device",
            bus_failures.clone(),
        );
        let face_seconds = Family::<StageLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(latency_buckets())
        });
        r.register_with_unit(
            "face",
            "Face frame timings by stage (decode, total)",
            Unit::Seconds,
            face_seconds.clone(),
        );
        let mqtt_messages = Family::<OutcomeLabels, Counter>::default();
        r.register(
            "mqtt_messages",
            "MQTT messages taken in, by outcome",
            mqtt_messages.clone(),
        );
        let outbox_records = Gauge::default();
        r.register(
            "outbox_records",
            "Records the cloud has not acknowledged",
            outbox_records.clone(),
        );
        let outbox_bytes = Gauge::default();
        r.register_with_unit(
            "outbox",
            "Bytes of the records the cloud has not acknowledged",
            Unit::Bytes,
            outbox_bytes.clone(),
        );
        let outbox_oldest_age_seconds = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        r.register_with_unit(
            "outbox_oldest_age",
            "Age of the oldest record the cloud has not acknowledged (0 when none)",
            Unit::Seconds,
            outbox_oldest_age_seconds.clone(),
        );
        let log_bytes = Gauge::default();
        r.register_with_unit(
            "log",
            "Bytes of the event log (acknowledged and not)",
            Unit::Bytes,
            log_bytes.clone(),
        );
        let clock_from_cloud = Gauge::default();
        r.register(
            "clock_from_cloud",
            "1 once decisions follow the cloud's signed time, 0 on the wall clock",
            clock_from_cloud.clone(),
        );
        let clock_wall_offset_seconds = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        r.register_with_unit(
            "clock_wall_offset",
            "The wall clock minus the cloud's time (0 until the cloud is heard)",
            Unit::Seconds,
            clock_wall_offset_seconds.clone(),
        );
        let clock_jumped = Gauge::default();
        r.register(
            "clock_jumped",
            "1 while a clock jump is active",
            clock_jumped.clone(),
        );
        Metrics {
            registry: r,
            decisions,
            decision_seconds,
            relay_seconds,
            bus_failures,
            face_seconds,
            mqtt_messages,
            outbox_records,
            outbox_bytes,
            outbox_oldest_age_seconds,
            log_bytes,
            clock_from_cloud,
            clock_wall_offset_seconds,
            clock_jumped,
        }
    }

    pub fn decision(&self, method: &str, allowed: bool, reason: &str) {
        self.decisions
            .get_or_create(&DecisionLabels {
                method: method.to_string(),
                result: if allowed { "allowed" } else { "denied" }.to_string(),
                reason: reason.to_string(),
            })
            .inc();
    }

    pub fn bus_failure(&self, device: &str) {
        self.bus_failures
            .get_or_create(&DeviceLabels {
                device: device.to_string(),
            })
            .inc();
    }

    pub fn face_stage(&self, stage: &str, ms: f64) {
        self.face_seconds
            .get_or_create(&StageLabels {
                stage: stage.to_string(),
            })
            .observe(ms / 1000.0);
    }

    /// Bring a counter kept elsewhere (a monotonic total) up to `total`.
    pub fn mqtt_total(&self, outcome: &str, total: u64) {
        let c = self.mqtt_messages.get_or_create(&OutcomeLabels {
            outcome: outcome.to_string(),
        });
        let now = c.get();
        if total > now {
            c.inc_by(total - now);
        }
    }

    /// The OpenMetrics text of everything.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// The process's metrics.
pub fn get() -> &'static Metrics {
    static M: OnceLock<Metrics> = OnceLock::new();
    M.get_or_init(Metrics::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_levels_come_out_as_openmetrics_text() {
        let m = Metrics::new();
        m.decision("one_tap", true, "resident");
        m.decision("one_tap", true, "resident");
        m.decision("face", false, "unknown_person");
        m.decision_seconds.observe(0.002);
        m.bus_failure("relay-2");
        m.mqtt_total("decoded", 5);
        m.mqtt_total("decoded", 7);
        m.mqtt_total("decoded", 6); // never backwards
        m.outbox_records.set(3);
        let text = m.encode();
        assert!(
            text.contains(
                r#"edge_decisions_total{method="one_tap",result="allowed",reason="resident"} 2"#
            ),
            "{text}"
        );
        assert!(text.contains(
            r#"edge_decisions_total{method="face",result="denied",reason="unknown_person"} 1"#
        ));
        assert!(text.contains("edge_decision_seconds_count 1"), "{text}");
        assert!(text.contains(r#"edge_bus_request_failures_total{device="relay-2"} 1"#));
        assert!(text.contains(r#"edge_mqtt_messages_total{outcome="decoded"} 7"#));
        assert!(text.contains("edge_outbox_records 3"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
