package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"posterm/pos"
)

// A charge's outcome as the payment commands (pay, precreate, cancel)
// report it: exit code, JSON or one line, progress lines.

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
