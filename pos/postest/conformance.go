package postest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"posterm/pos"
)

// T0 is the start time of the conformance suite's rows: whole milliseconds,
// UTC (journals must keep at least millisecond precision).
var T0 = time.Date(2026, 3, 14, 9, 26, 53, 589_000_000, time.UTC)

// TestJournal is the conformance suite of pos.Journal: it checks the error
// contracts written on the interface. open returns a fresh, empty journal
// for each subtest (clean it up with t.Cleanup).
//
//	func TestJournalConformance(t *testing.T) {
//		postest.TestJournal(t, func(t *testing.T) pos.Journal { return openTemp(t) })
//	}
func TestJournal(t *testing.T, open func(t *testing.T) pos.Journal) {
	t.Helper()
	ctx := context.Background()
	tests := []struct {
		name string
		fn   func(t *testing.T, ctx context.Context, j pos.Journal)
	}{
		{"CreateGet", jCreateGet},
		{"CreateDuplicate", jCreateDuplicate},
		{"CreateNotSending", jCreateNotSending},
		{"GetNotFound", jGetNotFound},
		{"TransitionTable", jTransitionTable},
		{"TransitionStale", jTransitionStale},
		{"TransitionNotFound", jTransitionNotFound},
		{"NotePatchesOnly", jNotePatches},
		{"EventsAudit", jEvents},
		{"ConcurrentTransitionsOneWins", jConcurrentTransition},
		{"List", jList},
		{"Refunds", jRefunds},
		{"RefundOverRefundInFlight", jRefundOver},
		{"RefundRules", jRefundRules},
		{"GiveUpExcludesRefund", jGiveUpExcludesRefund},
		{"ClaimDueAndLease", jClaim},
		{"ClaimConcurrentNeverShared", jClaimConcurrent},
		{"ClaimRefunds", jClaimRefunds},
		{"LeaseGuardsWrites", jLeaseGuards},
		{"Issued", jIssued},
		{"IssuedConcurrent", jIssuedConcurrent},
		{"Receipts", jReceipts},
		{"TillID", jTillID},
		{"SaleGate", jSaleGate},
		{"SaleGateConcurrent", jSaleGateConcurrent},
		{"ChangeFeed", jChangeFeed},
		{"ChangeFeedSlowSubscriber", jChangeFeedSlow},
		{"CashSaleCreatedFinal", jCashCreate},
		{"CashRefundCreatedDone", jCashRefund},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, ctx, open(t))
		})
	}
}

func mkTx(code string, at time.Time) pos.Transaction {
	return pos.Transaction{
		ChargeCode: pos.ChargeCode(code), Kind: pos.KindPay, State: pos.StateSending,
		SaleID: "S-" + code, Register: "R1", Amount: 1234, Channel: pos.ChannelAuto,
		MaskedCode: "2881**********1234", Subject: "test sale", Cashier: "cashier01",
		CreatedAt: at, UpdatedAt: at, Queue: pos.Queue{NextAttemptAt: at.Add(time.Minute)},
	}
}

func create(t testing.TB, ctx context.Context, j pos.Journal, tx pos.Transaction) {
	t.Helper()
	if err := j.CreateTransaction(ctx, tx, pos.Event{Op: "create", Who: tx.Cashier, At: tx.CreatedAt}); err != nil {
		t.Fatalf("CreateTransaction(%s): %v", tx.ChargeCode, err)
	}
}

func move(t testing.TB, ctx context.Context, j pos.Journal, code pos.ChargeCode, from, to pos.State, at time.Time) pos.Transaction {
	t.Helper()
	got, err := j.Transition(ctx, pos.Change{ChargeCode: code, From: from, To: to, At: at,
		Event: pos.Event{Op: "test", Who: "suite", Note: fmt.Sprintf("%s→%s", from, to)}})
	if err != nil {
		t.Fatalf("Transition(%s, %s→%s): %v", code, from, to, err)
	}
	if got.State != to {
		t.Fatalf("Transition(%s) state: got %s, want %s", code, got.State, to)
	}
	return got
}

// pathTo is a legal path from sending to every state.
var pathTo = map[pos.State][]pos.State{
	pos.StateSending:           nil,
	pos.StatePaid:              {pos.StatePaid},
	pos.StateDeclined:          {pos.StateDeclined},
	pos.StateUnknown:           {pos.StateUnknown},
	pos.StatePending:           {pos.StatePending},
	pos.StateClosed:            {pos.StateUnknown, pos.StateClosed},
	pos.StateRevoked:           {pos.StatePaid, pos.StateRevoked},
	pos.StateVoided:            {pos.StateUnknown, pos.StateVoided},
	pos.StatePartiallyRefunded: {pos.StatePaid, pos.StatePartiallyRefunded},
	pos.StateRefunded:          {pos.StatePaid, pos.StateRefunded},
}

func driveTo(t testing.TB, ctx context.Context, j pos.Journal, code string, s pos.State, at time.Time) {
	t.Helper()
	create(t, ctx, j, mkTx(code, at))
	cur := pos.StateSending
	for _, nx := range pathTo[s] {
		move(t, ctx, j, pos.ChargeCode(code), cur, nx, at)
		cur = nx
	}
}

