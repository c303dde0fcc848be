package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"posterm/offline"
	"posterm/pos"
)

func init() {
	register(command{
		name:    "history",
		summary: "list the journal's charges (and their refunds), or only the unsettled ones",
		runEnv:  runHistory,
	})
}

func runHistory(e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	fs := flag.NewFlagSet("posterm history", flag.ContinueOnError)
	fs.SetOutput(stderr)
	com := addCommon(fs)
	unsettledOnly := fs.Bool("unsettled", false, "only the charges (and refunds) not settled yet: the reconciler's queue")
	since := fs.String("since", "", "only charges created on or after DATE (YYYY-MM-DD, local time) or TIME (RFC 3339)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: posterm history [--unsettled] [--since DATE] [--json]

Lists the charges of this register's journal, oldest first, with their
refunds. Nothing is asked of the gateway.

With --json: an array of objects, one per charge, with charge_code, kind
(pay or precreate), state (sending, paid, declined, unknown, pending,
closed, revoked, voided, partially_refunded, refunded), amount_fen,
refunded_fen, created_at, and the rest of the journal row (sale_id, channel,
masked_code, cashier, charge_down_code, give_up, attempts, next_attempt_at,
last_error, …), and "refunds": the charge's refunds.

Flags:
`)
		fs.PrintDefaults()
	}
	if code, failed := flagsFailed(fs.Parse(args)); failed {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(stderr, "history", fmt.Sprintf("unexpected argument %q", fs.Arg(0)), fs.Usage)
	}
	// The journal is all history needs: no gateway, no embedded sandbox.
	cfg, err := com.load()
	if err != nil {
		return fail(stderr, "history", err)
	}
	zone, err := cfg.Register.Location()
	if err != nil {
		return fail(stderr, "history", err)
	}
	var from time.Time
	if *since != "" {
		if from, err = parseSince(*since, zone); err != nil {
			return fail(stderr, "history", err)
		}
	}
	ctx, stop := e.interruptContext()
	defer stop()
	logger, closeLog, err := openLog(cfg.Log, stderr)
	if err != nil {
		return fail(stderr, "history", err)
	}
	defer closeLog()
	j, err := offline.Open(cfg.Journal.Path, offline.Options{Logger: logger})
	if err != nil {
		return fail(stderr, "history", err)
	}
	defer j.Close()

	rows, err := historyRows(ctx, j, from, *unsettledOnly)
	if err != nil {
		return fail(stderr, "history", err)
	}
	rows = inert(rows) // old rows may hold the gateway's text as it came
	if com.jsonOut {
		if err := writeJSON(stdout, rows); err != nil {
			return fail(stderr, "history", err)
		}
		return exitDone
	}
	printHistory(stdout, rows)
	return exitDone
}

// historyRow is one charge of `history --json`: the journal row and its
// refunds.
type historyRow struct {
	pos.Transaction
	Refunds []pos.Refund `json:"refunds"`
}

// historyRows lists the charges created since from (all when zero), with
// their refunds. unsettledOnly keeps the charges that are unsettled or
// have an unsettled refund.
func historyRows(ctx context.Context, j pos.Journal, from time.Time, unsettledOnly bool) ([]historyRow, error) {
	txs, err := j.List(ctx, pos.Filter{Since: from})
	if err != nil {
		return nil, err
	}
	rs, err := j.ListRefunds(ctx, pos.RefundFilter{})
	if err != nil {
		return nil, err
	}
	byCharge := map[pos.ChargeCode][]pos.Refund{}
	for _, r := range rs {
		byCharge[r.ChargeCode] = append(byCharge[r.ChargeCode], r)
	}
	rows := make([]historyRow, 0, len(txs))
	for _, t := range txs {
		row := historyRow{Transaction: t, Refunds: byCharge[t.ChargeCode]}
		if row.Refunds == nil {
			row.Refunds = []pos.Refund{}
		}
		if unsettledOnly && !t.Unsettled() && !anyUnsettled(row.Refunds) {
			continue
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func anyUnsettled(rs []pos.Refund) bool {
	for _, r := range rs {
		if r.Unsettled() {
			return true
		}
	}
	return false
}

func printHistory(w io.Writer, rows []historyRow) {
	if len(rows) == 0 {
		fmt.Fprintln(w, "no charges")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CREATED\tCHARGE CODE\tKIND\tSTATE\tAMOUNT\tREFUNDED\tCHANNEL\tCODE\tCASHIER\tNOTE")
	for _, r := range rows {
		t := r.Transaction
		note := ""
		switch {
		case t.Unsettled():
			note = fmt.Sprintf("unsettled: %d attempts, next %s", t.Attempts, t.NextAttemptAt.Local().Format("15:04:05"))
			if t.LastError != "" {
				note += ", " + t.LastError
			}
		case t.State == pos.StateDeclined:
			note = strings.TrimSpace(t.ResultCode + " " + t.ResultInfo)
		case t.GiveUp:
			note = t.GiveUpReason
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.CreatedAt.Local().Format("2006-01-02 15:04:05"),
			t.ChargeCode, t.Kind, t.State, t.Amount.Yuan(), t.Refunded.Yuan(), t.Channel, dash(t.MaskedCode), dash(t.Cashier), note)
		for _, rf := range r.Refunds {
			fmt.Fprintf(tw, "\t  refund %s\t\t%s\t\t%s\t\t\t%s\t%s\n", rf.OutRefundNo, rf.State, rf.Amount.Yuan(), dash(rf.Cashier), rf.Reason)
		}
	}
	tw.Flush()
}
