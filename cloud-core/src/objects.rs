//! Where attachment bytes live (case photos, materials, evidence; face photos and pass
//! thumbnails). The database keeps each file's metadata and sha256 (`attachments`,
//! `face_photos`, `pass_thumbnails`); the bytes go to an [`ObjectStore`]: [`LocalFiles`] under
//! `data_dir/objects` by default, or [`S3Store`] (any S3-compatible store) when
//! `[objects] store = "s3"`. [`open`] picks one from the config.
//!
//! Callers run the trait's blocking methods on `spawn_blocking` threads (a file write and its
//! fsync block; so does waiting for S3).

use std::io::{Error, ErrorKind, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rusty_s3::S3Action as _;

use crate::config::{CloudConfig, ObjectStoreKind, S3Config, S3UrlStyle};

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
        check_key(key)?;
        Ok(self.root.join(key))
    }
}

/// Keys are ids: they cannot name a path outside the store or an S3 sub-resource.
fn check_key(key: &str) -> std::io::Result<()> {
    if key.is_empty() || !key.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-') {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "object keys are ids (A-Z a-z 0-9 -)",
        ));
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("objects.s3.endpoint = {endpoint}: {reason}")]
    Endpoint { endpoint: String, reason: String },
    #[error("objects.s3.bucket = {bucket}: {source}")]
    Check {
        bucket: String,
        #[source]
        source: Error,
    },
}

/// The store the config names; an S3 bucket is checked (HEAD) before the cloud serves.
pub async fn open(cfg: &CloudConfig) -> Result<Arc<dyn ObjectStore>, OpenError> {
    match (cfg.objects.store, &cfg.objects.s3) {
        (ObjectStoreKind::S3, Some(s3)) => {
            let store = S3Store::new(s3, tokio::runtime::Handle::current())?;
            store
                .check_bucket()
                .await
                .map_err(|source| OpenError::Check {
                    bucket: s3.bucket.clone(),
                    source,
                })?;
            tracing::info!(endpoint = %s3.endpoint, bucket = %s3.bucket, "object store: S3");
            Ok(Arc::new(store))
        }
        // `parse` refuses store = "s3" without its table.
        _ => Ok(Arc::new(LocalFiles::new(cfg.data_dir.join("objects")))),
    }
}

/// An S3-compatible bucket. Requests are presigned by `rusty-s3` (sans-IO SigV4) and sent with
/// reqwest. A store that answers with an error (`NoSuchBucket`, `AccessDenied`, …) and a store
/// that cannot be reached are told apart in the error text, and a missing key is `NotFound`.
pub struct S3Store {
    bucket: rusty_s3::Bucket,
    creds: rusty_s3::Credentials,
    http: reqwest::Client,
    /// The runtime the blocking trait methods wait on (they run on `spawn_blocking` threads).
    rt: tokio::runtime::Handle,
    timeout: Duration,
}

impl std::fmt::Debug for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Store")
            .field("bucket", &self.bucket.name())
            .field("base_url", &self.bucket.base_url().as_str())
            .finish_non_exhaustive()
    }
}

/// How long a presigned request stays valid: enough for a slow upload to start, short enough
/// that a leaked URL (in a proxy log) is soon useless.
const SIGNED_FOR: Duration = Duration::from_secs(120);

impl S3Store {
    pub fn new(cfg: &S3Config, rt: tokio::runtime::Handle) -> Result<S3Store, OpenError> {
        let bad = |reason: String| OpenError::Endpoint {
            endpoint: cfg.endpoint.clone(),
            reason,
        };
        let endpoint: url::Url = cfg.endpoint.parse().map_err(|e| bad(format!("{e}")))?;
        let style = match cfg.url_style {
            S3UrlStyle::Path => rusty_s3::UrlStyle::Path,
            S3UrlStyle::VirtualHost => rusty_s3::UrlStyle::VirtualHost,
        };
        let bucket = rusty_s3::Bucket::new(endpoint, style, cfg.bucket.clone(), cfg.region.clone())
            .map_err(|e| bad(format!("{e:?}")))?;
        let http = reqwest::Client::builder()
            .build()
            .map_err(|e| bad(e.to_string()))?;
        Ok(S3Store {
            bucket,
            creds: rusty_s3::Credentials::new(
                cfg.access_key_id.clone(),
                cfg.secret_access_key.0.clone(),
            ),
            http,
            rt,
            timeout: Duration::from_secs(cfg.timeout_seconds),
        })
    }

