package pos_test

import (
	"errors"
	"testing"

	"posterm/pos"
	"posterm/pos/postest"
)

func TestCheckout_Refund_Permission(t *testing.T) {
	e := newEnv(t)
	noScene := e.manager
	noScene.RefundAtScene = false
	otherShop := e.manager
	otherShop.CompanyCode = "0010000002"
	cashier2 := e.cashier
	tests := []struct {
		name         string
		cashier      pos.Cashier
		approver     *pos.Cashier
		want         error
		wantApprover string
	}{
		{"cashier alone", e.cashier, nil, pos.ErrNotPermitted, ""},
		{"cashier approved by cashier", e.cashier, &cashier2, pos.ErrNotPermitted, ""},
		{"cashier approved by manager", e.cashier, &e.manager, nil, "manager01"},
		{"manager alone", e.manager, nil, nil, ""},
		{"refundAtScene 1", noScene, nil, pos.ErrRefundNotAtScene, ""},
		{"approver refundAtScene 1", e.cashier, &noScene, pos.ErrRefundNotAtScene, ""},
		{"other merchant", otherShop, nil, pos.ErrWrongMerchant, ""},
		{"no cashier", pos.Cashier{}, &e.manager, pos.ErrNoCashier, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tx := e.mustPay(1000)
			r, err := e.co.Refund(e.ctx, pos.RefundInput{ChargeCode: tx.ChargeCode, Amount: 100, Reason: "return",
				Cashier: tc.cashier, Approver: tc.approver})
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if tc.want != nil {
				if e.gw.Count(postest.MRefund, tx.ChargeCode) != 0 {
					t.Error("refused refund was sent")
				}
				return
			}
			if r.State != pos.RefundDone || r.Approver != tc.wantApprover || r.Cashier != tc.cashier.LoginName {
				t.Errorf("refund: %+v", r)
			}
			wantState(t, e.get(tx.ChargeCode), pos.StatePartiallyRefunded)
			if got := e.j.ReceiptsFor(tx.ChargeCode); len(got) != 2 || got[1].Kind != pos.ReceiptRefund {
				t.Errorf("receipts: %v", got)
			}
		})
	}
}

func TestCheckout_Refund_Remaining(t *testing.T) {
	e := newEnv(t)
	tx := e.mustPay(1234)
	refund := func(amount pos.Money) (pos.Refund, error) {
		return e.co.Refund(e.ctx, pos.RefundInput{ChargeCode: tx.ChargeCode, Amount: amount, Cashier: e.manager})
	}
	if _, err := refund(0); !errors.Is(err, pos.ErrBadAmount) {
		t.Fatalf("zero: got %v, want ErrBadAmount", err)
	}
	if _, err := refund(1235); !errors.Is(err, pos.ErrExceedsRemaining) {
		t.Fatalf("above the charge: got %v", err)
	}
	if r, err := refund(1000); err != nil || r.State != pos.RefundDone {
		t.Fatalf("first: %+v, %v", r, err)
	}
	if _, err := refund(235); !errors.Is(err, pos.ErrExceedsRemaining) {
		t.Fatalf("above what remains: got %v", err)
	}
	if r, err := refund(234); err != nil || r.State != pos.RefundDone {
		t.Fatalf("the rest: %+v, %v", r, err)
	}
	got := e.get(tx.ChargeCode)
	wantState(t, got, pos.StateRefunded)
	if got.Refunded != 1234 || e.remote(tx.ChargeCode).Refunded != 1234 {
		t.Fatalf("refunded: journal %d, gateway %d", got.Refunded, e.remote(tx.ChargeCode).Refunded)
	}
	if _, err := refund(1); !errors.Is(err, pos.ErrNotRefundable) {
		t.Fatalf("refund of a refunded charge: got %v", err)
	}
	if _, err := e.co.Refund(e.ctx, pos.RefundInput{ChargeCode: "NOPE", Amount: 1, Cashier: e.manager}); !errors.Is(err, pos.ErrNotFound) {
		t.Fatalf("refund of unknown: got %v", err)
	}
}

func TestCheckout_Refund_Refused(t *testing.T) {
	e := newEnv(t)
	tx := e.mustPay(1000)
	e.gw.Script(postest.MRefund, postest.Step{Act: postest.Answer, Reply: pos.Reply{Outcome: pos.OutcomeRefused, Code: pos.CodeAmtError}})
	r, err := e.co.Refund(e.ctx, pos.RefundInput{ChargeCode: tx.ChargeCode, Amount: 500, Cashier: e.manager})
	if err != nil || r.State != pos.RefundRefused || r.ResultCode != pos.CodeAmtError {
		t.Fatalf("refused: %+v, %v", r, err)
	}
	// A refused refund frees its amount.
	if r, err := e.co.Refund(e.ctx, pos.RefundInput{ChargeCode: tx.ChargeCode, Amount: 1000, Cashier: e.manager}); err != nil || r.State != pos.RefundDone {
		t.Fatalf("full after refused: %+v, %v", r, err)
	}
}

