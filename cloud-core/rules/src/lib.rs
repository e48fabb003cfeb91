//! The cloud's rules, as plain types whose methods take inputs (time included) and return
//! decisions. This crate depends on no async runtime, database or HTTP library, so it cannot do
//! I/O; `cloud-core`'s handlers load, ask these rules, and store.
//!
//! - [`policy`]: `decide(access, caller, path_community)` — roles × route rules × scope.
//! - [`faces`]: face photo review, consent, what boxes are sent, verdict summaries, retention.
//! - [`cases`]: the case workflow (`Case::report`, `Case::apply`), permissions, duplicates,
//!   deadlines and case numbers.
//! - [`visit`]: a visit's lifecycle (`VisitStatus::apply`), what the app shows.
//! - [`alarm`]: an alarm's lifecycle as staff manage it (`Life::apply`).
//! - [`onetap`]: which door a one-tap opens (`nearest_door`).
//! - [`sync`]: where a bounded directory delta ends (`delta_end`).
//! - [`throttle`]: attempt counting and the login lockout policy (`Throttle`, `LoginKeys`).
#![forbid(unsafe_code)]

pub mod alarm;
pub mod cases;
pub mod faces;
pub mod onetap;
pub mod policy;
pub mod sync;
pub mod throttle;
pub mod visit;
