package hub

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the hub's store on PostgreSQL
	_ "github.com/mattn/go-sqlite3"    // the hub's store on SQLite

	"posterm/gateway"
	"posterm/pos"
)

// Store is the hub's own SQLite database: every event once (by event id),
// and per till the latest known row of each charge and refund.
type Store struct {
	db *sql.DB
	pg bool // PostgreSQL ([hub] database_url); SQLite otherwise
}

// q adapts a query written with ? placeholders to the store's database.
func (s *Store) q(query string) string {
	if !s.pg {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

const storeSchema = `
CREATE TABLE IF NOT EXISTS events (
    event_id      TEXT    PRIMARY KEY,
    till          TEXT    NOT NULL,
    seq           INTEGER NOT NULL,
    kind          TEXT    NOT NULL,
    charge_code   TEXT    NOT NULL,
    out_refund_no TEXT    NOT NULL,
    state         TEXT    NOT NULL,
    amount        INTEGER NOT NULL,
    at            TEXT    NOT NULL,
    received_at   TEXT    NOT NULL,
    payload       TEXT    NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS charges (
    till        TEXT    NOT NULL,
    charge_code TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    state       TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    origin      TEXT    NOT NULL, -- "" for the till's own charge, else the till that made it
    payload     TEXT    NOT NULL,
    PRIMARY KEY (till, charge_code)
) STRICT;
CREATE TABLE IF NOT EXISTS refunds (
    till          TEXT    NOT NULL,
    out_refund_no TEXT    NOT NULL,
    charge_code   TEXT    NOT NULL,
    seq           INTEGER NOT NULL,
    state         TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    payload       TEXT    NOT NULL,
    PRIMARY KEY (till, out_refund_no)
) STRICT;
CREATE TABLE IF NOT EXISTS notifications (
    charge_code TEXT    PRIMARY KEY,
    till        TEXT    NOT NULL,
    state       INTEGER NOT NULL,
    amount      INTEGER NOT NULL,
    received    INTEGER NOT NULL,
    first_at    TEXT    NOT NULL,
    last_at     TEXT    NOT NULL,
    payload     TEXT    NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS settlements (
    till    TEXT    PRIMARY KEY, -- the last settle result of each till
    seq     INTEGER NOT NULL,
    payload TEXT    NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS z_reports (
    till    TEXT    NOT NULL,
    number  INTEGER NOT NULL,
    until_at TEXT   NOT NULL,
    payload TEXT    NOT NULL,
    PRIMARY KEY (till, number)
) STRICT;
CREATE TABLE IF NOT EXISTS devices (
    till    TEXT    PRIMARY KEY, -- the last reported device status of each till
    seq     INTEGER NOT NULL,
    payload TEXT    NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS tills (
    till        TEXT    PRIMARY KEY,
    events      INTEGER NOT NULL,
    last_seq    INTEGER NOT NULL,
    last_at     TEXT    NOT NULL,
    received_at TEXT    NOT NULL
) STRICT;
`

const timeLayout = "2006-01-02T15:04:05.000000000Z"

func ts(t time.Time) string { return t.UTC().Format(timeLayout) }

// StoreName is how a store location is shown: a PostgreSQL URL (which may
// hold a password) only as its host and database.
func StoreName(path string) string {
	if !strings.HasPrefix(path, "postgres://") && !strings.HasPrefix(path, "postgresql://") {
		return path
	}
	u, err := url.Parse(path)
	if err != nil {
		return "PostgreSQL"
	}
	return "PostgreSQL " + u.Host + u.Path
}

// OpenStore opens (creating) the hub's store: a PostgreSQL database when
// path is a postgres:// or postgresql:// URL ([hub] database_url), else the
// SQLite file at path.
func OpenStore(path string) (*Store, error) {
	if strings.HasPrefix(path, "postgres://") || strings.HasPrefix(path, "postgresql://") {
		db, err := sql.Open("pgx", path)
		if err != nil {
			return nil, fmt.Errorf("hub store (PostgreSQL): %w", err)
		}
		if _, err := db.Exec(strings.ReplaceAll(storeSchema, ") STRICT;", ");")); err != nil {
			db.Close()
			// The URL may hold a password: not in the error.
			return nil, fmt.Errorf("hub store (PostgreSQL): schema: %w", err)
		}
		return &Store{db: db, pg: true}, nil
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=5000&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("hub store %s: %w", path, err)
	}
	if _, err := db.Exec(storeSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("hub store %s: schema: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// Ingest stores evs in one SQL transaction and returns how many were new.
// An event already stored (same id) changes nothing.
func (s *Store) Ingest(ctx context.Context, evs []pos.OutboxEvent, received time.Time) (int, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("hub ingest: %w", err)
	}
	defer tx.Rollback()
	n := 0
	for _, e := range evs {
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO events (event_id, till, seq, kind, charge_code, out_refund_no,
			state, amount, at, received_at, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (event_id) DO NOTHING`),
			e.ID, e.Till, e.Seq, string(e.Kind), string(e.ChargeCode), e.OutRefundNo, e.State, int64(e.Amount),
			ts(e.At), ts(received), string(e.Payload))
		if err != nil {
			return 0, fmt.Errorf("hub ingest %s: %w", e.ID, err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			continue
		}
		n++
		switch e.Kind {
		case pos.FeedTransaction:
			var t pos.Transaction
			if err := json.Unmarshal(e.Payload, &t); err != nil {
				return 0, fmt.Errorf("hub ingest %s: payload: %w", e.ID, err)
			}
			_, err = tx.ExecContext(ctx, s.q(`INSERT INTO charges (till, charge_code, seq, state, created_at, origin, payload)
				VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (till, charge_code) DO UPDATE SET
				seq = excluded.seq, state = excluded.state, payload = excluded.payload WHERE excluded.seq > charges.seq`),
				e.Till, string(e.ChargeCode), e.Seq, e.State, ts(t.CreatedAt), e.Origin, string(e.Payload))
		case pos.FeedRefund:
			var r pos.Refund
			if err := json.Unmarshal(e.Payload, &r); err != nil {
				return 0, fmt.Errorf("hub ingest %s: payload: %w", e.ID, err)
			}
			_, err = tx.ExecContext(ctx, s.q(`INSERT INTO refunds (till, out_refund_no, charge_code, seq, state, created_at, payload)
				VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (till, out_refund_no) DO UPDATE SET
				seq = excluded.seq, state = excluded.state, payload = excluded.payload WHERE excluded.seq > refunds.seq`),
				e.Till, e.OutRefundNo, string(e.ChargeCode), e.Seq, e.State, ts(r.CreatedAt), string(e.Payload))
		case pos.FeedSettlement, pos.FeedDevices:
			table := "settlements"
			if e.Kind == pos.FeedDevices {
				table = "devices"
			}
			_, err = tx.ExecContext(ctx, s.q(`INSERT INTO `+table+` (till, seq, payload) VALUES (?, ?, ?)
				ON CONFLICT (till) DO UPDATE SET seq = excluded.seq, payload = excluded.payload
				WHERE excluded.seq > `+table+`.seq`), e.Till, e.Seq, string(e.Payload))
		case pos.FeedZReport:
			var z pos.ZReport
			if err := json.Unmarshal(e.Payload, &z); err != nil {
				return 0, fmt.Errorf("hub ingest %s: payload: %w", e.ID, err)
			}
			_, err = tx.ExecContext(ctx, s.q(`INSERT INTO z_reports (till, number, until_at, payload) VALUES (?, ?, ?, ?)
				ON CONFLICT (till, number) DO NOTHING`), e.Till, z.Number, ts(z.Until), string(e.Payload))
		}
		if err != nil {
			return 0, fmt.Errorf("hub ingest %s: %w", e.ID, err)
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO tills (till, events, last_seq, last_at, received_at) VALUES (?, 1, ?, ?, ?)
			ON CONFLICT (till) DO UPDATE SET events = tills.events + 1, received_at = excluded.received_at,
			last_seq = CASE WHEN excluded.last_seq > tills.last_seq THEN excluded.last_seq ELSE tills.last_seq END,
			last_at = CASE WHEN excluded.last_seq > tills.last_seq THEN excluded.last_at ELSE tills.last_at END`),
			e.Till, e.Seq, ts(e.At), ts(received))
		if err != nil {
			return 0, fmt.Errorf("hub ingest %s: till: %w", e.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("hub ingest: commit: %w", err)
	}
	return n, nil
}

// TillSeen is one till as the hub knows it.
type TillSeen struct {
	Till       string
	Events     int       // events stored
	LastSeq    int64     // the highest outbox seq received
	LastAt     time.Time // when that event happened at the till
	ReceivedAt time.Time // when the hub last stored one of its events
}

// Lag is how far behind the till's last event the hub stored it.
func (t TillSeen) Lag() time.Duration { return t.ReceivedAt.Sub(t.LastAt) }

// Tills lists the tills seen, by identity.
func (s *Store) Tills(ctx context.Context) ([]TillSeen, error) {
	rows, err := s.db.QueryContext(ctx, s.q("SELECT till, events, last_seq, last_at, received_at FROM tills ORDER BY till"))
	if err != nil {
		return nil, fmt.Errorf("hub tills: %w", err)
	}
	defer rows.Close()
	var out []TillSeen
	for rows.Next() {
		var t TillSeen
		var at, rec string
		if err := rows.Scan(&t.Till, &t.Events, &t.LastSeq, &at, &rec); err != nil {
			return nil, fmt.Errorf("hub tills: %w", err)
		}
		t.LastAt, _ = time.Parse(timeLayout, at)
		t.ReceivedAt, _ = time.Parse(timeLayout, rec)
		out = append(out, t)
	}
	return out, rows.Err()
}

// EventCount returns how many events are stored for each till.
func (s *Store) EventCount(ctx context.Context) (map[string]int, error) {
	ts, err := s.Tills(ctx)
	if err != nil {
		return nil, err
	}
	m := map[string]int{}
	for _, t := range ts {
		m[t.Till] = t.Events
	}
	return m, nil
}

// Totals computes each till's shift totals over [since, until) (zero until:
// open end) from the charges and refunds as that till last reported them —
// pos.ComputeShift, the same rule as `posterm shift` on the till.
func (s *Store) Totals(ctx context.Context, since, until time.Time) (map[string]pos.ShiftTotals, error) {
	cs, rs, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	return group(since, until, cs, rs, func(c charge) string { return c.till }, func(r refund) string { return r.till }), nil
}

// TillIDs returns the keys of m sorted.
func TillIDs[V any](m map[string]V) []string {
	ids := make([]string, 0, len(m))
	for k := range m {
		ids = append(ids, k)
	}
	sort.Strings(ids)
	return ids
}

func in(t, since, until time.Time) bool {
	return !t.Before(since) && (until.IsZero() || t.Before(until))
}

func (s *Store) each(ctx context.Context, q string, fn func(till string, payload []byte, origin string) error) error {
	rows, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("hub store: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var till, payload, origin string
		if err := rows.Scan(&till, &payload, &origin); err != nil {
			return fmt.Errorf("hub store: %w", err)
		}
		if err := fn(till, []byte(payload), origin); err != nil {
			return fmt.Errorf("hub store: %w", err)
		}
	}
	return rows.Err()
}

// KeepNotification records a gateway notification (the latest of each
// charge, and how many times it came).
func (s *Store) KeepNotification(ctx context.Context, n gateway.Notification, till string, payload []byte, at time.Time) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO notifications (charge_code, till, state, amount, received, first_at, last_at, payload)
		VALUES (?, ?, ?, ?, 1, ?, ?, ?) ON CONFLICT (charge_code) DO UPDATE SET state = excluded.state,
		amount = excluded.amount, received = notifications.received + 1, last_at = excluded.last_at, payload = excluded.payload`),
		n.ChargeCode, till, n.State, int64(n.Amt), ts(at), ts(at), string(payload))
	if err != nil {
		return fmt.Errorf("hub: keep notification: %w", err)
	}
	return nil
}

// TillKnown reports whether the hub has had an event from till.
func (s *Store) TillKnown(ctx context.Context, till string) (bool, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, s.q("SELECT count(*) FROM tills WHERE till = ?"), till).Scan(&n); err != nil {
		return false, fmt.Errorf("hub store: %w", err)
	}
	return n > 0, nil
}

// KeptNotification is a notification the hub received.
type KeptNotification struct {
	ChargeCode string
	Till       string // "" when the code names none
	State      int
	Amount     pos.Money
	Received   int // times the gateway sent it
	LastAt     time.Time
}

// UnknownTillNotifications lists the notifications whose charge code names
// no till the hub has seen (or no till at all): kept, and to be looked at.
func (s *Store) UnknownTillNotifications(ctx context.Context) ([]KeptNotification, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT charge_code, till, state, amount, received, last_at FROM notifications
		WHERE till NOT IN (SELECT till FROM tills) ORDER BY last_at, charge_code`))
	if err != nil {
		return nil, fmt.Errorf("hub store: %w", err)
	}
	defer rows.Close()
	var out []KeptNotification
	for rows.Next() {
		var k KeptNotification
		var at string
		if err := rows.Scan(&k.ChargeCode, &k.Till, &k.State, &k.Amount, &k.Received, &at); err != nil {
			return nil, fmt.Errorf("hub store: %w", err)
		}
		k.LastAt, _ = time.Parse(timeLayout, at)
		out = append(out, k)
	}
	return out, rows.Err()
}

// LookupCharge finds a charge made at any till: the row its own till last
// reported, with Refunded raised to the most any till has refunded of it
// (a refund made at another till updates that till's copy). found is false
// when no till has reported it.
func (s *Store) LookupCharge(ctx context.Context, code pos.ChargeCode) (t pos.Transaction, till string, found bool, err error) {
	rows, err := s.db.QueryContext(ctx, s.q("SELECT till, origin, payload FROM charges WHERE charge_code = ?"), string(code))
	if err != nil {
		return t, "", false, fmt.Errorf("hub lookup: %w", err)
	}
	defer rows.Close()
	var refunded pos.Money
	for rows.Next() {
		var rowTill, origin, payload string
		if err := rows.Scan(&rowTill, &origin, &payload); err != nil {
			return t, "", false, fmt.Errorf("hub lookup: %w", err)
		}
		var c pos.Transaction
		if err := json.Unmarshal([]byte(payload), &c); err != nil {
			return t, "", false, fmt.Errorf("hub lookup: %w", err)
		}
		refunded = max(refunded, c.Refunded)
		if origin == "" {
			t, till, found = c, rowTill, true
		}
	}
	if err := rows.Err(); err != nil {
		return t, "", false, fmt.Errorf("hub lookup: %w", err)
	}
	if found && refunded > t.Refunded {
		t.Refunded = refunded
		t.State = pos.StateAfterRefund(t.Amount, refunded)
	}
	return t, till, found, nil
}

// TillNews is what a till reported besides its takings: its last settle
// result, its Z reports and its device status.
type TillNews struct {
	Till       string
	Settlement *pos.Settlement   // nil: none reported
	Devices    *pos.DeviceStatus // nil: none reported
	Z          []pos.ZReport     // the latest first
}

// News returns, by till, the last settlement, device status and up to zLimit
// Z reports (the latest first) each till reported, sorted by till.
func (s *Store) News(ctx context.Context, zLimit int) ([]TillNews, error) {
	by := map[string]*TillNews{}
	get := func(till string) *TillNews {
		if by[till] == nil {
			by[till] = &TillNews{Till: till}
		}
		return by[till]
	}
	if err := s.each(ctx, "SELECT till, payload, '' FROM settlements", func(till string, payload []byte, _ string) error {
		var st pos.Settlement
		if err := json.Unmarshal(payload, &st); err != nil {
			return err
		}
		get(till).Settlement = &st
		return nil
	}); err != nil {
		return nil, err
	}
	if err := s.each(ctx, "SELECT till, payload, '' FROM devices", func(till string, payload []byte, _ string) error {
		var d pos.DeviceStatus
		if err := json.Unmarshal(payload, &d); err != nil {
			return err
		}
		get(till).Devices = &d
		return nil
	}); err != nil {
		return nil, err
	}
	if err := s.each(ctx, "SELECT till, payload, '' FROM z_reports ORDER BY till, number DESC", func(till string, payload []byte, _ string) error {
		n := get(till)
		if zLimit > 0 && len(n.Z) >= zLimit {
			return nil
		}
		var z pos.ZReport
		if err := json.Unmarshal(payload, &z); err != nil {
			return err
		}
		n.Z = append(n.Z, z)
		return nil
	}); err != nil {
		return nil, err
	}
	out := make([]TillNews, 0, len(by))
	for _, id := range TillIDs(by) {
		out = append(out, *by[id])
	}
	return out, nil
}

// ErrNoStore is returned when the hub's store file does not exist.
var ErrNoStore = errors.New("hub store not found")
