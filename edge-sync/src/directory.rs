//! Directory wire types: the people, visitor grants and revocations an edge box decides with.
//! The cloud produces them (sync deltas), the box's local API accepts them (`PUT
//! /v1/directory`), and the box stores them as they are. Changes are additive only.

use serde::{Deserialize, Serialize};

pub const DIRECTORY_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "EdgeDirectoryV1")
)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "EdgeAddressV1")
)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "EdgePersonV1")
)]
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
    /// The person's approved face photos with consent on record, all of them (not a change
    /// list): the box enrols what is new and deletes templates of photos no longer listed.
    /// Empty when there is none or consent was withdrawn.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub face_photos: Vec<FacePhotoV1>,
}

/// The form of [`FacePhotoV1::sha256`]: lower-case hex SHA-256 of the photo's bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A face photo the box may enrol: it fetches the bytes with `GET /v1/edge/face-photos/{id}`
/// and checks them against `sha256` (a photo is never edited in place; a new one gets a new id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "EdgeFacePhotoV1")
)]
#[serde(deny_unknown_fields)]
pub struct FacePhotoV1 {
    pub id: String,
    /// Lower-case hex SHA-256 of the photo's bytes.
    pub sha256: String,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "EdgeGrantV1")
)]
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

#[cfg(test)]
mod tests {
    #[test]
    fn photo_hashes_are_lower_case_hex_sha256() {
        assert_eq!(
            super::sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
