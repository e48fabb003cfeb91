//! Face data on the box: the photos the cloud wants enrolled, per person (`face_wanted_v1`,
//! written with each directory delta), the enrolment outcomes with their sealed templates
//! (`face_templates_v1`), and the pass log's face thumbnails (`face_thumbnails_v1`).

use uuid::Uuid;

use super::records::StoredFacePhotoV1;
use super::{decode, encode, Store, StoreError, T_FACES, T_FACE_WANTED};

/// One face photo's outcome on this box. `sealed` is the template encrypted with the key in
/// `face.template_key_file` (XChaCha20-Poly1305, the key as AAD-bound to person and photo);
/// empty for a refusal. `model` names the embedder, so a model change re-enrols.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FaceEntryV1 {
    pub v: u32,
    pub person_id: String,
    pub photo_id: String,
    pub sha256: String,
    pub model: String,
    pub accepted: bool,
    pub reasons: Vec<String>,
    /// base64 nonce and ciphertext.
    pub nonce: String,
    pub sealed: String,
}

fn face_key(person: &str, photo: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(person.len() + photo.len() + 1);
    k.extend_from_slice(person.as_bytes());
    k.push(0);
    k.extend_from_slice(photo.as_bytes());
    k
}

pub(super) fn face_prefix(person: &str) -> Vec<u8> {
    let mut k = person.as_bytes().to_vec();
    k.push(0);
    k
}

impl Store {
    // ---- faces -----------------------------------------------------------------------------

    /// Every person's wanted face photos.
    pub fn face_wanted(&self) -> Result<Vec<(String, Vec<StoredFacePhotoV1>)>, StoreError> {
        self.face_wanted
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                Ok((
                    String::from_utf8_lossy(&k).into_owned(),
                    decode(T_FACE_WANTED, &k, &v)?,
                ))
            })
            .collect()
    }

    /// Every stored face outcome (templates still sealed).
    pub fn face_entries(&self) -> Result<Vec<FaceEntryV1>, StoreError> {
        self.faces
            .iter()
            .map(|kv| {
                let (k, v) = kv?;
                decode(T_FACES, &k, &v)
            })
            .collect()
    }

    /// Stores an outcome only if the cloud still wants that photo (same id and hash), in one
    /// transaction with the wanted list: a removal that committed first wins. Flushed.
    pub fn put_face_entry_if_wanted(&self, e: &FaceEntryV1) -> Result<bool, StoreError> {
        use sled::Transactional;
        let key = face_key(&e.person_id, &e.photo_id);
        let value = encode(e);
        let stored = (&self.faces, &self.face_wanted)
            .transaction(|(tf, tw)| {
                let still = tw
                    .get(e.person_id.as_bytes())?
                    .and_then(|v| serde_json::from_slice::<Vec<StoredFacePhotoV1>>(&v).ok())
                    .is_some_and(|ps| {
                        ps.iter()
                            .any(|p| p.id == e.photo_id && p.sha256 == e.sha256)
                    });
                if still {
                    tf.insert(key.as_slice(), value.as_slice())?;
                }
                Ok::<bool, sled::transaction::ConflictableTransactionError<()>>(still)
            })
            .map_err(|err| StoreError::Commit(format!("face template: {err:?}")))?;
        self.flush()?;
        Ok(stored)
    }

    /// Deletes outcomes whose photo is no longer wanted; returns the persons touched.
    pub fn prune_unwanted_faces(&self) -> Result<Vec<String>, StoreError> {
        let wanted = self.face_wanted()?;
        let mut touched = Vec::new();
        for e in self.face_entries()? {
            let keep = wanted.iter().any(|(p, ps)| {
                *p == e.person_id
                    && ps
                        .iter()
                        .any(|w| w.id == e.photo_id && w.sha256 == e.sha256)
            });
            if !keep {
                self.faces.remove(face_key(&e.person_id, &e.photo_id))?;
                touched.push(e.person_id);
            }
        }
        if !touched.is_empty() {
            self.flush()?;
        }
        touched.dedup();
        Ok(touched)
    }

    // ---- pass-log thumbnails ---------------------------------------------------------------

    pub fn put_thumbnail(&self, record: Uuid, at_ms: i64, jpeg: &[u8]) -> Result<(), StoreError> {
        let mut v = Vec::with_capacity(8 + jpeg.len());
        v.extend_from_slice(&at_ms.to_be_bytes());
        v.extend_from_slice(jpeg);
        self.thumbs.insert(record.as_bytes(), v)?;
        Ok(())
    }

    pub fn thumbnail(&self, record: Uuid) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .thumbs
            .get(record.as_bytes())?
            .filter(|v| v.len() > 8)
            .map(|v| v[8..].to_vec()))
    }

    /// Deletes thumbnails taken before `before_ms`; returns how many.
    pub fn prune_thumbnails(&self, before_ms: i64) -> Result<usize, StoreError> {
        let mut n = 0;
        for kv in self.thumbs.iter() {
            let (k, v) = kv?;
            let at = v
                .get(..8)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map_or(i64::MIN, i64::from_be_bytes);
            if at < before_ms {
                self.thumbs.remove(k)?;
                n += 1;
            }
        }
        if n > 0 {
            self.flush()?;
        }
        Ok(n)
    }
}
