package offline

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"posterm/pos"
	"posterm/pos/postest"
)

func TestJobStore_AddPendingMark(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	j := openAt(t, path, Options{})
	ctx := context.Background()
	at := postest.T0
	ids := make([]int64, 3)
	for i, job := range []pos.PrintJob{
		{Kind: pos.ReceiptSale, ChargeCode: "C1", Data: []byte("one"), Created: at},
		{Kind: pos.ReceiptTest, Data: []byte("two"), Created: at, State: pos.PrintPrinted, Attempts: 7},
		{Kind: pos.ReceiptSale, ChargeCode: "C9", Reprint: true, Created: at},
	} {
		id, err := j.Add(ctx, job)
		if err != nil {
			t.Fatalf("Add: %v", err)
		}
		if i > 0 && id <= ids[i-1] {
			t.Fatalf("ids not increasing: %v then %d", ids[:i], id)
		}
		ids[i] = id
	}
	got, err := j.Pending(ctx)
	if err != nil || len(got) != 3 {
		t.Fatalf("Pending: got %d jobs, %v; want 3", len(got), err)
	}
	if g := got[1]; g.ID != ids[1] || g.State != pos.PrintQueued || g.Attempts != 0 || string(g.Data) != "two" ||
		g.Kind != pos.ReceiptTest || !g.Created.Equal(at) {
		t.Fatalf("job 2: got %+v (Add must ignore State and Attempts)", g)
	}
	if g := got[2]; g.Data != nil || !g.Reprint || g.ChargeCode != "C9" {
		t.Fatalf("job 3: got %+v, want no data, reprint, C9", g)
	}
	next := at.Add(time.Minute)
	for range 2 {
		if err := j.MarkFailed(ctx, ids[0], pos.PrintFailure{Reason: "paper out", Next: next, Cut: true, Owed: 12}); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.MarkSending(ctx, ids[1], at); err != nil {
		t.Fatal(err)
	}
	if err := j.MarkSent(ctx, ids[1], at.Add(time.Second), true); err != nil {
		t.Fatal(err)
	}
	// A late failure report of a printed job leaves it printed.
	if err := j.MarkFailed(ctx, ids[1], pos.PrintFailure{Reason: "late", Next: next}); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{j.MarkSent(ctx, 999, at, true), j.MarkFailed(ctx, 999, pos.PrintFailure{Reason: "x"}),
		j.MarkSending(ctx, 999, at)} {
		if !errors.Is(err, pos.ErrNotFound) {
			t.Errorf("unknown job: got %v, want ErrJobNotFound", err)
		}
	}
	j.Close()
	j = openAt(t, path, Options{}) // all of it survives a reopen
	got, err = j.Pending(ctx)
	if err != nil || len(got) != 2 || got[0].ID != ids[0] || got[1].ID != ids[2] {
		t.Fatalf("Pending after marks: got %+v, %v; want jobs %d and %d", got, err, ids[0], ids[2])
	}
	if g := got[0]; g.State != pos.PrintFailed || g.Attempts != 2 || g.LastError != "paper out" || !g.NextAttempt.Equal(next) {
		t.Fatalf("failed job: got %+v", g)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := j.Pending(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Pending with a cancelled ctx: got %v", err)
	}
}

func TestJobStore_ReceiptQueuedWithTheChange(t *testing.T) {
	j := openTemp(t)
	ctx := context.Background()
	if err := j.CreateTransaction(ctx, sampleTx("C1"), pos.Event{}); err != nil {
		t.Fatal(err)
	}
	// A refused change queues nothing.
	if _, err := j.Transition(ctx, pos.Change{ChargeCode: "C1", From: pos.StateUnknown, To: pos.StatePaid,
		Receipt: pos.ReceiptSale}); !errors.Is(err, pos.ErrStale) {
		t.Fatalf("stale: %v", err)
	}
	if got, _ := j.Pending(ctx); len(got) != 0 {
		t.Fatalf("jobs after a refused change: %+v", got)
	}
	if _, err := j.Transition(ctx, pos.Change{ChargeCode: "C1", From: pos.StateSending, To: pos.StatePaid, At: postest.T0,
		Receipt: pos.ReceiptSale, Patch: pos.Patch{ChargeDownCode: "D1"}}); err != nil {
		t.Fatal(err)
	}
	if err := j.CreateRefund(ctx, pos.Refund{OutRefundNo: "RF1", ChargeCode: "C1", Amount: 234, State: pos.RefundSending,
		CreatedAt: postest.T0, UpdatedAt: postest.T0}, pos.Event{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := j.SettleRefund(ctx, pos.RefundChange{OutRefundNo: "RF1", From: pos.RefundSending, To: pos.RefundDone,
		At: postest.T0, Receipt: pos.ReceiptRefund}); err != nil {
		t.Fatal(err)
	}
	if err := j.EnqueueReceipt(ctx, "C1", pos.ReceiptSale); err != nil {
		t.Fatal(err)
	}
	jobs, err := j.Pending(ctx)
	if err != nil || len(jobs) != 3 {
		t.Fatalf("Pending: got %+v, %v; want 3 jobs", jobs, err)
	}
	want := []struct {
		kind    pos.ReceiptKind
		reprint bool
		state   pos.State
		refund  string
	}{
		{pos.ReceiptSale, false, pos.StatePaid, ""},
		{pos.ReceiptRefund, false, pos.StatePartiallyRefunded, "RF1"},
		{pos.ReceiptSale, true, pos.StatePartiallyRefunded, ""},
	}
	for i, w := range want {
		job := jobs[i]
		if job.Kind != w.kind || job.ChargeCode != "C1" || job.Data != nil || job.Reprint != w.reprint {
			t.Errorf("job %d: got %+v, want %s reprint=%v without data", i, job, w.kind, w.reprint)
		}
		r, reprint, err := j.ReceiptOf(ctx, job.ID)
		if err != nil {
			t.Fatalf("ReceiptOf(%d): %v", job.ID, err)
		}
		// The snapshot is the charge as the change left it, not as it is now.
		if string(r.Kind) != string(w.kind) || reprint != w.reprint || r.Transaction.State != w.state ||
			r.Transaction.ChargeDownCode != "D1" || r.Transaction.MaskedCode != "2812**********3456" {
			t.Errorf("ReceiptOf(job %d): got kind %s reprint %v state %s %+v", i, r.Kind, reprint, r.Transaction.State, r.Transaction)
		}
		if (r.Refund != nil) != (w.refund != "") || (r.Refund != nil && (r.Refund.OutRefundNo != w.refund || r.Refund.State != pos.RefundDone)) {
			t.Errorf("ReceiptOf(job %d): refund %+v, want %q", i, r.Refund, w.refund)
		}
	}
	if _, _, err := j.ReceiptOf(ctx, 999); !errors.Is(err, pos.ErrNotFound) {
		t.Errorf("ReceiptOf(unknown): got %v", err)
	}
	// Reprint queues the stored snapshot again, marked, not the row as it is now.
	id, err := j.Reprint(ctx, "C1", pos.ReceiptSale)
	if err != nil {
		t.Fatal(err)
	}
	r, reprint, err := j.ReceiptOf(ctx, id)
	if err != nil || !reprint || r.Transaction.State != pos.StatePartiallyRefunded {
		t.Fatalf("ReceiptOf(reprint): got %+v %v, %v", r, reprint, err)
	}
	if _, err := j.Reprint(ctx, "NOPE", pos.ReceiptSale); !errors.Is(err, pos.ErrNotFound) {
		t.Fatalf("Reprint(unknown): %v", err)
	}
}

// TestJobStore_RevokeSnapshotHasApprover: the revoke slip's snapshot names
// the manager who approved it, taken from the change's own event.
func TestJobStore_RevokeSnapshotHasApprover(t *testing.T) {
	j := openTemp(t)
	ctx := context.Background()
	payTxWithReceipt(t, j, "RV1")
	if _, err := j.Transition(ctx, pos.Change{ChargeCode: "RV1", From: pos.StatePaid, To: pos.StatePaid, At: postest.T0,
		Receipt: pos.ReceiptRevoke, Event: pos.Event{Op: "revoke", Who: "c1", Approver: "mgr7"}}); err != nil {
		t.Fatal(err)
	}
	jobs, err := j.Pending(ctx)
	if err != nil || len(jobs) != 2 {
		t.Fatalf("Pending: %d, %v", len(jobs), err)
	}
	if r := jobs[1].Receipt; r == nil || r.Kind != pos.ReceiptRevoke || r.Approver != "mgr7" {
		t.Fatalf("revoke snapshot: %+v", r)
	}
}

func payTxWithReceipt(t testing.TB, j *Journal, code pos.ChargeCode) {
	t.Helper()
	ctx := context.Background()
	if err := j.CreateTransaction(ctx, sampleTx(string(code)), pos.Event{Op: "create"}); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Transition(ctx, pos.Change{ChargeCode: code, From: pos.StateSending, To: pos.StatePaid,
		At: postest.T0, Receipt: pos.ReceiptSale}); err != nil {
		t.Fatal(err)
	}
}

// TestJobStore_MigratesOldQueue: a journal written by the previous schema
// keeps its print jobs through the printer migration: states, snapshots
// and bytes as they were, a printed job's stale last_error dropped.
func TestJobStore_MigratesOldQueue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", dsn(path, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ms[0].sql); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, 'init', '')`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`PRAGMA user_version = 1`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO print_jobs (kind, charge_code, data, state, attempts, last_error, created_at, printed_at) VALUES
		('test', '', X'41', 'printed', 1, 'old error', '2026-01-01T00:00:00.000000000Z', '2026-01-01T00:00:01.000000000Z'),
		('sale', 'C1', NULL, 'failed', 2, 'paper out', '2026-01-01T00:00:00.000000000Z', '')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	j := openAt(t, path, Options{})
	all, err := j.Jobs(context.Background(), 0)
	if err != nil || len(all) != 2 {
		t.Fatalf("jobs after the migration: %+v, %v", all, err)
	}
	if g := all[1]; g.State != pos.PrintPrinted || g.LastError != "" || string(g.Data) != "A" || g.Printed.IsZero() || g.Sent.IsZero() {
		t.Errorf("printed job: %+v", g)
	}
	if g := all[0]; g.State != pos.PrintFailed || g.LastError != "paper out" || g.Attempts != 2 || g.Cut {
		t.Errorf("failed job: %+v", g)
	}
}

// TestJobStore_CashOpensDrawerOnce: the first receipt of a cash sale is
// marked to open the drawer; its reprint and a wallet sale's are not.
func TestJobStore_CashOpensDrawerOnce(t *testing.T) {
	j := openTemp(t)
	ctx := context.Background()
	cash := sampleTx("CASH1")
	cash.Kind, cash.State, cash.Tendered = pos.KindCash, pos.StatePaid, cash.Amount+66
	if err := j.CreateTransaction(ctx, cash, pos.Event{Op: "cash"}); err != nil { // queues its receipt
		t.Fatal(err)
	}
	if err := j.EnqueueReceipt(ctx, "CASH1", pos.ReceiptSale); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Reprint(ctx, "CASH1", pos.ReceiptSale); err != nil {
		t.Fatal(err)
	}
	payTxWithReceipt(t, j, "WALLET1")
	jobs, err := j.Pending(ctx)
	if err != nil || len(jobs) != 4 {
		t.Fatalf("jobs: %d, %v", len(jobs), err)
	}
	for i, want := range []bool{true, false, false, false} {
		if got := jobs[i].Receipt.Cash && !jobs[i].Reprint; got != want {
			t.Errorf("job %d (%s reprint=%v): opens the drawer %v, want %v", i, jobs[i].ChargeCode, jobs[i].Reprint, got, want)
		}
	}
}

// TestJobStore_CashRefundOpensDrawerOnce: a cash refund is created done
// with its slip in the same transaction; the slip opens the drawer, its
// reprint does not, and a wallet refund's slip never does.
func TestJobStore_CashRefundOpensDrawerOnce(t *testing.T) {
	j := openTemp(t)
	ctx := context.Background()
	cash := sampleTx("CASH2")
	cash.Kind, cash.State, cash.Tendered = pos.KindCash, pos.StatePaid, cash.Amount
	if err := j.CreateTransaction(ctx, cash, pos.Event{Op: "cash"}); err != nil {
		t.Fatal(err)
	}
	r := pos.Refund{OutRefundNo: "RCASH2", ChargeCode: "CASH2", Amount: 100, State: pos.RefundDone, Cashier: "c1",
		Approver: "m1", CreatedAt: postest.T0, UpdatedAt: postest.T0}
	if err := j.CreateRefund(ctx, r, pos.Event{Op: "refund", Who: "c1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Reprint(ctx, "CASH2", pos.ReceiptRefund); err != nil {
		t.Fatal(err)
	}
	jobs, err := j.Pending(ctx)
	if err != nil || len(jobs) != 3 {
		t.Fatalf("jobs: %d, %v", len(jobs), err)
	}
	for i, want := range []struct {
		kind pos.ReceiptKind
		kick bool
	}{{pos.ReceiptSale, true}, {pos.ReceiptRefund, true}, {pos.ReceiptRefund, false}} {
		g := jobs[i]
		if g.Kind != want.kind || (g.Receipt.Cash && !g.Reprint) != want.kick {
			t.Errorf("job %d: %s cash=%v reprint=%v, want %s opening the drawer %v", i, g.Kind, g.Receipt.Cash, g.Reprint,
				want.kind, want.kick)
		}
	}
	if g := jobs[1].Receipt; g.Refund == nil || g.Refund.OutRefundNo != "RCASH2" || g.Transaction.Refunded != 100 ||
		g.Transaction.State != pos.StatePartiallyRefunded {
		t.Errorf("refund slip snapshot: %+v", g)
	}
}
