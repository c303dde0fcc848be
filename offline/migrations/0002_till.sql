-- 0002 (branch till): the till identity, the sale gate, the change feed.

-- The till identity (pos.Journal.TillID): one row, made when the journal is
-- created. `binding` is a hash of what a copy of the disk does not share
-- (/etc/machine-id and the MACs of the physical NICs); when the journal is
-- opened where the binding differs, the identity is renewed. Every identity
-- the journal has had is in till_history, with why.
CREATE TABLE till (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    ident      TEXT    NOT NULL,
    binding    TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL
) STRICT;

CREATE TABLE till_history (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT    NOT NULL,
    ident   TEXT    NOT NULL,
    binding TEXT    NOT NULL,
    reason  TEXT    NOT NULL
) STRICT;

CREATE TRIGGER till_no_delete BEFORE DELETE ON till
BEGIN SELECT RAISE(ABORT, 'journal: the till identity is never deleted'); END;
CREATE TRIGGER till_history_no_delete BEFORE DELETE ON till_history
BEGIN SELECT RAISE(ABORT, 'journal: till history is append-only'); END;
CREATE TRIGGER till_history_no_update BEFORE UPDATE ON till_history
BEGIN SELECT RAISE(ABORT, 'journal: till history is append-only'); END;

-- The sale gate (pos.Transaction.HoldsSaleGate): `sale_gate` is the sale id
-- while the row holds its sale's gate and '' once it has let go; a row takes
-- the gate only when it is created, so at most one attempt per sale holds
-- it. CreateTransaction checks the sale's rows in the same IMMEDIATE
-- transaction; this unique index is the backstop.
ALTER TABLE transactions ADD COLUMN sale_gate TEXT NOT NULL DEFAULT '';

-- Existing rows: the earliest holder of each sale takes the gate (a journal
-- written before the gate may hold two; the second simply does not hold it).
UPDATE transactions SET sale_gate = sale_id
WHERE sale_id <> ''
  AND ((give_up = 0 AND state IN ('paid', 'partially_refunded', 'refunded')) OR (unsettled = 1 AND acked_by = ''))
  AND rowid = (SELECT min(o.rowid) FROM transactions o
               WHERE o.sale_id = transactions.sale_id
                 AND ((o.give_up = 0 AND o.state IN ('paid', 'partially_refunded', 'refunded')) OR (o.unsettled = 1 AND o.acked_by = '')));

CREATE UNIQUE INDEX transactions_sale_gate ON transactions (sale_gate) WHERE sale_gate <> '';

-- The change feed across processes: every write that publishes a change
-- adds one to feed_clock and to its writer's row (one per open Journal), so
-- a poller tells other processes' changes (clock − own) from its own.
CREATE TABLE feed_clock (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
) STRICT;
INSERT INTO feed_clock (id, seq) VALUES (1, 0);

CREATE TABLE feed_writers (
    writer TEXT    PRIMARY KEY,
    seq    INTEGER NOT NULL
) STRICT;
