//! Conversions between the directory wire types (`edge_sync::directory`, shared with the cloud's
//! sync deltas and used by the box's local API) and the `access` domain types. Explicit, so the
//! wire can stay stable while the engine changes.

pub use edge_sync::directory::{AddressV1, DirectoryV1, GrantV1, PersonV1, DIRECTORY_VERSION};

use crate::access::{Address, DoorMode, GrantStatus, Person, PersonKind, VisitorGrant};

/// A cloud directory delta in domain types (see `edge_sync::sync::DownDeltaV1`).
#[derive(Debug, Clone, Default)]
pub struct DirectoryDelta {
    pub people: Vec<Person>,
    pub removed_people: Vec<String>,
    pub grants: Vec<VisitorGrant>,
    pub door_modes: Vec<(String, DoorMode)>,
    /// MQTT devices the cloud registered for this box (new, changed, or removed).
    pub sensors: Vec<CloudSensor>,
    /// Acknowledgements and clears staff made in the cloud, for the sensor engine.
    pub alarm_actions: Vec<AlarmAction>,
    /// For each person in `people`: the face photos the cloud lists now (maybe none).
    pub face_photos: Vec<(String, Vec<crate::store::records::StoredFacePhotoV1>)>,
    /// The community's settings, when the cloud sent them.
    pub settings: Option<edge_sync::sync::BoxSettingsV1>,
    pub cursor: i64,
}

/// A face photo reference: an id the cloud can serve and a lower-case hex SHA-256.
fn face_photo(
    p: edge_sync::directory::FacePhotoV1,
    at: &str,
) -> Result<crate::store::records::StoredFacePhotoV1, WireError> {
    if p.id.is_empty() || p.id.len() > 64 || !p.id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad(
            format!("{at}.id"),
            "must be 1-64 printable ASCII characters",
        ));
    }
    if p.sha256.len() != 64
        || !p
            .sha256
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Err(bad(
            format!("{at}.sha256"),
            "must be 64 lower-case hex digits",
        ));
    }
    Ok(crate::store::records::StoredFacePhotoV1 {
        id: p.id,
        sha256: p.sha256,
    })
}

/// An MQTT device from the cloud's registry; `enabled = false` means forget it.
#[derive(Debug, Clone)]
pub struct CloudSensor {
    pub sensor: crate::config::sensors::Sensor,
    pub enabled: bool,
}

/// What staff did to a sensor alarm in the cloud.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmAction {
    pub device: String,
    pub alarm: crate::sensor::SensorAlarm,
    /// true: clear; false: acknowledge.
    pub clear: bool,
    pub by: String,
}

impl IntoDomain for edge_sync::sync::DownDeltaV1 {
    type Domain = DirectoryDelta;
    fn into_domain(self, at: &str) -> Result<DirectoryDelta, WireError> {
        if self.version != edge_sync::sync::SYNC_VERSION {
            return Err(bad(
                format!("{at}.version"),
                format!("{} is not supported", self.version),
            ));
        }
        let mut face_photos = Vec::with_capacity(self.people.len());
        let mut people = Vec::with_capacity(self.people.len());
        for (i, mut p) in self.people.into_iter().enumerate() {
            let photos = std::mem::take(&mut p.face_photos)
                .into_iter()
                .enumerate()
                .map(|(k, f)| face_photo(f, &format!("{at}.people[{i}].face_photos[{k}]")))
                .collect::<Result<Vec<_>, _>>()?;
            face_photos.push((p.id.clone(), photos));
            people.push(p.into_domain(&format!("{at}.people[{i}]"))?);
        }
        let grants = self
            .grants
            .into_iter()
            .enumerate()
            .map(|(i, g)| g.into_domain(&format!("{at}.grants[{i}]")))
            .collect::<Result<_, _>>()?;
        let door_modes = self
            .doors
            .into_iter()
            .enumerate()
            .map(|(i, d)| match parse_door_mode(&d.mode) {
                Some(m) => Ok((d.code, m)),
                None => Err(bad(
                    format!("{at}.doors[{i}].mode"),
                    format!("unknown mode `{}`", d.mode),
                )),
            })
            .collect::<Result<_, _>>()?;
        let sensors = self
            .sensors
            .into_iter()
            .enumerate()
            .map(|(i, s)| {
                let at = format!("{at}.sensors[{i}]");
                if s.code.is_empty() || s.code.len() > 64 || s.code.contains(['/', '+', '#']) {
                    return Err(bad(
                        format!("{at}.code"),
                        "must be 1 to 64 characters without / + #",
                    ));
                }
                if !(5..=86_400).contains(&s.heartbeat_seconds) {
                    return Err(bad(
                        format!("{at}.heartbeat_seconds"),
                        "must be within 5..=86400",
                    ));
                }
                Ok(CloudSensor {
                    enabled: s.enabled,
                    sensor: crate::config::sensors::Sensor {
                        name: if s.name.is_empty() {
                            s.code.clone()
                        } else {
                            s.name
                        },
                        id: s.code,
                        model: s.profile,
                        estate: s.estate,
                        building: s.building,
                        unit: s.unit,
                        floor: s.floor,
                        heartbeat_ms: i64::from(s.heartbeat_seconds) * 1000,
                    },
                })
            })
            .collect::<Result<_, _>>()?;
        // Actions on alarms this box's sensor engine does not own (door alarms, fire release
        // audits) are the cloud's business only: skipped, not an error.
        let alarm_actions = self
            .alarm_actions
            .into_iter()
            .filter_map(|a| {
                Some(AlarmAction {
                    alarm: crate::sensor::SensorAlarm::parse(&a.kind)?,
                    clear: match a.action.as_str() {
                        "clear" => true,
                        "ack" => false,
                        _ => return None,
                    },
                    device: a.source,
                    by: a.by,
                })
            })
            .collect();
        Ok(DirectoryDelta {
            people,
            removed_people: self.removed_people,
            grants,
            door_modes,
            sensors,
            alarm_actions,
            face_photos,
            settings: self.settings,
            cursor: self.cursor,
        })
    }
}

