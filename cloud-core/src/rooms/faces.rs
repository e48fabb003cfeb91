//! Face enrolment over HTTP and SQL (the rules are `crate::faces`, sans-IO).
//!
//! Staff routes (community scoped like the people registry): a person's consent, photo upload,
//! the face review list with what each box made of each photo, approve / reject / delete, the
//! community's face settings, and pass thumbnails. The box route `GET /v1/edge/face-photos/{id}`
//! hands a box the bytes of a photo it was sent. `rooms::edge` calls [`photos_for`] and
//! [`settings_of`] when it builds a delta and [`store_verdict`] / [`store_thumbnails`] when a
//! batch comes up; [`purge_thumbnails`] runs hourly (a job in `jobs.rs`).
//!
//! Every change that alters the photos boxes are sent for a person (approve, reject or delete
//! of an approved photo, consent given or withdrawn) gives the person a new directory change
//! number, in the same transaction: every box of their estate gets the person again, with the
//! whole list, on its next sync. Images and tokens are never logged; ids and sizes are.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::{Extension, Json};
use edge_sync::directory::FacePhotoV1;
use edge_sync::sync::{FaceEnrolmentV1, PassV1};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::contract::{Created, File, Image, NoContent};
use crate::db::{next_change_seq, RowExt};
use crate::error::{text, ApiError, ApiResult, Body, Q};
use crate::faces::{self, FaceSettings, PhotoStatus, ReviewError, ReviewOp, Verdict};
use crate::paging::Page;
use crate::policy::{Caller, EdgeBox};
use crate::state::AppState;
use crate::{new_id, now_ms};

/// How often the cloud purges pass thumbnails past their community's retention.
pub const PURGE_INTERVAL: Duration = Duration::from_secs(3600);
/// Thumbnails removed per statement while purging.
const PURGE_BATCH: i64 = 500;

// ---- API types (v1) --------------------------------------------------------------------------

/// A person's face consent as just recorded.
#[derive(Serialize, JsonSchema)]
pub struct FaceConsentV1 {
    pub person_id: String,
    pub given: bool,
    /// The name of the staff account that recorded it.
    pub recorded_by: String,
    pub recorded_at_ms: i64,
    pub note: Option<String>,
}

/// `POST …/people/{person_id}/face-photos` answers with the photo stored.
#[derive(Serialize, JsonSchema)]
pub struct FacePhotoUploadedV1 {
    pub id: String,
    pub person_id: String,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    pub size_bytes: i64,
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    /// Always `pending_review`.
    pub status: PhotoStatus,
}

/// One face photo as staff review it: its person, their consent, and what each box made of it.
#[derive(Serialize, JsonSchema)]
pub struct FaceReviewPhotoV1 {
    pub id: String,
    pub person_id: String,
    pub person_name: String,
    pub status: PhotoStatus,
    pub content_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at_ms: i64,
    /// Who last approved or rejected it.
    pub reviewed_by: Option<String>,
    pub reviewed_at_ms: Option<i64>,
    pub review_note: Option<String>,
    pub deleted_by: Option<String>,
    pub deleted_at_ms: Option<i64>,
    pub consent: PhotoConsentV1,
    /// Whether boxes are sent this photo (approved, and consent given).
    pub sent_to_boxes: bool,
    /// The latest verdict of each box, by box id.
    pub verdicts: Vec<Verdict>,
    /// What the boxes made of it: `waiting`, `enrolled` or `refused`.
    pub enrolment: String,
    /// When refused: the refusing boxes' reasons, each once.
    pub refusal_reasons: Vec<String>,
}

/// The consent of a photo's person; `given` is false and the rest `null` when none was recorded.
#[derive(Serialize, JsonSchema)]
pub struct PhotoConsentV1 {
    pub given: bool,
    pub recorded_by: Option<String>,
    pub recorded_at_ms: Option<i64>,
    pub note: Option<String>,
}

/// A community's face settings.
#[derive(Serialize, JsonSchema)]
pub struct FaceSettingsV1 {
    /// Whether boxes upload the face thumbnail of a pass.
    pub face_thumbnail_upload: bool,
    /// How long the cloud keeps pass thumbnails.
    pub face_thumbnail_retention_days: u32,
    /// Who last saved them; `null` while they are the defaults.
    pub updated_by: Option<String>,
    pub updated_at_ms: Option<i64>,
}

async fn staff_name(st: &AppState, caller: &Caller) -> ApiResult<String> {
    match caller {
        Caller::Account(a) => crate::scope::username(st, &a.id).await,
        _ => Err(ApiError::forbidden("an account is needed")),
    }
}

