package cli

import (
	"context"
	"flag"
	"fmt"

	"posterm/pos"
)

func init() {
	register(command{
		name:    "pay",
		summary: "charge a customer's wallet payment code (merchant-scan) and wait for the outcome",
		runEnv:  runPay,
	})
}

func runPay(e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	fs := flag.NewFlagSet("posterm pay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	com := addCommon(fs)
	creds := addCredentials(fs, "the cashier's")
	amount := fs.String("amount", "", "the amount in yuan, e.g. 12.34 (required)")
	code := fs.String("code", "", "the customer's wallet payment code: 16–24 digits (required)")
	subject := fs.String("subject", "", "PAY_SUBJECT shown in the customer's wallet (default: the store's name, else \"posterm\")")
	sale := fs.String("sale", "", "the sale this charge is for: a new charge of a sale starts only once its earlier\n"+
		"ones are known not paid (default: a new sale)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: posterm pay --amount 12.34 --code CODE [--subject S] [--sale ID] [--json]

Charges a wallet payment code (sosopay.trade.pay, WIRE.md §4.2) the way the
register does: the charge is journaled before it is sent; with no answer the
register queries until it knows, and past checkout.give_up_after it cancels
(a payment that went through anyway is revoked). Progress goes to stderr.

Ctrl-C aborts: the charge is cancelled (revoked if it was paid). A second
Ctrl-C, or SIGTERM, stops waiting and leaves the charge to the reconciler.

Cashier: the login of --user/--password (or POSTERM_USER/POSTERM_PASSWORD; the
password is prompted on a terminal when only the user is given), which also
checks the merchant's amount limit; without a user, [register] oper_id takes
the payment without logging in (the gateway enforces its own limit).

The receipt is queued in the journal; the register's spooler prints it.

Output: one line saying what happened; with --json the journal row.
Exit codes: 0 paid; 2 not paid (declined, closed, revoked, voided) or refused
before sending (over the amount limit, an earlier charge of the sale open or
paid, login refused); 3 outcome unknown, queued for the reconciler
('posterm reconcile'); 1 usage or local error (a code that is not a wallet
code, a bad amount: nothing is sent).

Flags:
`)
		fs.PrintDefaults()
	}
	if code, failed := flagsFailed(fs.Parse(args)); failed {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(stderr, "pay", fmt.Sprintf("unexpected argument %q", fs.Arg(0)), fs.Usage)
	}
	if *amount == "" || *code == "" {
		return usageError(stderr, "pay", "--amount and --code are required", fs.Usage)
	}
	amt, err := pos.ParseYuan(*amount)
	if err != nil {
		return fail(stderr, "pay", fmt.Errorf("--amount: %w", err))
	}
	// Checked here too so that a mistyped code never opens anything.
	if err := pos.ValidWalletCode(*code); err != nil {
		return fail(stderr, "pay", fmt.Errorf("--code: %w", err))
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, done, err := openApp(ctx, com, stderr, noNotify) // notifications are for QR payments
	if err != nil {
		return fail(stderr, "pay", err)
	}
	defer done()
	con := newConsole(stderr)
	defer con.close()
	watch := watchInterrupts(e, cancel, a.checkout.Abort, con)
	defer watch.stop()

	cashier, rc, err := cashierFor(ctx, a, creds, e)
	if err != nil {
		con.close()
		fmt.Fprintf(stderr, "posterm pay: %s\n", errText(err))
		return rc
	}
	if watch.aborted() {
		con.close()
		fmt.Fprintln(stderr, "posterm pay: interrupted before anything was sent")
		return exitLocal
	}
	tx, err := a.checkout.PayByCode(ctx, pos.PayInput{
		Cashier: cashier, SaleID: *sale, Amount: amt, Code: *code, Subject: *subject,
		Progress: func(p pos.Progress) {
			if p.Phase == pos.PhaseSending {
				watch.charge(p.ChargeCode)
			}
			con.say(progressLine(p))
		},
	})
	watch.stop()
	con.close()
	return finishCharge(context.WithoutCancel(ctx), a, "pay", tx, err, com.jsonOut, false, stdout, stderr)
}
