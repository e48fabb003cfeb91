//! `edge-daemon backup` / `restore`: the files a box cannot get back if lost — its identity
//! (`[cloud] identity_file`), its private key (the identity's `key_file`), and the key that seals
//! its face templates (`[face] template_key_file`). Restore reads only those paths from the
//! config (on a fresh machine the identity does not exist yet, so the full config would not load)
//! and never replaces a file that holds other bytes. The format is `edge_sync::backup`.
//!
//! Not in the backup: the store. Its directory comes back from the cloud, but records the cloud
//! has not acknowledged live only there — a box is replaced after its outbox drained.

use std::path::{Path, PathBuf};

use edge_sync::backup::{restore_step, KeyBackupV1, RestoreStep};

const PRODUCT: &str = "edge-daemon";

/// The backed-up files' places, as the config names them now.
fn places(config: &Path) -> Result<Vec<(&'static str, PathBuf)>, String> {
    let text = std::fs::read_to_string(config).map_err(|e| format!("{}: {e}", config.display()))?;
    let v: toml::Value =
        toml::from_str(&text).map_err(|e| format!("{}: {}", config.display(), e.message()))?;
    let base = config.parent().unwrap_or(Path::new("."));
    let rel = |p: &str| {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            base.join(p)
        }
    };
    let mut out = Vec::new();
    if let Some(id) = v
        .get("cloud")
        .and_then(|c| c.get("identity_file"))
        .and_then(|p| p.as_str())
    {
        out.push(("box-identity", rel(id)));
    }
    if let Some(k) = v
        .get("face")
        .and_then(|f| f.get("template_key_file"))
        .and_then(|p| p.as_str())
    {
        out.push(("face-template-key", rel(k)));
    }
    if out.is_empty() {
        return Err(format!(
            "{}: neither [cloud] identity_file nor [face] template_key_file: nothing to back up",
            config.display()
        ));
    }
    Ok(out)
}

/// The box key's place, from the identity file's `key_file` (relative to the identity file).
fn key_place(identity_path: &Path, identity: &[u8]) -> Result<PathBuf, String> {
    let id: crate::config::cloud::IdentityFileV1 = toml::from_str(
        std::str::from_utf8(identity).map_err(|_| "the identity file is not text".to_string())?,
    )
    .map_err(|e| format!("{}: {}", identity_path.display(), e.message()))?;
    Ok(if id.key_file.is_absolute() {
        id.key_file
    } else {
        identity_path
            .parent()
            .unwrap_or(Path::new("."))
            .join(id.key_file)
    })
}

/// Read the files the config names into a backup.
pub fn backup(config: &Path, now_ms: i64) -> Result<KeyBackupV1, String> {
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let mut files = Vec::new();
    for (role, path) in places(config)? {
        let bytes = read(&path)?;
        if role == "box-identity" {
            let key = key_place(&path, &bytes)?;
            files.push(("box-key", key.display().to_string(), read(&key)?));
        }
        files.push((role, path.display().to_string(), bytes));
    }
    Ok(KeyBackupV1::new(PRODUCT, now_ms, files))
}

/// Put the backed-up files where the config names them; every one is checked before any is
/// written, and a different file in a place stops the restore.
pub fn restore(config: &Path, text: &str) -> Result<Vec<(String, RestoreStep)>, String> {
    let b = KeyBackupV1::parse(text, PRODUCT).map_err(|e| e.to_string())?;
    let mut plan = Vec::new();
    for (role, path) in places(config)? {
        let bytes = b.file(role).map_err(|e| e.to_string())?;
        if role == "box-identity" {
            let key = key_place(&path, &bytes)?;
            plan.push((
                "box-key",
                key,
                b.file("box-key").map_err(|e| e.to_string())?,
            ));
        }
        plan.push((role, path, bytes));
    }
    let mut steps = Vec::new();
    for (role, path, bytes) in &plan {
        let existing = std::fs::read(path).ok();
        let step = restore_step(bytes, existing.as_deref());
        if step == RestoreStep::Conflict {
            return Err(format!(
                "{} holds a different {role}: a restore never replaces it (move it away if you are sure)",
                path.display()
            ));
        }
        steps.push(step);
    }
    // The key before the identity that names it (as `provision` writes them).
    let mut done = Vec::new();
    for ((role, path, bytes), step) in plan.into_iter().zip(steps) {
        if step == RestoreStep::Write {
            write_new_private(&path, &bytes)?;
        }
        done.push((role.to_string(), step));
    }
    Ok(done)
}

/// A new file (never over an existing one) only the owner can read, synced.
pub fn write_new_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    crate::files::write_new(path, bytes, crate::files::Readers::Owner)
        .map_err(|e| format!("{}: {e}", path.display()))
}
