//! Accounts' secrets: argon2id password hashes (computed only on the hashing threads),
//! opaque session tokens (only their SHA-256 is stored), provisioning codes. The login
//! throttle is pure and lives in `cloud-rules` (`throttle`); it is re-exported here.

use argon2::password_hash::{self, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine as _;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
fn argon() -> Argon2<'static> {
    // The constants are valid parameters; `Params::new` cannot fail for them.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

thread_local! {
    /// The argon2 working memory of this thread, allocated once and reused by every hash, so
    /// the process keeps one 19 MiB buffer per hashing thread instead of whatever the allocator
    /// keeps of one fresh buffer per hash.
    static BLOCKS: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The raw hash of `password` with `argon` and the (decoded) salt, into `out`, in this thread's
/// reused working memory.
fn argon_into(argon: &Argon2, password: &[u8], salt: &[u8], out: &mut [u8]) -> argon2::Result<()> {
    BLOCKS.with(|b| {
        let mut blocks = b.borrow_mut();
        let need = argon.params().block_count();
        if blocks.len() < need {
            blocks.resize(need, argon2::Block::default());
        }
        argon.hash_password_into_with_memory(password, salt, out, &mut blocks[..need])
    })
}

/// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) of `password`.
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let argon = argon();
    let mut salt_bytes = [0u8; 64];
    let salt_raw = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(|e| e.to_string())?;
    let len = argon
        .params()
        .output_len()
        .unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let output = password_hash::Output::init_with(len, |out| {
        argon_into(&argon, password.as_bytes(), salt_raw, out)
            .map_err(|_| password_hash::Error::Password)
    })
    .map_err(|e| e.to_string())?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: password_hash::ParamsString::try_from(argon.params()).map_err(|e| e.to_string())?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// Does `password` match the stored PHC string? (Parameters are read from the string, so
/// hashes made with other costs still verify; the comparison is constant-time.)
pub fn verify_password(password: &str, stored: &str) -> bool {
    let Ok(h) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(expected), Some(salt)) = (h.hash, h.salt) else {
        return false;
    };
    let (Ok(alg), Ok(params)) = (Algorithm::try_from(h.algorithm), Params::try_from(&h)) else {
        return false;
    };
    let version = h
        .version
        .and_then(|v| Version::try_from(v).ok())
        .unwrap_or_default();
    let argon = Argon2::new(alg, version, params);
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_raw) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    password_hash::Output::init_with(expected.len(), |out| {
        argon_into(&argon, password.as_bytes(), salt_raw, out)
            .map_err(|_| password_hash::Error::Password)
    })
    .is_ok_and(|got| got == expected)
}

/// Password hashes are computed by this many dedicated threads, and only there: a burst of
/// sign-ups or logins queues for them instead of growing memory. Each hash takes 19 MiB, and
/// the allocator keeps a freed block in the arena of the thread that used it, so the number of
/// threads that ever hash — not the number of hashes at once — bounds what the process keeps
/// (measured: 40 sign-ups through tokio's blocking pool left 720 MB resident), together with
/// the buffer each thread reuses (`BLOCKS`).
pub const HASH_THREADS: usize = 2;

type HashJob = Box<dyn FnOnce() + Send>;

/// The queue of the owner of password hashing: [`HASH_THREADS`] OS threads, started on first
/// use, take jobs from it.
fn hash_queue() -> &'static std::sync::mpsc::Sender<HashJob> {
    static QUEUE: std::sync::OnceLock<std::sync::mpsc::Sender<HashJob>> =
        std::sync::OnceLock::new();
    QUEUE.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<HashJob>();
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        for i in 0..HASH_THREADS {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("password-hash-{i}"))
                .spawn(move || loop {
                    // The lock is held only while waiting for the next job, not while hashing.
                    let job = match rx.lock() {
                        Ok(r) => r.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a password hashing thread");
            }
        }
        tx
    })
}

/// Run `f` on a hashing thread and await its answer.
async fn on_hasher<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: HashJob = Box::new(move || {
        let _ = tx.send(f());
    });
    hash_queue().send(job).ok()?;
    rx.await.ok()
}

/// [`hash_password`] on the hashing threads.
pub async fn hash_password_bounded(password: String) -> Result<String, String> {
    on_hasher(move || hash_password(&password))
        .await
        .unwrap_or_else(|| Err("password hashing is unavailable".into()))
}

/// [`verify_password`] on the hashing threads.
pub async fn verify_password_bounded(password: String, stored: String) -> bool {
    on_hasher(move || verify_password(&password, &stored))
        .await
        .unwrap_or(false)
}

