package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"
	"syscall"
	"time"

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

// finishCharge prints the outcome of a pay or precreate and returns its
// exit code. With err set and a row journaled, the row as the journal has
// it now decides.
// jsonOut prints the row with writeJSON (or writeJSONLine for a stream of
// rows, when lines).
func finishCharge(ctx context.Context, a *app, name string, tx pos.Transaction, err error, jsonOut, lines bool, stdout, stderr io.Writer) int {
	if err != nil {
		if tx.ChargeCode == "" {
			fmt.Fprintf(stderr, "posterm %s: %s\n", name, errText(err))
			return chargeErrExit(err)
		}
		fmt.Fprintf(stderr, "posterm %s: %s\n", name, errText(err))
		if cur, gerr := a.journal.Get(ctx, tx.ChargeCode); gerr == nil {
			tx = cur
		}
	}
	tx = inert(tx)
	if jsonOut {
		write := writeJSON
		if lines {
			write = writeJSONLine
		}
		if werr := write(stdout, tx); werr != nil {
			return fail(stderr, name, werr)
		}
	} else {
		fmt.Fprintln(stdout, outcomeLine(tx))
	}
	return exitFor(tx)
}

// chargeErrExit is the exit code of a charge that was refused before
// anything was journaled or sent.
func chargeErrExit(err error) int {
	for _, e := range []error{pos.ErrOverLimit, pos.ErrSalePaid, pos.ErrSaleOpen, pos.ErrInFlight,
		pos.ErrWrongPassword, pos.ErrLoginDisabled, pos.ErrUserDeleted, pos.ErrMerchantUnapproved} {
		if errors.Is(err, e) {
			return exitRefused
		}
	}
	return exitLocal
}

// outcomeLine says in one line what happened to a charge and what to do.
func outcomeLine(tx pos.Transaction) string {
	amt := "¥" + tx.Amount.Yuan()
	switch {
	case tx.State == pos.StatePaid && tx.GiveUp:
		return fmt.Sprintf("paid after the register gave up: %s %s will be revoked by the reconciler ('posterm reconcile'); do not hand over the goods", tx.ChargeCode, amt)
	case tx.Unsettled():
		why := ""
		if tx.LastError != "" {
			why = " (" + tx.LastError + ")"
		}
		return fmt.Sprintf("not settled yet: %s %s is %s%s and queued for the reconciler ('posterm reconcile'); do not hand over the goods until it is paid",
			tx.ChargeCode, amt, tx.State, why)
	case tx.State == pos.StatePaid, tx.State == pos.StatePartiallyRefunded, tx.State == pos.StateRefunded:
		s := fmt.Sprintf("paid %s  %s  %s", amt, tx.ChargeCode, tx.Channel)
		if tx.ChargeDownCode != "" {
			s += "  gateway serial " + tx.ChargeDownCode
		}
		if tx.State != pos.StatePaid {
			s += fmt.Sprintf("  (%s: %s refunded)", tx.State, tx.Refunded.Yuan())
		}
		return s
	case tx.State == pos.StateDeclined:
		return fmt.Sprintf("declined: %s — %s %s was not charged", strings.TrimSpace(tx.ResultCode+" "+tx.ResultInfo), tx.ChargeCode, amt)
	case tx.State == pos.StateClosed:
		return fmt.Sprintf("not paid: %s %s was closed at the gateway (%s)", tx.ChargeCode, amt, firstNonEmpty(tx.GiveUpReason, tx.ResultInfo, "not confirmed"))
	case tx.State == pos.StateRevoked:
		return fmt.Sprintf("not paid: %s %s was revoked (%s); anything taken is returned in full", tx.ChargeCode, amt, firstNonEmpty(tx.GiveUpReason, "cancelled"))
	case tx.State == pos.StateVoided:
		return fmt.Sprintf("not paid: the gateway never took %s %s; its serial is now void (%s)", tx.ChargeCode, amt, firstNonEmpty(tx.GiveUpReason, "cancelled"))
	}
	return fmt.Sprintf("%s %s: %s", tx.ChargeCode, amt, tx.State)
}

