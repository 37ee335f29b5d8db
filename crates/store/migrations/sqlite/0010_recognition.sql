-- Mutual recognition of test and examination results (检查检验结果互认, DOMAIN §4): the catalogue
-- of recognised items, the participating institutions, the cross-institution index of results,
-- orders with the doctor's decision, and the savings ledger.
-- Keep in step with ../postgres/0010_recognition.sql. Money columns are integer fen.

-- Recognised items of a pool's list (互认项目目录), `division_code` = the pool (prefecture). The
-- validity window and the HR scope label are per item (DOMAIN §4.3); `equivalents` is a JSON array
-- of item codes recognised as the same item. The price of the avoided item depends on the tier of
-- the ordering institution (its price level).
CREATE TABLE recognition_items (
    division_code   TEXT NOT NULL,
    code            TEXT NOT NULL,
    name            TEXT NOT NULL,
    class           TEXT NOT NULL CHECK (class IN ('routine_lab', 'slow_lab', 'radiography', 'cross_sectional', 'ultrasound')),
    window_days     INTEGER NOT NULL CHECK (window_days >= 0),
    scope           TEXT NOT NULL,
    equivalents     TEXT NOT NULL DEFAULT '[]',
    price_county    INTEGER NOT NULL CHECK (price_county >= 0),
    price_township  INTEGER NOT NULL CHECK (price_township >= 0),
    price_village   INTEGER NOT NULL CHECK (price_village >= 0),
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (division_code, code),
    FOREIGN KEY (division_code) REFERENCES pools (division_code)
);

-- Institutions taking part in recognition (参与互认机构): the HR scopes they belong to (JSON array)
-- and their quality-control standing (室间质评 / image QC) with the date it was last assessed.
CREATE TABLE recognition_participants (
    division_code  TEXT NOT NULL,
    institution_id TEXT NOT NULL,
    scopes         TEXT NOT NULL DEFAULT '[]',
    qc_passed      INTEGER NOT NULL,
    qc_date        TEXT,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (division_code, institution_id),
    FOREIGN KEY (division_code, institution_id) REFERENCES institutions (division_code, id)
);

-- The cross-institution index of a resident's results (检查检验结果索引). `division_code` is the
-- resident's county (results live beside the record they belong to); the producing institution may
-- sit in another county and carries its own division code. `reported_on` is the report's
-- Asia/Shanghai calendar day, which the validity window counts. `report_no` is the producer's
-- report number (报告单号; the row id when none is given): sending the same report twice stores it once.
CREATE TABLE results (
    division_code           TEXT NOT NULL,
    id                      TEXT NOT NULL,
    resident_id             TEXT NOT NULL,
    item_code               TEXT NOT NULL,
    value                   TEXT NOT NULL,
    unit                    TEXT,
    reference_range         TEXT,
    abnormal                TEXT CHECK (abnormal IN ('normal', 'high', 'low', 'abnormal')),
    producer_division_code  TEXT NOT NULL,
    producer_institution_id TEXT NOT NULL,
    reported_at             TEXT NOT NULL,
    reported_on             TEXT NOT NULL,
    source                  TEXT NOT NULL CHECK (source IN ('csv', 'api', 'reading')),
    report_no               TEXT NOT NULL,
    created_at              TEXT NOT NULL,
    PRIMARY KEY (division_code, id),
    UNIQUE (division_code, producer_institution_id, report_no),
    FOREIGN KEY (division_code, resident_id) REFERENCES residents (division_code, id),
    FOREIGN KEY (producer_division_code, producer_institution_id) REFERENCES institutions (division_code, id)
);
-- The order-time check: one resident, a few item codes, a window of report days.
CREATE INDEX results_check ON results (division_code, resident_id, item_code, reported_on);

-- Orders of tests and examinations (检查检验申请) with the doctor's decision: `recognised` (a prior
-- result stands instead, no new test), `repeated` (ordered anyway despite recognisable results, with
-- one of the re-test reasons written to the record) or `ordered` (nothing recognisable existed).
-- `division_code` is the resident's county; the ordering institution carries its own.
CREATE TABLE test_orders (
    division_code            TEXT NOT NULL,
    id                       TEXT NOT NULL,
    resident_id              TEXT NOT NULL,
    item_code                TEXT NOT NULL,
    ordering_division_code   TEXT NOT NULL,
    ordering_institution_id  TEXT NOT NULL,
    ordered_by               TEXT NOT NULL,
    doctor_name              TEXT NOT NULL,
    ordered_on               TEXT NOT NULL,
    decision                 TEXT NOT NULL CHECK (decision IN ('recognised', 'repeated', 'ordered')),
    recognised_result_id     TEXT,
    retest_reason            TEXT,
    note                     TEXT NOT NULL DEFAULT '',
    candidates               INTEGER NOT NULL,
    created_at               TEXT NOT NULL,
    PRIMARY KEY (division_code, id),
    CHECK ((decision = 'recognised') = (recognised_result_id IS NOT NULL)),
    CHECK (decision <> 'repeated' OR retest_reason IS NOT NULL),
    FOREIGN KEY (division_code, resident_id) REFERENCES residents (division_code, id),
    FOREIGN KEY (division_code, recognised_result_id) REFERENCES results (division_code, id),
    FOREIGN KEY (ordering_division_code, ordering_institution_id) REFERENCES institutions (division_code, id)
);
CREATE INDEX test_orders_resident ON test_orders (division_code, resident_id, ordered_on);
CREATE INDEX test_orders_institution ON test_orders (ordering_division_code, ordered_on, ordering_institution_id);

-- Savings ledger (互认节约台账): one row per recognition, the avoided item at the ordering
-- institution's price level (DOMAIN §4.4), in fen.
CREATE TABLE recognition_savings (
    division_code           TEXT NOT NULL,
    id                      TEXT NOT NULL,
    order_id                TEXT NOT NULL,
    result_id               TEXT NOT NULL,
    item_code               TEXT NOT NULL,
    ordering_division_code  TEXT NOT NULL,
    ordering_institution_id TEXT NOT NULL,
    price_level             TEXT NOT NULL CHECK (price_level IN ('county', 'township', 'village')),
    amount                  INTEGER NOT NULL CHECK (amount >= 0),
    booked_on               TEXT NOT NULL,
    created_at              TEXT NOT NULL,
    PRIMARY KEY (division_code, id),
    UNIQUE (division_code, order_id),
    FOREIGN KEY (division_code, order_id) REFERENCES test_orders (division_code, id),
    FOREIGN KEY (division_code, result_id) REFERENCES results (division_code, id),
    FOREIGN KEY (ordering_division_code, ordering_institution_id) REFERENCES institutions (division_code, id)
);
CREATE INDEX recognition_savings_institution ON recognition_savings (ordering_division_code, booked_on, ordering_institution_id);
