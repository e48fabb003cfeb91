//! The key backup both binaries write and read (`cloud-core backup-keys`, `edge-daemon backup`):
//! the few files that must never be lost, because nothing can make them again — the cloud's
//! one-tap signing key and ID-sealing key; the box's identity, its private key and its face
//! template key. A versioned TOML document, each file with its sha256, so a damaged or edited
//! backup is refused before anything is written. Sans-IO: the binaries read and write the
//! files; this decides.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const BACKUP_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyBackupV1 {
    pub version: u32,
    /// `cloud-core` or `edge-daemon`: a backup is restored only by the product that wrote it.
    pub product: String,
    pub created_at_ms: i64,
    pub files: Vec<BackedUpFileV1>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackedUpFileV1 {
    /// What the file is (`onetap-signing-key`, `id-sealing-key`, `box-identity`, `box-key`,
    /// `face-template-key`): restore puts it where the config says that role lives now.
    pub role: String,
    /// Where it was when backed up (for the operator; restore does not use it).
    pub path: String,
    pub sha256: String,
    pub content_base64: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackupError {
    #[error("not a key backup: {0}")]
    Format(String),
    #[error("field `version`: {0} is not supported (expected {BACKUP_VERSION})")]
    Version(u32),
    #[error("field `product`: the backup is of {found}, this is {expected}")]
    Product { found: String, expected: String },
    #[error("file `{0}`: its content does not match its sha256 (damaged or edited backup)")]
    Damaged(String),
    #[error("file `{0}` is not in the backup")]
    Missing(String),
}

/// What restoring one file would do, given what is there now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestoreStep {
    /// Nothing there: write it.
    Write,
    /// The same bytes are there already.
    AlreadyThere,
    /// Different bytes are there: refuse (a restore never replaces a key silently).
    Conflict,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl KeyBackupV1 {
    /// A backup of `files`: (role, path, bytes).
    pub fn new(product: &str, created_at_ms: i64, files: Vec<(&str, String, Vec<u8>)>) -> Self {
        KeyBackupV1 {
            version: BACKUP_VERSION,
            product: product.to_string(),
            created_at_ms,
            files: files
                .into_iter()
                .map(|(role, path, bytes)| BackedUpFileV1 {
                    role: role.to_string(),
                    path,
                    sha256: sha256_hex(&bytes),
                    content_base64: B64.encode(&bytes),
                })
                .collect(),
        }
    }

    pub fn to_toml(&self) -> String {
        // Plain strings and numbers: serialising cannot fail.
        toml::to_string(self).unwrap_or_default()
    }

    /// Read a backup of `product`, checking every file against its sha256.
    pub fn parse(text: &str, product: &str) -> Result<KeyBackupV1, BackupError> {
        let b: KeyBackupV1 =
            toml::from_str(text).map_err(|e| BackupError::Format(e.message().to_string()))?;
        if b.version != BACKUP_VERSION {
            return Err(BackupError::Version(b.version));
        }
        if b.product != product {
            return Err(BackupError::Product {
                found: b.product,
                expected: product.to_string(),
            });
        }
        for f in &b.files {
            let bytes = B64
                .decode(&f.content_base64)
                .map_err(|_| BackupError::Damaged(f.role.clone()))?;
            if sha256_hex(&bytes) != f.sha256 {
                return Err(BackupError::Damaged(f.role.clone()));
            }
        }
        Ok(b)
    }

    /// The bytes of the file with `role` (checked by [`parse`](Self::parse)).
    pub fn file(&self, role: &str) -> Result<Vec<u8>, BackupError> {
        self.files
            .iter()
            .find(|f| f.role == role)
            .and_then(|f| B64.decode(&f.content_base64).ok())
            .ok_or_else(|| BackupError::Missing(role.to_string()))
    }
}

/// Whether restoring `backup` over `existing` writes, does nothing, or must refuse.
pub fn restore_step(backup: &[u8], existing: Option<&[u8]>) -> RestoreStep {
    match existing {
        None => RestoreStep::Write,
        Some(e) if e == backup => RestoreStep::AlreadyThere,
        Some(_) => RestoreStep::Conflict,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> KeyBackupV1 {
        KeyBackupV1::new(
            "cloud-core",
            1_700_000_000_000,
            vec![
                (
                    "onetap-signing-key",
                    "/var/lib/c/a".into(),
                    b"AAAA".to_vec(),
                ),
                ("id-sealing-key", "/var/lib/c/b".into(), b"BBBB".to_vec()),
            ],
        )
    }

    #[test]
    fn a_backup_round_trips_and_names_its_files_by_role() {
        let b = sample();
        let back = KeyBackupV1::parse(&b.to_toml(), "cloud-core").unwrap();
        assert_eq!(back, b);
        assert_eq!(back.file("id-sealing-key").unwrap(), b"BBBB");
        assert_eq!(
            back.file("box-key"),
            Err(BackupError::Missing("box-key".into()))
        );
    }

    #[test]
    fn damaged_foreign_or_unknown_backups_are_refused() {
        let text = sample().to_toml();
        assert!(matches!(
            KeyBackupV1::parse(&text, "edge-daemon"),
            Err(BackupError::Product { .. })
        ));
        let edited = text.replace(&B64.encode(b"AAAA"), &B64.encode(b"AAAB"));
        assert_eq!(
            KeyBackupV1::parse(&edited, "cloud-core"),
            Err(BackupError::Damaged("onetap-signing-key".into()))
        );
        let future = text.replace("version = 1", "version = 2");
        assert_eq!(
            KeyBackupV1::parse(&future, "cloud-core"),
            Err(BackupError::Version(2))
        );
        assert!(matches!(
            KeyBackupV1::parse("not toml [", "cloud-core"),
            Err(BackupError::Format(_))
        ));
    }

    #[test]
    fn a_restore_never_replaces_a_different_key() {
        assert_eq!(restore_step(b"k", None), RestoreStep::Write);
        assert_eq!(restore_step(b"k", Some(b"k")), RestoreStep::AlreadyThere);
        assert_eq!(restore_step(b"k", Some(b"x")), RestoreStep::Conflict);
    }
}
