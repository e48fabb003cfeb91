//! The cloud's two secrets, kept in files beside (never inside) the database: the Ed25519 key
//! that signs one-tap commands, and the key that seals national ID numbers. Both are created on
//! first start with mode 0600.

use std::io::Write;
use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use ed25519_dalek::SigningKey;
use rand::RngCore;

pub struct Keys {
    pub onetap: SigningKey,
    data: ChaCha20Poly1305,
    /// (role, fingerprint) of each key, as [`KEY_FILES`] names them.
    fingerprints: Vec<(&'static str, String)>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys { .. }")
    }
}

/// The key files in `data_dir`, by the role a backup names them with.
pub const KEY_FILES: [(&str, &str); 2] = [
    ("onetap-signing-key", "onetap-signing.key"),
    ("id-sealing-key", "data.key"),
];

/// Write a secret into a new file, 0600, synced (never over an existing one).
pub fn write_new_secret(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// A backup of the key files in `dir` (`cloud-core backup-keys`).
pub fn backup(dir: &Path, now_ms: i64) -> std::io::Result<edge_sync::backup::KeyBackupV1> {
    let mut files = Vec::new();
    for (role, name) in KEY_FILES {
        let path = dir.join(name);
        let bytes = std::fs::read(&path)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        files.push((role, path.display().to_string(), bytes));
    }
    Ok(edge_sync::backup::KeyBackupV1::new(
        "cloud-core",
        now_ms,
        files,
    ))
}

/// Put the backed-up keys into `dir` (`cloud-core restore-keys`): every file is checked first,
/// and a key file that is there with other bytes stops the restore before anything is written.
pub fn restore(
    dir: &Path,
    b: &edge_sync::backup::KeyBackupV1,
) -> Result<Vec<(&'static str, edge_sync::backup::RestoreStep)>, String> {
    use edge_sync::backup::{restore_step, RestoreStep};
    let mut plan = Vec::new();
    for (role, name) in KEY_FILES {
        let bytes = b.file(role).map_err(|e| e.to_string())?;
        let path = dir.join(name);
        let existing = std::fs::read(&path).ok();
        let step = restore_step(&bytes, existing.as_deref());
        if step == RestoreStep::Conflict {
            return Err(format!(
                "{} holds a different {role}: a restore never replaces a key (move it away if you are sure)",
                path.display()
            ));
        }
        plan.push((role, step, path, bytes));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut done = Vec::new();
    for (role, step, path, bytes) in plan {
        if step == RestoreStep::Write {
            write_new_secret(&path, &bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        done.push((role, step));
    }
    Ok(done)
}

/// A key's fingerprint: the first 16 bytes of SHA-256 over a fixed label and the key, in hex.
/// It tells two keys apart and reveals nothing of either.
pub fn fingerprint(key: &[u8]) -> String {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    h.update(b"cloud-core key fingerprint v1\0");
    h.update(key);
    h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn load_or_create(path: &Path, may_create: bool) -> std::io::Result<[u8; 32]> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let bytes = B64.decode(text.trim()).map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{}: not base64: {e}", path.display()),
                )
            })?;
            bytes.try_into().map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{}: not 32 bytes", path.display()),
                )
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !may_create => {
            Err(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!(
                    "{} is missing, and this database was served with keys before: restore them \
                     (`cloud-core restore-keys`) or point data_dir at their folder; a new key \
                     would not open what the old one sealed",
                    path.display()
                ),
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut key);
            write_new_secret(path, B64.encode(key).as_bytes())?;
            tracing::info!(path = %path.display(), "created key file");
            Ok(key)
        }
        Err(e) => Err(e),
    }
}

impl Keys {
    pub fn load_or_create(dir: &Path) -> std::io::Result<Keys> {
        Keys::load(dir, true)
    }

    /// The keys in `dir`; a missing one is made only when `may_create` (a database that has
    /// never been served: see `db::check_key_fingerprints`).
    pub fn load(dir: &Path, may_create: bool) -> std::io::Result<Keys> {
        std::fs::create_dir_all(dir)?;
        let onetap_bytes = load_or_create(&dir.join("onetap-signing.key"), may_create)?;
        let data = load_or_create(&dir.join("data.key"), may_create)?;
        let onetap = SigningKey::from_bytes(&onetap_bytes);
        Ok(Keys {
            fingerprints: vec![
                (
                    "onetap-signing-key",
                    fingerprint(onetap.verifying_key().as_bytes()),
                ),
                ("id-sealing-key", fingerprint(&data)),
            ],
            onetap,
            data: ChaCha20Poly1305::new(Key::from_slice(&data)),
        })
    }

    /// (role, fingerprint) of each key.
    pub fn fingerprints(&self) -> &[(&'static str, String)] {
        &self.fingerprints
    }

    pub fn onetap_public_b64(&self) -> String {
        edge_sync::onetap::encode_public_key(&self.onetap.verifying_key())
    }

    /// Seal a secret (a national ID number): base64(nonce ‖ ciphertext+tag).
    pub fn seal(&self, plain: &str) -> String {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        // Encryption with a valid key and nonce does not fail for inputs this size.
        let ct = self
            .data
            .encrypt(&nonce, plain.as_bytes())
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        B64.encode(out)
    }

    pub fn open(&self, sealed: &str) -> Option<String> {
        let bytes = B64.decode(sealed).ok()?;
        if bytes.len() < 12 {
            return None;
        }
        let (nonce, ct) = bytes.split_at(12);
        let plain = self.data.decrypt(Nonce::from_slice(nonce), ct).ok()?;
        String::from_utf8(plain).ok()
    }
}

/// What everyone but an allowed role sees of an ID number: first 3 and last 4 characters.
pub fn mask_id_number(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let mut s: String = chars[..3].iter().collect();
    s.push_str(&"*".repeat(chars.len() - 7));
    s.extend(&chars[chars.len() - 4..]);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_numbers_open_only_with_the_key_and_masks_hide_the_middle() {
        let dir = tempfile::tempdir().unwrap();
        let k = Keys::load_or_create(dir.path()).unwrap();
        let sealed = k.seal("110101199003071234");
        assert!(!sealed.contains("1101011990"));
        assert_eq!(k.open(&sealed).as_deref(), Some("110101199003071234"));
        // Reloaded from the files: same keys.
        let k2 = Keys::load_or_create(dir.path()).unwrap();
        assert_eq!(k2.open(&sealed).as_deref(), Some("110101199003071234"));
        assert_eq!(k2.onetap_public_b64(), k.onetap_public_b64());
        let other = Keys::load_or_create(tempfile::tempdir().unwrap().path()).unwrap();
        assert_eq!(other.open(&sealed), None);
        assert_eq!(mask_id_number("110101199003071234"), "110***********1234");
        assert_eq!(mask_id_number("1234"), "****");
    }
}
