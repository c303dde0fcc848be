package pos_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"posterm/pos"
	"posterm/pos/postest"
)

// leftover journals a row as a crashed register leaves it: sending.
func (e *env) leftover(code string, kind pos.Kind, at time.Time) pos.ChargeCode {
	e.t.Helper()
	tx := pos.Transaction{ChargeCode: pos.ChargeCode(code), Kind: kind, State: pos.StateSending, SaleID: code,
		Amount: 500, Cashier: "cashier01", CreatedAt: at, UpdatedAt: at, Queue: pos.Queue{NextAttemptAt: at}}
	if err := e.j.CreateTransaction(e.ctx, tx, pos.Event{Op: "pay"}); err != nil {
		e.t.Fatal(err)
	}
	return tx.ChargeCode
}

func TestReconciler_Settles(t *testing.T) {
	tests := []struct {
		name   string
		age    time.Duration // how long before the pass the row was sent
		remote func(e *env, code pos.ChargeCode)
		script []postest.Step // query steps
		want   pos.State
		result pos.ReconcileResult
	}{
		{"CrashedPaid", 10 * time.Minute, func(e *env, c pos.ChargeCode) { e.gw.SetState(c, pos.RemotePaid, 500) }, nil,
			pos.StatePaid, pos.ResultPaid},
		{"CrashedNeverSentVoided", 10 * time.Minute, nil, nil, pos.StateVoided, pos.ResultVoided},
		{"CrashedPendingPastBoundClosed", 10 * time.Minute, func(e *env, c pos.ChargeCode) { e.gw.SetState(c, pos.RemotePending, 500) }, nil,
			pos.StateClosed, pos.ResultClosed},
		{"CrashedClosedAtGateway", 10 * time.Minute, func(e *env, c pos.ChargeCode) { e.gw.SetState(c, pos.RemoteClosed, 500) }, nil,
			pos.StateClosed, pos.ResultClosed},
		{"CrashedRevokedAtGateway", 10 * time.Minute, func(e *env, c pos.ChargeCode) { e.gw.SetState(c, pos.RemoteRevoked, 500) }, nil,
			pos.StateRevoked, pos.ResultRevoked},
		{"NotSeenBeforeBoundWaits", 10 * time.Second, nil, nil, pos.StateSending, pos.ResultRetry},
		{"PendingBeforeBoundWaits", 10 * time.Second, func(e *env, c pos.ChargeCode) { e.gw.SetState(c, pos.RemotePending, 500) }, nil,
			pos.StateSending, pos.ResultRetry},
		{"QueryUnansweredRetries", 10 * time.Minute, func(e *env, c pos.ChargeCode) { e.gw.SetState(c, pos.RemotePaid, 500) },
			[]postest.Step{{Act: postest.Down}}, pos.StateSending, pos.ResultRetry},
		{"RevocationAppliedWaits", 10 * time.Minute, func(e *env, c pos.ChargeCode) { e.gw.SetState(c, pos.RemoteRevocationApplied, 500) }, nil,
			pos.StateSending, pos.ResultRetry},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			now := e.clock.Now()
			code := e.leftover("LEFT1", pos.KindPay, now.Add(-tc.age))
			if tc.remote != nil {
				tc.remote(e, code)
			}
			e.gw.Script(postest.MQuery, tc.script...)
			var events []pos.ReconcileProgress
			r, _ := pos.NewReconciler(pos.ReconcilerConfig{Gateway: e.gw, Journal: e.j, Clock: e.clock, Logger: e.log,
				Owner: "r1", Seed: 1, Progress: func(p pos.ReconcileProgress) { events = append(events, p) }})
			s, err := r.RunOnce(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			got := e.get(code)
			wantState(t, got, tc.want)
			if s.Claimed != 1 || s.Results[tc.result] != 1 {
				t.Errorf("summary: %+v, want one %s", s, tc.result)
			}
			if len(events) != 1 || events[0].Result != tc.result || events[0].Done != 1 {
				t.Errorf("progress: %+v", events)
			}
			if tc.want == pos.StatePaid && len(e.j.ReceiptsFor(code)) != 1 {
				t.Error("paid without a receipt")
			}
			if tc.want == pos.StateVoided && !e.gw.Tombstoned(code) {
				t.Error("voided without a tombstone")
			}
			if tc.result == pos.ResultRetry {
				if got.Attempts != 1 || !got.NextAttemptAt.After(e.clock.Now()) || got.LastError == "" || got.LeaseOwner != "" {
					t.Errorf("retry bookkeeping: %+v", got.Queue)
				}
			}
		})
	}
}