/// The person takes a new change number: boxes of their estate get them (and their photos) again.
pub(crate) async fn bump_person(
    tx: &mut sqlx::AnyConnection,
    person_id: &str,
) -> Result<(), sqlx::Error> {
    let seq = next_change_seq(tx).await?;
    sqlx::query("UPDATE people SET change_seq = $1 WHERE id = $2")
        .bind(seq)
        .bind(person_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

async fn read_object(st: &AppState, key: String) -> ApiResult<Option<Vec<u8>>> {
    let store = st.objects.clone();
    match tokio::task::spawn_blocking(move || store.get(&key))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
    {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ApiError::object_store(e)),
    }
}

fn image(content_type: String, bytes: Vec<u8>) -> ApiResult<File<Image>> {
    // Faces are personal data: no cache keeps a copy.
    File::new(&content_type, bytes)?.with_header(header::CACHE_CONTROL, "no-store")
}

fn optional_note(note: Option<&str>) -> ApiResult<Option<String>> {
    match note.map(str::trim) {
        None | Some("") => Ok(None),
        Some(n) => text("note", n, faces::MAX_NOTE_CHARS).map(Some),
    }
}

// ---- consent ---------------------------------------------------------------------------------

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentBody {
    given: bool,
    #[serde(default)]
    note: Option<String>,
}

/// `PUT …/people/{person_id}/face-consent`: record that the person gave (or withdrew) consent.
pub async fn put_consent(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((cid, pid)): Path<(String, String)>,
    Body(b): Body<ConsentBody>,
) -> ApiResult<Json<FaceConsentV1>> {
    let note = optional_note(b.note.as_deref())?;
    let by = staff_name(&st, &caller).await?;
    let now = now_ms();
    let mut tx = st.db.pool.begin().await?;
    crate::scope::InCommunity::new(&cid)
        .in_path(&mut *tx, crate::scope::Kind::Person, &pid)
        .await?;
    let before = sqlx::query("SELECT given FROM face_consents WHERE person_id = $1")
        .bind(&pid)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.flag("given"))
        .transpose()?
        .unwrap_or(false);
    sqlx::query(
        "INSERT INTO face_consents (person_id, community_id, given, recorded_by, recorded_at_ms, note) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (person_id) DO UPDATE SET \
         community_id = excluded.community_id, given = excluded.given, recorded_by = excluded.recorded_by, \
         recorded_at_ms = excluded.recorded_at_ms, note = excluded.note",
    )
    .bind(&pid)
    .bind(&cid)
    .bind(i64::from(b.given))
    .bind(&by)
    .bind(now)
    .bind(note.clone())
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO face_consent_history (id, person_id, community_id, given, recorded_by, recorded_at_ms, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(new_id())
    .bind(&pid)
    .bind(&cid)
    .bind(i64::from(b.given))
    .bind(&by)
    .bind(now)
    .bind(note.clone())
    .execute(&mut *tx)
    .await?;
    if before != b.given {
        bump_person(&mut tx, &pid).await?;
    }
    tx.commit().await?;
    tracing::info!(person_id = %pid, given = b.given, "face consent recorded");
    Ok(Json(FaceConsentV1 {
        person_id: pid,
        given: b.given,
        recorded_by: by,
        recorded_at_ms: now,
        note,
    }))
}

// ---- photos ----------------------------------------------------------------------------------

/// `POST …/people/{person_id}/face-photos`: raw JPEG or PNG body (at most 4 MiB, whatever
/// `max_body_bytes` says), stored as pending review.
pub async fn upload(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((cid, pid)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> ApiResult<Created<FacePhotoUploadedV1>> {
    crate::scope::InCommunity::new(&cid)
        .in_path(&st.db.pool, crate::scope::Kind::Person, &pid)
        .await?;
    let bytes = axum::body::to_bytes(body, faces::MAX_PHOTO_BYTES)
        .await
        .map_err(|_| {
            let mut e = ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "photo_too_large",
                format!(
                    "field `body`: a face photo may be at most {} bytes",
                    faces::MAX_PHOTO_BYTES
                ),
            );
            e.field = Some("body".into());
            e
        })?;
    if bytes.is_empty() {
        return Err(ApiError::invalid("body", "the photo is empty"));
    }
    let kind = faces::sniff(&bytes)
        .ok_or_else(|| ApiError::invalid("body", "a face photo must be a JPEG or PNG image"))?;
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if declared != kind {
        return Err(ApiError::invalid(
            "content-type",
            format!("the photo is {kind}, not `{declared}`"),
        ));
    }
    let active = sqlx::query(
        "SELECT COUNT(*) AS n FROM face_photos WHERE person_id = $1 AND status IN ('pending_review', 'approved')",
    )
    .bind(&pid)
    .fetch_one(&st.db.pool)
    .await?
    .int("n")?;
    if active >= faces::MAX_ACTIVE_PHOTOS as i64 {
        return Err(ApiError::conflict(
            "too_many_photos",
            format!(
                "the person has {active} photos pending review or approved (at most {}); reject or delete one first",
                faces::MAX_ACTIVE_PHOTOS
            ),
        ));
    }
    let by = staff_name(&st, &caller).await?;
    let id = new_id();
    let sha = faces::sha256_hex(&bytes);
    // Bytes first, then the row: a row never points at a file that is not there.
    let store = st.objects.clone();
    let (key, data) = (id.clone(), bytes.to_vec());
    tokio::task::spawn_blocking(move || store.put(&key, &data))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(ApiError::object_store)?;
    sqlx::query(
        "INSERT INTO face_photos (id, community_id, person_id, object_key, sha256, size_bytes, content_type, status, uploaded_by, uploaded_at_ms) \
         VALUES ($1, $2, $3, $1, $4, $5, $6, 'pending_review', $7, $8)",
    )
    .bind(&id)
    .bind(&cid)
    .bind(&pid)
    .bind(&sha)
    .bind(bytes.len() as i64)
    .bind(kind)
    .bind(&by)
    .bind(now_ms())
    .execute(&st.db.pool)
    .await?;
    tracing::info!(photo_id = %id, person_id = %pid, size_bytes = bytes.len(), "face photo uploaded");
    Ok(Created(FacePhotoUploadedV1 {
        id,
        person_id: pid,
        sha256: sha,
        size_bytes: bytes.len() as i64,
        content_type: kind.to_string(),
        status: PhotoStatus::PendingReview,
    }))
}

/// A photo with its person and their consent; `at_ms` is the upload time (the list's order).
const PHOTO_SELECT: &str = "SELECT x.* FROM (SELECT f.id, f.community_id, f.person_id, f.status, f.sha256, \
     f.size_bytes, f.content_type, f.uploaded_by, f.uploaded_at_ms AS at_ms, f.reviewed_by, f.reviewed_at_ms, \
     f.review_note, f.deleted_by, f.deleted_at_ms, p.name AS person_name, c.given AS consent_given, \
     c.recorded_by AS consent_by, c.recorded_at_ms AS consent_at_ms, c.note AS consent_note \
     FROM face_photos f JOIN people p ON p.id = f.person_id \
     LEFT JOIN face_consents c ON c.person_id = f.person_id) x";

/// Every verdict on these photos, oldest first.
async fn verdicts_for(st: &AppState, ids: &[String]) -> ApiResult<HashMap<String, Vec<Verdict>>> {
    let mut out: HashMap<String, Vec<Verdict>> = HashMap::new();
    for chunk in ids.chunks(500) {
        if chunk.is_empty() {
            continue;
        }
        let sql = format!(
            "SELECT id, photo_id, box_id, accepted, reasons, at_ms FROM face_verdicts \
             WHERE photo_id IN ({}) ORDER BY at_ms, id",
            crate::scope::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id);
        }
        for r in q.fetch_all(&st.db.pool).await? {
            let reasons: Vec<String> = serde_json::from_str(&r.text("reasons")?).map_err(|e| {
                ApiError::internal(format!("stored verdict reasons unreadable: {e}"))
            })?;
            out.entry(r.text("photo_id")?).or_default().push(Verdict {
                box_id: r.text("box_id")?,
                accepted: r.flag("accepted")?,
                reasons,
                at_ms: r.int("at_ms")?,
            });
        }
    }
    Ok(out)
}

fn photo_json(r: &sqlx::any::AnyRow, verdicts: Vec<Verdict>) -> ApiResult<FaceReviewPhotoV1> {
    let status = PhotoStatus::parse(&r.text("status")?)
        .ok_or_else(|| ApiError::internal("stored face photo has an unknown status"))?;
    let consent = r.opt_int("consent_given")? == Some(1);
    let latest = faces::latest_per_box(verdicts);
    let summary = faces::enrolment(&latest);
    let reasons = match &summary {
        faces::Enrolment::Refused { reasons } => reasons.clone(),
        _ => Vec::new(),
    };
    Ok(FaceReviewPhotoV1 {
        id: r.text("id")?,
        person_id: r.text("person_id")?,
        person_name: r.text("person_name")?,
        status,
        content_type: r.text("content_type")?,
        size_bytes: r.int("size_bytes")?,
        sha256: r.text("sha256")?,
        uploaded_by: r.text("uploaded_by")?,
        uploaded_at_ms: r.int("at_ms")?,
        reviewed_by: r.opt_text("reviewed_by")?,
        reviewed_at_ms: r.opt_int("reviewed_at_ms")?,
        review_note: r.opt_text("review_note")?,
        deleted_by: r.opt_text("deleted_by")?,
        deleted_at_ms: r.opt_int("deleted_at_ms")?,
        consent: PhotoConsentV1 {
            given: consent,
            recorded_by: r.opt_text("consent_by")?,
            recorded_at_ms: r.opt_int("consent_at_ms")?,
            note: r.opt_text("consent_note")?,
        },
        sent_to_boxes: faces::sent_to_boxes(status, consent),
        verdicts: latest,
        enrolment: summary.code().to_string(),
        refusal_reasons: reasons,
    })
}

async fn load_photo(st: &AppState, cid: &str, id: &str) -> ApiResult<FaceReviewPhotoV1> {
    let mut f = crate::paging::Filter::new(cid, "x");
    f.opt_s("x.id = $?", &Some(id.to_string()));
    let rows = f.fetch(st, PHOTO_SELECT, 1, "x").await?;
    let r = rows
        .first()
        .ok_or_else(|| ApiError::not_found("face photo"))?;
    let mut v = verdicts_for(st, &[id.to_string()]).await?;
    photo_json(r, v.remove(id).unwrap_or_default())
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    person_id: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
    #[serde(default)]
    before: Option<String>,
}

/// `GET …/face-photos`: the face review list, newest upload first, keyset pages; deleted photos
/// only when asked for (`status=deleted`).
pub async fn list(
    State(st): State<AppState>,
    Path(cid): Path<String>,
    Q(q): Q<ListQuery>,
) -> ApiResult<Json<Page<FaceReviewPhotoV1>>> {
    let lim = crate::paging::limit(q.limit)?;
    let mut f = crate::paging::Filter::new(&cid, "x");
    match q.status.as_deref() {
        None => f.raw("x.status <> 'deleted'"),
        Some(s) => {
            let s = PhotoStatus::parse(s).ok_or_else(|| {
                ApiError::invalid(
                    "status",
                    "must be pending_review, approved, rejected or deleted",
                )
            })?;
            f.opt_s("x.status = $?", &Some(s.code().to_string()));
        }
    }
    f.opt_s("x.person_id = $?", &q.person_id);
    f.before("x", &q.before)?;
    let rows = f.fetch(&st, PHOTO_SELECT, lim, "x").await?;
    let ids = rows
        .iter()
        .map(|r| r.text("id"))
        .collect::<Result<Vec<_>, _>>()?;
    let mut verdicts = verdicts_for(&st, &ids).await?;
    let items = rows
        .iter()
        .zip(&ids)
        .map(|(r, id)| photo_json(r, verdicts.remove(id).unwrap_or_default()))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(Page::new(items, lim, |p| (p.uploaded_at_ms, &p.id))))
}

