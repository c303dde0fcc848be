package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"text/tabwriter"
	"time"

	"posterm/config"
	"posterm/offline"
	"posterm/pos"
	"posterm/printer"
)

func init() {
	register(command{
		name:    "shift",
		summary: "the shift (X) report: takings by channel, refunds, revokes; --print puts it on paper",
		runEnv:  runShift,
	})
}

func runShift(e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	if len(args) > 0 && args[0] == "close" {
		return runShiftClose(e, args[1:])
	}
	fs := flag.NewFlagSet("posterm shift", flag.ContinueOnError)
	fs.SetOutput(stderr)
	com := addCommon(fs)
	since := fs.String("since", "", "start of the shift: DATE (YYYY-MM-DD, local) or RFC 3339 TIME (default: today 00:00)")
	until := fs.String("until", "", "end of the shift, exclusive (default: now)")
	print := fs.Bool("print", false, "also print the report on the configured printer")
	cashier := fs.String("cashier", "", "name printed as the report's cashier")
	zNumber := fs.Int("z", 0, "show (and with --print, reprint marked) closing report number N of this till")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: posterm shift [--since DATE] [--until DATE] [--print] [--json]

Totals the journal's charges created and refunds made in the shift: paid
takings by channel, refunds, revokes, net, and what is still unsettled.
Nothing is asked of the gateway. --print sends the report (an X report) to
[printer] transport and shows it as the printer will print it.

Flags:
`)
		fs.PrintDefaults()
	}
	if code, failed := flagsFailed(fs.Parse(args)); failed {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(stderr, "shift", fmt.Sprintf("unexpected argument %q", fs.Arg(0)), fs.Usage)
	}
	cfg, err := com.load()
	if err != nil {
		return fail(stderr, "shift", err)
	}
	// The day starts at midnight in the shop's zone, never the host's.
	zone, err := cfg.Register.Location()
	if err != nil {
		return fail(stderr, "shift", err)
	}
	now := time.Now().In(zone)
	from := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, zone)
	to := time.Time{}
	if *since != "" {
		if from, err = parseSince(*since, zone); err != nil {
			return fail(stderr, "shift", err)
		}
	}
	if *until != "" {
		if to, err = parseSince(*until, zone); err != nil {
			return fail(stderr, "shift", fmt.Errorf("--until: %w", err))
		}
	}
	ctx, stop := e.interruptContext()
	defer stop()
	logger, closeLog, err := openLog(cfg.Log, stderr)
	if err != nil {
		return fail(stderr, "shift", err)
	}
	defer closeLog()
	j, err := offline.Open(cfg.Journal.Path, offline.Options{Logger: logger})
	if err != nil {
		return fail(stderr, "shift", err)
	}
	defer j.Close()
	if *zNumber > 0 {
		return showZ(ctx, cfg, j, *zNumber, *print, com.jsonOut, stdout, stderr)
	}
	if *since == "" {
		// the shift opened when the last one closed
		if prefix, err := registerPrefix(cfg.Register); err == nil {
			if last, err := j.LastZ(ctx, prefix); err == nil {
				from = last.Until
			}
		}
	}

	totals, err := pos.Shift(ctx, j, from, to)
	if err != nil {
		return fail(stderr, "shift", err)
	}
	if com.jsonOut {
		if err := writeJSON(stdout, inert(totals)); err != nil {
			return fail(stderr, "shift", err)
		}
	} else {
		writeShiftTable(stdout, inert(totals))
	}
	if !*print {
		return exitDone
	}
	layout, err := layoutFrom(cfg.Printer)
	if err != nil {
		return fail(stderr, "shift", err)
	}
	prefix, err := registerPrefix(cfg.Register)
	if err != nil {
		return fail(stderr, "shift", err)
	}
	report := shiftReport(totals, cfg.Register.Merchant, cfg.Register.Store, prefix, *cashier, langFrom(cfg.UI.Lang), cfg.Sandbox.Enabled, now)
	page, err := layout.ShiftReport(report)
	if err != nil {
		return fail(stderr, "shift", err)
	}
	target, opts, err := printerTarget(cfg.Printer.Transport, cfg.Printer.WriteTimeout.Duration)
	if err != nil {
		return fail(stderr, "shift", fmt.Errorf("printer.transport: %w", err))
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tr, err := printer.Open(pctx, target, opts)
	if err != nil {
		return fail(stderr, "shift", err)
	}
	if _, err := tr.Write(page); err != nil {
		tr.Close()
		return fail(stderr, "shift", fmt.Errorf("print: %w", err))
	}
	// printed only when the printer answers after the report's last byte
	_, cerr := tr.Confirm(pctx)
	if err := tr.Close(); err != nil {
		return fail(stderr, "shift", fmt.Errorf("print: %w", err))
	}
	if cerr != nil {
		fmt.Fprintf(stderr, "shift report sent — not confirmed: the printer at %s did not answer after it\n", target)
	} else {
		fmt.Fprintf(stderr, "printed the shift report to %s\n", target)
	}
	if !com.jsonOut {
		fmt.Fprintln(stdout)
		fmt.Fprint(stdout, printer.DecodeText(page, layout.Profile.Cols()))
	}
	return exitDone
}

// shiftReport lays pos's totals out for the printer (pos owns the sums).
func shiftReport(t pos.ShiftTotals, merchant, store, register, cashier string, lang printer.Lang, demo bool, now time.Time) printer.ShiftReport {
	r := printer.ShiftReport{
		Merchant: merchant, Store: store, Register: register, Cashier: cashier,
		From: t.Since.Local(), Printed: now.Local(),
		Sales:     printer.Total{Count: t.Total.Sales.Count, Amount: t.Total.Sales.Amount},
		Refunds:   printer.Total{Count: t.Total.Refunds.Count, Amount: t.Total.Refunds.Amount},
		Revokes:   printer.Total{Count: t.Total.Revokes.Count, Amount: t.Total.Revokes.Amount},
		Net:       t.Total.Net,
		Unsettled: t.Unsettled.Count,
		CashX:     true, CashExpect: t.Cash.Expected,
		Demo: demo, Lang: lang,
	}
	if !t.Until.IsZero() {
		r.To = t.Until.Local()
	}
	for _, ch := range sortedChannels(t) {
		s := t.ByChannel[ch].Sales
		r.Channels = append(r.Channels, printer.ChannelTotal{ChannelType: strconv.Itoa(int(ch)), Total: printer.Total{Count: s.Count, Amount: s.Amount}})
	}
	return r
}

func sortedChannels(t pos.ShiftTotals) []pos.Channel {
	chs := make([]pos.Channel, 0, len(t.ByChannel))
	for ch := range t.ByChannel {
		chs = append(chs, ch)
	}
	sort.Slice(chs, func(i, k int) bool { return chs[i] < chs[k] })
	return chs
}

func writeShiftTable(w io.Writer, t pos.ShiftTotals) {
	end := "now"
	if !t.Until.IsZero() {
		end = t.Until.Local().Format("2006-01-02 15:04")
	}
	fmt.Fprintf(w, "shift %s – %s: %d charges started\n\n", t.Since.Local().Format("2006-01-02 15:04"), end, t.Attempts)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "CHANNEL\tSALES\tAMOUNT\tREFUNDS\tAMOUNT\tREVOKES\tAMOUNT\tNET\t")
	row := func(name string, c pos.ChannelTotals) {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%d\t%s\t%s\t\n", name, c.Sales.Count, c.Sales.Amount.Yuan(),
			c.Refunds.Count, c.Refunds.Amount.Yuan(), c.Revokes.Count, c.Revokes.Amount.Yuan(), c.Net.Yuan())
	}
	for _, ch := range sortedChannels(t) {
		name := ch.String()
		if ch == pos.ChannelAuto {
			name = "other"
		}
		row(name, t.ByChannel[ch])
	}
	row("total", t.Total)
	tw.Flush()
	fmt.Fprintf(w, "\ndeclined %d (%s) · closed or voided %d (%s) · unsettled %d (%s)\n",
		t.Declined.Count, t.Declined.Amount.Yuan(), t.Closed.Count, t.Closed.Amount.Yuan(), t.Unsettled.Count, t.Unsettled.Amount.Yuan())
	fmt.Fprintf(w, "cash: sales %d (%s) · refunds %d (%s) · expected in the drawer %s\n",
		t.Cash.Sales.Count, t.Cash.Sales.Amount.Yuan(), t.Cash.Refunds.Count, t.Cash.Refunds.Amount.Yuan(), t.Cash.Expected.Yuan())
}

// runShiftClose is `posterm shift close`: the closing (Z) report.
func runShiftClose(e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	fs := flag.NewFlagSet("posterm shift close", flag.ContinueOnError)
	fs.SetOutput(stderr)
	com := addCommon(fs)
	counted := fs.String("counted", "", "the cash counted in the drawer, in yuan (required; 0 when there is no cash)")
	closedBy := fs.String("cashier", "", "who closes the shift (printed and stored)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: posterm shift close --counted YUAN [--cashier NAME] [--json]

Closes this till's shift with a closing (Z) report: numbered per till
(never reused), the totals since the last Z by channel and by cashier,
refunds, revokes, the cash expected against the cash counted (the
difference is recorded), and the unsettled charges carried over, named.
Refused while money is in flight or a payment's outcome is unknown: the
charges and refunds are listed (settle them with posterm reconcile). The
report is stored in the journal and queued for the printer in the same
transaction; the register prints it. The next sale opens the next shift.
posterm shift --z N shows (--print: reprints, marked) a past one.

Flags:
`)
		fs.PrintDefaults()
	}
	if code, failed := flagsFailed(fs.Parse(args)); failed {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(stderr, "shift close", fmt.Sprintf("unexpected argument %q", fs.Arg(0)), fs.Usage)
	}
	if *counted == "" {
		return usageError(stderr, "shift close", "--counted is required (the cash in the drawer; 0 for none)", fs.Usage)
	}
	cash, err := pos.ParseYuan(*counted)
	if err != nil {
		return usageError(stderr, "shift close", fmt.Sprintf("--counted: %v", err), fs.Usage)
	}
	ctx, stop := e.interruptContext()
	defer stop()
	cfg, err := com.load()
	if err != nil {
		return fail(stderr, "shift close", err)
	}
	logger, closeLog, err := openLog(cfg.Log, stderr)
	if err != nil {
		return fail(stderr, "shift close", err)
	}
	defer closeLog()
	j, err := offline.Open(cfg.Journal.Path, offline.Options{Logger: logger})
	if err != nil {
		return fail(stderr, "shift close", err)
	}
	defer j.Close()
	till, err := registerPrefix(cfg.Register)
	if err != nil {
		return fail(stderr, "shift close", err)
	}
	layout, err := layoutFrom(cfg.Printer)
	if err != nil {
		return fail(stderr, "shift close", err)
	}
	z, page, err := closeShift(ctx, cfg, layout, j, till, *closedBy, cash, time.Now())
	if err != nil {
		return fail(stderr, "shift close", err)
	}
	if com.jsonOut {
		if err := writeJSON(stdout, z); err != nil {
			return fail(stderr, "shift close", err)
		}
		return exitDone
	}
	fmt.Fprintf(stdout, "closed the shift: Z %d of till %s (queued for the printer)\n\n", z.Number, till)
	fmt.Fprint(stdout, printer.DecodeText(page, layout.Profile.Cols()))
	return exitDone
}

