//! The two clocks the daemon reads, in one place: wall time (ms since the Unix epoch, may jump)
//! and monotonic time (ms since the process started, never jumps). Cores take both as inputs.

use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::clock::{EpochMs, MonoMs};

static START: OnceLock<Instant> = OnceLock::new();

pub fn mono_ms() -> MonoMs {
    START.get_or_init(Instant::now).elapsed().as_millis() as MonoMs
}

pub fn wall_ms() -> EpochMs {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as EpochMs)
}

/// The box's best single guess of now, for everyone who is not the gatekeeper (which owns the
/// clock guard and publishes the cloud's reference here): the reference carried forward by the
/// monotonic clock once the cloud has answered, the wall clock before. Used to sign requests to
/// the cloud and to stamp records.
#[derive(Clone, Debug)]
pub struct BoxTime {
    rx: tokio::sync::watch::Receiver<Option<crate::clock::Reference>>,
}

impl BoxTime {
    pub fn new(rx: tokio::sync::watch::Receiver<Option<crate::clock::Reference>>) -> BoxTime {
        BoxTime { rx }
    }

    pub fn now_ms(&self) -> EpochMs {
        let reference = *self.rx.borrow();
        reference.map_or_else(wall_ms, |r| r.estimate(mono_ms()))
    }

    /// Whether the cloud's time has been heard since the daemon started.
    pub fn referenced(&self) -> bool {
        self.rx.borrow().is_some()
    }
}
