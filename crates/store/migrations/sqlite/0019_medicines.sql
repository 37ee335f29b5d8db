-- Medicines (医药, DOMAIN §8): the pool's item catalogue as versioned data (drugs, consumables and
-- service items, read by procurement, prescribing and settlement alike), the community's
-- volume-based procurement projects with demand and agreed volumes, the central pharmacy (orders,
-- deliveries that are also the supplier's invoice, stock by lot, moves), prescriptions with their
-- dispensing, and the insurance prepayments of the projects.
-- Keep in step with ../postgres/0019_medicines.sql. Money columns are integer fen, quantities whole units.

-- A version of the pool's catalogue (医保目录版本), `division_code` = the pool. A version is a whole
-- catalogue in force from `effective_from` until the next version starts; `illustrative` marks the
-- demo's catalogue, which is never the national list.
CREATE TABLE catalogue_versions (
    division_code  TEXT NOT NULL,
    id             TEXT NOT NULL,
    version        TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    illustrative   INTEGER NOT NULL,
    source         TEXT NOT NULL,
    item_count     INTEGER NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (division_code, id),
    UNIQUE (division_code, effective_from),
    UNIQUE (division_code, version),
    FOREIGN KEY (division_code) REFERENCES pools (division_code)
);

-- One item of a catalogue version (目录条目): the NHSA code is the identifier; drugs carry the
-- generic name and dosage form that group products of one generic (通用名 + 剂型).
CREATE TABLE catalogue_items (
    division_code TEXT NOT NULL,
    version_id    TEXT NOT NULL,
    code          TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('drug', 'consumable', 'service')),
    name_zh       TEXT NOT NULL,
    name_en       TEXT NOT NULL,
    generic_name  TEXT NOT NULL,
    dosage_form   TEXT NOT NULL,
    strength      TEXT NOT NULL,
    pack          TEXT NOT NULL,
    manufacturer  TEXT NOT NULL,
    category      TEXT NOT NULL CHECK (category IN ('A', 'B', 'C')),
    self_pay_bp   INTEGER CHECK (self_pay_bp BETWEEN 0 AND 10000),
    price_cap     INTEGER NOT NULL CHECK (price_cap > 0),
    unit          TEXT NOT NULL,
    zero_markup   INTEGER NOT NULL,
    PRIMARY KEY (division_code, version_id, code),
    FOREIGN KEY (division_code, version_id) REFERENCES catalogue_versions (division_code, id)
);
CREATE INDEX catalogue_items_generic ON catalogue_items (division_code, version_id, generic_name, dosage_form);

-- A volume-based procurement project a community takes part in (集采项目), `division_code` = the
-- community's county. The policy parameters of the contract (winners rule, prepayment share,
-- retained-saving share and gates, payment days) are stored with it; `renewal_of` links a renewed
-- contract period to the one before.
CREATE TABLE procurement_projects (
    division_code      TEXT NOT NULL,
    id                 TEXT NOT NULL,
    code               TEXT NOT NULL,
    name               TEXT NOT NULL,
    level              TEXT NOT NULL CHECK (level IN ('national', 'provincial', 'alliance')),
    community_id       TEXT NOT NULL,
    starts_on          TEXT NOT NULL,
    ends_on            TEXT NOT NULL,
    renewal_of         TEXT,
    rules              TEXT NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('reporting', 'contracted')),
    contracted_at      TEXT,
    created_by         TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    PRIMARY KEY (division_code, id),
    UNIQUE (division_code, code),
    CHECK (ends_on >= starts_on),
    FOREIGN KEY (division_code, community_id) REFERENCES communities (division_code, id)
);

-- A selected product of a project (中选产品): the catalogue code, its generic, the winning firm,
-- the selected unit price and the baseline price (the pre-procurement price savings count from).
CREATE TABLE procurement_products (
    division_code  TEXT NOT NULL,
    project_id     TEXT NOT NULL,
    item_code      TEXT NOT NULL,
    generic_name   TEXT NOT NULL,
    dosage_form    TEXT NOT NULL,
    firm           TEXT NOT NULL,
    selected_price INTEGER NOT NULL CHECK (selected_price > 0),
    baseline_price INTEGER NOT NULL CHECK (baseline_price > 0),
    PRIMARY KEY (division_code, project_id, item_code),
    FOREIGN KEY (division_code, project_id) REFERENCES procurement_projects (division_code, id)
);
CREATE INDEX procurement_products_generic ON procurement_products (division_code, generic_name, dosage_form);

