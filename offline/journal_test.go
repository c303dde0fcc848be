package offline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"posterm/pos"
	"posterm/pos/postest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// openAt opens the journal at path and closes it at the end of the test.
func openAt(t testing.TB, path string, opts Options) *Journal {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	j, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

// openTemp opens a fresh journal in t.TempDir().
func openTemp(t testing.TB) *Journal {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "journal.db"), Options{})
}

func TestJournal_Conformance(t *testing.T) {
	postest.TestJournal(t, func(t *testing.T) pos.Journal { return openTemp(t) })
}

func TestOpen_PragmasInEffect(t *testing.T) {
	j := openTemp(t)
	ctx := context.Background()
	// Ask on several connections of the pool at once: the DSN applies the
	// pragmas to every connection, not only the first.
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := j.db.Conn(ctx)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			var mode string
			var sync, fk, busy int
			for _, q := range []struct {
				sql string
				dst any
			}{{"PRAGMA journal_mode", &mode}, {"PRAGMA synchronous", &sync}, {"PRAGMA foreign_keys", &fk}, {"PRAGMA busy_timeout", &busy}} {
				if err := c.QueryRowContext(ctx, q.sql).Scan(q.dst); err != nil {
					t.Errorf("%s: %v", q.sql, err)
				}
			}
			if mode != "wal" || sync != 2 || fk != 1 || busy != int(DefaultBusyTimeout/time.Millisecond) {
				t.Errorf("pragmas: got journal_mode=%s synchronous=%d foreign_keys=%d busy_timeout=%d; want wal 2 1 %d",
					mode, sync, fk, busy, DefaultBusyTimeout/time.Millisecond)
			}
		}()
	}
	wg.Wait()
}

func TestOpen_MigratesEmptyFileAndReopens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	ctx := context.Background()
	j, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	var v, applied int
	if err := j.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil || v != SchemaVersion() || v < 1 {
		t.Fatalf("user_version: got %d, %v; want %d", v, err, SchemaVersion())
	}
	if err := j.db.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations").Scan(&applied); err != nil || applied != v {
		t.Fatalf("schema_migrations: got %d rows, %v; want %d", applied, err, v)
	}
	tx := sampleTx("M1")
	if err := j.CreateTransaction(ctx, tx, pos.Event{Op: "create"}); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopen: no migration again, the row is there.
	j = openAt(t, path, Options{})
	if err := j.db.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations").Scan(&applied); err != nil || applied != v {
		t.Fatalf("schema_migrations after reopen: got %d, %v; want %d", applied, err, v)
	}
	if got, err := j.Get(ctx, "M1"); err != nil || got.ChargeCode != "M1" {
		t.Fatalf("Get after reopen: got %+v, %v", got, err)
	}
	if err := j.IntegrityCheck(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestOpen_ConcurrentFirstOpenMigratesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j, err := Open(path, Options{Logger: quiet})
			if err != nil {
				t.Errorf("Open: %v", err)
				return
			}
			j.Close()
		}()
	}
	wg.Wait()
	j := openAt(t, path, Options{})
	var n int
	if err := j.db.QueryRow("SELECT count(*) FROM schema_migrations").Scan(&n); err != nil || n != SchemaVersion() {
		t.Fatalf("schema_migrations: got %d, %v; want %d", n, err, SchemaVersion())
	}
}

func TestOpen_NewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	j, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.db.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion()+1)); err != nil {
		t.Fatal(err)
	}
	j.Close()
	_, err = Open(path, Options{Logger: quiet})
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("Open of a newer schema: got %v, want ErrSchemaTooNew", err)
	}
}

func TestOpen_BadPathRefused(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x.db", "x.db?mode=ro"} {
		if _, err := Open(p, Options{Logger: quiet}); err == nil {
			t.Errorf("Open(%q): got nil, want an error", p)
		}
	}
}

