package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"posterm/pos"
)

func init() {
	register(command{
		name:    "refund",
		summary: "refund part or all of a paid charge, with a manager's login",
		runEnv:  runRefund,
	})
}

func runRefund(e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	fs := flag.NewFlagSet("posterm refund", flag.ContinueOnError)
	fs.SetOutput(stderr)
	com := addCommon(fs)
	creds := addCredentials(fs, "the approving manager's")
	amount := fs.String("amount", "", "the amount to refund in yuan, at most what remains (required)")
	reason := fs.String("reason", "", "why: REFUND_SUBJECT, printed on the slip and kept in the journal (required)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: posterm refund CHARGE_CODE --amount 1.00 --reason TEXT [--user NAME] [--password PW] [--json]

Refunds part or all of a paid charge of this register's journal
(sosopay.trade.refund, WIRE.md §4.6). A refund needs refund permission
(userType 2) from a manager of the configured merchant whose company allows
refunds at the store: their login comes from --user/--password, else
POSTERM_USER/POSTERM_PASSWORD, else a prompt on the terminal (the password is
not echoed, never printed and never logged). With [register] oper_id set,
oper_id is recorded as the cashier and the manager as the approver; without
it the manager is both.

The OUT_REFUND_NO is journaled before the refund is sent and reused on every
retry, so an unanswered refund is finished by 'posterm reconcile' without
ever refunding twice. Refunds still in flight count against what remains.

Exit codes: 0 refunded; 2 refused (by the gateway, no permission, login
refused, more than remains, charge not paid); 3 no answer, queued for the
reconciler; 1 usage or local error (not in the journal, a bad amount).

Flags:
`)
		fs.PrintDefaults()
	}
	code, exit, ok := chargeCodeArg(fs, args, "refund", stderr)
	if !ok {
		return exit
	}
	if *amount == "" || strings.TrimSpace(*reason) == "" {
		return usageError(stderr, "refund", "--amount and --reason are required", fs.Usage)
	}
	amt, err := pos.ParseYuan(*amount)
	if err != nil {
		return fail(stderr, "refund", fmt.Errorf("--amount: %w", err))
	}
	ctx, stop := e.interruptContext()
	defer stop()
	a, done, err := openApp(ctx, com, stderr, noNotify)
	if err != nil {
		return fail(stderr, "refund", err)
	}
	defer done()
	if _, err := a.journal.Get(ctx, code); errors.Is(err, pos.ErrNotFound) {
		// Made at another till of the store? The hub has it (cmd_outbox.go).
		if herr := a.importFromHub(ctx, code, a.cfg.Register.OperID); errors.Is(herr, errNoHub) {
			return fail(stderr, "refund", fmt.Errorf("%s is not in this register's journal", code))
		} else if herr != nil {
			return fail(stderr, "refund", fmt.Errorf("%s is not in this register's journal (store hub: %v)", code, herr))
		}
	} else if err != nil {
		return fail(stderr, "refund", err)
	}
	cashier, approver, rc, err := managerApproval(ctx, a, creds, e)
	if err != nil {
		fmt.Fprintf(stderr, "posterm refund: %s\n", errText(err))
		return rc
	}
	r, err := a.checkout.Refund(ctx, pos.RefundInput{ChargeCode: code, Amount: amt, Reason: strings.TrimSpace(*reason),
		Cashier: cashier, Approver: approver})
	if err != nil && r.OutRefundNo == "" {
		fmt.Fprintf(stderr, "posterm refund: %s\n", errText(err))
		return refundErrExit(err)
	}
	if err != nil { // journaled, then a journal failure: the reconciler retries it
		fmt.Fprintf(stderr, "posterm refund: %s\n", errText(err))
		if cur, gerr := a.journal.GetRefund(context.WithoutCancel(ctx), r.OutRefundNo); gerr == nil {
			r = cur
		}
	}
	tx, _ := a.journal.Get(context.WithoutCancel(ctx), code)
	if com.jsonOut {
		if err := writeJSON(stdout, inert(refundResult{Refund: r, Transaction: tx})); err != nil {
			return fail(stderr, "refund", err)
		}
	} else {
		fmt.Fprintln(stdout, refundLine(inert(r), inert(tx)))
	}
	switch r.State {
	case pos.RefundDone:
		return exitDone
	case pos.RefundRefused:
		return exitRefused
	}
	return exitUnknown
}

// refundResult is the --json form of a refund: the refund and its charge
// after it.
type refundResult struct {
	Refund      pos.Refund      `json:"refund"`
	Transaction pos.Transaction `json:"transaction"`
}

func refundLine(r pos.Refund, tx pos.Transaction) string {
	by := r.Cashier
	if r.Approver != "" {
		by += ", approved by " + r.Approver
	}
	switch r.State {
	case pos.RefundDone:
		return fmt.Sprintf("refunded ¥%s of %s (%s; refund %s); ¥%s remains", r.Amount.Yuan(), r.ChargeCode, by, r.OutRefundNo, tx.Remaining().Yuan())
	case pos.RefundRefused:
		return fmt.Sprintf("refund refused: %s — nothing was refunded of %s", strings.TrimSpace(r.ResultCode+" "+r.ResultInfo), r.ChargeCode)
	}
	return fmt.Sprintf("refund %s of ¥%s not confirmed yet: queued for the reconciler ('posterm reconcile'), which retries it with the same OUT_REFUND_NO",
		r.OutRefundNo, r.Amount.Yuan())
}

// refundErrExit is the exit code of a refund or revoke refused before it
// was sent.
func refundErrExit(err error) int {
	for _, e := range []error{pos.ErrNotPermitted, pos.ErrRefundNotAtScene, pos.ErrWrongMerchant,
		pos.ErrNotRefundable, pos.ErrExceedsRemaining, pos.ErrNotRevocable} {
		if errors.Is(err, e) {
			return exitRefused
		}
	}
	return exitLocal
}