func jCreateGet(t *testing.T, ctx context.Context, j pos.Journal) {
	want := mkTx("C1", T0)
	want.FundBills = []pos.FundBill{{FundChannel: "10", Amount: 1234}}
	create(t, ctx, j, want)
	got, err := j.Get(ctx, "C1")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got.ChargeCode != want.ChargeCode || got.Kind != want.Kind || got.State != want.State ||
		got.SaleID != want.SaleID || got.Register != want.Register || got.Amount != want.Amount ||
		got.MaskedCode != want.MaskedCode || got.Subject != want.Subject || got.Cashier != want.Cashier ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) ||
		!got.NextAttemptAt.Equal(want.NextAttemptAt) || got.Refunded != 0 || got.GiveUp {
		t.Fatalf("Get: got %+v, want %+v", got, want)
	}
}

func jCreateDuplicate(t *testing.T, ctx context.Context, j pos.Journal) {
	create(t, ctx, j, mkTx("C1", T0))
	err := j.CreateTransaction(ctx, mkTx("C1", T0.Add(time.Second)), pos.Event{Op: "create"})
	if !errors.Is(err, pos.ErrDuplicate) {
		t.Fatalf("second create: got %v, want ErrDuplicate", err)
	}
}

func jCreateNotSending(t *testing.T, ctx context.Context, j pos.Journal) {
	tx := mkTx("C1", T0)
	tx.State = pos.StatePaid
	if err := j.CreateTransaction(ctx, tx, pos.Event{}); !errors.Is(err, pos.ErrIllegalTransition) {
		t.Fatalf("create paid: got %v, want ErrIllegalTransition", err)
	}
	if _, err := j.Get(ctx, "C1"); !errors.Is(err, pos.ErrNotFound) {
		t.Fatalf("Get after refused create: got %v, want ErrNotFound", err)
	}
}

func jGetNotFound(t *testing.T, ctx context.Context, j pos.Journal) {
	if _, err := j.Get(ctx, "NOPE"); !errors.Is(err, pos.ErrNotFound) {
		t.Fatalf("Get: got %v, want ErrNotFound", err)
	}
	if _, err := j.GetRefund(ctx, "NOPE"); !errors.Is(err, pos.ErrNotFound) {
		t.Fatalf("GetRefund: got %v, want ErrNotFound", err)
	}
	ev, err := j.Events(ctx, "NOPE")
	if err != nil || len(ev) != 0 {
		t.Fatalf("Events(unknown): got %v, %v; want empty, nil", ev, err)
	}
}

func jTransitionTable(t *testing.T, ctx context.Context, j pos.Journal) {
	n := 0
	for _, from := range pos.States {
		for _, to := range pos.States {
			n++
			code := fmt.Sprintf("T%03d", n)
			driveTo(t, ctx, j, code, from, T0)
			got, err := j.Transition(ctx, pos.Change{ChargeCode: pos.ChargeCode(code), From: from, To: to,
				At: T0.Add(time.Second), Event: pos.Event{Op: "test"}})
			legal := from == to || pos.CanTransition(from, to)
			if legal && err != nil {
				t.Errorf("%s → %s: got %v, want nil", from, to, err)
			}
			if !legal && !errors.Is(err, pos.ErrIllegalTransition) {
				t.Errorf("%s → %s: got %v, want ErrIllegalTransition", from, to, err)
			}
			cur, gerr := j.Get(ctx, pos.ChargeCode(code))
			if gerr != nil {
				t.Fatalf("Get: %v", gerr)
			}
			want := from
			if legal {
				want = to
				if got.State != to {
					t.Errorf("%s → %s: returned state %s", from, to, got.State)
				}
			}
			if cur.State != want {
				t.Errorf("%s → %s: stored state %s, want %s", from, to, cur.State, want)
			}
		}
	}
}

func jTransitionStale(t *testing.T, ctx context.Context, j pos.Journal) {
	driveTo(t, ctx, j, "C1", pos.StatePaid, T0)
	before, _ := j.Events(ctx, "C1")
	_, err := j.Transition(ctx, pos.Change{ChargeCode: "C1", From: pos.StateUnknown, To: pos.StateClosed, At: T0})
	if !errors.Is(err, pos.ErrStale) {
		t.Fatalf("unknown→closed on a paid row: got %v, want ErrStale", err)
	}
	after, _ := j.Events(ctx, "C1")
	if len(after) != len(before) {
		t.Fatalf("events after a refused change: got %d, want %d", len(after), len(before))
	}
	if got, _ := j.Get(ctx, "C1"); got.State != pos.StatePaid {
		t.Fatalf("state: got %s, want paid", got.State)
	}
}

