-- A prescription is opened by its id from any page or API call; ids are unique UUIDs, so one
-- index finds it without trying county by county. Keep in step with ../sqlite/0022_prescription_id.sql.
CREATE INDEX prescriptions_id ON prescriptions (id);
