-- The audit log becomes a hash chain per county (see ../sqlite/0015_security.sql and
-- docs/SECURITY.md). On PostgreSQL an upsert (ON CONFLICT DO UPDATE) fires the UPDATE trigger,
-- so REPLACE-like rewrites are already refused; the chain makes any rewrite by a superuser who
-- drops the triggers detectable.
ALTER TABLE audit_log ADD COLUMN seq BIGINT;
ALTER TABLE audit_log ADD COLUMN chain_hash TEXT;
CREATE UNIQUE INDEX audit_log_chain ON audit_log (division_code, seq);

CREATE TABLE audit_chain (
    division_code TEXT NOT NULL PRIMARY KEY,
    seq           BIGINT NOT NULL,
    head_hash     TEXT NOT NULL
);

-- Login throttling (docs/SECURITY.md): consecutive failed logins of an account and the instant
-- before which it may not try again (a growing back-off, then a lock an administrator can lift).
ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until TIMESTAMPTZ;
