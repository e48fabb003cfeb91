//! Wire types of the box's local API that carry directory data (people, visitor grants,
//! revocations). Versioned and converted explicitly into the `access` domain types, so the API
//! can stay stable while the engine changes. The cloud downlink will reuse them.

use serde::{Deserialize, Serialize};

use crate::access::{Address, GrantStatus, Person, PersonKind, VisitorGrant};

pub const DIRECTORY_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryV1 {
    pub version: u32,
    #[serde(default)]
    pub people: Vec<PersonV1>,
    #[serde(default)]
    pub grants: Vec<GrantV1>,
    #[serde(default)]
    pub revoked_people: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressV1 {
    pub estate: String,
    #[serde(default)]
    pub building: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub room: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonV1 {
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// resident | staff | visitor
    pub kind: String,
    #[serde(default)]
    pub addresses: Vec<AddressV1>,
    #[serde(default)]
    pub staff_estates: Vec<String>,
    #[serde(default)]
    pub staff_all_estates: bool,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantV1 {
    pub id: String,
    pub visitor_id: String,
    pub host_id: String,
    pub estate: String,
    /// Appointment time, ms since the Unix epoch; the visitor may pass ±1 h around it.
    pub appointment_at_ms: i64,
    /// pending | approved | refused | cancelled
    pub status: String,
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

impl DirectoryV1 {
    pub fn into_domain(self) -> Result<Directory, WireError> {
        if self.version != DIRECTORY_VERSION {
            return Err(bad(
                "version".into(),
                format!(
                    "{} is not supported (expected {DIRECTORY_VERSION})",
                    self.version
                ),
            ));
        }
        let mut people = Vec::with_capacity(self.people.len());
        for (i, p) in self.people.into_iter().enumerate() {
            if p.id.trim().is_empty() {
                return Err(bad(format!("people[{i}].id"), "must not be empty"));
            }
            let kind = match p.kind.as_str() {
                "resident" => PersonKind::Resident,
                "staff" => PersonKind::Staff,
                "visitor" => PersonKind::Visitor,
                other => {
                    return Err(bad(
                        format!("people[{i}].kind"),
                        format!("`{other}` is not one of resident, staff, visitor"),
                    ))
                }
            };
            for (j, a) in p.addresses.iter().enumerate() {
                if a.estate.trim().is_empty() {
                    return Err(bad(
                        format!("people[{i}].addresses[{j}].estate"),
                        "must not be empty",
                    ));
                }
            }
            people.push(Person {
                id: p.id,
                name: p.name,
                kind,
                addresses: p
                    .addresses
                    .into_iter()
                    .map(|a| Address {
                        estate: a.estate,
                        building: a.building,
                        unit: a.unit,
                        room: a.room,
                    })
                    .collect(),
                staff_estates: p.staff_estates,
                staff_all_estates: p.staff_all_estates,
                enabled: p.enabled,
            });
        }
        let mut grants = Vec::with_capacity(self.grants.len());
        for (i, g) in self.grants.into_iter().enumerate() {
            for (name, v) in [
                ("id", &g.id),
                ("visitor_id", &g.visitor_id),
                ("host_id", &g.host_id),
                ("estate", &g.estate),
            ] {
                if v.trim().is_empty() {
                    return Err(bad(format!("grants[{i}].{name}"), "must not be empty"));
                }
            }
            let status = match g.status.as_str() {
                "pending" => GrantStatus::Pending,
                "approved" => GrantStatus::Approved,
                "refused" => GrantStatus::Refused,
                "cancelled" => GrantStatus::Cancelled,
                other => {
                    return Err(bad(
                        format!("grants[{i}].status"),
                        format!("`{other}` is not one of pending, approved, refused, cancelled"),
                    ))
                }
            };
            grants.push(VisitorGrant {
                id: g.id,
                visitor_id: g.visitor_id,
                host_id: g.host_id,
                estate: g.estate,
                appointment_at: g.appointment_at_ms,
                status,
            });
        }
        Ok(Directory {
            people,
            grants,
            revoked_people: self.revoked_people,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(json: &str) -> Result<Directory, WireError> {
        serde_json::from_str::<DirectoryV1>(json)
            .unwrap()
            .into_domain()
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
}