/// `GET …/face-photos/{photo_id}`.
pub async fn get(
    State(st): State<AppState>,
    Path((cid, id)): Path<(String, String)>,
) -> ApiResult<Json<FaceReviewPhotoV1>> {
    Ok(Json(load_photo(&st, &cid, &id).await?))
}

/// `GET …/face-photos/{photo_id}/image`: the bytes (not for deleted photos: they are gone).
pub async fn get_image(
    State(st): State<AppState>,
    Path((cid, id)): Path<(String, String)>,
) -> ApiResult<File<Image>> {
    let r = sqlx::query(
        "SELECT object_key, content_type FROM face_photos \
         WHERE id = $1 AND community_id = $2 AND status <> 'deleted'",
    )
    .bind(&id)
    .bind(&cid)
    .fetch_optional(&st.db.pool)
    .await?
    .ok_or_else(|| ApiError::not_found("face photo"))?;
    let bytes = read_object(&st, r.text("object_key")?)
        .await?
        .ok_or_else(|| ApiError::not_found("face photo"))?;
    image(r.text("content_type")?, bytes)
}

/// Approve, reject or delete, as the sans-IO rules allow; the person is re-sent when the list
/// of photos boxes get changes. Returns the new status, or `None` for a repeated delete.
async fn review(
    st: &AppState,
    caller: &Caller,
    cid: &str,
    id: &str,
    op: ReviewOp,
    note: Option<String>,
) -> ApiResult<Option<PhotoStatus>> {
    let by = staff_name(st, caller).await?;
    let now = now_ms();
    let mut tx = st.db.pool.begin().await?;
    let row = sqlx::query(
        "SELECT f.status, f.person_id, f.object_key, c.given FROM face_photos f \
         LEFT JOIN face_consents c ON c.person_id = f.person_id WHERE f.id = $1 AND f.community_id = $2",
    )
    .bind(id)
    .bind(cid)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::not_found("face photo"))?;
    let old = PhotoStatus::parse(&row.text("status")?)
        .ok_or_else(|| ApiError::internal("stored face photo has an unknown status"))?;
    let consent = row.opt_int("given")? == Some(1);
    let new = match old.apply(op, consent) {
        Ok(n) => n,
        // DELETE is idempotent.
        Err(ReviewError::AlreadyDeleted) => return Ok(None),
        Err(e) => return Err(ApiError::conflict(e.code(), e.to_string())),
    };
    // `WHERE status = <the status read>`: of two staff deciding at once, the second gets 409.
    let update = if op == ReviewOp::Delete {
        sqlx::query(
            "UPDATE face_photos SET status = $1, deleted_by = $2, deleted_at_ms = $3 \
             WHERE id = $4 AND status = $5",
        )
    } else {
        sqlx::query(
            "UPDATE face_photos SET status = $1, reviewed_by = $2, reviewed_at_ms = $3, review_note = $6 \
             WHERE id = $4 AND status = $5",
        )
    };
    let mut update = update
        .bind(new.code())
        .bind(&by)
        .bind(now)
        .bind(id)
        .bind(old.code());
    if op != ReviewOp::Delete {
        update = update.bind(note);
    }
    let n = update.execute(&mut *tx).await?.rows_affected();
    if n == 0 {
        return Err(ApiError::conflict(
            "photo_changed",
            "the photo changed meanwhile; reload it",
        ));
    }
    let person = row.text("person_id")?;
    if faces::sent_to_boxes(old, consent) != faces::sent_to_boxes(new, consent) {
        bump_person(&mut tx, &person).await?;
    }
    if new == PhotoStatus::Deleted {
        // The bytes go before the commit: if the commit fails the photo stays as it was (and a
        // retry removes nothing twice); a committed deletion never leaves the bytes behind.
        let store = st.objects.clone();
        let key = row.text("object_key")?;
        tokio::task::spawn_blocking(move || store.delete(&key))
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?
            .map_err(ApiError::object_store)?;
    }
    tx.commit().await?;
    tracing::info!(photo_id = %id, person_id = %person, from = old.code(), to = new.code(), "face photo reviewed");
    Ok(Some(new))
}

