-- Eligibility records of a resident (待遇资格认定): approval for a chronic or special disease
-- (门诊慢特病认定), a medical-assistance category (医疗救助对象) and critical-illness status, each valid
-- over a period; settlement reads them. `division_code` is the resident's county.
-- Keep in step with ../sqlite/0020_eligibility.sql.
CREATE TABLE eligibilities (
    division_code             TEXT NOT NULL,
    id                        TEXT NOT NULL,
    resident_id               TEXT NOT NULL,
    kind                      TEXT NOT NULL CHECK (kind IN ('chronic_disease', 'assistance', 'critical_illness')),
    code                      TEXT NOT NULL,
    institution_division_code TEXT,
    institution_id            TEXT,
    valid_from                DATE NOT NULL,
    valid_to                  DATE NOT NULL,
    review_on                 DATE,
    evidence                  TEXT NOT NULL,
    status                    TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    recorded_by               TEXT NOT NULL,
    created_at                TIMESTAMPTZ NOT NULL,
    revoked_at                TIMESTAMPTZ,
    revoke_reason             TEXT,
    PRIMARY KEY (division_code, id),
    CHECK (valid_to >= valid_from),
    FOREIGN KEY (division_code, resident_id) REFERENCES residents (division_code, id),
    FOREIGN KEY (institution_division_code, institution_id) REFERENCES institutions (division_code, id)
);
CREATE INDEX eligibilities_resident ON eligibilities (division_code, resident_id, kind, valid_from);
