//! `cloud-core`: the cloud side (case management, population/house registry, admin APIs, and
//! the endpoint that receives every pass log and alarm from the edge boxes).
//!
//! Not built yet: this binary only says so. The edge daemon runs standalone meanwhile; the wire
//! types it will speak with the cloud live in `edge-sync`.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    eprintln!(
        "cloud-core {}: not implemented yet — the edge daemon runs standalone (see README.md); \
         edge↔cloud wire types: edge-sync v{}",
        env!("CARGO_PKG_VERSION"),
        edge_sync::COMMAND_VERSION
    );
    // 69 = EX_UNAVAILABLE: nothing to serve yet.
    std::process::ExitCode::from(69)
}
