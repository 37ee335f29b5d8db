-- Dispensed drug units per month, institution, prescriber, generic and selection, kept at write
-- time (the dispensing transaction and the bulk loaders add to it) so that the usage report of a
-- year reads twelve months of totals instead of every dispensed line (docs/PERFORMANCE.md,
-- Medicines). `month` is the month's first day. Keep in step with ../sqlite/0023_usage_monthly.sql.
CREATE TABLE usage_monthly (
    division_code  TEXT NOT NULL,
    month          DATE NOT NULL,
    institution_id TEXT NOT NULL,
    prescriber     TEXT NOT NULL,
    generic_name   TEXT NOT NULL,
    dosage_form    TEXT NOT NULL,
    selected       BOOLEAN NOT NULL,
    units          BIGINT NOT NULL,
    amount         BIGINT NOT NULL,
    PRIMARY KEY (division_code, month, institution_id, prescriber, generic_name, dosage_form, selected),
    FOREIGN KEY (division_code, institution_id) REFERENCES institutions (division_code, id)
);
INSERT INTO usage_monthly (division_code, month, institution_id, prescriber, generic_name, dosage_form, selected, units, amount)
SELECT division_code, CAST(date_trunc('month', dispensed_on) AS DATE), institution_id, prescriber, generic_name, dosage_form, selected,
       SUM(quantity), SUM(COALESCE(amount, 0))
FROM prescription_lines WHERE dispensed_on IS NOT NULL AND generic_name <> ''
GROUP BY division_code, CAST(date_trunc('month', dispensed_on) AS DATE), institution_id, prescriber, generic_name, dosage_form, selected;
