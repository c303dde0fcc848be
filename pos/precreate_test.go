package pos_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"posterm/pos"
	"posterm/pos/postest"
)

func (e *env) precreate(amount pos.Money) pos.Transaction {
	e.t.Helper()
	tx, err := e.co.Precreate(e.ctx, pos.PrecreateInput{Cashier: e.cashier, Amount: amount, Channel: pos.ChannelWeChat, Subject: "lunch"})
	if err != nil {
		e.t.Fatalf("Precreate: %v", err)
	}
	return tx
}

func TestCheckout_Precreate(t *testing.T) {
	t.Run("Shown", func(t *testing.T) {
		e := newEnv(t)
		tx := e.precreate(880)
		wantState(t, tx, pos.StatePending)
		if tx.BarCode == "" || tx.Kind != pos.KindPrecreate || tx.Channel != pos.ChannelWeChat ||
			!tx.ExpiresAt.Equal(t0.Add(120*time.Second)) {
			t.Fatalf("pending row: %+v", tx)
		}
		if !tx.NextAttemptAt.After(tx.ExpiresAt) {
			t.Errorf("reconciler may take the row before expiry: next %s, expires %s", tx.NextAttemptAt, tx.ExpiresAt)
		}
	})
	t.Run("PaidByPoll", func(t *testing.T) {
		e := newEnv(t)
		tx := e.precreate(880)
		e.gw.Script(postest.MQuery, postest.Step{}, postest.Step{Act: postest.Down}, postest.Step{Before: func() { e.gw.CustomerPays(tx.ChargeCode) }})
		got, err := e.co.Await(e.ctx, tx.ChargeCode, e.cashier, nil)
		if err != nil {
			t.Fatal(err)
		}
		wantState(t, got, pos.StatePaid)
		if len(e.j.ReceiptsFor(tx.ChargeCode)) != 1 {
			t.Error("no receipt")
		}
		if e.gw.Count(postest.MCancel, "") != 0 {
			t.Error("cancelled a paid QR")
		}
	})
	t.Run("NotYetSeenIsNotFailure", func(t *testing.T) {
		e := newEnv(t)
		tx := e.precreate(880)
		no := pos.Reply{Outcome: pos.OutcomeRefused, Code: pos.CodeChargeNonexistent}
		e.gw.Script(postest.MQuery, postest.Step{Act: postest.Answer, Reply: no}, postest.Step{Act: postest.Answer, Reply: no},
			postest.Step{Before: func() { e.gw.CustomerPays(tx.ChargeCode) }})
		got, _ := e.co.Await(e.ctx, tx.ChargeCode, e.cashier, nil)
		wantState(t, got, pos.StatePaid)
	})
	t.Run("PaidByNotification", func(t *testing.T) {
		e := newEnvClock(t, postest.NewClock(t0)) // manual clock: Await blocks on its timer
		tx := e.precreate(880)
		done := make(chan pos.Transaction)
		go func() {
			got, err := e.co.Await(e.ctx, tx.ChargeCode, e.cashier, nil)
			if err != nil {
				t.Error(err)
			}
			done <- got
		}()
		e.clock.BlockUntil(1) // Await is waiting for its first query
		note, ok := e.gw.CustomerPays(tx.ChargeCode)
		if !ok {
			t.Fatal("customer could not pay")
		}
		if err := e.co.Notify(e.ctx, note); err != nil {
			t.Fatal(err)
		}
		got := <-done
		wantState(t, got, pos.StatePaid)
		if e.gw.Count(postest.MQuery, "") != 0 {
			t.Errorf("queries: got %d, want 0 (the notification settled it)", e.gw.Count(postest.MQuery, ""))
		}
		if !e.clock.Now().Equal(t0) {
			t.Errorf("clock moved: %s", e.clock.Now())
		}
	})
	t.Run("DuplicateNotificationsActOnce", func(t *testing.T) {
		e := newEnv(t)
		tx := e.precreate(880)
		note, _ := e.gw.CustomerPays(tx.ChargeCode)
		var wg sync.WaitGroup
		for range 30 { // the gateway retries up to 30 times (WIRE.md §8)
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := e.co.Notify(e.ctx, note); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		wantState(t, e.get(tx.ChargeCode), pos.StatePaid)
		if n := len(e.j.ReceiptsFor(tx.ChargeCode)); n != 1 {
			t.Errorf("receipts: got %d, want 1", n)
		}
		got, err := e.co.Await(e.ctx, tx.ChargeCode, e.cashier, nil)
		if err != nil || got.State != pos.StatePaid {
			t.Errorf("Await after notify: %s, %v", got.State, err)
		}
	})
	t.Run("NotificationAmountMismatchIgnored", func(t *testing.T) {
		e := newEnv(t)
		tx := e.precreate(880)
		note, _ := e.gw.CustomerPays(tx.ChargeCode)
		note.Amount = 1
		if err := e.co.Notify(e.ctx, note); err != nil {
			t.Fatal(err)
		}
		wantState(t, e.get(tx.ChargeCode), pos.StatePending)
	})
	t.Run("NotificationForUnknownCharge", func(t *testing.T) {
		e := newEnv(t)
		err := e.co.Notify(e.ctx, pos.Reply{ChargeCode: "NOPE", HasState: true, State: pos.RemotePaid})
		if !errors.Is(err, pos.ErrNotFound) {
			t.Fatalf("got %v, want ErrNotFound", err)
		}
	})
	t.Run("ExpiryCancels", func(t *testing.T) {
		e := newEnv(t)
		tx := e.precreate(880)
		got, err := e.co.Await(e.ctx, tx.ChargeCode, e.cashier, nil)
		if err != nil {
			t.Fatal(err)
		}
		wantState(t, got, pos.StateClosed)
		if e.clock.Now().Before(tx.ExpiresAt) {
			t.Errorf("cancelled at %s, before expiry %s", e.clock.Now(), tx.ExpiresAt)
		}
		if e.gw.Count(postest.MCancel, tx.ChargeCode) != 1 {
			t.Error("no cancel at expiry")
		}
	})
	t.Run("PaidAtTheLastQueryIsKept", func(t *testing.T) {
		e := newEnv(t)
		tx := e.precreate(880)
		e.gw.Script(postest.MQuery, steps(39, postest.Step{})...)
		e.gw.Script(postest.MQuery, postest.Step{Before: func() { e.gw.CustomerPays(tx.ChargeCode) }})
		got, _ := e.co.Await(e.ctx, tx.ChargeCode, e.cashier, nil)
		wantState(t, got, pos.StatePaid)
		if e.gw.Count(postest.MCancel, "") != 0 {
			t.Error("cancelled a QR paid in time")
		}
	})
	t.Run("AbortCancels", func(t *testing.T) {
		e := newEnv(t)
		tx := e.precreate(880)
		e.gw.Script(postest.MQuery, postest.Step{Before: func() { _ = e.co.Abort(tx.ChargeCode) }})
		got, _ := e.co.Await(e.ctx, tx.ChargeCode, e.cashier, nil)
		wantState(t, got, pos.StateClosed)
	})
	t.Run("PaidWhileAbortingIsRevoked", func(t *testing.T) {
		e := newEnv(t)
		tx := e.precreate(880)
		e.gw.Script(postest.MQuery, postest.Step{Before: func() { _ = e.co.Abort(tx.ChargeCode) }})
		e.gw.Script(postest.MCancel, postest.Step{Before: func() { e.gw.CustomerPays(tx.ChargeCode) }})
		got, _ := e.co.Await(e.ctx, tx.ChargeCode, e.cashier, nil)
		wantState(t, got, pos.StateRevoked)
		if e.remote(tx.ChargeCode).State != pos.RemoteRevoked {
			t.Error("gateway did not revoke")
		}
	})
	t.Run("UnansweredPrecreateVoided", func(t *testing.T) {
		e := newEnv(t)
		e.gw.Script(postest.MPrecreate, postest.Step{Act: postest.Down})
		tx, err := e.co.Precreate(e.ctx, pos.PrecreateInput{Cashier: e.cashier, Amount: 100, Channel: pos.ChannelAlipay})
		if err != nil {
			t.Fatal(err)
		}
		wantState(t, tx, pos.StateVoided)
	})
	t.Run("LostPrecreateClosed", func(t *testing.T) {
		e := newEnv(t)
		e.gw.Script(postest.MPrecreate, postest.Step{Act: postest.Lost})
		tx, _ := e.co.Precreate(e.ctx, pos.PrecreateInput{Cashier: e.cashier, Amount: 100, Channel: pos.ChannelAlipay})
		wantState(t, tx, pos.StateClosed)
	})
	t.Run("Refused", func(t *testing.T) {
		e := newEnv(t)
		e.gw.Script(postest.MPrecreate, postest.Step{Act: postest.Answer, Reply: pos.Reply{Outcome: pos.OutcomeRefused, Code: "INVALID_CONTRACT"}})
		tx, _ := e.co.Precreate(e.ctx, pos.PrecreateInput{Cashier: e.cashier, Amount: 100, Channel: pos.ChannelAlipay})
		wantState(t, tx, pos.StateDeclined)
	})
	t.Run("NeedsChannel", func(t *testing.T) {
		e := newEnv(t)
		_, err := e.co.Precreate(e.ctx, pos.PrecreateInput{Cashier: e.cashier, Amount: 100, Channel: pos.ChannelAuto})
		if !errors.Is(err, pos.ErrBadChannel) {
			t.Fatalf("got %v, want ErrBadChannel", err)
		}
	})
	t.Run("CrashedAwaitReconciledAfterExpiry", func(t *testing.T) {
		e := newEnv(t)
		tx := e.precreate(880)
		r := e.reconciler("r1")
		if s, _ := r.RunOnce(e.ctx); s.Claimed != 0 {
			t.Fatalf("reconciler took a QR still shown: %+v", s)
		}
		e.clock.Advance(3 * time.Minute)
		s, err := r.RunOnce(e.ctx)
		if err != nil || s.Results[pos.ResultClosed] != 1 {
			t.Fatalf("reconcile after expiry: %+v, %v", s, err)
		}
		wantState(t, e.get(tx.ChargeCode), pos.StateClosed)
	})
}

func TestCheckout_Precreate_GivenUpThenNotifiedPaidIsRevoked(t *testing.T) {
	e := newEnv(t)
	tx := e.precreate(880)
	e.gw.Script(postest.MCancel, postest.Step{Act: postest.Down})
	got, _ := e.co.Await(e.ctx, tx.ChargeCode, e.cashier, nil) // expires, cancel unanswered
	wantState(t, got, pos.StatePending)
	if !got.GiveUp || !got.Unsettled() {
		t.Fatalf("expired QR with cancel unanswered: %+v", got)
	}
	note, _ := e.gw.CustomerPays(tx.ChargeCode) // the customer paid the stale QR
	for range 3 {
		if err := e.co.Notify(e.ctx, note); err != nil {
			t.Fatal(err)
		}
	}
	got = e.get(tx.ChargeCode)
	wantState(t, got, pos.StatePaid)
	if !got.GiveUp || !got.Unsettled() || len(e.j.ReceiptsFor(tx.ChargeCode)) != 0 {
		t.Fatalf("given-up QR found paid: %+v", got)
	}
	if _, err := e.reconciler("r1").RunOnce(e.ctx); err != nil {
		t.Fatal(err)
	}
	wantState(t, e.get(tx.ChargeCode), pos.StateRevoked)
	if e.remote(tx.ChargeCode).State != pos.RemoteRevoked {
		t.Error("not revoked at the gateway")
	}
}
