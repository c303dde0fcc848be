package postest

import (
	"context"
	"errors"
	"testing"
	"time"

	"posterm/pos"
)

// The cash contracts of pos.Journal: a cash sale (pos.KindCash) is
// created final, with its receipt, and never reconciled; its refunds are
// created done, with their slip; nothing of it is ever given up.

func mkCash(code string, at time.Time) pos.Transaction {
	tx := mkTx(code, at)
	tx.Kind, tx.State, tx.MaskedCode, tx.Tendered, tx.PaidAt = pos.KindCash, pos.StatePaid, "", 2000, at
	tx.Queue = pos.Queue{}
	return tx
}

// receiptsOf returns the print-job kinds a journal queued for code, when
// it can tell (offline's print queue, or this package's Journal).
func receiptsOf(t *testing.T, ctx context.Context, j pos.Journal, code pos.ChargeCode) ([]pos.ReceiptKind, bool) {
	t.Helper()
	var out []pos.ReceiptKind
	switch q := j.(type) {
	case pos.PrintQueue:
		jobs, err := q.Pending(ctx)
		if err != nil {
			t.Fatalf("Pending: %v", err)
		}
		for _, jb := range jobs {
			if jb.ChargeCode == string(code) {
				out = append(out, jb.Kind)
			}
		}
	case interface {
		ReceiptsFor(pos.ChargeCode) []ReceiptJob
	}:
		for _, r := range q.ReceiptsFor(code) {
			out = append(out, r.Kind)
		}
	default:
		return nil, false
	}
	return out, true
}

func jCashCreate(t *testing.T, ctx context.Context, j pos.Journal) {
	bad := []struct {
		name string
		edit func(*pos.Transaction)
	}{
		{"sending", func(tx *pos.Transaction) { tx.State = pos.StateSending }},
		{"unknown", func(tx *pos.Transaction) { tx.State = pos.StateUnknown }},
		{"short tender", func(tx *pos.Transaction) { tx.Tendered = tx.Amount - 1 }},
		{"given up", func(tx *pos.Transaction) { tx.GiveUp = true }},
		{"wallet with tendered", func(tx *pos.Transaction) { tx.Kind, tx.State = pos.KindPay, pos.StateSending }},
	}
	for _, b := range bad {
		tx := mkCash("BAD", T0)
		b.edit(&tx)
		if err := j.CreateTransaction(ctx, tx, pos.Event{Op: "cash"}); !errors.Is(err, pos.ErrIllegalTransition) {
			t.Errorf("create %s: got %v, want ErrIllegalTransition", b.name, err)
		}
	}
	if _, err := j.Get(ctx, "BAD"); !errors.Is(err, pos.ErrNotFound) {
		t.Fatalf("a refused create wrote a row: %v", err)
	}
	want := mkCash("K1", T0)
	if err := j.CreateTransaction(ctx, want, pos.Event{Op: "cash", Who: "cashier01"}); err != nil {
		t.Fatalf("create cash sale: %v", err)
	}
	got, err := j.Get(ctx, "K1")
	if err != nil || got.State != pos.StatePaid || got.Kind != pos.KindCash || got.Tendered != 2000 ||
		got.CashChange() != 2000-1234 || got.Unsettled() || !got.PaidAt.Equal(T0) {
		t.Fatalf("Get cash sale: %+v, %v", got, err)
	}
	evs, err := j.Events(ctx, "K1")
	if err != nil || len(evs) != 1 || evs[0].From != "" || evs[0].To != string(pos.StatePaid) || evs[0].Who != "cashier01" {
		t.Fatalf("events: %+v, %v", evs, err)
	}
	if kinds, ok := receiptsOf(t, ctx, j, "K1"); ok && (len(kinds) != 1 || kinds[0] != pos.ReceiptSale) {
		t.Fatalf("receipts of a cash sale: %v, want one sale receipt", kinds)
	}
	// Never reconciled: nothing to claim, not even ignoring the schedule.
	items, err := j.Claim(ctx, pos.ClaimRequest{Owner: "r1", Now: T0.Add(time.Hour), Lease: time.Minute, Limit: 10, IgnoreSchedule: true})
	if err != nil || len(items) != 0 {
		t.Fatalf("claim after a cash sale: %+v, %v", items, err)
	}
	if open, err := j.List(ctx, pos.Filter{Unsettled: true}); err != nil || len(open) != 0 {
		t.Fatalf("unsettled after a cash sale: %+v, %v", open, err)
	}
	// It holds its sale like any paid charge.
	again := mkCash("K2", T0)
	again.SaleID = want.SaleID
	if err := j.CreateTransaction(ctx, again, pos.Event{Op: "cash"}); !errors.Is(err, pos.ErrSaleOpen) {
		t.Fatalf("second cash sale of a paid sale: %v, want ErrSaleOpen", err)
	}
	// Never given up (the reconciler would take it to the gateway).
	_, err = j.Transition(ctx, pos.Change{ChargeCode: "K1", From: pos.StatePaid, To: pos.StatePaid, At: T0,
		Patch: pos.Patch{GiveUp: true, GiveUpReason: "revoke"}})
	if !errors.Is(err, pos.ErrIllegalTransition) {
		t.Fatalf("give up a cash sale: %v, want ErrIllegalTransition", err)
	}
}

