-- What travels with a referral or a consultation (DOMAIN §2.4), the expert roster of consultation
-- centres, and the referral digest read by indicators. Keep in step with ../postgres/0006_care_documents.sql.

-- Patient consent (知情同意) and recent results (近期检查检验结果, with their HR recognition marks), both
-- JSON; `digest` is the care engine's indicator summary of the referral, rewritten with `engine`.
ALTER TABLE referrals ADD COLUMN consent TEXT NOT NULL DEFAULT 'null';
ALTER TABLE referrals ADD COLUMN results TEXT NOT NULL DEFAULT '[]';
ALTER TABLE referrals ADD COLUMN digest TEXT NOT NULL DEFAULT '';

-- Attachments (附件: PDF, PNG, JPEG) of exactly one referral or one consultation, in the county of
-- that referral or consultation. The content is kept in the database (size-limited by policy) so a
-- backup of the database is a backup of the record.
CREATE TABLE attachments (
    division_code   TEXT NOT NULL,
    id              TEXT NOT NULL,
    referral_id     TEXT,
    consultation_id TEXT,
    resident_id     TEXT NOT NULL,
    filename        TEXT NOT NULL,
    content_type    TEXT NOT NULL CHECK (content_type IN ('application/pdf', 'image/png', 'image/jpeg')),
    size_bytes      INTEGER NOT NULL,
    sha256          TEXT NOT NULL,
    content         BLOB NOT NULL,
    uploaded_by     TEXT NOT NULL,
    uploaded_at     TEXT NOT NULL,
    PRIMARY KEY (division_code, id),
    CHECK ((referral_id IS NULL) <> (consultation_id IS NULL)),
    FOREIGN KEY (division_code, referral_id) REFERENCES referrals (division_code, id),
    FOREIGN KEY (division_code, consultation_id) REFERENCES consultations (division_code, id),
    FOREIGN KEY (division_code, resident_id) REFERENCES residents (division_code, id)
);
CREATE INDEX attachments_referral ON attachments (division_code, referral_id);
CREATE INDEX attachments_consultation ON attachments (division_code, consultation_id);

-- Expert roster of a consultation centre (会诊专家排班): who reads which specialty, with which title,
-- and whether on duty now. Automatic assignment (DOMAIN §3.2) reads it.
CREATE TABLE consultation_experts (
    division_code  TEXT NOT NULL,
    institution_id TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    specialty      TEXT NOT NULL,
    title          TEXT NOT NULL,
    on_duty        INTEGER NOT NULL DEFAULT 1,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (division_code, user_id, specialty),
    FOREIGN KEY (division_code, institution_id) REFERENCES institutions (division_code, id),
    FOREIGN KEY (division_code, user_id) REFERENCES users (division_code, id)
);
CREATE INDEX consultation_experts_institution ON consultation_experts (division_code, institution_id, specialty);
