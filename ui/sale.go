package ui

import (
	"errors"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"posterm/pos"
)

// saleModel is the sale screen: the amount keyed as on a numeric keypad,
// an optional subject, and the choice of how the customer pays. A payment
// code scanned here starts merchant-scan for the amount on screen at once.
type saleModel struct {
	e            *env
	amt          amountEditor
	subject      textinput.Model
	subjectFocus bool
	saleID       string // set once an attempt of this sale was made

	note      string // message key
	noteArgs  []any
	noteBad   bool
	openCodes []pos.ChargeCode // earlier attempts that block a new charge
	acking    bool
}

func newSale(e *env) saleModel {
	s := newInput(e, e.t.T("sale.subject.placeholder"), 64)
	s.Width = 30
	return saleModel{e: e, subject: s}
}

func (m saleModel) focus() saleModel {
	m.subjectFocus = false
	m.subject.Blur()
	return m
}

// resume shows a sale again to charge it another way (declined, cancelled,
// not confirmed and acknowledged): same amount, same sale.
func (m saleModel) resume(d saleDraft) saleModel {
	m = newSale(m.e)
	m.amt.Set(d.Amount)
	m.subject.SetValue(d.Subject)
	m.saleID = d.SaleID
	m.note = "sale.resumed"
	return m
}

func (m saleModel) draft() saleDraft {
	return saleDraft{Amount: m.amt.Money(), Subject: strings.TrimSpace(m.subject.Value()), SaleID: m.saleID}
}

func (m saleModel) setNote(bad bool, key string, args ...any) saleModel {
	m.note, m.noteArgs, m.noteBad = key, args, bad
	return m
}

// pay asks for a payment screen, or says why not.
func (m saleModel) pay(how payHow, cashier pos.Cashier) (saleModel, tea.Cmd) {
	amount := m.amt.Money()
	switch {
	case amount <= 0:
		return m.setNote(true, "sale.need.amount"), nil
	case how != payCash && cashier.AmountLimit > 0 && amount > cashier.AmountLimit:
		return m.setNote(true, "pay.err.overlimit", yuan(cashier.AmountLimit)), nil
	case len(m.openCodes) > 0:
		return m.setNote(true, "sale.open"), nil
	}
	d := m.draft()
	return m, func() tea.Msg { return startPayMsg{Draft: d, How: how} }
}

// scanned handles a code read by a scanner while the sale is on screen.
func (m saleModel) scanned(sc scannedCode) (saleModel, tea.Cmd) {
	if !sc.Payable() {
		return m.setNote(true, "scan.refused", sc.Reason.Text(m.e.t.lang())), nil
	}
	if m.amt.Money() <= 0 {
		return m.setNote(true, "sale.scan.noamount"), nil
	}
	if len(m.openCodes) > 0 {
		return m.setNote(true, "sale.open"), nil
	}
	d := m.draft()
	return m, func() tea.Msg { return startPayMsg{Draft: d, How: payScan, Scan: sc} }
}

// blocked is called when the checkout refused to start a charge because an
// earlier attempt of the sale is not settled.
func (m saleModel) blocked(codes []pos.ChargeCode) saleModel {
	m.openCodes = codes
	return m.setNote(true, "sale.open")
}