func TestReconciler_Backoff(t *testing.T) {
	e := newEnv(t)
	code := e.leftover("LEFT1", pos.KindPay, t0.Add(-time.Hour))
	e.gw.Script(postest.MQuery, steps(6, postest.Step{Act: postest.Down})...)
	r := e.reconciler("r1")
	base := 5 * time.Second
	for attempt := range 6 {
		now := e.clock.Now()
		if _, err := r.RunOnce(e.ctx); err != nil {
			t.Fatal(err)
		}
		got := e.get(code)
		d := got.NextAttemptAt.Sub(now)
		hi := base << attempt
		if d < hi/2 || d > hi {
			t.Errorf("attempt %d: backoff %s, want in [%s, %s]", attempt, d, hi/2, hi)
		}
		if got.Attempts != attempt+1 {
			t.Errorf("attempts: got %d, want %d", got.Attempts, attempt+1)
		}
		// Not due yet: nothing happens.
		if s, _ := r.RunOnce(e.ctx); s.Claimed != 0 {
			t.Errorf("claimed a row before its next attempt")
		}
		e.clock.Set(got.NextAttemptAt)
	}
	if _, err := r.RunOnce(e.ctx); err != nil {
		t.Fatal(err)
	}
	wantState(t, e.get(code), pos.StateVoided)
}

func TestReconciler_BoundedConcurrency(t *testing.T) {
	e := newEnv(t)
	const rows, conc = 20, 3
	for i := range rows {
		e.leftover(fmt.Sprintf("C%02d", i), pos.KindPay, t0.Add(-time.Hour))
	}
	var inflight, peak atomic.Int32
	var arrived sync.WaitGroup
	arrived.Add(conc)
	var first atomic.Int32
	e.gw.OnCall = func(c postest.Call) {
		if c.Method != postest.MQuery {
			return
		}
		n := inflight.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		if first.Add(1) <= conc {
			arrived.Done()
			arrived.Wait() // the first conc queries meet: they run at once
		}
		inflight.Add(-1)
	}
	r, _ := pos.NewReconciler(pos.ReconcilerConfig{Gateway: e.gw, Journal: e.j, Clock: e.clock, Logger: e.log,
		Owner: "r1", Timings: pos.Timings{Concurrency: conc, RatePerSecond: -1}})
	s, err := r.RunOnce(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Claimed != rows || s.Results[pos.ResultVoided] != rows {
		t.Fatalf("summary: %+v", s)
	}
	if peak.Load() != conc {
		t.Fatalf("peak concurrency: got %d, want %d", peak.Load(), conc)
	}
}

func TestReconciler_RateLimit(t *testing.T) {
	e := newEnv(t)
	for i := range 10 {
		e.leftover(fmt.Sprintf("C%02d", i), pos.KindPay, t0.Add(-time.Hour))
		e.gw.SetState(pos.ChargeCode(fmt.Sprintf("C%02d", i)), pos.RemotePaid, 500)
	}
	r, _ := pos.NewReconciler(pos.ReconcilerConfig{Gateway: e.gw, Journal: e.j, Clock: e.clock, Logger: e.log,
		Owner: "r1", Timings: pos.Timings{Concurrency: 1, RatePerSecond: 2}})
	s, err := r.RunOnce(e.ctx)
	if err != nil || s.Results[pos.ResultPaid] != 10 {
		t.Fatalf("summary %+v, %v", s, err)
	}
	// 10 queries at 2/s with a burst of 2: at least 4 s.
	if got := e.clock.Now().Sub(t0); got < 4*time.Second {
		t.Fatalf("10 calls took %s of clock time, want ≥ 4s", got)
	}
}

func TestReconciler_TwoAtOnceDoNotDoubleAct(t *testing.T) {
	e := newEnv(t)
	const rows = 30
	var codes []pos.ChargeCode
	for i := range rows {
		c := e.leftover(fmt.Sprintf("C%02d", i), pos.KindPay, t0.Add(-time.Hour))
		codes = append(codes, c)
		switch i % 3 {
		case 0: // found paid after the register gave up: needs a revoke
			e.gw.SetState(c, pos.RemotePaid, 500)
			tx := e.get(c)
			if _, err := e.j.Transition(e.ctx, pos.Change{ChargeCode: c, From: tx.State, To: pos.StateUnknown,
				Patch: pos.Patch{GiveUp: true, GiveUpReason: "aborted"}, At: t0}); err != nil {
				t.Fatal(err)
			}
		case 1: // never seen: needs a cancel (tombstone)
		case 2: // paid: needs a receipt
			e.gw.SetState(c, pos.RemotePaid, 500)
		}
	}
	r1, r2 := e.reconciler("r1"), e.reconciler("r2")
	var wg sync.WaitGroup
	var sums [2]pos.ReconcileSummary
	for i, r := range []*pos.Reconciler{r1, r2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := r.RunOnce(context.Background())
			if err != nil {
				t.Error(err)
			}
			sums[i] = s
		}()
	}
	wg.Wait()
	if got := sums[0].Claimed + sums[1].Claimed; got != rows {
		t.Errorf("claimed %d (%d + %d), want %d", got, sums[0].Claimed, sums[1].Claimed, rows)
	}
	for i, c := range codes {
		if n := e.gw.Count(postest.MCancel, c); (i%3 == 2 && n != 0) || (i%3 != 2 && n != 1) {
			t.Errorf("%s: %d cancels", c, n)
		}
		if n := e.gw.Count(postest.MQuery, c); n > 2 {
			t.Errorf("%s: %d queries", c, n)
		}
		want := []pos.State{pos.StateRevoked, pos.StateVoided, pos.StatePaid}[i%3]
		wantState(t, e.get(c), want)
		if n := len(e.j.ReceiptsFor(c)); (want == pos.StatePaid) != (n == 1) || n > 1 {
			t.Errorf("%s: %d receipts", c, n)
		}
	}
}

