package pos_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"posterm/pos"
	"posterm/pos/postest"
)

// lastCharge is the charge code of the latest pay or precreate call.
func (e *env) lastCharge() pos.ChargeCode {
	calls := e.gw.Calls()
	for i := len(calls) - 1; i >= 0; i-- {
		if calls[i].Method == postest.MPay || calls[i].Method == postest.MPrecreate {
			return calls[i].ChargeCode
		}
	}
	e.t.Fatal("no pay call yet")
	return ""
}

func TestCheckout_PayByCode(t *testing.T) {
	tests := []struct {
		name  string
		setup func(e *env)
		// check gets the result of PayByCode(12.34, alipayCode).
		check func(t *testing.T, e *env, tx pos.Transaction, err error)
	}{
		{"Paid", nil, func(t *testing.T, e *env, tx pos.Transaction, err error) {
			if err != nil {
				t.Fatal(err)
			}
			wantState(t, tx, pos.StatePaid)
			if tx.MaskedCode != "2812**********3456" || tx.ChargeDownCode == "" || tx.Channel != pos.ChannelAlipay || tx.PaidAt.IsZero() {
				t.Errorf("paid row: got %+v", tx)
			}
			if got := e.j.ReceiptsFor(tx.ChargeCode); len(got) != 1 || got[0].Kind != pos.ReceiptSale {
				t.Errorf("receipts: got %v, want one sale", got)
			}
			if n := e.gw.Count(postest.MQuery, ""); n != 0 {
				t.Errorf("queries: got %d, want 0", n)
			}
			ev := e.events(tx.ChargeCode)
			if len(ev) != 2 || ev[0].To != "sending" || ev[1].To != "paid" || ev[1].Who != "cashier01" {
				t.Errorf("events: got %+v", ev)
			}
			if tx.Unsettled() {
				t.Error("paid row is unsettled")
			}
		}},
		{"Declined", func(e *env) {
			e.gw.Script(postest.MPay, postest.Step{Act: postest.Decline, Reply: pos.Reply{Info: "insufficient balance"}})
		}, func(t *testing.T, e *env, tx pos.Transaction, err error) {
			if err != nil {
				t.Fatal(err)
			}
			wantState(t, tx, pos.StateDeclined)
			if tx.ResultCode != "FAIL" || tx.ResultInfo != "insufficient balance" {
				t.Errorf("result: got %s %q", tx.ResultCode, tx.ResultInfo)
			}
			if len(e.j.ReceiptsFor(tx.ChargeCode)) != 0 {
				t.Error("a declined charge got a receipt")
			}
		}},
		{"UnknownThenQueriedPaid", func(e *env) {
			e.gw.Script(postest.MPay, postest.Step{Act: postest.Hold})
			e.gw.Script(postest.MQuery, postest.Step{}, postest.Step{Act: postest.Down}, postest.Step{Before: func() {
				e.gw.SetState(e.lastCharge(), pos.RemotePaid, 0) // the customer confirms in the wallet
			}})
		}, func(t *testing.T, e *env, tx pos.Transaction, err error) {
			if err != nil {
				t.Fatal(err)
			}
			wantState(t, tx, pos.StatePaid)
			if n := e.gw.Count(postest.MQuery, tx.ChargeCode); n != 3 {
				t.Errorf("queries: got %d, want 3", n)
			}
			if got := e.clock.Now().Sub(t0); got != 9*time.Second {
				t.Errorf("elapsed: got %s, want 9s (3 queries 3 s apart)", got)
			}
			if len(e.j.ReceiptsFor(tx.ChargeCode)) != 1 {
				t.Error("no receipt")
			}
			if e.gw.Count(postest.MCancel, "") != 0 {
				t.Error("a paid charge was cancelled")
			}
		}},
		{"UnknownPastBoundClosed", func(e *env) {
			e.gw.Script(postest.MPay, postest.Step{Act: postest.Hold}) // stays pending at the gateway
		}, func(t *testing.T, e *env, tx pos.Transaction, err error) {
			if err != nil {
				t.Fatal(err)
			}
			wantState(t, tx, pos.StateClosed)
			if !tx.GiveUp || e.clock.Now().Sub(t0) < 80*time.Second {
				t.Errorf("gave up at %s (GiveUp %v); want ≥ 80s", e.clock.Now().Sub(t0), tx.GiveUp)
			}
			if n := e.gw.Count(postest.MCancel, tx.ChargeCode); n != 1 {
				t.Errorf("cancels: got %d, want 1", n)
			}
			if tr := e.remote(tx.ChargeCode); tr.State != pos.RemoteClosed {
				t.Errorf("gateway state: got %d, want closed", tr.State)
			}
		}},
		{"UnknownPastBoundRevoked", func(e *env) {
			e.gw.Script(postest.MPay, postest.Step{Act: postest.Lost}) // paid, answer lost
			e.gw.Script(postest.MQuery, steps(27, postest.Step{Act: postest.Down})...)
		}, func(t *testing.T, e *env, tx pos.Transaction, err error) {
			if err != nil {
				t.Fatal(err)
			}
			wantState(t, tx, pos.StateRevoked)
			if tr := e.remote(tx.ChargeCode); tr.State != pos.RemoteRevoked {
				t.Errorf("gateway state: got %d, want revoked", tr.State)
			}
			if len(e.j.ReceiptsFor(tx.ChargeCode)) != 0 {
				t.Error("a revoked (given-up) charge got a sale receipt")
			}
		}},
		{"NeverSeenVoided", func(e *env) {
			e.gw.Script(postest.MPay, postest.Step{Act: postest.Down}) // 503: nothing recorded
		}, func(t *testing.T, e *env, tx pos.Transaction, err error) {
			if err != nil {
				t.Fatal(err)
			}
			wantState(t, tx, pos.StateVoided)
			if !e.gw.Tombstoned(tx.ChargeCode) {
				t.Error("cancel left no tombstone")
			}
		}},
		{"PayPastClientDeadlineQueriesOnceThenCancels", func(e *env) {
			e.gw.Script(postest.MPay, postest.Step{Act: postest.Hold, Advance: 95 * time.Second})
		}, func(t *testing.T, e *env, tx pos.Transaction, err error) {
			if err != nil {
				t.Fatal(err)
			}
			wantState(t, tx, pos.StateClosed)
			if n := e.gw.Count(postest.MQuery, tx.ChargeCode); n != 2 { // one before cancel, one after
				t.Errorf("queries: got %d, want 2", n)
			}
		}},
		{"CancelUnansweredStaysUnsettled", func(e *env) {
			e.gw.Script(postest.MPay, postest.Step{Act: postest.Hold})
			e.gw.Script(postest.MCancel, postest.Step{Act: postest.Down})
		}, func(t *testing.T, e *env, tx pos.Transaction, err error) {
			if err != nil {
				t.Fatal(err)
			}
			wantState(t, tx, pos.StateUnknown)
			if !tx.GiveUp || !tx.Unsettled() || tx.LastError == "" || tx.NextAttemptAt.After(e.clock.Now()) {
				t.Errorf("left row: GiveUp %v Unsettled %v LastError %q Next %s", tx.GiveUp, tx.Unsettled(), tx.LastError, tx.NextAttemptAt)
			}
			un, _ := e.j.List(e.ctx, pos.Filter{Unsettled: true})
			if len(un) != 1 {
				t.Errorf("unsettled: got %d, want 1", len(un))
			}
		}},
		{"SerialRepeatIsNotADecline", func(e *env) {
			e.gw.Script(postest.MPay, postest.Step{Act: postest.Answer, Reply: pos.Reply{Outcome: pos.OutcomeRefused, Code: pos.CodeSerialRepeat}})
			// The first attempt (answer lost) paid: the query names our
			// amount and our wallet code, so it is ours.
			e.gw.Script(postest.MQuery, postest.Step{Before: func() { e.gw.SetState(e.lastCharge(), pos.RemotePaid, 1234) },
				Edit: func(r pos.Reply) pos.Reply { r.MaskedCode = pos.MaskCode(alipayCode); return r }})
		}, func(t *testing.T, e *env, tx pos.Transaction, err error) {
			if err != nil {
				t.Fatal(err)
			}
			wantState(t, tx, pos.StatePaid)
		}},
		{"SerialRepeatOfAnotherTillIsNotOurs", func(e *env) {
			// Another till's charge holds the serial: same amount, another
			// wallet code. Never taken as paid, never cancelled.
			e.gw.Script(postest.MPay, postest.Step{Act: postest.Answer, Reply: pos.Reply{Outcome: pos.OutcomeRefused, Code: pos.CodeSerialRepeat}})
			e.gw.Script(postest.MQuery, postest.Step{Before: func() { e.gw.SetState(e.lastCharge(), pos.RemotePaid, 1234) },
				Edit: func(r pos.Reply) pos.Reply { r.MaskedCode = pos.MaskCode("289999999999999999"); return r }})
		}, func(t *testing.T, e *env, tx pos.Transaction, err error) {
			if err != nil {
				t.Fatal(err)
			}
			wantState(t, tx, pos.StateUnknown)
			if !strings.Contains(tx.LastError, "DYNAMIC_ID") || !strings.Contains(tx.LastError, "SERIAL_REPEAT") {
				t.Errorf("last error %q: want SERIAL_REPEAT and the field that disagreed", tx.LastError)
			}
			if n := e.gw.Count(postest.MCancel, tx.ChargeCode); n != 0 {
				t.Errorf("%d cancels of a serial that names another till's charge; want 0", n)
			}
			if !strings.Contains(e.logs.String(), "field=DYNAMIC_ID") {
				t.Errorf("the log does not name the field that disagreed")
			}
		}},
		{"PaidWithOtherAmountIsNotPaid", func(e *env) {
			e.gw.Script(postest.MPay, postest.Step{Act: postest.Hold})
			paid := pos.Reply{Outcome: pos.OutcomeDone, Code: pos.CodeSuccess, HasState: true, State: pos.RemotePaid, Amount: 9999}
			e.gw.Script(postest.MQuery, steps(40, postest.Step{Act: postest.Answer, Reply: paid})...)
			e.gw.Script(postest.MCancel, postest.Step{Act: postest.Down})
		}, func(t *testing.T, e *env, tx pos.Transaction, err error) {
			if tx.State == pos.StatePaid || !tx.Unsettled() {
				t.Fatalf("got %s (unsettled %v), want an unsettled row: the gateway's amount differs", tx.State, tx.Unsettled())
			}
			for _, ev := range e.events(tx.ChargeCode) {
				if ev.To == string(pos.StatePaid) {
					t.Errorf("an event marked it paid: %+v", ev)
				}
			}
		}},
		{"ErrorFromAdapterIsUnknown", func(e *env) {
			e.gw.Script(postest.MPay, postest.Step{Act: postest.Lost})
			e.gw.Script(postest.MQuery, postest.Step{})
		}, func(t *testing.T, e *env, tx pos.Transaction, err error) {
			wantState(t, tx, pos.StatePaid)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.setup != nil {
				tc.setup(e)
			}
			tx, err := e.pay(1234, alipayCode)
			tc.check(t, e, tx, err)
			if tx.ChargeCode != "" {
				stored := e.get(tx.ChargeCode)
				if stored.State != tx.State {
					t.Errorf("returned %s, journal has %s", tx.State, stored.State)
				}
				for _, ev := range e.events(tx.ChargeCode) {
					if strings.Contains(ev.Note+ev.Info, alipayCode) {
						t.Errorf("event holds the whole code: %+v", ev)
					}
				}
			}
		})
	}
}

