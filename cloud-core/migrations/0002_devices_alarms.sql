-- Smoke detectors, elevators and alarms as staff manage them (issue 5). Additive only.

-- A device on an edge box's MQTT broker. `code` is the id in its topics, as the box knows it.
-- Registering, moving or removing one is a directory change the box learns on its next sync;
-- removal only disables (enabled = 0) so the box hears about it and history keeps its subject.
CREATE TABLE devices (
    id                TEXT PRIMARY KEY,
    community_id      TEXT NOT NULL REFERENCES communities(id),
    box_id            TEXT NOT NULL REFERENCES edge_boxes(id),
    code              TEXT NOT NULL,
    kind              TEXT NOT NULL,
    profile           TEXT NOT NULL,
    name              TEXT NOT NULL,
    estate_id         TEXT NOT NULL REFERENCES estates(id),
    building_id       TEXT NOT NULL REFERENCES buildings(id),
    unit_id           TEXT REFERENCES units(id),
    floor             BIGINT,
    heartbeat_seconds BIGINT NOT NULL,
    enabled           BIGINT NOT NULL,
    online            BIGINT,
    last_state        TEXT,
    last_seen_ms      BIGINT,
    state_at_ms       BIGINT,
    created_at_ms     BIGINT NOT NULL,
    change_seq        BIGINT NOT NULL,
    UNIQUE (box_id, code)
);
CREATE INDEX devices_scope ON devices (community_id, estate_id, building_id);
CREATE INDEX devices_box_seq ON devices (box_id, change_seq);

-- One row per alarm, in the style of ThingsBoard: a (box, source, kind) has at most one open
-- alarm (closed = 0); it is closed once cleared and acknowledged, and the next raise opens a new
-- one. `at_ms` is when it was first raised (the list's order). Its transitions are the
-- alarm_events rows with this alarm_id.
CREATE TABLE alarms (
    id            TEXT PRIMARY KEY,
    community_id  TEXT NOT NULL,
    estate_id     TEXT NOT NULL,
    box_id        TEXT NOT NULL,
    source        TEXT NOT NULL,
    device_id     TEXT,
    kind          TEXT NOT NULL,
    severity      TEXT NOT NULL,
    active        BIGINT NOT NULL,
    acked         BIGINT NOT NULL,
    closed        BIGINT NOT NULL,
    at_ms         BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    cleared_at_ms BIGINT,
    cleared_by    TEXT,
    clear_comment TEXT,
    acked_at_ms   BIGINT,
    acked_by      TEXT,
    ack_comment   TEXT,
    detail        TEXT NOT NULL
);
CREATE INDEX alarms_scope_time ON alarms (community_id, at_ms);
CREATE INDEX alarms_open ON alarms (box_id, source, kind, closed);

ALTER TABLE alarm_events ADD COLUMN alarm_id TEXT;
ALTER TABLE alarm_events ADD COLUMN actor TEXT;
CREATE INDEX alarm_events_alarm ON alarm_events (alarm_id, at_ms);

-- What staff did to an alarm in the cloud, for the box to apply to its own engine (so its
-- escalation stops and its local view agrees). Travels down with the directory cursor.
CREATE TABLE alarm_actions (
    id           TEXT PRIMARY KEY,
    box_id       TEXT NOT NULL,
    source       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    action       TEXT NOT NULL,
    by_name      TEXT NOT NULL,
    at_ms        BIGINT NOT NULL,
    change_seq   BIGINT NOT NULL
);
CREATE INDEX alarm_actions_box_seq ON alarm_actions (box_id, change_seq);

-- Elevator maintenance and detector repair records: what was done, when, by whom.
CREATE TABLE device_records (
    id            TEXT PRIMARY KEY,
    community_id  TEXT NOT NULL,
    device_id     TEXT NOT NULL REFERENCES devices(id),
    kind          TEXT NOT NULL,
    content       TEXT NOT NULL,
    done_at_ms    BIGINT NOT NULL,
    by_account    TEXT NOT NULL,
    by_name       TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX device_records_device ON device_records (device_id, done_at_ms);
