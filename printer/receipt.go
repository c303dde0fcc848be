package printer

import (
	"strings"
	"time"

	"posterm/pos"
)

// FundBill is one line of FUND_BILL_LIST (WIRE.md §3): the fund channel
// code (§7, Appendix 3) and the amount paid from it.
type FundBill struct {
	FundChannel string
	Amount      pos.Money
}

// Receipt is what a sale receipt, refund slip or revoke slip shows. The
// caller fills it from the journal; printer adds nothing but labels.
type Receipt struct {
	Kind     Kind // "" = sale
	Merchant string
	Store    string
	Register string
	Cashier  string
	Time     time.Time // of the payment, refund or revoke; printed in its own location

	ChargeCode     string     // CHARGE_CODE, the register's order number
	ChargeDownCode string     // CHARGE_DOWN_CODE, the gateway serial
	ChannelType    string     // CHANNEL_TYPE code (WIRE.md §7); named in Lang
	ChannelName    string     // overrides the name of ChannelType when set
	FundBills      []FundBill // FUND_BILL_LIST; may be empty
	Amount         pos.Money  // the charge amount (a revoke slip: the amount revoked)
	State          string     // local state ("paid", "refunded"…) or a text to print as is
	// PaymentCode is the customer's wallet code, masked by the caller.
	// Anything longer than 8 characters is masked again here (MaskCode).
	PaymentCode string

	OutRefundNo  string    // OUT_REFUND_NO of a refund slip
	RefundAmount pos.Money // the amount refunded
	Reason       string    // why it was refunded or revoked
	Approver     string    // the manager who authorised it, if any

	// Cash is the first print of a cash sale or of a cash refund slip: the
	// only receipts that open the drawer (Layout.Drawer). A reprint never
	// does.
	Cash bool
	// PaidInCash marks a cash sale (or a slip of one): the channel prints
	// as cash; Tendered and Change, when Tendered > 0, print under the total.
	PaidInCash bool
	Tendered   pos.Money
	Change     pos.Money

	Copy    Copy // the copy label when Layout.Copies is nil
	Reprint bool // marks the slip "*** 重印 REPRINT ***"
	Demo    bool // marks the slip as a demo, not a real payment
	Lang    Lang // label language: "zh-CN" (default) or "en"
}

// Receipt renders r — every configured copy, each ending in a cut — as
// ESC/POS bytes. The error is about QR encoding only; the bytes are still
// complete without the QR code.
func (l Layout) Receipt(r Receipt) ([]byte, error) {
	copies := l.Copies
	if len(copies) == 0 {
		copies = []Copy{r.Copy}
	}
	var out []byte
	var firstErr error
	for i, c := range copies {
		r.Copy = c
		p := l.newPage(r.Lang)
		if i == 0 && l.Drawer && r.Cash && !r.Reprint && (r.Kind == "" || r.Kind == KindSale || r.Kind == KindRefund) {
			p.Drawer()
		}
		l.receipt(p, r)
		b, err := p.Result()
		if err != nil && firstErr == nil {
			firstErr = err
		}
		out = append(out, b...)
	}
	return out, firstErr
}

func (l Layout) receipt(p *page, r Receipt) {
	p.Start()
	p.demo(r.Demo)
	p.centre(r.Merchant, 2, true)
	p.centre(r.Store, 1, false)
	title := lblSale
	switch r.Kind {
	case KindRefund:
		title = lblRefund
	case KindRevoke:
		title = lblRevoke
	}
	p.centre(p.lbl(title), 1, true)
	switch r.Copy {
	case CopyCustomer:
		p.centre(p.lbl(lblCustomer), 1, false)
	case CopyMerchant:
		p.centre(p.lbl(lblMerchant), 1, false)
	}
	if r.Reprint {
		p.centre(p.lbl(lblReprint), 1, true)
	}
	p.rule()
	p.kv(lblRegister, r.Register)
	p.kv(lblCashier, r.Cashier)
	p.kv(lblTime, fmtTime(r.Time))
	p.kv(lblCharge, r.ChargeCode)
	p.kv(lblDownCode, r.ChargeDownCode)
	if r.Kind == KindRefund {
		p.kv(lblRefundNo, r.OutRefundNo)
	}
	channel := r.ChannelName
	if channel == "" && r.ChannelType != "" {
		channel = ChannelName(r.ChannelType, langOf(p))
	}
	if channel == "" && r.PaidInCash {
		channel = p.lbl(lblCash)
	}
	p.kv(lblChannel, channel)
	p.kv(lblPayCode, MaskCode(r.PaymentCode))

	switch r.Kind {
	case KindRefund:
		p.amountLine(lblOrigAmt, r.Amount, false)
		p.rule()
		p.amountLine(lblRefundAmt, r.RefundAmount, true)
	case KindRevoke:
		p.rule()
		p.amountLine(lblRevokeAmt, r.Amount, true)
	default:
		if len(r.FundBills) > 0 {
			p.rule()
			p.Line(p.lbl(lblFunds))
			for _, fb := range r.FundBills {
				p.item(FundChannelName(fb.FundChannel, langOf(p)), fb.Amount)
			}
		}
		p.rule()
		p.amountLine(lblTotal, r.Amount, true)
		if r.PaidInCash && r.Tendered > 0 {
			p.amountLine(lblTendered, r.Tendered, false)
			p.amountLine(lblChange, r.Change, false)
		}
	}
	if r.State != "" {
		p.kv(lblState, StateName(r.State, langOf(p)))
	}
	if r.Kind == KindRefund || r.Kind == KindRevoke {
		p.kv(lblReason, r.Reason)
		p.kv(lblApprover, r.Approver)
	}
	p.rule()
	if r.Copy == CopyMerchant && (r.Kind == KindRefund || r.Kind == KindRevoke) {
		p.LF().Line(p.lbl(lblSignature) + ":").LF()
		p.Line(strings.Repeat("_", p.cols))
	}
	if l.QR && r.ChargeCode != "" && p.p.QR != QRNone {
		p.QR(r.ChargeCode)
		p.centre(r.ChargeCode, 1, false)
	}
	if r.Kind == "" || r.Kind == KindSale {
		if l.Footer != "" {
			p.centre(l.Footer, 1, false)
		} else {
			p.centre(p.lbl(lblThanks), 1, false)
		}
	}
	p.demo(r.Demo)
	p.Cut()
}

// langOf is the label language a page actually prints.
func langOf(p *page) Lang {
	if p.en {
		return LangEN
	}
	return LangZH
}
