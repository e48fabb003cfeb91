-- Face enrolment (issue 4): photos staff upload and review, consent per person, what boxes made
-- of each photo, pass thumbnails and the community's face settings. Additive only.

-- A face photo of a person. The bytes live in the object store under `object_key`; a photo is
-- never edited (a new one gets a new id), so `sha256` identifies the bytes boxes enrol.
-- status: pending_review | approved | rejected | deleted (deleted: the object is removed, the
-- row stays for the record). `community_id` is the person's community (it follows a move).
CREATE TABLE face_photos (
    id             TEXT PRIMARY KEY,
    community_id   TEXT NOT NULL REFERENCES communities(id),
    person_id      TEXT NOT NULL REFERENCES people(id),
    object_key     TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    size_bytes     BIGINT NOT NULL,
    content_type   TEXT NOT NULL,
    status         TEXT NOT NULL,
    uploaded_by    TEXT NOT NULL,
    uploaded_at_ms BIGINT NOT NULL,
    reviewed_by    TEXT,
    reviewed_at_ms BIGINT,
    review_note    TEXT,
    deleted_by     TEXT,
    deleted_at_ms  BIGINT
);
CREATE INDEX face_photos_scope_time ON face_photos (community_id, uploaded_at_ms);
CREATE INDEX face_photos_person ON face_photos (person_id, status);

-- A person's consent to face recognition, separate from any photo: the current state, who
-- recorded it and when. Boxes get a person's approved photos only while `given` = 1.
CREATE TABLE face_consents (
    person_id      TEXT PRIMARY KEY REFERENCES people(id),
    community_id   TEXT NOT NULL REFERENCES communities(id),
    given          BIGINT NOT NULL,
    recorded_by    TEXT NOT NULL,
    recorded_at_ms BIGINT NOT NULL,
    note           TEXT
);

-- Every consent change as it was recorded (the current state is face_consents).
CREATE TABLE face_consent_history (
    id             TEXT PRIMARY KEY,
    person_id      TEXT NOT NULL REFERENCES people(id),
    community_id   TEXT NOT NULL,
    given          BIGINT NOT NULL,
    recorded_by    TEXT NOT NULL,
    recorded_at_ms BIGINT NOT NULL,
    note           TEXT
);
CREATE INDEX face_consent_history_person ON face_consent_history (person_id, recorded_at_ms);

-- What a box made of a photo (uplinked FaceEnrolmentV1). `id` is the box's record id, so a
-- resend is stored once. `reasons` is a JSON array of reason codes. Review shows the latest
-- `at_ms` per (box, photo).
CREATE TABLE face_verdicts (
    id             TEXT PRIMARY KEY,
    community_id   TEXT NOT NULL,
    box_id         TEXT NOT NULL,
    photo_id       TEXT NOT NULL,
    person_id      TEXT NOT NULL,
    accepted       BIGINT NOT NULL,
    reasons        TEXT NOT NULL,
    at_ms          BIGINT NOT NULL,
    received_at_ms BIGINT NOT NULL
);
CREATE INDEX face_verdicts_photo ON face_verdicts (photo_id, at_ms);

-- The face thumbnail a box sent with a pass record (only while the community's
-- face_thumbnail_upload is on). Purged `face_thumbnail_retention_days` after the earlier of the
-- pass time (`at_ms`, box clock) and its arrival (`received_at_ms`, cloud clock).
CREATE TABLE pass_thumbnails (
    pass_id        TEXT PRIMARY KEY,
    community_id   TEXT NOT NULL,
    object_key     TEXT NOT NULL,
    size_bytes     BIGINT NOT NULL,
    at_ms          BIGINT NOT NULL,
    received_at_ms BIGINT NOT NULL
);
CREATE INDEX pass_thumbnails_scope_time ON pass_thumbnails (community_id, at_ms);

-- A community's face settings; a community without a row has the defaults below, which every
-- box delta carries (privacy by default: thumbnails are not uploaded).
CREATE TABLE face_settings (
    community_id                  TEXT PRIMARY KEY REFERENCES communities(id),
    face_thumbnail_upload         BIGINT NOT NULL DEFAULT 0,
    face_thumbnail_retention_days BIGINT NOT NULL DEFAULT 7,
    updated_by                    TEXT NOT NULL,
    updated_at_ms                 BIGINT NOT NULL
);
