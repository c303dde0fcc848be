package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"posterm/pos"
)

func init() {
	register(command{
		name:    "query",
		summary: "ask the gateway about a charge and show it beside the journal's row",
		runEnv:  runQuery,
	})
}

func runQuery(e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	fs := flag.NewFlagSet("posterm query", flag.ContinueOnError)
	fs.SetOutput(stderr)
	com := addCommon(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: posterm query CHARGE_CODE [--json]

Asks the gateway for the charge's STATE (sosopay.trade.query, WIRE.md §4.4)
and shows it beside the journal's row, its refunds and its audit trail. It
changes nothing: an unsettled row is settled by 'posterm reconcile'.

Exit codes: 0 the gateway answered, 2 the gateway does not know the charge
(CHARGE_NONEXISTENT) or refused the query, 3 no answer, 1 usage or local error.

Flags:
`)
		fs.PrintDefaults()
	}
	code, exit, ok := chargeCodeArg(fs, args, "query", stderr)
	if !ok {
		return exit
	}
	ctx, stop := e.interruptContext()
	defer stop()
	a, done, err := openApp(ctx, com, stderr, noNotify)
	if err != nil {
		return fail(stderr, "query", err)
	}
	defer done()

	res := queryResult{ChargeCode: code, Refunds: []pos.Refund{}, Events: []pos.Event{}}
	tx, err := a.journal.Get(ctx, code)
	switch {
	case err == nil:
		res.Journal = &tx
		if res.Refunds, err = a.journal.ListRefunds(ctx, pos.RefundFilter{ChargeCode: code}); err != nil {
			return fail(stderr, "query", err)
		}
		if res.Events, err = a.journal.Events(ctx, code); err != nil {
			return fail(stderr, "query", err)
		}
	case !errors.Is(err, pos.ErrNotFound):
		return fail(stderr, "query", err)
	}
	qctx, cancel := context.WithTimeout(ctx, a.timings.CallTimeout)
	rep, err := pos.Inert(a.gw).Query(qctx, code) // its text made inert, as pos sees it
	cancel()
	if err != nil {
		rep = pos.Reply{Outcome: pos.OutcomeUnknown, Detail: err.Error()}
	}
	res.Gateway = gatewayView(rep)

	if com.jsonOut {
		if err := writeJSON(stdout, res); err != nil {
			return fail(stderr, "query", err)
		}
	} else {
		printQuery(stdout, res)
	}
	switch rep.Outcome {
	case pos.OutcomeDone:
		return exitDone
	case pos.OutcomeRefused:
		return exitRefused
	}
	return exitUnknown
}

// queryResult is the --json form of a query.
type queryResult struct {
	ChargeCode pos.ChargeCode   `json:"charge_code"`
	Journal    *pos.Transaction `json:"journal"` // null: not in this register's journal
	Refunds    []pos.Refund     `json:"refunds"`
	Events     []pos.Event      `json:"events"`
	Gateway    gatewayAnswer    `json:"gateway"`
}

// gatewayAnswer is a query's answer (WIRE.md §4.4).
type gatewayAnswer struct {
	Outcome         string     `json:"outcome"` // done, refused, unknown
	Code            string     `json:"result_code,omitempty"`
	Info            string     `json:"result_info,omitempty"`
	State           *int       `json:"state,omitempty"`       // STATE (WIRE.md §5)
	LocalState      pos.State  `json:"local_state,omitempty"` // what it settles to here
	AmountFen       pos.Money  `json:"amount_fen,omitempty"`
	Channel         string     `json:"channel,omitempty"`
	ChargeDownCode  string     `json:"charge_down_code,omitempty"`
	ChargeThirdCode string     `json:"charge_third_code,omitempty"`
	BeginTime       *time.Time `json:"begin_time,omitempty"`
	EndTime         *time.Time `json:"end_time,omitempty"`
	Detail          string     `json:"detail,omitempty"` // why there was no answer
}

func gatewayView(rep pos.Reply) gatewayAnswer {
	g := gatewayAnswer{Outcome: rep.Outcome.String(), Code: rep.Code, Info: rep.Info, AmountFen: rep.Amount,
		ChargeDownCode: rep.ChargeDownCode, ChargeThirdCode: rep.ChargeThirdCode, Detail: rep.Detail}
	if rep.HasState {
		st := int(rep.State)
		g.State = &st
		if l, ok := rep.State.Local(); ok {
			g.LocalState = l
		}
	}
	if rep.Outcome == pos.OutcomeDone && rep.Channel != pos.ChannelAuto {
		g.Channel = rep.Channel.String()
	}
	if !rep.BeginTime.IsZero() {
		g.BeginTime = &rep.BeginTime
	}
	if !rep.EndTime.IsZero() {
		g.EndTime = &rep.EndTime
	}
	return g
}

func printQuery(w io.Writer, r queryResult) {
	if t := r.Journal; t != nil {
		fmt.Fprintf(w, "journal:  %s  %s  %s  ¥%s (refunded ¥%s)  created %s by %s\n", t.ChargeCode, t.Kind, t.State,
			t.Amount.Yuan(), t.Refunded.Yuan(), t.CreatedAt.Local().Format("2006-01-02 15:04:05"), dash(t.Cashier))
		if t.MaskedCode != "" || t.ChargeDownCode != "" {
			fmt.Fprintf(w, "          wallet code %s  gateway serial %s  channel %s\n", dash(t.MaskedCode), dash(t.ChargeDownCode), t.Channel)
		}
		if t.GiveUp {
			fmt.Fprintf(w, "          given up: %s\n", t.GiveUpReason)
		}
		if t.Unsettled() {
			fmt.Fprintf(w, "          unsettled: %d attempts, next %s, last error %s\n", t.Attempts,
				t.NextAttemptAt.Local().Format("15:04:05"), dash(t.LastError))
		}
		for _, rf := range r.Refunds {
			fmt.Fprintf(w, "          refund %s  %s  ¥%s  %q  by %s", rf.OutRefundNo, rf.State, rf.Amount.Yuan(), rf.Reason, dash(rf.Cashier))
			if rf.Approver != "" {
				fmt.Fprintf(w, ", approved by %s", rf.Approver)
			}
			fmt.Fprintln(w)
		}
		for _, e := range r.Events {
			line := fmt.Sprintf("%s  %-9s %s → %s  %s", e.At.Local().Format("15:04:05.000"), e.Op, dash(e.From), e.To, e.Who)
			if e.ResultCode != "" {
				line += "  " + e.ResultCode
			}
			if e.Note != "" {
				line += "  " + e.Note
			}
			fmt.Fprintf(w, "          %s\n", line)
		}
	} else {
		fmt.Fprintf(w, "journal:  %s is not in this register's journal\n", r.ChargeCode)
	}
	g := r.Gateway
	switch g.Outcome {
	case "done":
		line := fmt.Sprintf("gateway:  %s", g.Code)
		if g.State != nil {
			line += fmt.Sprintf("  STATE %d %s", *g.State, pos.RemoteState(*g.State))
		}
		line += fmt.Sprintf("  ¥%s", g.AmountFen.Yuan())
		if g.ChargeDownCode != "" {
			line += "  gateway serial " + g.ChargeDownCode
		}
		if g.Channel != "" {
			line += "  " + g.Channel
		}
		fmt.Fprintln(w, line)
	case "refused":
		fmt.Fprintf(w, "gateway:  %s\n", strings.TrimSpace(g.Code+" "+g.Info))
	default:
		fmt.Fprintf(w, "gateway:  no answer (%s)\n", dash(g.Detail))
	}
	if t := r.Journal; t != nil && t.Unsettled() {
		fmt.Fprintln(w, "note:     the row is not settled; 'posterm reconcile' settles it")
	}
}
