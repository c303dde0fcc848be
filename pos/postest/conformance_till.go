package postest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"posterm/pos"
)

// The till identity, the sale gate and the change feed (issue 8).

func jTillID(t *testing.T, ctx context.Context, j pos.Journal) {
	a, err := j.TillID(ctx)
	if err != nil {
		t.Fatalf("TillID: %v", err)
	}
	if err := pos.ValidTillID(a); err != nil {
		t.Fatalf("TillID: %v", err)
	}
	if b, _ := j.TillID(ctx); b != a {
		t.Fatalf("TillID not stable: %s then %s", a, b)
	}
}

// saleTx is an attempt code of sale at T0+n seconds.
func saleTx(code, sale string, n int) pos.Transaction {
	tx := mkTx(code, T0.Add(time.Duration(n)*time.Second))
	tx.SaleID = sale
	return tx
}

func jSaleGate(t *testing.T, ctx context.Context, j pos.Journal) {
	note := func(code string, from pos.State, p pos.Patch) {
		t.Helper()
		if _, err := j.Transition(ctx, pos.Change{ChargeCode: pos.ChargeCode(code), From: from, To: from, At: T0,
			Patch: p, Event: pos.Event{Op: "ack", Who: "suite"}}); err != nil {
			t.Fatalf("note %s: %v", code, err)
		}
	}
	steps := []struct {
		name   string
		do     func()          // before the create, may be nil
		create pos.Transaction // the attempt to create
		open   bool            // want ErrSaleOpen
	}{
		{"first attempt", nil, saleTx("A1", "S", 1), false},
		{"second while the first is sending", nil, saleTx("A2", "S", 2), true},
		{"another sale is free", nil, saleTx("B1", "T", 3), false},
		{"after the first is declined", func() { move(t, ctx, j, "A1", pos.StateSending, pos.StateDeclined, T0) },
			saleTx("A3", "S", 4), false},
		{"while one is unknown", func() { move(t, ctx, j, "A3", pos.StateSending, pos.StateUnknown, T0) },
			saleTx("A4", "S", 5), true},
		{"given up but not acknowledged", func() { note("A3", pos.StateUnknown, pos.Patch{GiveUp: true, GiveUpReason: "aborted"}) },
			saleTx("A5", "S", 6), true},
		{"acknowledged by a cashier", func() { note("A3", pos.StateUnknown, pos.Patch{AckedBy: "cashier01"}) },
			saleTx("A6", "S", 7), false},
		{"the acknowledged one turns out paid (to be revoked)", func() { move(t, ctx, j, "A3", pos.StateUnknown, pos.StatePaid, T0) },
			saleTx("A7", "S", 8), true}, // A6 still holds it
		{"after A6 is paid", func() { move(t, ctx, j, "A6", pos.StateSending, pos.StatePaid, T0) },
			saleTx("A8", "S", 9), true},
		{"after A6 is refunded: still paid for the sale", func() { move(t, ctx, j, "A6", pos.StatePaid, pos.StateRefunded, T0) },
			saleTx("A9", "S", 10), true},
	}
	for _, s := range steps {
		if s.do != nil {
			s.do()
		}
		err := j.CreateTransaction(ctx, s.create, pos.Event{Op: "create", Who: "suite"})
		switch {
		case s.open && !errors.Is(err, pos.ErrSaleOpen):
			t.Fatalf("%s: create %s: got %v, want ErrSaleOpen", s.name, s.create.ChargeCode, err)
		case !s.open && err != nil:
			t.Fatalf("%s: create %s: %v", s.name, s.create.ChargeCode, err)
		}
		if s.open {
			if _, err := j.Get(ctx, s.create.ChargeCode); !errors.Is(err, pos.ErrNotFound) {
				t.Fatalf("%s: refused %s was written: %v", s.name, s.create.ChargeCode, err)
			}
		}
	}
	// Rows with no sale id are not gated.
	for i := range 2 {
		tx := saleTx(fmt.Sprintf("N%d", i), "", 20+i)
		if err := j.CreateTransaction(ctx, tx, pos.Event{Op: "create"}); err != nil {
			t.Fatalf("no sale id: %v", err)
		}
	}
}

