package ui

import (
	"context"
	"errors"

	tea "github.com/charmbracelet/bubbletea"

	"posterm/pos"
)

// outcomeKind is what the result screen says about a charge.
type outcomeKind int

const (
	outPaid      outcomeKind = iota // money taken
	outDeclined                     // refused by the gateway or the wallet
	outCancelled                    // the cashier cancelled; not charged
	outNotPaid                      // ended unpaid: not confirmed in time, QR expired
	outUnknown                      // not confirmed yet: queued for the reconciler
)

// outcome is a finished attempt as the result screen shows it.
type outcome struct {
	Kind  outcomeKind
	Tx    pos.Transaction
	How   payHow
	Draft saleDraft // the sale, to charge again another way
}

// outcomeOf reads the state a checkout call returned. A charge the register
// gave up on that turns out paid is not kept: it is still unsettled (to be
// revoked), so it shows as not confirmed.
func outcomeOf(tx pos.Transaction, how payHow, d saleDraft, aborted bool) outcome {
	if tx.SaleID != "" {
		d.SaleID = tx.SaleID
	}
	o := outcome{Tx: tx, How: how, Draft: d}
	switch {
	case tx.Unsettled() || tx.State == "":
		o.Kind = outUnknown
	case tx.State == pos.StatePaid || tx.State == pos.StatePartiallyRefunded || tx.State == pos.StateRefunded:
		o.Kind = outPaid
	case tx.State == pos.StateDeclined:
		o.Kind = outDeclined
	case aborted:
		o.Kind = outCancelled
	default:
		o.Kind = outNotPaid
	}
	return o
}

// startErr turns an error that stopped a charge before anything was sent
// into the way back to the sale, with the message the cashier sees. ok is
// false for an error after the charge was journaled (it may have been sent:
// the caller shows it as not confirmed) and for a shutdown.
func startErr(err error, tx pos.Transaction, d saleDraft, cashier pos.Cashier) (msg tea.Msg, ok bool) {
	if tx.ChargeCode != "" || errors.Is(err, context.Canceled) {
		return nil, false
	}
	back := backToSaleMsg{Keep: true, Draft: d}
	var open *pos.SaleOpenError
	switch {
	case errors.As(err, &open):
		back.Open = open.Open
	case errors.Is(err, pos.ErrOverLimit):
		back.Note, back.NoteArgs = "pay.err.overlimit", []any{yuan(cashier.AmountLimit)}
	case errors.Is(err, pos.ErrBadAmount):
		back.Note = "pay.err.amount"
	case errors.Is(err, pos.ErrBadWalletCode):
		back.Note = "pay.err.code"
	case errors.Is(err, pos.ErrSalePaid):
		back.Keep, back.Note = false, "pay.err.salepaid"
	case errors.Is(err, pos.ErrInFlight):
		back.Note = "pay.err.inflight"
	case errors.Is(err, pos.ErrNoCashier):
		back.Note = "pay.err.nocashier"
	case errors.Is(err, pos.ErrBadChannel):
		back.Note = "pay.err.channel"
	default:
		back.Note = "pay.err.journal"
	}
	return back, true
}
