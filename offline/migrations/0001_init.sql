-- 0001: the journal's first schema.
--
-- Conventions:
--   * times are UTC text of fixed width, 2006-01-02T15:04:05.000000000Z, so
--     that text order is time order; '' is "no time" and sorts first;
--   * money is INTEGER fen;
--   * nothing is ever deleted: triggers refuse DELETE on every table, and
--     UPDATE on the audit log and on the facts of a row that never change.
--   * `unsettled` is written by the journal from pos.Transaction.Unsettled /
--     pos.Refund.Unsettled on every write, so the queue follows pos's rule.

CREATE TABLE schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at TEXT    NOT NULL
) STRICT;

CREATE TABLE transactions (
    charge_code       TEXT    PRIMARY KEY,
    kind              TEXT    NOT NULL,
    state             TEXT    NOT NULL,
    sale_id           TEXT    NOT NULL DEFAULT '',
    register          TEXT    NOT NULL DEFAULT '',
    amount_fen        INTEGER NOT NULL CHECK (amount_fen >= 0),
    refunded_fen      INTEGER NOT NULL DEFAULT 0 CHECK (refunded_fen >= 0 AND refunded_fen <= amount_fen),
    channel           INTEGER NOT NULL DEFAULT 0,
    masked_code       TEXT    NOT NULL DEFAULT '',
    subject           TEXT    NOT NULL DEFAULT '',
    cashier           TEXT    NOT NULL DEFAULT '',
    charge_down_code  TEXT    NOT NULL DEFAULT '',
    charge_third_code TEXT    NOT NULL DEFAULT '',
    bar_code          TEXT    NOT NULL DEFAULT '',
    result_code       TEXT    NOT NULL DEFAULT '',
    result_info       TEXT    NOT NULL DEFAULT '',
    fund_bills        TEXT    NOT NULL DEFAULT '' CHECK (fund_bills = '' OR json_valid(fund_bills)),
    give_up           INTEGER NOT NULL DEFAULT 0 CHECK (give_up IN (0, 1)),
    give_up_reason    TEXT    NOT NULL DEFAULT '',
    acked_by          TEXT    NOT NULL DEFAULT '',
    expires_at        TEXT    NOT NULL DEFAULT '',
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL,
    paid_at           TEXT    NOT NULL DEFAULT '',
    -- the reconciliation queue
    unsettled         INTEGER NOT NULL CHECK (unsettled IN (0, 1)),
    attempts          INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at   TEXT    NOT NULL DEFAULT '',
    last_error        TEXT    NOT NULL DEFAULT '',
    lease_owner       TEXT    NOT NULL DEFAULT '',
    lease_until       TEXT    NOT NULL DEFAULT ''
) STRICT;

-- The queue index covers the lease columns so that Claim skips leased rows
-- without reading the table.
CREATE INDEX transactions_queue   ON transactions (next_attempt_at, charge_code, lease_until, lease_owner) WHERE unsettled = 1;
CREATE INDEX transactions_created ON transactions (created_at, charge_code);
CREATE INDEX transactions_sale    ON transactions (sale_id) WHERE sale_id <> '';

