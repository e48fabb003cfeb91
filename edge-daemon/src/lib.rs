//! The per-community edge daemon: decides locally who may pass which door, drives gate
//! controllers over Modbus RTU/TCP, watches door contacts, and keeps every decision and alarm
//! in a durable outbox. See ARCHITECTURE.md at the repository root for the map.
#![forbid(unsafe_code)]

// The rules live in their own crate (`edge-daemon/rules`), which cannot do I/O; they keep their
// paths here (`edge_daemon::access`, …) for the daemon's modules and the tests.
pub use edge_rules::{access, alarm, clock, sensor};

pub mod api;
pub mod cloud;
pub mod cloud_config;
pub mod config;
pub mod config_error;
pub mod daemon;
pub mod face_config;
pub mod facecamera;
pub mod faceenrol;
pub mod facekeeper;
pub mod gate;
pub mod gatekeeper;
pub mod mqtt;
pub mod os_clock;
pub mod profile;
pub mod records;
pub mod sensor_config;
pub mod sensor_profile;
pub mod sensorkeeper;
pub mod store;
pub mod wire;
