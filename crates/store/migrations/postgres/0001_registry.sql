-- sanyi registry, security and audit (PostgreSQL).
-- Every table carries `division_code`: the county's GB/T 2260 code (the prefecture's code for
-- pool-level rows). It is the distribution column when PostgreSQL is sharded by county (Citus), so
-- primary keys, unique keys and foreign keys between county-scoped tables include it.
-- Ids are UUIDv7 text. Money is integer fen. Keep in step with ../sqlite/0001_registry.sql.

-- Prefecture insurance pool (统筹区).
CREATE TABLE pools (
    division_code TEXT NOT NULL PRIMARY KEY,
    name          TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

-- Counties of a pool.
CREATE TABLE counties (
    division_code TEXT NOT NULL PRIMARY KEY,
    pool_code     TEXT NOT NULL REFERENCES pools (division_code),
    name          TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

-- Townships and villages (统计用区划代码, 12 digits) registered in a county.
CREATE TABLE areas (
    division_code TEXT NOT NULL REFERENCES counties (division_code),
    code          TEXT NOT NULL,
    name          TEXT NOT NULL,
    level         TEXT NOT NULL CHECK (level IN ('county', 'township', 'village')),
    parent_code   TEXT,
    PRIMARY KEY (division_code, code)
);

-- Medical community (医共体).
CREATE TABLE communities (
    division_code       TEXT NOT NULL REFERENCES counties (division_code),
    id                  TEXT NOT NULL,
    name                TEXT NOT NULL,
    lead_institution_id TEXT,
    created_at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (division_code, id)
);

-- Institutions; village clinics hang under their township centre (parent_id).
CREATE TABLE institutions (
    division_code    TEXT NOT NULL REFERENCES counties (division_code),
    id               TEXT NOT NULL,
    parent_id        TEXT,
    community_id     TEXT,
    name             TEXT NOT NULL,
    tier             TEXT NOT NULL CHECK (tier IN ('county', 'township', 'village')),
    kind             TEXT NOT NULL,
    credit_code      TEXT,
    nhsa_code        TEXT,
    area_code        TEXT NOT NULL,
    legal_person     TEXT NOT NULL,
    licence_holder   TEXT NOT NULL,
    contract_holder  TEXT NOT NULL,
    version          BIGINT NOT NULL DEFAULT 1,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (division_code, id),
    UNIQUE (division_code, nhsa_code),
    FOREIGN KEY (division_code, parent_id) REFERENCES institutions (division_code, id),
    FOREIGN KEY (division_code, community_id) REFERENCES communities (division_code, id)
);
ALTER TABLE communities ADD CONSTRAINT communities_lead_institution_fk
    FOREIGN KEY (division_code, lead_institution_id) REFERENCES institutions (division_code, id)
    DEFERRABLE INITIALLY DEFERRED;
CREATE INDEX institutions_id ON institutions (id);
CREATE INDEX institutions_parent ON institutions (division_code, parent_id);

CREATE TABLE departments (
    division_code  TEXT NOT NULL,
    id             TEXT NOT NULL,
    institution_id TEXT NOT NULL,
    name           TEXT NOT NULL,
    specialty      TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (division_code, id),
    FOREIGN KEY (division_code, institution_id) REFERENCES institutions (division_code, id)
);

-- Staff; post-owner and working institution may differ (staffing pool, 编制池).
CREATE TABLE staff (
    division_code          TEXT NOT NULL,
    id                     TEXT NOT NULL,
    name                   TEXT NOT NULL,
    profession             TEXT NOT NULL,
    title                  TEXT NOT NULL,
    qualifications         TEXT NOT NULL,
    post_institution_id    TEXT NOT NULL,
    working_institution_id TEXT NOT NULL,
    department_id          TEXT,
    version                BIGINT NOT NULL DEFAULT 1,
    created_at             TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (division_code, id),
    FOREIGN KEY (division_code, post_institution_id) REFERENCES institutions (division_code, id),
    FOREIGN KEY (division_code, working_institution_id) REFERENCES institutions (division_code, id),
    FOREIGN KEY (division_code, department_id) REFERENCES departments (division_code, id)
);

-- Household (户): residents living together; `household_no` is the registration number and the id is
-- derived from it (UUIDv5 of county and number), so the primary key also keeps numbers unique.
CREATE TABLE households (
    division_code TEXT NOT NULL,
    id            TEXT NOT NULL,
    household_no  TEXT NOT NULL,
    village_code  TEXT NOT NULL,
    address       TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (division_code, id),
    FOREIGN KEY (division_code, village_code) REFERENCES areas (division_code, code)
);

-- Master patient index, keyed by resident ID number within the county. Lookups by id or ID number
-- name the counties in scope (`division_code IN (...)`) so that they use the keys below.
CREATE TABLE residents (
    division_code  TEXT NOT NULL,
    id             TEXT NOT NULL,
    id_number      TEXT NOT NULL,
    name           TEXT NOT NULL,
    sex            TEXT NOT NULL CHECK (sex IN ('male', 'female')),
    birth_date     DATE NOT NULL,
    phone          TEXT,
    village_code   TEXT NOT NULL,
    address        TEXT NOT NULL,
    household_id   TEXT,
    household_role TEXT,
    status         TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'merged')),
    merged_into_id TEXT,
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (division_code, id),
    UNIQUE (division_code, id_number),
    FOREIGN KEY (division_code, village_code) REFERENCES areas (division_code, code),
    FOREIGN KEY (division_code, household_id) REFERENCES households (division_code, id),
    FOREIGN KEY (division_code, merged_into_id) REFERENCES residents (division_code, id)
);
CREATE INDEX residents_name ON residents (division_code, name);
CREATE INDEX residents_village ON residents (division_code, village_code, name);
CREATE INDEX residents_household ON residents (division_code, household_id);

