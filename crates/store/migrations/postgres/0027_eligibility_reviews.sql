-- Eligibility records gain a kind, retirement (退休人员, ratios by person type), and the officer's
-- list of approvals due for review (待遇资格复审) reads active records by their review date.
-- Keep in step with ../sqlite/0027_eligibility_reviews.sql.
ALTER TABLE eligibilities DROP CONSTRAINT eligibilities_kind_check;
ALTER TABLE eligibilities ADD CONSTRAINT eligibilities_kind_check
    CHECK (kind IN ('chronic_disease', 'assistance', 'critical_illness', 'retired'));
CREATE INDEX eligibilities_review ON eligibilities (review_on) WHERE status = 'active' AND review_on IS NOT NULL;