/// A hash to verify against when the user does not exist, so a login for an unknown name costs
/// the same time as one for a known name.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not-a-real-password").unwrap_or_default())
}

/// Password rules: 10–128 characters.
pub fn check_password_rules(password: &str) -> Result<(), &'static str> {
    let n = password.chars().count();
    if n < 10 {
        return Err("must be at least 10 characters");
    }
    if n > 128 {
        return Err("must be at most 128 characters");
    }
    Ok(())
}

/// A new session token (256 random bits, URL-safe base64) and the hash that is stored.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = B64URL.encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

/// The console's session cookie: the session token, unreadable by page scripts (`HttpOnly`),
/// never sent by another site's page (`SameSite=Strict`).
pub const SESSION_COOKIE: &str = "cc_session";

/// The header a cookie-authenticated write must carry, holding [`csrf_token`].
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The CSRF token of a session: derived from its secret token, so it needs no storage and dies
/// with the session. The console reads it from the login answer (the cookie itself it cannot
/// read), keeps it in memory and sends it with every write; another site's page can neither
/// read it nor make the browser add it.
pub fn csrf_token(session_token: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"csrf\0");
    h.update(session_token.trim().as_bytes());
    B64URL.encode(h.finalize())
}

/// Does `given` match `expected`? In time that does not depend on where they differ.
pub fn same_secret(given: &str, expected: &str) -> bool {
    let (a, b) = (
        Sha256::digest(given.as_bytes()),
        Sha256::digest(expected.as_bytes()),
    );
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// The `Set-Cookie` value that opens a console session for `max_age_s` seconds.
pub fn session_cookie(token: &str, max_age_s: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={token}; Path=/; Max-Age={max_age_s}; HttpOnly; SameSite=Strict{secure}"
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn expired_session_cookie(secure: bool) -> String {
    session_cookie("", 0, secure)
}

/// The session token a request presents, and how.
pub enum Presented {
    Bearer(String),
    Cookie(String),
    /// An `Authorization` header that is not `Bearer TOKEN`.
    Malformed,
}

/// The request's session token, if any: `Authorization: Bearer` wins over the console's cookie.
pub fn presented_token(headers: &axum::http::HeaderMap) -> Option<Presented> {
    match headers.get(axum::http::header::AUTHORIZATION) {
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map_or(Presented::Malformed, |t| {
                    Presented::Bearer(t.trim().to_string())
                }),
        ),
        None => session_from_cookies(headers).map(Presented::Cookie),
    }
}

/// The session cookie's value among the request's `Cookie` headers.
fn session_from_cookies(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == SESSION_COOKIE && !value.is_empty())
        .map(|(_, value)| value.to_string())
}

pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// A one-time provisioning code: 10 characters from an alphabet without look-alikes (≈50 bits).
pub fn new_provision_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 10];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let s: String = bytes
        .iter()
        .map(|b| ALPHABET[(*b as usize) % ALPHABET.len()] as char)
        .collect();
    format!("{}-{}", &s[..5], &s[5..])
}

/// Normalise a code as typed (case, spaces, dashes) before hashing.
pub fn provision_code_hash(code: &str) -> String {
    let norm: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    token_hash(&norm)
}

pub use cloud_rules::throttle::{KeyState, LoginKeys, Throttle, ThrottleVerdict, TRUST_MS};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse battery!", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn hashes_agree_with_the_argon2_crates_own_hasher_both_ways() {
        use argon2::{PasswordHasher, PasswordVerifier};
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let theirs = argon()
            .hash_password(b"correct horse battery", &salt)
            .unwrap()
            .to_string();
        assert!(verify_password("correct horse battery", &theirs));
        assert!(!verify_password("correct horse batterx", &theirs));
        let ours = hash_password("correct horse battery").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(argon()
            .verify_password(b"correct horse battery", &parsed)
            .is_ok());
        // Other costs (read from the string) verify too.
        let cheap = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8 * 1024, 1, 1, None).unwrap(),
        )
        .hash_password(b"pw-pw-pw-pw", &salt)
        .unwrap()
        .to_string();
        assert!(verify_password("pw-pw-pw-pw", &cheap));
    }

    #[test]
    fn tokens_are_256_bits_and_only_hashes_are_kept() {
        let (t, h) = new_token();
        assert_eq!(t.len(), 43);
        assert_eq!(h, token_hash(&t));
        assert_ne!(t, h);
        assert_ne!(new_token().0, t);
    }

    #[test]
    fn codes_normalise_before_hashing() {
        let c = new_provision_code();
        assert_eq!(c.len(), 11);
        assert_eq!(
            provision_code_hash(&c),
            provision_code_hash(&c.to_lowercase().replace('-', " "))
        );
    }
}
