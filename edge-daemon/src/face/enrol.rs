//! Face enrolment on the box: makes the store's face templates match the photos the cloud lists
//! (`face_wanted`, written with each directory delta), and the face keeper's gallery match the
//! store. It fetches a new photo from the cloud, checks its SHA-256, has the face keeper turn it
//! into a template or a list of reasons, seals the template with the key from
//! `face.template_key_file`, stores it only if the photo is still wanted, and queues a
//! `FaceEnrolment` record so face review in the cloud shows the outcome.
//!
//! Deletion does not wait for this task: a delta that drops a photo (consent withdrawn, photo
//! removed, person moved out) deletes the template in the same transaction as its cursor; this
//! task then only tells the gallery. One task, one writer of face entries.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use tokio::sync::{watch, Notify};
use uuid::Uuid;

use crate::face::keeper::FaceHandle;
use crate::store::faces::FaceEntryV1;
use crate::store::records::{FaceEnrolmentRecordV1, OutboxItemV1};
use crate::store::writer::StoreWriter;
use crate::store::Store;

/// Fetches a photo's bytes by id (the cloud link's signed `GET /v1/edge/face-photos/{id}`).
pub type PhotoFetcher = Arc<
    dyn Fn(String) -> Pin<Box<dyn Future<Output = Result<Vec<u8>, String>> + Send>> + Send + Sync,
>;

/// The key that seals templates at rest.
#[derive(Clone)]
pub struct TemplateKey(Arc<XChaCha20Poly1305>);

impl std::fmt::Debug for TemplateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TemplateKey(..)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("face.template_key_file = {path}: {reason}")]
    File { path: String, reason: String },
}

impl TemplateKey {
    /// Reads the 32-byte key, or creates it (mode 0600, parent folders too) if the file does
    /// not exist. A file of another length is refused: guessing would make every stored
    /// template unreadable.
    pub fn load_or_create(path: &Path) -> Result<TemplateKey, KeyError> {
        let err = |reason: String| KeyError::File {
            path: path.display().to_string(),
            reason,
        };
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
                }
                let key: [u8; 32] = rand::random();
                crate::files::write_new(path, &key, crate::files::Readers::Owner)
                    .map_err(|e| err(format!("cannot create: {e}")))?;
                tracing::info!(path = %path.display(), "created the face template key");
                key.to_vec()
            }
            Err(e) => return Err(err(format!("cannot read: {e}"))),
        };
        let key: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| err(format!("is {} bytes, must be exactly 32", bytes.len())))?;
        Ok(TemplateKey(Arc::new(XChaCha20Poly1305::new(&key.into()))))
    }

    fn aad(person: &str, photo: &str, model: &str) -> Vec<u8> {
        format!("face-template-v1\0{person}\0{photo}\0{model}").into_bytes()
    }

    /// Seals a template; returns (nonce, ciphertext), both base64.
    pub fn seal(&self, person: &str, photo: &str, model: &str, t: &[f32]) -> (String, String) {
        let nonce: [u8; 24] = rand::random();
        let plain: Vec<u8> = t.iter().flat_map(|v| v.to_le_bytes()).collect();
        let aad = Self::aad(person, photo, model);
        // Encryption of an in-memory buffer cannot fail for this AEAD.
        let sealed = self
            .0
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: &aad,
                },
            )
            .unwrap_or_default();
        let b64 = base64::engine::general_purpose::STANDARD;
        (b64.encode(nonce), b64.encode(sealed))
    }

    /// Opens a stored template; `None` if it was tampered with, moved to another person or
    /// photo, or sealed with another key.
    pub fn open(&self, e: &FaceEntryV1) -> Option<Vec<f32>> {
        let b64 = base64::engine::general_purpose::STANDARD;
        let nonce = b64.decode(&e.nonce).ok()?;
        if nonce.len() != 24 {
            return None;
        }
        let sealed = b64.decode(&e.sealed).ok()?;
        let aad = Self::aad(&e.person_id, &e.photo_id, &e.model);
        let plain = self
            .0
            .decrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &sealed,
                    aad: &aad,
                },
            )
            .ok()?;
        if plain.len() % 4 != 0 {
            return None;
        }
        Some(
            plain
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        )
    }
}

/// Wakes the enroller (after a delta was stored).
#[derive(Clone, Debug, Default)]
pub struct EnrolKick(Arc<Notify>);

impl EnrolKick {
    pub fn kick(&self) {
        self.0.notify_one();
    }
}

pub struct Enroller {
    pub store: Store,
    pub writer: StoreWriter,
    pub face: FaceHandle,
    pub key: TemplateKey,
    /// None without a cloud link: stored templates are still loaded, nothing new is fetched.
    pub fetch: Option<PhotoFetcher>,
    pub kick: EnrolKick,
    /// Photos whose fetch failed, and when to try again (ms since start).
    retry_after: HashMap<String, u64>,
    /// What the gallery holds, per person: the photo ids loaded.
    loaded: HashMap<String, BTreeSet<String>>,
    started: std::time::Instant,
}