func jTransitionNotFound(t *testing.T, ctx context.Context, j pos.Journal) {
	_, err := j.Transition(ctx, pos.Change{ChargeCode: "NOPE", From: pos.StateSending, To: pos.StatePaid})
	if !errors.Is(err, pos.ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
}

func jNotePatches(t *testing.T, ctx context.Context, j pos.Journal) {
	create(t, ctx, j, mkTx("C1", T0))
	at := T0.Add(2 * time.Second)
	got, err := j.Transition(ctx, pos.Change{ChargeCode: "C1", From: pos.StateSending, To: pos.StateUnknown, At: at,
		NextAttemptAt: at.Add(5 * time.Second),
		Patch: pos.Patch{ChargeDownCode: "D1", ResultCode: "EXCEPTION", ResultInfo: "fault", LastError: "no answer",
			FundBills: []pos.FundBill{{FundChannel: "10", Amount: 1234}}}})
	if err != nil {
		t.Fatal(err)
	}
	if got.ChargeDownCode != "D1" || got.ResultCode != "EXCEPTION" || !got.UpdatedAt.Equal(at) ||
		!got.NextAttemptAt.Equal(at.Add(5*time.Second)) || got.LastError != "no answer" || len(got.FundBills) != 1 {
		t.Fatalf("after patch: got %+v", got)
	}
	// A note: same state, patch sets GiveUp; zero fields clear nothing.
	got, err = j.Transition(ctx, pos.Change{ChargeCode: "C1", From: pos.StateUnknown, To: pos.StateUnknown, At: at,
		Patch: pos.Patch{GiveUp: true, GiveUpReason: "aborted", AckedBy: "cashier01"}})
	if err != nil {
		t.Fatalf("note: %v", err)
	}
	if !got.GiveUp || got.GiveUpReason != "aborted" || got.AckedBy != "cashier01" || got.ChargeDownCode != "D1" ||
		got.ResultCode != "EXCEPTION" || got.Channel != pos.ChannelAuto {
		t.Fatalf("after note: got %+v", got)
	}
	// GiveUp is sticky: a later patch without it keeps it.
	got = move(t, ctx, j, "C1", pos.StateUnknown, pos.StatePaid, at)
	if !got.GiveUp || !got.Unsettled() {
		t.Fatalf("given-up paid row: GiveUp=%v Unsettled=%v, want true, true", got.GiveUp, got.Unsettled())
	}
	stored, _ := j.Get(ctx, "C1")
	if !stored.GiveUp || stored.State != pos.StatePaid {
		t.Fatalf("stored: got %+v", stored)
	}
}

func jEvents(t *testing.T, ctx context.Context, j pos.Journal) {
	create(t, ctx, j, mkTx("C1", T0))
	create(t, ctx, j, mkTx("C2", T0))
	_, err := j.Transition(ctx, pos.Change{ChargeCode: "C1", From: pos.StateSending, To: pos.StateUnknown, At: T0.Add(time.Second),
		Event: pos.Event{Op: "pay", Who: "cashier01", ResultCode: "EXCEPTION", Info: "fault", Note: "no answer"}})
	if err != nil {
		t.Fatal(err)
	}
	move(t, ctx, j, "C1", pos.StateUnknown, pos.StatePaid, T0.Add(2*time.Second))
	ev, err := j.Events(ctx, "C1")
	if err != nil {
		t.Fatal(err)
	}
	if len(ev) != 3 {
		t.Fatalf("events: got %d, want 3 (%+v)", len(ev), ev)
	}
	want := [][2]string{{"", "sending"}, {"sending", "unknown"}, {"unknown", "paid"}}
	for i, e := range ev {
		if e.From != want[i][0] || e.To != want[i][1] || e.ChargeCode != "C1" {
			t.Errorf("event %d: got %s→%s of %s, want %s→%s", i, e.From, e.To, e.ChargeCode, want[i][0], want[i][1])
		}
		if i > 0 && e.Seq <= ev[i-1].Seq {
			t.Errorf("event %d: Seq %d not above %d", i, e.Seq, ev[i-1].Seq)
		}
	}
	if e := ev[1]; e.Op != "pay" || e.Who != "cashier01" || e.ResultCode != "EXCEPTION" || e.Info != "fault" ||
		e.Note != "no answer" || !e.At.Equal(T0.Add(time.Second)) {
		t.Errorf("event 1: got %+v", e)
	}
}

func jConcurrentTransition(t *testing.T, ctx context.Context, j pos.Journal) {
	driveTo(t, ctx, j, "C1", pos.StateUnknown, T0)
	targets := []pos.State{pos.StatePaid, pos.StateClosed, pos.StateRevoked, pos.StateVoided, pos.StatePaid, pos.StateClosed, pos.StateVoided, pos.StatePaid}
	var ok, stale atomic.Int32
	var wg sync.WaitGroup
	for _, to := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := j.Transition(ctx, pos.Change{ChargeCode: "C1", From: pos.StateUnknown, To: to, At: T0})
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, pos.ErrStale):
				stale.Add(1)
			default:
				t.Errorf("concurrent transition: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 || stale.Load() != int32(len(targets)-1) {
		t.Fatalf("concurrent transitions: %d won, %d stale; want 1 and %d", ok.Load(), stale.Load(), len(targets)-1)
	}
	ev, _ := j.Events(ctx, "C1")
	if len(ev) != 3 {
		t.Fatalf("events: got %d, want 3", len(ev))
	}
}

func codesOf(txs []pos.Transaction) []pos.ChargeCode {
	out := make([]pos.ChargeCode, len(txs))
	for i, t := range txs {
		out[i] = t.ChargeCode
	}
	return out
}

