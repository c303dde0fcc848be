package pos

import (
	"context"
	"fmt"
	"time"
)

// Tally is a count and an amount.
type Tally struct {
	Count  int   `json:"count"`
	Amount Money `json:"amount_fen"`
}

func (t *Tally) add(m Money) { t.Count++; t.Amount += m }

// ChannelTotals are one channel's takings.
type ChannelTotals struct {
	Sales   Tally `json:"sales"`   // charges that were paid (revoked ones included)
	Refunds Tally `json:"refunds"` // refunds done
	Revokes Tally `json:"revokes"` // charges revoked in full
	Net     Money `json:"net_fen"` // Sales − Refunds − Revokes
}

// ShiftTotals is the data of an X (running) or Z (closing) report: the
// charges created and refunds made in [Since, Until).
type ShiftTotals struct {
	Since     time.Time                 `json:"since"`
	Until     time.Time                 `json:"until"`
	Attempts  int                       `json:"attempts"` // charges started, whatever their end
	Total     ChannelTotals             `json:"total"`
	ByChannel map[Channel]ChannelTotals `json:"by_channel"`
	Declined  Tally                     `json:"declined"`
	Closed    Tally                     `json:"closed"` // closed or voided: never paid
	Unsettled Tally                     `json:"unsettled"`
	// Cash is what went into and out of the drawer: cash sales paid
	// (KindCash, no channel: counted under ChannelAuto above too) and
	// cash refunds done; Expected = Sales − Refunds, what the drawer
	// should hold from the shift.
	Cash CashTotals `json:"cash"`
}

// CashTotals are the drawer's side of a shift.
type CashTotals struct {
	Sales    Tally `json:"sales"`
	Refunds  Tally `json:"refunds"`
	Expected Money `json:"expected_fen"`
}

// ComputeShift totals the shift's charges and refunds; earlier are charges
// of earlier shifts refunded in this one (read only for their channel).
// Pure: no I/O.
func ComputeShift(since, until time.Time, txs []Transaction, refunds []Refund, earlier []Transaction) ShiftTotals {
	s := ShiftTotals{Since: since, Until: until, ByChannel: map[Channel]ChannelTotals{}}
	channel := map[ChargeCode]Channel{}
	cash := map[ChargeCode]bool{}
	for _, t := range earlier {
		channel[t.ChargeCode] = t.Channel
		cash[t.ChargeCode] = t.Kind == KindCash
	}
	for _, t := range txs {
		s.Attempts++
		channel[t.ChargeCode] = t.Channel
		cash[t.ChargeCode] = t.Kind == KindCash
		ct := s.ByChannel[t.Channel]
		switch {
		case t.Unsettled():
			s.Unsettled.add(t.Amount)
			continue
		case t.State == StateDeclined:
			s.Declined.add(t.Amount)
			continue
		case t.State == StateClosed || t.State == StateVoided:
			s.Closed.add(t.Amount)
			continue
		}
		// paid, partially_refunded, refunded, revoked: money came in.
		ct.Sales.add(t.Amount)
		s.Total.Sales.add(t.Amount)
		if t.Kind == KindCash {
			s.Cash.Sales.add(t.Amount)
		}
		if t.State == StateRevoked {
			ct.Revokes.add(t.Amount)
			s.Total.Revokes.add(t.Amount)
		}
		s.ByChannel[t.Channel] = ct
	}
	for _, r := range refunds {
		if r.State != RefundDone {
			continue
		}
		ch := channel[r.ChargeCode] // ChannelAuto when the charge is unknown
		ct := s.ByChannel[ch]
		ct.Refunds.add(r.Amount)
		s.ByChannel[ch] = ct
		s.Total.Refunds.add(r.Amount)
		if cash[r.ChargeCode] {
			s.Cash.Refunds.add(r.Amount)
		}
	}
	s.Cash.Expected = s.Cash.Sales.Amount - s.Cash.Refunds.Amount
	for ch, ct := range s.ByChannel {
		ct.Net = ct.Sales.Amount - ct.Refunds.Amount - ct.Revokes.Amount
		s.ByChannel[ch] = ct
	}
	s.Total.Net = s.Total.Sales.Amount - s.Total.Refunds.Amount - s.Total.Revokes.Amount
	return s
}

// Shift reads the journal and totals [since, until) (zero until = open end).
func Shift(ctx context.Context, j Journal, since, until time.Time) (ShiftTotals, error) {
	txs, err := j.List(ctx, Filter{Since: since, Until: until})
	if err != nil {
		return ShiftTotals{}, fmt.Errorf("shift totals: %w", err)
	}
	rs, err := j.ListRefunds(ctx, RefundFilter{Since: since, Until: until})
	if err != nil {
		return ShiftTotals{}, fmt.Errorf("shift totals: %w", err)
	}
	// Refunds of charges created before the shift still need their channel.
	known := map[ChargeCode]bool{}
	for _, t := range txs {
		known[t.ChargeCode] = true
	}
	var extra []Transaction
	// Charges copied from another till (hub) are not sales here.
	if fc, ok := j.(ForeignCharges); ok {
		foreign, err := fc.ForeignCharges(ctx)
		if err != nil {
			return ShiftTotals{}, fmt.Errorf("shift totals: %w", err)
		}
		own := txs[:0:0]
		for _, t := range txs {
			if _, ok := foreign[t.ChargeCode]; ok {
				extra = append(extra, t)
			} else {
				own = append(own, t)
			}
		}
		txs = own
	}
	for _, r := range rs {
		if !known[r.ChargeCode] {
			known[r.ChargeCode] = true
			if t, err := j.Get(ctx, r.ChargeCode); err == nil {
				extra = append(extra, t)
			}
		}
	}
	return ComputeShift(since, until, txs, rs, extra), nil
}
