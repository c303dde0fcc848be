package pos

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"sync"
	"time"
)

// ReconcilerConfig configures a Reconciler. Gateway and Journal are
// required; a nil Clock is the system clock, zero Timings are defaults.
type ReconcilerConfig struct {
	Gateway Gateway
	Journal Journal
	Clock   Clock
	Timings Timings
	Logger  *slog.Logger
	// Owner names this instance in leases and audit events; it must be
	// unique among running reconcilers. Default "reconciler-<host>-<pid>-<random>".
	Owner string
	// IgnoreSchedule also works on rows not yet due (`reconcile --now`);
	// use it only when no register is running a checkout.
	IgnoreSchedule bool
	// Progress, when set, receives one event per row handled, one at a
	// time (never concurrently); it must not block.
	Progress func(ReconcileProgress)
	// Seed seeds the backoff jitter (0 = random).
	Seed uint64
	// DevID is the till's DEV_ID (see CheckoutConfig.DevID).
	DevID string
	// RecheckEvery is how often Run re-queries the open shift's paid
	// charges for changes made at the gateway behind posterm (Recheck);
	// default 5 minutes, negative: never.
	RecheckEvery time.Duration
	// RecheckLimit bounds the charges one recheck queries (default 50).
	RecheckLimit int
	// ShiftStart returns when the open shift began (charges created since
	// are rechecked); nil: the last 12 hours.
	ShiftStart func(now time.Time) time.Time
}

// Reconciler settles the journal's unsettled rows (WIRE.md §4.4–4.6): crash
// leftovers (sending), unknown charges, QRs past expiry, given-up charges
// found paid, and unknown refunds. For each claimed row it queries, then:
// paid → paid + receipt (a given-up row → revoked instead); final unpaid →
// closed/revoked; still pending or never seen past the deadline → cancel
// (never seen → voided, the cancel leaving a tombstone); refunds are re-sent
// with the same OUT_REFUND_NO. Rows that stay unsettled are retried with
// exponential backoff and jitter. Work is bounded by Timings.Concurrency and
// a token bucket of Timings.RatePerSecond gateway calls. Every row is leased
// through the Journal, so it is safe to kill at any point and to run twice
// at once. Safe for concurrent use.
type Reconciler struct {
	core
	recheckEvery time.Duration
	recheckLimit int
	shiftStart   func(time.Time) time.Time
	owner        string
	ignore       bool
	progress     func(ReconcileProgress)
	limiter      *Limiter

	rmu sync.Mutex
	rnd *rand.Rand
}

// ReconcileResult is what happened to one row.
type ReconcileResult string

const (
	ResultPaid          ReconcileResult = "paid"
	ResultRevoked       ReconcileResult = "revoked"
	ResultClosed        ReconcileResult = "closed"
	ResultVoided        ReconcileResult = "voided"
	ResultDeclined      ReconcileResult = "declined"
	ResultRefunded      ReconcileResult = "refunded"
	ResultRefundRefused ReconcileResult = "refund_refused"
	ResultRetry         ReconcileResult = "retry"   // still unsettled: rescheduled
	ResultSkipped       ReconcileResult = "skipped" // someone else acted first
	ResultError         ReconcileResult = "error"   // journal failure
)

// ReconcileProgress is one progress event of RunOnce.
type ReconcileProgress struct {
	Key    WorkKey
	Result ReconcileResult
	State  string // the row's state after
	Done   int    // rows handled so far in this pass
	Err    error
}

// ReconcileSummary counts one pass by result.
type ReconcileSummary struct {
	Claimed int
	Results map[ReconcileResult]int
	Elapsed time.Duration
}

// Settled is how many rows left the queue.
func (s ReconcileSummary) Settled() int {
	n := 0
	for r, k := range s.Results {
		if r != ResultRetry && r != ResultSkipped && r != ResultError {
			n += k
		}
	}
	return n
}

