-- Staff door rights: a person of the community (property staff, cleaners, grid workers) may pass
-- the doors of these estates. Boxes of each estate receive the person as `kind = staff`.
CREATE TABLE staff_door_rights (
    person_id     TEXT NOT NULL REFERENCES people(id),
    estate_id     TEXT NOT NULL REFERENCES estates(id),
    community_id  TEXT NOT NULL REFERENCES communities(id),
    granted_by    TEXT NOT NULL,
    granted_at_ms BIGINT NOT NULL,
    PRIMARY KEY (person_id, estate_id)
);
CREATE INDEX staff_door_rights_estate ON staff_door_rights (estate_id, person_id);
