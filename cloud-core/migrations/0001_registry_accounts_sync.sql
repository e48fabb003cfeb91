-- Portable SQL: this one file runs on SQLite and on PostgreSQL. Ids are text (UUIDv7), times are
-- BIGINT milliseconds since the Unix epoch, flags are BIGINT 0/1 (sqlx's Any driver cannot read
-- SQLite columns declared BOOLEAN). Migrations are additive only.

CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
-- `directory` orders every change an edge box must learn (people, visits, doors): the value
-- is taken inside the writing transaction, so it also orders commits.
INSERT INTO counters (name, value) VALUES ('directory', 0);

CREATE TABLE communities (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);

CREATE TABLE grids (
    id           TEXT PRIMARY KEY,
    community_id TEXT NOT NULL REFERENCES communities(id),
    parent_id    TEXT REFERENCES grids(id),
    level        BIGINT NOT NULL,
    name         TEXT NOT NULL
);

CREATE TABLE estates (
    id           TEXT PRIMARY KEY,
    community_id TEXT NOT NULL REFERENCES communities(id),
    grid_id      TEXT REFERENCES grids(id),
    name         TEXT NOT NULL,
    lat          DOUBLE PRECISION,
    lon          DOUBLE PRECISION
);

CREATE TABLE buildings (
    id           TEXT PRIMARY KEY,
    community_id TEXT NOT NULL REFERENCES communities(id),
    estate_id    TEXT NOT NULL REFERENCES estates(id),
    name         TEXT NOT NULL
);

CREATE TABLE units (
    id           TEXT PRIMARY KEY,
    community_id TEXT NOT NULL REFERENCES communities(id),
    building_id  TEXT NOT NULL REFERENCES buildings(id),
    name         TEXT NOT NULL
);

CREATE TABLE rooms (
    id           TEXT PRIMARY KEY,
    community_id TEXT NOT NULL REFERENCES communities(id),
    unit_id      TEXT NOT NULL REFERENCES units(id),
    name         TEXT NOT NULL
);

-- kind: local | non_local | foreign (residents) | visitor (app sign-ups without a home here).
-- community_id is NULL for visitors. The national ID number is stored encrypted
-- (ChaCha20-Poly1305, key outside the database) with a masked form for display.
CREATE TABLE people (
    id               TEXT PRIMARY KEY,
    community_id     TEXT REFERENCES communities(id),
    name             TEXT NOT NULL,
    kind             TEXT NOT NULL,
    phone            TEXT,
    id_number_sealed TEXT,
    id_number_masked TEXT,
    -- A resident's app account is linked only with a staff-issued activation code (hash, expiry).
    activation_hash  TEXT,
    activation_expires_at_ms BIGINT,
    enabled          BIGINT NOT NULL,
    change_seq       BIGINT NOT NULL,
    created_at_ms    BIGINT NOT NULL
);
CREATE INDEX people_phone ON people (phone);
CREATE INDEX people_change ON people (change_seq);
CREATE INDEX people_community ON people (community_id);

CREATE TABLE addresses (
    person_id     TEXT NOT NULL REFERENCES people(id),
    room_id       TEXT NOT NULL REFERENCES rooms(id),
    community_id  TEXT NOT NULL REFERENCES communities(id),
    estate_id     TEXT NOT NULL REFERENCES estates(id),
    building_id   TEXT NOT NULL,
    unit_id       TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (person_id, room_id)
);
CREATE INDEX addresses_estate ON addresses (estate_id);

CREATE TABLE edge_boxes (
    id                  TEXT PRIMARY KEY,
    community_id        TEXT NOT NULL REFERENCES communities(id),
    estate_id           TEXT NOT NULL REFERENCES estates(id),
    name                TEXT NOT NULL,
    public_key          TEXT,
    code_hash           TEXT,
    code_expires_at_ms  BIGINT,
    revoked             BIGINT NOT NULL,
    provisioned_at_ms   BIGINT,
    last_seen_ms        BIGINT,
    created_at_ms       BIGINT NOT NULL
);
CREATE INDEX edge_boxes_code ON edge_boxes (code_hash);

