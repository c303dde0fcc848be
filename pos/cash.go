package pos

import (
	"context"
	"errors"
	"fmt"
)

// ErrShortTender: the cash tendered is less than the amount due.
var ErrShortTender = errors.New("cash tendered is less than the amount")

// CashInput is one cash sale.
type CashInput struct {
	Cashier Cashier
	// SaleID groups attempts of one sale (the sale gate applies: a sale
	// already paid, or with an attempt not confirmed unpaid, is refused);
	// "" starts a new sale whose id is the charge code.
	SaleID   string
	Amount   Money
	Tendered Money // the cash handed over; the change is Tendered − Amount
	Subject  string
}

// PayCash journals a sale paid in cash: no gateway call. The row is
// created final (paid, with Tendered) and its receipt — which opens the
// cash drawer — queued in the same journal transaction, so a crash leaves
// either nothing or a paid sale with its receipt, and the reconciler never
// sees it. err: ErrNoCashier, ErrBadAmount, ErrShortTender, a sale gate
// (ErrSalePaid, ErrSaleOpen, ErrInFlight), or a journal failure.
func (c *Checkout) PayCash(ctx context.Context, in CashInput) (Transaction, error) {
	if in.Cashier.LoginName == "" {
		return Transaction{}, fmt.Errorf("cash: %w", ErrNoCashier)
	}
	for _, m := range []Money{in.Amount, in.Tendered} {
		if m <= 0 || m > maxMoney {
			return Transaction{}, fmt.Errorf("cash: %w: %s", ErrBadAmount, m)
		}
	}
	if in.Tendered < in.Amount {
		return Transaction{}, fmt.Errorf("cash: %w: %s < %s", ErrShortTender, in.Tendered, in.Amount)
	}
	release, err := c.gate(ctx, in.SaleID)
	if err != nil {
		return Transaction{}, fmt.Errorf("cash: %w", err)
	}
	defer release()
	tx, err := c.newTx(ctx, KindCash, in.Cashier, in.SaleID, in.Amount, in.Subject)
	if err != nil {
		return tx, fmt.Errorf("cash: %w", err)
	}
	tx.State, tx.PaidAt, tx.Tendered = StatePaid, tx.CreatedAt, in.Tendered
	ev := Event{Op: "cash", Who: in.Cashier.LoginName, At: tx.CreatedAt,
		Note: fmt.Sprintf("paid in cash: amount %s, tendered %s, change %s", tx.Amount, tx.Tendered, tx.CashChange())}
	if err := c.create(ctx, tx, ev); err != nil {
		if isGateErr(err) {
			return Transaction{}, fmt.Errorf("cash: %w", err)
		}
		return Transaction{}, fmt.Errorf("cash: journal: %w", err)
	}
	c.log.Info("cash", "charge_code", string(tx.ChargeCode), "op", "cash", "amount_fen", int64(tx.Amount),
		"tendered_fen", int64(tx.Tendered))
	return tx, nil
}