// closeShift closes the till's shift (pos.CloseShift), renders the Z
// report and stores it with its print job in one transaction (CloseZ):
// `posterm shift close` and the register's shift-close screen.
func closeShift(ctx context.Context, cfg config.Config, layout printer.Layout, j *offline.Journal, till, closedBy string,
	counted pos.Money, now time.Time) (pos.ZReport, []byte, error) {
	z, err := pos.CloseShift(ctx, j, j, till, closedBy, counted, now)
	if err != nil {
		return z, nil, err
	}
	page, err := layout.ShiftReport(zReport(z, cfg.Register.Merchant, cfg.Register.Store, langFrom(cfg.UI.Lang), cfg.Sandbox.Enabled, false))
	if err != nil {
		return z, nil, err
	}
	if err := j.CloseZ(ctx, z, &pos.PrintJob{Kind: pos.ReceiptShift, Data: page}); err != nil {
		return z, nil, err
	}
	return z, page, nil
}

// showZ shows a stored Z report; with print it queues a reprint, marked.
func showZ(ctx context.Context, cfg config.Config, j *offline.Journal, n int, print, jsonOut bool, stdout, stderr io.Writer) int {
	till, err := registerPrefix(cfg.Register)
	if err != nil {
		return fail(stderr, "shift", err)
	}
	z, err := j.GetZ(ctx, till, n)
	if err != nil {
		return fail(stderr, "shift", err)
	}
	layout, err := layoutFrom(cfg.Printer)
	if err != nil {
		return fail(stderr, "shift", err)
	}
	page, err := layout.ShiftReport(zReport(z, cfg.Register.Merchant, cfg.Register.Store, langFrom(cfg.UI.Lang), cfg.Sandbox.Enabled, print))
	if err != nil {
		return fail(stderr, "shift", err)
	}
	if print {
		if _, err := j.Add(ctx, pos.PrintJob{Kind: pos.ReceiptShift, Reprint: true, Data: page}); err != nil {
			return fail(stderr, "shift", err)
		}
		fmt.Fprintf(stderr, "Z %d queued for the printer, marked REPRINT\n", n)
	}
	if jsonOut {
		if err := writeJSON(stdout, z); err != nil {
			return fail(stderr, "shift", err)
		}
		return exitDone
	}
	fmt.Fprint(stdout, printer.DecodeText(page, layout.Profile.Cols()))
	return exitDone
}

// zReport lays a Z report out for the printer.
func zReport(z pos.ZReport, merchant, store string, lang printer.Lang, demo, reprint bool) printer.ShiftReport {
	r := shiftReport(z.Totals, merchant, store, z.Till, z.ClosedBy, lang, demo, z.Until)
	r.Final, r.Number, r.Reprint = true, z.Number, reprint
	r.Shift = fmt.Sprintf("%s-Z%d", z.Till, z.Number)
	r.To = z.Until.Local()
	r.Unsettled = len(z.CarriedOver)
	r.Cash, r.CashExpect, r.CashCounted = true, z.CashExpected, z.CashCounted
	names := make([]string, 0, len(z.ByCashier))
	for c := range z.ByCashier {
		names = append(names, c)
	}
	sort.Strings(names)
	for _, c := range names {
		t := z.ByCashier[c]
		r.ByCashier = append(r.ByCashier, printer.CashierTotal{Cashier: pos.CleanText(c), Total: printer.Total{Count: t.Count, Amount: t.Amount}})
	}
	for _, c := range z.CarriedOver {
		r.CarriedOver = append(r.CarriedOver, pos.CleanText(string(c)))
	}
	return r
}