func TestCheckout_PayByCode_Validation(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name    string
		cashier pos.Cashier
		amount  pos.Money
		code    string
		want    error
	}{
		{"zero", e.cashier, 0, alipayCode, pos.ErrBadAmount},
		{"negative", e.cashier, -1, alipayCode, pos.ErrBadAmount},
		{"over limit", e.cashier, 500001, alipayCode, pos.ErrOverLimit},
		{"at limit", e.cashier, 500000, alipayCode, nil},
		{"short code", e.cashier, 100, "281234567890123", pos.ErrBadWalletCode},
		{"long code", e.cashier, 100, "2812345678901234567890123", pos.ErrBadWalletCode},
		{"letters", e.cashier, 100, "28123456789012345X", pos.ErrBadWalletCode},
		{"EAN-13", e.cashier, 100, "6901234567892", pos.ErrBadWalletCode},
		{"no cashier", pos.Cashier{}, 100, alipayCode, pos.ErrNoCashier},
		{"16 digits", e.cashier, 100, "2812345678901234", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.gw.Calls())
			txs, _ := e.j.List(e.ctx, pos.Filter{})
			tx, err := e.co.PayByCode(e.ctx, pos.PayInput{Cashier: tc.cashier, Amount: tc.amount, Code: tc.code})
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if tc.want != nil {
				after, _ := e.j.List(e.ctx, pos.Filter{})
				if len(e.gw.Calls()) != before || len(after) != len(txs) {
					t.Error("a refused input was sent or journaled")
				}
				if strings.Contains(err.Error(), tc.code) && len(tc.code) > 8 {
					t.Errorf("error shows the whole code: %v", err)
				}
			} else {
				wantState(t, tx, pos.StatePaid)
			}
		})
	}
}

