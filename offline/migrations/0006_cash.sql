-- 0006 (branch cash): the cash a customer handed over for a cash sale
-- (pos.KindCash, created paid; no gateway call). Zero for wallet charges.
-- The change given is tendered_fen − amount_fen. Fixed once written.
ALTER TABLE transactions ADD COLUMN tendered_fen INTEGER NOT NULL DEFAULT 0 CHECK (tendered_fen >= 0);

CREATE TRIGGER transactions_tendered_fixed BEFORE UPDATE OF tendered_fen ON transactions
BEGIN SELECT RAISE(ABORT, 'journal: the cash tendered is fixed'); END;