-- An institution's reported annual demand of a generic and the agreed volume the winners rule
-- derives from it (报送需求量 / 约定采购量), fixed when the project is contracted.
CREATE TABLE procurement_demands (
    division_code  TEXT NOT NULL,
    project_id     TEXT NOT NULL,
    institution_id TEXT NOT NULL,
    generic_name   TEXT NOT NULL,
    dosage_form    TEXT NOT NULL,
    reported_units INTEGER NOT NULL CHECK (reported_units >= 0),
    agreed_units   INTEGER NOT NULL CHECK (agreed_units >= 0),
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (division_code, project_id, institution_id, generic_name, dosage_form),
    FOREIGN KEY (division_code, project_id) REFERENCES procurement_projects (division_code, id),
    FOREIGN KEY (division_code, institution_id) REFERENCES institutions (division_code, id)
);

-- The insurance prepayment of a contracted project (医保预付), credited to the community at the
-- contract start inside the county package and offset against its later settlements.
CREATE TABLE procurement_prepayments (
    division_code TEXT NOT NULL,
    project_id    TEXT NOT NULL,
    amount        INTEGER NOT NULL CHECK (amount >= 0),
    agreed_amount INTEGER NOT NULL CHECK (agreed_amount >= 0),
    credited_on   TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (division_code, project_id),
    FOREIGN KEY (division_code, project_id) REFERENCES procurement_projects (division_code, id)
);

-- A purchase order of the central pharmacy (中心药房采购单): the lead hospital buys for all members.
CREATE TABLE purchase_orders (
    division_code  TEXT NOT NULL,
    id             TEXT NOT NULL,
    order_no       TEXT NOT NULL,
    institution_id TEXT NOT NULL,
    supplier       TEXT NOT NULL,
    ordered_on     TEXT NOT NULL,
    ordered_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (division_code, id),
    UNIQUE (division_code, order_no),
    FOREIGN KEY (division_code, institution_id) REFERENCES institutions (division_code, id)
);

CREATE TABLE purchase_order_lines (
    division_code TEXT NOT NULL,
    order_id      TEXT NOT NULL,
    line_no       INTEGER NOT NULL,
    item_code     TEXT NOT NULL,
    quantity      INTEGER NOT NULL CHECK (quantity > 0),
    unit_price    INTEGER NOT NULL CHECK (unit_price > 0),
    project_id    TEXT,
    PRIMARY KEY (division_code, order_id, line_no),
    FOREIGN KEY (division_code, order_id) REFERENCES purchase_orders (division_code, id),
    FOREIGN KEY (division_code, project_id) REFERENCES procurement_projects (division_code, id)
);

-- A delivery against an order (配送单), which is also the supplier's invoice (发票): accepted once
-- into stock, then due for payment within the contract's days (回款), paid once.
CREATE TABLE deliveries (
    division_code TEXT NOT NULL,
    id            TEXT NOT NULL,
    order_id      TEXT NOT NULL,
    delivery_no   TEXT NOT NULL,
    delivered_on  TEXT NOT NULL,
    amount        INTEGER NOT NULL CHECK (amount > 0),
    accepted_on   TEXT,
    accepted_by   TEXT,
    due_on        TEXT,
    paid_on       TEXT,
    paid_by       TEXT,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (division_code, id),
    UNIQUE (division_code, delivery_no),
    CHECK (paid_on IS NULL OR accepted_on IS NOT NULL),
    FOREIGN KEY (division_code, order_id) REFERENCES purchase_orders (division_code, id)
);
CREATE INDEX deliveries_due ON deliveries (division_code, paid_on, due_on);

CREATE TABLE delivery_lines (
    division_code TEXT NOT NULL,
    delivery_id   TEXT NOT NULL,
    line_no       INTEGER NOT NULL,
    item_code     TEXT NOT NULL,
    lot_no        TEXT NOT NULL,
    expires_on    TEXT NOT NULL,
    quantity      INTEGER NOT NULL CHECK (quantity > 0),
    unit_price    INTEGER NOT NULL CHECK (unit_price > 0),
    project_id    TEXT,
    PRIMARY KEY (division_code, delivery_id, line_no),
    FOREIGN KEY (division_code, delivery_id) REFERENCES deliveries (division_code, id),
    FOREIGN KEY (division_code, project_id) REFERENCES procurement_projects (division_code, id)
);

