-- 0002 (branch answers): the results of `posterm settle` (pos.Settlement),
-- one row per run, never deleted; the register's Unsettled screen shows the
-- last one (pos.LastSettlement).
CREATE TABLE settlements (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    date        TEXT    NOT NULL,            -- YYYY-MM-DD in the shop's zone
    at          TEXT    NOT NULL,            -- when it ran (fixed-width UTC)
    agree       INTEGER NOT NULL CHECK (agree IN (0, 1)),
    differences INTEGER NOT NULL CHECK (differences >= 0),
    result      TEXT    NOT NULL CHECK (json_valid(result))
) STRICT;

CREATE INDEX settlements_date ON settlements (date, id);

CREATE TRIGGER settlements_no_delete BEFORE DELETE ON settlements
BEGIN SELECT RAISE(ABORT, 'journal: settlements are never deleted'); END;
CREATE TRIGGER settlements_no_update BEFORE UPDATE ON settlements
BEGIN SELECT RAISE(ABORT, 'journal: settlements are append-only'); END;