-- code: the door's id on its box (the box config's [[doors]] id).
CREATE TABLE doors (
    id           TEXT PRIMARY KEY,
    community_id TEXT NOT NULL REFERENCES communities(id),
    estate_id    TEXT NOT NULL REFERENCES estates(id),
    box_id       TEXT NOT NULL REFERENCES edge_boxes(id),
    code         TEXT NOT NULL,
    name         TEXT NOT NULL,
    lat          DOUBLE PRECISION,
    lon          DOUBLE PRECISION,
    mode         TEXT NOT NULL,
    change_seq   BIGINT NOT NULL,
    UNIQUE (box_id, code)
);
CREATE INDEX doors_change ON doors (change_seq);

-- role: street_admin | community_staff | resident | visitor | enterprise
CREATE TABLE accounts (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    community_id  TEXT REFERENCES communities(id),
    person_id     TEXT REFERENCES people(id),
    enabled       BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL
);

-- Only the SHA-256 of a session token is stored.
CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts(id),
    expires_at_ms BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

-- status: pending | approved | refused | cancelled ("visited" is derived: approved and past).
CREATE TABLE visits (
    id                TEXT PRIMARY KEY,
    visitor_person_id TEXT NOT NULL REFERENCES people(id),
    host_person_id    TEXT NOT NULL REFERENCES people(id),
    community_id      TEXT NOT NULL REFERENCES communities(id),
    estate_id         TEXT NOT NULL REFERENCES estates(id),
    visit_at_ms       BIGINT NOT NULL,
    reason            TEXT NOT NULL,
    status            TEXT NOT NULL,
    decided_at_ms     BIGINT,
    created_at_ms     BIGINT NOT NULL,
    change_seq        BIGINT NOT NULL
);
CREATE INDEX visits_estate_change ON visits (estate_id, change_seq);
CREATE INDEX visits_visitor ON visits (visitor_person_id);
CREATE INDEX visits_host ON visits (host_person_id);

CREATE TABLE notifications (
    id            TEXT PRIMARY KEY,
    person_id     TEXT NOT NULL REFERENCES people(id),
    kind          TEXT NOT NULL,
    body          TEXT NOT NULL,
    ref_id        TEXT,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX notifications_person ON notifications (person_id);

-- A resident's request for one more address. crosses_community: the room is in another
-- community than the resident's, so only a street account may decide.
CREATE TABLE address_applications (
    id                TEXT PRIMARY KEY,
    person_id         TEXT NOT NULL REFERENCES people(id),
    room_id           TEXT NOT NULL REFERENCES rooms(id),
    community_id      TEXT NOT NULL REFERENCES communities(id),
    crosses_community BIGINT NOT NULL,
    status            TEXT NOT NULL,
    decided_by        TEXT,
    decided_at_ms     BIGINT,
    note              TEXT NOT NULL,
    created_at_ms     BIGINT NOT NULL
);

CREATE TABLE passes (
    id            TEXT PRIMARY KEY,
    community_id  TEXT NOT NULL,
    estate_id     TEXT NOT NULL,
    box_id        TEXT NOT NULL,
    door_code     TEXT NOT NULL,
    door_id       TEXT,
    person_id     TEXT NOT NULL,
    method        TEXT NOT NULL,
    allowed       BIGINT NOT NULL,
    reason        TEXT NOT NULL,
    grant_id      TEXT,
    command_id    TEXT,
    at_ms         BIGINT NOT NULL,
    received_at_ms BIGINT NOT NULL
);
CREATE INDEX passes_scope_time ON passes (community_id, at_ms);

CREATE TABLE alarm_events (
    id             TEXT PRIMARY KEY,
    community_id   TEXT NOT NULL,
    estate_id      TEXT NOT NULL,
    box_id         TEXT NOT NULL,
    source         TEXT NOT NULL,
    kind           TEXT NOT NULL,
    severity       TEXT NOT NULL,
    state          TEXT NOT NULL,
    detail         TEXT NOT NULL,
    at_ms          BIGINT NOT NULL,
    received_at_ms BIGINT NOT NULL
);
CREATE INDEX alarm_events_scope_time ON alarm_events (community_id, at_ms);

-- Every one-tap command the cloud signed and what became of it.
CREATE TABLE commands (
    id             TEXT PRIMARY KEY,
    community_id   TEXT NOT NULL,
    box_id         TEXT NOT NULL,
    door_id        TEXT NOT NULL,
    person_id      TEXT NOT NULL,
    issued_at_ms   BIGINT NOT NULL,
    outcome        TEXT,
    reason         TEXT,
    finished_at_ms BIGINT
);
