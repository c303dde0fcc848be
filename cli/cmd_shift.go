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

	"posterm/offline"
	"posterm/pos"
	"posterm/printer"
)

func init() {
	register(command{
		name:    "shift",
		summary: "the shift (X) report: takings by channel, refunds, revokes; --print puts it on paper",
		run:     runShift,
	})
}

func runShift(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("posterm shift", flag.ContinueOnError)
	fs.SetOutput(stderr)
	com := addCommon(fs)
	since := fs.String("since", "", "start of the shift: DATE (YYYY-MM-DD, local) or RFC 3339 TIME (default: today 00:00)")
	until := fs.String("until", "", "end of the shift, exclusive (default: now)")
	print := fs.Bool("print", false, "also print the report on the configured printer")
	cashier := fs.String("cashier", "", "name printed as the report's cashier")
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
	now := time.Now()
	from := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.Local)
	to := time.Time{}
	var err error
	if *since != "" {
		if from, err = parseSince(*since); err != nil {
			return fail(stderr, "shift", err)
		}
	}
	if *until != "" {
		if to, err = parseSince(*until); err != nil {
			return fail(stderr, "shift", fmt.Errorf("--until: %w", err))
		}
	}
	ctx, stop := interruptContext()
	defer stop()
	cfg, err := com.load()
	if err != nil {
		return fail(stderr, "shift", err)
	}
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

	totals, err := pos.Shift(ctx, j, from, to)
	if err != nil {
		return fail(stderr, "shift", err)
	}
	if com.jsonOut {
		if err := writeJSON(stdout, totals); err != nil {
			return fail(stderr, "shift", err)
		}
	} else {
		writeShiftTable(stdout, totals)
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
	if err := tr.Close(); err != nil {
		return fail(stderr, "shift", fmt.Errorf("print: %w", err))
	}
	fmt.Fprintf(stderr, "printed the shift report to %s\n", target)
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
		Demo:      demo, Lang: lang,
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
}
