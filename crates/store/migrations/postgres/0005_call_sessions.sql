-- Video sessions of synchronous consultations, for billing (keep in step with ../sqlite/0005_call_sessions.sql):
-- a session starts when two participants are connected and ends when fewer than two remain.
CREATE TABLE call_sessions (
    division_code    TEXT NOT NULL,
    id               TEXT NOT NULL,
    consultation_id  TEXT NOT NULL,
    started_at       TIMESTAMPTZ NOT NULL,
    ended_at         TIMESTAMPTZ NOT NULL,
    duration_seconds BIGINT NOT NULL,
    participants     TEXT NOT NULL,
    PRIMARY KEY (division_code, id),
    FOREIGN KEY (division_code, consultation_id) REFERENCES consultations (division_code, id)
);
CREATE INDEX call_sessions_consultation ON call_sessions (division_code, consultation_id);