-- History of merged duplicate records: the merged record's state before the merge.
CREATE TABLE resident_merges (
    division_code  TEXT NOT NULL,
    id             TEXT NOT NULL,
    survivor_id    TEXT NOT NULL,
    merged_id      TEXT NOT NULL,
    snapshot       TEXT NOT NULL,
    actor_username TEXT NOT NULL,
    merged_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (division_code, id),
    FOREIGN KEY (division_code, survivor_id) REFERENCES residents (division_code, id),
    FOREIGN KEY (division_code, merged_id) REFERENCES residents (division_code, id)
);

-- Insurance enrolment (参保) per scheme and year.
CREATE TABLE enrolments (
    division_code  TEXT NOT NULL,
    id             TEXT NOT NULL,
    resident_id    TEXT NOT NULL,
    insurance_type TEXT NOT NULL,
    year           BIGINT NOT NULL,
    status         TEXT NOT NULL,
    enrolled_on    DATE NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (division_code, id),
    UNIQUE (division_code, resident_id, insurance_type, year),
    FOREIGN KEY (division_code, resident_id) REFERENCES residents (division_code, id)
);

-- Users (reference table: small, replicated on a sharded deployment; usernames are global).
CREATE TABLE users (
    division_code  TEXT NOT NULL,
    id             TEXT NOT NULL,
    username       TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL,
    institution_id TEXT,
    scope_area     TEXT NOT NULL,
    active         BOOLEAN NOT NULL DEFAULT TRUE,
    created_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (division_code, id),
    FOREIGN KEY (division_code, institution_id) REFERENCES institutions (division_code, id)
);

-- Login sessions and API tokens; only a SHA-256 of the token is stored (reference table).
CREATE TABLE sessions (
    division_code TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    user_id       TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('cookie', 'bearer')),
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (division_code, token_hash),
    FOREIGN KEY (division_code, user_id) REFERENCES users (division_code, id)
);

-- Append-only audit log of every read and write of a resident's record. `division_code` is the
-- county of the record touched. user/entity ids are kept as plain values (no foreign keys) so
-- that the log outlives what it describes.
CREATE TABLE audit_log (
    division_code TEXT NOT NULL,
    id            TEXT NOT NULL,
    at            TIMESTAMPTZ NOT NULL,
    user_id       TEXT NOT NULL,
    username      TEXT NOT NULL,
    role          TEXT NOT NULL,
    action        TEXT NOT NULL,
    entity        TEXT NOT NULL,
    entity_id     TEXT NOT NULL,
    resident_id   TEXT,
    ip            TEXT NOT NULL,
    detail        TEXT NOT NULL,
    PRIMARY KEY (division_code, id)
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_resident ON audit_log (resident_id, at);
CREATE INDEX audit_log_user ON audit_log (username, at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