func jList(t *testing.T, ctx context.Context, j pos.Journal) {
	// Created out of order on purpose.
	rows := []struct {
		code string
		at   time.Duration
		to   pos.State
		kind pos.Kind
		sale string
	}{
		// L1 is declined before L3 starts: a sale has one open attempt at a
		// time (the sale gate).
		{"L1", 1 * time.Hour, pos.StateDeclined, pos.KindPay, "S1"},
		{"L3", 3 * time.Hour, pos.StateUnknown, pos.KindPay, "S1"},
		{"L2", 2 * time.Hour, pos.StatePending, pos.KindPrecreate, "S2"},
		{"L4", 4 * time.Hour, pos.StateDeclined, pos.KindPay, "S3"},
		{"L0", 1 * time.Hour, pos.StateRefunded, pos.KindPay, "S4"},
	}
	for _, r := range rows {
		tx := mkTx(r.code, T0.Add(r.at))
		tx.Kind, tx.SaleID = r.kind, r.sale
		create(t, ctx, j, tx)
		cur := pos.StateSending
		for _, nx := range pathTo[r.to] {
			move(t, ctx, j, tx.ChargeCode, cur, nx, tx.CreatedAt)
			cur = nx
		}
	}
	cases := []struct {
		name string
		f    pos.Filter
		want []pos.ChargeCode
	}{
		{"all", pos.Filter{}, []pos.ChargeCode{"L0", "L1", "L2", "L3", "L4"}},
		{"since", pos.Filter{Since: T0.Add(2 * time.Hour)}, []pos.ChargeCode{"L2", "L3", "L4"}},
		{"until", pos.Filter{Until: T0.Add(2 * time.Hour)}, []pos.ChargeCode{"L0", "L1"}},
		{"kind", pos.Filter{Kind: pos.KindPrecreate}, []pos.ChargeCode{"L2"}},
		{"states", pos.Filter{States: []pos.State{pos.StatePaid, pos.StateDeclined}}, []pos.ChargeCode{"L1", "L4"}},
		{"sale", pos.Filter{SaleID: "S1"}, []pos.ChargeCode{"L1", "L3"}},
		{"unsettled", pos.Filter{Unsettled: true}, []pos.ChargeCode{"L2", "L3"}},
		{"limit", pos.Filter{Limit: 2}, []pos.ChargeCode{"L0", "L1"}},
		{"cashier", pos.Filter{Cashier: "nobody"}, nil},
	}
	for _, c := range cases {
		got, err := j.List(ctx, c.f)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if fmt.Sprint(codesOf(got)) != fmt.Sprint(c.want) {
			t.Errorf("List %s: got %v, want %v", c.name, codesOf(got), c.want)
		}
	}
}

func mkRefund(no string, code pos.ChargeCode, amt pos.Money, at time.Time) pos.Refund {
	return pos.Refund{OutRefundNo: no, ChargeCode: code, Amount: amt, Reason: "returned goods",
		State: pos.RefundSending, Cashier: "cashier01", Approver: "manager01", CreatedAt: at, UpdatedAt: at,
		Queue: pos.Queue{NextAttemptAt: at.Add(time.Minute)}}
}

func settle(t testing.TB, ctx context.Context, j pos.Journal, no string, from, to pos.RefundState) (pos.Refund, pos.Transaction) {
	t.Helper()
	r, tx, err := j.SettleRefund(ctx, pos.RefundChange{OutRefundNo: no, From: from, To: to, At: T0.Add(time.Hour),
		Event: pos.Event{Op: "refund", Who: "suite"}})
	if err != nil {
		t.Fatalf("SettleRefund(%s %s→%s): %v", no, from, to, err)
	}
	return r, tx
}

