//! Wire types shared by the edge box and the cloud core, and the one-tap command signature.
//!
//! Everything here is a compatibility boundary: each type carries a `version`, changes are
//! additive, and the edge converts these into its own domain types explicitly. No I/O.
#![forbid(unsafe_code)]

pub mod onetap;

pub use onetap::{
    OneTapCommandV1, SignedCommand, VerifiedCommand, VerifyError, COMMAND_VERSION, MAX_TTL_MS,
};
