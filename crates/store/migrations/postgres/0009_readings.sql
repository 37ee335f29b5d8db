-- Remote reading of images and ECGs (远程影像/心电诊断, DOMAIN §3.3): the readings with their
-- transitions, the DICOM studies and instances that arrive for them, and ECG records.
-- Keep in step with ../sqlite/0009_readings.sql.
--
-- `division_code` of a reading is the ordering site's county; the reading centre may sit in
-- another county and carries its own division code for its foreign key. File contents live on
-- disk, content-addressed by their SHA-256 (the file store); rows keep the hash.

CREATE TABLE readings (
    division_code           TEXT NOT NULL,
    id                      TEXT NOT NULL,
    resident_id             TEXT NOT NULL,
    ordering_institution_id TEXT NOT NULL,
    reading_division_code   TEXT NOT NULL,
    reading_institution_id  TEXT NOT NULL,
    accession_number        TEXT NOT NULL,
    modality                TEXT NOT NULL CHECK (modality IN ('dr', 'ct', 'mr', 'ecg')),
    urgency                 TEXT NOT NULL CHECK (urgency IN ('routine', 'emergency')),
    state                   TEXT NOT NULL,
    clinical_question       TEXT NOT NULL,
    body_part               TEXT NOT NULL,
    item_code               TEXT NOT NULL DEFAULT '',
    engine                  TEXT NOT NULL,
    report                  TEXT NOT NULL DEFAULT '',
    critical_open           BOOLEAN NOT NULL DEFAULT FALSE,
    acquired_at             TIMESTAMPTZ,
    signed_at               TIMESTAMPTZ,
    turnaround_minutes      BIGINT,
    met_target              BOOLEAN,
    fee_fen                 BIGINT NOT NULL,
    acquisition_share_fen   BIGINT NOT NULL,
    reading_share_fen       BIGINT NOT NULL,
    ordered_by              TEXT NOT NULL,
    version                 BIGINT NOT NULL DEFAULT 1,
    created_at              TIMESTAMPTZ NOT NULL,
    updated_at              TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (division_code, id),
    UNIQUE (division_code, accession_number),
    FOREIGN KEY (division_code, resident_id) REFERENCES residents (division_code, id),
    FOREIGN KEY (division_code, ordering_institution_id) REFERENCES institutions (division_code, id),
    FOREIGN KEY (reading_division_code, reading_institution_id) REFERENCES institutions (division_code, id)
);
CREATE INDEX readings_id ON readings (id);
CREATE INDEX readings_worklist ON readings (reading_division_code, reading_institution_id, state, acquired_at);
CREATE INDEX readings_ordering ON readings (division_code, ordering_institution_id, updated_at);
CREATE INDEX readings_resident ON readings (division_code, resident_id, updated_at);
CREATE INDEX readings_critical ON readings (reading_division_code, critical_open);

CREATE TABLE reading_events (
    division_code  TEXT NOT NULL,
    id             TEXT NOT NULL,
    reading_id     TEXT NOT NULL,
    from_state     TEXT NOT NULL,
    to_state       TEXT NOT NULL,
    command        TEXT NOT NULL,
    actor_user_id  TEXT,
    institution_id TEXT,
    at             TIMESTAMPTZ NOT NULL,
    reason         TEXT,
    PRIMARY KEY (division_code, id),
    FOREIGN KEY (division_code, reading_id) REFERENCES readings (division_code, id)
);
CREATE INDEX reading_events_reading ON reading_events (division_code, reading_id, at);

-- A DICOM study (检查) as it arrived, matched to a resident by the resident ID number in PatientID
-- or by a confirmed manual match (`match_status`); linked to the reading it was taken for.
CREATE TABLE imaging_studies (
    division_code      TEXT NOT NULL,
    id                 TEXT NOT NULL,
    study_uid          TEXT NOT NULL,
    institution_id     TEXT NOT NULL,
    resident_id        TEXT,
    reading_id         TEXT,
    match_status       TEXT NOT NULL CHECK (match_status IN ('matched', 'manual', 'unmatched')),
    patient_identifier TEXT NOT NULL,
    patient_name       TEXT NOT NULL,
    patient_sex        TEXT NOT NULL,
    patient_birth_date DATE,
    accession_number   TEXT NOT NULL,
    modality           TEXT NOT NULL,
    study_date         DATE,
    study_time         TEXT NOT NULL,
    description        TEXT NOT NULL,
    instance_count     BIGINT NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (division_code, id),
    UNIQUE (division_code, study_uid),
    FOREIGN KEY (division_code, institution_id) REFERENCES institutions (division_code, id),
    FOREIGN KEY (division_code, resident_id) REFERENCES residents (division_code, id),
    FOREIGN KEY (division_code, reading_id) REFERENCES readings (division_code, id)
);
CREATE INDEX imaging_studies_id ON imaging_studies (id);
CREATE INDEX imaging_studies_resident ON imaging_studies (division_code, resident_id);
CREATE INDEX imaging_studies_accession ON imaging_studies (division_code, accession_number);
CREATE INDEX imaging_studies_date ON imaging_studies (division_code, study_date);
CREATE INDEX imaging_studies_reading ON imaging_studies (division_code, reading_id);

-- One stored DICOM instance (an image): the file lives in the file store under `sha256`.
CREATE TABLE imaging_instances (
    division_code    TEXT NOT NULL,
    id               TEXT NOT NULL,
    study_id         TEXT NOT NULL,
    series_uid       TEXT NOT NULL,
    sop_instance_uid TEXT NOT NULL,
    sop_class_uid    TEXT NOT NULL,
    transfer_syntax  TEXT NOT NULL,
    modality         TEXT NOT NULL,
    series_number    BIGINT,
    instance_number  BIGINT,
    pixel_rows       BIGINT,
    pixel_columns    BIGINT,
    frames           BIGINT NOT NULL,
    window_center    DOUBLE PRECISION,
    window_width     DOUBLE PRECISION,
    sha256           TEXT NOT NULL,
    size_bytes       BIGINT NOT NULL,
    stored_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (division_code, id),
    UNIQUE (division_code, sop_instance_uid),
    FOREIGN KEY (division_code, study_id) REFERENCES imaging_studies (division_code, id)
);
CREATE INDEX imaging_instances_study ON imaging_instances (division_code, study_id, series_uid, instance_number);

-- A 12-lead resting ECG (十二导联静息心电图): the file in the file store, the measurements computed
-- from the waveform, and those the device reported (JSON, '' when none).
CREATE TABLE ecg_records (
    division_code  TEXT NOT NULL,
    id             TEXT NOT NULL,
    reading_id     TEXT NOT NULL,
    resident_id    TEXT NOT NULL,
    format         TEXT NOT NULL CHECK (format IN ('aecg', 'dicom', 'csv')),
    sha256         TEXT NOT NULL,
    size_bytes     BIGINT NOT NULL,
    sample_rate_hz BIGINT NOT NULL,
    duration_ms    BIGINT NOT NULL,
    heart_rate_bpm BIGINT,
    rr_ms          BIGINT,
    pr_ms          BIGINT,
    qrs_ms         BIGINT,
    qt_ms          BIGINT,
    qtc_ms         BIGINT,
    reported       TEXT NOT NULL,
    acquired_at    TIMESTAMPTZ,
    stored_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (division_code, id),
    FOREIGN KEY (division_code, reading_id) REFERENCES readings (division_code, id),
    FOREIGN KEY (division_code, resident_id) REFERENCES residents (division_code, id)
);
CREATE INDEX ecg_records_reading ON ecg_records (division_code, reading_id);