func jRefunds(t *testing.T, ctx context.Context, j pos.Journal) {
	driveTo(t, ctx, j, "C1", pos.StatePaid, T0) // 12.34
	if err := j.CreateRefund(ctx, mkRefund("R1", "C1", 234, T0.Add(time.Minute)), pos.Event{Op: "refund", Who: "cashier01"}); err != nil {
		t.Fatalf("CreateRefund: %v", err)
	}
	if err := j.CreateRefund(ctx, mkRefund("R1", "C1", 1, T0), pos.Event{}); !errors.Is(err, pos.ErrDuplicate) {
		t.Fatalf("duplicate OutRefundNo: got %v, want ErrDuplicate", err)
	}
	got, err := j.GetRefund(ctx, "R1")
	if err != nil || got.Amount != 234 || got.State != pos.RefundSending || got.ChargeCode != "C1" ||
		got.Approver != "manager01" || got.Reason != "returned goods" || !got.CreatedAt.Equal(T0.Add(time.Minute)) {
		t.Fatalf("GetRefund: got %+v, %v", got, err)
	}
	r, tx := settle(t, ctx, j, "R1", pos.RefundSending, pos.RefundUnknown)
	if r.State != pos.RefundUnknown || tx.Refunded != 0 || tx.State != pos.StatePaid {
		t.Fatalf("after unknown: refund %s, tx %s/%d", r.State, tx.State, tx.Refunded)
	}
	if _, _, err := j.SettleRefund(ctx, pos.RefundChange{OutRefundNo: "R1", From: pos.RefundSending, To: pos.RefundDone}); !errors.Is(err, pos.ErrStale) {
		t.Fatalf("stale settle: got %v, want ErrStale", err)
	}
	if _, _, err := j.SettleRefund(ctx, pos.RefundChange{OutRefundNo: "R1", From: pos.RefundUnknown, To: pos.RefundSending}); !errors.Is(err, pos.ErrIllegalTransition) {
		t.Fatalf("unknown→sending: got %v, want ErrIllegalTransition", err)
	}
	r, tx = settle(t, ctx, j, "R1", pos.RefundUnknown, pos.RefundDone)
	if r.State != pos.RefundDone || tx.Refunded != 234 || tx.State != pos.StatePartiallyRefunded {
		t.Fatalf("after done: refund %s, tx %s/%d; want done, partially_refunded/234", r.State, tx.State, tx.Refunded)
	}
	// A refused refund changes nothing on the charge.
	if err := j.CreateRefund(ctx, mkRefund("R2", "C1", 1000, T0.Add(2*time.Minute)), pos.Event{}); err != nil {
		t.Fatal(err)
	}
	_, tx = settle(t, ctx, j, "R2", pos.RefundSending, pos.RefundRefused)
	if tx.Refunded != 234 || tx.State != pos.StatePartiallyRefunded {
		t.Fatalf("after refused: tx %s/%d", tx.State, tx.Refunded)
	}
	if err := j.CreateRefund(ctx, mkRefund("R3", "C1", 1000, T0.Add(3*time.Minute)), pos.Event{}); err != nil {
		t.Fatalf("refund of the rest: %v", err)
	}
	_, tx = settle(t, ctx, j, "R3", pos.RefundSending, pos.RefundDone)
	if tx.Refunded != 1234 || tx.State != pos.StateRefunded {
		t.Fatalf("after full: tx %s/%d, want refunded/1234", tx.State, tx.Refunded)
	}
	ev, _ := j.Events(ctx, "C1")
	var refundEvents int
	for _, e := range ev {
		if e.OutRefundNo != "" {
			refundEvents++
		}
	}
	if refundEvents != 7 { // R1 create, unknown, done; R2 create, refused; R3 create, done
		t.Errorf("refund events: got %d, want 7", refundEvents)
	}
	all, err := j.ListRefunds(ctx, pos.RefundFilter{ChargeCode: "C1"})
	if err != nil || len(all) != 3 || all[0].OutRefundNo != "R1" || all[2].OutRefundNo != "R3" {
		t.Fatalf("ListRefunds: got %+v, %v", all, err)
	}
	done, _ := j.ListRefunds(ctx, pos.RefundFilter{States: []pos.RefundState{pos.RefundDone}})
	if len(done) != 2 {
		t.Errorf("ListRefunds done: got %d, want 2", len(done))
	}
	win, _ := j.ListRefunds(ctx, pos.RefundFilter{Since: T0.Add(2 * time.Minute), Until: T0.Add(3 * time.Minute)})
	if len(win) != 1 || win[0].OutRefundNo != "R2" {
		t.Errorf("ListRefunds window: got %+v, want R2", win)
	}
}

