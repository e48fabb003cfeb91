-- One-tap commands meet their box across replicas (PostgreSQL): the signed command is kept with
-- its row until the box's long-poll on any replica claims it (delivered_at_ms); NOTIFY only
-- wakes. A single SQLite process hands commands over in memory and leaves these empty.
ALTER TABLE commands ADD COLUMN payload TEXT;
ALTER TABLE commands ADD COLUMN signature TEXT;
ALTER TABLE commands ADD COLUMN expires_at_ms BIGINT;
ALTER TABLE commands ADD COLUMN delivered_at_ms BIGINT;
CREATE INDEX commands_undelivered ON commands (box_id, issued_at_ms) WHERE delivered_at_ms IS NULL;
-- Which boxes hold a long-poll on some replica: online while online_until_ms is ahead (a poll
-- sets it to its end plus a grace; a replica that dies lets it lapse).
CREATE TABLE box_presence (
    box_id          TEXT PRIMARY KEY,
    online_until_ms BIGINT NOT NULL
);
