//! Attempt counting for logins, sign-ups and other abuse limits, pure: [`Throttle`] counts
//! per key in a window and answers allowed or refused (with how long); [`LoginKeys`] is the
//! login policy — per (name, address), per address on failures, per name except from trusted
//! addresses — so that an attacker cannot lock an account's owner out. Time is a parameter.

use std::collections::HashMap;

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

/// One key's state, for keeping it outside the process (a database that replicas share): the
/// start and count of its current window, and when the key was last trusted. Load the keys an
/// attempt touches with [`Throttle::set_key_state`], decide, and store [`Throttle::key_state`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyState {
    pub window: Option<(i64, u32)>,
    pub trusted_at: Option<i64>,
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

    /// The state of `key` (see [`KeyState`]).
    pub fn key_state(&self, key: &str) -> KeyState {
        KeyState {
            window: self.entries.get(key).copied(),
            trusted_at: self.trusted.get(key).copied(),
        }
    }

    /// Put `key`'s state as it was kept elsewhere.
    pub fn set_key_state(&mut self, key: &str, s: KeyState) {
        match s.window {
            Some(w) => {
                self.entries.insert(key.to_string(), w);
            }
            None => {
                self.entries.remove(key);
            }
        }
        match s.trusted_at {
            Some(at) => {
                self.trusted.insert(key.to_string(), at);
            }
            None => {
                self.trusted.remove(key);
            }
        }
    }

    /// A throttle with the same limits and no state (to load kept keys into).
    pub fn empty_like(&self) -> Throttle {
        Throttle::new(self.max_failures, self.window_ms)
    }

    /// The window length (for expiring kept states).
    pub fn window_ms(&self) -> i64 {
        self.window_ms
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

    /// What replicas do: load the touched keys into a fresh throttle, decide, store them back.
    /// The verdicts must be those of one throttle that kept everything.
    #[test]
    fn a_throttle_kept_outside_decides_as_one_kept_inside() {
        let names = ["ann", "bob"];
        let addrs = ["10.0.0.1", "10.0.0.2", "10.0.0.3"];
        let mut inside = Throttle::new(3, 10_000);
        let mut kept: HashMap<String, KeyState> = HashMap::new();
        let mut now = 0i64;
        for step in 0..400u32 {
            now += i64::from(step % 7) * 97;
            let keys = LoginKeys::new(names[(step % 2) as usize], addrs[(step % 3) as usize]);
            let ok = step % 11 == 0;
            let mut outside = Throttle::new(3, 10_000);
            for k in [&keys.pair, &keys.address, &keys.name] {
                outside.set_key_state(k, kept.get(k).copied().unwrap_or_default());
            }
            let a = keys.check(&inside, now);
            let b = keys.check(&outside, now);
            assert_eq!(a, b, "step {step}");
            if a == ThrottleVerdict::Allowed {
                for t in [&mut inside, &mut outside] {
                    keys.count(t, now);
                    if ok {
                        keys.succeeded(t, now);
                    } else {
                        keys.failed(t, now);
                    }
                }
            }
            for k in [&keys.pair, &keys.address, &keys.name] {
                kept.insert(k.clone(), outside.key_state(k));
            }
        }
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
