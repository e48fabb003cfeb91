-- Fingerprints of the keys this database was first served with (keys::Keys::fingerprints): a
-- process whose data_dir holds other keys, or none, refuses to start instead of sealing ID
-- numbers and signing one-taps with keys the rest of the deployment does not have.
CREATE TABLE key_fingerprints (
    role           TEXT PRIMARY KEY,
    fingerprint    TEXT NOT NULL,
    recorded_at_ms BIGINT NOT NULL
);
