//! An MQTT message body as a smoke detector or an elevator controller publishes it, decoded by
//! every shipped sensor profile, for every point. Must never panic.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use edge_daemon::config::sensor_profile::SensorProfiles;
use libfuzzer_sys::fuzz_target;

fn profiles() -> &'static SensorProfiles {
    static P: OnceLock<SensorProfiles> = OnceLock::new();
    P.get_or_init(|| {
        let dir = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../device-profiles/mqtt"
        ));
        SensorProfiles::load_dir(dir).unwrap_or_else(|e| panic!("shipped profiles: {e}"))
    })
}

fuzz_target!(|data: &[u8]| {
    for p in profiles().by_model.values() {
        for (_, point) in p.patterns() {
            let _ = p.decode(point, data);
        }
    }
});