// NewReconciler returns a Reconciler.
func NewReconciler(cfg ReconcilerConfig) (*Reconciler, error) {
	if cfg.Gateway == nil || cfg.Journal == nil {
		return nil, errors.New("reconciler: gateway and journal are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock()
	}
	if cfg.Logger == nil {
		cfg.Logger = defaultLogger()
	}
	t := cfg.Timings.WithDefaults()
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("reconciler: %w", err)
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	if cfg.Owner == "" {
		host, _ := os.Hostname()
		cfg.Owner = fmt.Sprintf("reconciler-%s-%d-%04x", host, os.Getpid(), rand.Uint32()&0xffff)
	}
	if cfg.RecheckEvery == 0 {
		cfg.RecheckEvery = 5 * time.Minute
	}
	if cfg.RecheckLimit <= 0 {
		cfg.RecheckLimit = 50
	}
	if cfg.ShiftStart == nil {
		cfg.ShiftStart = func(now time.Time) time.Time { return now.Add(-12 * time.Hour) }
	}
	return &Reconciler{
		recheckEvery: cfg.RecheckEvery, recheckLimit: cfg.RecheckLimit, shiftStart: cfg.ShiftStart,
		core:     core{gw: Inert(cfg.Gateway), j: cfg.Journal, clock: cfg.Clock, t: t, log: cfg.Logger.With("owner", cfg.Owner), devID: cfg.DevID},
		owner:    cfg.Owner,
		ignore:   cfg.IgnoreSchedule,
		progress: cfg.Progress,
		limiter:  NewLimiter(cfg.Clock, t.RatePerSecond),
		rnd:      rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
	}, nil
}

// Owner returns the lease owner name of this instance.
func (r *Reconciler) Owner() string { return r.owner }

// Run runs passes every ReconcileInterval until ctx ends; it returns
// ctx's error. A failed pass is logged and retried at the next interval.
// Every RecheckEvery it also rechecks the open shift's paid charges.
func (r *Reconciler) Run(ctx context.Context) error {
	var lastRecheck time.Time
	for {
		s, err := r.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			r.log.Error("reconcile pass failed", "op", "reconcile", "err", err)
		} else if s.Claimed > 0 {
			r.log.Info("reconcile pass", "op", "reconcile", "claimed", s.Claimed, "settled", s.Settled())
		}
		if now := r.clock.Now(); r.recheckEvery > 0 && ctx.Err() == nil && (lastRecheck.IsZero() || now.Sub(lastRecheck) >= r.recheckEvery) {
			lastRecheck = now
			rs, err := r.Recheck(ctx, r.shiftStart(now), r.recheckLimit)
			if err != nil && ctx.Err() == nil {
				r.log.Error("recheck failed", "op", "recheck", "err", err)
			} else if len(rs.Differences) > 0 {
				r.log.Warn("recheck found changes made at the gateway", "op", "recheck", "checked", rs.Checked,
					"differences", len(rs.Differences))
			}
		}
		t := r.clock.NewTimer(r.t.ReconcileInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C():
		}
	}
}

// RunOnce handles every row due now, each at most once, and returns counts.
// err is a Claim failure or ctx's error; per-row failures are counted.
func (r *Reconciler) RunOnce(ctx context.Context) (ReconcileSummary, error) {
	start := r.clock.Now()
	sum := ReconcileSummary{Results: map[ReconcileResult]int{}}
	seen := map[WorkKey]bool{}
	var mu sync.Mutex
	sem := make(chan struct{}, r.t.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	// Rows handled in this pass that come due again (a short backoff, or
	// IgnoreSchedule) are held under our lease until the pass ends, so a
	// pass handles each row once and always terminates.
	var held []WorkKey
	defer func() {
		for _, k := range held {
			_ = r.j.Release(context.WithoutCancel(ctx), k, r.owner, r.clock.Now(), Retry{})
		}
	}()
	for ctx.Err() == nil {
		items, err := r.j.Claim(ctx, ClaimRequest{Owner: r.owner, Now: r.clock.Now(), Lease: r.t.Lease,
			Limit: r.t.Concurrency, IgnoreSchedule: r.ignore})
		if err != nil {
			wg.Wait()
			sum.Elapsed = r.clock.Now().Sub(start)
			return sum, fmt.Errorf("reconcile: claim: %w", err)
		}
		if len(items) == 0 {
			break
		}
		var fresh []WorkItem
		for _, it := range items {
			if seen[it.Key] {
				held = append(held, it.Key)
				continue
			}
			seen[it.Key] = true
			fresh = append(fresh, it)
		}
		for _, it := range fresh {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				_ = r.j.Release(context.WithoutCancel(ctx), it.Key, r.owner, r.clock.Now(), Retry{})
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				res, state, err := r.handle(ctx, it)
				mu.Lock()
				defer mu.Unlock()
				sum.Claimed++
				sum.Results[res]++
				if r.progress != nil { // serialised: one event at a time
					r.progress(ReconcileProgress{Key: it.Key, Result: res, State: state, Done: sum.Claimed, Err: err})
				}
			}()
		}
	}
	wg.Wait()
	sum.Elapsed = r.clock.Now().Sub(start)
	return sum, ctx.Err()
}

