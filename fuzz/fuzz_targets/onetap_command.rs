//! A one-tap command as the box's local API and the cloud link receive it: JSON, then the
//! signature check and every field rule. Must never panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Any valid key will do: what is exercised is everything around the signature check.
    let Ok(key) =
        edge_sync::onetap::parse_public_key("A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=")
    else {
        return;
    };
    if let Ok(cmd) = serde_json::from_slice::<edge_sync::SignedCommand>(data) {
        let _ = cmd.verify(&key, "huayuan", 1_700_000_000_000, 1_700_000_001_000);
    }
});
