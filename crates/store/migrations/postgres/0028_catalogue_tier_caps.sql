-- Price caps of a catalogue item by level of care (分级定价): a JSON object such as
-- {"village": 300, "township": 400, "county": 500} in fen; absent: the item's price_cap at every
-- level. Keep in step with the other backend's 0028_catalogue_tier_caps.sql.
ALTER TABLE catalogue_items ADD COLUMN tier_caps TEXT;
