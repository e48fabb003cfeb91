-- What software a box runs, as it last said (`x-edge-software` on its sync requests).
ALTER TABLE edge_boxes ADD COLUMN software TEXT;
