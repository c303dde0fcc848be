package pos

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// ZReport is a closed shift of one till: its totals, who closed it, the
// cash counted against the cash expected, and what was still unsettled
// (carried over to the next shift). Numbered per till.
type ZReport struct {
	Till      string           `json:"till"`
	Number    int              `json:"number"`
	Since     time.Time        `json:"since"` // the previous Z's Until (zero for the first)
	Until     time.Time        `json:"until"` // when it was closed
	ClosedBy  string           `json:"closed_by"`
	Totals    ShiftTotals      `json:"totals"`
	ByCashier map[string]Tally `json:"by_cashier"` // paid sales by cashier
	// CashExpected is what the drawer should hold from this shift: cash
	// sales less cash refunds. CashCounted is what the cashier counted;
	// Difference = CashCounted − CashExpected.
	CashExpected Money        `json:"cash_expected_fen"`
	CashCounted  Money        `json:"cash_counted_fen"`
	Difference   Money        `json:"difference_fen"`
	CarriedOver  []ChargeCode `json:"carried_over"` // unsettled, named, left to the next shift
}

// ErrShiftBusy: the shift cannot close while money is in flight or a
// payment's outcome is unknown; the error names them.
var ErrShiftBusy = errors.New("money in flight or an outcome unknown")

// ShiftBusyError names what keeps a shift from closing, sorted. It
// unwraps to ErrShiftBusy.
type ShiftBusyError struct{ Busy []BusyItem }

// BusyItem is a charge (OutRefundNo "") or a refund of it in flight or
// whose outcome is unknown, in State (a State or a RefundState).
type BusyItem struct {
	ChargeCode  ChargeCode
	OutRefundNo string
	State       string
}

func (b BusyItem) String() string {
	if b.OutRefundNo != "" {
		return fmt.Sprintf("refund %s of %s (%s)", b.OutRefundNo, b.ChargeCode, b.State)
	}
	return fmt.Sprintf("%s (%s)", b.ChargeCode, b.State)
}

func (e *ShiftBusyError) Error() string {
	parts := make([]string, len(e.Busy))
	for i, b := range e.Busy {
		parts[i] = b.String()
	}
	return fmt.Sprintf("%v: %s", ErrShiftBusy, strings.Join(parts, ", "))
}

func (e *ShiftBusyError) Unwrap() error { return ErrShiftBusy }

// CloseShift closes the till's shift at now: refused (ErrShiftBusy, the
// charges and refunds named) while a charge or refund is being sent or
// its outcome is unknown, or a revoke is in flight; otherwise the totals
// of (last Z, now], by channel and by cashier, cash expected against
// counted, and the unsettled rows carried over. The report is returned,
// not stored: the caller renders it and stores it with ZStore.CloseZ.
func CloseShift(ctx context.Context, j Journal, zs ZStore, till, closedBy string, counted Money, now time.Time) (ZReport, error) {
	z := ZReport{Till: till, Number: 1, Until: now, ClosedBy: closedBy, CashCounted: counted, ByCashier: map[string]Tally{}}
	last, err := zs.LastZ(ctx, till)
	switch {
	case err == nil:
		z.Number, z.Since = last.Number+1, last.Until
	case !errors.Is(err, ErrNotFound):
		return ZReport{}, fmt.Errorf("close shift: %w", err)
	}
	var busy []BusyItem
	open, err := j.List(ctx, Filter{Unsettled: true})
	if err != nil {
		return ZReport{}, fmt.Errorf("close shift: %w", err)
	}
	for _, t := range open {
		switch {
		case t.State == StateSending || t.State == StateUnknown || (t.State == StatePaid && t.GiveUp):
			busy = append(busy, BusyItem{ChargeCode: t.ChargeCode, State: string(t.State)})
		default:
			z.CarriedOver = append(z.CarriedOver, t.ChargeCode)
		}
	}
	rs, err := j.ListRefunds(ctx, RefundFilter{Unsettled: true})
	if err != nil {
		return ZReport{}, fmt.Errorf("close shift: %w", err)
	}
	for _, r := range rs {
		busy = append(busy, BusyItem{ChargeCode: r.ChargeCode, OutRefundNo: r.OutRefundNo, State: string(r.State)})
	}
	if len(busy) > 0 {
		sort.Slice(busy, func(i, k int) bool { return busy[i].String() < busy[k].String() })
		return ZReport{}, fmt.Errorf("close shift: %w", &ShiftBusyError{Busy: busy})
	}
	if z.Totals, err = Shift(ctx, j, z.Since, now); err != nil {
		return ZReport{}, err
	}
	txs, err := j.List(ctx, Filter{Since: z.Since, Until: now})
	if err != nil {
		return ZReport{}, fmt.Errorf("close shift: %w", err)
	}
	cash := map[ChargeCode]bool{}
	for _, t := range txs {
		switch t.State {
		case StatePaid, StatePartiallyRefunded, StateRefunded, StateRevoked:
			c := z.ByCashier[t.Cashier]
			c.add(t.Amount)
			z.ByCashier[t.Cashier] = c
			if t.Kind == KindCash {
				cash[t.ChargeCode] = true
				z.CashExpected += t.Amount
			}
		}
	}
	refunds, err := j.ListRefunds(ctx, RefundFilter{Since: z.Since, Until: now, States: []RefundState{RefundDone}})
	if err != nil {
		return ZReport{}, fmt.Errorf("close shift: %w", err)
	}
	for _, r := range refunds {
		if cash[r.ChargeCode] {
			z.CashExpected -= r.Amount
		} else if t, err := j.Get(ctx, r.ChargeCode); err == nil && t.Kind == KindCash {
			z.CashExpected -= r.Amount
		}
	}
	z.Difference = z.CashCounted - z.CashExpected
	return z, nil
}
