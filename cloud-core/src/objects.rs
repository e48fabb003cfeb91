//! Where attachment bytes live (case photos, materials, evidence; face photos and pass
//! thumbnails). The database keeps each file's metadata and sha256 (`attachments`,
//! `face_photos`, `pass_thumbnails`); the bytes go to an [`ObjectStore`]. Local files under
//! `data_dir/objects` are the default; another store (an S3-compatible one) would be a second
//! implementation chosen by config — not built yet.

use std::io::Write;
use std::path::PathBuf;

pub trait ObjectStore: Send + Sync + std::fmt::Debug {
    /// Store `bytes` under `key` durably (the call returns after fsync).
    fn put(&self, key: &str, bytes: &[u8]) -> std::io::Result<()>;
    fn get(&self, key: &str) -> std::io::Result<Vec<u8>>;
    /// Remove `key` durably; removing a key that is not there succeeds (a retry after a crash
    /// between the removal and the database update must go through).
    fn delete(&self, key: &str) -> std::io::Result<()>;
}

/// Files under one directory; keys are ids (checked to be plain names).
#[derive(Debug)]
pub struct LocalFiles {
    root: PathBuf,
}

impl LocalFiles {
    pub fn new(root: PathBuf) -> LocalFiles {
        LocalFiles { root }
    }

    fn path(&self, key: &str) -> std::io::Result<PathBuf> {
        if key.is_empty() || !key.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-') {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "object keys are ids (A-Z a-z 0-9 -)",
            ));
        }
        Ok(self.root.join(key))
    }
}

impl ObjectStore for LocalFiles {
    fn put(&self, key: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.path(key)?;
        std::fs::create_dir_all(&self.root)?;
        // Write aside, fsync, rename: a crash never leaves half a file under the key.
        let tmp = self.root.join(format!(".{key}.tmp"));
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        std::fs::File::open(&self.root)?.sync_all()
    }

    fn get(&self, key: &str) -> std::io::Result<Vec<u8>> {
        std::fs::read(self.path(key)?)
    }

    fn delete(&self, key: &str) -> std::io::Result<()> {
        match std::fs::remove_file(self.path(key)?) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        }
        std::fs::File::open(&self.root)?.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_keys_cannot_escape() {
        let dir = tempfile::tempdir().unwrap();
        let s = LocalFiles::new(dir.path().join("objects"));
        s.put("abc-1", b"hello").unwrap();
        assert_eq!(s.get("abc-1").unwrap(), b"hello");
        for bad in ["", "../x", "a/b", ".hidden"] {
            assert!(s.put(bad, b"x").is_err(), "{bad}");
        }
        assert!(s.get("missing").is_err());
        s.delete("abc-1").unwrap();
        assert!(s.get("abc-1").is_err());
        // Removing what is not there succeeds; a bad key does not.
        s.delete("abc-1").unwrap();
        assert!(s.delete("../x").is_err());
    }
}