func TestCheckout_PayByCode_GoodsWhenRequired(t *testing.T) {
	e := newEnv(t)
	c := e.cashier
	c.UploadGoods = true
	if _, err := e.co.PayByCode(e.ctx, pos.PayInput{Cashier: c, Amount: 100, Code: alipayCode, Subject: "coffee"}); err != nil {
		t.Fatal(err)
	}
	if calls := e.gw.Calls(); calls[len(calls)-1].Goods != 1 {
		t.Errorf("goods lines: got %d, want 1", calls[len(calls)-1].Goods)
	}
	if _, err := e.pay(100, wechatCode); err != nil {
		t.Fatal(err)
	}
	if calls := e.gw.Calls(); calls[len(calls)-1].Goods != 0 {
		t.Errorf("goods lines without isUploadGoods: got %d, want 0", calls[len(calls)-1].Goods)
	}
}

func TestCheckout_PayByCode_Abort(t *testing.T) {
	t.Run("WhileQuerying", func(t *testing.T) {
		e := newEnv(t)
		var progress []pos.Progress
		e.gw.Script(postest.MPay, postest.Step{Act: postest.Hold})
		e.gw.Script(postest.MQuery, postest.Step{}, postest.Step{Before: func() {
			if err := e.co.Abort(e.lastCharge()); err != nil {
				t.Errorf("Abort: %v", err)
			}
		}})
		tx, err := e.co.PayByCode(e.ctx, pos.PayInput{Cashier: e.cashier, Amount: 100, Code: alipayCode,
			Progress: func(p pos.Progress) { progress = append(progress, p) }})
		if err != nil {
			t.Fatal(err)
		}
		wantState(t, tx, pos.StateClosed)
		if !tx.GiveUp || !strings.Contains(tx.GiveUpReason, "aborted") {
			t.Errorf("GiveUp %v reason %q", tx.GiveUp, tx.GiveUpReason)
		}
		if e.clock.Now().Sub(t0) >= 80*time.Second {
			t.Errorf("abort waited for the bound: %s", e.clock.Now().Sub(t0))
		}
		phases := map[pos.Phase]bool{}
		for _, p := range progress {
			phases[p.Phase] = true
			if p.ChargeCode != tx.ChargeCode {
				t.Errorf("progress for %s, want %s", p.ChargeCode, tx.ChargeCode)
			}
		}
		if !phases[pos.PhaseSending] || !phases[pos.PhaseQuerying] || !phases[pos.PhaseCancelling] {
			t.Errorf("phases: got %v", phases)
		}
		if q := progress[1]; q.Phase != pos.PhaseQuerying || q.NextQuery != 3*time.Second || q.GiveUpIn != 80*time.Second {
			t.Errorf("first query progress: got %+v", q)
		}
		if err := e.co.Abort(tx.ChargeCode); !errors.Is(err, pos.ErrNotInFlight) {
			t.Errorf("Abort after the end: got %v, want ErrNotInFlight", err)
		}
	})
	t.Run("WhilePayInFlightLeavesTombstone", func(t *testing.T) {
		e := newEnv(t)
		release, late := make(chan struct{}), make(chan pos.Reply, 1)
		e.gw.Script(postest.MPay, postest.Step{Act: postest.Hold, Before: func() {
			_ = e.co.Abort(e.lastCharge())
			<-release // the pay request is still on its way
		}, After: func(r pos.Reply) { late <- r }})
		tx, err := e.pay(100, alipayCode)
		if err != nil {
			t.Fatal(err)
		}
		wantState(t, tx, pos.StateVoided)
		close(release)
		// The late pay then arrives and is refused: the customer is not charged.
		<-late
		if !e.gw.Tombstoned(tx.ChargeCode) {
			t.Error("no tombstone")
		}
		if tr, ok := e.gw.Trade(tx.ChargeCode); ok {
			t.Errorf("late pay was recorded: %+v", tr)
		}
	})
	t.Run("ContextCancelledLeavesForReconciler", func(t *testing.T) {
		e := newEnv(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		e.gw.Script(postest.MPay, postest.Step{Act: postest.Hold})
		e.gw.Script(postest.MQuery, postest.Step{Before: cancel})
		tx, err := e.co.PayByCode(ctx, pos.PayInput{Cashier: e.cashier, Amount: 100, Code: alipayCode})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
		tx = e.get(tx.ChargeCode)
		wantState(t, tx, pos.StateUnknown)
		if tx.GiveUp {
			t.Error("an interrupted charge was given up: the reconciler would revoke a good payment")
		}
		// The reconciler finds it paid and keeps it, with a receipt.
		e.gw.SetState(tx.ChargeCode, pos.RemotePaid, 0)
		e.clock.Advance(time.Minute)
		s, err := e.reconciler("r1").RunOnce(e.ctx)
		if err != nil || s.Results[pos.ResultPaid] != 1 {
			t.Fatalf("reconcile: %+v, %v", s, err)
		}
		wantState(t, e.get(tx.ChargeCode), pos.StatePaid)
		if len(e.j.ReceiptsFor(tx.ChargeCode)) != 1 {
			t.Error("no receipt after reconcile")
		}
	})
}

func TestCheckout_PayByCode_GivenUpFoundPaidLaterRevoked(t *testing.T) {
	e := newEnv(t)
	e.gw.Script(postest.MPay, postest.Step{Act: postest.Hold})
	e.gw.Script(postest.MQuery, steps(27, postest.Step{Act: postest.Down})...)
	e.gw.Script(postest.MCancel, postest.Step{Act: postest.Down})
	tx, err := e.pay(1234, alipayCode)
	if err != nil {
		t.Fatal(err)
	}
	wantState(t, tx, pos.StateUnknown)
	// The customer confirmed in the wallet after the register gave up.
	e.gw.SetState(tx.ChargeCode, pos.RemotePaid, 0)
	s, err := e.reconciler("r1").RunOnce(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := e.get(tx.ChargeCode)
	wantState(t, got, pos.StateRevoked)
	if s.Results[pos.ResultRevoked] != 1 {
		t.Errorf("summary: got %+v", s.Results)
	}
	if tr := e.remote(tx.ChargeCode); tr.State != pos.RemoteRevoked {
		t.Errorf("gateway state: got %d, want 2", tr.State)
	}
	if len(e.j.ReceiptsFor(tx.ChargeCode)) != 0 {
		t.Error("a given-up charge got a sale receipt")
	}
	var path []string
	for _, ev := range e.events(tx.ChargeCode) {
		if ev.From != ev.To {
			path = append(path, ev.To)
		}
	}
	if strings.Join(path, ",") != "sending,unknown,paid,revoked" {
		t.Errorf("path: got %v", path)
	}
}

func TestCheckout_Sale(t *testing.T) {
	t.Run("SecondChargeGatedUntilAcknowledged", func(t *testing.T) {
		e := newEnv(t)
		e.gw.Script(postest.MPay, postest.Step{Act: postest.Hold})
		e.gw.Script(postest.MQuery, steps(27, postest.Step{Act: postest.Down})...)
		e.gw.Script(postest.MCancel, postest.Step{Act: postest.Down}, postest.Step{Act: postest.Down})
		first, err := e.co.PayByCode(e.ctx, pos.PayInput{Cashier: e.cashier, SaleID: "SALE1", Amount: 1000, Code: alipayCode})
		if err != nil {
			t.Fatal(err)
		}
		wantState(t, first, pos.StateUnknown)
		// The customer refreshes the code: the register must not charge again yet.
		_, err = e.co.PayByCode(e.ctx, pos.PayInput{Cashier: e.cashier, SaleID: "SALE1", Amount: 1000, Code: wechatCode})
		var open *pos.SaleOpenError
		if !errors.As(err, &open) || !errors.Is(err, pos.ErrSaleOpen) || len(open.Open) != 1 || open.Open[0] != first.ChargeCode {
			t.Fatalf("second charge: got %v, want SaleOpenError listing %s", err, first.ChargeCode)
		}
		if _, err := e.co.Precreate(e.ctx, pos.PrecreateInput{Cashier: e.cashier, SaleID: "SALE1", Amount: 1000, Channel: pos.ChannelAlipay}); !errors.Is(err, pos.ErrSaleOpen) {
			t.Fatalf("QR for the same sale: got %v, want ErrSaleOpen", err)
		}
		acked, err := e.co.AcknowledgeRevoke(e.ctx, first.ChargeCode, e.cashier)
		if err != nil {
			t.Fatal(err)
		}
		if acked.AckedBy != "cashier01" || !acked.GiveUp || !acked.Unsettled() {
			t.Fatalf("acknowledged row: %+v", acked)
		}
		second, err := e.co.PayByCode(e.ctx, pos.PayInput{Cashier: e.cashier, SaleID: "SALE1", Amount: 1000, Code: wechatCode})
		if err != nil {
			t.Fatal(err)
		}
		wantState(t, second, pos.StatePaid)
		// Meanwhile the first went through: the reconciler revokes it.
		e.gw.SetState(first.ChargeCode, pos.RemotePaid, 0)
		if _, err := e.reconciler("r1").RunOnce(e.ctx); err != nil {
			t.Fatal(err)
		}
		wantState(t, e.get(first.ChargeCode), pos.StateRevoked)
		paid := 0
		for _, c := range []pos.ChargeCode{first.ChargeCode, second.ChargeCode} {
			if e.remote(c).State == pos.RemotePaid {
				paid++
			}
		}
		if paid != 1 {
			t.Errorf("sale charged %d times at the gateway, want 1", paid)
		}
		st, _ := e.co.Sale(e.ctx, "SALE1")
		if st.Paid == nil || st.Paid.ChargeCode != second.ChargeCode || len(st.Open) != 0 {
			t.Errorf("sale status: %+v", st)
		}
	})
	t.Run("AfterConfirmedNotPaidNoAckNeeded", func(t *testing.T) {
		e := newEnv(t)
		e.gw.Script(postest.MPay, postest.Step{Act: postest.Decline})
		first, _ := e.co.PayByCode(e.ctx, pos.PayInput{Cashier: e.cashier, SaleID: "S", Amount: 100, Code: alipayCode})
		wantState(t, first, pos.StateDeclined)
		e.gw.Script(postest.MPay, postest.Step{Act: postest.Hold}) // then closed past the bound
		second, _ := e.co.PayByCode(e.ctx, pos.PayInput{Cashier: e.cashier, SaleID: "S", Amount: 100, Code: alipayCode})
		wantState(t, second, pos.StateClosed)
		third, err := e.co.PayByCode(e.ctx, pos.PayInput{Cashier: e.cashier, SaleID: "S", Amount: 100, Code: alipayCode})
		if err != nil {
			t.Fatal(err)
		}
		wantState(t, third, pos.StatePaid)
	})
	t.Run("PaidSaleRefusesAnother", func(t *testing.T) {
		e := newEnv(t)
		if _, err := e.co.PayByCode(e.ctx, pos.PayInput{Cashier: e.cashier, SaleID: "S", Amount: 100, Code: alipayCode}); err != nil {
			t.Fatal(err)
		}
		_, err := e.co.PayByCode(e.ctx, pos.PayInput{Cashier: e.cashier, SaleID: "S", Amount: 100, Code: alipayCode})
		if !errors.Is(err, pos.ErrSalePaid) {
			t.Fatalf("got %v, want ErrSalePaid", err)
		}
		if _, err := e.co.AcknowledgeRevoke(e.ctx, e.lastCharge(), e.cashier); !errors.Is(err, pos.ErrNotCancellable) {
			t.Fatalf("acknowledge a paid charge: got %v, want ErrNotCancellable", err)
		}
	})
	t.Run("InFlightSaleRefusesAnother", func(t *testing.T) {
		e := newEnv(t)
		var inner error
		e.gw.Script(postest.MPay, postest.Step{Before: func() {
			_, inner = e.co.PayByCode(e.ctx, pos.PayInput{Cashier: e.cashier, SaleID: "S", Amount: 100, Code: alipayCode})
		}})
		if _, err := e.co.PayByCode(e.ctx, pos.PayInput{Cashier: e.cashier, SaleID: "S", Amount: 100, Code: alipayCode}); err != nil {
			t.Fatal(err)
		}
		if !errors.Is(inner, pos.ErrInFlight) {
			t.Fatalf("charge while another of the sale runs: got %v, want ErrInFlight", inner)
		}
	})
}

func TestCheckout_Cancel(t *testing.T) {
	e := newEnv(t)
	e.gw.Script(postest.MPay, postest.Step{Act: postest.Hold})
	e.gw.Script(postest.MQuery, steps(27, postest.Step{Act: postest.Down})...)
	e.gw.Script(postest.MCancel, postest.Step{Act: postest.Down})
	tx, _ := e.pay(100, alipayCode)
	wantState(t, tx, pos.StateUnknown)
	got, err := e.co.Cancel(e.ctx, tx.ChargeCode, e.cashier)
	if err != nil {
		t.Fatal(err)
	}
	wantState(t, got, pos.StateClosed)
	if _, err := e.co.Cancel(e.ctx, tx.ChargeCode, e.cashier); !errors.Is(err, pos.ErrNotCancellable) {
		t.Fatalf("cancel a closed charge: got %v, want ErrNotCancellable", err)
	}
	if _, err := e.co.Cancel(e.ctx, "NOPE", e.cashier); !errors.Is(err, pos.ErrNotFound) {
		t.Fatalf("cancel unknown: got %v, want ErrNotFound", err)
	}
}

// TestCheckout_PayByCode_FaultProgress: a gateway fault is in the first
// progress after the answer (the screen says so at once, not after the
// bound); a query answered normally clears it; a lost answer is no fault.
func TestCheckout_PayByCode_FaultProgress(t *testing.T) {
	for _, c := range []struct {
		name string
		act  postest.Action
		want bool
	}{{"Down", postest.Down, true}, {"Lost", postest.Lost, false}} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			var progress []pos.Progress
			e.gw.Script(postest.MPay, postest.Step{Act: c.act})
			_, _ = e.co.PayByCode(e.ctx, pos.PayInput{Cashier: e.cashier, Amount: 100, Code: alipayCode,
				Progress: func(p pos.Progress) { progress = append(progress, p) }})
			if len(progress) < 2 || progress[1].Phase != pos.PhaseQuerying || progress[1].Fault != c.want {
				t.Fatalf("first querying progress %+v, want Fault %v", progress, c.want)
			}
			if last := progress[len(progress)-1]; last.Phase == pos.PhaseQuerying && last.Fault && last.Queries > 0 {
				t.Errorf("a query answered normally left the fault on: %+v", last)
			}
		})
	}
}
