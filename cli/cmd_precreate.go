package cli

import (
	"context"
	"flag"
	"fmt"

	"posterm/pos"
)

func init() {
	register(command{
		name:    "precreate",
		summary: "show a QR for the customer to scan (customer-scan), then wait until it is paid or expires",
		runEnv:  runPrecreate,
	})
}

func runPrecreate(e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	fs := flag.NewFlagSet("posterm precreate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	com := addCommon(fs)
	creds := addCredentials(fs, "the cashier's")
	amount := fs.String("amount", "", "the amount in yuan, e.g. 12.34 (required)")
	channel := fs.String("channel", "", "the wallet the QR is for: alipay or wechat (required)")
	subject := fs.String("subject", "", "PAY_SUBJECT shown in the customer's wallet (default: the store's name, else \"posterm\")")
	sale := fs.String("sale", "", "the sale this charge is for (as pay --sale; default: a new sale)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: posterm precreate --amount 12.34 --channel alipay|wechat [--subject S] [--sale ID] [--json]

Asks the gateway for a QR code (sosopay.trade.precreate, WIRE.md §4.3), the
charge journaled first, and prints its BAR_CODE (the text to show as a QR)
at once on stdout. Then it waits for the customer to pay: it queries every
checkout.query_interval (and takes the gateway's notification when
gateway.notify_listen is set) until the charge is paid, or the QR expires
after checkout.precreate_expiry, when it cancels it. Progress goes to stderr.

Ctrl-C cancels the charge (abort = cancel); a second Ctrl-C, or SIGTERM,
stops waiting and leaves it to the reconciler. Cashier: as for pay
(--user/--password, POSTERM_USER/POSTERM_PASSWORD, else [register] oper_id).

Output: "BAR_CODE <text>" first, then one line saying what happened. With
--json, two JSON lines: the journal row with bar_code (state pending), then
the journal row at the end.
Exit codes: 0 paid; 2 not paid (refused, expired and closed, cancelled);
3 outcome unknown, queued for the reconciler; 1 usage or local error.

Flags:
`)
		fs.PrintDefaults()
	}
	if code, failed := flagsFailed(fs.Parse(args)); failed {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(stderr, "precreate", fmt.Sprintf("unexpected argument %q", fs.Arg(0)), fs.Usage)
	}
	if *amount == "" || *channel == "" {
		return usageError(stderr, "precreate", "--amount and --channel are required", fs.Usage)
	}
	amt, err := pos.ParseYuan(*amount)
	if err != nil {
		return fail(stderr, "precreate", fmt.Errorf("--amount: %w", err))
	}
	ch, err := pos.ParseChannel(*channel)
	if err != nil || ch == pos.ChannelAuto {
		return usageError(stderr, "precreate", fmt.Sprintf("--channel %q: want alipay or wechat", *channel), nil)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, done, err := openApp(ctx, com, stderr, nil)
	if err != nil {
		return fail(stderr, "precreate", err)
	}
	defer done()
	con := newConsole(stderr)
	defer con.close()
	watch := watchInterrupts(e, cancel, a.checkout.Abort, con)
	defer watch.stop()

	cashier, rc, err := cashierFor(ctx, a, creds, e)
	if err != nil {
		con.close()
		fmt.Fprintf(stderr, "posterm precreate: %s\n", errText(err))
		return rc
	}
	tx, err := a.checkout.Precreate(ctx, pos.PrecreateInput{Cashier: cashier, SaleID: *sale, Amount: amt, Channel: ch, Subject: *subject})
	if err != nil || tx.State != pos.StatePending {
		watch.stop()
		con.close()
		return finishCharge(context.WithoutCancel(ctx), a, "precreate", tx, err, com.jsonOut, true, stdout, stderr)
	}
	if com.jsonOut {
		if err := writeJSONLine(stdout, inert(tx)); err != nil {
			return fail(stderr, "precreate", err)
		}
	} else {
		fmt.Fprintf(stdout, "BAR_CODE %s\n", pos.CleanText(tx.BarCode))
		fmt.Fprintf(stdout, "charge %s  ¥%s  %s  expires %s\n", tx.ChargeCode, tx.Amount.Yuan(), tx.Channel,
			tx.ExpiresAt.Local().Format("15:04:05"))
	}
	if watch.aborted() {
		// Ctrl-C while the QR was being made: nobody has seen it yet.
		tx, err = a.checkout.Cancel(ctx, tx.ChargeCode, cashier)
	} else {
		watch.charge(tx.ChargeCode)
		tx, err = a.checkout.Await(ctx, tx.ChargeCode, cashier, func(p pos.Progress) { con.say(progressLine(p)) })
	}
	watch.stop()
	con.close()
	return finishCharge(context.WithoutCancel(ctx), a, "precreate", tx, err, com.jsonOut, true, stdout, stderr)
}
