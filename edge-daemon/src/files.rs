//! Writing the box's own small files: keys, identities, backups. One rule for all of them: a
//! new file is never written over an existing one, it is synced before the write counts, and a
//! secret is readable by its owner only (0600) from the moment it exists.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

/// Who may read a new file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readers {
    /// The owner only (0600): keys, identities, backups of keys.
    Owner,
    /// As the umask allows.
    Default,
}

/// Create `path` (its folder too) with `bytes`, synced; fails if it exists.
pub fn write_new(path: &Path, bytes: &[u8], readers: Readers) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    if readers == Readers::Owner {
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    #[test]
    fn a_secret_is_the_owners_synced_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/key");
        write_new(&p, b"k1", Readers::Owner).unwrap();
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let e = write_new(&p, b"k2", Readers::Owner).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&p).unwrap(), b"k1");
    }
}