/// A directory entry that cannot be accepted: where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field `{field}`: {reason}")]
pub struct WireError {
    pub field: String,
    pub reason: String,
}

fn bad(field: String, reason: impl Into<String>) -> WireError {
    WireError {
        field,
        reason: reason.into(),
    }
}

/// The directory converted to domain types.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    pub people: Vec<Person>,
    pub grants: Vec<VisitorGrant>,
    pub revoked_people: Vec<String>,
}

/// Conversion of wire types into domain types; `at` names the place for error messages.
pub trait IntoDomain {
    type Domain;
    fn into_domain(self, at: &str) -> Result<Self::Domain, WireError>;
}

impl IntoDomain for DirectoryV1 {
    type Domain = Directory;
    fn into_domain(self, _at: &str) -> Result<Directory, WireError> {
        if self.version != DIRECTORY_VERSION {
            return Err(bad(
                "version".into(),
                format!(
                    "{} is not supported (expected {DIRECTORY_VERSION})",
                    self.version
                ),
            ));
        }
        let people = self
            .people
            .into_iter()
            .enumerate()
            .map(|(i, p)| p.into_domain(&format!("people[{i}]")))
            .collect::<Result<_, _>>()?;
        let grants = self
            .grants
            .into_iter()
            .enumerate()
            .map(|(i, g)| g.into_domain(&format!("grants[{i}]")))
            .collect::<Result<_, _>>()?;
        Ok(Directory {
            people,
            grants,
            revoked_people: self.revoked_people,
        })
    }
}

impl IntoDomain for PersonV1 {
    type Domain = Person;
    /// `at` names this entry in error messages (e.g. `people[3]`).
    fn into_domain(self, at: &str) -> Result<Person, WireError> {
        if self.id.trim().is_empty() {
            return Err(bad(format!("{at}.id"), "must not be empty"));
        }
        let kind = match self.kind.as_str() {
            "resident" => PersonKind::Resident,
            "staff" => PersonKind::Staff,
            "visitor" => PersonKind::Visitor,
            other => {
                return Err(bad(
                    format!("{at}.kind"),
                    format!("`{other}` is not one of resident, staff, visitor"),
                ))
            }
        };
        for (j, a) in self.addresses.iter().enumerate() {
            if a.estate.trim().is_empty() {
                return Err(bad(
                    format!("{at}.addresses[{j}].estate"),
                    "must not be empty",
                ));
            }
        }
        Ok(Person {
            id: self.id,
            name: self.name,
            kind,
            addresses: self
                .addresses
                .into_iter()
                .map(|a| Address {
                    estate: a.estate,
                    building: a.building,
                    unit: a.unit,
                    room: a.room,
                })
                .collect(),
            staff_estates: self.staff_estates,
            staff_all_estates: self.staff_all_estates,
            enabled: self.enabled,
        })
    }
}

/// A domain person as the wire/storage type (the rules crate knows no wire types).
pub fn person_v1(p: &Person) -> PersonV1 {
    {
        PersonV1 {
            id: p.id.clone(),
            name: p.name.clone(),
            kind: match p.kind {
                PersonKind::Resident => "resident",
                PersonKind::Staff => "staff",
                PersonKind::Visitor => "visitor",
            }
            .to_string(),
            addresses: p
                .addresses
                .iter()
                .map(|a| AddressV1 {
                    estate: a.estate.clone(),
                    building: a.building.clone(),
                    unit: a.unit.clone(),
                    room: a.room.clone(),
                })
                .collect(),
            staff_estates: p.staff_estates.clone(),
            staff_all_estates: p.staff_all_estates,
            enabled: p.enabled,
            // Face photos are not access data: the box keeps templates in its own tree.
            face_photos: Vec::new(),
        }
    }
}