func TestCheckout_Refund_UnknownRetriedWithSameSerial(t *testing.T) {
	for _, via := range []string{"RetryRefund", "Reconciler"} {
		t.Run(via, func(t *testing.T) {
			e := newEnv(t)
			tx := e.mustPay(1234)
			e.gw.Script(postest.MRefund, postest.Step{Act: postest.Lost}) // refunded, answer lost
			r, err := e.co.Refund(e.ctx, pos.RefundInput{ChargeCode: tx.ChargeCode, Amount: 1000, Cashier: e.cashier, Approver: &e.manager})
			if err != nil || r.State != pos.RefundUnknown || !r.Unsettled() {
				t.Fatalf("lost refund: %+v, %v", r, err)
			}
			// While it is in flight it still counts against what remains.
			if _, err := e.co.Refund(e.ctx, pos.RefundInput{ChargeCode: tx.ChargeCode, Amount: 235, Cashier: e.manager}); !errors.Is(err, pos.ErrExceedsRemaining) {
				t.Fatalf("refund over an unknown one: got %v, want ErrExceedsRemaining", err)
			}
			wantState(t, e.get(tx.ChargeCode), pos.StatePaid)
			var got pos.Refund
			if via == "RetryRefund" {
				got, err = e.co.RetryRefund(e.ctx, r.OutRefundNo, e.manager)
				if err != nil {
					t.Fatal(err)
				}
			} else {
				s, err := e.reconciler("r1").RunOnce(e.ctx)
				if err != nil || s.Results[pos.ResultRefunded] != 1 {
					t.Fatalf("reconcile: %+v, %v", s, err)
				}
				got, _ = e.j.GetRefund(e.ctx, r.OutRefundNo)
			}
			if got.State != pos.RefundDone {
				t.Fatalf("after retry: %+v", got)
			}
			var nos []string
			for _, c := range e.gw.Calls() {
				if c.Method == postest.MRefund {
					nos = append(nos, c.OutRefundNo)
				}
			}
			if len(nos) != 2 || nos[0] != r.OutRefundNo || nos[1] != r.OutRefundNo {
				t.Fatalf("OUT_REFUND_NO sent: %v, want %s twice", nos, r.OutRefundNo)
			}
			if tr := e.remote(tx.ChargeCode); tr.Refunded != 1000 {
				t.Fatalf("gateway refunded %d, want 1000 once", tr.Refunded)
			}
			after := e.get(tx.ChargeCode)
			wantState(t, after, pos.StatePartiallyRefunded)
			if after.Refunded != 1000 {
				t.Fatalf("journal refunded %d, want 1000", after.Refunded)
			}
			// A settled refund retried is returned unchanged.
			again, err := e.co.RetryRefund(e.ctx, r.OutRefundNo, e.manager)
			if err != nil || again.State != pos.RefundDone || e.gw.Count(postest.MRefund, "") != 2 {
				t.Fatalf("retry of a settled refund: %+v, %v", again, err)
			}
		})
	}
}

func TestCheckout_Revoke(t *testing.T) {
	t.Run("ByManager", func(t *testing.T) {
		e := newEnv(t)
		tx := e.mustPay(1000)
		got, err := e.co.Revoke(e.ctx, tx.ChargeCode, e.cashier, &e.manager)
		if err != nil {
			t.Fatal(err)
		}
		wantState(t, got, pos.StateRevoked)
		if rs := e.j.ReceiptsFor(tx.ChargeCode); len(rs) != 2 || rs[1].Kind != pos.ReceiptRevoke {
			t.Errorf("receipts: %v", rs)
		}
		var approved bool
		for _, ev := range e.events(tx.ChargeCode) {
			approved = approved || ev.Approver == "manager01"
		}
		if !approved {
			t.Error("approver not in the audit log")
		}
	})
	t.Run("NotPermitted", func(t *testing.T) {
		e := newEnv(t)
		tx := e.mustPay(1000)
		if _, err := e.co.Revoke(e.ctx, tx.ChargeCode, e.cashier, nil); !errors.Is(err, pos.ErrNotPermitted) {
			t.Fatalf("got %v, want ErrNotPermitted", err)
		}
	})
	t.Run("PartiallyRefundedNotRevocable", func(t *testing.T) {
		e := newEnv(t)
		tx := e.mustPay(1000)
		if _, err := e.co.Refund(e.ctx, pos.RefundInput{ChargeCode: tx.ChargeCode, Amount: 1, Cashier: e.manager}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.co.Revoke(e.ctx, tx.ChargeCode, e.manager, nil); !errors.Is(err, pos.ErrNotRevocable) {
			t.Fatalf("got %v, want ErrNotRevocable", err)
		}
	})
	t.Run("UnansweredFinishedByReconciler", func(t *testing.T) {
		e := newEnv(t)
		tx := e.mustPay(1000)
		e.gw.Script(postest.MCancel, postest.Step{Act: postest.Down})
		got, err := e.co.Revoke(e.ctx, tx.ChargeCode, e.manager, nil)
		if err != nil {
			t.Fatal(err)
		}
		wantState(t, got, pos.StatePaid)
		if !got.GiveUp || !got.Unsettled() {
			t.Fatalf("unanswered revoke: %+v", got)
		}
		if _, err := e.co.Refund(e.ctx, pos.RefundInput{ChargeCode: tx.ChargeCode, Amount: 1, Cashier: e.manager}); !errors.Is(err, pos.ErrNotRefundable) {
			t.Fatalf("refund of a charge being revoked: got %v", err)
		}
		if _, err := e.reconciler("r1").RunOnce(e.ctx); err != nil {
			t.Fatal(err)
		}
		wantState(t, e.get(tx.ChargeCode), pos.StateRevoked)
	})
}
