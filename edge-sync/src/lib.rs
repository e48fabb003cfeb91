//! The edge↔cloud boundary: versioned wire types both sides share, the one-tap command
//! signature, and the signature on every request a provisioned box makes.
//!
//! Everything here is a compatibility boundary: each message carries a `version`, changes are
//! additive, and each side converts these into its own domain types explicitly. No I/O.
#![forbid(unsafe_code)]

pub mod auth;
pub mod backup;
pub mod boxconfig;
pub mod directory;
pub mod error;
pub mod onetap;
pub mod sync;
pub mod vocab;

pub use onetap::{
    OneTapCommandV1, SignedCommand, VerifiedCommand, VerifyError, COMMAND_VERSION, MAX_TTL_MS,
};
