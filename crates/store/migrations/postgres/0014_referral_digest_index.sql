-- Indicators read each referral's digest over a period of an area; this covering index answers
-- the read by an index-only scan instead of reading the wide rows (the digest is a few hundred
-- bytes, well under the B-tree entry limit). Keep in step with ../sqlite/0014_referral_digest_index.sql.
CREATE INDEX referrals_digest ON referrals (division_code, created_at) INCLUDE (sender_institution_id, receiver_institution_id, digest);
-- The few rows written before digests existed, found without reading the others.
CREATE INDEX referrals_undigested ON referrals (division_code, created_at) WHERE digest = '';
