-- The usage report aggregates a year of dispensed lines by institution, prescriber, generic and
-- selection: an index holding every column it reads lets it scan the index instead of the wide
-- rows (20 M lines: 100 s → 25–32 s on SQLite). Keep in step with ../postgres/0021_usage_index.sql.
DROP INDEX prescription_lines_usage;
CREATE INDEX prescription_lines_usage ON prescription_lines
    (division_code, dispensed_on, generic_name, dosage_form, institution_id, prescriber, selected, quantity, amount);
