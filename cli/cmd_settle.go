package cli

import (
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"posterm/pos"
)

func init() {
	register(command{
		name:    "settle",
		summary: "compare a day of the journal with the gateway's batch query; correct what changed at the gateway",
		runEnv:  runSettle,
	})
}

// gatewayZone is the calendar of the gateway's batch query (WIRE.md §4.7:
// Shanghai days: the gateway's calendar, whatever the shop's zone).
// China keeps no daylight saving time, so a fixed zone needs no tzdata.
var gatewayZone = time.FixedZone("CST", 8*3600)

func runSettle(e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	fs := flag.NewFlagSet("posterm settle", flag.ContinueOnError)
	fs.SetOutput(stderr)
	com := addCommon(fs)
	date := fs.String("date", "", "the day to settle, YYYY-MM-DD (default: today, Shanghai time)")
	all := fs.Bool("all", false, "also compare charges of other tills of the merchant (default: only this register's charge codes)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: posterm settle [--date YYYY-MM-DD] [--all] [--json]

Compares the journal's charges of one day with the gateway's batch query
(sosopay.trade.batchquery, WIRE.md §4.7), page by page, and lists every
difference: a charge the gateway holds that the journal lacks, a charge the
journal says moved money that the gateway does not list, a state or an
amount that differs (revoked or refunded outside posterm). Where the
gateway's state is final (revoked; refunded in full) the journal is
corrected by an audited "changed at the gateway" transition; everything
else is listed for a person. Rows still unsettled are left to 'posterm
reconcile'. The result is stored in the journal; the register's Unsettled
screen shows the last one.

Exit codes: 0 journal and gateway agree, 2 they differ (corrections
included: settle again to see what remains), 1 local error or no readable
answer from the gateway.

Flags:
`)
		fs.PrintDefaults()
	}
	if code, failed := flagsFailed(fs.Parse(args)); failed {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(stderr, "settle", fmt.Sprintf("unexpected argument %q", fs.Arg(0)), fs.Usage)
	}
	day := pos.SystemClock().Now().In(gatewayZone)
	if *date != "" {
		d, err := pos.ParseDay(*date, gatewayZone)
		if err != nil {
			return usageError(stderr, "settle", err.Error(), fs.Usage)
		}
		day = d
	}
	ctx, stop := e.interruptContext()
	defer stop()
	a, done, err := openApp(ctx, com, stderr, noNotify)
	if err != nil {
		return fail(stderr, "settle", err)
	}
	defer done()
	cfg := pos.SettlerConfig{Gateway: a.gw, Journal: a.journal, Store: a.journal, Zone: gatewayZone,
		Timings: a.timings, Logger: a.log.With("subsystem", "settle"), Who: "settle"}
	if !*all {
		codes := a.checkout.ChargeCodes()
		cfg.Mine = func(c pos.ChargeCode) bool { return codes.Valid(ctx, string(c)) == nil }
	}
	s, err := pos.NewSettler(cfg)
	if err != nil {
		return fail(stderr, "settle", err)
	}
	res, err := s.Settle(ctx, day)
	if err != nil {
		return fail(stderr, "settle", err)
	}
	if com.jsonOut {
		if err := writeJSON(stdout, res); err != nil {
			return fail(stderr, "settle", err)
		}
	} else {
		printSettlement(stdout, res)
	}
	if res.Agree {
		return exitDone
	}
	return exitRefused
}

func printSettlement(w io.Writer, s pos.Settlement) {
	fmt.Fprintf(w, "settlement of %s: %d charges at the gateway, %d in the journal (%d unsettled, left to reconcile)",
		s.Date, s.Gateway, s.Journal, s.Unsettled)
	if s.Others > 0 {
		fmt.Fprintf(w, ", %d of other tills not compared", s.Others)
	}
	fmt.Fprintln(w)
	if s.Agree {
		fmt.Fprintln(w, "journal and gateway agree")
		return
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHARGE CODE\tDIFFERENCE\tJOURNAL\tGATEWAY\tCORRECTED\tNOTE")
	for _, d := range s.Differences {
		j := "-"
		if d.Journal != "" {
			j = fmt.Sprintf("%s ¥%s", d.Journal, d.JournalAmount.Yuan())
			if d.JournalRefunded > 0 {
				j += fmt.Sprintf(" (refunded ¥%s)", d.JournalRefunded.Yuan())
			}
		}
		g := "-"
		if d.GatewayState >= 0 {
			g = fmt.Sprintf("STATE %d ¥%s", d.GatewayState, d.GatewayAmount.Yuan())
		}
		c := "no"
		if d.Corrected {
			c = "→ " + string(d.To)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", pos.CleanText(string(d.ChargeCode)), d.Kind, j, g, c, pos.CleanText(d.Note))
	}
	tw.Flush()
	fmt.Fprintf(w, "%d differences, %d corrected in the journal\n", len(s.Differences), s.Corrected)
}
