-- Invited guests of a consultation's video call (受邀参会人员): a colleague the parties bring in
-- (the referring village doctor, a trainee, a second specialist). Guests are admitted to the call
-- and may read the consultation; they take no part in its workflow. One row per guest; the guest
-- may work in another county (user_division_code).
-- Keep in step with ../postgres/0013_consultation_guests.sql.
CREATE TABLE consultation_guests (
    division_code      TEXT NOT NULL,
    consultation_id    TEXT NOT NULL,
    user_division_code TEXT NOT NULL,
    user_id            TEXT NOT NULL,
    invited_by         TEXT NOT NULL,
    invited_at         TEXT NOT NULL,
    PRIMARY KEY (division_code, consultation_id, user_id),
    FOREIGN KEY (division_code, consultation_id) REFERENCES consultations (division_code, id),
    FOREIGN KEY (user_division_code, user_id) REFERENCES users (division_code, id)
);
CREATE INDEX consultation_guests_user ON consultation_guests (user_id);
