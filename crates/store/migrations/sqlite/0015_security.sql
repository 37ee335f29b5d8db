-- The audit log becomes a hash chain per county (DOMAIN-independent security rule, see
-- docs/SECURITY.md): every row carries its position `seq` in its county's chain and
-- `chain_hash` = SHA-256(previous chain_hash ‖ the row's fields). `audit_chain` holds each
-- county's head; inserting audit rows locks that head row, so the chain never forks.
-- `sanyi audit verify` recomputes the chain: any rewritten, removed or reordered row shows.
-- Rows written before this migration keep seq NULL (reported as unchained by verify).
-- Keep in step with ../postgres/0015_security.sql.
ALTER TABLE audit_log ADD COLUMN seq INTEGER;
ALTER TABLE audit_log ADD COLUMN chain_hash TEXT;
CREATE UNIQUE INDEX audit_log_chain ON audit_log (division_code, seq);

CREATE TABLE audit_chain (
    division_code TEXT NOT NULL PRIMARY KEY,
    seq           INTEGER NOT NULL,
    head_hash     TEXT NOT NULL
);

-- INSERT OR REPLACE deletes the old row without firing the DELETE trigger (recursive triggers
-- are off): refuse any insert that collides with an existing row instead.
CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log
WHEN EXISTS (SELECT 1 FROM audit_log WHERE division_code = NEW.division_code AND id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- Login throttling (docs/SECURITY.md): consecutive failed logins of an account and the instant
-- before which it may not try again (a growing back-off, then a lock an administrator can lift).
ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until TEXT;