-- Stock of one lot at one institution (库存批次). The quantity never goes below zero; the unit cost
-- is the purchase price, which a zero-mark-up line is also sold at.
CREATE TABLE stock_lots (
    division_code  TEXT NOT NULL,
    id             TEXT NOT NULL,
    institution_id TEXT NOT NULL,
    item_code      TEXT NOT NULL,
    lot_no         TEXT NOT NULL,
    expires_on     TEXT NOT NULL,
    unit_cost      INTEGER NOT NULL CHECK (unit_cost > 0),
    quantity       INTEGER NOT NULL CHECK (quantity >= 0),
    project_id     TEXT,
    PRIMARY KEY (division_code, id),
    UNIQUE (division_code, institution_id, item_code, lot_no, unit_cost),
    FOREIGN KEY (division_code, institution_id) REFERENCES institutions (division_code, id),
    FOREIGN KEY (division_code, project_id) REFERENCES procurement_projects (division_code, id)
);
CREATE INDEX stock_lots_item ON stock_lots (division_code, institution_id, item_code, expires_on);

-- Every change of stock (库存流水), append-only: receipt from a delivery, transfer out and in,
-- dispensing. `ref_id` names the delivery, transfer or prescription.
CREATE TABLE stock_moves (
    division_code  TEXT NOT NULL,
    id             TEXT NOT NULL,
    institution_id TEXT NOT NULL,
    lot_id         TEXT NOT NULL,
    item_code      TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('receipt', 'transfer_out', 'transfer_in', 'dispense')),
    quantity       INTEGER NOT NULL,
    unit_cost      INTEGER NOT NULL,
    project_id     TEXT,
    ref_no         TEXT NOT NULL,
    moved_on       TEXT NOT NULL,
    moved_by       TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (division_code, id),
    FOREIGN KEY (division_code, institution_id) REFERENCES institutions (division_code, id),
    FOREIGN KEY (division_code, lot_id) REFERENCES stock_lots (division_code, id),
    FOREIGN KEY (division_code, project_id) REFERENCES procurement_projects (division_code, id)
);
CREATE INDEX stock_moves_item ON stock_moves (division_code, item_code, kind, moved_on);

-- A prescription (处方) written for a resident at an institution; dispensing fixes each line's
-- price (the lots' purchase cost) and whether it is a selected product of a project in force.
-- `division_code` is the institution's county (the stock it is dispensed from); the resident may
-- live in another county of the pool (`resident_division_code`).
CREATE TABLE prescriptions (
    division_code  TEXT NOT NULL,
    id             TEXT NOT NULL,
    rx_no          TEXT NOT NULL,
    institution_id TEXT NOT NULL,
    resident_division_code TEXT NOT NULL,
    resident_id    TEXT NOT NULL,
    prescriber      TEXT NOT NULL,
    prescriber_name TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('outpatient', 'chronic', 'inpatient', 'emergency')),
    diagnosis      TEXT NOT NULL,
    days_supply    INTEGER NOT NULL CHECK (days_supply > 0),
    written_on     TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('written', 'dispensed')),
    dispensed_on   TEXT,
    dispensed_by   TEXT,
    claim_key      TEXT,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (division_code, id),
    UNIQUE (division_code, rx_no),
    FOREIGN KEY (division_code, institution_id) REFERENCES institutions (division_code, id),
    FOREIGN KEY (resident_division_code, resident_id) REFERENCES residents (division_code, id)
);
CREATE INDEX prescriptions_resident ON prescriptions (resident_division_code, resident_id, written_on);
CREATE INDEX prescriptions_institution ON prescriptions (division_code, institution_id, state, written_on);

-- One line of a prescription (处方明细). `generic_name`/`dosage_form` and `selected` are copied at
-- dispensing, with the institution, prescriber and day, so that the usage reports read one table.
CREATE TABLE prescription_lines (
    division_code   TEXT NOT NULL,
    prescription_id TEXT NOT NULL,
    line_no         INTEGER NOT NULL,
    institution_id  TEXT NOT NULL,
    prescriber      TEXT NOT NULL,
    dispensed_on    TEXT,
    item_code       TEXT NOT NULL,
    generic_name    TEXT NOT NULL,
    dosage_form     TEXT NOT NULL,
    quantity        INTEGER NOT NULL CHECK (quantity > 0),
    unit_price      INTEGER,
    amount          INTEGER,
    selected        INTEGER NOT NULL,
    project_id      TEXT,
    PRIMARY KEY (division_code, prescription_id, line_no),
    FOREIGN KEY (division_code, prescription_id) REFERENCES prescriptions (division_code, id),
    FOREIGN KEY (division_code, institution_id) REFERENCES institutions (division_code, id),
    FOREIGN KEY (division_code, project_id) REFERENCES procurement_projects (division_code, id)
);
CREATE INDEX prescription_lines_usage ON prescription_lines (division_code, dispensed_on, generic_name, dosage_form);
