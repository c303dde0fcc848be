package pos_test

import (
	"errors"
	"testing"

	"posterm/pos"
	"posterm/pos/postest"
)

// gatewayCalls counts the calls that may move money (logins aside).
func gatewayCalls(e *env) int {
	n := 0
	for _, c := range e.gw.Calls() {
		if c.Method != postest.MLogin {
			n++
		}
	}
	return n
}

func TestCheckout_PayCash(t *testing.T) {
	tests := []struct {
		name     string
		in       func(e *env) pos.CashInput
		want     error
		wantChng pos.Money
	}{
		{"exact", func(e *env) pos.CashInput { return pos.CashInput{Cashier: e.cashier, Amount: 1250, Tendered: 1250} }, nil, 0},
		{"change", func(e *env) pos.CashInput { return pos.CashInput{Cashier: e.cashier, Amount: 1250, Tendered: 5000} }, nil, 3750},
		{"short", func(e *env) pos.CashInput { return pos.CashInput{Cashier: e.cashier, Amount: 1250, Tendered: 1000} }, pos.ErrShortTender, 0},
		{"zero", func(e *env) pos.CashInput { return pos.CashInput{Cashier: e.cashier, Amount: 0, Tendered: 1000} }, pos.ErrBadAmount, 0},
		{"no cashier", func(e *env) pos.CashInput { return pos.CashInput{Amount: 100, Tendered: 100} }, pos.ErrNoCashier, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			tx, err := e.co.PayCash(e.ctx, tc.in(e))
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if n := gatewayCalls(e); n != 0 {
				t.Fatalf("a cash sale made %d gateway call(s)", n)
			}
			if tc.want != nil {
				if len(e.j.Receipts()) != 0 {
					t.Fatal("a refused cash sale queued a receipt")
				}
				return
			}
			got := e.get(tx.ChargeCode)
			if got.Kind != pos.KindCash || got.State != pos.StatePaid || got.CashChange() != tc.wantChng || got.Unsettled() ||
				got.Cashier != "cashier01" {
				t.Fatalf("journaled: %+v", got)
			}
			if r := e.j.ReceiptsFor(tx.ChargeCode); len(r) != 1 || r[0].Kind != pos.ReceiptSale {
				t.Fatalf("receipts: %v", r)
			}
		})
	}
}

// TestCheckout_PayCash_SaleGate: a sale paid by wallet is not paid again in
// cash, and a cash sale is not paid again.
func TestCheckout_PayCash_SaleGate(t *testing.T) {
	e := newEnv(t)
	paid := e.mustPay(1000)
	if _, err := e.co.PayCash(e.ctx, pos.CashInput{Cashier: e.cashier, SaleID: paid.SaleID, Amount: 1000, Tendered: 1000}); !errors.Is(err, pos.ErrSalePaid) {
		t.Fatalf("cash for a paid sale: %v, want ErrSalePaid", err)
	}
	tx, err := e.co.PayCash(e.ctx, pos.CashInput{Cashier: e.cashier, SaleID: "SALE-7", Amount: 500, Tendered: 500})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.co.PayCash(e.ctx, pos.CashInput{Cashier: e.cashier, SaleID: "SALE-7", Amount: 500, Tendered: 500}); !errors.Is(err, pos.ErrSalePaid) {
		t.Fatalf("second cash of one sale: %v, want ErrSalePaid", err)
	}
	if _, err := e.co.PayByCode(e.ctx, pos.PayInput{Cashier: e.cashier, SaleID: "SALE-7", Amount: 500, Code: alipayCode}); !errors.Is(err, pos.ErrSalePaid) {
		t.Fatalf("wallet after cash: %v, want ErrSalePaid", err)
	}
	if tx.SaleID != "SALE-7" {
		t.Fatalf("sale id %q", tx.SaleID)
	}
}

// TestCheckout_CashRefund: a cash refund needs refund permission like any
// refund, never calls the gateway, is done at once with its slip; a cash
// sale cannot be revoked.
func TestCheckout_CashRefund(t *testing.T) {
	e := newEnv(t)
	tx, err := e.co.PayCash(e.ctx, pos.CashInput{Cashier: e.cashier, Amount: 3000, Tendered: 5000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.co.Refund(e.ctx, pos.RefundInput{ChargeCode: tx.ChargeCode, Amount: 1000, Reason: "return",
		Cashier: e.cashier}); !errors.Is(err, pos.ErrNotPermitted) {
		t.Fatalf("cash refund without a manager: %v, want ErrNotPermitted", err)
	}
	r, err := e.co.Refund(e.ctx, pos.RefundInput{ChargeCode: tx.ChargeCode, Amount: 1000, Reason: "return",
		Cashier: e.cashier, Approver: &e.manager})
	if err != nil || r.State != pos.RefundDone || r.Approver != "manager01" {
		t.Fatalf("cash refund: %+v, %v", r, err)
	}
	if _, err := e.co.Refund(e.ctx, pos.RefundInput{ChargeCode: tx.ChargeCode, Amount: 2001, Reason: "x",
		Cashier: e.manager}); !errors.Is(err, pos.ErrExceedsRemaining) {
		t.Fatalf("over-refund: %v", err)
	}
	if n := gatewayCalls(e); n != 0 {
		t.Fatalf("cash refunds made %d gateway call(s)", n)
	}
	wantState(t, e.get(tx.ChargeCode), pos.StatePartiallyRefunded)
	if got := e.j.ReceiptsFor(tx.ChargeCode); len(got) != 2 || got[1].Kind != pos.ReceiptRefund {
		t.Fatalf("receipts: %v", got)
	}
	tx2, _ := e.co.PayCash(e.ctx, pos.CashInput{Cashier: e.cashier, Amount: 100, Tendered: 100})
	if _, err := e.co.Revoke(e.ctx, tx2.ChargeCode, e.manager, nil); !errors.Is(err, pos.ErrNotRevocable) {
		t.Fatalf("revoke a cash sale: %v, want ErrNotRevocable", err)
	}
}

// TestCash_NeverAskedOfTheGateway: the reconciler, its recheck and the
// day's settlement leave cash sales and refunds alone.
func TestCash_NeverAskedOfTheGateway(t *testing.T) {
	e := newEnv(t)
	tx, err := e.co.PayCash(e.ctx, pos.CashInput{Cashier: e.cashier, Amount: 1000, Tendered: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.co.Refund(e.ctx, pos.RefundInput{ChargeCode: tx.ChargeCode, Amount: 400, Cashier: e.manager}); err != nil {
		t.Fatal(err)
	}
	rec := e.reconciler("rec")
	if _, err := rec.Recheck(e.ctx, t0.Add(-1), 0); err != nil {
		t.Fatal(err)
	}
	res, err := e.settler(&memStore{}).Settle(e.ctx, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Differences) != 0 || res.Journal != 0 {
		t.Fatalf("settlement of a cash-only day: %+v", res)
	}
	for _, c := range e.gw.Calls() {
		if c.ChargeCode == tx.ChargeCode {
			t.Fatalf("the gateway was asked about a cash sale: %+v", c)
		}
	}
	wantState(t, e.get(tx.ChargeCode), pos.StatePartiallyRefunded)
}
