//! One room per domain. A room holds its API types (`…V1`, request bodies), its HTTP handlers
//! and its SQL; its rules live in the `cloud-rules` crate under the same name where it has any.
//! Rooms use the shared modules (`state`, `paging`, `scope`, `db`, `error`, `contract`) and may
//! call another room's `pub(crate)` functions, never in a circle (`tests/tests/layering.rs`).
//! Adding a room: a file here, its line below, its routes in `server::routes`
//! (ARCHITECTURE.md, "Adding a cloud domain").

pub mod accounts;
pub mod alarms;
pub mod boxconfig;
pub mod cases;
pub mod devices;
pub mod edge;
pub mod faces;
pub mod logs;
pub mod notifications;
pub mod onetap;
pub mod open311;
pub mod overview;
pub mod registry;
pub mod staffrights;
pub mod suggestions;
pub mod visits;
