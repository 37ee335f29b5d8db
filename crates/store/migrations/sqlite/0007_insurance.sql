-- Medical insurance (医保): benefit policy versions, the fund year of a pool, claims settled at the
-- point of care, per-person accumulators, settlement runs and fraud flags.
-- Keep in step with ../postgres/0007_insurance.sql. Money columns are integer fen.

-- Benefit policy versions of a pool (医保待遇政策版本): the engine's `Policy` as JSON. A version is in
-- force from `effective_from` until the next one; two versions never start on the same day, and
-- settled claims keep the id of the version they were settled under.
CREATE TABLE insurance_policies (
    division_code  TEXT NOT NULL,
    id             TEXT NOT NULL,
    year           INTEGER NOT NULL,
    version        TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    body           TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (division_code, id),
    UNIQUE (division_code, effective_from),
    UNIQUE (division_code, year, version),
    FOREIGN KEY (division_code) REFERENCES pools (division_code)
);

-- The fund year of a pool (年度基金预算与支付政策): fund F, rigid carve-outs, budget, DRG point,
-- bed-day and capitation parameters, appraisal scores per county — one JSON document.
CREATE TABLE fund_years (
    division_code TEXT NOT NULL,
    year          INTEGER NOT NULL,
    body          TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (division_code, year),
    FOREIGN KEY (division_code) REFERENCES pools (division_code)
);

-- A settled (or rejected, or reversed) claim (结算单). `division_code` is the insured person's county:
-- the package the claim is charged to. The place of care is an institution of the registry or, out
-- of the pool, a named hospital (`outside_name`). Inpatient claims carry the grouper's input.
CREATE TABLE claims (
    division_code             TEXT NOT NULL,
    id                        TEXT NOT NULL,
    claim_key                 TEXT NOT NULL,
    resident_id               TEXT NOT NULL,
    pool_code                 TEXT NOT NULL,
    policy_id                 TEXT,
    institution_division_code TEXT,
    institution_id            TEXT,
    outside_name              TEXT,
    in_county                 INTEGER NOT NULL,
    med_type                  TEXT NOT NULL,
    care_level                TEXT NOT NULL,
    service_date              TEXT NOT NULL,
    discharge_date            TEXT,
    year                      INTEGER NOT NULL,
    month                     INTEGER NOT NULL,
    status                    TEXT NOT NULL CHECK (status IN ('settled', 'rejected', 'reversed')),
    rejection                 TEXT,
    medfee_sumamt             INTEGER NOT NULL,
    hifp_pay                  INTEGER NOT NULL,
    hifmi_pay                 INTEGER NOT NULL,
    maf_pay                   INTEGER NOT NULL,
    acct_pay                  INTEGER NOT NULL,
    psn_cash_pay              INTEGER NOT NULL,
    fund_pay_sumamt           INTEGER NOT NULL,
    drg_input                 TEXT,
    charges                   TEXT NOT NULL,
    settlement                TEXT,
    settled_at                TEXT NOT NULL,
    PRIMARY KEY (division_code, id),
    FOREIGN KEY (division_code, resident_id) REFERENCES residents (division_code, id),
    FOREIGN KEY (pool_code, policy_id) REFERENCES insurance_policies (division_code, id),
    FOREIGN KEY (institution_division_code, institution_id) REFERENCES institutions (division_code, id)
);
-- A claim key is settled once; after a reversal (冲正) the same key may be settled again.
CREATE UNIQUE INDEX claims_key ON claims (division_code, claim_key) WHERE status <> 'reversed';
CREATE INDEX claims_resident ON claims (division_code, resident_id, service_date);
CREATE INDEX claims_institution ON claims (institution_division_code, institution_id, year);

-- Year-to-date accumulators of a person (年度累计): the engine's `Accumulators` as JSON.
CREATE TABLE accumulators (
    division_code TEXT NOT NULL,
    resident_id   TEXT NOT NULL,
    year          INTEGER NOT NULL,
    body          TEXT NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (division_code, resident_id, year),
    FOREIGN KEY (division_code, resident_id) REFERENCES residents (division_code, id)
);

-- A settlement run of a pool (结算): the year-end (month 0) or a month; re-running replaces it.
CREATE TABLE settlement_runs (
    division_code TEXT NOT NULL,
    year          INTEGER NOT NULL,
    month         INTEGER NOT NULL,
    report        TEXT NOT NULL,
    digest        TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (division_code, year, month),
    FOREIGN KEY (division_code) REFERENCES pools (division_code)
);

-- Fraud and misuse flags (疑点) with their evidence, queued for review (DOMAIN §12).
CREATE TABLE fraud_flags (
    division_code TEXT NOT NULL,
    id            TEXT NOT NULL,
    year          INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    claim_id      TEXT NOT NULL,
    resident_id   TEXT NOT NULL,
    amount        INTEGER NOT NULL,
    evidence      TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('open', 'confirmed', 'dismissed', 'needs_more_info')),
    review_note   TEXT,
    reviewed_by   TEXT,
    reviewed_at   TEXT,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (division_code, id),
    UNIQUE (division_code, kind, claim_id),
    FOREIGN KEY (division_code, claim_id) REFERENCES claims (division_code, id),
    FOREIGN KEY (division_code, resident_id) REFERENCES residents (division_code, id)
);
CREATE INDEX fraud_flags_status ON fraud_flags (division_code, status, year);

-- Settlement reads a resident's referrals to apply the referral treatment (DOMAIN §2.6).
CREATE INDEX referrals_resident ON referrals (resident_id);
