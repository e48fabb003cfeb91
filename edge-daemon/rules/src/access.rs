//! Access decision engine: owns the offline "who may pass which door" rules
//! and the in-memory people/grant/door/revocation tables they read.
//!
//! Sans-IO: the store loads the tables through the `upsert_*`/`remove_*`/
//! `revoke_*` methods; [`AccessEngine::decide`] is the hot path and only reads.
//!
//! # Rule order (first match wins)
//!
//! 1. unknown door → deny `UnknownDoor`
//! 2. door in `EmergencyRelease` → allow `EmergencyRelease` (no actuation) for
//!    anybody, even unknown or revoked people: egress safety, the hardware
//!    release is primary and this only records the passage
//! 3. door `Locked` → deny `DoorLocked` (nobody by credential, not even staff)
//! 4. unknown person → deny `UnknownPerson`
//! 5. person on the revocation list → deny `Revoked`
//! 6. person disabled → deny `PersonDisabled`
//! 7. door `HeldOpen` → allow `DoorHeldOpen` (no actuation)
//! 8. staff with rights for the door's estate (or all estates) → allow `Staff`
//! 9. resident with an address in the door's estate → allow `Resident`
//! 10. anybody with a usable grant for the door's estate whose window
//!     `[appointment − 1 h, appointment + 1 h]` contains now → allow `Visitor`
//! 11. otherwise the most useful deny: a usable grant for this estate exists
//!     but the clocks disagree about the window → `ClockUncertain`; it is
//!     plainly outside → `OutsideVisitorWindow`; a visitor without a usable
//!     grant → `NoApprovedGrant`; anyone else → `NotAuthorisedForEstate`.
//!
//! A grant is *usable* when it is `Approved`, not revoked, and its host is
//! known, enabled, not revoked and still has an address in the grant's estate.
//! Rights follow `kind`: only `Staff` use staff rights, only `Resident` use
//! addresses. The request [`Method`] does not change the decision; it is there
//! for the pass log.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use serde::{Deserialize, Serialize};

use crate::clock::{EpochMs, TimeView};

