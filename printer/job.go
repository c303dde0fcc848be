package printer

import (
	"strconv"
	"time"

	"posterm/pos"
)

// Header is what a receipt shows besides its snapshot: who prints it and
// how. The register fills it from its configuration.
type Header struct {
	Merchant string
	Store    string
	Register string
	Demo     bool           // the embedded sandbox: every slip says DEMO
	Lang     Lang           // label language
	Zone     *time.Location // the shop's zone, for times on paper; UTC when nil
}

// RenderJob renders a queued job: its bytes as stored, or its receipt
// snapshot with h (marked REPRINT when j.Reprint). The error is about QR
// encoding only when bytes come back too.
func (l Layout) RenderJob(h Header, j Job) ([]byte, error) {
	if len(j.Data) > 0 || j.Receipt == nil {
		return j.Data, nil
	}
	r := ReceiptOf(h, *j.Receipt)
	r.Reprint = r.Reprint || j.Reprint
	if j.Reprint {
		r.Cash = false
	}
	if r.Time.IsZero() {
		r.Time = j.Created.In(zoneOf(h))
	}
	return l.Receipt(r)
}

func zoneOf(h Header) *time.Location {
	if h.Zone == nil {
		return time.UTC
	}
	return h.Zone
}

// ReceiptOf maps a domain receipt snapshot and a header onto what the
// layout prints. Times print in h.Zone.
func ReceiptOf(h Header, rec pos.Receipt) Receipt {
	tx := rec.Transaction
	out := Receipt{
		Kind:     rec.Kind,
		Merchant: h.Merchant, Store: h.Store, Register: h.Register,
		Cashier:    tx.Cashier,
		ChargeCode: string(tx.ChargeCode), ChargeDownCode: tx.ChargeDownCode,
		Amount: tx.Amount, State: string(tx.State), PaymentCode: tx.MaskedCode,
		Approver: rec.Approver,
		Cash:     rec.Cash && (rec.Kind == "" || rec.Kind == KindSale || rec.Kind == KindRefund),
		Demo:     h.Demo, Lang: h.Lang,
	}
	if tx.Kind == pos.KindCash {
		out.PaidInCash, out.Tendered, out.Change = true, tx.Tendered, tx.CashChange()
	}
	if tx.Channel != pos.ChannelAuto {
		out.ChannelType = strconv.Itoa(int(tx.Channel))
	}
	for _, fb := range tx.FundBills {
		out.FundBills = append(out.FundBills, FundBill{FundChannel: fb.FundChannel, Amount: fb.Amount})
	}
	at := tx.PaidAt
	switch rec.Kind {
	case pos.ReceiptRefund:
		if rec.Refund != nil {
			out.OutRefundNo, out.RefundAmount = rec.Refund.OutRefundNo, rec.Refund.Amount
			out.Reason = rec.Refund.Reason
			if out.Approver == "" {
				out.Approver = rec.Refund.Approver
			}
			at = rec.Refund.UpdatedAt
		}
	case pos.ReceiptRevoke:
		out.Reason, at = tx.GiveUpReason, tx.UpdatedAt
	}
	if at.IsZero() {
		at = rec.PrintedAt
	}
	if !at.IsZero() {
		out.Time = at.In(zoneOf(h))
	}
	return out
}
