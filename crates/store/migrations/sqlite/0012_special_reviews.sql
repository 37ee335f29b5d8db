-- Special-case review (特病单议, DOMAIN §7.2): the bureau agrees the points of an inpatient case on
-- review, and the settlement run prices that case with them instead of its DRG group, bed-day or
-- ungroupable rule. One review per claim; a new decision replaces the points (every decision is
-- audited in audit_log). `points` are ten-thousandths of a point, like the report's.
-- Keep in step with ../postgres/0012_special_reviews.sql.
CREATE TABLE special_reviews (
    division_code TEXT NOT NULL,
    claim_id      TEXT NOT NULL,
    points        INTEGER NOT NULL CHECK (points > 0),
    reason        TEXT NOT NULL,
    reviewed_by   TEXT NOT NULL,
    reviewed_at   TEXT NOT NULL,
    PRIMARY KEY (division_code, claim_id),
    FOREIGN KEY (division_code, claim_id) REFERENCES claims (division_code, id)
);
