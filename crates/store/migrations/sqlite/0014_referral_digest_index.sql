-- Indicators read each referral's digest over a period of an area. The digest column lies behind
-- the wide engine JSON in the row (it was added later), so reading it from the table walks the
-- engine's overflow pages; this covering index answers the read from the index alone.
-- Keep in step with ../postgres/0014_referral_digest_index.sql.
CREATE INDEX referrals_digest ON referrals (division_code, created_at, sender_institution_id, receiver_institution_id, digest);
-- The few rows written before digests existed, found without reading the others.
CREATE INDEX referrals_undigested ON referrals (division_code, created_at) WHERE digest = '';
