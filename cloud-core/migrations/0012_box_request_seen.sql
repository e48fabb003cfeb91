-- Signed box requests already admitted, until their time window closes (PostgreSQL: replicas
-- share the replay guard here; a single SQLite process keeps it in memory). See replay.rs.
CREATE TABLE box_request_seen (
    signature TEXT PRIMARY KEY,
    until_ms  BIGINT NOT NULL
);
CREATE INDEX box_request_seen_until ON box_request_seen (until_ms);
