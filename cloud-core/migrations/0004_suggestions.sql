-- Residents' suggestions (意见建议, §2.7.3.1); staff may turn one into a case. Additive only.
CREATE TABLE suggestions (
    id            TEXT PRIMARY KEY,
    community_id  TEXT NOT NULL REFERENCES communities(id),
    account_id    TEXT NOT NULL,
    text          TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    case_id       TEXT
);
CREATE INDEX suggestions_scope_time ON suggestions (community_id, created_at_ms);
