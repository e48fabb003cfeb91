-- Each box's hardware configuration as staff set it (Modbus devices, door wiring, face doors,
-- cameras: edge_sync::boxconfig::BoxSectionsV1 as JSON), one row per box, revision 1, 2, …
CREATE TABLE box_configs (
    box_id        TEXT PRIMARY KEY REFERENCES edge_boxes(id),
    revision      BIGINT NOT NULL,
    body          TEXT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    updated_by    TEXT NOT NULL
);
-- What the box last said it runs, and what it made of the last revision
-- (edge_sync::boxconfig::BoxConfigReportV1 as JSON).
ALTER TABLE edge_boxes ADD COLUMN config_report TEXT;
ALTER TABLE edge_boxes ADD COLUMN config_reported_at_ms BIGINT;
