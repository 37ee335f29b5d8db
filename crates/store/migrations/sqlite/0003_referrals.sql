-- Two-way referrals (双向转诊); keep in step with ../postgres/0003_referrals.sql.
-- `division_code` is the sending institution's county; the receiver may sit in another county, so
-- it carries its own division code for its foreign key. `engine` holds the care engine's state of
-- the referral (JSON); the other columns are what lists and indexes need.

CREATE TABLE referrals (
    division_code           TEXT NOT NULL,
    id                      TEXT NOT NULL,
    resident_id             TEXT NOT NULL,
    sender_institution_id   TEXT NOT NULL,
    receiver_division_code  TEXT NOT NULL,
    receiver_institution_id TEXT NOT NULL,
    direction               TEXT NOT NULL,
    urgency                 TEXT NOT NULL,
    state                   TEXT NOT NULL,
    reason                  TEXT NOT NULL,
    summary                 TEXT NOT NULL,
    diagnoses               TEXT NOT NULL,
    engine                  TEXT NOT NULL,
    version                 INTEGER NOT NULL DEFAULT 1,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL,
    PRIMARY KEY (division_code, id),
    FOREIGN KEY (division_code, resident_id) REFERENCES residents (division_code, id),
    FOREIGN KEY (division_code, sender_institution_id) REFERENCES institutions (division_code, id),
    FOREIGN KEY (receiver_division_code, receiver_institution_id) REFERENCES institutions (division_code, id)
);
CREATE INDEX referrals_id ON referrals (id);
CREATE INDEX referrals_sender ON referrals (division_code, sender_institution_id, updated_at);
CREATE INDEX referrals_receiver ON referrals (receiver_division_code, receiver_institution_id, updated_at);
CREATE INDEX referrals_state ON referrals (state);

-- Every transition: who, for which institution, when, why (actor ids are plain values: the actor
-- may belong to another county).
CREATE TABLE referral_events (
    division_code  TEXT NOT NULL,
    id             TEXT NOT NULL,
    referral_id    TEXT NOT NULL,
    from_state     TEXT NOT NULL,
    to_state       TEXT NOT NULL,
    command        TEXT NOT NULL,
    actor_user_id  TEXT,
    institution_id TEXT,
    at             TEXT NOT NULL,
    reason         TEXT,
    PRIMARY KEY (division_code, id),
    FOREIGN KEY (division_code, referral_id) REFERENCES referrals (division_code, id)
);
CREATE INDEX referral_events_referral ON referral_events (division_code, referral_id, at);
