package pos

// The sale gate: at most one attempt per sale may end paid.
//
// A sale (Transaction.SaleID) may start a new charge attempt only when none
// of its earlier attempts holds the gate. An attempt holds it while it is
// paid for the sale (paid, partially or wholly refunded, and not given up),
// or while it is unsettled and the cashier has not acknowledged that it will
// be revoked if it went through (AcknowledgeRevoke sets AckedBy). A declined,
// closed, revoked or voided attempt, or an acknowledged one, releases it.
//
// The journal enforces the gate: CreateTransaction checks it in the same
// SQL transaction that inserts the row, so two processes (two `posterm pay
// --sale S`, the register and a headless command) cannot both pass it
// (issue 8, case 2). Checkout.gate reads it first only to give the cashier
// the precise reason (ErrSalePaid, SaleOpenError) and to refuse a second
// charge already flying in this process (ErrInFlight).

// PaidForSale reports whether t is the attempt that paid its sale: paid,
// partially or wholly refunded, and not given up (a given-up paid charge
// is being revoked).
func (t Transaction) PaidForSale() bool {
	if t.GiveUp {
		return false
	}
	switch t.State {
	case StatePaid, StatePartiallyRefunded, StateRefunded:
		return true
	}
	return false
}

// BlocksSale reports whether t is an attempt that may still end paid
// unnoticed: unsettled and not acknowledged by a cashier.
func (t Transaction) BlocksSale() bool { return t.Unsettled() && t.AckedBy == "" }

// HoldsSaleGate reports whether t keeps a new attempt of its sale from
// starting (PaidForSale or BlocksSale).
func (t Transaction) HoldsSaleGate() bool {
	return t.SaleID != "" && (t.PaidForSale() || t.BlocksSale())
}
