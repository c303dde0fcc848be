package pos_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"posterm/pos"
	"posterm/pos/postest"
)

func TestCheck_Answers(t *testing.T) {
	pay := pos.PayRequest{ChargeCode: "A1", Amount: 10000}
	refund := pos.RefundRequest{ChargeCode: "A1", OutRefundNo: "R1", Amount: 3000}
	tx := pos.Transaction{ChargeCode: "A1", Kind: pos.KindPay, Amount: 10000, MaskedCode: pos.MaskCode(alipayCode), Cashier: "cashier01"}
	serial := tx
	serial.ResultCode = pos.CodeSerialRepeat
	done := func(r pos.Reply) pos.Reply { r.Outcome, r.Code = pos.OutcomeDone, pos.CodeSuccess; return r }
	tests := []struct {
		name  string
		check func() error
		field string // "" = no mismatch
	}{
		{"PayMatches", func() error { return pos.CheckPay(pay, done(pos.Reply{ChargeCode: "A1", Amount: 10000})) }, ""},
		{"PayNoAmountGiven", func() error { return pos.CheckPay(pay, done(pos.Reply{ChargeCode: "A1"})) }, ""},
		{"PayOtherAmount", func() error { return pos.CheckPay(pay, done(pos.Reply{ChargeCode: "A1", Amount: 100})) }, "AMT"},
		{"PayOtherCharge", func() error { return pos.CheckPay(pay, done(pos.Reply{ChargeCode: "B2", Amount: 10000})) }, "CHARGE_CODE"},
		{"PayRefusalHasNoAmount", func() error {
			return pos.CheckPay(pay, pos.Reply{Outcome: pos.OutcomeRefused, Code: pos.CodeFail, Amount: 1})
		}, ""},
		{"PrecreateOtherCharge", func() error {
			return pos.CheckPrecreate(pos.PrecreateRequest{ChargeCode: "A1", Amount: 5}, done(pos.Reply{ChargeCode: "X"}))
		}, "CHARGE_CODE"},
		{"RefundMatches", func() error { return pos.CheckRefund(refund, done(pos.Reply{ChargeCode: "A1", Amount: 3000})) }, ""},
		{"RefundOtherAmount", func() error { return pos.CheckRefund(refund, done(pos.Reply{ChargeCode: "A1", Amount: 10000})) }, "AMT"},
		{"QueryMatches", func() error {
			return pos.CheckQuery(tx, "POS-01", done(pos.Reply{ChargeCode: "A1", Amount: 10000, MaskedCode: tx.MaskedCode, DevID: "POS-02"}))
		}, ""},
		{"QueryOtherAmount", func() error { return pos.CheckQuery(tx, "", done(pos.Reply{Amount: 9999})) }, "AMT"},
		{"QueryOtherWalletCode", func() error {
			return pos.CheckQuery(tx, "", done(pos.Reply{MaskedCode: pos.MaskCode("289999999999999999")}))
		}, "DYNAMIC_ID"},
		{"SerialRepeatOtherTill", func() error {
			return pos.CheckQuery(serial, "POS-01", done(pos.Reply{Amount: 10000, MaskedCode: tx.MaskedCode, DevID: "POS-02"}))
		}, "DEV_ID"},
		{"SerialRepeatOtherOperator", func() error {
			return pos.CheckQuery(serial, "POS-01", done(pos.Reply{Amount: 10000, MaskedCode: tx.MaskedCode, OperID: "cashier02"}))
		}, "OPER_ID"},
		{"SerialRepeatNoWalletCode", func() error { return pos.CheckQuery(serial, "", done(pos.Reply{Amount: 10000})) }, "DYNAMIC_ID"},
		{"SerialRepeatOurs", func() error {
			return pos.CheckQuery(serial, "POS-01", done(pos.Reply{Amount: 10000, MaskedCode: tx.MaskedCode, DevID: "pos-01", OperID: "cashier01"}))
		}, ""},
		{"LoginOurs", func() error {
			return pos.CheckLogin("cashier01", postest.LoginAs("cashier01", "1"))
		}, ""},
		{"LoginReplayedManager", func() error {
			return pos.CheckLogin("cashier01", postest.LoginAs("manager01", "2"))
		}, "loginName"},
		{"LoginRefusalNotChecked", func() error {
			return pos.CheckLogin("cashier01", pos.LoginReply{Success: false})
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.check()
			var m *pos.AnswerMismatch
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("got %v, want no mismatch", err)
			case tt.field != "" && (!errors.As(err, &m) || !errors.Is(err, pos.ErrAnswerMismatch)):
				t.Fatalf("got %v, want a mismatch of %s", err, tt.field)
			case tt.field != "" && m.Field != tt.field:
				t.Fatalf("mismatch of %s, want %s", m.Field, tt.field)
			}
		})
	}
}

