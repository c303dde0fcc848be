-- 0003 (branch hub): the outbox — every transaction or refund change, for the
-- store hub. One row per change, written in the same SQL transaction as the
-- change (Journal.change); the forwarder publishes pending rows in seq order
-- and moves outbox_sent.seq past them once the hub acknowledged them (a
-- watermark, not a mark per row: a journal commit then writes the outbox's
-- own pages only, no index). The event id is till || '-' || seq. Rows are
-- never deleted.
CREATE TABLE outbox (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    till          TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    charge_code   TEXT    NOT NULL,
    out_refund_no TEXT    NOT NULL DEFAULT '',
    state         TEXT    NOT NULL,
    amount        INTEGER NOT NULL,
    refunded      INTEGER NOT NULL DEFAULT 0,
    cashier       TEXT    NOT NULL DEFAULT '',
    channel       INTEGER NOT NULL DEFAULT 0,
    at            TEXT    NOT NULL,
    payload       TEXT    NOT NULL,
    origin        TEXT    NOT NULL DEFAULT '' -- a charge copied from that till (foreign_charges)
) STRICT;

-- Every row with seq <= outbox_sent.seq was acknowledged by the hub.
CREATE TABLE outbox_sent (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    seq     INTEGER NOT NULL,
    till    TEXT    NOT NULL, -- of the row at seq
    acked_at TEXT   NOT NULL  -- '' until the first ack
) STRICT;
INSERT INTO outbox_sent (id, seq, till, acked_at) VALUES (1, 0, '', '');

CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox
BEGIN SELECT RAISE(ABORT, 'journal: the outbox is append-only'); END;
CREATE TRIGGER outbox_no_update BEFORE UPDATE ON outbox
BEGIN SELECT RAISE(ABORT, 'journal: the outbox is append-only'); END;

-- Charges made at another till of the store, copied here (from the hub) so
-- that a refund or reprint can be made at this till. The copy is not this
-- till's sale: shift totals count only the refund made here. Never deleted.
CREATE TABLE foreign_charges (
    charge_code TEXT PRIMARY KEY,
    origin_till TEXT NOT NULL,
    imported_at TEXT NOT NULL
) STRICT;

CREATE TRIGGER foreign_charges_no_delete BEFORE DELETE ON foreign_charges
BEGIN SELECT RAISE(ABORT, 'journal: imported charges are never deleted'); END;
