//! The edge box's rules, as plain types whose methods take inputs (time included) and return
//! decisions. This crate depends on `serde` only, so it cannot do I/O: no async runtime, no
//! storage, no network, no clock (`edge-daemon::os_clock` is the only place that reads one).
//! The daemon's owner tasks hold these types and feed them messages.
//!
//! - [`access`]: `AccessEngine::decide` — who may pass which door, in a fixed rule order.
//! - [`clock`]: `ClockGuard` / `TimeView` — "now" as an interval, jumps detected, the cloud's
//!   signed time (`Reference`) followed once heard.
//! - [`retention`]: `RetentionPolicy` — which acknowledged records go, how full the outbox is.
//! - [`alarm`]: `AlarmBook`, `DoorMonitor`, `DeviceHealth` — door and device alarms.
//! - [`sensor`]: `SensorEngine` — smoke, battery, tamper, heartbeat and elevator rules.
#![forbid(unsafe_code)]

pub mod access;
pub mod alarm;
pub mod clock;
pub mod retention;
pub mod sensor;