// backoff is RetryBase·2^attempts capped at RetryMax, with jitter: a
// uniform draw from [d/2, d].
func (r *Reconciler) backoff(attempts int) time.Duration {
	d := float64(r.t.RetryBase) * math.Pow(2, float64(min(attempts, 30)))
	if d > float64(r.t.RetryMax) {
		d = float64(r.t.RetryMax)
	}
	r.rmu.Lock()
	j := r.rnd.Float64()
	r.rmu.Unlock()
	return time.Duration(d/2 + j*d/2)
}

// call waits for a token, or returns ctx's error.
func (r *Reconciler) call(ctx context.Context) error { return r.limiter.Wait(ctx) }

func (r *Reconciler) handle(ctx context.Context, it WorkItem) (ReconcileResult, string, error) {
	a := actor{who: r.owner, owner: r.owner}
	var (
		res   ReconcileResult
		state string
		err   error
		why   string
	)
	if it.Key.Kind == WorkRefund {
		res, state, why, err = r.handleRefund(ctx, it, a)
	} else {
		res, state, why, err = r.handleCharge(ctx, it.Transaction, a)
	}
	switch {
	case errors.Is(err, ErrLeaseLost), isStale(err):
		res, err = ResultSkipped, nil
	case err != nil:
		res, why = ResultError, err.Error()
	}
	code := string(it.Key.ChargeCode)
	r.log.Info("reconciled", "charge_code", code, "out_refund_no", it.Key.OutRefundNo, "op", "reconcile",
		"result", string(res), "state", state, "why", why)
	retry := Retry{}
	if res == ResultRetry || res == ResultError {
		attempts := it.Transaction.Attempts
		if it.Key.Kind == WorkRefund {
			attempts = it.Refund.Attempts
		}
		retry = Retry{NextAttemptAt: r.clock.Now().Add(r.backoff(attempts)), LastError: why, CountAttempt: true}
	}
	if rerr := r.j.Release(context.WithoutCancel(ctx), it.Key, r.owner, r.clock.Now(), retry); rerr != nil && !errors.Is(rerr, ErrLeaseLost) {
		r.log.Error("release failed", "charge_code", code, "op", "reconcile", "err", rerr)
	}
	return res, state, err
}

func resultOf(tx Transaction) ReconcileResult {
	if tx.Unsettled() {
		return ResultRetry
	}
	switch tx.State {
	case StatePaid, StatePartiallyRefunded, StateRefunded:
		return ResultPaid
	case StateRevoked:
		return ResultRevoked
	case StateClosed:
		return ResultClosed
	case StateVoided:
		return ResultVoided
	case StateDeclined:
		return ResultDeclined
	}
	return ResultRetry
}

// deadline is when the register stops waiting for a charge: the vendor's
// bound for a pay, the QR's expiry for a precreate.
func (r *Reconciler) deadline(tx Transaction) time.Time {
	if tx.Kind == KindPrecreate {
		if !tx.ExpiresAt.IsZero() {
			return tx.ExpiresAt
		}
		return tx.CreatedAt.Add(r.t.PrecreateExpiry)
	}
	return tx.CreatedAt.Add(r.t.GiveUpAfter)
}

