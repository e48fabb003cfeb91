//! One-tap open commands: the cloud signs a short-lived command with its Ed25519 key; the box
//! verifies it against the public key it trusts before it asks the access engine.
//!
//! Verification is sans-IO: the caller passes `now_ms`; replay protection (remembering command
//! ids until they expire) is the box's job because it needs durable storage.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The payload version this crate writes and accepts.
pub const COMMAND_VERSION: u32 = 1;
/// Longest lifetime a box accepts for a command (issued → expires), whatever the signer says.
pub const MAX_TTL_MS: i64 = 120_000;
/// Clock skew tolerated between signer and box for `issued_at_ms` in the future.
pub const MAX_SKEW_MS: i64 = 30_000;

/// The signed payload: "open `door_id` for `person_id`", valid until `expires_at_ms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "EdgeOneTapCommandV1")
)]
#[serde(deny_unknown_fields)]
pub struct OneTapCommandV1 {
    pub version: u32,
    /// Unique per command; the box refuses a second use of the same id.
    pub command_id: Uuid,
    pub community_id: String,
    pub door_id: String,
    pub person_id: String,
    pub issued_at_ms: i64,
    pub expires_at_ms: i64,
}

/// What travels: the payload's exact JSON bytes (base64) and the signature over them.
/// Signing the bytes, not a re-serialisation, keeps verification independent of field order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(rename = "EdgeSignedCommand")
)]
#[serde(deny_unknown_fields)]
pub struct SignedCommand {
    /// base64 (standard alphabet) of the UTF-8 JSON of an [`OneTapCommandV1`].
    pub payload: String,
    /// base64 of the 64-byte Ed25519 signature over the decoded payload bytes.
    pub signature: String,
}

/// A command whose signature, version, community and lifetime were checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCommand(pub OneTapCommandV1);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("field `payload`: not valid base64")]
    PayloadEncoding,
    #[error("field `signature`: not valid base64 of 64 bytes")]
    SignatureEncoding,
    #[error("field `signature`: does not verify against the trusted key")]
    BadSignature,
    #[error("field `payload`: not a one-tap command: {0}")]
    PayloadJson(String),
    #[error("field `version`: {0} is not supported (expected {COMMAND_VERSION})")]
    Version(u32),
    #[error("field `community_id`: command is for another community")]
    WrongCommunity,
    #[error("field `expires_at_ms`: command expired")]
    Expired,
    #[error("field `issued_at_ms`: issued in the future")]
    NotYetValid,
    #[error("field `expires_at_ms`: lifetime longer than {MAX_TTL_MS} ms or not after issue time")]
    BadLifetime,
}

impl SignedCommand {
    /// Sign a command (the cloud side; also the demo and the tests).
    pub fn sign(cmd: &OneTapCommandV1, key: &SigningKey) -> SignedCommand {
        // Serialising a plain struct of strings and integers cannot fail.
        let bytes = serde_json::to_vec(cmd).unwrap_or_default();
        let sig = key.sign(&bytes);
        SignedCommand {
            payload: B64.encode(&bytes),
            signature: B64.encode(sig.to_bytes()),
        }
    }

    /// Check signature first (so nothing unauthenticated is parsed further), then content.
    /// `earliest_ms`/`latest_ms` bound the box's idea of now (see the edge clock policy);
    /// pass the same value twice when there is one trusted time.
    pub fn verify(
        &self,
        key: &VerifyingKey,
        community_id: &str,
        earliest_ms: i64,
        latest_ms: i64,
    ) -> Result<VerifiedCommand, VerifyError> {
        let bytes = B64
            .decode(self.payload.as_bytes())
            .map_err(|_| VerifyError::PayloadEncoding)?;
        let sig_bytes: [u8; 64] = B64
            .decode(self.signature.as_bytes())
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or(VerifyError::SignatureEncoding)?;
        let sig = Signature::from_bytes(&sig_bytes);
        key.verify(&bytes, &sig)
            .map_err(|_| VerifyError::BadSignature)?;
        let cmd: OneTapCommandV1 =
            serde_json::from_slice(&bytes).map_err(|e| VerifyError::PayloadJson(e.to_string()))?;
        if cmd.version != COMMAND_VERSION {
            return Err(VerifyError::Version(cmd.version));
        }
        if cmd.community_id != community_id {
            return Err(VerifyError::WrongCommunity);
        }
        if cmd.expires_at_ms <= cmd.issued_at_ms
            || cmd.expires_at_ms.saturating_sub(cmd.issued_at_ms) > MAX_TTL_MS
        {
            return Err(VerifyError::BadLifetime);
        }
        if latest_ms > cmd.expires_at_ms {
            return Err(VerifyError::Expired);
        }
        if cmd.issued_at_ms > earliest_ms.saturating_add(MAX_SKEW_MS) {
            return Err(VerifyError::NotYetValid);
        }
        Ok(VerifiedCommand(cmd))
    }
}

/// Parse a trusted public key written as base64 of its 32 bytes (as in the edge config).
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, String> {
    let bytes: [u8; 32] = B64
        .decode(text.trim().as_bytes())
        .map_err(|e| format!("not base64: {e}"))?
        .try_into()
        .map_err(|v: Vec<u8>| format!("expected 32 bytes, got {}", v.len()))?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| "not a valid Ed25519 public key".to_string())
}