func TestSchema_AppendOnlyAndNeverDeleted(t *testing.T) {
	j := openTemp(t)
	ctx := context.Background()
	if err := j.CreateTransaction(ctx, sampleTx("A1"), pos.Event{Op: "create"}); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Transition(ctx, pos.Change{ChargeCode: "A1", From: pos.StateSending, To: pos.StatePaid,
		At: postest.T0, Receipt: pos.ReceiptSale, Patch: pos.Patch{GiveUp: true}}); err != nil {
		t.Fatal(err)
	}
	if err := j.SwapIssued(ctx, "s", "", "v1"); err != nil {
		t.Fatal(err)
	}
	refused := []string{
		"UPDATE events SET note = 'x'",
		"UPDATE events SET seq = seq + 100",
		"DELETE FROM events",
		"DELETE FROM transactions",
		"DELETE FROM series",
		"DELETE FROM print_jobs",
		"UPDATE transactions SET amount_fen = 1",
		"UPDATE transactions SET masked_code = '6225880012345678'",
		"UPDATE transactions SET give_up = 0",
		"UPDATE print_jobs SET receipt = '{}'",
	}
	for _, q := range refused {
		if _, err := j.db.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "journal:") {
			t.Errorf("%s: got %v, want refused by a trigger", q, err)
		}
	}
	ev, err := j.Events(ctx, "A1")
	if err != nil || len(ev) != 2 || ev[0].Note != "" {
		t.Fatalf("events after refused writes: got %+v, %v", ev, err)
	}
}

func TestCreate_RefusesWholePaymentCode(t *testing.T) {
	j := openTemp(t)
	ctx := context.Background()
	for _, code := range []string{"281234567890123456", "13 4567 8901 2345 6789", "pay:134567890123456789"} {
		tx := sampleTx("W1")
		tx.MaskedCode = code
		if err := j.CreateTransaction(ctx, tx, pos.Event{}); !errors.Is(err, ErrUnmaskedCode) {
			t.Errorf("MaskedCode %q: got %v, want ErrUnmaskedCode", code, err)
		} else if strings.Contains(err.Error(), code) {
			t.Errorf("error repeats the code: %v", err)
		}
	}
	tx := sampleTx("W2")
	tx.MaskedCode = pos.MaskCode("281234567890123456")
	if err := j.CreateTransaction(ctx, tx, pos.Event{}); err != nil {
		t.Fatalf("masked code %q: %v", tx.MaskedCode, err)
	}
	if _, err := j.Get(ctx, "W1"); !errors.Is(err, pos.ErrNotFound) {
		t.Fatalf("refused row stored: %v", err)
	}
}

func TestTimes_RoundTripNanosecondsAndSort(t *testing.T) {
	j := openTemp(t)
	ctx := context.Background()
	loc := time.FixedZone("CST", 8*3600)
	at := time.Date(2026, 3, 14, 17, 26, 53, 589_793_238, loc)
	tx := sampleTx("N1")
	tx.CreatedAt, tx.UpdatedAt, tx.NextAttemptAt = at, at, at.Add(time.Nanosecond)
	if err := j.CreateTransaction(ctx, tx, pos.Event{}); err != nil {
		t.Fatal(err)
	}
	got, err := j.Get(ctx, "N1")
	if err != nil {
		t.Fatal(err)
	}
	if !got.CreatedAt.Equal(at) || !got.NextAttemptAt.Equal(at.Add(time.Nanosecond)) || !got.ExpiresAt.IsZero() || !got.PaidAt.IsZero() {
		t.Fatalf("times: got created %v next %v expires %v paid %v; want %v, +1ns, zero, zero",
			got.CreatedAt, got.NextAttemptAt, got.ExpiresAt, got.PaidAt, at)
	}
	// Fixed width: text order is time order even across fractional digits.
	a, b := ts(time.Date(2026, 1, 1, 0, 0, 0, 500_000_000, time.UTC)), ts(time.Date(2026, 1, 1, 0, 0, 0, 580_000_000, time.UTC))
	if !(a < b) || len(a) != len(b) {
		t.Fatalf("stored times do not sort: %q vs %q", a, b)
	}
}