func (r *Reconciler) handleCharge(ctx context.Context, tx Transaction, a actor) (ReconcileResult, string, string, error) {
	var err error
	if tx.State == StatePaid && tx.GiveUp { // found paid after the register gave up: revoke
		if err := r.call(ctx); err != nil {
			return ResultRetry, string(tx.State), "interrupted", nil
		}
		tx, err = r.cancel(ctx, tx, a)
		return resultOf(tx), string(tx.State), tx.LastError, err
	}
	if err := r.call(ctx); err != nil {
		return ResultRetry, string(tx.State), "interrupted", nil
	}
	rep := r.query(ctx, tx.ChargeCode)
	tx, settled, err := r.applyState(ctx, tx, rep, a, "reconcile")
	if errors.Is(err, errNotOurs) {
		return ResultRetry, string(tx.State), tx.LastError, nil
	}
	if err != nil || settled {
		return resultOf(tx), string(tx.State), "", err
	}
	if tx.State == StatePaid && tx.GiveUp { // just found paid, given up: revoke now
		if err := r.call(ctx); err != nil {
			return ResultRetry, string(tx.State), "interrupted", nil
		}
		tx, err = r.cancel(ctx, tx, a)
		return resultOf(tx), string(tx.State), tx.LastError, err
	}
	notThere := rep.Outcome == OutcomeRefused && rep.Code == CodeChargeNonexistent
	pending := rep.Outcome == OutcomeDone && rep.HasState && rep.State == RemotePending
	past := !r.clock.Now().Before(r.deadline(tx))
	if (notThere || pending) && (past || tx.GiveUp) {
		if err := r.call(ctx); err != nil {
			return ResultRetry, string(tx.State), "interrupted", nil
		}
		reason := "reconciler: past the deadline"
		if tx.Kind == KindPrecreate {
			reason = "reconciler: QR expired"
		}
		tx, err = r.giveUpAndCancel(ctx, tx, a, reason)
		return resultOf(tx), string(tx.State), tx.LastError, err
	}
	why := replyErr(rep)
	if pending || notThere {
		why = "not final yet: " + why
	}
	return ResultRetry, string(tx.State), why, nil
}

func (r *Reconciler) handleRefund(ctx context.Context, it WorkItem, a actor) (ReconcileResult, string, string, error) {
	if err := r.call(ctx); err != nil {
		return ResultRetry, string(it.Refund.State), "interrupted", nil
	}
	got, settled, err := r.sendRefund(ctx, it.Refund, it.Transaction, a)
	if err == nil && !settled && got.ResultCode == CodeSerialRepeat {
		// The OUT_REFUND_NO was used before: only the charge's state can
		// say whether that earlier attempt refunded (WIRE.md §6).
		if err := r.call(ctx); err != nil {
			return ResultRetry, string(got.State), "interrupted", nil
		}
		got, settled, err = r.settleRefundByQuery(ctx, got, a)
	}
	switch {
	case err != nil:
		return ResultError, string(got.State), "", err
	case !settled:
		return ResultRetry, string(got.State), got.LastError, nil
	case got.State == RefundDone:
		return ResultRefunded, string(got.State), "", nil
	}
	return ResultRefundRefused, string(got.State), got.ResultCode, nil
}

// settleRefundByQuery settles an unknown refund from its charge's query
// answer (RefundFromState). A refund that may have gone back is never
// freed: when the answer does not decide, it stays unknown and reserved.
func (r *Reconciler) settleRefundByQuery(ctx context.Context, rf Refund, a actor) (Refund, bool, error) {
	tx, err := r.j.Get(ctx, rf.ChargeCode)
	if err != nil {
		return rf, false, err
	}
	all, err := r.j.ListRefunds(ctx, RefundFilter{ChargeCode: rf.ChargeCode})
	if err != nil {
		return rf, false, err
	}
	q := r.query(ctx, rf.ChargeCode)
	to, why := RefundState(""), "query: "+replyErr(q)
	if q.Outcome == OutcomeDone && q.HasState {
		if cerr := CheckQuery(tx, r.devID, q); cerr != nil {
			r.distrust(tx.ChargeCode, q, cerr)
			why = "answer not trusted: " + cerr.Error()
		} else {
			to, why = RefundFromState(tx, rf, all, q.State)
		}
	}
	now := r.clock.Now()
	rc := RefundChange{OutRefundNo: rf.OutRefundNo, From: rf.State, To: rf.State, Owner: a.owner, At: now,
		Event: Event{Op: "reconcile", Who: a.who, ResultCode: q.Code, Note: why}}
	if to == "" {
		rc.LastError = "SERIAL_REPEAT, not settled by query: " + why
	} else {
		rc.To = to
		if to == RefundDone {
			rc.Receipt = ReceiptRefund
		}
	}
	got, _, err := r.j.SettleRefund(context.WithoutCancel(ctx), rc)
	if err != nil {
		return rf, false, fmt.Errorf("refund %s: journal: %w", rf.OutRefundNo, err)
	}
	return got, !got.Unsettled(), nil
}
