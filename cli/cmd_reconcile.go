package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sort"
	"strings"
	"time"

	"posterm/pos"
)

func init() {
	register(command{
		name:    "reconcile",
		summary: "settle the journal's unsettled charges and refunds with the gateway (query, cancel, retry)",
		runEnv:  runReconcile,
	})
}

func runReconcile(e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	fs := flag.NewFlagSet("posterm reconcile", flag.ContinueOnError)
	fs.SetOutput(stderr)
	com := addCommon(fs)
	once := fs.Bool("once", false, "one pass over the rows that are due, a summary, and exit")
	now := fs.Bool("now", false, "work on every unsettled row, due or not (backoff and the register's own\n"+
		"waiting time ignored): only when no register is taking payments on this journal")
	verbose := fs.Bool("v", false, "a line per row even when stderr is not a terminal")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: posterm reconcile [--once] [--now] [-v] [--json]

Settles what the journal does not know the end of (crash leftovers, unknown
payments, QR codes past expiry, charges given up but found paid, unknown
refunds): it queries each, then settles it, cancels it (a payment the
register gave up on is revoked), or retries it later with backoff — with at
most [reconcile] concurrency calls at once and rate_per_second calls a second.
Rows are leased in the journal, so it is safe beside a running register or a
second reconcile, and safe to kill at any point.

Without --once it makes a pass every [reconcile] interval until Ctrl-C.
On a terminal (or with -v) each row is shown on stderr as it is handled;
each pass ends with a summary (with --json: one JSON object per pass).

Exit codes: --once: 0 nothing left unsettled, 3 rows still unsettled (they
are retried later), 1 local error; without --once: 0 when stopped.

Flags:
`)
		fs.PrintDefaults()
	}
	if code, failed := flagsFailed(fs.Parse(args)); failed {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(stderr, "reconcile", fmt.Sprintf("unexpected argument %q", fs.Arg(0)), fs.Usage)
	}
	ctx, stop := e.interruptContext()
	defer stop()
	a, done, err := openApp(ctx, com, stderr, noNotify)
	if err != nil {
		return fail(stderr, "reconcile", err)
	}
	defer done()

	con := newConsole(stderr)
	defer con.close()
	show := *verbose || e.IsTerminal(stderr)
	r, err := a.newReconciler(*now, func(p pos.ReconcileProgress) {
		if show {
			con.say(reconcileLine(p))
		}
	})
	if err != nil {
		return fail(stderr, "reconcile", err)
	}
	pass := func() (reconcileSummary, error) {
		s, err := r.RunOnce(ctx)
		out := summarize(s)
		left, next, lerr := unsettled(context.WithoutCancel(ctx), a)
		out.Unsettled, out.NextAttemptAt = left, next
		return out, errors.Join(err, lerr)
	}
	report := func(s reconcileSummary) error {
		con.close() // the per-row lines first
		if com.jsonOut {
			return writeJSONLine(stdout, s)
		}
		_, err := fmt.Fprintln(stdout, s.String())
		return err
	}

	if *once {
		s, err := pass()
		if err != nil && ctx.Err() == nil {
			return fail(stderr, "reconcile", err)
		}
		if err := report(s); err != nil {
			return fail(stderr, "reconcile", err)
		}
		if s.Unsettled > 0 {
			return exitUnknown
		}
		return exitDone
	}

	for {
		s, err := pass()
		if ctx.Err() != nil {
			break
		}
		if err != nil {
			fmt.Fprintf(stderr, "posterm reconcile: pass failed: %v (retrying at the next interval)\n", err)
		} else if s.Claimed > 0 || com.jsonOut {
			if err := report(s); err != nil {
				return fail(stderr, "reconcile", err)
			}
			con = newConsole(stderr)
		}
		t := time.NewTimer(a.timings.ReconcileInterval)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
		if ctx.Err() != nil {
			break
		}
	}
	con.close()
	fmt.Fprintln(stderr, "posterm reconcile: stopped")
	return exitDone
}

// reconcileSummary is what one pass did (the --json form).
type reconcileSummary struct {
	Claimed   int            `json:"claimed"`
	Settled   int            `json:"settled"`
	Results   map[string]int `json:"results"`
	ElapsedMS int64          `json:"elapsed_ms"`
	// Unsettled counts the charges and refunds still unsettled after the
	// pass; NextAttemptAt is when the first of them is due again.
	Unsettled     int       `json:"unsettled"`
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`
}

func summarize(s pos.ReconcileSummary) reconcileSummary {
	out := reconcileSummary{Claimed: s.Claimed, Settled: s.Settled(), Results: map[string]int{}, ElapsedMS: s.Elapsed.Milliseconds()}
	for r, n := range s.Results {
		out.Results[string(r)] = n
	}
	return out
}

// String is the human summary of a pass.
func (s reconcileSummary) String() string {
	var b strings.Builder
	if s.Claimed == 0 {
		b.WriteString("nothing was due")
	} else {
		names := make([]string, 0, len(s.Results))
		for r := range s.Results {
			names = append(names, r)
		}
		sort.Strings(names)
		parts := make([]string, 0, len(names))
		for _, r := range names {
			parts = append(parts, fmt.Sprintf("%d %s", s.Results[r], r))
		}
		fmt.Fprintf(&b, "reconciled %d in %s: %s", s.Claimed, (time.Duration(s.ElapsedMS) * time.Millisecond), strings.Join(parts, ", "))
	}
	switch {
	case s.Unsettled == 0:
		b.WriteString("; nothing is unsettled")
	case s.NextAttemptAt.IsZero():
		fmt.Fprintf(&b, "; %d still unsettled", s.Unsettled)
	default:
		fmt.Fprintf(&b, "; %d still unsettled (next attempt %s)", s.Unsettled, s.NextAttemptAt.Local().Format("15:04:05"))
	}
	return b.String()
}

// reconcileLine is one handled row, for stderr.
func reconcileLine(p pos.ReconcileProgress) string {
	what := string(p.Key.ChargeCode)
	if p.Key.Kind == pos.WorkRefund {
		what = "refund " + p.Key.OutRefundNo + " of " + what
	}
	s := fmt.Sprintf("[%d] %s: %s (%s)", p.Done, what, p.Result, p.State)
	if p.Err != nil {
		s += ": " + p.Err.Error()
	}
	return s
}

// unsettled counts the journal's unsettled charges and refunds and finds
// when the first is due.
func unsettled(ctx context.Context, a *app) (int, time.Time, error) {
	txs, err := a.journal.List(ctx, pos.Filter{Unsettled: true})
	if err != nil {
		return 0, time.Time{}, err
	}
	rs, err := a.journal.ListRefunds(ctx, pos.RefundFilter{Unsettled: true})
	if err != nil {
		return 0, time.Time{}, err
	}
	var next time.Time
	due := func(t time.Time) {
		if next.IsZero() || (!t.IsZero() && t.Before(next)) {
			next = t
		}
	}
	for _, t := range txs {
		due(t.NextAttemptAt)
	}
	for _, r := range rs {
		due(r.NextAttemptAt)
	}
	return len(txs) + len(rs), next, nil
}
