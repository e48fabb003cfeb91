//! Request signing between a provisioned box and the cloud.
//!
//! The box signs `METHOD \n PATH?QUERY \n TIME_MS \n hex(sha256(BODY))` with its Ed25519 key and
//! sends three headers. The cloud looks the box up, refuses a revoked one, checks the time is
//! within [`MAX_REQUEST_SKEW_MS`] of its own and verifies the signature. A [`ReplayGuard`]
//! then admits each signed request once: a captured request cannot be sent again while its time
//! is still acceptable (replaying the command long-poll would swallow that box's one-taps).
//!
//! Every answer to a request whose signature verified (also the refusal of a request whose
//! time is too far off) carries the cloud's time in two more headers: the time, and the cloud's
//! signature over it bound to the box and to the request's own signature ([`sign_time`],
//! [`verify_time`]). The box knows when it sent the request and when the answer came, so the
//! statement bounds the true time by the round trip, and it cannot be replayed into another
//! exchange. It is signed with the cloud's one-tap key, which the box already trusts; the signed
//! text starts with `edge-cloud-time-v1`, which no one-tap payload (JSON) can.
//!
//! Sans-IO: callers pass `now_ms` and the key.

use std::collections::HashMap;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

pub const HEADER_BOX: &str = "x-edge-box";
pub const HEADER_TIME: &str = "x-edge-time-ms";
pub const HEADER_SIGNATURE: &str = "x-edge-signature";
/// The cloud's time on an answer to a box, and the cloud's signature over it.
pub const HEADER_CLOUD_TIME: &str = "x-cloud-time-ms";
pub const HEADER_CLOUD_TIME_SIGNATURE: &str = "x-cloud-time-signature";
/// What software the box runs (`edge-daemon/<version>`), on its requests: shown to staff, not
/// trusted for anything.
pub const HEADER_SOFTWARE: &str = "x-edge-software";
/// How far a request's time may be from the cloud's clock.
pub const MAX_REQUEST_SKEW_MS: i64 = 300_000;
/// The error code of a refusal for a request time too far off (its answer carries the cloud's
/// time: the box re-signs with it).
pub const SKEW_ERROR_CODE: &str = "clock_skew";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestAuthError {
    #[error("header `{0}` is missing or not text")]
    MissingHeader(&'static str),
    #[error("header `x-edge-time-ms`: not an integer")]
    BadTime,
    #[error("header `x-edge-time-ms`: more than {MAX_REQUEST_SKEW_MS} ms from the cloud's clock")]
    Skew,
    #[error("header `x-edge-signature`: not base64 of 64 bytes")]
    SignatureEncoding,
    #[error("header `x-edge-signature`: does not verify against the box's key")]
    BadSignature,
    #[error("header `x-edge-signature`: this signed request was already used (a replay)")]
    Replayed,
}

fn message(method: &str, path_and_query: &str, time_ms: i64, body: &[u8]) -> Vec<u8> {
    let digest = Sha256::digest(body);
    let mut hex = String::with_capacity(64);
    for b in digest {
        hex.push_str(&format!("{b:02x}"));
    }
    format!("{method}\n{path_and_query}\n{time_ms}\n{hex}").into_bytes()
}

/// The three header values for one request.
pub fn sign_request(
    key: &SigningKey,
    box_id: &str,
    method: &str,
    path_and_query: &str,
    time_ms: i64,
    body: &[u8],
) -> [(&'static str, String); 3] {
    let sig = key.sign(&message(method, path_and_query, time_ms, body));
    [
        (HEADER_BOX, box_id.to_string()),
        (HEADER_TIME, time_ms.to_string()),
        (HEADER_SIGNATURE, B64.encode(sig.to_bytes())),
    ]
}

/// Check a request's time and signature (the box lookup and revocation are the caller's).
pub fn verify_request(
    key: &VerifyingKey,
    method: &str,
    path_and_query: &str,
    time_header: &str,
    signature_header: &str,
    body: &[u8],
    now_ms: i64,
) -> Result<(), RequestAuthError> {
    let time_ms: i64 = time_header
        .trim()
        .parse()
        .map_err(|_| RequestAuthError::BadTime)?;
    let sig_bytes = B64
        .decode(signature_header.trim())
        .map_err(|_| RequestAuthError::SignatureEncoding)?;
    let sig_bytes: [u8; 64] = sig_bytes
        .try_into()
        .map_err(|_| RequestAuthError::SignatureEncoding)?;
    key.verify(
        &message(method, path_and_query, time_ms, body),
        &Signature::from_bytes(&sig_bytes),
    )
    .map_err(|_| RequestAuthError::BadSignature)?;
    // The signature first: a skew refusal tells the time, and only the box should hear it.
    if now_ms.abs_diff(time_ms) > MAX_REQUEST_SKEW_MS.unsigned_abs() {
        return Err(RequestAuthError::Skew);
    }
    Ok(())
}

fn time_message(box_id: &str, request_signature: &str, time_ms: i64) -> Vec<u8> {
    format!(
        "edge-cloud-time-v1\n{box_id}\n{}\n{time_ms}",
        request_signature.trim()
    )
    .into_bytes()
}

/// The two headers stating the cloud's time on its answer to one request of a box.
pub fn sign_time(
    key: &SigningKey,
    box_id: &str,
    request_signature: &str,
    time_ms: i64,
) -> [(&'static str, String); 2] {
    let sig = key.sign(&time_message(box_id, request_signature, time_ms));
    [
        (HEADER_CLOUD_TIME, time_ms.to_string()),
        (HEADER_CLOUD_TIME_SIGNATURE, B64.encode(sig.to_bytes())),
    ]
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeStatementError {
    #[error("header `x-cloud-time-ms` is missing or not an integer")]
    BadTime,
    #[error("header `x-cloud-time-signature`: not base64 of 64 bytes")]
    SignatureEncoding,
    #[error(
        "header `x-cloud-time-signature`: does not verify (not the cloud, or not this request)"
    )]
    BadSignature,
}

/// The cloud's time on an answer, checked against the cloud's key, this box and the signature
/// of the request it answers.
pub fn verify_time(
    key: &VerifyingKey,
    box_id: &str,
    request_signature: &str,
    time_header: Option<&str>,
    signature_header: Option<&str>,
) -> Result<i64, TimeStatementError> {
    let time_ms: i64 = time_header
        .and_then(|t| t.trim().parse().ok())
        .ok_or(TimeStatementError::BadTime)?;
    let sig: [u8; 64] = signature_header
        .and_then(|s| B64.decode(s.trim()).ok())
        .and_then(|b| b.try_into().ok())
        .ok_or(TimeStatementError::SignatureEncoding)?;
    key.verify(
        &time_message(box_id, request_signature, time_ms),
        &Signature::from_bytes(&sig),
    )
    .map_err(|_| TimeStatementError::BadSignature)?;
    Ok(time_ms)
}

/// The signatures of requests already accepted, each kept until its time leaves the skew
/// window (after that [`verify_request`] refuses the request anyway). Ed25519 signatures are
/// deterministic and the box signs its clock's millisecond into every request, so a legitimate
/// box never sends the same signature twice.
///
/// One guard per cloud process: a deployment with several cloud processes behind one address
/// needs a shared store for this (not built).
#[derive(Debug, Default)]
pub struct ReplayGuard {
    /// signature → the moment its request stops being acceptable (request time + skew).
    seen: HashMap<[u8; 64], i64>,
    /// Prune expired entries when the map reaches this size (doubles as it grows).
    prune_at: usize,
}

impl ReplayGuard {
    /// Upper bound on remembered signatures (≈ 10 MB). Only verified requests are remembered,
    /// so only real boxes fill it: 200,000 in a 10 min window is 330 requests/s street-wide.
    /// Beyond it the oldest entries go first.
    pub const MAX_ENTRIES: usize = 200_000;

    /// Admit a request whose signature has just been verified: `Ok` the first time, `Replayed`
    /// after. The headers are the same ones `verify_request` accepted.
    pub fn admit(
        &mut self,
        time_header: &str,
        signature_header: &str,
        now_ms: i64,
    ) -> Result<(), RequestAuthError> {
        let time_ms: i64 = time_header
            .trim()
            .parse()
            .map_err(|_| RequestAuthError::BadTime)?;
        let sig: [u8; 64] = B64
            .decode(signature_header.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(RequestAuthError::SignatureEncoding)?;
        if self.seen.get(&sig).is_some_and(|until| *until >= now_ms) {
            return Err(RequestAuthError::Replayed);
        }
        if self.seen.len() >= self.prune_at.max(1024) {
            self.seen.retain(|_, until| *until >= now_ms);
            if self.seen.len() >= Self::MAX_ENTRIES {
                let mut untils: Vec<i64> = self.seen.values().copied().collect();
                let half = untils.len() / 2;
                let (_, cut, _) = untils.select_nth_unstable(half);
                let cut = *cut;
                self.seen.retain(|_, until| *until > cut);
            }
            self.prune_at = (self.seen.len() * 2).max(1024);
        }
        self.seen
            .insert(sig, time_ms.saturating_add(MAX_REQUEST_SKEW_MS));
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

/// Compare two secrets (bearer tokens) in time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_statement_holds_only_for_its_box_and_its_request() {
        let cloud = key(3);
        let pk = cloud.verifying_key();
        let [(_, t), (_, s)] = sign_time(&cloud, "box1", "REQSIG", 1_234);
        assert_eq!(
            verify_time(&pk, "box1", "REQSIG", Some(&t), Some(&s)),
            Ok(1_234)
        );
        assert_eq!(
            verify_time(&pk, "box1", "OTHER", Some(&t), Some(&s)),
            Err(TimeStatementError::BadSignature),
            "replayed onto another request"
        );
        assert_eq!(
            verify_time(&pk, "box2", "REQSIG", Some(&t), Some(&s)),
            Err(TimeStatementError::BadSignature),
            "another box"
        );
        assert_eq!(
            verify_time(&pk, "box1", "REQSIG", Some("1235"), Some(&s)),
            Err(TimeStatementError::BadSignature),
            "another time"
        );
        assert_eq!(
            verify_time(
                &key(4).verifying_key(),
                "box1",
                "REQSIG",
                Some(&t),
                Some(&s)
            ),
            Err(TimeStatementError::BadSignature),
            "not the cloud"
        );
        assert_eq!(
            verify_time(&pk, "box1", "REQSIG", None, Some(&s)),
            Err(TimeStatementError::BadTime)
        );
        assert_eq!(
            verify_time(&pk, "box1", "REQSIG", Some(&t), Some("AAAA")),
            Err(TimeStatementError::SignatureEncoding)
        );
        // A one-tap payload signed with the same key is never a time statement.
        let payload = br#"{"version":1}"#;
        let onetap_sig = B64.encode(cloud.sign(payload).to_bytes());
        assert!(verify_time(&pk, "box1", "REQSIG", Some("1"), Some(&onetap_sig)).is_err());
    }

    #[test]
    fn the_signature_is_checked_before_the_time() {
        let k = key(5);
        let [_, (_, t), (_, sig)] = sign_request(&k, "b", "GET", "/x", 1_000, b"");
        let far = 1_000 + MAX_REQUEST_SKEW_MS + 1;
        assert_eq!(
            verify_request(&k.verifying_key(), "GET", "/x", &t, &sig, b"", far),
            Err(RequestAuthError::Skew)
        );
        // Somebody else's skewed request hears nothing about the time.
        assert_eq!(
            verify_request(&key(6).verifying_key(), "GET", "/x", &t, &sig, b"", far),
            Err(RequestAuthError::BadSignature)
        );
    }

    #[test]
    fn a_signed_request_is_admitted_once_within_its_window() {
        let k = key(7);
        let [_, (_, t), (_, sig)] =
            sign_request(&k, "box1", "GET", "/v1/edge/commands", 1_000, b"");
        let mut g = ReplayGuard::default();
        assert_eq!(g.admit(&t, &sig, 1_000), Ok(()));
        assert_eq!(g.admit(&t, &sig, 2_000), Err(RequestAuthError::Replayed));
        // The same bytes written differently (whitespace) are the same signature.
        assert_eq!(
            g.admit(&t, &format!(" {sig} "), 2_000),
            Err(RequestAuthError::Replayed)
        );
        // A new request (a new millisecond) is new.
        let [_, (_, t2), (_, sig2)] =
            sign_request(&k, "box1", "GET", "/v1/edge/commands", 1_001, b"");
        assert_eq!(g.admit(&t2, &sig2, 2_000), Ok(()));
        assert_eq!(g.admit("x", &sig2, 2_000), Err(RequestAuthError::BadTime));
        assert_eq!(
            g.admit(&t2, "AAAA", 2_000),
            Err(RequestAuthError::SignatureEncoding)
        );
    }

    #[test]
    fn expired_signatures_are_forgotten_and_the_guard_stays_bounded() {
        let k = key(9);
        let mut g = ReplayGuard::default();
        let mut now = 0;
        for i in 0..5_000i64 {
            now = i * 1_000; // one request a second
            let [_, (_, t), (_, sig)] = sign_request(&k, "b", "GET", "/x", now, b"");
            assert_eq!(g.admit(&t, &sig, now), Ok(()));
        }
        // Only about one skew window's worth (300 s) plus the pruning slack is remembered.
        assert!(g.len() <= 2 * 1024 + 301, "{} remembered", g.len());
        // The newest is still refused.
        let [_, (_, t), (_, sig)] = sign_request(&k, "b", "GET", "/x", now, b"");
        assert_eq!(g.admit(&t, &sig, now), Err(RequestAuthError::Replayed));
    }

    proptest::proptest! {
        /// Whatever the order and timing, a signature is admitted at most once while its
        /// request is within the window.
        #[test]
        fn no_signature_is_admitted_twice_within_its_window(
            ops in proptest::collection::vec((0u8..20, 0i64..2_000_000), 1..300)
        ) {
            let k = key(3);
            let mut g = ReplayGuard::default();
            let mut admitted: HashMap<u8, i64> = HashMap::new();
            let mut now = 0i64;
            for (which, step) in ops {
                now += step / 100;
                let t = i64::from(which) * 1_000;
                let [_, (_, th), (_, sig)] = sign_request(&k, "b", "GET", "/x", t, b"");
                let r = g.admit(&th, &sig, now);
                if let Some(first) = admitted.get(&which) {
                    if now <= first + MAX_REQUEST_SKEW_MS {
                        proptest::prop_assert_eq!(r.clone(), Err(RequestAuthError::Replayed));
                    }
                }
                if r.is_ok() {
                    admitted.insert(which, t);
                }
            }
        }
    }

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    #[test]
    fn signed_request_verifies_and_any_change_breaks_it() {
        let k = key(7);
        let [_, (_, t), (_, sig)] =
            sign_request(&k, "box1", "POST", "/v1/edge/sync/up", 1_000, b"{}");
        let pk = k.verifying_key();
        let ok = |m: &str, p: &str, t: &str, body: &[u8], now: i64| {
            verify_request(&pk, m, p, t, &sig, body, now)
        };
        assert_eq!(ok("POST", "/v1/edge/sync/up", &t, b"{}", 1_000), Ok(()));
        assert_eq!(
            ok("GET", "/v1/edge/sync/up", &t, b"{}", 1_000),
            Err(RequestAuthError::BadSignature)
        );
        assert_eq!(
            ok("POST", "/v1/edge/sync/down", &t, b"{}", 1_000),
            Err(RequestAuthError::BadSignature)
        );
        assert_eq!(
            ok("POST", "/v1/edge/sync/up", &t, b"{ }", 1_000),
            Err(RequestAuthError::BadSignature)
        );
        assert_eq!(
            ok("POST", "/v1/edge/sync/up", "1001", b"{}", 1_000),
            Err(RequestAuthError::BadSignature)
        );
        assert_eq!(
            ok(
                "POST",
                "/v1/edge/sync/up",
                &t,
                b"{}",
                1_000 + MAX_REQUEST_SKEW_MS + 1
            ),
            Err(RequestAuthError::Skew)
        );
        assert_eq!(
            ok("POST", "/v1/edge/sync/up", "soon", b"{}", 1_000),
            Err(RequestAuthError::BadTime)
        );
        let other = key(8).verifying_key();
        assert_eq!(
            verify_request(&other, "POST", "/v1/edge/sync/up", &t, &sig, b"{}", 1_000),
            Err(RequestAuthError::BadSignature)
        );
        assert_eq!(
            verify_request(&pk, "POST", "/v1/edge/sync/up", &t, "AAAA", b"{}", 1_000),
            Err(RequestAuthError::SignatureEncoding)
        );
    }
}
