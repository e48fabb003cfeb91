-- Abuse limits (logins, sign-ups, visit requests) on PostgreSQL, shared by replicas: one row per
-- throttle key (`login:…`, `login-ip:…`, `login-user:…`, `signup:…`, `visit:…`), the state of
-- cloud_rules::throttle::KeyState. A single SQLite process keeps them in memory. See throttles.rs.
CREATE TABLE throttle_keys (
    key             TEXT PRIMARY KEY,
    window_start_ms BIGINT,
    attempts        BIGINT NOT NULL,
    trusted_at_ms   BIGINT
);
CREATE INDEX throttle_keys_window ON throttle_keys (window_start_ms);
