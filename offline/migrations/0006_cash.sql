-- 0006 (branch cash): the cash a customer handed over for a cash sale
-- (pos.KindCash, created paid; no gateway call). Zero for wallet charges.
-- The change given is tendered_fen − amount_fen. Fixed once written.
ALTER TABLE transactions ADD COLUMN tendered_fen INTEGER NOT NULL DEFAULT 0 CHECK (tendered_fen >= 0);

CREATE TRIGGER transactions_tendered_fixed BEFORE UPDATE OF tendered_fen ON transactions
BEGIN SELECT RAISE(ABORT, 'journal: the cash tendered is fixed'); END;

-- Explicit openings of the cash drawer outside a sale (pos.OpenDrawer):
-- who, when, why, and the print job that is the drawer kick. Append-only.
CREATE TABLE drawer_openings (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT    NOT NULL,
    till    TEXT    NOT NULL DEFAULT '',
    who     TEXT    NOT NULL CHECK (who <> ''),
    role    TEXT    NOT NULL,
    reason  TEXT    NOT NULL DEFAULT '',
    job_id  INTEGER NOT NULL REFERENCES print_jobs (id)
) STRICT;

CREATE INDEX drawer_openings_at ON drawer_openings (at, id);

CREATE TRIGGER drawer_openings_no_delete BEFORE DELETE ON drawer_openings
BEGIN SELECT RAISE(ABORT, 'journal: drawer openings are never deleted'); END;
CREATE TRIGGER drawer_openings_no_update BEFORE UPDATE ON drawer_openings
BEGIN SELECT RAISE(ABORT, 'journal: drawer openings are append-only'); END;