/// `POST …/face-photos/{photo_id}/approve` (409 `consent_missing` without consent).
pub async fn approve(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((cid, id)): Path<(String, String)>,
) -> ApiResult<Json<FaceReviewPhotoV1>> {
    review(&st, &caller, &cid, &id, ReviewOp::Approve, None).await?;
    Ok(Json(load_photo(&st, &cid, &id).await?))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    note: String,
}

/// `POST …/face-photos/{photo_id}/reject {note}`.
pub async fn reject(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((cid, id)): Path<(String, String)>,
    Body(b): Body<RejectBody>,
) -> ApiResult<Json<FaceReviewPhotoV1>> {
    let note = text("note", &b.note, faces::MAX_NOTE_CHARS)?;
    review(&st, &caller, &cid, &id, ReviewOp::Reject, Some(note)).await?;
    Ok(Json(load_photo(&st, &cid, &id).await?))
}

/// `DELETE …/face-photos/{photo_id}`: status `deleted`, the bytes removed.
pub async fn delete(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((cid, id)): Path<(String, String)>,
) -> ApiResult<NoContent> {
    review(&st, &caller, &cid, &id, ReviewOp::Delete, None).await?;
    Ok(NoContent)
}

// ---- settings --------------------------------------------------------------------------------

/// A community's face settings (the defaults when none were saved).
pub async fn settings_of(
    pool: &sqlx::AnyPool,
    community: &str,
) -> Result<FaceSettings, sqlx::Error> {
    let row = sqlx::query(
        "SELECT face_thumbnail_upload, face_thumbnail_retention_days FROM face_settings WHERE community_id = $1",
    )
    .bind(community)
    .fetch_optional(pool)
    .await?;
    match row {
        None => Ok(FaceSettings::default()),
        Some(r) => FaceSettings::new(
            r.flag("face_thumbnail_upload")?,
            r.int("face_thumbnail_retention_days")?,
        )
        .map_err(|e| sqlx::Error::Decode(Box::new(e))),
    }
}

