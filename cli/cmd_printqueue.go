package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"posterm/offline"
	"posterm/pos"
)

func init() {
	register(command{
		name:    "print-queue",
		summary: "list the receipt print jobs and their states (queued, sending, sent, printed, failed)",
		runEnv:  runPrintQueue,
	})
}

// printJobRow is one job of `print-queue --json`.
type printJobRow struct {
	ID          int64           `json:"id"`
	Kind        pos.ReceiptKind `json:"kind"`
	ChargeCode  string          `json:"charge_code,omitempty"`
	OutRefundNo string          `json:"out_refund_no,omitempty"`
	Reprint     bool            `json:"reprint"`
	State       pos.PrintState  `json:"state"`
	Shown       string          `json:"shown"` // the state in words: "sent — not confirmed"
	Attempts    int             `json:"attempts"`
	LastError   string          `json:"last_error,omitempty"`
	NextAttempt *time.Time      `json:"next_attempt_at,omitempty"`
	Created     time.Time       `json:"created_at"`
	Sent        *time.Time      `json:"sent_at,omitempty"`
	Printed     *time.Time      `json:"printed_at,omitempty"`
	Cut         bool            `json:"cut_off"` // an attempt was cut off: the next prints a marked copy
}

// printQueueOut is the whole of `print-queue --json`.
type printQueueOut struct {
	// Counts by state: "sent" (not confirmed) is counted apart from "printed".
	Counts map[pos.PrintState]int `json:"counts"`
	Jobs   []printJobRow          `json:"jobs"`
}

// shownState is a print state in the cashier's words.
func shownState(s pos.PrintState) string {
	if s == pos.PrintSent {
		return "sent — not confirmed"
	}
	return string(s)
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func runPrintQueue(e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	fs := flag.NewFlagSet("posterm print-queue", flag.ContinueOnError)
	fs.SetOutput(stderr)
	com := addCommon(fs)
	limit := fs.Int("limit", 50, "list the newest N jobs (0 = all); the counts cover every job")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: posterm print-queue [--limit N] [--json]

Lists the receipt print jobs of this register's journal, newest first, and
counts them by state:

  queued    not tried yet
  sending   being written now (after a crash: cut off; the next attempt
            prints the whole receipt again marked REPRINT)
  sent      sent — not confirmed: every byte left, but the printer never
            answered the status request after the last one
  printed   the printer confirmed it after its last byte
  failed    an attempt failed; retried with backoff

With --json: {"counts": {STATE: N…}, "jobs": [{id, kind, charge_code,
out_refund_no, reprint, state, shown, attempts, last_error,
next_attempt_at, created_at, sent_at, printed_at, cut_off}…]}.

Flags:
`)
		fs.PrintDefaults()
	}
	if code, failed := flagsFailed(fs.Parse(args)); failed {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(stderr, "print-queue", fmt.Sprintf("unexpected argument %q", fs.Arg(0)), fs.Usage)
	}
	ctx, stop := e.interruptContext()
	defer stop()
	cfg, err := com.load()
	if err != nil {
		return fail(stderr, "print-queue", err)
	}
	logger, closeLog, err := openLog(cfg.Log, stderr)
	if err != nil {
		return fail(stderr, "print-queue", err)
	}
	defer closeLog()
	j, err := offline.Open(cfg.Journal.Path, offline.Options{Logger: logger})
	if err != nil {
		return fail(stderr, "print-queue", err)
	}
	defer j.Close()
	out, err := printQueue(ctx, j, *limit)
	if err != nil {
		return fail(stderr, "print-queue", err)
	}
	if com.jsonOut {
		if err := writeJSON(stdout, out); err != nil {
			return fail(stderr, "print-queue", err)
		}
		return exitDone
	}
	printPrintQueue(stdout, out)
	return exitDone
}

// printQueue reads every job for the counts and keeps the newest limit.
func printQueue(ctx context.Context, q pos.PrintQueue, limit int) (printQueueOut, error) {
	jobs, err := q.Jobs(ctx, 0)
	if err != nil {
		return printQueueOut{}, err
	}
	out := printQueueOut{Counts: map[pos.PrintState]int{}, Jobs: []printJobRow{}}
	for _, s := range []pos.PrintState{pos.PrintQueued, pos.PrintSending, pos.PrintSent, pos.PrintPrinted, pos.PrintFailed} {
		out.Counts[s] = 0
	}
	for i, jb := range jobs {
		out.Counts[jb.State]++
		if limit > 0 && i >= limit {
			continue
		}
		out.Jobs = append(out.Jobs, printJobRow{
			ID: jb.ID, Kind: jb.Kind, ChargeCode: pos.CleanText(jb.ChargeCode), OutRefundNo: pos.CleanText(jb.OutRefundNo),
			Reprint: jb.Reprint, State: jb.State, Shown: shownState(jb.State), Attempts: jb.Attempts,
			LastError: pos.CleanText(jb.LastError), NextAttempt: optTime(jb.NextAttempt), Created: jb.Created,
			Sent: optTime(jb.Sent), Printed: optTime(jb.Printed), Cut: jb.Cut,
		})
	}
	return out, nil
}

func printPrintQueue(w io.Writer, out printQueueOut) {
	c := out.Counts
	fmt.Fprintf(w, "printed %d, sent — not confirmed %d, queued %d, sending %d, failed %d\n",
		c[pos.PrintPrinted], c[pos.PrintSent], c[pos.PrintQueued], c[pos.PrintSending], c[pos.PrintFailed])
	if len(out.Jobs) == 0 {
		fmt.Fprintln(w, "no print jobs")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCREATED\tKIND\tCHARGE CODE\tSTATE\tATTEMPTS\tNOTE")
	for _, r := range out.Jobs {
		note := ""
		if r.Reprint {
			note = "reprint"
		}
		if r.Cut {
			note = joinNote(note, "cut off: next attempt prints a marked copy")
		}
		if r.LastError != "" {
			note = joinNote(note, r.LastError)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\n", r.ID, r.Created.Local().Format("2006-01-02 15:04:05"),
			r.Kind, dash(r.ChargeCode), r.Shown, r.Attempts, note)
	}
	tw.Flush()
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
