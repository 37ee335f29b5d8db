-- Referral lists page with totals (GET /api/v1/referrals?state=…&offset=…&limit=…): the count and
-- the page of one state of an institution's inbox or outbox are answered from these indexes
-- instead of filtering every referral the institution ever sent or received.
CREATE INDEX referrals_receiver_state ON referrals (receiver_division_code, receiver_institution_id, state, updated_at);
CREATE INDEX referrals_sender_state ON referrals (division_code, sender_institution_id, state, updated_at);
