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
