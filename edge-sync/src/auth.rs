//! Request signing between a provisioned box and the cloud.
//!
//! The box signs `METHOD \n PATH?QUERY \n TIME_MS \n hex(sha256(BODY))` with its Ed25519 key and
//! sends three headers. The cloud looks the box up, refuses a revoked one, checks the time is
//! within [`MAX_REQUEST_SKEW_MS`] of its own and verifies the signature. Sans-IO: callers pass
//! `now_ms` and the key.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

pub const HEADER_BOX: &str = "x-edge-box";
pub const HEADER_TIME: &str = "x-edge-time-ms";
pub const HEADER_SIGNATURE: &str = "x-edge-signature";
/// How far a request's time may be from the cloud's clock.
pub const MAX_REQUEST_SKEW_MS: i64 = 300_000;

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
    if now_ms.abs_diff(time_ms) > MAX_REQUEST_SKEW_MS.unsigned_abs() {
        return Err(RequestAuthError::Skew);
    }
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
    .map_err(|_| RequestAuthError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

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