func (m saleModel) update(msg tea.Msg, cashier pos.Cashier) (saleModel, tea.Cmd) {
	switch msg := msg.(type) {
	case ackDoneMsg:
		if !m.acking {
			return m, nil
		}
		m.acking = false
		if msg.Err != nil {
			if errors.Is(msg.Err, pos.ErrNotCancellable) {
				m.openCodes = nil
				return m.setNote(true, "sale.ack.paid"), nil
			}
			return m.setNote(true, "sale.ack.failed"), nil
		}
		m.openCodes = nil
		return m.setNote(false, "sale.ack.done"), nil
	case tea.KeyMsg:
		k := m.e.keys
		if m.subjectFocus {
			switch {
			case key.Matches(msg, k.EndSubject):
				return m.focus(), nil
			case key.Matches(msg, k.ScanPayFn):
				return m.focus().pay(payScan, cashier)
			case key.Matches(msg, k.QRPayFn):
				return m.focus().pay(payQR, cashier)
			}
			var cmd tea.Cmd
			m.subject, cmd = m.subject.Update(msg)
			return m, cmd
		}
		switch {
		case key.Matches(msg, k.Subject):
			m.subjectFocus = true
			m.subject.Focus()
			return m, nil
		case key.Matches(msg, k.ScanPay):
			return m.pay(payScan, cashier)
		case key.Matches(msg, k.QRPay):
			return m.pay(payQR, cashier)
		case key.Matches(msg, k.CashPay):
			return m.pay(payCash, cashier)
		case key.Matches(msg, k.OpenDrawer):
			return m, func() tea.Msg { return openTillMsg{Mode: tillDrawer} }
		case key.Matches(msg, k.ShiftClose):
			return m, func() tea.Msg { return openTillMsg{Mode: tillClose} }
		case key.Matches(msg, k.Acknowledge) && len(m.openCodes) > 0 && !m.acking:
			m.acking = true
			return m.setNote(false, "sale.acking"), m.e.ackCmd(m.openCodes, cashier)
		case key.Matches(msg, k.Clear):
			m.amt.Clear()
			m.note = ""
			return m, nil
		case key.Matches(msg, k.Erase):
			m.amt.Backspace()
			m.note = ""
			return m, nil
		case msg.Type == tea.KeyRunes:
			if m.amt.Keys(string(msg.Runes)) {
				m.note = ""
			}
			return m, nil
		}
	}
	return m, nil
}

func (m saleModel) bindings() []key.Binding {
	k := m.e.keys
	if m.subjectFocus {
		return []key.Binding{k.Submit, k.ScanPay, k.QRPay}
	}
	if len(m.openCodes) > 0 {
		return []key.Binding{k.Acknowledge, k.Amount, k.Clear}
	}
	return []key.Binding{k.ScanPay, k.QRPay, k.CashPay, k.OpenDrawer, k.ShiftClose}
}

func (m saleModel) view(w, h int) string {
	st, t := m.e.st, m.e.t
	var b strings.Builder
	b.WriteString("\n   " + st.Label.Render(t.T("sale.due")) + "\n\n")
	amount := m.amt.Money()
	b.WriteString(indent(bigAmountFit(st.Amount, amount, w-8, amountRows(h)), 6) + "\n\n")
	if txt := m.amt.Text(); txt != "" && txt != strings.TrimSuffix(amount.Yuan(), ".00") && txt != amount.Yuan() {
		b.WriteString("   " + st.Muted.Render(t.T("sale.keyed", txt)) + "\n")
	} else {
		b.WriteString("\n")
	}
	subj := m.subject.View()
	mark := st.Field.Render("  ")
	if m.subjectFocus {
		mark = st.FieldFocus.Render("▸ ")
	} else if m.subject.Value() == "" {
		subj = st.Muted.Render(t.T("sale.subject.none"))
	}
	b.WriteString(" " + mark + pad(st.Label.Render(t.T("sale.subject")), 10) + subj + "\n\n")
	opt := func(k key.Binding, desc string) string {
		return st.KeyKey.Render("["+k.Help().Key+"]") + " " + desc
	}
	a := opt(m.e.keys.ScanPay, t.T("sale.opt.scan"))
	q := opt(m.e.keys.QRPay, t.T("sale.opt.qr"))
	if width(a)+width(q)+9 <= w {
		b.WriteString("   " + pad(a, max(width(a)+4, 40)) + q + "\n")
	} else {
		b.WriteString("   " + a + "\n   " + q + "\n")
	}
	b.WriteString("   " + opt(m.e.keys.CashPay, t.T("sale.opt.cash")) + "\n")
	b.WriteString("   " + st.Muted.Render(t.T("sale.scanhint")) + "\n\n")
	if m.note != "" {
		s := st.Hint
		if m.noteBad {
			s = st.Bad
		}
		b.WriteString("   " + s.Render(t.T(m.note, m.noteArgs...)) + "\n")
		if len(m.openCodes) > 0 {
			b.WriteString("   " + st.Warn.Render(t.T("sale.open.ack", m.e.keys.Acknowledge.Help().Key)) + "\n")
		}
	}
	return b.String()
}