// Case 3: a pay answered SUCCESS with another amount is not paid on that
// answer; the query (the truth) settles it.
func TestCheckout_PayAnswerAmount(t *testing.T) {
	t.Run("QueryTellsTheTruth", func(t *testing.T) {
		e := newEnv(t)
		e.gw.Script(postest.MPay, postest.Step{Edit: func(r pos.Reply) pos.Reply { r.Amount = 100; return r }})
		tx, err := e.pay(10000, alipayCode)
		if err != nil {
			t.Fatal(err)
		}
		wantState(t, tx, pos.StatePaid)
		var distrusted bool
		for _, ev := range e.events(tx.ChargeCode) {
			if ev.To == string(pos.StateUnknown) && strings.Contains(ev.Note, "AMT") {
				distrusted = true
			}
		}
		if !distrusted {
			t.Errorf("the audit trail does not show the pay answer was distrusted: %+v", e.events(tx.ChargeCode))
		}
		if !strings.Contains(e.logs.String(), "field=AMT") {
			t.Errorf("the log does not name AMT")
		}
	})
	t.Run("EveryAnswerLies", func(t *testing.T) {
		e := newEnv(t)
		lie := postest.Step{Edit: func(r pos.Reply) pos.Reply {
			if r.Outcome == pos.OutcomeDone {
				r.Amount = 100
			}
			return r
		}}
		e.gw.Script(postest.MPay, lie)
		e.gw.Script(postest.MQuery, steps(200, lie)...)
		tx, err := e.pay(10000, alipayCode)
		if err != nil {
			t.Fatal(err)
		}
		if tx.State == pos.StatePaid {
			t.Fatalf("paid on answers that say ¥1.00 for a ¥100.00 charge")
		}
		for _, ev := range e.events(tx.ChargeCode) {
			if ev.To == string(pos.StatePaid) {
				t.Errorf("journaled paid: %+v", ev)
			}
		}
	})
}

func TestRefund_Answers(t *testing.T) {
	t.Run("OtherAmountStaysUnknown", func(t *testing.T) {
		e := newEnv(t)
		tx := e.mustPay(10000)
		e.gw.Script(postest.MRefund, postest.Step{Edit: func(r pos.Reply) pos.Reply { r.Amount = 10000; return r }})
		r, err := e.co.Refund(e.ctx, pos.RefundInput{ChargeCode: tx.ChargeCode, Amount: 3000, Cashier: e.manager})
		if err != nil {
			t.Fatal(err)
		}
		if r.State != pos.RefundUnknown || !strings.Contains(r.LastError, "AMT") {
			t.Fatalf("refund %s (%q), want unknown naming AMT", r.State, r.LastError)
		}
		if got := e.get(tx.ChargeCode); got.Refunded != 0 || got.State != pos.StatePaid {
			t.Errorf("charge %s refunded %d; want paid, 0 until settled", got.State, got.Refunded)
		}
	})
	// Case 4: the first attempt refunded, its answer was lost; the retry is
	// answered SERIAL_REPEAT. Unknown, then settled by query.
	for _, tt := range []struct {
		name  string
		first postest.Action
		want  pos.RefundState
		state pos.State
	}{
		{"FirstWentThrough", postest.Lost, pos.RefundDone, pos.StatePartiallyRefunded},
		{"FirstNeverArrived", postest.Down, pos.RefundRefused, pos.StatePaid},
	} {
		t.Run("SerialRepeat"+tt.name, func(t *testing.T) {
			e := newEnv(t)
			tx := e.mustPay(10000)
			e.gw.Script(postest.MRefund, postest.Step{Act: tt.first},
				postest.Step{Act: postest.Answer, Reply: pos.Reply{Outcome: pos.OutcomeRefused, Code: pos.CodeSerialRepeat}},
				postest.Step{Act: postest.Answer, Reply: pos.Reply{Outcome: pos.OutcomeRefused, Code: pos.CodeSerialRepeat}})
			r, err := e.co.Refund(e.ctx, pos.RefundInput{ChargeCode: tx.ChargeCode, Amount: 3000, Cashier: e.manager})
			if err != nil || r.State != pos.RefundUnknown {
				t.Fatalf("refund: %s, %v; want unknown", r.State, err)
			}
			r, err = e.co.RetryRefund(e.ctx, r.OutRefundNo, e.manager)
			if err != nil || r.State != pos.RefundUnknown || !strings.Contains(r.LastError, "SERIAL_REPEAT") {
				t.Fatalf("retry answered SERIAL_REPEAT: %s (%q), %v; want unknown", r.State, r.LastError, err)
			}
			// The money may have gone back: it is not free to refund again.
			if _, err := e.co.Refund(e.ctx, pos.RefundInput{ChargeCode: tx.ChargeCode, Amount: 7001, Cashier: e.manager}); !errors.Is(err, pos.ErrExceedsRemaining) {
				t.Errorf("refund of more than remains beside an unknown refund: %v", err)
			}
			rec := pos.ReconcilerConfig{Gateway: e.gw, Journal: e.j, Clock: e.clock, Logger: e.log, Owner: "rec", IgnoreSchedule: true, Seed: 1}
			rc, err := pos.NewReconciler(rec)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := rc.RunOnce(e.ctx); err != nil {
				t.Fatal(err)
			}
			got, err := e.j.GetRefund(e.ctx, r.OutRefundNo)
			if err != nil || got.State != tt.want {
				t.Fatalf("after reconcile: %s (%q), %v; want %s", got.State, got.LastError, err, tt.want)
			}
			wantState(t, e.get(tx.ChargeCode), tt.state)
		})
	}
}