/// `GET …/face-settings`.
pub async fn get_settings(
    State(st): State<AppState>,
    Path(cid): Path<String>,
) -> ApiResult<Json<FaceSettingsV1>> {
    if !crate::scope::community_exists(&st, &cid).await? {
        return Err(ApiError::not_found("community"));
    }
    let who =
        sqlx::query("SELECT updated_by, updated_at_ms FROM face_settings WHERE community_id = $1")
            .bind(&cid)
            .fetch_optional(&st.db.pool)
            .await?;
    let s = settings_of(&st.db.pool, &cid).await?;
    Ok(Json(FaceSettingsV1 {
        face_thumbnail_upload: s.thumbnail_upload,
        face_thumbnail_retention_days: s.thumbnail_retention_days,
        updated_by: who.as_ref().map(|r| r.text("updated_by")).transpose()?,
        updated_at_ms: who.as_ref().map(|r| r.int("updated_at_ms")).transpose()?,
    }))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsBody {
    face_thumbnail_upload: bool,
    face_thumbnail_retention_days: i64,
}

/// `PUT …/face-settings`: boxes follow on their next sync (every delta carries the settings).
pub async fn put_settings(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(cid): Path<String>,
    Body(b): Body<SettingsBody>,
) -> ApiResult<Json<FaceSettingsV1>> {
    let s = FaceSettings::new(b.face_thumbnail_upload, b.face_thumbnail_retention_days)
        .map_err(|e| ApiError::invalid(e.field, e.reason))?;
    if !crate::scope::community_exists(&st, &cid).await? {
        return Err(ApiError::not_found("community"));
    }
    let by = staff_name(&st, &caller).await?;
    let now = now_ms();
    sqlx::query(
        "INSERT INTO face_settings (community_id, face_thumbnail_upload, face_thumbnail_retention_days, updated_by, updated_at_ms) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (community_id) DO UPDATE SET \
         face_thumbnail_upload = excluded.face_thumbnail_upload, \
         face_thumbnail_retention_days = excluded.face_thumbnail_retention_days, \
         updated_by = excluded.updated_by, updated_at_ms = excluded.updated_at_ms",
    )
    .bind(&cid)
    .bind(i64::from(s.thumbnail_upload))
    .bind(i64::from(s.thumbnail_retention_days))
    .bind(&by)
    .bind(now)
    .execute(&st.db.pool)
    .await?;
    tracing::info!(community_id = %cid, thumbnail_upload = s.thumbnail_upload,
                   retention_days = s.thumbnail_retention_days, "face settings saved");
    Ok(Json(FaceSettingsV1 {
        face_thumbnail_upload: s.thumbnail_upload,
        face_thumbnail_retention_days: s.thumbnail_retention_days,
        updated_by: Some(by),
        updated_at_ms: Some(now),
    }))
}

// ---- pass thumbnails -------------------------------------------------------------------------

/// `GET …/passes/{pass_id}/thumbnail`: the face thumbnail of a pass, while it is kept.
pub async fn pass_thumbnail(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((cid, pass_id)): Path<(String, String)>,
) -> ApiResult<File<Image>> {
    let r = sqlx::query(
        "SELECT object_key FROM pass_thumbnails WHERE pass_id = $1 AND community_id = $2",
    )
    .bind(&pass_id)
    .bind(&cid)
    .fetch_optional(&st.db.pool)
    .await?
    .ok_or_else(|| ApiError::not_found("pass thumbnail"))?;
    let bytes = read_object(&st, r.text("object_key")?)
        .await?
        .ok_or_else(|| ApiError::not_found("pass thumbnail"))?;
    // Who looked at whose face is worth knowing (the face itself is not logged).
    if let Caller::Account(a) = &caller {
        tracing::info!(account_id = %a.id, pass_id = %pass_id, "pass thumbnail viewed");
    }
    image("image/jpeg".into(), bytes)
}

/// Keep the thumbnails of newly stored face passes, inside the uplink's transaction, if the
/// community uploads thumbnails; otherwise, or when one is not a small JPEG, drop it (logged with
/// the reason, never the image) — the pass is stored either way. A pass already stored keeps what
/// it had (its thumbnail may have been purged since). Returns the thumbnails kept.
pub(crate) async fn store_thumbnails(
    st: &AppState,
    tx: &mut sqlx::AnyConnection,
    bx: &EdgeBox,
    passes: &[&PassV1],
    settings: FaceSettings,
    received: i64,
) -> ApiResult<u64> {
    let with: Vec<(&PassV1, &str)> = passes
        .iter()
        .filter_map(|p| p.face_thumbnail.as_deref().map(|t| (*p, t)))
        .collect();
    if with.is_empty() {
        return Ok(0);
    }
    if !settings.thumbnail_upload {
        tracing::info!(box_id = %bx.box_id, dropped = with.len(),
                       "face thumbnails dropped: this community does not upload them");
        return Ok(0);
    }
    let mut keep: Vec<(&PassV1, Vec<u8>)> = Vec::new();
    for (p, b64) in with {
        if p.method != "face" {
            tracing::warn!(box_id = %bx.box_id, pass_id = %p.id, reason = "not a face pass",
                           "face thumbnail dropped");
            continue;
        }
        match faces::thumbnail(b64) {
            Ok(bytes) => keep.push((p, bytes)),
            Err(e) => tracing::warn!(box_id = %bx.box_id, pass_id = %p.id, reason = %e,
                                     "face thumbnail dropped"),
        }
    }
    if keep.is_empty() {
        return Ok(0);
    }
    let ids: Vec<String> = keep.iter().map(|(p, _)| p.id.to_string()).collect();
    let mut known: std::collections::HashSet<String> = Default::default();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT id FROM passes WHERE id IN ({})",
            crate::scope::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id);
        }
        for r in q.fetch_all(&mut *tx).await? {
            known.insert(r.text("id")?);
        }
    }
    let fresh: Vec<(String, &PassV1, Vec<u8>)> = keep
        .into_iter()
        .filter(|(p, _)| !known.contains(&p.id.to_string()))
        .map(|(p, b)| (format!("thumb-{}", p.id), p, b))
        .collect();
    if fresh.is_empty() {
        return Ok(0);
    }
    // Bytes before rows (a row never points at nothing); one blocking call for the batch.
    let store = st.objects.clone();
    let objects: Vec<(String, Vec<u8>)> = fresh
        .iter()
        .map(|(k, _, b)| (k.clone(), b.clone()))
        .collect();
    tokio::task::spawn_blocking(move || objects.iter().try_for_each(|(k, b)| store.put(k, b)))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(ApiError::object_store)?;
    let mut stored = 0;
    for (key, p, bytes) in &fresh {
        stored += sqlx::query(
            "INSERT INTO pass_thumbnails (pass_id, community_id, object_key, size_bytes, at_ms, received_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (pass_id) DO NOTHING",
        )
        .bind(p.id.to_string())
        .bind(&bx.community_id)
        .bind(key)
        .bind(bytes.len() as i64)
        .bind(p.at_ms)
        .bind(received)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    Ok(stored)
}