    /// HEAD the bucket: wrong endpoint, bucket or credentials show at start, not at the first
    /// upload.
    pub async fn check_bucket(&self) -> std::io::Result<()> {
        let url = self.bucket.head_bucket(Some(&self.creds)).sign(SIGNED_FOR);
        self.send(reqwest::Method::HEAD, url, None, "")
            .await
            .map(|_| ())
    }

    async fn send(
        &self,
        method: reqwest::Method,
        url: url::Url,
        body: Option<Vec<u8>>,
        key: &str,
    ) -> std::io::Result<Vec<u8>> {
        let mut req = self.http.request(method, url).timeout(self.timeout);
        if let Some(b) = body {
            req = req.body(b);
        }
        let unreachable = |e| Error::other(format!("object store unreachable: {}", describe(e)));
        let resp = req.send().await.map_err(unreachable)?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(unreachable)?;
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        let code = s3_error_code(&bytes).unwrap_or_default();
        if status == reqwest::StatusCode::NOT_FOUND && code != "NoSuchBucket" && !key.is_empty() {
            return Err(Error::new(ErrorKind::NotFound, format!("no object {key}")));
        }
        let kind = match status.as_u16() {
            403 => ErrorKind::PermissionDenied,
            404 => ErrorKind::NotFound,
            _ => ErrorKind::Other,
        };
        Err(Error::new(
            kind,
            format!(
                "object store answered {}{}",
                status.as_u16(),
                if code.is_empty() {
                    String::new()
                } else {
                    format!(" {code}")
                }
            ),
        ))
    }
}

/// reqwest's errors print the URL, and a presigned URL carries a signature: keep it out of logs,
/// but keep the causes (connection refused, timed out).
fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        text.push_str(": ");
        text.push_str(&s.to_string());
        src = s.source();
    }
    text
}

/// `<Code>…</Code>` of an S3 error document.
fn s3_error_code(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("<Code>")? + "<Code>".len();
    let len = text[start..].find("</Code>")?;
    let code = &text[start..start + len];
    (code.len() <= 64 && code.bytes().all(|c| c.is_ascii_alphanumeric())).then(|| code.to_string())
}

impl ObjectStore for S3Store {
    fn put(&self, key: &str, bytes: &[u8]) -> std::io::Result<()> {
        check_key(key)?;
        let url = self
            .bucket
            .put_object(Some(&self.creds), key)
            .sign(SIGNED_FOR);
        // S3 answers a PUT once the object is stored durably.
        self.rt
            .block_on(self.send(reqwest::Method::PUT, url, Some(bytes.to_vec()), key))
            .map(|_| ())
    }

    fn get(&self, key: &str) -> std::io::Result<Vec<u8>> {
        check_key(key)?;
        let url = self
            .bucket
            .get_object(Some(&self.creds), key)
            .sign(SIGNED_FOR);
        self.rt
            .block_on(self.send(reqwest::Method::GET, url, None, key))
    }

    fn delete(&self, key: &str) -> std::io::Result<()> {
        check_key(key)?;
        let url = self
            .bucket
            .delete_object(Some(&self.creds), key)
            .sign(SIGNED_FOR);
        // S3 answers 204 for a key that is not there, as the trait wants.
        self.rt
            .block_on(self.send(reqwest::Method::DELETE, url, None, key))
            .map(|_| ())
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
    fn s3_error_codes_are_read_and_bounded() {
        let doc =
            b"<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>x</Message></Error>";
        assert_eq!(s3_error_code(doc).as_deref(), Some("NoSuchBucket"));
        assert_eq!(s3_error_code(b"<Code><script></Code>"), None);
        assert_eq!(s3_error_code(b"not xml"), None);
        assert_eq!(s3_error_code(&[0xff, 0xfe]), None);
    }

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