impl IntoDomain for GrantV1 {
    type Domain = VisitorGrant;
    fn into_domain(self, at: &str) -> Result<VisitorGrant, WireError> {
        for (name, v) in [
            ("id", &self.id),
            ("visitor_id", &self.visitor_id),
            ("host_id", &self.host_id),
            ("estate", &self.estate),
        ] {
            if v.trim().is_empty() {
                return Err(bad(format!("{at}.{name}"), "must not be empty"));
            }
        }
        let status = match self.status.as_str() {
            "pending" => GrantStatus::Pending,
            "approved" => GrantStatus::Approved,
            "refused" => GrantStatus::Refused,
            "cancelled" => GrantStatus::Cancelled,
            other => {
                return Err(bad(
                    format!("{at}.status"),
                    format!("`{other}` is not one of pending, approved, refused, cancelled"),
                ))
            }
        };
        Ok(VisitorGrant {
            id: self.id,
            visitor_id: self.visitor_id,
            host_id: self.host_id,
            estate: self.estate,
            appointment_at: self.appointment_at_ms,
            status,
        })
    }
}

/// A domain grant as the wire/storage type.
pub fn grant_v1(g: &VisitorGrant) -> GrantV1 {
    {
        GrantV1 {
            id: g.id.clone(),
            visitor_id: g.visitor_id.clone(),
            host_id: g.host_id.clone(),
            estate: g.estate.clone(),
            appointment_at_ms: g.appointment_at,
            status: match g.status {
                GrantStatus::Pending => "pending",
                GrantStatus::Approved => "approved",
                GrantStatus::Refused => "refused",
                GrantStatus::Cancelled => "cancelled",
            }
            .to_string(),
        }
    }
}

/// Door modes on the wire and on disk: the protocol's codes (`edge_sync::vocab::DoorMode`).
pub fn door_mode_code(m: DoorMode) -> &'static str {
    use edge_sync::vocab::DoorMode as Code;
    match m {
        DoorMode::Normal => Code::Normal,
        DoorMode::HeldOpen => Code::HeldOpen,
        DoorMode::Locked => Code::Locked,
        DoorMode::EmergencyRelease => Code::EmergencyRelease,
    }
    .code()
}

pub fn parse_door_mode(text: &str) -> Option<DoorMode> {
    use edge_sync::vocab::DoorMode as Code;
    Code::parse(text).map(|c| match c {
        Code::Normal => DoorMode::Normal,
        Code::HeldOpen => DoorMode::HeldOpen,
        Code::Locked => DoorMode::Locked,
        Code::EmergencyRelease => DoorMode::EmergencyRelease,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(json: &str) -> Result<Directory, WireError> {
        serde_json::from_str::<DirectoryV1>(json)
            .unwrap()
            .into_domain("directory")
    }

    #[test]
    fn converts_and_names_bad_fields() {
        let d = dir(r#"{"version":1,"people":[{"id":"p1","kind":"resident","addresses":[{"estate":"e1"}]}],
            "grants":[{"id":"g1","visitor_id":"v1","host_id":"p1","estate":"e1","appointment_at_ms":5,"status":"approved"}]}"#)
            .unwrap();
        assert_eq!(d.people[0].addresses[0].estate, "e1");
        assert!(d.people[0].enabled);
        assert_eq!(d.grants[0].status, GrantStatus::Approved);
        let e = dir(r#"{"version":1,"people":[{"id":"p1","kind":"alien"}]}"#).unwrap_err();
        assert_eq!(e.field, "people[0].kind");
        let e = dir(r#"{"version":2}"#).unwrap_err();
        assert_eq!(e.field, "version");
        let e = dir(r#"{"version":1,"grants":[{"id":"g","visitor_id":"v","host_id":"h","estate":"e","appointment_at_ms":1,"status":"maybe"}]}"#).unwrap_err();
        assert_eq!(e.field, "grants[0].status");
    }

    #[test]
    fn domain_round_trips_through_the_wire_types() {
        let d = dir(r#"{"version":1,"people":[{"id":"p1","name":"n","kind":"staff","staff_estates":["e2"],"enabled":false,
            "addresses":[{"estate":"e1","building":"b","unit":"u","room":"r"}]}],
            "grants":[{"id":"g1","visitor_id":"v1","host_id":"p1","estate":"e1","appointment_at_ms":5,"status":"refused"}]}"#)
        .unwrap();
        let p = person_v1(&d.people[0]).into_domain("p").unwrap();
        assert_eq!(p, d.people[0]);
        let g = grant_v1(&d.grants[0]).into_domain("g").unwrap();
        assert_eq!(g, d.grants[0]);
        for m in [
            DoorMode::Normal,
            DoorMode::HeldOpen,
            DoorMode::Locked,
            DoorMode::EmergencyRelease,
        ] {
            assert_eq!(parse_door_mode(door_mode_code(m)), Some(m));
        }
        assert_eq!(parse_door_mode("open"), None);
    }
}