// progressLine is one progress event for stderr.
func progressLine(p pos.Progress) string {
	r := func(d time.Duration) time.Duration { return d.Round(100 * time.Millisecond) }
	switch p.Phase {
	case pos.PhaseSending:
		return fmt.Sprintf("%s: sent; waiting for the gateway (Ctrl-C cancels)", p.ChargeCode)
	case pos.PhaseQuerying:
		return fmt.Sprintf("%s: no answer yet after %s; %d queries so far, next in %s; cancels in %s",
			p.ChargeCode, r(p.Elapsed), p.Queries, r(p.NextQuery), r(p.GiveUpIn))
	case pos.PhaseWaiting:
		return fmt.Sprintf("%s: waiting for the customer to scan and pay; QR expires in %s (Ctrl-C cancels)", p.ChargeCode, r(p.GiveUpIn))
	case pos.PhaseCancelling:
		return fmt.Sprintf("%s: giving up after %s: cancelling", p.ChargeCode, r(p.Elapsed))
	}
	return fmt.Sprintf("%s: %s", p.ChargeCode, p.Phase)
}

// ---------------------------------------------------------------------------
// Waiting on a charge: the console and Ctrl-C. Shared with precreate.

// console writes progress lines to stderr from one goroutine, so that the
// checkout's progress callback never blocks: when the writer falls behind,
// lines are dropped.
type console struct {
	ch     chan string
	done   chan struct{}
	mu     sync.Mutex
	closed bool
}

func newConsole(w io.Writer) *console {
	c := &console{ch: make(chan string, 64), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for s := range c.ch {
			fmt.Fprintln(w, s)
		}
	}()
	return c
}

// say queues a line; it never blocks. Lines said after close are dropped.
func (c *console) say(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	select {
	case c.ch <- s:
	default:
	}
}

// close writes what is queued and stops the console. Safe to call again.
func (c *console) close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.ch)
	}
	c.mu.Unlock()
	<-c.done
}

// interruptWatch turns signals into the register's actions: the first
// Ctrl-C aborts the charge (abort = cancel), as soon as its code is known;
// a second Ctrl-C or a SIGTERM ends the command's context, which leaves
// the charge unsettled for the reconciler.
type interruptWatch struct {
	codes    chan pos.ChargeCode
	quit     chan struct{}
	stopped  chan struct{}
	once     sync.Once
	mu       sync.Mutex
	wasAbort bool
}

func watchInterrupts(e *env, cancel context.CancelFunc, abort func(pos.ChargeCode) error, con *console) *interruptWatch {
	w := &interruptWatch{codes: make(chan pos.ChargeCode, 4), quit: make(chan struct{}), stopped: make(chan struct{})}
	sig, stopSig := e.Interrupts()
	go func() {
		defer close(w.stopped)
		defer stopSig()
		var code pos.ChargeCode
		var retry <-chan time.Time
		tryAbort := func() {
			retry = nil
			if code == "" {
				return
			}
			if err := abort(code); errors.Is(err, pos.ErrNotInFlight) {
				// Between two calls of one charge (precreate → await):
				// try again until the next one is running.
				retry = time.After(20 * time.Millisecond)
			}
		}
		for {
			select {
			case <-w.quit:
				return
			case c := <-w.codes:
				code = c
				if w.aborted() {
					tryAbort()
				}
			case <-retry:
				tryAbort()
			case s := <-sig:
				if s == syscall.SIGTERM || w.aborted() {
					con.say("stopping without waiting: the charge is left to the reconciler ('posterm reconcile')")
					cancel()
					continue
				}
				w.mu.Lock()
				w.wasAbort = true
				w.mu.Unlock()
				con.say("cancelling the charge… (Ctrl-C again: stop waiting, leave it to the reconciler)")
				tryAbort()
			}
		}
	}()
	return w
}

// charge tells the watch which charge a Ctrl-C aborts.
func (w *interruptWatch) charge(code pos.ChargeCode) {
	select {
	case w.codes <- code:
	default:
	}
}

// aborted reports whether Ctrl-C was pressed.
func (w *interruptWatch) aborted() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.wasAbort
}

// stop ends the watch and restores the default signal handling.
func (w *interruptWatch) stop() {
	w.once.Do(func() { close(w.quit) })
	<-w.stopped
}
