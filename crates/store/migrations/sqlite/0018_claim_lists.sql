-- Claims lists (the clerk's own institution, the bureau's area) page newest first. Keep in step
-- with the other backend's 0018.
CREATE INDEX claims_institution_date ON claims (institution_id, service_date);
CREATE INDEX claims_division_date ON claims (division_code, service_date);
