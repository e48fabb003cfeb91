//! Accounts' secrets: argon2id password hashes, opaque session tokens (only their SHA-256 is
//! stored) and the login throttle. The throttle is sans-IO: it takes `now_ms` and answers.

use std::collections::HashMap;

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

/// The owner of password hashing: [`HASH_THREADS`] OS threads fed by one queue.
struct Hasher {
    queue: std::sync::Mutex<std::sync::mpsc::Sender<HashJob>>,
}

fn hasher() -> &'static Hasher {
    static HASHER: std::sync::OnceLock<Hasher> = std::sync::OnceLock::new();
    HASHER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<HashJob>();
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        for i in 0..HASH_THREADS {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("password-hash-{i}"))
                .spawn(move || loop {
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
        Hasher {
            queue: std::sync::Mutex::new(tx),
        }
    })
}

/// Run `f` on a hashing thread and await its answer.
async fn on_hasher<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: HashJob = Box::new(move || {
        let _ = tx.send(f());
    });
    hasher()
        .queue
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .send(job)
        .ok()?;
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

/// Attempt counter: after `max_failures` counted attempts for one key within `window_ms`,
/// further attempts are refused until the window since the first one has passed. Keys are
/// chosen by the caller (see [`LoginKeys`]). It also remembers *trusted* keys (a user name
/// together with an address it signed in from), which the name-wide limit does not apply to.
/// Sans-IO.
#[derive(Debug)]
pub struct Throttle {
    max_failures: u32,
    window_ms: i64,
    entries: HashMap<String, (i64, u32)>,
    trusted: HashMap<String, i64>,
}

/// How long a successful sign-in from an address keeps that address trusted for the name.
pub const TRUST_MS: i64 = 30 * 86_400_000;

/// The keys one login attempt counts against, and their limits (see [`Throttle`]).
///
/// - the name *from this address* (`max`): an attacker guessing one name is stopped without
///   locking the name's owner, who signs in from elsewhere;
/// - the address (`4 × max`, failures only): one address guessing many names;
/// - the name from any address (`10 × max`), except from an address the name signed in from
///   before: a distributed guess at one name slows down without locking out its owner.
pub struct LoginKeys {
    pub pair: String,
    pub address: String,
    pub name: String,
}

impl LoginKeys {
    pub fn new(username: &str, address: &str) -> LoginKeys {
        let name = username.trim().to_lowercase();
        LoginKeys {
            pair: format!("login:{name}@{address}"),
            address: format!("login-ip:{address}"),
            name: format!("login-user:{name}"),
        }
    }

    /// Refused, and for how long, if any of the limits is reached.
    pub fn check(&self, t: &Throttle, now_ms: i64) -> ThrottleVerdict {
        let max = t.max_failures;
        let mut checks = vec![(&self.pair, max), (&self.address, max.saturating_mul(4))];
        if !t.is_trusted(&self.pair, now_ms) {
            checks.push((&self.name, max.saturating_mul(10)));
        }
        checks
            .into_iter()
            .map(|(k, limit)| t.check_limit(k, now_ms, limit))
            .max_by_key(|v| match v {
                ThrottleVerdict::Allowed => 0,
                ThrottleVerdict::Refused { retry_after_ms } => *retry_after_ms,
            })
            .unwrap_or(ThrottleVerdict::Allowed)
    }

    /// Count the attempt against the name *before* the slow password check, so parallel
    /// guesses at one name cannot all pass [`LoginKeys::check`]. The address is counted only
    /// when the attempt failed ([`LoginKeys::failed`]): a burst of correct logins from one
    /// office must not fill its address's count while they are in flight.
    pub fn count(&self, t: &mut Throttle, now_ms: i64) {
        t.failure(&self.pair, now_ms);
        t.failure(&self.name, now_ms);
    }

    /// The password was wrong (or the account disabled).
    pub fn failed(&self, t: &mut Throttle, now_ms: i64) {
        t.failure(&self.address, now_ms);
    }

