-- Settlement runs as an immutable history (结算批次, docs/rules/global-budget.md#runs-and-ledger):
-- every run of a period is a new numbered row with its inputs, report and digest, never changed;
-- a second officer approves a run (复核) in its own table; approving posts the fund's payments
-- to each community as ledger entries (prepayments per month, the year-end settlement or
-- clawback), only the difference to what earlier approvals posted. All three tables are
-- append-only. Keep in step with ../postgres/0026_settlement_ledger.sql.
CREATE TABLE settlement_runs_numbered (
    division_code TEXT NOT NULL,
    year          INTEGER NOT NULL,
    month         INTEGER NOT NULL,
    number        INTEGER NOT NULL CHECK (number >= 1),
    inputs        TEXT NOT NULL,
    report        TEXT NOT NULL,
    digest        TEXT NOT NULL,
    run_by        TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (division_code, year, month, number),
    FOREIGN KEY (division_code) REFERENCES pools (division_code)
);
-- Runs stored before this migration become run 1 of their period, with unknown inputs.
INSERT INTO settlement_runs_numbered (division_code, year, month, number, inputs, report, digest, run_by, created_at)
    SELECT division_code, year, month, 1, '{}', report, digest, 'system', created_at FROM settlement_runs;
DROP TABLE settlement_runs;
ALTER TABLE settlement_runs_numbered RENAME TO settlement_runs;

CREATE TABLE settlement_run_approvals (
    division_code TEXT NOT NULL,
    year          INTEGER NOT NULL,
    month         INTEGER NOT NULL,
    number        INTEGER NOT NULL,
    approved_by   TEXT NOT NULL,
    approved_at   TEXT NOT NULL,
    note          TEXT NOT NULL,
    PRIMARY KEY (division_code, year, month, number),
    FOREIGN KEY (division_code, year, month, number) REFERENCES settlement_runs (division_code, year, month, number)
);

-- The fund's payments to a community (基金拨付台账): `division_code` is the community's county.
-- `seq` numbers the postings of one (community, year, month, kind), so that two approvals racing
-- to post the same difference collide on the unique key instead of paying twice.
CREATE TABLE fund_ledger (
    division_code TEXT NOT NULL,
    id            TEXT NOT NULL,
    pool          TEXT NOT NULL,
    year          INTEGER NOT NULL,
    month         INTEGER NOT NULL CHECK (month BETWEEN 1 AND 12),
    community_id  TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('prepayment', 'year_end')),
    seq           INTEGER NOT NULL CHECK (seq >= 1),
    amount        INTEGER NOT NULL,
    run_month     INTEGER NOT NULL,
    run_number    INTEGER NOT NULL,
    posted_by     TEXT NOT NULL,
    posted_at     TEXT NOT NULL,
    PRIMARY KEY (division_code, id),
    UNIQUE (division_code, community_id, year, month, kind, seq),
    FOREIGN KEY (division_code, community_id) REFERENCES communities (division_code, id),
    FOREIGN KEY (pool, year, run_month, run_number) REFERENCES settlement_runs (division_code, year, month, number)
);
CREATE INDEX fund_ledger_pool_year ON fund_ledger (pool, year);

CREATE TRIGGER settlement_runs_no_update BEFORE UPDATE ON settlement_runs
BEGIN SELECT RAISE(ABORT, 'settlement_runs is append-only'); END;
CREATE TRIGGER settlement_runs_no_delete BEFORE DELETE ON settlement_runs
BEGIN SELECT RAISE(ABORT, 'settlement_runs is append-only'); END;
CREATE TRIGGER settlement_run_approvals_no_update BEFORE UPDATE ON settlement_run_approvals
BEGIN SELECT RAISE(ABORT, 'settlement_run_approvals is append-only'); END;
CREATE TRIGGER settlement_run_approvals_no_delete BEFORE DELETE ON settlement_run_approvals
BEGIN SELECT RAISE(ABORT, 'settlement_run_approvals is append-only'); END;
CREATE TRIGGER fund_ledger_no_update BEFORE UPDATE ON fund_ledger
BEGIN SELECT RAISE(ABORT, 'fund_ledger is append-only'); END;
CREATE TRIGGER fund_ledger_no_delete BEFORE DELETE ON fund_ledger
BEGIN SELECT RAISE(ABORT, 'fund_ledger is append-only'); END;
