//! Face enrolment, the cloud's rules (**sans-IO**: no database, no clock, no files; time is a
//! parameter). What an uploaded photo may be ([`sniff`]), how a photo's review moves
//! ([`PhotoStatus::apply`]), which photos boxes are sent ([`sent_to_boxes`]), what the review
//! list says of the boxes' verdicts ([`latest_per_box`], [`enrolment`]), what a pass thumbnail
//! must be ([`thumbnail`]), the community's settings ([`FaceSettings`]), and what retention
//! purges ([`purge_plan`], [`thumbnail_expired`]). The handlers are in cloud-core's `rooms::faces`.
//!
//! The walk: staff record a person's consent and upload a photo (pending review) → approve it
//! (only with consent) → the person takes a new change number, so every box of their estate gets
//! the person again with all approved photos → the box fetches the bytes, enrols or refuses, and
//! uplinks a verdict with reasons → the review list shows it.

use base64::Engine as _;
use edge_sync::sync::limits;
use serde::Serialize;

/// Largest face photo staff may upload.
pub const MAX_PHOTO_BYTES: usize = 4 * 1024 * 1024;
/// Photos a person may have pending review or approved at once (each is sent to, fetched and
/// enrolled by every box of their estate).
pub const MAX_ACTIVE_PHOTOS: usize = 10;
/// Longest review note, consent note (characters).
pub const MAX_NOTE_CHARS: usize = 500;
pub const DAY_MS: i64 = 86_400_000;
/// Retention bounds (days) for pass thumbnails.
pub const RETENTION_DAYS: std::ops::RangeInclusive<u32> = 1..=365;

/// The reasons a box gives for refusing a photo, as face review shows them. A box may send
/// others (a newer box); they are kept and shown as they came.
pub const REFUSAL_REASONS: [&str; 8] = [
    "no_face",
    "multiple_faces",
    "face_too_small",
    "blurred",
    "too_dark",
    "turned_away",
    "unreadable_image",
    "photo_mismatch",
];

/// The media type of a face photo, by its bytes (magic numbers), or `None` if it is neither.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

/// Where a photo is in review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PhotoStatus {
    PendingReview,
    Approved,
    Rejected,
    /// Removed by staff: the bytes are gone, the row stays for the record. Final.
    Deleted,
}

impl PhotoStatus {
    pub const ALL: [PhotoStatus; 4] = [
        PhotoStatus::PendingReview,
        PhotoStatus::Approved,
        PhotoStatus::Rejected,
        PhotoStatus::Deleted,
    ];
    pub fn code(self) -> &'static str {
        match self {
            PhotoStatus::PendingReview => "pending_review",
            PhotoStatus::Approved => "approved",
            PhotoStatus::Rejected => "rejected",
            PhotoStatus::Deleted => "deleted",
        }
    }
    pub fn parse(s: &str) -> Option<PhotoStatus> {
        PhotoStatus::ALL.into_iter().find(|p| p.code() == s)
    }

    /// The status after `op`, or why it cannot happen. `consent` is the person's consent now.
    pub fn apply(self, op: ReviewOp, consent: bool) -> Result<PhotoStatus, ReviewError> {
        use PhotoStatus::*;
        match (self, op) {
            (Deleted, ReviewOp::Delete) => Err(ReviewError::AlreadyDeleted),
            (Deleted, _) => Err(ReviewError::PhotoDeleted),
            (_, ReviewOp::Delete) => Ok(Deleted),
            (Approved, ReviewOp::Approve) => Err(ReviewError::AlreadyApproved),
            (_, ReviewOp::Approve) if !consent => Err(ReviewError::ConsentMissing),
            (PendingReview | Rejected, ReviewOp::Approve) => Ok(Approved),
            (Rejected, ReviewOp::Reject) => Err(ReviewError::AlreadyRejected),
            (PendingReview | Approved, ReviewOp::Reject) => Ok(Rejected),
        }
    }
}

/// What staff do to a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewOp {
    Approve,
    Reject,
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    #[error("the person has not given consent to face recognition; record it first (PUT …/face-consent)")]
    ConsentMissing,
    #[error("the photo is approved already")]
    AlreadyApproved,
    #[error("the photo is rejected already")]
    AlreadyRejected,
    #[error("the photo was deleted")]
    PhotoDeleted,
    #[error("the photo was deleted already")]
    AlreadyDeleted,
}