func TestReconciler_KilledMidRowLeaseExpires(t *testing.T) {
	e := newEnv(t)
	code := e.leftover("C1", pos.KindPay, t0.Add(-time.Hour))
	e.gw.SetState(code, pos.RemotePaid, 500)
	// A reconciler claims the row and dies before acting.
	if got, _ := e.j.Claim(e.ctx, pos.ClaimRequest{Owner: "dead", Now: e.clock.Now(), Lease: 2 * time.Minute, Limit: 10}); len(got) != 1 {
		t.Fatal("claim failed")
	}
	r := e.reconciler("r2")
	if s, _ := r.RunOnce(e.ctx); s.Claimed != 0 {
		t.Fatalf("took a row leased to another: %+v", s)
	}
	e.clock.Advance(2 * time.Minute)
	if s, _ := r.RunOnce(e.ctx); s.Results[pos.ResultPaid] != 1 {
		t.Fatalf("after lease expiry: %+v", s)
	}
	wantState(t, e.get(code), pos.StatePaid)
}

func TestReconciler_Run(t *testing.T) {
	e := newEnvClock(t, postest.NewClock(t0))
	code := e.leftover("C1", pos.KindPay, t0.Add(-time.Hour))
	e.gw.SetState(code, pos.RemotePaid, 500)
	r, _ := pos.NewReconciler(pos.ReconcilerConfig{Gateway: e.gw, Journal: e.j, Clock: e.clock, Logger: e.log,
		Owner: "r1", Timings: pos.Timings{RatePerSecond: -1}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	e.clock.BlockUntil(1) // the first pass is over: waiting for the interval
	wantState(t, e.get(code), pos.StatePaid)
	code2 := e.leftover("C2", pos.KindPay, t0.Add(-time.Hour))
	e.gw.SetState(code2, pos.RemoteClosed, 500)
	e.clock.Advance(30 * time.Second)
	e.clock.BlockUntil(1)
	wantState(t, e.get(code2), pos.StateClosed)
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("Run: got %v, want context.Canceled", err)
	}
}

func TestReconciler_IgnoreScheduleHandlesEachRowOnce(t *testing.T) {
	e := newEnv(t)
	for i := range 7 {
		e.leftover(fmt.Sprintf("C%02d", i), pos.KindPay, t0.Add(time.Hour)) // not due for an hour
	}
	e.gw.Script(postest.MQuery, steps(100, postest.Step{Act: postest.Down})...)
	r, _ := pos.NewReconciler(pos.ReconcilerConfig{Gateway: e.gw, Journal: e.j, Clock: e.clock, Logger: e.log,
		Owner: "r1", IgnoreSchedule: true, Timings: pos.Timings{Concurrency: 2}})
	s, err := r.RunOnce(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Claimed != 7 || s.Results[pos.ResultRetry] != 7 || e.gw.Count(postest.MQuery, "") != 7 {
		t.Fatalf("summary %+v, %d queries; want 7 rows once each", s, e.gw.Count(postest.MQuery, ""))
	}
	// Leases are all given back.
	if got, _ := e.j.Claim(e.ctx, pos.ClaimRequest{Owner: "x", Now: e.clock.Now(), Lease: time.Minute, Limit: 10, IgnoreSchedule: true}); len(got) != 7 {
		t.Fatalf("after the pass %d rows claimable, want 7", len(got))
	}
}
