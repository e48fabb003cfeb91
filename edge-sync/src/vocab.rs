//! The words both sides use, defined once: the visitor's window around an appointment, door
//! modes and pass methods with their codes on the wire, on disk and in the cloud's API. Each
//! side keeps its own domain types and converts through these codes.

/// A visitor may pass this long before and after the appointment (±1 h).
pub const VISITOR_WINDOW_MS: i64 = 3_600_000;

/// A door's mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DoorMode {
    Normal,
    HeldOpen,
    Locked,
    EmergencyRelease,
}

impl DoorMode {
    pub const ALL: [DoorMode; 4] = [
        DoorMode::Normal,
        DoorMode::HeldOpen,
        DoorMode::Locked,
        DoorMode::EmergencyRelease,
    ];
    /// What an error says the allowed values are.
    pub const EXPECTED: &'static str = "normal, held_open, locked or emergency_release";

    pub fn code(self) -> &'static str {
        match self {
            DoorMode::Normal => "normal",
            DoorMode::HeldOpen => "held_open",
            DoorMode::Locked => "locked",
            DoorMode::EmergencyRelease => "emergency_release",
        }
    }

    pub fn parse(code: &str) -> Option<DoorMode> {
        DoorMode::ALL.into_iter().find(|m| m.code() == code)
    }
}

/// How a pass was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PassMethod {
    Face,
    OneTap,
    Staff,
}

impl PassMethod {
    pub const ALL: [PassMethod; 3] = [PassMethod::Face, PassMethod::OneTap, PassMethod::Staff];
    pub const EXPECTED: &'static str = "face, one_tap or staff";

    pub fn code(self) -> &'static str {
        match self {
            PassMethod::Face => "face",
            PassMethod::OneTap => "one_tap",
            PassMethod::Staff => "staff",
        }
    }

    pub fn parse(code: &str) -> Option<PassMethod> {
        PassMethod::ALL.into_iter().find(|m| m.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_distinct() {
        for m in DoorMode::ALL {
            assert_eq!(DoorMode::parse(m.code()), Some(m));
            assert!(DoorMode::EXPECTED.contains(m.code()));
        }
        for m in PassMethod::ALL {
            assert_eq!(PassMethod::parse(m.code()), Some(m));
            assert!(PassMethod::EXPECTED.contains(m.code()));
        }
        assert_eq!(DoorMode::parse("Normal"), None);
        assert_eq!(PassMethod::parse(""), None);
    }
}