// ---- the box's side --------------------------------------------------------------------------

/// The photos boxes are sent for these people: approved, consent given, oldest first.
pub(crate) async fn photos_for(
    pool: &sqlx::AnyPool,
    people: &[String],
) -> Result<HashMap<String, Vec<FacePhotoV1>>, sqlx::Error> {
    let mut out: HashMap<String, Vec<FacePhotoV1>> = HashMap::new();
    for chunk in people.chunks(500) {
        if chunk.is_empty() {
            continue;
        }
        let sql = format!(
            "SELECT f.person_id, f.id, f.sha256 FROM face_photos f \
             JOIN face_consents c ON c.person_id = f.person_id \
             WHERE f.status = 'approved' AND c.given = 1 AND f.person_id IN ({}) \
             ORDER BY f.uploaded_at_ms, f.id",
            crate::scope::placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            q = q.bind(id);
        }
        for r in q.fetch_all(pool).await? {
            out.entry(r.text("person_id")?)
                .or_default()
                .push(FacePhotoV1 {
                    id: r.text("id")?,
                    sha256: r.text("sha256")?,
                });
        }
    }
    Ok(out)
}

/// A box's verdict on a photo; stored once per record id. Returns rows stored (0 on a resend).
pub(crate) async fn store_verdict(
    tx: &mut sqlx::AnyConnection,
    bx: &EdgeBox,
    f: &FaceEnrolmentV1,
    received: i64,
) -> Result<u64, sqlx::Error> {
    let reasons = serde_json::to_string(&faces::clip_reasons(&f.reasons))
        .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    // Only a verdict on a photo of a person this box was sent is kept; anything else is
    // dropped (answered, so the box's outbox moves on) and logged without the ids' owners.
    let sql = format!(
        "SELECT 1 AS ok FROM face_photos f WHERE f.id = $1 AND f.person_id = $2 AND {}",
        crate::scope::sent_to_box_sql("f.person_id", "$3")
    );
    let sent = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&f.photo_id)
        .bind(&f.person_id)
        .bind(&bx.box_id)
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
    if !sent {
        tracing::warn!(box_id = %bx.box_id, record_id = %f.id,
                       "face verdict about a photo this box was never sent; dropped");
        return Ok(0);
    }
    Ok(sqlx::query(
        "INSERT INTO face_verdicts (id, community_id, box_id, photo_id, person_id, accepted, reasons, at_ms, received_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING",
    )
    .bind(f.id.to_string())
    .bind(&bx.community_id)
    .bind(&bx.box_id)
    .bind(&f.photo_id)
    .bind(&f.person_id)
    .bind(i64::from(f.accepted))
    .bind(reasons)
    .bind(f.at_ms)
    .bind(received)
    .execute(&mut *tx)
    .await?
    .rows_affected())
}

