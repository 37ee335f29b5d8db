-- Two reads of the stock ledger that grow with every dispensing: what a claim charges for a
-- dispensed prescription (its moves by reference number) and what institutions received under
-- projects (receipts and transfers only, which a partial index keeps apart from the far more
-- numerous dispensing moves). Keep in step with ../postgres/0024_stock_moves_reads.sql.
CREATE INDEX stock_moves_ref ON stock_moves (division_code, ref_no, kind);
CREATE INDEX stock_moves_received ON stock_moves (division_code, moved_on, project_id, institution_id, item_code, quantity, unit_cost)
    WHERE project_id IS NOT NULL AND kind IN ('receipt', 'transfer_in', 'transfer_out');
