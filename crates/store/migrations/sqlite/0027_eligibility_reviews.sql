-- Eligibility records gain a kind, retirement (退休人员, ratios by person type), and the officer's
-- list of approvals due for review (待遇资格复审) reads active records by their review date. SQLite
-- cannot change a CHECK: the table is rebuilt. Keep in step with
-- ../postgres/0027_eligibility_reviews.sql.
CREATE TABLE eligibilities_kinds (
    division_code             TEXT NOT NULL,
    id                        TEXT NOT NULL,
    resident_id               TEXT NOT NULL,
    kind                      TEXT NOT NULL CHECK (kind IN ('chronic_disease', 'assistance', 'critical_illness', 'retired')),
    code                      TEXT NOT NULL,
    institution_division_code TEXT,
    institution_id            TEXT,
    valid_from                TEXT NOT NULL,
    valid_to                  TEXT NOT NULL,
    review_on                 TEXT,
    evidence                  TEXT NOT NULL,
    status                    TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
    recorded_by               TEXT NOT NULL,
    created_at                TEXT NOT NULL,
    revoked_at                TEXT,
    revoke_reason             TEXT,
    PRIMARY KEY (division_code, id),
    CHECK (valid_to >= valid_from),
    FOREIGN KEY (division_code, resident_id) REFERENCES residents (division_code, id),
    FOREIGN KEY (institution_division_code, institution_id) REFERENCES institutions (division_code, id)
);
INSERT INTO eligibilities_kinds SELECT * FROM eligibilities;
DROP TABLE eligibilities;
ALTER TABLE eligibilities_kinds RENAME TO eligibilities;
CREATE INDEX eligibilities_resident ON eligibilities (division_code, resident_id, kind, valid_from);
CREATE INDEX eligibilities_review ON eligibilities (review_on) WHERE status = 'active' AND review_on IS NOT NULL;
