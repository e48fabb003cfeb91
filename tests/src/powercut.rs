//! The power-cut simulation: `tests/powercut/powercut.c` (an LD_PRELOAD shim) journals, for
//! every write to a file under a folder, what it overwrote, and marks every fsync/fdatasync;
//! [`cut_power`] then undoes, file by file and newest first, every write made after that file's
//! last fsync — the files as a power cut leaves them when the disk kept nothing unsynced.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};

/// Compile the shim into `out` (gcc, as on every machine here); panics loudly if it cannot.
pub fn build_shim(out: &Path) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("powercut/powercut.c");
    let so = out.join("powercut.so");
    let made = std::process::Command::new("cc")
        .args(["-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-o"])
        .arg(&so)
        .arg(&src)
        .args(["-ldl", "-lpthread"])
        .output()
        .expect("run cc (gcc) to build the power-cut shim");
    assert!(
        made.status.success(),
        "cannot build {}: {}",
        src.display(),
        String::from_utf8_lossy(&made.stderr)
    );
    so
}

/// What a cut took away.
#[derive(Debug, Default, Clone, Copy)]
pub struct Cut {
    /// Writes made after their file's last fsync, undone.
    pub writes_undone: usize,
    /// Bytes the files lost in length.
    pub bytes_truncated: u64,
    /// Files with at least one write undone.
    pub files: usize,
}

struct Rec {
    kind: u8,
    offset: u64,
    old_size: u64,
    old: Vec<u8>,
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// Undo every write journalled after its file's last sync, then empty the journal. A record cut
/// short by the kill (the shim writes the record before the write it describes) is ignored.
pub fn cut_power(journal: &Path) -> std::io::Result<Cut> {
    let mut bytes = Vec::new();
    match std::fs::File::open(journal) {
        Ok(mut f) => {
            f.read_to_end(&mut bytes)?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Cut::default()),
        Err(e) => return Err(e),
    }
    let mut per_file: BTreeMap<String, Vec<Rec>> = BTreeMap::new();
    let mut at = 0;
    while at + 7 <= bytes.len() {
        assert_eq!(
            &bytes[at..at + 4],
            b"PCUT",
            "journal out of step at byte {at}"
        );
        let kind = bytes[at + 4];
        let plen = u16::from_le_bytes([bytes[at + 5], bytes[at + 6]]) as usize;
        let head = at + 7 + plen + 24;
        if head > bytes.len() {
            break;
        }
        let path = String::from_utf8_lossy(&bytes[at + 7..at + 7 + plen]).into_owned();
        let offset = u64_at(&bytes, at + 7 + plen);
        let old_size = u64_at(&bytes, at + 7 + plen + 8);
        let old_len = u64_at(&bytes, at + 7 + plen + 16) as usize;
        if head + old_len > bytes.len() {
            break;
        }
        let old = bytes[head..head + old_len].to_vec();
        at = head + old_len;
        let recs = per_file.entry(path).or_default();
        if kind == 2 {
            recs.clear(); // everything before a sync is durable
        } else {
            recs.push(Rec {
                kind,
                offset,
                old_size,
                old,
            });
        }
    }
    let mut cut = Cut::default();
    for (path, recs) in per_file {
        if recs.is_empty() {
            continue;
        }
        let f = match std::fs::OpenOptions::new().write(true).open(&path) {
            Ok(f) => f,
            // Removed since (a snapshot replaced): nothing of it to keep or drop.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let before = f.metadata()?.len();
        for r in recs.iter().rev() {
            debug_assert_eq!(r.kind, 1);
            if !r.old.is_empty() {
                f.write_all_at(&r.old, r.offset)?;
            }
            f.set_len(r.old_size)?;
        }
        f.sync_all()?;
        let after = f.metadata()?.len();
        cut.writes_undone += recs.len();
        cut.bytes_truncated += before.saturating_sub(after);
        cut.files += 1;
    }
    std::fs::write(journal, b"")?;
    Ok(cut)
}
