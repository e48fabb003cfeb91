//! Accounts' secrets: argon2id password hashes, opaque session tokens (only their SHA-256 is
//! stored) and the login throttle. The throttle is sans-IO: it takes `now_ms` and answers.

use std::collections::HashMap;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
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

pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    argon()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

pub fn verify_password(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(h) => argon().verify_password(password.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
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

/// Login throttle: after `max_failures` failed logins for one key (user name, and separately
/// the client address) within `window_ms`, further attempts are refused until the window since
/// the first failure has passed. Sans-IO.
#[derive(Debug)]
pub struct Throttle {
    max_failures: u32,
    window_ms: i64,
    entries: HashMap<String, (i64, u32)>,
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
