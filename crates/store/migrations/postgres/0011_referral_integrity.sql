-- Referral integrity (双向转诊); keep in step with ../sqlite/0011_referral_integrity.sql.
-- (0009 and 0010 are reserved by other branches.)

-- A double submission is refused by the database too, not only by the application's check: at
-- most one open referral of a resident from one sender to one receiver. "Open" is every state but
-- the terminal ones of the care engine (`ReferralState::is_terminal`).
CREATE UNIQUE INDEX referrals_open_once ON referrals (division_code, resident_id, sender_institution_id, receiver_institution_id)
    WHERE state NOT IN ('rejected', 'expired', 'no_show', 'cancelled', 'closed');

-- The institution a down-referral plan sends the patient back to (下转接收机构): it sees the
-- referral, receives the patient and records the follow-ups, so its lists need an index. One row
-- per referral, written with the discharge that sets the plan; the target may sit in another
-- county than the sender, so it carries its own division code for its foreign key.
CREATE TABLE referral_down_targets (
    division_code        TEXT NOT NULL,
    referral_id          TEXT NOT NULL,
    target_division_code TEXT NOT NULL,
    target_institution_id TEXT NOT NULL,
    PRIMARY KEY (division_code, referral_id),
    FOREIGN KEY (division_code, referral_id) REFERENCES referrals (division_code, id),
    FOREIGN KEY (target_division_code, target_institution_id) REFERENCES institutions (division_code, id)
);
CREATE INDEX referral_down_targets_target ON referral_down_targets (target_division_code, target_institution_id);