impl ReviewError {
    /// The stable error code the API answers with (409).
    pub fn code(self) -> &'static str {
        match self {
            ReviewError::ConsentMissing => "consent_missing",
            ReviewError::AlreadyApproved => "already_approved",
            ReviewError::AlreadyRejected => "already_rejected",
            ReviewError::PhotoDeleted | ReviewError::AlreadyDeleted => "photo_deleted",
        }
    }
}

/// Whether boxes are sent a photo: approved, and its person's consent is given.
pub fn sent_to_boxes(status: PhotoStatus, consent: bool) -> bool {
    status == PhotoStatus::Approved && consent
}

/// One box's verdict on one photo, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Verdict {
    pub box_id: String,
    pub accepted: bool,
    pub reasons: Vec<String>,
    pub at_ms: i64,
}

/// The latest verdict of each box (by `at_ms`; on a tie the later one in `verdicts` wins),
/// ordered by box id.
pub fn latest_per_box(verdicts: Vec<Verdict>) -> Vec<Verdict> {
    let mut latest: std::collections::BTreeMap<String, Verdict> = Default::default();
    for v in verdicts {
        match latest.get(&v.box_id) {
            Some(cur) if cur.at_ms > v.at_ms => {}
            _ => {
                latest.insert(v.box_id.clone(), v);
            }
        }
    }
    latest.into_values().collect()
}

/// What the boxes made of a photo, summed up for review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enrolment {
    /// No box has reported on it yet.
    Waiting,
    /// At least one box enrolled it and none refused it.
    Enrolled,
    /// A box refused it (staff act on this: a better photo); the reasons of every refusing box,
    /// each once, in the order they first appear.
    Refused { reasons: Vec<String> },
}

impl Enrolment {
    pub fn code(&self) -> &'static str {
        match self {
            Enrolment::Waiting => "waiting",
            Enrolment::Enrolled => "enrolled",
            Enrolment::Refused { .. } => "refused",
        }
    }
}

/// The summary of the latest verdict per box ([`latest_per_box`]).
pub fn enrolment(latest: &[Verdict]) -> Enrolment {
    let mut reasons: Vec<String> = Vec::new();
    let mut refused = false;
    for v in latest.iter().filter(|v| !v.accepted) {
        refused = true;
        for r in &v.reasons {
            if !reasons.contains(r) {
                reasons.push(r.clone());
            }
        }
    }
    if refused {
        Enrolment::Refused { reasons }
    } else if latest.is_empty() {
        Enrolment::Waiting
    } else {
        Enrolment::Enrolled
    }
}

/// A verdict's reasons as the cloud keeps them: at most `limits::REASONS`, each at most
/// `limits::WORD` bytes (cut at a character boundary), empty ones dropped.
pub fn clip_reasons(reasons: &[String]) -> Vec<String> {
    reasons
        .iter()
        .map(|r| clip(r.trim(), limits::WORD))
        .filter(|r| !r.is_empty())
        .take(limits::REASONS)
        .collect()
}

fn clip(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

/// Why a pass's thumbnail was dropped (the pass itself is stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ThumbnailRefused {
    #[error("not base64")]
    NotBase64,
    #[error("larger than {} bytes", limits::THUMBNAIL)]
    TooLarge,
    #[error("not a JPEG (no FF D8 start of image)")]
    NotJpeg,
    #[error("empty")]
    Empty,
}

/// Decode and check a pass's `face_thumbnail`: base64 (standard alphabet, padding optional) of
/// at most `limits::THUMBNAIL` bytes starting with the JPEG start-of-image marker.
pub fn thumbnail(b64: &str) -> Result<Vec<u8>, ThumbnailRefused> {
    // Four characters per three bytes: anything longer cannot fit, and is not decoded at all.
    if b64.len() > limits::THUMBNAIL.div_ceil(3) * 4 {
        return Err(ThumbnailRefused::TooLarge);
    }
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let bytes = engine
        .decode(b64.trim())
        .map_err(|_| ThumbnailRefused::NotBase64)?;
    if bytes.is_empty() {
        return Err(ThumbnailRefused::Empty);
    }
    if bytes.len() > limits::THUMBNAIL {
        return Err(ThumbnailRefused::TooLarge);
    }
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return Err(ThumbnailRefused::NotJpeg);
    }
    Ok(bytes)
}