/// `GET /v1/edge/face-photos/{photo_id}`: the bytes, only for a photo this box is sent —
/// approved, consent given, its person has rights at the box's estate (an address there, or an
/// approved visit there: `scope::rights_at_estate`, the rule that makes the person an upsert in
/// the box's delta) and is in the box's ledger. Anything else is 404, whoever's photo it is.
pub async fn edge_photo(
    State(st): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<File<Image>> {
    let Caller::Edge(bx) = &caller else {
        return Err(ApiError::forbidden("only edge boxes may call this"));
    };
    let sql = format!(
        "SELECT f.object_key, f.content_type, f.size_bytes FROM face_photos f \
         JOIN face_consents c ON c.person_id = f.person_id \
         WHERE f.id = $1 AND f.status = 'approved' AND c.given = 1 AND {} AND {}",
        crate::scope::rights_at_estate_sql("f.person_id", "$2"),
        crate::scope::sent_to_box_sql("f.person_id", "$3"),
    );
    let r = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&id)
        .bind(&bx.estate_id)
        .bind(&bx.box_id)
        .fetch_optional(&st.db.pool)
        .await?
        .ok_or_else(|| ApiError::not_found("face photo"))?;
    let bytes = read_object(&st, r.text("object_key")?)
        .await?
        .ok_or_else(|| ApiError::not_found("face photo"))?;
    tracing::debug!(box_id = %bx.box_id, photo_id = %id, size_bytes = bytes.len(), "face photo fetched by box");
    image(r.text("content_type")?, bytes)
}