func TestSettleRefund_RecordsChargeMoveAsEvent(t *testing.T) {
	j := openTemp(t)
	ctx := context.Background()
	payTx(t, j, "F1")
	r := pos.Refund{OutRefundNo: "RF1", ChargeCode: "F1", Amount: 1234, State: pos.RefundSending,
		CreatedAt: postest.T0, UpdatedAt: postest.T0}
	if err := j.CreateRefund(ctx, r, pos.Event{Op: "refund", Who: "mgr"}); err != nil {
		t.Fatal(err)
	}
	_, tx, err := j.SettleRefund(ctx, pos.RefundChange{OutRefundNo: "RF1", From: pos.RefundSending, To: pos.RefundDone,
		At: postest.T0.Add(time.Minute), Receipt: pos.ReceiptRefund, Event: pos.Event{Op: "refund", Who: "mgr"}})
	if err != nil {
		t.Fatal(err)
	}
	if tx.State != pos.StateRefunded || tx.Refunded != 1234 {
		t.Fatalf("charge after refund: %s/%d", tx.State, tx.Refunded)
	}
	ev, _ := j.Events(ctx, "F1")
	last := ev[len(ev)-1]
	if last.From != "paid" || last.To != "refunded" || last.OutRefundNo != "" || !strings.Contains(last.Note, "RF1") {
		t.Fatalf("charge event of the refund: got %+v", last)
	}
}

func TestClaim_TwoJournalsOnOneFileNeverShare(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	a, b := openAt(t, path, Options{}), openAt(t, path, Options{})
	ctx := context.Background()
	const rows = 60
	for i := range rows {
		tx := sampleTx(fmt.Sprintf("K%03d", i))
		if err := a.CreateTransaction(ctx, tx, pos.Event{}); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 { // some refunds in the queue too
			mustPayAndRefund(t, b, tx.ChargeCode)
		}
	}
	var mu sync.Mutex
	seen := map[string]string{}
	var wg sync.WaitGroup
	for w := range 8 {
		j := a
		if w%2 == 1 {
			j = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := fmt.Sprintf("owner%d", w)
			for {
				got, err := j.Claim(ctx, pos.ClaimRequest{Owner: owner, Now: postest.T0.Add(time.Hour), Lease: time.Hour, Limit: 2})
				if err != nil {
					t.Errorf("Claim: %v", err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, it := range got {
					k := string(it.Key.Kind) + ":" + string(it.Key.ChargeCode) + "/" + it.Key.OutRefundNo
					if prev, dup := seen[k]; dup {
						t.Errorf("%s claimed by %s and %s", k, prev, owner)
					}
					seen[k] = owner
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	// 40 charges still sending, 20 refunds (their charges are paid: settled).
	if want := rows - rows/3 + rows/3; len(seen) != want {
		t.Fatalf("claimed %d items, want %d", len(seen), want)
	}
}

func sampleTx(code string) pos.Transaction {
	return pos.Transaction{ChargeCode: pos.ChargeCode(code), Kind: pos.KindPay, State: pos.StateSending,
		SaleID: "S-" + code, Register: "R1", Amount: 1234, MaskedCode: "2812**********3456", Subject: "sale",
		Cashier: "c1", CreatedAt: postest.T0, UpdatedAt: postest.T0, Queue: pos.Queue{NextAttemptAt: postest.T0}}
}

// payTx creates code and moves it to paid.
func payTx(t testing.TB, j *Journal, code pos.ChargeCode) {
	t.Helper()
	ctx := context.Background()
	if err := j.CreateTransaction(ctx, sampleTx(string(code)), pos.Event{Op: "create"}); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Transition(ctx, pos.Change{ChargeCode: code, From: pos.StateSending, To: pos.StatePaid, At: postest.T0}); err != nil {
		t.Fatal(err)
	}
}

// mustPayAndRefund moves an existing sending charge to paid and starts a
// refund of part of it.
func mustPayAndRefund(t testing.TB, j *Journal, code pos.ChargeCode) {
	t.Helper()
	ctx := context.Background()
	if _, err := j.Transition(ctx, pos.Change{ChargeCode: code, From: pos.StateSending, To: pos.StatePaid, At: postest.T0}); err != nil {
		t.Fatal(err)
	}
	r := pos.Refund{OutRefundNo: "R-" + string(code), ChargeCode: code, Amount: 100, State: pos.RefundSending,
		CreatedAt: postest.T0, UpdatedAt: postest.T0}
	if err := j.CreateRefund(ctx, r, pos.Event{Op: "refund"}); err != nil {
		t.Fatal(err)
	}
}