func TestRefundFromState(t *testing.T) {
	tx := pos.Transaction{ChargeCode: "A", Amount: 10000, State: pos.StatePaid}
	r := pos.Refund{OutRefundNo: "R1", ChargeCode: "A", Amount: 3000, State: pos.RefundUnknown}
	other := pos.Refund{OutRefundNo: "R2", ChargeCode: "A", Amount: 2000, State: pos.RefundUnknown}
	partly := tx
	partly.Refunded, partly.State = 2000, pos.StatePartiallyRefunded
	tests := []struct {
		name string
		tx   pos.Transaction
		all  []pos.Refund
		st   pos.RemoteState
		want pos.RefundState
	}{
		{"RefundedAll", tx, []pos.Refund{r}, pos.RemoteRefunded, pos.RefundDone},
		{"PartlyOnlyOurs", tx, []pos.Refund{r}, pos.RemotePartiallyRefunded, pos.RefundDone},
		{"PartlyTwoOpen", tx, []pos.Refund{r, other}, pos.RemotePartiallyRefunded, ""},
		{"PartlyEarlierDone", partly, []pos.Refund{r}, pos.RemotePartiallyRefunded, ""},
		{"PaidNothingRefunded", tx, []pos.Refund{r}, pos.RemotePaid, pos.RefundRefused},
		{"PaidButOtherOpen", tx, []pos.Refund{r, other}, pos.RemotePaid, ""},
		{"Revoked", tx, []pos.Refund{r}, pos.RemoteRevoked, pos.RefundRefused},
		{"Refunding", tx, []pos.Refund{r}, pos.RemoteRefunding, ""},
		{"RefundSucceeded", tx, []pos.Refund{r}, pos.RemoteRefundSucceeded, pos.RefundDone},
		{"RefundFailed", tx, []pos.Refund{r}, pos.RemoteRefundFailed2, pos.RefundRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, why := pos.RefundFromState(tt.tx, r, tt.all, tt.st); got != tt.want || why == "" {
				t.Errorf("got %q (%s), want %q", got, why, tt.want)
			}
		})
	}
}

// Case 7: a replayed login answer (manager01's, to cashier01's login)
// grants nothing.
func TestLogin_ReplayedAnswer(t *testing.T) {
	e := newEnv(t)
	e.gw.Users["cashier01"] = postest.User{Password: "1234", Reply: postest.LoginAs("manager01", "2")}
	c, err := e.co.Login(e.ctx, "cashier01", "1234")
	if !errors.Is(err, pos.ErrAnswerMismatch) || c.Role == pos.RoleManager || c.LoginName != "" {
		t.Fatalf("got %+v, %v; want ErrAnswerMismatch and no cashier", c, err)
	}
	if !strings.Contains(e.logs.String(), "field=loginName") {
		t.Errorf("the log does not name loginName")
	}
}

