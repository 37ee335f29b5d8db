-- Remote consultations (远程会诊); keep in step with ../sqlite/0004_consultations.sql.
-- `division_code` is the inviting institution's county; the invited institution (the lead
-- hospital's consultation centre) may sit in another county. `engine` holds the care engine's state.

CREATE TABLE consultations (
    division_code          TEXT NOT NULL,
    id                     TEXT NOT NULL,
    resident_id            TEXT NOT NULL,
    inviting_institution_id TEXT NOT NULL,
    invited_division_code  TEXT NOT NULL,
    invited_institution_id TEXT NOT NULL,
    specialty              TEXT NOT NULL,
    urgency                TEXT NOT NULL,
    mode                   TEXT NOT NULL,
    state                  TEXT NOT NULL,
    question               TEXT NOT NULL,
    summary                TEXT NOT NULL,
    engine                 TEXT NOT NULL,
    version                BIGINT NOT NULL DEFAULT 1,
    created_at             TIMESTAMPTZ NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (division_code, id),
    FOREIGN KEY (division_code, resident_id) REFERENCES residents (division_code, id),
    FOREIGN KEY (division_code, inviting_institution_id) REFERENCES institutions (division_code, id),
    FOREIGN KEY (invited_division_code, invited_institution_id) REFERENCES institutions (division_code, id)
);
CREATE INDEX consultations_id ON consultations (id);
CREATE INDEX consultations_inviting ON consultations (division_code, inviting_institution_id, updated_at);
CREATE INDEX consultations_invited ON consultations (invited_division_code, invited_institution_id, updated_at);
CREATE INDEX consultations_state ON consultations (state);

-- Every transition (actor ids are plain values: experts may belong to another county).
CREATE TABLE consultation_events (
    division_code   TEXT NOT NULL,
    id              TEXT NOT NULL,
    consultation_id TEXT NOT NULL,
    from_state      TEXT NOT NULL,
    to_state        TEXT NOT NULL,
    command         TEXT NOT NULL,
    actor_user_id   TEXT,
    institution_id  TEXT,
    at              TIMESTAMPTZ NOT NULL,
    reason          TEXT,
    PRIMARY KEY (division_code, id),
    FOREIGN KEY (division_code, consultation_id) REFERENCES consultations (division_code, id)
);
CREATE INDEX consultation_events_consultation ON consultation_events (division_code, consultation_id, at);
