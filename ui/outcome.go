package ui

import (
	"context"
	"errors"

	tea "github.com/charmbracelet/bubbletea"

	"posterm/pos"
)

// outcome is a finished attempt as the result screen shows it.
type outcome struct {
	Kind  outcomeKind
	Tx    pos.Transaction
	How   payHow
	Draft saleDraft // the sale, to charge again another way
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