// ---- retention -------------------------------------------------------------------------------

/// What one purge did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PurgeReport {
    /// Thumbnails removed (bytes and row).
    pub deleted: u64,
    /// Thumbnails whose bytes could not be removed; their rows stay, the next purge retries.
    pub failed: u64,
}

/// Remove every pass thumbnail past its community's retention at `now_ms` (see
/// `faces::thumbnail_expired`): bytes first, then the row.
pub async fn purge_thumbnails(st: &AppState, now_ms: i64) -> Result<PurgeReport, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT DISTINCT t.community_id, s.face_thumbnail_upload, s.face_thumbnail_retention_days \
         FROM pass_thumbnails t LEFT JOIN face_settings s ON s.community_id = t.community_id",
    )
    .fetch_all(&st.db.pool)
    .await?;
    let mut communities = Vec::new();
    for r in &rows {
        let saved = match (
            r.opt_int("face_thumbnail_upload")?,
            r.opt_int("face_thumbnail_retention_days")?,
        ) {
            (Some(u), Some(d)) => {
                Some(FaceSettings::new(u != 0, d).map_err(|e| sqlx::Error::Decode(Box::new(e)))?)
            }
            _ => None,
        };
        communities.push((r.text("community_id")?, saved));
    }
    let mut report = PurgeReport::default();
    for step in faces::purge_plan(now_ms, &communities) {
        let mut after = String::new();
        loop {
            let batch = sqlx::query(
                "SELECT pass_id, object_key FROM pass_thumbnails WHERE community_id = $1 \
                 AND (at_ms < $2 OR received_at_ms < $2) AND pass_id > $3 ORDER BY pass_id LIMIT $4",
            )
            .bind(&step.community_id)
            .bind(step.cutoff_ms)
            .bind(&after)
            .bind(PURGE_BATCH)
            .fetch_all(&st.db.pool)
            .await?;
            let Some(last) = batch.last() else { break };
            after = last.text("pass_id")?;
            let keys: Vec<(String, String)> = batch
                .iter()
                .map(|r| Ok((r.text("pass_id")?, r.text("object_key")?)))
                .collect::<Result<_, sqlx::Error>>()?;
            let store = st.objects.clone();
            let outcome = tokio::task::spawn_blocking(move || {
                keys.into_iter()
                    .map(|(id, key)| {
                        let r = store.delete(&key);
                        (id, r)
                    })
                    .collect::<Vec<_>>()
            })
            .await
            .map_err(|e| sqlx::Error::Io(std::io::Error::other(e)))?;
            let mut gone = Vec::new();
            for (id, r) in outcome {
                match r {
                    Ok(()) => gone.push(id),
                    Err(e) => {
                        report.failed += 1;
                        tracing::warn!(pass_id = %id, error = %e, "pass thumbnail could not be removed; kept for the next purge");
                    }
                }
            }
            if !gone.is_empty() {
                let sql = format!(
                    "DELETE FROM pass_thumbnails WHERE pass_id IN ({})",
                    crate::scope::placeholders(1, gone.len())
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for id in &gone {
                    q = q.bind(id);
                }
                report.deleted += q.execute(&st.db.pool).await?.rows_affected();
            }
            if (batch.len() as i64) < PURGE_BATCH {
                break;
            }
        }
    }
    if report.deleted + report.failed > 0 {
        tracing::info!(
            deleted = report.deleted,
            failed = report.failed,
            communities = communities.len(),
            "pass thumbnails purged"
        );
    }
    Ok(report)
}
