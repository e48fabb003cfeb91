//! The per-community edge daemon: decides locally who may pass which door, drives gate
//! controllers over Modbus RTU/TCP, watches door contacts, and keeps every decision and alarm
//! in a durable outbox. See ARCHITECTURE.md at the repository root for the map.
#![forbid(unsafe_code)]

// The rules live in their own crate (`edge-daemon/rules`), which cannot do I/O; they keep their
// paths here (`edge_daemon::access`, …) for the daemon's modules and the tests.
pub use edge_rules::{access, alarm, clock, retention, sensor};

pub mod api;
pub mod backup;
pub mod cloud;
pub mod config;
pub mod daemon;
pub mod doctor;
pub mod face;
pub mod files;
pub mod gate;
pub mod metrics;
pub mod os_clock;
pub mod readers;
pub mod sensors;
pub mod store;
