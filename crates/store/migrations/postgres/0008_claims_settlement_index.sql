-- The settlement run aggregates a prefecture-year of claims (millions of rows) by county, month,
-- place and medical type: a covering index lets it read the index alone instead of the wide rows.
-- Keep in step with ../sqlite/0008_claims_settlement_index.sql.
CREATE INDEX claims_settlement ON claims (division_code, year, status, month, in_county, med_type, hifp_pay);
