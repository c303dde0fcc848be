package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"posterm/pos"
)

func init() {
	register(command{
		name:    "cancel",
		summary: "cancel a charge: close or void an unsettled one, revoke a paid one (manager)",
		runEnv:  runCancel,
	})
}

func runCancel(e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	fs := flag.NewFlagSet("posterm cancel", flag.ContinueOnError)
	fs.SetOutput(stderr)
	com := addCommon(fs)
	creds := addCredentials(fs, "the cashier's (a manager's to revoke a paid charge)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: posterm cancel CHARGE_CODE [--user NAME] [--password PW] [--json]

Gives up on a charge of this register's journal and sends
sosopay.trade.cancel (WIRE.md §4.5), the way the register's abort does:

  - unsettled (unknown, pending QR, a crash leftover): the give-up is
    journaled first, with the cashier recorded as told that the charge will
    be revoked if it went through (a new charge of its sale may then start);
    then the gateway closes it, revokes it if it was paid, or — never having
    seen it — voids its serial. With no answer the reconciler finishes it.
    Cashier: --user/POSTERM_USER (logged in), else [register] oper_id.
  - paid: revoked in full (the money goes back), which needs refund
    permission: a manager's login by --user/--password, POSTERM_USER/
    POSTERM_PASSWORD or a prompt; with [register] oper_id set the cashier is
    oper_id and the manager is recorded as approver.
  - already not paid: nothing to do.

Exit codes: 0 the charge is not paid (closed, revoked, voided, declined);
2 refused (a charge with refunds, no permission, login refused); 3 no
answer yet, queued for the reconciler; 1 usage or local error (not in the
journal).

Flags:
`)
		fs.PrintDefaults()
	}
	code, exit, ok := chargeCodeArg(fs, args, "cancel", stderr)
	if !ok {
		return exit
	}
	ctx, stop := e.interruptContext()
	defer stop()
	a, done, err := openApp(ctx, com, stderr, noNotify)
	if err != nil {
		return fail(stderr, "cancel", err)
	}
	defer done()

	tx, err := a.journal.Get(ctx, code)
	if errors.Is(err, pos.ErrNotFound) {
		return fail(stderr, "cancel", fmt.Errorf("%s is not in this register's journal", code))
	}
	if err != nil {
		return fail(stderr, "cancel", err)
	}
	switch pos.CancelActionFor(tx) {
	case pos.CancelGiveUp:
		cashier, rc, err := cashierFor(ctx, a, creds, e)
		if errors.Is(err, errNoCashier) {
			cashier, err = pos.Cashier{LoginName: "posterm-cli", Role: pos.RoleCashier}, nil
		}
		if err != nil {
			fmt.Fprintf(stderr, "posterm cancel: %v\n", err)
			return rc
		}
		tx, err = a.checkout.AcknowledgeRevoke(ctx, code, cashier)
		if err != nil {
			fmt.Fprintf(stderr, "posterm cancel: %v\n", err)
			if cur, gerr := a.journal.Get(context.WithoutCancel(ctx), code); gerr == nil {
				tx = cur
			}
			if !tx.Unsettled() && !tx.State.NotPaid() {
				return exitRefused
			}
		}
	case pos.CancelRevoke:
		cashier, approver, rc, err := managerApproval(ctx, a, creds, e)
		if err != nil {
			fmt.Fprintf(stderr, "posterm cancel: %v\n", err)
			return rc
		}
		tx, err = a.checkout.Revoke(ctx, code, cashier, approver)
		if err != nil {
			fmt.Fprintf(stderr, "posterm cancel: %v\n", err)
			return refundErrExit(err)
		}
	case pos.CancelNothing:
		if !com.jsonOut {
			fmt.Fprintf(stdout, "nothing to do: %s is already %s\n", code, tx.State)
		} else if err := writeJSON(stdout, tx); err != nil {
			return fail(stderr, "cancel", err)
		}
		return exitDone
	default: // pos.CancelRefuse: partially refunded, refunded
		fmt.Fprintf(stderr, "posterm cancel: %s is %s: a charge with refunds cannot be revoked; refund what remains (¥%s) instead\n",
			code, tx.State, tx.Remaining().Yuan())
		return exitRefused
	}

	if com.jsonOut {
		if err := writeJSON(stdout, tx); err != nil {
			return fail(stderr, "cancel", err)
		}
	} else {
		fmt.Fprintln(stdout, outcomeLine(tx))
	}
	switch tx.Verdict() {
	case pos.VerdictUnknown:
		return exitUnknown
	case pos.VerdictNotPaid:
		return exitDone
	}
	return exitRefused
}