    /// The password was right: the pair's failures are forgotten, this attempt is taken back
    /// from the name (successes never count), and the address is trusted for the name.
    pub fn succeeded(&self, t: &mut Throttle, now_ms: i64) {
        t.success(&self.pair);
        t.forgive(&self.name);
        t.trust(&self.pair, now_ms);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleVerdict {
    Allowed,
    /// Refused; try again after this many ms.
    Refused {
        retry_after_ms: i64,
    },
}

impl Throttle {
    pub fn new(max_failures: u32, window_ms: i64) -> Throttle {
        Throttle {
            max_failures,
            window_ms,
            entries: HashMap::new(),
            trusted: HashMap::new(),
        }
    }

    pub fn check(&self, key: &str, now_ms: i64) -> ThrottleVerdict {
        self.check_limit(key, now_ms, self.max_failures)
    }

    /// As [`Throttle::check`] with another limit (client addresses get a higher one than user
    /// names: many people may share one address behind NAT).
    pub fn check_limit(&self, key: &str, now_ms: i64, limit: u32) -> ThrottleVerdict {
        match self.entries.get(key) {
            Some((since, n)) if *n >= limit && now_ms - since < self.window_ms => {
                ThrottleVerdict::Refused {
                    retry_after_ms: self.window_ms - (now_ms - since),
                }
            }
            _ => ThrottleVerdict::Allowed,
        }
    }

    pub fn failure(&mut self, key: &str, now_ms: i64) {
        let e = self.entries.entry(key.to_string()).or_insert((now_ms, 0));
        // A clock that went back, or an old window: start a new window.
        if now_ms < e.0 || now_ms - e.0 >= self.window_ms {
            *e = (now_ms, 0);
        }
        e.1 += 1;
        if self.entries.len() > 100_000 {
            let window = self.window_ms;
            self.entries
                .retain(|_, (since, _)| now_ms - *since < window);
        }
    }

    pub fn success(&mut self, key: &str) {
        self.entries.remove(key);
    }

    /// Take one counted attempt back (it turned out not to be a failure).
    pub fn forgive(&mut self, key: &str) {
        if let Some(e) = self.entries.get_mut(key) {
            e.1 = e.1.saturating_sub(1);
        }
    }

    pub fn trust(&mut self, key: &str, now_ms: i64) {
        self.trusted.insert(key.to_string(), now_ms);
        if self.trusted.len() > 100_000 {
            self.trusted.retain(|_, at| now_ms - *at < TRUST_MS);
        }
    }

    pub fn is_trusted(&self, key: &str, now_ms: i64) -> bool {
        self.trusted
            .get(key)
            .is_some_and(|at| now_ms >= *at && now_ms - *at < TRUST_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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

    #[test]
    fn throttle_refuses_after_the_limit_and_forgets_after_the_window() {
        let mut t = Throttle::new(3, 1_000);
        for i in 0..3 {
            assert_eq!(t.check("a", i), ThrottleVerdict::Allowed);
            t.failure("a", i);
        }
        assert_eq!(
            t.check("a", 500),
            ThrottleVerdict::Refused {
                retry_after_ms: 500
            }
        );
        assert_eq!(t.check("b", 500), ThrottleVerdict::Allowed);
        assert_eq!(t.check("a", 1_000), ThrottleVerdict::Allowed);
        t.failure("a", 1_000);
        assert_eq!(t.check("a", 1_001), ThrottleVerdict::Allowed);
        t.success("a");
        assert_eq!(t.check("a", 1_002), ThrottleVerdict::Allowed);
    }

    #[test]
    fn successes_never_count_against_an_address() {
        let mut t = Throttle::new(5, 1_000);
        for i in 0..100 {
            let k = LoginKeys::new(&format!("user{}", i % 3), "10.0.0.1");
            assert_eq!(k.check(&t, i), ThrottleVerdict::Allowed, "login {i}");
            k.count(&mut t, i);
            k.succeeded(&mut t, i);
        }
        // Even 60 correct logins in flight at once (counted, not yet answered) from one office.
        let keys: Vec<LoginKeys> = (0..60)
            .map(|i| LoginKeys::new(&format!("staff{i}"), "10.0.0.1"))
            .collect();
        for k in &keys {
            assert_eq!(k.check(&t, 200), ThrottleVerdict::Allowed);
            k.count(&mut t, 200);
        }
        keys.iter().for_each(|k| k.succeeded(&mut t, 201));
    }

    #[test]
    fn guessing_a_name_from_one_address_does_not_lock_its_owner_elsewhere() {
        let mut t = Throttle::new(5, 1_000);
        let owner = LoginKeys::new("Admin", "10.0.0.2");
        owner.count(&mut t, 0);
        owner.succeeded(&mut t, 0);
        let attacker = LoginKeys::new("admin", "10.9.9.9");
        for i in 1..=5 {
            assert_eq!(attacker.check(&t, i), ThrottleVerdict::Allowed);
            attacker.count(&mut t, i);
            attacker.failed(&mut t, i);
        }
        assert!(matches!(
            attacker.check(&t, 6),
            ThrottleVerdict::Refused { .. }
        ));
        assert_eq!(owner.check(&t, 6), ThrottleVerdict::Allowed);
        // A new address of the owner's is only refused after 10× failures on the name from
        // everywhere (a distributed guess), and a known address not even then.
        for n in 0..45 {
            let k = LoginKeys::new("admin", &format!("10.1.{}.{}", n / 4, n % 4));
            k.count(&mut t, 7);
            k.failed(&mut t, 7);
        }
        let fresh = LoginKeys::new("admin", "10.7.7.7");
        assert!(matches!(
            fresh.check(&t, 8),
            ThrottleVerdict::Refused { .. }
        ));
        assert_eq!(owner.check(&t, 8), ThrottleVerdict::Allowed);
    }

    #[test]
    fn one_address_guessing_many_names_is_refused_after_four_times_the_limit() {
        let mut t = Throttle::new(5, 1_000);
        for i in 0..20 {
            let k = LoginKeys::new(&format!("n{i}"), "10.0.0.3");
            assert_eq!(k.check(&t, i), ThrottleVerdict::Allowed);
            k.count(&mut t, i);
            k.failed(&mut t, i);
        }
        let k = LoginKeys::new("someone-else", "10.0.0.3");
        assert!(matches!(k.check(&t, 21), ThrottleVerdict::Refused { .. }));
        assert_eq!(
            LoginKeys::new("someone-else", "10.0.0.4").check(&t, 21),
            ThrottleVerdict::Allowed
        );
    }

    proptest! {
        /// Whatever the sequence, a key is refused only with ≥ max failures inside the window.
        #[test]
        fn throttle_never_refuses_below_the_limit(events in proptest::collection::vec((0i64..5_000, any::<bool>()), 0..60)) {
            let mut t = Throttle::new(5, 1_000);
            let mut now = 0;
            let mut recent: Vec<i64> = Vec::new();
            for (step, fail) in events {
                now += step % 300;
                if let ThrottleVerdict::Refused { retry_after_ms } = t.check("k", now) {
                    prop_assert!(retry_after_ms > 0 && retry_after_ms <= 1_000);
                    prop_assert!(recent.len() >= 5);
                    continue;
                }
                if fail { t.failure("k", now); recent.push(now); } else { t.success("k"); recent.clear(); }
            }
        }
    }
}