func jRefundOver(t *testing.T, ctx context.Context, j pos.Journal) {
	driveTo(t, ctx, j, "C1", pos.StatePaid, T0) // 12.34
	if err := j.CreateRefund(ctx, mkRefund("R1", "C1", 1000, T0), pos.Event{}); err != nil {
		t.Fatal(err)
	}
	// R1 is still in flight: it counts against what remains.
	if err := j.CreateRefund(ctx, mkRefund("R2", "C1", 235, T0), pos.Event{}); !errors.Is(err, pos.ErrOverRefund) {
		t.Fatalf("over-refund with one in flight: got %v, want ErrOverRefund", err)
	}
	if err := j.CreateRefund(ctx, mkRefund("R3", "C1", 234, T0), pos.Event{}); err != nil {
		t.Fatalf("exact rest: %v", err)
	}
	// Concurrent creation never over-refunds.
	driveTo(t, ctx, j, "C2", pos.StatePaid, T0)
	var ok atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := j.CreateRefund(ctx, mkRefund(fmt.Sprintf("X%d", i), "C2", 1000, T0), pos.Event{})
			if err == nil {
				ok.Add(1)
			} else if !errors.Is(err, pos.ErrOverRefund) {
				t.Errorf("concurrent refund: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 {
		t.Fatalf("concurrent refunds of 10.00 on 12.34: %d created, want 1", ok.Load())
	}
}

func jRefundRules(t *testing.T, ctx context.Context, j pos.Journal) {
	if err := j.CreateRefund(ctx, mkRefund("R0", "NOPE", 1, T0), pos.Event{}); !errors.Is(err, pos.ErrNotFound) {
		t.Fatalf("refund of unknown charge: got %v, want ErrNotFound", err)
	}
	driveTo(t, ctx, j, "C1", pos.StateUnknown, T0)
	if err := j.CreateRefund(ctx, mkRefund("R1", "C1", 1, T0), pos.Event{}); !errors.Is(err, pos.ErrIllegalTransition) {
		t.Fatalf("refund of an unknown charge: got %v, want ErrIllegalTransition", err)
	}
	driveTo(t, ctx, j, "C2", pos.StateRevoked, T0)
	if err := j.CreateRefund(ctx, mkRefund("R2", "C2", 1, T0), pos.Event{}); !errors.Is(err, pos.ErrIllegalTransition) {
		t.Fatalf("refund of a revoked charge: got %v, want ErrIllegalTransition", err)
	}
	driveTo(t, ctx, j, "C3", pos.StatePaid, T0)
	if _, err := j.Transition(ctx, pos.Change{ChargeCode: "C3", From: pos.StatePaid, To: pos.StatePaid, At: T0,
		Patch: pos.Patch{GiveUp: true, GiveUpReason: "revoke"}}); err != nil {
		t.Fatal(err)
	}
	if err := j.CreateRefund(ctx, mkRefund("R3", "C3", 1, T0), pos.Event{}); !errors.Is(err, pos.ErrIllegalTransition) {
		t.Fatalf("refund of a given-up charge: got %v, want ErrIllegalTransition", err)
	}
	if _, _, err := j.SettleRefund(ctx, pos.RefundChange{OutRefundNo: "NOPE", From: pos.RefundSending, To: pos.RefundDone}); !errors.Is(err, pos.ErrNotFound) {
		t.Fatalf("settle unknown refund: got %v, want ErrNotFound", err)
	}
	// A refund cannot complete once the charge was revoked meanwhile.
	driveTo(t, ctx, j, "C4", pos.StatePaid, T0)
	if err := j.CreateRefund(ctx, mkRefund("R4", "C4", 100, T0), pos.Event{}); err != nil {
		t.Fatal(err)
	}
	move(t, ctx, j, "C4", pos.StatePaid, pos.StateRevoked, T0)
	if _, _, err := j.SettleRefund(ctx, pos.RefundChange{OutRefundNo: "R4", From: pos.RefundSending, To: pos.RefundDone, At: T0}); !errors.Is(err, pos.ErrIllegalTransition) {
		t.Fatalf("refund done on a revoked charge: got %v, want ErrIllegalTransition", err)
	}
	if r, _ := j.GetRefund(ctx, "R4"); r.State != pos.RefundSending {
		t.Fatalf("refund after refused settle: got %s, want sending", r.State)
	}
}

// jGiveUpExcludesRefund: a revoke (GiveUp on a paid charge) and a refund
// exclude each other, whichever is journaled first wins (issue 8, case 8);
// a refused refund does not block a give-up.
func jGiveUpExcludesRefund(t *testing.T, ctx context.Context, j pos.Journal) {
	giveUp := func(code pos.ChargeCode) error {
		_, err := j.Transition(ctx, pos.Change{ChargeCode: code, From: pos.StatePaid, To: pos.StatePaid, At: T0,
			Patch: pos.Patch{GiveUp: true, GiveUpReason: "revoke"}})
		return err
	}
	driveTo(t, ctx, j, "C1", pos.StatePaid, T0)
	if err := j.CreateRefund(ctx, mkRefund("R1", "C1", 100, T0), pos.Event{}); err != nil {
		t.Fatal(err)
	}
	if err := giveUp("C1"); !errors.Is(err, pos.ErrIllegalTransition) {
		t.Fatalf("give up beside a refund in flight: got %v, want ErrIllegalTransition", err)
	}
	if tx, _ := j.Get(ctx, "C1"); tx.GiveUp {
		t.Fatalf("given up although refused")
	}
	settle(t, ctx, j, "R1", pos.RefundSending, pos.RefundRefused)
	if err := giveUp("C1"); err != nil {
		t.Fatalf("give up once the only refund was refused: %v", err)
	}
	if err := j.CreateRefund(ctx, mkRefund("R2", "C1", 100, T0), pos.Event{}); !errors.Is(err, pos.ErrIllegalTransition) {
		t.Fatalf("refund after the give-up: got %v, want ErrIllegalTransition", err)
	}
}

func claimKeys(items []pos.WorkItem) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = string(it.Key.ChargeCode) + it.Key.OutRefundNo
	}
	return out
}

