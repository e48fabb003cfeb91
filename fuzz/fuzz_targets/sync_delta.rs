//! A directory delta as the cloud sends it (`GET /v1/edge/sync/down`): JSON, then the
//! conversion into the box's domain types that checks every field. Must never panic.
#![no_main]

use edge_daemon::cloud::wire::IntoDomain;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(delta) = serde_json::from_slice::<edge_sync::sync::DownDeltaV1>(data) {
        let _ = delta.into_domain("delta");
    }
});