/// Parse a signing key written as base64 of its 32-byte seed.
pub fn parse_signing_key(text: &str) -> Result<SigningKey, String> {
    let bytes: [u8; 32] = B64
        .decode(text.trim().as_bytes())
        .map_err(|e| format!("not base64: {e}"))?
        .try_into()
        .map_err(|v: Vec<u8>| format!("expected 32 bytes, got {}", v.len()))?;
    Ok(SigningKey::from_bytes(&bytes))
}

/// base64 text forms used in config files.
pub fn encode_public_key(key: &VerifyingKey) -> String {
    B64.encode(key.to_bytes())
}
pub fn encode_signing_key(key: &SigningKey) -> String {
    B64.encode(key.to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn cmd(now: i64) -> OneTapCommandV1 {
        OneTapCommandV1 {
            version: 1,
            command_id: Uuid::from_u128(7),
            community_id: "c1".into(),
            door_id: "d1".into(),
            person_id: "p1".into(),
            issued_at_ms: now,
            expires_at_ms: now + 30_000,
        }
    }

    #[test]
    fn round_trip_verifies() {
        let k = key(1);
        let s = SignedCommand::sign(&cmd(1000), &k);
        let v = s.verify(&k.verifying_key(), "c1", 1000, 1000).unwrap();
        assert_eq!(v.0, cmd(1000));
    }

    #[test]
    fn wrong_key_is_bad_signature() {
        let s = SignedCommand::sign(&cmd(1000), &key(1));
        assert_eq!(
            s.verify(&key(2).verifying_key(), "c1", 1000, 1000),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn tampered_payload_is_bad_signature() {
        let k = key(1);
        let mut s = SignedCommand::sign(&cmd(1000), &k);
        let mut c = cmd(1000);
        c.door_id = "d2".into();
        s.payload = B64.encode(serde_json::to_vec(&c).unwrap());
        assert_eq!(
            s.verify(&k.verifying_key(), "c1", 1000, 1000),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn expiry_edges() {
        let k = key(1);
        let s = SignedCommand::sign(&cmd(1000), &k);
        assert!(s.verify(&k.verifying_key(), "c1", 31_000, 31_000).is_ok());
        assert_eq!(
            s.verify(&k.verifying_key(), "c1", 31_001, 31_001),
            Err(VerifyError::Expired)
        );
        // A clock that disagrees with itself takes the strict side.
        assert_eq!(
            s.verify(&k.verifying_key(), "c1", 1000, 31_001),
            Err(VerifyError::Expired)
        );
    }

    #[test]
    fn future_issue_and_lifetime_and_community() {
        let k = key(1);
        let s = SignedCommand::sign(&cmd(100_000), &k);
        assert_eq!(
            s.verify(&k.verifying_key(), "c1", 69_999, 69_999),
            Err(VerifyError::NotYetValid)
        );
        assert_eq!(
            s.verify(&k.verifying_key(), "c2", 100_000, 100_000),
            Err(VerifyError::WrongCommunity)
        );
        let mut long = cmd(0);
        long.expires_at_ms = MAX_TTL_MS + 1;
        let s = SignedCommand::sign(&long, &k);
        assert_eq!(
            s.verify(&k.verifying_key(), "c1", 0, 0),
            Err(VerifyError::BadLifetime)
        );
        let mut v2 = cmd(0);
        v2.version = 2;
        let s = SignedCommand::sign(&v2, &k);
        assert_eq!(
            s.verify(&k.verifying_key(), "c1", 0, 0),
            Err(VerifyError::Version(2))
        );
    }

    #[test]
    fn garbage_encodings() {
        let k = key(1);
        let bad = SignedCommand {
            payload: "!!!".into(),
            signature: "AA==".into(),
        };
        assert_eq!(
            bad.verify(&k.verifying_key(), "c1", 0, 0),
            Err(VerifyError::PayloadEncoding)
        );
        let bad = SignedCommand {
            payload: "AA==".into(),
            signature: "AA==".into(),
        };
        assert_eq!(
            bad.verify(&k.verifying_key(), "c1", 0, 0),
            Err(VerifyError::SignatureEncoding)
        );
        let sig = k.sign(b"not json");
        let bad = SignedCommand {
            payload: B64.encode(b"not json"),
            signature: B64.encode(sig.to_bytes()),
        };
        assert!(matches!(
            bad.verify(&k.verifying_key(), "c1", 0, 0),
            Err(VerifyError::PayloadJson(_))
        ));
    }

    #[test]
    fn key_text_round_trip() {
        let k = key(9);
        let pk = parse_public_key(&encode_public_key(&k.verifying_key())).unwrap();
        assert_eq!(pk, k.verifying_key());
        let sk = parse_signing_key(&encode_signing_key(&k)).unwrap();
        assert_eq!(sk.to_bytes(), k.to_bytes());
        assert!(parse_public_key("AAAA").unwrap_err().contains("32 bytes"));
    }

    proptest! {
        #[test]
        fn arbitrary_strings_never_panic(p in ".{0,200}", s in ".{0,120}") {
            let k = key(3);
            let c = SignedCommand { payload: p, signature: s };
            prop_assert!(c.verify(&k.verifying_key(), "c1", 0, 0).is_err());
        }

        #[test]
        fn any_bit_flip_in_signature_fails(byte in 0usize..64, bit in 0u8..8) {
            let k = key(4);
            let s = SignedCommand::sign(&cmd(0), &k);
            let mut raw = B64.decode(&s.signature).unwrap();
            raw[byte] ^= 1 << bit;
            let t = SignedCommand { payload: s.payload.clone(), signature: B64.encode(raw) };
            prop_assert_eq!(t.verify(&k.verifying_key(), "c1", 0, 0), Err(VerifyError::BadSignature));
        }
    }
}