impl Enroller {
    pub fn new(
        store: Store,
        writer: StoreWriter,
        face: FaceHandle,
        key: TemplateKey,
        fetch: Option<PhotoFetcher>,
        kick: EnrolKick,
    ) -> Enroller {
        Enroller {
            store,
            writer,
            face,
            key,
            fetch,
            kick,
            retry_after: HashMap::new(),
            loaded: HashMap::new(),
            started: std::time::Instant::now(),
        }
    }

    pub async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let mut last_prune: Option<std::time::Instant> = None;
        loop {
            if let Err(e) = self.reconcile().await {
                tracing::error!(error = %e, "face enrolment round failed");
            }
            if last_prune.is_none_or(|t| t.elapsed() >= Duration::from_secs(3600)) {
                last_prune = Some(std::time::Instant::now());
                self.prune_thumbnails(crate::os_clock::wall_ms());
            }
            tokio::select! {
                _ = self.kick.0.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(30)) => {}
                _ = stop.changed() => return,
            }
        }
    }

    /// Deletes pass-log thumbnails older than the community's retention period.
    pub fn prune_thumbnails(&self, now_ms: i64) {
        let days = match self.store.box_settings() {
            Ok(s) => s.face_thumbnail_retention_days,
            Err(e) => {
                tracing::error!(error = %e, "settings unreadable; thumbnails not pruned");
                return;
            }
        };
        let before = now_ms - i64::from(days) * 86_400_000;
        match self.store.prune_thumbnails(before) {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                thumbnails = n,
                retention_days = days,
                "old face thumbnails deleted"
            ),
            Err(e) => tracing::error!(error = %e, "face thumbnails not pruned"),
        }
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// One round: forget what is no longer wanted, enrol what is new, update the gallery.
    pub async fn reconcile(&mut self) -> Result<(), crate::store::StoreError> {
        let pruned = self.store.prune_unwanted_faces()?;
        if !pruned.is_empty() {
            tracing::info!(people = pruned.len(), "face templates deleted");
        }
        let wanted = self.store.face_wanted()?;
        let have = self.store.face_entries()?;
        let model = self.face.model.to_string();
        let done: HashSet<(&str, &str, &str)> = have
            .iter()
            .filter(|e| e.model == model)
            .map(|e| (e.person_id.as_str(), e.photo_id.as_str(), e.sha256.as_str()))
            .collect();
        let mut todo = Vec::new();
        for (person, photos) in &wanted {
            for p in photos {
                if done.contains(&(person.as_str(), p.id.as_str(), p.sha256.as_str())) {
                    continue;
                }
                if self
                    .retry_after
                    .get(&p.id)
                    .is_some_and(|t| *t > self.now_ms())
                {
                    continue;
                }
                todo.push((person.clone(), p.id.clone(), p.sha256.clone()));
            }
        }
        drop(done);
        for (person, photo, sha256) in &todo {
            self.enrol_one(person, photo, sha256, &model).await?;
        }
        // The first read still holds when nothing was enrolled (the common idle round).
        let entries = if todo.is_empty() {
            have
        } else {
            self.store.face_entries()?
        };
        self.sync_gallery(entries).await
    }

    async fn enrol_one(
        &mut self,
        person: &str,
        photo: &str,
        sha256: &str,
        model: &str,
    ) -> Result<(), crate::store::StoreError> {
        let Some(fetch) = &self.fetch else {
            return Ok(());
        };
        let started = std::time::Instant::now();
        let bytes = match fetch(photo.to_string()).await {
            Ok(b) => b,
            Err(e) => {
                // Transient (link down, cloud busy): try again later, report nothing.
                tracing::warn!(photo, error = %e, "face photo fetch failed; retrying later");
                self.retry_after
                    .insert(photo.to_string(), self.now_ms() + 30_000);
                return Ok(());
            }
        };
        self.retry_after.remove(photo);
        let got = edge_sync::directory::sha256_hex(&bytes);
        let outcome = if got != sha256 {
            Err(vec!["photo_mismatch".to_string()])
        } else {
            match self.face.enrol(bytes).await {
                Ok(o) => o,
                Err(e) => {
                    tracing::error!(photo, error = %e, "face enrolment failed");
                    self.retry_after
                        .insert(photo.to_string(), self.now_ms() + 60_000);
                    return Ok(());
                }
            }
        };
        let (accepted, reasons, nonce, sealed) = match &outcome {
            Ok(t) => {
                let (n, s) = self.key.seal(person, photo, model, t);
                (true, Vec::new(), n, s)
            }
            Err(r) => (false, r.clone(), String::new(), String::new()),
        };
        let entry = FaceEntryV1 {
            v: 1,
            person_id: person.to_string(),
            photo_id: photo.to_string(),
            sha256: sha256.to_string(),
            model: model.to_string(),
            accepted,
            reasons: reasons.clone(),
            nonce,
            sealed,
        };
        if !self.store.put_face_entry_if_wanted(&entry)? {
            tracing::info!(
                photo,
                "face photo withdrawn while it was enrolled; discarded"
            );
            return Ok(());
        }
        tracing::info!(
            photo,
            accepted,
            reasons = ?reasons,
            duration_ms = started.elapsed().as_millis() as u64,
            "face photo enrolled"
        );
        let rec = FaceEnrolmentRecordV1 {
            v: 1,
            id: Uuid::now_v7(),
            at_ms: crate::os_clock::wall_ms(),
            person_id: person.to_string(),
            photo_id: photo.to_string(),
            accepted,
            reasons,
        };
        self.writer.append(OutboxItemV1::FaceEnrolment(rec)).await?;
        Ok(())
    }

    /// Sends the face keeper every person whose set of accepted templates changed.
    async fn sync_gallery(
        &mut self,
        entries: Vec<FaceEntryV1>,
    ) -> Result<(), crate::store::StoreError> {
        let model = self.face.model.to_string();
        let mut now: HashMap<String, Vec<FaceEntryV1>> = HashMap::new();
        for e in entries {
            if e.accepted && e.model == model {
                now.entry(e.person_id.clone()).or_default().push(e);
            }
        }
        let mut people: BTreeSet<String> = self.loaded.keys().cloned().collect();
        people.extend(now.keys().cloned());
        for person in people {
            let entries = now.remove(&person).unwrap_or_default();
            let ids: BTreeSet<String> = entries.iter().map(|e| e.photo_id.clone()).collect();
            if self.loaded.get(&person) == Some(&ids) {
                continue;
            }
            let mut templates = Vec::with_capacity(entries.len());
            for e in &entries {
                match self.key.open(e) {
                    Some(t) => templates.push(t),
                    None => tracing::error!(
                        photo = %e.photo_id,
                        "a stored face template does not open with face.template_key_file (wrong key or tampered); skipped"
                    ),
                }
            }
            if !self.face.set_person(person.clone(), templates).await {
                return Ok(());
            }
            if ids.is_empty() {
                self.loaded.remove(&person);
            } else {
                self.loaded.insert(person, ids);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key: &TemplateKey, person: &str, photo: &str, t: &[f32]) -> FaceEntryV1 {
        let (nonce, sealed) = key.seal(person, photo, "m:1", t);
        FaceEntryV1 {
            v: 1,
            person_id: person.into(),
            photo_id: photo.into(),
            sha256: "0".repeat(64),
            model: "m:1".into(),
            accepted: true,
            reasons: vec![],
            nonce,
            sealed,
        }
    }

    #[test]
    fn templates_open_only_with_their_key_person_and_photo() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/face.key");
        let key = TemplateKey::load_or_create(&path).unwrap();
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let t = vec![0.25f32, -1.5, 3.0];
        let e = entry(&key, "p1", "ph1", &t);
        assert_eq!(key.open(&e), Some(t.clone()));
        // The ciphertext is not the template's bytes.
        let plain: Vec<u8> = t.iter().flat_map(|v| v.to_le_bytes()).collect();
        let sealed = base64::engine::general_purpose::STANDARD
            .decode(&e.sealed)
            .unwrap();
        assert!(!sealed.windows(plain.len()).any(|w| w == plain.as_slice()));
        // Same key file again: still opens.
        let again = TemplateKey::load_or_create(&path).unwrap();
        assert_eq!(again.open(&e), Some(t.clone()));
        // Moved to another person, or another key: refused.
        let mut moved = e.clone();
        moved.person_id = "p2".into();
        assert_eq!(key.open(&moved), None);
        let other = TemplateKey::load_or_create(&dir.path().join("other.key")).unwrap();
        assert_eq!(other.open(&e), None);
        // Tampered ciphertext: refused.
        let mut bad = e.clone();
        bad.sealed = base64::engine::general_purpose::STANDARD.encode([0u8; 28]);
        assert_eq!(key.open(&bad), None);
    }

    #[test]
    fn a_key_file_of_the_wrong_length_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("face.key");
        std::fs::write(&path, b"short").unwrap();
        let e = TemplateKey::load_or_create(&path).unwrap_err().to_string();
        assert!(
            e.contains("face.template_key_file") && e.contains("exactly 32"),
            "{e}"
        );
    }
}