CREATE TABLE refunds (
    out_refund_no   TEXT    PRIMARY KEY,
    charge_code     TEXT    NOT NULL REFERENCES transactions (charge_code),
    amount_fen      INTEGER NOT NULL CHECK (amount_fen > 0),
    reason          TEXT    NOT NULL DEFAULT '',
    state           TEXT    NOT NULL,
    cashier         TEXT    NOT NULL DEFAULT '',
    approver        TEXT    NOT NULL DEFAULT '',
    result_code     TEXT    NOT NULL DEFAULT '',
    result_info     TEXT    NOT NULL DEFAULT '',
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    unsettled       INTEGER NOT NULL CHECK (unsettled IN (0, 1)),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TEXT    NOT NULL DEFAULT '',
    last_error      TEXT    NOT NULL DEFAULT '',
    lease_owner     TEXT    NOT NULL DEFAULT '',
    lease_until     TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX refunds_charge  ON refunds (charge_code);
CREATE INDEX refunds_queue   ON refunds (next_attempt_at, charge_code, out_refund_no, lease_until, lease_owner) WHERE unsettled = 1;
CREATE INDEX refunds_created ON refunds (created_at, out_refund_no);

-- The audit log: one line per state change (and per note), append-only.
CREATE TABLE events (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    at            TEXT    NOT NULL,
    charge_code   TEXT    NOT NULL REFERENCES transactions (charge_code),
    out_refund_no TEXT    NOT NULL DEFAULT '',
    op            TEXT    NOT NULL DEFAULT '',
    from_state    TEXT    NOT NULL DEFAULT '',
    to_state      TEXT    NOT NULL DEFAULT '',
    who           TEXT    NOT NULL DEFAULT '',
    approver      TEXT    NOT NULL DEFAULT '',
    result_code   TEXT    NOT NULL DEFAULT '',
    info          TEXT    NOT NULL DEFAULT '',
    note          TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX events_charge ON events (charge_code, seq);

-- Generators' state (charge codes, refund numbers): the last value issued.
CREATE TABLE series (
    name       TEXT PRIMARY KEY,
    last       TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

-- The receipt print queue (printer.JobStore). A job queued by the journal
-- itself (Change.Receipt, RefundChange.Receipt, EnqueueReceipt) has no
-- `data`: it carries `receipt`, a JSON snapshot of the pos.Receipt taken in
-- the same SQL transaction as the change, and the spooler renders it at
-- print time (Journal.ReceiptOf). A job added by the spooler carries its
-- ESC/POS bytes in `data`.
CREATE TABLE print_jobs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT    NOT NULL,
    charge_code     TEXT    NOT NULL DEFAULT '',
    out_refund_no   TEXT    NOT NULL DEFAULT '',
    reprint         INTEGER NOT NULL DEFAULT 0 CHECK (reprint IN (0, 1)),
    receipt         TEXT    CHECK (receipt IS NULL OR json_valid(receipt)),
    data            BLOB,
    state           TEXT    NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'failed', 'printed')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error      TEXT    NOT NULL DEFAULT '',
    next_attempt_at TEXT    NOT NULL DEFAULT '',
    created_at      TEXT    NOT NULL,
    printed_at      TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX print_jobs_pending ON print_jobs (id) WHERE state <> 'printed';
CREATE INDEX print_jobs_charge  ON print_jobs (charge_code, kind);

-- Nothing is ever deleted.
CREATE TRIGGER transactions_no_delete BEFORE DELETE ON transactions
BEGIN SELECT RAISE(ABORT, 'journal: transactions are never deleted'); END;
CREATE TRIGGER refunds_no_delete BEFORE DELETE ON refunds
BEGIN SELECT RAISE(ABORT, 'journal: refunds are never deleted'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'journal: events are append-only'); END;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'journal: events are append-only'); END;
CREATE TRIGGER series_no_delete BEFORE DELETE ON series
BEGIN SELECT RAISE(ABORT, 'journal: series are never deleted'); END;
CREATE TRIGGER print_jobs_no_delete BEFORE DELETE ON print_jobs
BEGIN SELECT RAISE(ABORT, 'journal: print jobs are never deleted'); END;

-- The facts a row is created with never change.
CREATE TRIGGER transactions_facts_fixed
BEFORE UPDATE OF charge_code, kind, amount_fen, created_at, sale_id, register, masked_code, cashier, subject ON transactions
BEGIN SELECT RAISE(ABORT, 'journal: the facts of a transaction never change'); END;
CREATE TRIGGER refunds_facts_fixed
BEFORE UPDATE OF out_refund_no, charge_code, amount_fen, created_at, reason, cashier, approver ON refunds
BEGIN SELECT RAISE(ABORT, 'journal: the facts of a refund never change'); END;
-- Money refunded only grows; a charge given up stays given up.
CREATE TRIGGER transactions_refunded_grows BEFORE UPDATE OF refunded_fen ON transactions
WHEN NEW.refunded_fen < OLD.refunded_fen
BEGIN SELECT RAISE(ABORT, 'journal: refunded_fen never decreases'); END;
CREATE TRIGGER transactions_give_up_sticks BEFORE UPDATE OF give_up ON transactions
WHEN OLD.give_up = 1 AND NEW.give_up <> 1
BEGIN SELECT RAISE(ABORT, 'journal: give_up is never cleared'); END;
-- A printed job stays printed; what a job prints never changes.
CREATE TRIGGER print_jobs_printed_sticks BEFORE UPDATE OF state ON print_jobs
WHEN OLD.state = 'printed' AND NEW.state <> 'printed'
BEGIN SELECT RAISE(ABORT, 'journal: a printed job stays printed'); END;
CREATE TRIGGER print_jobs_content_fixed
BEFORE UPDATE OF id, kind, charge_code, out_refund_no, reprint, receipt, data, created_at ON print_jobs
BEGIN SELECT RAISE(ABORT, 'journal: a print job''s content never changes'); END;