/// Half-width of a visitor's window around the appointment (1 h).
pub use edge_sync::vocab::VISITOR_WINDOW_MS;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PersonKind {
    Resident,
    Staff,
    Visitor,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Address {
    pub estate: String,
    pub building: String,
    pub unit: String,
    pub room: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: String,
    pub name: String,
    pub kind: PersonKind,
    pub addresses: Vec<Address>,
    pub staff_estates: Vec<String>,
    pub staff_all_estates: bool,
    pub enabled: bool,
}

impl Person {
    fn has_address_in(&self, estate: &str) -> bool {
        self.addresses.iter().any(|a| a.estate == estate)
    }

    fn has_staff_rights_in(&self, estate: &str) -> bool {
        self.kind == PersonKind::Staff
            && (self.staff_all_estates || self.staff_estates.iter().any(|e| e == estate))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum GrantStatus {
    Pending,
    Approved,
    Refused,
    Cancelled,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorGrant {
    pub id: String,
    pub visitor_id: String,
    pub host_id: String,
    pub estate: String,
    pub appointment_at: EpochMs,
    pub status: GrantStatus,
}

impl VisitorGrant {
    /// Inclusive window `[appointment − 1 h, appointment + 1 h]`.
    pub fn window(&self) -> (EpochMs, EpochMs) {
        (
            self.appointment_at.saturating_sub(VISITOR_WINDOW_MS),
            self.appointment_at.saturating_add(VISITOR_WINDOW_MS),
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DoorMode {
    Normal,
    /// "Always open" schedule: everybody passes, nothing to actuate.
    HeldOpen,
    /// "Always closed": nobody passes by credential, not even staff.
    Locked,
    /// Fire release: doors are released, everybody passes, nothing to actuate.
    EmergencyRelease,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoorInfo {
    pub id: String,
    pub estate: String,
    pub mode: DoorMode,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Method {
    Face,
    OneTap,
    Staff,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRequest {
    pub door_id: String,
    pub person_id: String,
    pub method: Method,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AllowReason {
    Resident,
    Staff,
    Visitor,
    DoorHeldOpen,
    EmergencyRelease,
}

impl AllowReason {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Resident => "resident",
            Self::Staff => "staff",
            Self::Visitor => "visitor",
            Self::DoorHeldOpen => "door_held_open",
            Self::EmergencyRelease => "emergency_release",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DenyReason {
    UnknownDoor,
    UnknownPerson,
    PersonDisabled,
    Revoked,
    NotAuthorisedForEstate,
    DoorLocked,
    NoApprovedGrant,
    OutsideVisitorWindow,
    /// Inside the window by one clock but not by the other.
    ClockUncertain,
}

impl DenyReason {
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownDoor => "unknown_door",
            Self::UnknownPerson => "unknown_person",
            Self::PersonDisabled => "person_disabled",
            Self::Revoked => "revoked",
            Self::NotAuthorisedForEstate => "not_authorised_for_estate",
            Self::DoorLocked => "door_locked",
            Self::NoApprovedGrant => "no_approved_grant",
            Self::OutsideVisitorWindow => "outside_visitor_window",
            Self::ClockUncertain => "clock_uncertain",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    Allow {
        reason: AllowReason,
        /// Whether the daemon must pulse the lock (false when already open).
        actuate: bool,
        /// The grant that let a visitor in.
        grant_id: Option<String>,
    },
    Deny {
        reason: DenyReason,
    },
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Self::Allow { .. })
    }

    /// Stable snake_case code for logs and APIs.
    pub fn reason_code(&self) -> &'static str {
        match self {
            Self::Allow { reason, .. } => reason.code(),
            Self::Deny { reason } => reason.code(),
        }
    }

    fn allow(reason: AllowReason, actuate: bool) -> Self {
        Self::Allow {
            reason,
            actuate,
            grant_id: None,
        }
    }

    fn deny(reason: DenyReason) -> Self {
        Self::Deny { reason }
    }
}

/// Fx-style multiplicative hash for id strings. SipHash's DoS resistance is
/// not needed here: keys are inserted only from the synced tables, requests
/// only look up; and SipHash alone would eat most of the per-decision budget.
#[derive(Clone, Copy, Debug, Default)]
struct IdHasher(u64);

impl IdHasher {
    const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::K);
    }
}

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        // The multiply leaves the low bits weak; hashbrown indexes by them.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^ (h >> 33)
    }
}

type IdMap<V> = HashMap<String, V, BuildHasherDefault<IdHasher>>;
type IdSet = HashSet<String, BuildHasherDefault<IdHasher>>;

/// In-memory tables plus the decision rules (see the module doc).
#[derive(Clone, Debug, Default)]
pub struct AccessEngine {
    people: IdMap<Person>,
    doors: IdMap<DoorInfo>,
    /// Grants indexed by visitor so the hot path does one lookup.
    grants_by_visitor: IdMap<Vec<VisitorGrant>>,
    /// grant id → visitor id, to find a grant for update/removal.
    grant_owner: IdMap<String>,
    /// Kept apart from `people` so a revocation that arrives first still holds.
    revoked_people: IdSet,
    revoked_grants: IdSet,
}

impl AccessEngine {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn upsert_person(&mut self, person: Person) {
        self.people.insert(person.id.clone(), person);
    }

    pub fn remove_person(&mut self, id: &str) -> Option<Person> {
        self.people.remove(id)
    }

    pub fn person(&self, id: &str) -> Option<&Person> {
        self.people.get(id)
    }

    pub fn upsert_grant(&mut self, grant: VisitorGrant) {
        // The visitor may have changed: drop the old copy from its bucket.
        self.remove_grant(&grant.id);
        self.grant_owner
            .insert(grant.id.clone(), grant.visitor_id.clone());
        self.grants_by_visitor
            .entry(grant.visitor_id.clone())
            .or_default()
            .push(grant);
    }

    pub fn remove_grant(&mut self, id: &str) -> Option<VisitorGrant> {
        let visitor = self.grant_owner.remove(id)?;
        let bucket = self.grants_by_visitor.get_mut(&visitor)?;
        let pos = bucket.iter().position(|g| g.id == id)?;
        let grant = bucket.swap_remove(pos);
        if bucket.is_empty() {
            self.grants_by_visitor.remove(&visitor);
        }
        Some(grant)
    }

    pub fn grant(&self, id: &str) -> Option<&VisitorGrant> {
        let visitor = self.grant_owner.get(id)?;
        self.grants_by_visitor
            .get(visitor)?
            .iter()
            .find(|g| g.id == id)
    }

    pub fn upsert_door(&mut self, door: DoorInfo) {
        self.doors.insert(door.id.clone(), door);
    }

    pub fn remove_door(&mut self, id: &str) -> Option<DoorInfo> {
        self.doors.remove(id)
    }

    /// Returns false if the door is unknown.
    pub fn set_door_mode(&mut self, door_id: &str, mode: DoorMode) -> bool {
        match self.doors.get_mut(door_id) {
            Some(d) => {
                d.mode = mode;
                true
            }
            None => false,
        }
    }

    pub fn door_mode(&self, door_id: &str) -> Option<DoorMode> {
        self.doors.get(door_id).map(|d| d.mode)
    }

    pub fn revoke_person(&mut self, id: &str) {
        self.revoked_people.insert(id.to_owned());
    }

    pub fn unrevoke_person(&mut self, id: &str) {
        self.revoked_people.remove(id);
    }

    pub fn is_person_revoked(&self, id: &str) -> bool {
        self.revoked_people.contains(id)
    }

    /// Permanent for this grant id, even if the grant is upserted again.
    pub fn revoke_grant(&mut self, id: &str) {
        self.revoked_grants.insert(id.to_owned());
    }

    pub fn is_grant_revoked(&self, id: &str) -> bool {
        self.revoked_grants.contains(id)
    }

    pub fn people_count(&self) -> usize {
        self.people.len()
    }

    pub fn grant_count(&self) -> usize {
        self.grant_owner.len()
    }

    pub fn door_count(&self) -> usize {
        self.doors.len()
    }

    /// The hot path. Allocation-free except for the grant id of a visitor allow.
    pub fn decide(&self, req: &AccessRequest, time: &TimeView) -> Decision {
        let Some(door) = self.doors.get(&req.door_id) else {
            return Decision::deny(DenyReason::UnknownDoor);
        };
        match door.mode {
            DoorMode::EmergencyRelease => {
                return Decision::allow(AllowReason::EmergencyRelease, false)
            }
            DoorMode::Locked => return Decision::deny(DenyReason::DoorLocked),
            DoorMode::Normal | DoorMode::HeldOpen => {}
        }
        let Some(person) = self.people.get(&req.person_id) else {
            return Decision::deny(DenyReason::UnknownPerson);
        };
        if self.revoked_people.contains(&req.person_id) {
            return Decision::deny(DenyReason::Revoked);
        }
        if !person.enabled {
            return Decision::deny(DenyReason::PersonDisabled);
        }
        if door.mode == DoorMode::HeldOpen {
            return Decision::allow(AllowReason::DoorHeldOpen, false);
        }
        let estate = door.estate.as_str();
        if person.has_staff_rights_in(estate) {
            return Decision::allow(AllowReason::Staff, true);
        }
        if person.kind == PersonKind::Resident && person.has_address_in(estate) {
            return Decision::allow(AllowReason::Resident, true);
        }
        self.decide_by_grants(person, estate, time)
    }

    fn decide_by_grants(&self, person: &Person, estate: &str, time: &TimeView) -> Decision {
        let mut usable = false;
        let mut uncertain = false;
        let grants = self
            .grants_by_visitor
            .get(&person.id)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        for g in grants {
            if g.estate != estate || !self.grant_usable(g) {
                continue;
            }
            usable = true;
            let (start, end) = g.window();
            if time.within(start, end) {
                return Decision::Allow {
                    reason: AllowReason::Visitor,
                    actuate: true,
                    grant_id: Some(g.id.clone()),
                };
            }
            uncertain |= time.overlaps(start, end);
        }
        let reason = if uncertain {
            DenyReason::ClockUncertain
        } else if usable {
            DenyReason::OutsideVisitorWindow
        } else if person.kind == PersonKind::Visitor {
            DenyReason::NoApprovedGrant
        } else {
            DenyReason::NotAuthorisedForEstate
        };
        Decision::deny(reason)
    }

    fn grant_usable(&self, g: &VisitorGrant) -> bool {
        if g.status != GrantStatus::Approved || self.revoked_grants.contains(&g.id) {
            return false;
        }
        match self.people.get(&g.host_id) {
            Some(host) => {
                host.enabled
                    && !self.revoked_people.contains(&g.host_id)
                    && host.has_address_in(&g.estate)
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const APPT: EpochMs = 1_700_000_000_000;
    const H: i64 = VISITOR_WINDOW_MS;

    fn addr(estate: &str) -> Address {
        Address {
            estate: estate.into(),
            building: "B1".into(),
            unit: "U1".into(),
            room: "101".into(),
        }
    }

    fn person(id: &str, kind: PersonKind) -> Person {
        Person {
            id: id.into(),
            name: format!("name-{id}"),
            kind,
            addresses: vec![],
            staff_estates: vec![],
            staff_all_estates: false,
            enabled: true,
        }
    }

    fn resident(id: &str, estate: &str) -> Person {
        Person {
            addresses: vec![addr(estate)],
            ..person(id, PersonKind::Resident)
        }
    }

    fn grant(id: &str, visitor: &str, host: &str, estate: &str, at: EpochMs) -> VisitorGrant {
        VisitorGrant {
            id: id.into(),
            visitor_id: visitor.into(),
            host_id: host.into(),
            estate: estate.into(),
            appointment_at: at,
            status: GrantStatus::Approved,
        }
    }

    fn req(door: &str, who: &str) -> AccessRequest {
        AccessRequest {
            door_id: door.into(),
            person_id: who.into(),
            method: Method::Face,
        }
    }

    /// Estate "A" with door "dA", estate "B" with door "dB"; resident "r" of A,
    /// staff "s" for A, visitor "v" with grant "g" hosted by "r" at APPT.
    fn engine() -> AccessEngine {
        let mut e = AccessEngine::new();
        e.upsert_door(DoorInfo {
            id: "dA".into(),
            estate: "A".into(),
            mode: DoorMode::Normal,
        });
        e.upsert_door(DoorInfo {
            id: "dB".into(),
            estate: "B".into(),
            mode: DoorMode::Normal,
        });
        e.upsert_person(resident("r", "A"));
        e.upsert_person(Person {
            staff_estates: vec!["A".into()],
            ..person("s", PersonKind::Staff)
        });
        e.upsert_person(person("v", PersonKind::Visitor));
        e.upsert_grant(grant("g", "v", "r", "A", APPT));
        e
    }

    fn deny(reason: DenyReason) -> Decision {
        Decision::Deny { reason }
    }

    fn allow(reason: AllowReason, actuate: bool) -> Decision {
        Decision::Allow {
            reason,
            actuate,
            grant_id: None,
        }
    }

    fn visitor_allow(grant: &str) -> Decision {
        Decision::Allow {
            reason: AllowReason::Visitor,
            actuate: true,
            grant_id: Some(grant.into()),
        }
    }

    fn now() -> TimeView {
        TimeView::at(APPT)
    }

    #[test]
    fn reason_codes_are_stable_and_unique() {
        let allows = [
            (AllowReason::Resident, "resident"),
            (AllowReason::Staff, "staff"),
            (AllowReason::Visitor, "visitor"),
            (AllowReason::DoorHeldOpen, "door_held_open"),
            (AllowReason::EmergencyRelease, "emergency_release"),
        ];
        let denies = [
            (DenyReason::UnknownDoor, "unknown_door"),
            (DenyReason::UnknownPerson, "unknown_person"),
            (DenyReason::PersonDisabled, "person_disabled"),
            (DenyReason::Revoked, "revoked"),
            (
                DenyReason::NotAuthorisedForEstate,
                "not_authorised_for_estate",
            ),
            (DenyReason::DoorLocked, "door_locked"),
            (DenyReason::NoApprovedGrant, "no_approved_grant"),
            (DenyReason::OutsideVisitorWindow, "outside_visitor_window"),
            (DenyReason::ClockUncertain, "clock_uncertain"),
        ];
        let mut seen = HashSet::new();
        for (r, code) in allows {
            assert_eq!(allow(r, true).reason_code(), code);
            assert!(allow(r, true).is_allowed());
            assert!(seen.insert(code));
        }
        for (r, code) in denies {
            assert_eq!(deny(r).reason_code(), code);
            assert!(!deny(r).is_allowed());
            assert!(seen.insert(code));
        }
    }

    #[test]
    fn unknown_door() {
        let e = engine();
        assert_eq!(
            e.decide(&req("nope", "r"), &now()),
            deny(DenyReason::UnknownDoor)
        );
        assert_eq!(
            e.decide(&req("nope", "ghost"), &now()),
            deny(DenyReason::UnknownDoor)
        );
    }

    #[test]
    fn unknown_person() {
        let e = engine();
        assert_eq!(
            e.decide(&req("dA", "ghost"), &now()),
            deny(DenyReason::UnknownPerson)
        );
    }

    #[test]
    fn resident_of_estate_allowed_with_actuation() {
        let e = engine();
        assert_eq!(
            e.decide(&req("dA", "r"), &now()),
            allow(AllowReason::Resident, true)
        );
    }

    #[test]
    fn resident_of_other_estate_not_authorised() {
        let e = engine();
        assert_eq!(
            e.decide(&req("dB", "r"), &now()),
            deny(DenyReason::NotAuthorisedForEstate)
        );
    }

    #[test]
    fn resident_with_several_addresses() {
        let mut e = engine();
        e.upsert_person(Person {
            addresses: vec![addr("A"), addr("B")],
            ..person("r2", PersonKind::Resident)
        });
        assert_eq!(
            e.decide(&req("dB", "r2"), &now()),
            allow(AllowReason::Resident, true)
        );
        assert_eq!(
            e.decide(&req("dA", "r2"), &now()),
            allow(AllowReason::Resident, true)
        );
    }

    #[test]
    fn resident_moving_out_loses_rights() {
        let mut e = engine();
        e.upsert_person(resident("r", "B"));
        assert_eq!(
            e.decide(&req("dA", "r"), &now()),
            deny(DenyReason::NotAuthorisedForEstate)
        );
        assert_eq!(
            e.decide(&req("dB", "r"), &now()),
            allow(AllowReason::Resident, true)
        );
    }

    #[test]
    fn staff_rights_by_estate_and_all_estates() {
        let mut e = engine();
        assert_eq!(
            e.decide(&req("dA", "s"), &now()),
            allow(AllowReason::Staff, true)
        );
        assert_eq!(
            e.decide(&req("dB", "s"), &now()),
            deny(DenyReason::NotAuthorisedForEstate)
        );
        e.upsert_person(Person {
            staff_all_estates: true,
            ..person("boss", PersonKind::Staff)
        });
        assert_eq!(
            e.decide(&req("dB", "boss"), &now()),
            allow(AllowReason::Staff, true)
        );
        assert_eq!(
            e.decide(&req("dA", "boss"), &now()),
            allow(AllowReason::Staff, true)
        );
    }

    #[test]
    fn rights_follow_kind() {
        let mut e = engine();
        // A visitor record with staff flags and an address gets neither.
        e.upsert_person(Person {
            addresses: vec![addr("A")],
            staff_all_estates: true,
            ..person("odd", PersonKind::Visitor)
        });
        assert_eq!(
            e.decide(&req("dA", "odd"), &now()),
            deny(DenyReason::NoApprovedGrant)
        );
        // A resident with staff flags does not get staff rights.
        e.upsert_person(Person {
            staff_all_estates: true,
            ..resident("rs", "A")
        });
        assert_eq!(
            e.decide(&req("dB", "rs"), &now()),
            deny(DenyReason::NotAuthorisedForEstate)
        );
    }

    #[test]
    fn staff_wins_over_resident_reason() {
        let mut e = engine();
        e.upsert_person(Person {
            addresses: vec![addr("A")],
            staff_estates: vec!["A".into()],
            ..person("sr", PersonKind::Staff)
        });
        assert_eq!(
            e.decide(&req("dA", "sr"), &now()),
            allow(AllowReason::Staff, true)
        );
    }

    #[test]
    fn method_does_not_change_decision() {
        let e = engine();
        for m in [Method::Face, Method::OneTap, Method::Staff] {
            let mut rq = req("dA", "r");
            rq.method = m;
            assert_eq!(e.decide(&rq, &now()), allow(AllowReason::Resident, true));
            let mut rq = req("dB", "r");
            rq.method = m;
            assert_eq!(
                e.decide(&rq, &now()),
                deny(DenyReason::NotAuthorisedForEstate)
            );
        }
    }

    #[test]
    fn disabled_person_denied() {
        let mut e = engine();
        for id in ["r", "s", "v"] {
            let mut p = e
                .person(id)
                .cloned()
                .unwrap_or_else(|| person(id, PersonKind::Visitor));
            p.enabled = false;
            e.upsert_person(p);
            assert_eq!(
                e.decide(&req("dA", id), &now()),
                deny(DenyReason::PersonDisabled)
            );
        }
    }

    #[test]
    fn revoked_person_denied_and_revoked_beats_disabled() {
        let mut e = engine();
        e.revoke_person("r");
        assert!(e.is_person_revoked("r"));
        assert_eq!(e.decide(&req("dA", "r"), &now()), deny(DenyReason::Revoked));
        let mut p = resident("r", "A");
        p.enabled = false;
        e.upsert_person(p);
        assert_eq!(e.decide(&req("dA", "r"), &now()), deny(DenyReason::Revoked));
        e.unrevoke_person("r");
        assert_eq!(
            e.decide(&req("dA", "r"), &now()),
            deny(DenyReason::PersonDisabled)
        );
    }

    #[test]
    fn revocation_before_person_is_loaded_holds() {
        let mut e = engine();
        e.revoke_person("late");
        assert_eq!(
            e.decide(&req("dA", "late"), &now()),
            deny(DenyReason::UnknownPerson)
        );
        e.upsert_person(resident("late", "A"));
        assert_eq!(
            e.decide(&req("dA", "late"), &now()),
            deny(DenyReason::Revoked)
        );
        e.unrevoke_person("late");
        assert_eq!(
            e.decide(&req("dA", "late"), &now()),
            allow(AllowReason::Resident, true)
        );
    }

    #[test]
    fn revocation_survives_person_removal_and_reload() {
        let mut e = engine();
        e.revoke_person("r");
        assert!(e.remove_person("r").is_some());
        assert_eq!(e.people_count(), 2);
        e.upsert_person(resident("r", "A"));
        assert_eq!(e.decide(&req("dA", "r"), &now()), deny(DenyReason::Revoked));
    }

    #[test]
    fn locked_door_denies_everybody() {
        let mut e = engine();
        assert!(e.set_door_mode("dA", DoorMode::Locked));
        assert_eq!(e.door_mode("dA"), Some(DoorMode::Locked));
        for who in ["r", "s", "v", "ghost"] {
            assert_eq!(
                e.decide(&req("dA", who), &now()),
                deny(DenyReason::DoorLocked)
            );
        }
    }

    #[test]
    fn emergency_release_allows_everybody_without_actuation() {
        let mut e = engine();
        e.revoke_person("r");
        assert!(e.set_door_mode("dA", DoorMode::EmergencyRelease));
        for who in ["r", "s", "v", "ghost"] {
            assert_eq!(
                e.decide(&req("dA", who), &TimeView::at(0)),
                allow(AllowReason::EmergencyRelease, false)
            );
        }
    }

    #[test]
    fn held_open_allows_known_enabled_people_without_actuation() {
        let mut e = engine();
        assert!(e.set_door_mode("dB", DoorMode::HeldOpen));
        for who in ["r", "s", "v"] {
            assert_eq!(
                e.decide(&req("dB", who), &TimeView::at(0)),
                allow(AllowReason::DoorHeldOpen, false)
            );
        }
        assert_eq!(
            e.decide(&req("dB", "ghost"), &now()),
            deny(DenyReason::UnknownPerson)
        );
        e.revoke_person("r");
        assert_eq!(e.decide(&req("dB", "r"), &now()), deny(DenyReason::Revoked));
        let mut s = e
            .person("s")
            .cloned()
            .unwrap_or_else(|| person("s", PersonKind::Staff));
        s.enabled = false;
        e.upsert_person(s);
        assert_eq!(
            e.decide(&req("dB", "s"), &now()),
            deny(DenyReason::PersonDisabled)
        );
    }

    #[test]
    fn set_door_mode_unknown_door() {
        let mut e = engine();
        assert!(!e.set_door_mode("nope", DoorMode::Locked));
        assert_eq!(e.door_mode("nope"), None);
        assert_eq!(e.door_mode("dA"), Some(DoorMode::Normal));
        assert_eq!(e.door_count(), 2);
        assert!(e.remove_door("dA").is_some());
        assert_eq!(
            e.decide(&req("dA", "r"), &now()),
            deny(DenyReason::UnknownDoor)
        );
    }

    #[test]
    fn visitor_window_edges() {
        let e = engine();
        let cases = [
            (APPT - H - 1, deny(DenyReason::OutsideVisitorWindow)),
            (APPT - H, visitor_allow("g")),
            (APPT, visitor_allow("g")),
            (APPT + H, visitor_allow("g")),
            (APPT + H + 1, deny(DenyReason::OutsideVisitorWindow)),
        ];
        for (t, want) in cases {
            assert_eq!(e.decide(&req("dA", "v"), &TimeView::at(t)), want, "t = {t}");
        }
    }

    #[test]
    fn visitor_only_for_grant_estate() {
        let e = engine();
        assert_eq!(
            e.decide(&req("dB", "v"), &now()),
            deny(DenyReason::NoApprovedGrant)
        );
    }

    #[test]
    fn grant_statuses_other_than_approved_do_not_open() {
        for status in [
            GrantStatus::Pending,
            GrantStatus::Refused,
            GrantStatus::Cancelled,
        ] {
            let mut e = engine();
            e.upsert_grant(VisitorGrant {
                status,
                ..grant("g", "v", "r", "A", APPT)
            });
            assert_eq!(e.grant_count(), 1);
            assert_eq!(
                e.decide(&req("dA", "v"), &now()),
                deny(DenyReason::NoApprovedGrant),
                "{status:?}"
            );
        }
    }

    #[test]
    fn revoked_grant_does_not_open_even_after_reupsert() {
        let mut e = engine();
        e.revoke_grant("g");
        assert!(e.is_grant_revoked("g"));
        assert_eq!(
            e.decide(&req("dA", "v"), &now()),
            deny(DenyReason::NoApprovedGrant)
        );
        e.upsert_grant(grant("g", "v", "r", "A", APPT));
        assert_eq!(
            e.decide(&req("dA", "v"), &now()),
            deny(DenyReason::NoApprovedGrant)
        );
    }

    #[test]
    fn grant_host_must_be_valid() {
        // Unknown host.
        let mut e = engine();
        e.remove_person("r");
        assert_eq!(
            e.decide(&req("dA", "v"), &now()),
            deny(DenyReason::NoApprovedGrant)
        );
        // Disabled host.
        let mut e = engine();
        let mut h = resident("r", "A");
        h.enabled = false;
        e.upsert_person(h);
        assert_eq!(
            e.decide(&req("dA", "v"), &now()),
            deny(DenyReason::NoApprovedGrant)
        );
        // Revoked host.
        let mut e = engine();
        e.revoke_person("r");
        assert_eq!(
            e.decide(&req("dA", "v"), &now()),
            deny(DenyReason::NoApprovedGrant)
        );
        // Host moved out of the estate.
        let mut e = engine();
        e.upsert_person(resident("r", "B"));
        assert_eq!(
            e.decide(&req("dA", "v"), &now()),
            deny(DenyReason::NoApprovedGrant)
        );
        // Sanity: the valid host opens.
        let e = engine();
        assert_eq!(e.decide(&req("dA", "v"), &now()), visitor_allow("g"));
    }

    #[test]
    fn grant_for_other_estate_than_host_address_does_not_open() {
        let mut e = engine();
        e.upsert_grant(grant("g", "v", "r", "B", APPT));
        assert_eq!(
            e.decide(&req("dB", "v"), &now()),
            deny(DenyReason::NoApprovedGrant)
        );
    }

    #[test]
    fn non_visitor_with_grant_passes_as_visitor() {
        let mut e = engine();
        e.upsert_grant(grant("g2", "r", "hB", "B", APPT));
        e.upsert_person(resident("hB", "B"));
        assert_eq!(e.decide(&req("dB", "r"), &now()), visitor_allow("g2"));
        assert_eq!(
            e.decide(&req("dB", "r"), &TimeView::at(APPT + H + 1)),
            deny(DenyReason::OutsideVisitorWindow)
        );
        // Staff without rights for B likewise.
        e.upsert_grant(grant("g3", "s", "hB", "B", APPT));
        assert_eq!(e.decide(&req("dB", "s"), &now()), visitor_allow("g3"));
    }

    #[test]
    fn clock_uncertain_vs_outside_window() {
        let e = engine();
        // Clocks straddle the window start.
        let straddle = TimeView {
            earliest: APPT - H - 10,
            latest: APPT - H + 10,
            jump: None,
        };
        assert_eq!(
            e.decide(&req("dA", "v"), &straddle),
            deny(DenyReason::ClockUncertain)
        );
        // Straddle the end.
        let straddle = TimeView {
            earliest: APPT + H - 10,
            latest: APPT + H + 10,
            jump: None,
        };
        assert_eq!(
            e.decide(&req("dA", "v"), &straddle),
            deny(DenyReason::ClockUncertain)
        );
        // Interval covers the whole window.
        let wide = TimeView {
            earliest: APPT - 10 * H,
            latest: APPT + 10 * H,
            jump: None,
        };
        assert_eq!(
            e.decide(&req("dA", "v"), &wide),
            deny(DenyReason::ClockUncertain)
        );
        // Wholly before/after: plain outside.
        let before = TimeView {
            earliest: APPT - 3 * H,
            latest: APPT - H - 1,
            jump: None,
        };
        assert_eq!(
            e.decide(&req("dA", "v"), &before),
            deny(DenyReason::OutsideVisitorWindow)
        );
        let after = TimeView {
            earliest: APPT + H + 1,
            latest: APPT + 3 * H,
            jump: None,
        };
        assert_eq!(
            e.decide(&req("dA", "v"), &after),
            deny(DenyReason::OutsideVisitorWindow)
        );
        // Interval inside the window: allowed.
        let inside = TimeView {
            earliest: APPT - H,
            latest: APPT + H,
            jump: None,
        };
        assert_eq!(e.decide(&req("dA", "v"), &inside), visitor_allow("g"));
    }

    #[test]
    fn clock_uncertain_beats_outside_and_any_grant_in_window_wins() {
        let mut e = engine();
        e.upsert_grant(grant("g-old", "v", "r", "A", APPT - 10 * H));
        let straddle = TimeView {
            earliest: APPT + H - 1,
            latest: APPT + H + 1,
            jump: None,
        };
        assert_eq!(
            e.decide(&req("dA", "v"), &straddle),
            deny(DenyReason::ClockUncertain)
        );
        e.upsert_grant(grant("g-now", "v", "r", "A", APPT + H));
        assert_eq!(e.decide(&req("dA", "v"), &straddle), visitor_allow("g-now"));
    }

    #[test]
    fn grant_upsert_moves_between_visitors_and_remove() {
        let mut e = engine();
        e.upsert_person(person("v2", PersonKind::Visitor));
        e.upsert_grant(grant("g", "v2", "r", "A", APPT));
        assert_eq!(e.grant_count(), 1);
        assert_eq!(
            e.decide(&req("dA", "v"), &now()),
            deny(DenyReason::NoApprovedGrant)
        );
        assert_eq!(e.decide(&req("dA", "v2"), &now()), visitor_allow("g"));
        assert_eq!(e.grant("g").map(|g| g.visitor_id.as_str()), Some("v2"));
        assert!(e.remove_grant("g").is_some());
        assert!(e.remove_grant("g").is_none());
        assert_eq!(e.grant_count(), 0);
        assert!(e.grant("g").is_none());
        assert_eq!(
            e.decide(&req("dA", "v2"), &now()),
            deny(DenyReason::NoApprovedGrant)
        );
    }

    #[test]
    fn grant_update_changes_appointment() {
        let mut e = engine();
        e.upsert_grant(grant("g", "v", "r", "A", APPT + 5 * H));
        assert_eq!(e.grant_count(), 1);
        assert_eq!(
            e.decide(&req("dA", "v"), &now()),
            deny(DenyReason::OutsideVisitorWindow)
        );
        assert_eq!(
            e.decide(&req("dA", "v"), &TimeView::at(APPT + 4 * H)),
            visitor_allow("g")
        );
    }

    #[test]
    fn counts() {
        let mut e = engine();
        assert_eq!(e.people_count(), 3);
        assert_eq!(e.grant_count(), 1);
        e.upsert_person(resident("r", "B"));
        assert_eq!(e.people_count(), 3);
        e.upsert_grant(grant("g2", "v", "r", "B", APPT));
        assert_eq!(e.grant_count(), 2);
        assert!(e.remove_person("nobody").is_none());
    }

    #[test]
    fn extreme_appointments_do_not_overflow() {
        let mut e = engine();
        e.upsert_grant(grant("g", "v", "r", "A", i64::MAX));
        assert_eq!(
            e.decide(&req("dA", "v"), &TimeView::at(i64::MAX)),
            visitor_allow("g")
        );
        e.upsert_grant(grant("g", "v", "r", "A", i64::MIN));
        assert_eq!(
            e.decide(&req("dA", "v"), &TimeView::at(i64::MIN)),
            visitor_allow("g")
        );
        assert_eq!(
            e.decide(&req("dA", "v"), &TimeView::at(i64::MIN + H + 1)),
            deny(DenyReason::OutsideVisitorWindow)
        );
    }

    #[test]
    fn serde_roundtrip_of_data_types() {
        let p = resident("r", "A");
        let s = serde_json::to_string(&p).unwrap_or_default();
        assert_eq!(serde_json::from_str::<Person>(&s).ok(), Some(p));
        let g = grant("g", "v", "r", "A", APPT);
        let s = serde_json::to_string(&g).unwrap_or_default();
        assert_eq!(serde_json::from_str::<VisitorGrant>(&s).ok(), Some(g));
        let d = visitor_allow("g");
        let s = serde_json::to_string(&d).unwrap_or_default();
        assert_eq!(serde_json::from_str::<Decision>(&s).ok(), Some(d));
    }

    fn any_mode() -> impl Strategy<Value = DoorMode> {
        prop_oneof![
            Just(DoorMode::Normal),
            Just(DoorMode::HeldOpen),
            Just(DoorMode::Locked),
            Just(DoorMode::EmergencyRelease),
        ]
    }

    fn any_kind() -> impl Strategy<Value = PersonKind> {
        prop_oneof![
            Just(PersonKind::Resident),
            Just(PersonKind::Staff),
            Just(PersonKind::Visitor),
        ]
    }

    fn any_status() -> impl Strategy<Value = GrantStatus> {
        prop_oneof![
            Just(GrantStatus::Pending),
            Just(GrantStatus::Approved),
            Just(GrantStatus::Refused),
            Just(GrantStatus::Cancelled),
        ]
    }

    /// A random small world: people p0..p3, doors d0..d1 over estates E0..E1,
    /// grants for p0..p3 hosted by p0..p3.
    /// (kind, address estates, staff estates, staff_all_estates, enabled)
    type PersonSpec = (PersonKind, Vec<u8>, Vec<u8>, bool, bool);

    #[derive(Clone, Debug)]
    struct World {
        people: Vec<PersonSpec>,
        doors: Vec<(u8, DoorMode)>,
        grants: Vec<(u8, u8, u8, i64, GrantStatus)>,
        revoked_people: Vec<u8>,
        revoked_grants: Vec<u8>,
    }

    fn world() -> impl Strategy<Value = World> {
        let person = (
            any_kind(),
            proptest::collection::vec(0u8..2, 0..3),
            proptest::collection::vec(0u8..2, 0..3),
            any::<bool>(),
            proptest::bool::weighted(0.85),
        );
        (
            proptest::collection::vec(person, 4),
            proptest::collection::vec((0u8..2, any_mode()), 2),
            proptest::collection::vec((0u8..4, 0u8..4, 0u8..2, -4 * H..4 * H, any_status()), 0..6),
            proptest::collection::vec(0u8..5, 0..2),
            proptest::collection::vec(0u8..6, 0..2),
        )
            .prop_map(
                |(people, doors, grants, revoked_people, revoked_grants)| World {
                    people,
                    doors,
                    grants,
                    revoked_people,
                    revoked_grants,
                },
            )
    }

    fn build(w: &World) -> AccessEngine {
        let mut e = AccessEngine::new();
        for (i, (kind, addrs, staff, all, enabled)) in w.people.iter().enumerate() {
            e.upsert_person(Person {
                id: format!("p{i}"),
                name: String::new(),
                kind: *kind,
                addresses: addrs.iter().map(|a| addr(&format!("E{a}"))).collect(),
                staff_estates: staff.iter().map(|s| format!("E{s}")).collect(),
                staff_all_estates: *all,
                enabled: *enabled,
            });
        }
        for (i, (estate, mode)) in w.doors.iter().enumerate() {
            e.upsert_door(DoorInfo {
                id: format!("d{i}"),
                estate: format!("E{estate}"),
                mode: *mode,
            });
        }
        for (i, (v, h, estate, off, status)) in w.grants.iter().enumerate() {
            e.upsert_grant(VisitorGrant {
                id: format!("g{i}"),
                visitor_id: format!("p{v}"),
                host_id: format!("p{h}"),
                estate: format!("E{estate}"),
                appointment_at: APPT + off,
                status: *status,
            });
        }
        for p in &w.revoked_people {
            e.revoke_person(&format!("p{p}"));
        }
        for g in &w.revoked_grants {
            e.revoke_grant(&format!("g{g}"));
        }
        e
    }

    proptest! {
        #[test]
        fn window_edges_when_clocks_agree(appt in -1_000_000_000_000i64..4_000_000_000_000, off in -3 * H..3 * H) {
            let mut e = engine();
            e.upsert_grant(grant("g", "v", "r", "A", appt));
            let d = e.decide(&req("dA", "v"), &TimeView::at(appt + off));
            if off.abs() <= H {
                prop_assert_eq!(d, visitor_allow("g"));
            } else {
                prop_assert_eq!(d, deny(DenyReason::OutsideVisitorWindow));
            }
        }

        #[test]
        fn disagreeing_clocks_never_allow_what_a_single_clock_denies(
            w in world(),
            a in -5 * H..5 * H,
            span in 0i64..3 * H,
            frac in 0.0f64..=1.0,
            door in 0u8..2,
            who in 0u8..5,
        ) {
            let e = build(&w);
            let earliest = APPT + a;
            let latest = earliest + span;
            let view = TimeView { earliest, latest, jump: None };
            let rq = req(&format!("d{door}"), &format!("p{who}"));
            let d = e.decide(&rq, &view);
            if d.is_allowed() {
                let mid = earliest + (span as f64 * frac) as i64;
                for t in [earliest, latest, mid] {
                    prop_assert!(e.decide(&rq, &TimeView::at(t)).is_allowed(), "t = {}", t);
                }
            }
            // ClockUncertain means: some single clock in the interval would allow.
            if d == deny(DenyReason::ClockUncertain) {
                // Any overlap of [s, end] with [earliest, latest] contains
                // max(s, earliest): probe exactly those instants.
                let starts = w.grants.iter().map(|g| APPT + g.3 - H);
                let some = std::iter::once(earliest)
                    .chain(starts.filter(|s| (earliest..=latest).contains(s)))
                    .any(|t| e.decide(&rq, &TimeView::at(t)).is_allowed());
                prop_assert!(some);
            }
        }

        #[test]
        fn revocation_always_wins_over_any_grant(
            w in world(), t in -5 * H..5 * H, door in 0u8..2, who in 0u8..4,
        ) {
            let mut e = build(&w);
            let pid = format!("p{who}");
            e.revoke_person(&pid);
            let d = e.decide(&req(&format!("d{door}"), &pid), &TimeView::at(APPT + t));
            if w.doors[door as usize].1 == DoorMode::EmergencyRelease {
                prop_assert_eq!(d, allow(AllowReason::EmergencyRelease, false));
            } else {
                prop_assert!(!d.is_allowed());
            }
        }

        #[test]
        fn locked_always_denies_and_emergency_always_allows(
            w in world(), t in any::<i64>(), door in 0u8..3, who in 0u8..5,
        ) {
            let mut e = build(&w);
            let did = format!("d{door}");
            let rq = req(&did, &format!("p{who}"));
            let known = e.set_door_mode(&did, DoorMode::Locked);
            let d = e.decide(&rq, &TimeView::at(t));
            if known {
                prop_assert_eq!(d, deny(DenyReason::DoorLocked));
            } else {
                prop_assert_eq!(d, deny(DenyReason::UnknownDoor));
            }
            e.set_door_mode(&did, DoorMode::EmergencyRelease);
            let d = e.decide(&rq, &TimeView::at(t));
            if known {
                prop_assert_eq!(d, allow(AllowReason::EmergencyRelease, false));
            } else {
                prop_assert_eq!(d, deny(DenyReason::UnknownDoor));
            }
        }

        #[test]
        fn decide_is_total_on_arbitrary_strings(
            door in ".{0,8}", who in ".{0,8}",
            earliest in any::<i64>(), latest in any::<i64>(),
        ) {
            let e = engine();
            // Even an inverted interval must not panic.
            let view = TimeView { earliest, latest, jump: None };
            let d = e.decide(&AccessRequest { door_id: door, person_id: who, method: Method::OneTap }, &view);
            prop_assert!(!d.reason_code().is_empty());
        }
    }
}