func jSaleGateConcurrent(t *testing.T, ctx context.Context, j pos.Journal) {
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = j.CreateTransaction(ctx, saleTx(fmt.Sprintf("P%d", i), "S", i), pos.Event{Op: "create"})
		}()
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, pos.ErrSaleOpen):
			t.Errorf("attempt %d: %v", i, err)
		}
	}
	if won != 1 {
		t.Fatalf("concurrent attempts of one sale: %d created, want 1", won)
	}
	if txs, _ := j.List(ctx, pos.Filter{SaleID: "S"}); len(txs) != 1 {
		t.Fatalf("rows of the sale: %d, want 1", len(txs))
	}
}

// feedOf returns j's change feed or skips.
func feedOf(t *testing.T, j pos.Journal) pos.ChangeFeed {
	f, ok := j.(pos.ChangeFeed)
	if !ok {
		t.Skip("journal has no change feed")
	}
	return f
}

// queued returns the events already in ch (published before the call that
// made them returned), without waiting.
func queued(ch <-chan pos.FeedEvent) []pos.FeedEvent {
	var out []pos.FeedEvent
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return out
			}
			out = append(out, ev)
		default:
			return out
		}
	}
}

func jChangeFeed(t *testing.T, ctx context.Context, j pos.Journal) {
	ch, cancel := feedOf(t, j).Subscribe()
	defer cancel()
	create(t, ctx, j, mkTx("C1", T0))
	if _, err := j.Transition(ctx, pos.Change{ChargeCode: "C1", From: pos.StateSending, To: pos.StatePaid, At: T0,
		Receipt: pos.ReceiptSale, Event: pos.Event{Op: "pay"}}); err != nil {
		t.Fatal(err)
	}
	if err := j.CreateRefund(ctx, mkRefund("R1", "C1", 1234, T0), pos.Event{Op: "refund"}); err != nil {
		t.Fatal(err)
	}
	settle(t, ctx, j, "R1", pos.RefundSending, pos.RefundDone)
	// Failed writes publish nothing.
	_ = j.CreateTransaction(ctx, mkTx("C1", T0), pos.Event{})
	if _, err := j.Transition(ctx, pos.Change{ChargeCode: "C1", From: pos.StateSending, To: pos.StatePaid}); !errors.Is(err, pos.ErrStale) {
		t.Fatalf("stale: %v", err)
	}
	want := []pos.FeedEvent{
		{Kind: pos.FeedTransaction, ChargeCode: "C1", State: "sending"},
		{Kind: pos.FeedTransaction, ChargeCode: "C1", State: "paid"},
		{Kind: pos.FeedPrintJob, ChargeCode: "C1"},
		{Kind: pos.FeedRefund, ChargeCode: "C1", OutRefundNo: "R1", State: "sending"},
		{Kind: pos.FeedRefund, ChargeCode: "C1", OutRefundNo: "R1", State: "done"},
		{Kind: pos.FeedTransaction, ChargeCode: "C1", State: "refunded"},
	}
	got := queued(ch)
	for i := range got {
		got[i].JobID = 0 // not every journal knows it
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events:\n got %v\nwant %v", got, want)
	}
	cancel()
	if _, ok := <-ch; ok {
		t.Fatal("channel open after cancel")
	}
	cancel() // idempotent
}

func jChangeFeedSlow(t *testing.T, ctx context.Context, j pos.Journal) {
	f := feedOf(t, j)
	slow, cancelSlow := f.Subscribe()
	defer cancelSlow()
	create(t, ctx, j, mkTx("C1", T0))
	// Three buffers' worth of commits with nobody reading: none may block.
	for i := range 3 * pos.FeedBuffer {
		if _, err := j.Transition(ctx, pos.Change{ChargeCode: "C1", From: pos.StateSending, To: pos.StateSending, At: T0,
			Event: pos.Event{Op: "test", Note: fmt.Sprint(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	got := queued(slow)
	if len(got) > pos.FeedBuffer || len(got) == 0 {
		t.Fatalf("slow subscriber got %d events, want 1..%d", len(got), pos.FeedBuffer)
	}
	if last := got[len(got)-1]; last.Kind != pos.FeedResync {
		t.Fatalf("slow subscriber's last event: %v, want a resync in place of the dropped ones", last)
	}
	// Caught up, it gets events again.
	move(t, ctx, j, "C1", pos.StateSending, pos.StatePaid, T0)
	if got := queued(slow); len(got) != 1 || got[0].State != "paid" {
		t.Fatalf("after catching up: got %v", got)
	}
}
