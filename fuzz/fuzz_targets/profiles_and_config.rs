//! The box's TOML: a Modbus device profile, an MQTT sensor profile and the box config itself
//! (with the shipped profiles), as an installer might mistype them. Errors, never panics.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = Path::new("fuzz.toml");
    let _ = edge_daemon::config::gate_profile::DeviceProfile::parse(file, text);
    let _ = edge_daemon::config::sensor_profile::SensorProfile::parse(file, text);
    let profiles = concat!(env!("CARGO_MANIFEST_DIR"), "/../device-profiles");
    let config = format!("profiles_dir = \"{profiles}\"\n{text}");
    let _ = edge_daemon::config::EdgeConfig::parse(file, &config);
});
