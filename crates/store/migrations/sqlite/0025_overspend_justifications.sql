-- A community's justification of its overspend (合理超支申报, Dongying): the reasons with their
-- amounts, filed for a year, and the part the insurance bureau accepted. Under a shared band that
-- needs justification, only the accepted part is shared at the year-end
-- (docs/rules/global-budget.md#year-end-settlement). One per community and year; refiled until
-- decided. Keep in step with ../postgres/0025_overspend_justifications.sql.
CREATE TABLE overspend_justifications (
    division_code TEXT NOT NULL,
    year          INTEGER NOT NULL,
    community_id  TEXT NOT NULL,
    reasons       TEXT NOT NULL,
    claimed       INTEGER NOT NULL CHECK (claimed > 0),
    filed_by      TEXT NOT NULL,
    filed_at      TEXT NOT NULL,
    accepted      INTEGER CHECK (accepted >= 0 AND accepted <= claimed),
    decision_note TEXT,
    decided_by    TEXT,
    decided_at    TEXT,
    PRIMARY KEY (division_code, year, community_id),
    FOREIGN KEY (division_code, community_id) REFERENCES communities (division_code, id)
);