/// A community's face settings (domain type; the box gets them as `BoxSettingsV1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaceSettings {
    pub thumbnail_upload: bool,
    pub thumbnail_retention_days: u32,
}

impl Default for FaceSettings {
    /// Privacy by default: thumbnails are not uploaded and are kept a week.
    fn default() -> Self {
        FaceSettings {
            thumbnail_upload: false,
            thumbnail_retention_days: 7,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field `{field}`: {reason}")]
pub struct SettingsError {
    pub field: &'static str,
    pub reason: String,
}

impl FaceSettings {
    /// Settings from what staff sent (or what is stored): the retention must be within
    /// [`RETENTION_DAYS`].
    pub fn new(thumbnail_upload: bool, retention_days: i64) -> Result<FaceSettings, SettingsError> {
        match u32::try_from(retention_days) {
            Ok(d) if RETENTION_DAYS.contains(&d) => Ok(FaceSettings {
                thumbnail_upload,
                thumbnail_retention_days: d,
            }),
            _ => Err(SettingsError {
                field: "face_thumbnail_retention_days",
                reason: format!(
                    "must be within {}..={} days",
                    RETENTION_DAYS.start(),
                    RETENTION_DAYS.end()
                ),
            }),
        }
    }
}

impl From<FaceSettings> for edge_sync::sync::BoxSettingsV1 {
    fn from(s: FaceSettings) -> Self {
        edge_sync::sync::BoxSettingsV1 {
            face_thumbnail_upload: s.thumbnail_upload,
            face_thumbnail_retention_days: s.thumbnail_retention_days,
        }
    }
}

/// Whether a thumbnail is past retention at `now_ms`: more than `days` after the earlier of the
/// pass time (`at_ms`, the box's clock) and its arrival (`received_at_ms`, the cloud's), so a
/// box whose clock runs ahead cannot stretch how long a face is kept.
pub fn thumbnail_expired(now_ms: i64, days: u32, at_ms: i64, received_at_ms: i64) -> bool {
    at_ms.min(received_at_ms) < cutoff_ms(now_ms, days)
}

/// Thumbnails kept from before this instant are due (see [`thumbnail_expired`]).
pub fn cutoff_ms(now_ms: i64, days: u32) -> i64 {
    now_ms.saturating_sub(i64::from(days).saturating_mul(DAY_MS))
}

/// What one community's purge deletes: thumbnails with `at_ms` or `received_at_ms` before
/// `cutoff_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurgeStep {
    pub community_id: String,
    pub cutoff_ms: i64,
}

/// The purge at `now_ms` for each community that has thumbnails, with its saved settings (or
/// none: the defaults apply). Ordered as given.
pub fn purge_plan(now_ms: i64, communities: &[(String, Option<FaceSettings>)]) -> Vec<PurgeStep> {
    communities
        .iter()
        .map(|(c, s)| PurgeStep {
            community_id: c.clone(),
            cutoff_ms: cutoff_ms(now_ms, s.unwrap_or_default().thumbnail_retention_days),
        })
        .collect()
}

pub use edge_sync::directory::sha256_hex;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn only_jpeg_and_png_pass_the_sniff() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0"), Some("image/png"));
        for bad in [
            &b""[..],
            b"GIF89a",
            b"%PDF-1.7",
            b"{\"a\":1}",
            &[0xFF, 0xD8],
        ] {
            assert_eq!(sniff(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn every_status_and_op() {
        use PhotoStatus::*;
        use ReviewError::*;
        use ReviewOp::*;
        let cases = [
            (PendingReview, Approve, true, Ok(Approved)),
            (PendingReview, Approve, false, Err(ConsentMissing)),
            (Rejected, Approve, true, Ok(Approved)),
            (Rejected, Approve, false, Err(ConsentMissing)),
            (Approved, Approve, true, Err(AlreadyApproved)),
            (Approved, Approve, false, Err(AlreadyApproved)),
            (Deleted, Approve, true, Err(PhotoDeleted)),
            (PendingReview, Reject, false, Ok(Rejected)),
            (Approved, Reject, true, Ok(Rejected)),
            (Rejected, Reject, true, Err(AlreadyRejected)),
            (Deleted, Reject, true, Err(PhotoDeleted)),
            (PendingReview, Delete, false, Ok(Deleted)),
            (Approved, Delete, true, Ok(Deleted)),
            (Rejected, Delete, true, Ok(Deleted)),
            (Deleted, Delete, true, Err(AlreadyDeleted)),
        ];
        for (from, op, consent, want) in cases {
            assert_eq!(from.apply(op, consent), want, "{from:?} {op:?} {consent}");
        }
        for s in PhotoStatus::ALL {
            assert_eq!(PhotoStatus::parse(s.code()), Some(s));
        }
        assert_eq!(PhotoStatus::parse("approved "), None);
        assert_eq!(ConsentMissing.code(), "consent_missing");
    }

    proptest! {
        /// Boxes are sent a photo only while it is approved with consent, and nothing leaves
        /// `deleted`.
        #[test]
        fn only_approved_with_consent_is_sent(ops in proptest::collection::vec((0u8..3, any::<bool>()), 0..30)) {
            let mut s = PhotoStatus::PendingReview;
            for (op, consent) in ops {
                let op = [ReviewOp::Approve, ReviewOp::Reject, ReviewOp::Delete][op as usize];
                let before = s;
                match s.apply(op, consent) {
                    Ok(n) => {
                        prop_assert!(before != PhotoStatus::Deleted);
                        if n == PhotoStatus::Approved { prop_assert!(consent); }
                        s = n;
                    }
                    Err(_) => prop_assert_eq!(s, before),
                }
                prop_assert_eq!(sent_to_boxes(s, consent), s == PhotoStatus::Approved && consent);
            }
        }
    }

    fn v(b: &str, accepted: bool, reasons: &[&str], at: i64) -> Verdict {
        Verdict {
            box_id: b.into(),
            accepted,
            reasons: reasons.iter().map(|r| r.to_string()).collect(),
            at_ms: at,
        }
    }

    #[test]
    fn the_latest_verdict_of_each_box_decides() {
        assert_eq!(enrolment(&[]), Enrolment::Waiting);
        // Refused, then enrolled with a better copy: enrolled.
        let l = latest_per_box(vec![
            v("b1", false, &["blurred"], 10),
            v("b1", true, &[], 20),
        ]);
        assert_eq!(l, vec![v("b1", true, &[], 20)]);
        assert_eq!(enrolment(&l), Enrolment::Enrolled);
        // Order of arrival does not matter; the latest at_ms does.
        let l = latest_per_box(vec![
            v("b1", true, &[], 20),
            v("b1", false, &["blurred"], 10),
        ]);
        assert_eq!(enrolment(&l), Enrolment::Enrolled);
        // One box refuses: refused, with every refusing box's reasons once.
        let l = latest_per_box(vec![
            v("b2", false, &["too_dark", "blurred"], 5),
            v("b1", true, &[], 20),
            v("b3", false, &["blurred", "turned_away"], 7),
        ]);
        assert_eq!(l.len(), 3);
        assert_eq!(l[0].box_id, "b1");
        assert_eq!(
            enrolment(&l),
            Enrolment::Refused {
                reasons: vec!["too_dark".into(), "blurred".into(), "turned_away".into()]
            }
        );
        assert_eq!(enrolment(&l).code(), "refused");
    }

    #[test]
    fn reasons_are_clipped_to_the_wire_limits() {
        let many: Vec<String> = (0..20).map(|i| format!("r{i}")).collect();
        assert_eq!(clip_reasons(&many).len(), limits::REASONS);
        let long = vec!["é".repeat(40), " ".into(), "no_face".into()];
        let c = clip_reasons(&long);
        assert_eq!(c.len(), 2);
        assert!(c[0].len() <= limits::WORD && c[0].chars().all(|ch| ch == 'é'));
        assert_eq!(c[1], "no_face");
    }

    #[test]
    fn thumbnails_must_be_small_base64_jpegs() {
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3];
        assert_eq!(thumbnail(&b64(&jpeg)), Ok(jpeg.to_vec()));
        // Padding is optional.
        assert_eq!(
            thumbnail(b64(&jpeg).trim_end_matches('=')),
            Ok(jpeg.to_vec())
        );
        assert_eq!(thumbnail("not base64!"), Err(ThumbnailRefused::NotBase64));
        assert_eq!(thumbnail(""), Err(ThumbnailRefused::Empty));
        assert_eq!(thumbnail(&b64(b"\x89PNG")), Err(ThumbnailRefused::NotJpeg));
        let mut big = vec![0u8; limits::THUMBNAIL + 1];
        big[..2].copy_from_slice(&[0xFF, 0xD8]);
        assert_eq!(thumbnail(&b64(&big)), Err(ThumbnailRefused::TooLarge));
        let mut max = vec![0u8; limits::THUMBNAIL];
        max[..2].copy_from_slice(&[0xFF, 0xD8]);
        assert_eq!(
            thumbnail(&b64(&max)).map(|b| b.len()),
            Ok(limits::THUMBNAIL)
        );
        assert_eq!(
            thumbnail(&"A".repeat(10 * limits::THUMBNAIL)),
            Err(ThumbnailRefused::TooLarge)
        );
    }

    #[test]
    fn settings_name_the_field_and_default_to_private() {
        assert_eq!(
            FaceSettings::default(),
            FaceSettings::new(false, 7).unwrap()
        );
        assert_eq!(
            edge_sync::sync::BoxSettingsV1::from(FaceSettings::default()),
            edge_sync::sync::BoxSettingsV1::default()
        );
        for bad in [0, -1, 366, i64::MAX] {
            let e = FaceSettings::new(true, bad).unwrap_err();
            assert_eq!(e.field, "face_thumbnail_retention_days");
        }
        assert!(FaceSettings::new(true, 1).is_ok());
        assert!(FaceSettings::new(true, 365).is_ok());
    }

    #[test]
    fn retention_purges_what_is_older_than_the_community_keeps() {
        let now = 1_800_000_000_000;
        let week = FaceSettings::default();
        let day = FaceSettings::new(true, 1).unwrap();
        let plan = purge_plan(
            now,
            &[
                ("a".into(), None),
                ("b".into(), Some(day)),
                ("c".into(), Some(week)),
            ],
        );
        assert_eq!(
            plan,
            vec![
                PurgeStep {
                    community_id: "a".into(),
                    cutoff_ms: now - 7 * DAY_MS
                },
                PurgeStep {
                    community_id: "b".into(),
                    cutoff_ms: now - DAY_MS
                },
                PurgeStep {
                    community_id: "c".into(),
                    cutoff_ms: now - 7 * DAY_MS
                },
            ]
        );
        // Exactly `days` old is kept; a millisecond more is purged.
        let at = now - 7 * DAY_MS;
        assert!(!thumbnail_expired(now, 7, at, at));
        assert!(thumbnail_expired(now, 7, at - 1, at));
        // A box clock running ahead does not keep it longer: the arrival time counts too.
        assert!(thumbnail_expired(
            now,
            1,
            now + 365 * DAY_MS,
            now - 2 * DAY_MS
        ));
        // A box clock running behind purges early, never late.
        assert!(thumbnail_expired(now, 1, now - 2 * DAY_MS, now));
        assert!(!thumbnail_expired(now, 1, now - 1000, now - 1000));
        // No overflow at the edges.
        assert_eq!(cutoff_ms(i64::MIN + 5, 365), i64::MIN);
    }

    proptest! {
        /// The SQL the purge runs (`at_ms < cutoff OR received_at_ms < cutoff`) selects exactly
        /// what `thumbnail_expired` says.
        #[test]
        fn purge_sql_and_rule_agree(now in 0i64..4_000_000_000_000, days in 1u32..=365, at in 0i64..4_000_000_000_000, rec in 0i64..4_000_000_000_000) {
            let step = &purge_plan(now, &[("c".into(), Some(FaceSettings::new(false, i64::from(days)).unwrap()))])[0];
            let sql = at < step.cutoff_ms || rec < step.cutoff_ms;
            prop_assert_eq!(sql, thumbnail_expired(now, days, at, rec));
        }
    }

    #[test]
    fn sha256_is_lower_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
