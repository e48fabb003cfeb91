-- Security audit (issue 11). Additive only.

-- What each box was sent: every person the cloud ever upserted into a box's directory. A box is
-- told about a removal only for people in its ledger (a new box hears of nobody outside its
-- estate), and a record a box uploads is joined to personal data only through it (a pass naming
-- anyone else is stored, but shows no name or phone).
CREATE TABLE box_people (
    box_id        TEXT NOT NULL REFERENCES edge_boxes(id),
    person_id     TEXT NOT NULL REFERENCES people(id),
    first_sent_ms BIGINT NOT NULL,
    PRIMARY KEY (box_id, person_id)
);

-- Boxes already in the field: everyone they may hold today (an address in the box's estate, or
-- an approved visit there). `WHERE` keeps SQLite from reading `ON CONFLICT` as a join's `ON`.
INSERT INTO box_people (box_id, person_id, first_sent_ms)
SELECT b.id, a.person_id, 0 FROM edge_boxes b JOIN addresses a ON a.estate_id = b.estate_id
WHERE 1 = 1
ON CONFLICT (box_id, person_id) DO NOTHING;
INSERT INTO box_people (box_id, person_id, first_sent_ms)
SELECT b.id, v.visitor_person_id, 0 FROM edge_boxes b JOIN visits v ON v.estate_id = b.estate_id
WHERE v.status = 'approved'
ON CONFLICT (box_id, person_id) DO NOTHING;

-- Cases filed through Open311 (the public channel). Only these appear in GeoReport's public
-- read, and only in their public form (see open311.rs).
ALTER TABLE cases ADD COLUMN public_channel BIGINT NOT NULL DEFAULT 0;