func jCashRefund(t *testing.T, ctx context.Context, j pos.Journal) {
	if err := j.CreateTransaction(ctx, mkCash("K1", T0), pos.Event{Op: "cash"}); err != nil {
		t.Fatal(err)
	}
	driveTo(t, ctx, j, "W1", pos.StatePaid, T0)
	r := mkRefund("RK1", "K1", 1000, T0)
	if err := j.CreateRefund(ctx, r, pos.Event{Op: "refund"}); !errors.Is(err, pos.ErrIllegalTransition) {
		t.Fatalf("cash refund created sending: %v, want ErrIllegalTransition", err)
	}
	w := mkRefund("RW1", "W1", 100, T0)
	w.State = pos.RefundDone
	if err := j.CreateRefund(ctx, w, pos.Event{Op: "refund"}); !errors.Is(err, pos.ErrIllegalTransition) {
		t.Fatalf("wallet refund created done: %v, want ErrIllegalTransition", err)
	}
	r.State, r.Queue, r.Approver = pos.RefundDone, pos.Queue{}, "manager01"
	if err := j.CreateRefund(ctx, r, pos.Event{Op: "refund", Who: "cashier01", Approver: "manager01"}); err != nil {
		t.Fatalf("cash refund: %v", err)
	}
	got, err := j.Get(ctx, "K1")
	if err != nil || got.Refunded != 1000 || got.State != pos.StatePartiallyRefunded || got.Unsettled() {
		t.Fatalf("charge after a cash refund: %+v, %v", got, err)
	}
	gr, err := j.GetRefund(ctx, "RK1")
	if err != nil || gr.State != pos.RefundDone || gr.Unsettled() || gr.Approver != "manager01" {
		t.Fatalf("cash refund: %+v, %v", gr, err)
	}
	if kinds, ok := receiptsOf(t, ctx, j, "K1"); ok && (len(kinds) != 2 || kinds[1] != pos.ReceiptRefund) {
		t.Fatalf("receipts: %v, want sale then refund", kinds)
	}
	items, err := j.Claim(ctx, pos.ClaimRequest{Owner: "r1", Now: T0.Add(time.Hour), Lease: time.Minute, Limit: 10, IgnoreSchedule: true})
	if err != nil || len(items) != 0 {
		t.Fatalf("claim after a cash refund: %+v, %v", items, err)
	}
	over := mkRefund("RK2", "K1", 235, T0)
	over.State = pos.RefundDone
	if err := j.CreateRefund(ctx, over, pos.Event{Op: "refund"}); !errors.Is(err, pos.ErrOverRefund) {
		t.Fatalf("cash over-refund: %v, want ErrOverRefund", err)
	}
	rest := mkRefund("RK3", "K1", 234, T0)
	rest.State = pos.RefundDone
	if err := j.CreateRefund(ctx, rest, pos.Event{Op: "refund"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := j.Get(ctx, "K1"); got.State != pos.StateRefunded || got.Refunded != 1234 {
		t.Fatalf("after the rest: %+v", got)
	}
	if _, _, err := j.SettleRefund(ctx, pos.RefundChange{OutRefundNo: "RK1", From: pos.RefundDone, To: pos.RefundDone, At: T0}); !errors.Is(err, pos.ErrIllegalTransition) {
		t.Fatalf("settle a cash refund: %v, want ErrIllegalTransition", err)
	}
}
