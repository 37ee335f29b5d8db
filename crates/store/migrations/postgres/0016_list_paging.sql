-- Referral lists page with totals (GET /api/v1/referrals?box=…&state=…&offset=…&limit=…). An
-- institution's inbox or outbox is answered from an index that holds every column the list shows
-- (the rows themselves carry the engine's JSON, several pages long, which a list never needs),
-- and the count of one state from a narrow index. The covering indexes replace the plain
-- (institution, updated_at) ones of 0003. Keep in step with the other backend's 0016.
DROP INDEX referrals_receiver;
DROP INDEX referrals_sender;
CREATE INDEX referrals_receiver_list ON referrals (receiver_division_code, receiver_institution_id, updated_at, id) INCLUDE (state, division_code, resident_id, sender_institution_id, direction, urgency, version, created_at, reason);
CREATE INDEX referrals_sender_list ON referrals (division_code, sender_institution_id, updated_at, id) INCLUDE (state, resident_id, receiver_institution_id, direction, urgency, version, created_at, reason);
CREATE INDEX referrals_receiver_state ON referrals (receiver_division_code, receiver_institution_id, state, updated_at, id);
CREATE INDEX referrals_sender_state ON referrals (division_code, sender_institution_id, state, updated_at, id);

-- The number of an institution's referrals per side and state, kept by a trigger in the same
-- transaction as every insert, transition (state or receiver) and delete of a referral (see the
-- SQLite 0016).
CREATE TABLE referral_counts (
    division_code  TEXT NOT NULL,
    institution_id TEXT NOT NULL,
    side           TEXT NOT NULL,
    state          TEXT NOT NULL,
    n              BIGINT NOT NULL,
    PRIMARY KEY (division_code, institution_id, side, state),
    FOREIGN KEY (division_code, institution_id) REFERENCES institutions (division_code, id)
);
INSERT INTO referral_counts (division_code, institution_id, side, state, n)
    SELECT division_code, sender_institution_id, 'out', state, COUNT(*) FROM referrals GROUP BY 1, 2, 4;
INSERT INTO referral_counts (division_code, institution_id, side, state, n)
    SELECT receiver_division_code, receiver_institution_id, 'in', state, COUNT(*) FROM referrals GROUP BY 1, 2, 4;

CREATE FUNCTION referral_counts_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE referral_counts SET n = n - 1 WHERE division_code = OLD.division_code AND institution_id = OLD.sender_institution_id AND side = 'out' AND state = OLD.state;
        UPDATE referral_counts SET n = n - 1 WHERE division_code = OLD.receiver_division_code AND institution_id = OLD.receiver_institution_id AND side = 'in' AND state = OLD.state;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO referral_counts VALUES (NEW.division_code, NEW.sender_institution_id, 'out', NEW.state, 1)
            ON CONFLICT (division_code, institution_id, side, state) DO UPDATE SET n = referral_counts.n + 1;
        INSERT INTO referral_counts VALUES (NEW.receiver_division_code, NEW.receiver_institution_id, 'in', NEW.state, 1)
            ON CONFLICT (division_code, institution_id, side, state) DO UPDATE SET n = referral_counts.n + 1;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER referral_counts_insert_delete AFTER INSERT OR DELETE ON referrals
    FOR EACH ROW EXECUTE FUNCTION referral_counts_keep();
CREATE TRIGGER referral_counts_update AFTER UPDATE OF state, division_code, sender_institution_id, receiver_division_code, receiver_institution_id ON referrals
    FOR EACH ROW EXECUTE FUNCTION referral_counts_keep();
