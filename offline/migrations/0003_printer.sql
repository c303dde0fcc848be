-- Print states queued / sending / sent / printed / failed (PRINTER, issue 11).
-- `sending`: an attempt is writing the job (found after a crash: the printer
-- got an unknown part, the next attempt prints a marked copy). `sent`: every
-- byte was taken but the printer never confirmed after the last one; it is
-- not retried (that could double it) and is counted apart. `cut`: an attempt
-- delivered part of the job, so the next one recovers the printer and prints
-- the whole job marked as a copy; `owed`: filler bytes the printer still
-- expects to finish the command it was cut off in (a raster band).
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt.
CREATE TABLE print_jobs_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT    NOT NULL,
    charge_code     TEXT    NOT NULL DEFAULT '',
    out_refund_no   TEXT    NOT NULL DEFAULT '',
    reprint         INTEGER NOT NULL DEFAULT 0 CHECK (reprint IN (0, 1)),
    receipt         TEXT    CHECK (receipt IS NULL OR json_valid(receipt)),
    data            BLOB,
    state           TEXT    NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'sending', 'sent', 'printed', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error      TEXT    NOT NULL DEFAULT '',
    next_attempt_at TEXT    NOT NULL DEFAULT '',
    created_at      TEXT    NOT NULL,
    sent_at         TEXT    NOT NULL DEFAULT '',
    printed_at      TEXT    NOT NULL DEFAULT '',
    cut             INTEGER NOT NULL DEFAULT 0 CHECK (cut IN (0, 1)),
    owed            INTEGER NOT NULL DEFAULT 0 CHECK (owed >= 0)
) STRICT;

INSERT INTO print_jobs_new (id, kind, charge_code, out_refund_no, reprint, receipt, data, state, attempts,
    last_error, next_attempt_at, created_at, sent_at, printed_at)
SELECT id, kind, charge_code, out_refund_no, reprint, receipt, data, state, attempts,
    CASE state WHEN 'printed' THEN '' ELSE last_error END, next_attempt_at, created_at, printed_at, printed_at
FROM print_jobs;

DROP TABLE print_jobs;
ALTER TABLE print_jobs_new RENAME TO print_jobs;

CREATE INDEX print_jobs_pending ON print_jobs (id) WHERE state NOT IN ('sent', 'printed');
CREATE INDEX print_jobs_charge  ON print_jobs (charge_code, kind);

CREATE TRIGGER print_jobs_no_delete BEFORE DELETE ON print_jobs
BEGIN SELECT RAISE(ABORT, 'journal: print jobs are never deleted'); END;
-- A done job (sent or printed) stays done; what a job prints never changes.
CREATE TRIGGER print_jobs_done_sticks BEFORE UPDATE OF state ON print_jobs
WHEN OLD.state IN ('sent', 'printed') AND NEW.state NOT IN ('sent', 'printed')
BEGIN SELECT RAISE(ABORT, 'journal: a printed job stays printed'); END;
CREATE TRIGGER print_jobs_content_fixed
BEFORE UPDATE OF id, kind, charge_code, out_refund_no, reprint, receipt, data, created_at ON print_jobs
BEGIN SELECT RAISE(ABORT, 'journal: a print job''s content never changes'); END;

-- Closing (Z) reports, numbered per till from 1, never reused, never
-- changed; `report` is the whole pos.ZReport as JSON.
CREATE TABLE z_reports (
    till       TEXT    NOT NULL,
    number     INTEGER NOT NULL CHECK (number > 0),
    since      TEXT    NOT NULL DEFAULT '',
    until      TEXT    NOT NULL,
    closed_by  TEXT    NOT NULL DEFAULT '',
    report     TEXT    NOT NULL CHECK (json_valid(report)),
    created_at TEXT    NOT NULL,
    PRIMARY KEY (till, number)
) STRICT;
CREATE TRIGGER z_reports_no_delete BEFORE DELETE ON z_reports
BEGIN SELECT RAISE(ABORT, 'journal: Z reports are never deleted'); END;
CREATE TRIGGER z_reports_no_update BEFORE UPDATE ON z_reports
BEGIN SELECT RAISE(ABORT, 'journal: Z reports never change'); END;
