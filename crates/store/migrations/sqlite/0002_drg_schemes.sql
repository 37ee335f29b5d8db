-- CHS-DRG schemes registered in the database (keep in step with ../postgres/0002_drg_schemes.sql).
-- A scheme is data: its tables are stored as the files they came from and loaded by the grouper.
-- `division_code` is the prefecture code of the insurance pool that uses the scheme.

CREATE TABLE drg_schemes (
    division_code TEXT NOT NULL REFERENCES pools (division_code),
    id            TEXT NOT NULL,
    name          TEXT NOT NULL,
    version       TEXT NOT NULL,
    label         TEXT NOT NULL,
    illustrative  INTEGER NOT NULL,
    imported_at   TEXT NOT NULL,
    PRIMARY KEY (division_code, id),
    UNIQUE (division_code, name, version)
);

CREATE TABLE drg_scheme_files (
    division_code TEXT NOT NULL,
    scheme_id     TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    content       TEXT NOT NULL,
    PRIMARY KEY (division_code, scheme_id, file_name),
    FOREIGN KEY (division_code, scheme_id) REFERENCES drg_schemes (division_code, id)
);

-- Which scheme is in force for the pool from which date (the latest `valid_from` not after the day).
CREATE TABLE drg_scheme_assignments (
    division_code TEXT NOT NULL,
    id            TEXT NOT NULL,
    scheme_id     TEXT NOT NULL,
    valid_from    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (division_code, id),
    UNIQUE (division_code, valid_from),
    FOREIGN KEY (division_code, scheme_id) REFERENCES drg_schemes (division_code, id)
);
