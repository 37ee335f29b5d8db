-- Referral lists page with totals (GET /api/v1/referrals?box=…&state=…&offset=…&limit=…). An
-- institution's inbox or outbox is answered from an index that holds every column the list shows
-- (the rows themselves carry the engine's JSON, several pages long, which a list never needs),
-- and the count of one state from a narrow index. The covering indexes replace the plain
-- (institution, updated_at) ones of 0003. Keep in step with the other backend's 0016.
DROP INDEX referrals_receiver;
DROP INDEX referrals_sender;
CREATE INDEX referrals_receiver_list ON referrals (receiver_division_code, receiver_institution_id, updated_at, id, state, division_code, resident_id, sender_institution_id, direction, urgency, version, created_at, reason);
CREATE INDEX referrals_sender_list ON referrals (division_code, sender_institution_id, updated_at, id, state, resident_id, receiver_institution_id, direction, urgency, version, created_at, reason);
CREATE INDEX referrals_receiver_state ON referrals (receiver_division_code, receiver_institution_id, state, updated_at, id);
CREATE INDEX referrals_sender_state ON referrals (division_code, sender_institution_id, state, updated_at, id);

-- The number of an institution's referrals per side and state, kept by triggers in the same
-- transaction as every insert, transition (state or receiver) and delete of a referral: a list's
-- total (and the counts by state) is a handful of rows instead of a count over the whole inbox.
CREATE TABLE referral_counts (
    division_code  TEXT NOT NULL,
    institution_id TEXT NOT NULL,
    side           TEXT NOT NULL,
    state          TEXT NOT NULL,
    n              INTEGER NOT NULL,
    PRIMARY KEY (division_code, institution_id, side, state),
    FOREIGN KEY (division_code, institution_id) REFERENCES institutions (division_code, id)
);
INSERT INTO referral_counts (division_code, institution_id, side, state, n)
    SELECT division_code, sender_institution_id, 'out', state, COUNT(*) FROM referrals GROUP BY 1, 2, 4;
INSERT INTO referral_counts (division_code, institution_id, side, state, n)
    SELECT receiver_division_code, receiver_institution_id, 'in', state, COUNT(*) FROM referrals GROUP BY 1, 2, 4;

CREATE TRIGGER referral_counts_insert AFTER INSERT ON referrals BEGIN
    INSERT OR IGNORE INTO referral_counts VALUES (NEW.division_code, NEW.sender_institution_id, 'out', NEW.state, 0);
    UPDATE referral_counts SET n = n + 1 WHERE division_code = NEW.division_code AND institution_id = NEW.sender_institution_id AND side = 'out' AND state = NEW.state;
    INSERT OR IGNORE INTO referral_counts VALUES (NEW.receiver_division_code, NEW.receiver_institution_id, 'in', NEW.state, 0);
    UPDATE referral_counts SET n = n + 1 WHERE division_code = NEW.receiver_division_code AND institution_id = NEW.receiver_institution_id AND side = 'in' AND state = NEW.state;
END;
CREATE TRIGGER referral_counts_update AFTER UPDATE OF state, division_code, sender_institution_id, receiver_division_code, receiver_institution_id ON referrals BEGIN
    UPDATE referral_counts SET n = n - 1 WHERE division_code = OLD.division_code AND institution_id = OLD.sender_institution_id AND side = 'out' AND state = OLD.state;
    UPDATE referral_counts SET n = n - 1 WHERE division_code = OLD.receiver_division_code AND institution_id = OLD.receiver_institution_id AND side = 'in' AND state = OLD.state;
    INSERT OR IGNORE INTO referral_counts VALUES (NEW.division_code, NEW.sender_institution_id, 'out', NEW.state, 0);
    UPDATE referral_counts SET n = n + 1 WHERE division_code = NEW.division_code AND institution_id = NEW.sender_institution_id AND side = 'out' AND state = NEW.state;
    INSERT OR IGNORE INTO referral_counts VALUES (NEW.receiver_division_code, NEW.receiver_institution_id, 'in', NEW.state, 0);
    UPDATE referral_counts SET n = n + 1 WHERE division_code = NEW.receiver_division_code AND institution_id = NEW.receiver_institution_id AND side = 'in' AND state = NEW.state;
END;
CREATE TRIGGER referral_counts_delete AFTER DELETE ON referrals BEGIN
    UPDATE referral_counts SET n = n - 1 WHERE division_code = OLD.division_code AND institution_id = OLD.sender_institution_id AND side = 'out' AND state = OLD.state;
    UPDATE referral_counts SET n = n - 1 WHERE division_code = OLD.receiver_division_code AND institution_id = OLD.receiver_institution_id AND side = 'in' AND state = OLD.state;
END;
