-- Case management (issue 6). Additive only.

-- The category tree (major → middle → minor), one document for the street.
CREATE TABLE case_categories (
    id            TEXT PRIMARY KEY,
    tree          TEXT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);

-- One row per case: the columns lists filter and sort on (from cases::Case::index), and the
-- whole case as a versioned JSON document (`body`). `at_ms` is when it was reported (lists are
-- newest first); `version` = number of history entries, the optimistic-concurrency guard.
CREATE TABLE cases (
    id              TEXT PRIMARY KEY,
    community_id    TEXT NOT NULL REFERENCES communities(id),
    number          TEXT NOT NULL UNIQUE,
    status          TEXT NOT NULL,
    source          TEXT NOT NULL,
    source_ref      TEXT,
    supervision     BIGINT NOT NULL,
    self_handled    BIGINT NOT NULL,
    category_major  TEXT NOT NULL,
    category_middle TEXT NOT NULL,
    category_minor  TEXT NOT NULL,
    grid1           TEXT NOT NULL,
    grid2           TEXT,
    grid3           TEXT,
    handling_kind   TEXT,
    handling_unit   TEXT,
    handler         TEXT,
    inspector       TEXT,
    dispatcher      TEXT,
    assignee        TEXT,
    deadline_ms     BIGINT,
    extension_open  BIGINT NOT NULL,
    reported_by     TEXT NOT NULL,
    at_ms           BIGINT NOT NULL,
    updated_at_ms   BIGINT NOT NULL,
    keywords        TEXT NOT NULL,
    problem         TEXT NOT NULL,
    location_text   TEXT NOT NULL,
    lat             DOUBLE PRECISION,
    lon             DOUBLE PRECISION,
    version         BIGINT NOT NULL,
    body            TEXT NOT NULL
);
CREATE INDEX cases_scope_time ON cases (community_id, at_ms);
CREATE INDEX cases_scope_status_time ON cases (community_id, status, at_ms);
CREATE INDEX cases_assignee_time ON cases (assignee, at_ms);
CREATE INDEX cases_dispatcher_time ON cases (dispatcher, at_ms);
CREATE INDEX cases_reporter_time ON cases (reported_by, at_ms);
CREATE INDEX cases_time ON cases (at_ms);

CREATE TABLE case_co_handlers (
    case_id    TEXT NOT NULL REFERENCES cases(id),
    account_id TEXT NOT NULL,
    kind       TEXT NOT NULL,
    PRIMARY KEY (case_id, account_id)
);
CREATE INDEX case_co_handlers_account ON case_co_handlers (account_id);

-- Append-only: who did what, when, from which state to which.
CREATE TABLE case_history (
    case_id     TEXT NOT NULL REFERENCES cases(id),
    seq         BIGINT NOT NULL,
    at_ms       BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    op          TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    entry       TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
);

-- Case numbers run per day (AJyyyymmdd-nnnn).
CREATE TABLE case_numbers (
    day  TEXT PRIMARY KEY,
    last BIGINT NOT NULL
);

-- Files attached to cases, stored through the object store (local files by default).
CREATE TABLE attachments (
    id            TEXT PRIMARY KEY,
    community_id  TEXT NOT NULL,
    name          TEXT NOT NULL,
    media_type    TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    storage_key   TEXT NOT NULL,
    uploaded_by   TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX attachments_scope ON attachments (community_id, created_at_ms);
