package pos_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"posterm/pos"
	"posterm/pos/postest"
)

// blindJournal hides a sale's attempts from List, as when another process
// writes its attempt between this checkout's read and its write: only the
// journal's own gate (CreateTransaction's ErrSaleOpen) can stop the charge.
type blindJournal struct{ *postest.Journal }

func (b blindJournal) List(ctx context.Context, f pos.Filter) ([]pos.Transaction, error) {
	if f.SaleID != "" {
		return nil, nil
	}
	return b.Journal.List(ctx, f)
}

func newBlindCheckout(t *testing.T, e *env) *pos.Checkout {
	t.Helper()
	co, err := pos.NewCheckout(pos.CheckoutConfig{Register: "POS01", BusiID: postest.Merchant, Gateway: e.gw,
		Journal: blindJournal{e.j}, Clock: e.clock, Logger: e.log})
	if err != nil {
		t.Fatal(err)
	}
	return co
}

func payCalls(g *postest.Gateway) int {
	n := 0
	for _, c := range g.Calls() {
		if c.Method == postest.MPay {
			n++
		}
	}
	return n
}

func TestCheckout_SaleGateInTheJournal(t *testing.T) {
	t.Run("AnotherProcessHoldsTheSale", func(t *testing.T) {
		e := newEnv(t)
		other := pos.Transaction{ChargeCode: "OTHER0001", Kind: pos.KindPay, State: pos.StateSending, SaleID: "S",
			Amount: 100, CreatedAt: t0, UpdatedAt: t0}
		if err := e.j.CreateTransaction(e.ctx, other, pos.Event{Op: "pay"}); err != nil {
			t.Fatal(err)
		}
		co := newBlindCheckout(t, e)
		tx, err := co.PayByCode(e.ctx, pos.PayInput{Cashier: e.cashier, SaleID: "S", Amount: 100, Code: alipayCode})
		var open *pos.SaleOpenError
		if !errors.Is(err, pos.ErrSaleOpen) || !errors.As(err, &open) || open.SaleID != "S" {
			t.Fatalf("got %v, want a SaleOpenError for S", err)
		}
		if tx.ChargeCode != "" || payCalls(e.gw) != 0 {
			t.Fatalf("refused charge: returned %q, %d pay calls", tx.ChargeCode, payCalls(e.gw))
		}
		if _, err := co.Precreate(e.ctx, pos.PrecreateInput{Cashier: e.cashier, SaleID: "S", Amount: 100, Channel: pos.ChannelAlipay}); !errors.Is(err, pos.ErrSaleOpen) {
			t.Fatalf("precreate: got %v, want ErrSaleOpen", err)
		}
		if txs, _ := e.j.List(e.ctx, pos.Filter{SaleID: "S"}); len(txs) != 1 {
			t.Fatalf("rows of S: %d, want 1", len(txs))
		}
	})
	t.Run("ProcessesRaceOneCharges", func(t *testing.T) {
		e := newEnv(t)
		const n = 6
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			co := newBlindCheckout(t, e) // a process of its own: its own in-memory reservations
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = co.PayByCode(e.ctx, pos.PayInput{Cashier: e.cashier, SaleID: "S", Amount: 100, Code: alipayCode})
			}()
		}
		wg.Wait()
		ok := 0
		for i, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, pos.ErrSaleOpen):
				t.Errorf("process %d: %v", i, err)
			}
		}
		if ok != 1 || payCalls(e.gw) != 1 {
			t.Fatalf("%d charges went ahead, %d reached the gateway; want 1", ok, payCalls(e.gw))
		}
	})
}