// Case 8: revoke and refund exclude each other in the journal; whichever
// comes second is refused, and the charge can always proceed.
func TestRevokeVersusRefund(t *testing.T) {
	t.Run("RefundFirst", func(t *testing.T) {
		e := newEnv(t)
		tx := e.mustPay(10000)
		e.gw.Script(postest.MRefund, postest.Step{Act: postest.Down})
		if _, err := e.co.Refund(e.ctx, pos.RefundInput{ChargeCode: tx.ChargeCode, Amount: 3000, Cashier: e.manager}); err != nil {
			t.Fatal(err)
		}
		got, err := e.co.Revoke(e.ctx, tx.ChargeCode, e.manager, nil)
		if !errors.Is(err, pos.ErrNotRevocable) || got.GiveUp {
			t.Fatalf("revoke after a refund: %v (give up %v); want ErrNotRevocable, not given up", err, got.GiveUp)
		}
	})
	t.Run("RevokeFirst", func(t *testing.T) {
		e := newEnv(t)
		tx := e.mustPay(10000)
		e.gw.Script(postest.MCancel, postest.Step{Act: postest.Down})
		if _, err := e.co.Revoke(e.ctx, tx.ChargeCode, e.manager, nil); err != nil {
			t.Fatal(err)
		}
		_, err := e.co.Refund(e.ctx, pos.RefundInput{ChargeCode: tx.ChargeCode, Amount: 3000, Cashier: e.manager})
		if !errors.Is(err, pos.ErrNotRefundable) {
			t.Fatalf("refund of a charge being revoked: %v; want ErrNotRefundable", err)
		}
	})
	t.Run("JournalExcludes", func(t *testing.T) {
		// The race itself, at the journal: a give-up after a refund row
		// exists is refused there, whatever pos read before.
		e := newEnv(t)
		tx := e.mustPay(10000)
		e.gw.Script(postest.MRefund, postest.Step{Act: postest.Down})
		if _, err := e.co.Refund(e.ctx, pos.RefundInput{ChargeCode: tx.ChargeCode, Amount: 3000, Cashier: e.manager}); err != nil {
			t.Fatal(err)
		}
		_, err := e.j.Transition(e.ctx, pos.Change{ChargeCode: tx.ChargeCode, From: pos.StatePaid, To: pos.StatePaid,
			Patch: pos.Patch{GiveUp: true, GiveUpReason: "revoke"}, At: e.clock.Now()})
		if !errors.Is(err, pos.ErrIllegalTransition) {
			t.Fatalf("give up beside a refund: %v; want ErrIllegalTransition", err)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		e := newEnv(t)
		for i := 0; i < 20; i++ {
			tx := e.mustPay(10000)
			var wg sync.WaitGroup
			var refErr, revErr error
			wg.Add(2)
			go func() {
				defer wg.Done()
				_, refErr = e.co.Refund(e.ctx, pos.RefundInput{ChargeCode: tx.ChargeCode, Amount: 3000, Cashier: e.manager})
			}()
			go func() {
				defer wg.Done()
				_, revErr = e.co.Revoke(e.ctx, tx.ChargeCode, e.manager, nil)
			}()
			wg.Wait()
			got := e.get(tx.ChargeCode)
			if refErr == nil && revErr == nil {
				t.Fatalf("both won: charge %s refunded %d, given up %v", got.State, got.Refunded, got.GiveUp)
			}
			if got.GiveUp && got.Refunded > 0 {
				t.Fatalf("stuck: %s with %d refunded and give-up set", got.State, got.Refunded)
			}
			if got.State != pos.StateRevoked && got.State != pos.StatePartiallyRefunded {
				t.Fatalf("charge %s (refund %v, revoke %v); want revoked or partially refunded", got.State, refErr, revErr)
			}
		}
	})
}

// A cashier acknowledging a SERIAL_REPEAT charge that is not ours (to start
// the sale again) never cancels the serial: it holds another till's sale.
func TestCheckout_AcknowledgeNeverCancelsAnotherTillsCharge(t *testing.T) {
	e := newEnv(t)
	e.gw.Script(postest.MPay, postest.Step{Act: postest.Answer, Reply: pos.Reply{Outcome: pos.OutcomeRefused, Code: pos.CodeSerialRepeat}})
	other := postest.Step{Before: func() { e.gw.SetState(e.lastCharge(), pos.RemotePaid, 1234) },
		Edit: func(r pos.Reply) pos.Reply { r.MaskedCode = pos.MaskCode("289999999999999999"); return r }}
	e.gw.Script(postest.MQuery, other, other, other)
	tx, err := e.pay(1234, alipayCode)
	if err != nil {
		t.Fatal(err)
	}
	wantState(t, tx, pos.StateUnknown)
	tx, err = e.co.AcknowledgeRevoke(e.ctx, tx.ChargeCode, e.cashier)
	if err != nil {
		t.Fatal(err)
	}
	wantState(t, tx, pos.StateUnknown)
	if n := e.gw.Count(postest.MCancel, tx.ChargeCode); n != 0 {
		t.Errorf("%d cancels of another till's serial; want 0", n)
	}
	if tr := e.remote(tx.ChargeCode); tr.State != pos.RemotePaid {
		t.Errorf("the other till's charge is STATE %d, want 1", tr.State)
	}
}
