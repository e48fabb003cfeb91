//! The per-community edge daemon: decides locally who may pass which door, drives gate
//! controllers over Modbus RTU/TCP, watches door contacts, and keeps every decision and alarm
//! in a durable outbox. See ARCHITECTURE.md at the repository root for the map.
#![forbid(unsafe_code)]

// Sans-IO cores: no tokio, sled, axum or clocks in these three.
pub mod access;
pub mod alarm;
pub mod clock;

pub mod api;
pub mod cloud;
pub mod config;
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
pub mod sensor;
pub mod sensor_config;
pub mod sensor_profile;
pub mod sensorkeeper;
pub mod store;
pub mod wire;

#[cfg(test)]
mod tests {
    /// The sans-IO cores must stay free of I/O: no async runtime, storage, HTTP or system clock.
    #[test]
    fn sans_io_cores_do_no_io() {
        let cores = [
            ("access.rs", include_str!("access.rs")),
            ("alarm.rs", include_str!("alarm.rs")),
            ("clock.rs", include_str!("clock.rs")),
            ("sensor.rs", include_str!("sensor.rs")),
        ];
        let forbidden = [
            "tokio",
            "sled",
            "axum",
            "reqwest",
            "SystemTime",
            "Instant::now",
            "std::fs",
            "std::net",
            "rumqttc",
        ];
        for (file, text) in cores {
            for word in forbidden {
                assert!(!text.contains(word), "{file} mentions `{word}`");
            }
        }
    }
}