func jClaim(t *testing.T, ctx context.Context, j pos.Journal) {
	// Q1 due at T0+1m, Q2 due at T0+2m, Q3 not due, P settled.
	for i, code := range []string{"Q2", "Q1", "Q3"} {
		tx := mkTx(code, T0)
		tx.NextAttemptAt = T0.Add(time.Duration([]int{2, 1, 10}[i]) * time.Minute)
		create(t, ctx, j, tx)
	}
	driveTo(t, ctx, j, "P", pos.StatePaid, T0)
	now := T0.Add(5 * time.Minute)
	got, err := j.Claim(ctx, pos.ClaimRequest{Owner: "a", Now: now, Lease: time.Minute, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(claimKeys(got)) != "[Q1 Q2]" {
		t.Fatalf("Claim: got %v, want [Q1 Q2] (due, by NextAttemptAt)", claimKeys(got))
	}
	if got[0].Key.Kind != pos.WorkCharge || got[0].Transaction.ChargeCode != "Q1" || got[0].Transaction.State != pos.StateSending {
		t.Fatalf("Claim item: got %+v", got[0])
	}
	again, _ := j.Claim(ctx, pos.ClaimRequest{Owner: "b", Now: now, Lease: time.Minute, Limit: 10})
	if len(again) != 0 {
		t.Fatalf("second owner while leased: got %v, want none", claimKeys(again))
	}
	forced, _ := j.Claim(ctx, pos.ClaimRequest{Owner: "b", Now: now, Lease: time.Minute, Limit: 10, IgnoreSchedule: true})
	if fmt.Sprint(claimKeys(forced)) != "[Q3]" {
		t.Fatalf("IgnoreSchedule: got %v, want [Q3]", claimKeys(forced))
	}
	// Release with a retry: attempts counted, rescheduled, lease gone.
	if err := j.Release(ctx, pos.WorkKey{Kind: pos.WorkCharge, ChargeCode: "Q1"}, "b", now, pos.Retry{}); !errors.Is(err, pos.ErrLeaseLost) {
		t.Fatalf("release by non-owner: got %v, want ErrLeaseLost", err)
	}
	next := now.Add(30 * time.Second)
	if err := j.Release(ctx, pos.WorkKey{Kind: pos.WorkCharge, ChargeCode: "Q1"}, "a", now,
		pos.Retry{NextAttemptAt: next, LastError: "EXCEPTION", CountAttempt: true}); err != nil {
		t.Fatalf("Release: %v", err)
	}
	q1, _ := j.Get(ctx, "Q1")
	if q1.Attempts != 1 || !q1.NextAttemptAt.Equal(next) || q1.LastError != "EXCEPTION" {
		t.Fatalf("after release: got %+v", q1.Queue)
	}
	if got, _ := j.Claim(ctx, pos.ClaimRequest{Owner: "b", Now: now, Lease: time.Minute, Limit: 10}); len(got) != 0 {
		t.Fatalf("claim before next attempt: got %v", claimKeys(got))
	}
	got, _ = j.Claim(ctx, pos.ClaimRequest{Owner: "b", Now: next, Lease: time.Minute, Limit: 1})
	if fmt.Sprint(claimKeys(got)) != "[Q1]" {
		t.Fatalf("claim at next attempt, limit 1: got %v, want [Q1]", claimKeys(got))
	}
	// Q2's lease (owner a) expires at now+1m: then b may take it.
	later := now.Add(2 * time.Minute)
	got, _ = j.Claim(ctx, pos.ClaimRequest{Owner: "b", Now: later, Lease: time.Minute, Limit: 10})
	keys := fmt.Sprint(claimKeys(got))
	if keys != "[Q2 Q1]" && keys != "[Q1 Q2]" {
		// Q1 is leased by b itself until next+1m < later: expired too.
		t.Fatalf("claim after leases expired: got %v, want Q1 and Q2", keys)
	}
	// The old owner's late release is refused while b's lease is live.
	if err := j.Release(ctx, pos.WorkKey{Kind: pos.WorkCharge, ChargeCode: "Q2"}, "a", later, pos.Retry{CountAttempt: true}); !errors.Is(err, pos.ErrLeaseLost) {
		t.Fatalf("late release by old owner: got %v, want ErrLeaseLost", err)
	}
	// Settling leaves the queue; release after settle only clears the lease.
	if _, err := j.Transition(ctx, pos.Change{ChargeCode: "Q2", From: pos.StateSending, To: pos.StatePaid, Owner: "b", At: later}); err != nil {
		t.Fatal(err)
	}
	if err := j.Release(ctx, pos.WorkKey{Kind: pos.WorkCharge, ChargeCode: "Q2"}, "b", later, pos.Retry{CountAttempt: true}); err != nil {
		t.Fatalf("release of a settled row: %v", err)
	}
	if got, _ := j.Claim(ctx, pos.ClaimRequest{Owner: "c", Now: later.Add(time.Hour), Lease: time.Minute, Limit: 10, IgnoreSchedule: true}); fmt.Sprint(claimKeys(got)) != "[Q1 Q3]" && fmt.Sprint(claimKeys(got)) != "[Q3 Q1]" {
		t.Fatalf("claim after settle: got %v, want Q1 and Q3", claimKeys(got))
	}
	if err := j.Release(ctx, pos.WorkKey{Kind: pos.WorkCharge, ChargeCode: "NOPE"}, "a", now, pos.Retry{}); !errors.Is(err, pos.ErrNotFound) {
		t.Fatalf("release unknown: got %v, want ErrNotFound", err)
	}
}

func jClaimConcurrent(t *testing.T, ctx context.Context, j pos.Journal) {
	const rows, owners = 40, 6
	for i := range rows {
		create(t, ctx, j, mkTx(fmt.Sprintf("K%03d", i), T0))
	}
	var mu sync.Mutex
	seen := map[string]string{}
	var wg sync.WaitGroup
	for o := range owners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			owner := fmt.Sprintf("owner%d", o)
			for {
				got, err := j.Claim(ctx, pos.ClaimRequest{Owner: owner, Now: T0.Add(time.Hour), Lease: time.Hour, Limit: 3})
				if err != nil {
					t.Errorf("Claim: %v", err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, k := range claimKeys(got) {
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
	if len(seen) != rows {
		t.Fatalf("claimed %d rows, want %d", len(seen), rows)
	}
}

func jClaimRefunds(t *testing.T, ctx context.Context, j pos.Journal) {
	driveTo(t, ctx, j, "C1", pos.StatePaid, T0)
	r := mkRefund("R1", "C1", 100, T0)
	r.NextAttemptAt = T0.Add(time.Minute)
	if err := j.CreateRefund(ctx, r, pos.Event{}); err != nil {
		t.Fatal(err)
	}
	got, err := j.Claim(ctx, pos.ClaimRequest{Owner: "a", Now: T0.Add(2 * time.Minute), Lease: time.Minute, Limit: 5})
	if err != nil || len(got) != 1 {
		t.Fatalf("Claim: got %v, %v; want the refund", claimKeys(got), err)
	}
	it := got[0]
	if it.Key.Kind != pos.WorkRefund || it.Key.OutRefundNo != "R1" || it.Key.ChargeCode != "C1" ||
		it.Refund.OutRefundNo != "R1" || it.Transaction.ChargeCode != "C1" || it.Transaction.State != pos.StatePaid {
		t.Fatalf("refund item: got %+v", it)
	}
	if _, _, err := j.SettleRefund(ctx, pos.RefundChange{OutRefundNo: "R1", From: pos.RefundSending, To: pos.RefundUnknown,
		Owner: "b", At: T0.Add(2 * time.Minute)}); !errors.Is(err, pos.ErrLeaseLost) {
		t.Fatalf("settle by non-owner: got %v, want ErrLeaseLost", err)
	}
	k := pos.WorkKey{Kind: pos.WorkRefund, ChargeCode: "C1", OutRefundNo: "R1"}
	if err := j.Release(ctx, k, "a", T0.Add(2*time.Minute), pos.Retry{NextAttemptAt: T0.Add(time.Hour), CountAttempt: true, LastError: "x"}); err != nil {
		t.Fatal(err)
	}
	rr, _ := j.GetRefund(ctx, "R1")
	if rr.Attempts != 1 || !rr.NextAttemptAt.Equal(T0.Add(time.Hour)) || rr.LastError != "x" {
		t.Fatalf("refund queue after release: %+v", rr.Queue)
	}
	un, _ := j.ListRefunds(ctx, pos.RefundFilter{Unsettled: true})
	if len(un) != 1 {
		t.Fatalf("unsettled refunds: got %d, want 1", len(un))
	}
}

func jLeaseGuards(t *testing.T, ctx context.Context, j pos.Journal) {
	create(t, ctx, j, mkTx("C1", T0))
	now := T0.Add(time.Hour)
	if got, _ := j.Claim(ctx, pos.ClaimRequest{Owner: "a", Now: now, Lease: time.Minute, Limit: 1}); len(got) != 1 {
		t.Fatal("claim failed")
	}
	_, err := j.Transition(ctx, pos.Change{ChargeCode: "C1", From: pos.StateSending, To: pos.StateUnknown, Owner: "b", At: now})
	if !errors.Is(err, pos.ErrLeaseLost) {
		t.Fatalf("transition by non-owner: got %v, want ErrLeaseLost", err)
	}
	if _, err := j.Transition(ctx, pos.Change{ChargeCode: "C1", From: pos.StateSending, To: pos.StateUnknown, Owner: "a", At: now}); err != nil {
		t.Fatalf("transition by owner: %v", err)
	}
	// After expiry another owner may write.
	if _, err := j.Transition(ctx, pos.Change{ChargeCode: "C1", From: pos.StateUnknown, To: pos.StateUnknown, Owner: "b", At: now.Add(2 * time.Minute)}); err != nil {
		t.Fatalf("transition after lease expiry: %v", err)
	}
}

func jIssued(t *testing.T, ctx context.Context, j pos.Journal) {
	got, err := j.LastIssued(ctx, "charge:R1")
	if err != nil || got != "" {
		t.Fatalf("LastIssued(empty): got %q, %v", got, err)
	}
	if err := j.SwapIssued(ctx, "charge:R1", "", "A1"); err != nil {
		t.Fatal(err)
	}
	if err := j.SwapIssued(ctx, "charge:R1", "", "A2"); !errors.Is(err, pos.ErrConflict) {
		t.Fatalf("stale swap: got %v, want ErrConflict", err)
	}
	if err := j.SwapIssued(ctx, "charge:R1", "A1", "A2"); err != nil {
		t.Fatal(err)
	}
	if err := j.SwapIssued(ctx, "charge:R2", "", "B1"); err != nil {
		t.Fatal(err)
	}
	if got, _ := j.LastIssued(ctx, "charge:R1"); got != "A2" {
		t.Fatalf("LastIssued: got %q, want A2", got)
	}
	if got, _ := j.LastIssued(ctx, "charge:R2"); got != "B1" {
		t.Fatalf("LastIssued other series: got %q, want B1", got)
	}
}

func jIssuedConcurrent(t *testing.T, ctx context.Context, j pos.Journal) {
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := j.SwapIssued(ctx, "s", "", fmt.Sprintf("v%d", i))
			if err == nil {
				wins.Add(1)
			} else if !errors.Is(err, pos.ErrConflict) {
				t.Errorf("SwapIssued: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("concurrent swaps from empty: %d won, want 1", wins.Load())
	}
}

func jReceipts(t *testing.T, ctx context.Context, j pos.Journal) {
	if err := j.EnqueueReceipt(ctx, "NOPE", pos.ReceiptSale); !errors.Is(err, pos.ErrNotFound) {
		t.Fatalf("receipt for unknown charge: got %v, want ErrNotFound", err)
	}
	create(t, ctx, j, mkTx("C1", T0))
	if _, err := j.Transition(ctx, pos.Change{ChargeCode: "C1", From: pos.StateSending, To: pos.StatePaid, At: T0, Receipt: pos.ReceiptSale}); err != nil {
		t.Fatalf("transition with receipt: %v", err)
	}
	if err := j.EnqueueReceipt(ctx, "C1", pos.ReceiptSale); err != nil {
		t.Fatalf("reprint: %v", err)
	}
}
