package ui

import (
	"errors"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"posterm/pos"
)

type receiptState int

const (
	receiptNone receiptState = iota
	receiptQueued
	receiptPrinted
	receiptFailed
)

// resultModel is the result screen: paid (green), declined with the
// gateway's reason (red), cancelled or not paid, or not confirmed yet
// (amber, with what happens next); the receipt's fate; R reprints. In demo
// mode the receipt is shown beside it as the virtual printer decodes it.
type resultModel struct {
	e       *env
	cashier pos.Cashier
	res     outcome
	w, h    int
	receipt receiptState
	reprint string // message key of the last reprint
	preview []string
	prevErr bool
	scroll  int
	acking  bool
	ackErr  string
}

// previewWidth is the receipt panel's width: the paper's columns (32 on
// 58 mm, 48 on 80 mm: Deps.PaperColumns) plus the border and padding.
func (m resultModel) previewWidth() int { return paperWidth(m.e) + 4 }

// paperWidth is the receipt printer's line width in characters.
func paperWidth(e *env) int {
	if e.deps.PaperColumns > 0 {
		return e.deps.PaperColumns
	}
	return 32
}

// previewPanel draws lines of a receipt or slip in a panel pw wide (the
// paper's columns, border and padding), from line scroll, at most h rows.
func previewPanel(e *env, title string, text []string, scroll, h, pw int) string {
	st := e.st
	inner := pw - 4
	rows := max(h-3, 1)
	lines := append([]string(nil), text[min(scroll, max(len(text)-1, 0)):]...)
	if len(lines) > rows {
		lines = lines[:rows]
	}
	for i := range lines {
		lines[i] = padTo(lines[i], inner)
	}
	return st.PanelTitle.Render(title) + "\n" + st.Panel.Width(pw-2).Render(strings.Join(lines, "\n"))
}

// minSummaryWidth is the narrowest the result's text may be beside the
// receipt panel; below it the panel is not shown.
const minSummaryWidth = 40

func newResult(e *env, cashier pos.Cashier, res outcome, w, h int) resultModel {
	m := resultModel{e: e, cashier: cashier, res: res, w: w, h: h}
	if res.Kind == outPaid {
		m.receipt = receiptQueued
	}
	return m
}

func (m resultModel) begin() (resultModel, tea.Cmd) {
	if m.res.Kind == outPaid && m.e.demo() {
		return m, m.e.receiptTextCmd(m.res.Tx.ChargeCode)
	}
	return m, nil
}

func (m resultModel) resize(w, h int) resultModel {
	m.w, m.h = w, h
	return m
}

func (m resultModel) code() pos.ChargeCode { return m.res.Tx.ChargeCode }

func (m resultModel) update(msg tea.Msg) (resultModel, tea.Cmd) {
	switch msg := msg.(type) {
	case printerMsg:
		if msg.Ev.ChargeCode != m.code() || m.code() == "" || msg.Ev.Reprint {
			return m, nil
		}
		switch msg.Ev.Kind {
		case PrinterPrinted:
			m.receipt = receiptPrinted
		case PrinterFailed:
			if m.receipt != receiptPrinted {
				m.receipt = receiptFailed
			}
		}
		return m, nil
	case printDoneMsg:
		if msg.Code != m.code() || m.code() == "" {
			return m, nil
		}
		m.reprint = "result.reprint.queued"
		if msg.Err != nil {
			m.reprint = "result.reprint.failed"
		}
		return m, nil
	case receiptTextMsg:
		if msg.Code != m.code() {
			return m, nil
		}
		m.prevErr = msg.Err != nil
		m.preview = strings.Split(strings.TrimRight(msg.Text, "\n"), "\n")
		return m, nil
	case ackDoneMsg:
		if !m.acking || len(msg.Codes) != 1 || msg.Codes[0] != m.code() {
			return m, nil
		}
		m.acking = false
		switch {
		case msg.Err == nil:
			d := m.res.Draft
			return m, func() tea.Msg { return backToSaleMsg{Keep: true, Draft: d, Note: "sale.ack.done"} }
		case errors.Is(msg.Err, pos.ErrNotCancellable):
			m.ackErr = "result.ack.settled"
		default:
			m.ackErr = "result.ack.failed"
		}
		return m, nil
	case tea.KeyMsg:
		return m.key(msg)
	}
	return m, nil
}

func (m resultModel) key(msg tea.KeyMsg) (resultModel, tea.Cmd) {
	k := m.e.keys
	d := m.res.Draft
	switch m.res.Kind {
	case outPaid:
		switch {
		case key.Matches(msg, k.NextSale), key.Matches(msg, k.Back):
			return m, func() tea.Msg { return backToSaleMsg{} }
		case key.Matches(msg, k.Reprint):
			m.reprint = "result.reprint.sending"
			return m, m.e.reprintCmd(m.code())
		case key.Matches(msg, k.ScrollUp):
			m.scroll = max(m.scroll-1, 0)
		case key.Matches(msg, k.ScrollDown):
			m.scroll = min(m.scroll+1, max(len(m.preview)-1, 0))
		}
	case outUnknown, outFault:
		switch {
		case key.Matches(msg, k.NextSale):
			return m, func() tea.Msg { return backToSaleMsg{} }
		case key.Matches(msg, k.Acknowledge) && !m.acking:
			m.acking, m.ackErr = true, ""
			return m, m.e.ackCmd([]pos.ChargeCode{m.code()}, m.cashier)
		}
	default: // not charged, or charged and revoked: charge the same sale again
		switch {
		case key.Matches(msg, k.OtherMethod), key.Matches(msg, k.Back):
			return m, func() tea.Msg { return backToSaleMsg{Keep: true, Draft: d} }
		case key.Matches(msg, k.ScanPayFn):
			return m, func() tea.Msg { return startPayMsg{Draft: d, How: payScan} }
		case key.Matches(msg, k.QRPayFn):
			return m, func() tea.Msg { return startPayMsg{Draft: d, How: payQR} }
		}
	}
	return m, nil
}

func (m resultModel) bindings() []key.Binding {
	k := m.e.keys
	switch m.res.Kind {
	case outPaid:
		b := []key.Binding{k.NextSale, k.Reprint}
		if len(m.preview) > 0 {
			b = append(b, k.Receipt)
		}
		return b
	case outUnknown, outFault:
		return []key.Binding{k.NextSale, k.Acknowledge, k.Unsettled}
	}
	return []key.Binding{k.OtherMethod, k.ScanPayFn, k.QRPayFn}
}

func (m resultModel) view(w, h int) string {
	left := m.summary(w, h)
	pw := m.previewWidth()
	lw := w - pw - 1
	if m.res.Kind != outPaid || len(m.preview) == 0 || lw < minSummaryWidth {
		return left
	}
	panel := m.previewPanel(h)
	return lipgloss.JoinHorizontal(lipgloss.Top, block(m.summary(lw, h), lw, h), " ", panel)
}

func (m resultModel) previewPanel(h int) string {
	return previewPanel(m.e, m.e.t.T("result.preview"), m.preview, m.scroll, h, m.previewWidth())
}

func (m resultModel) summary(w, h int) string {
	st, t := m.e.st, m.e.t
	tx := m.res.Tx
	var b strings.Builder
	line := func(s string) { b.WriteString("   " + s + "\n") }
	wrapped := func(s string, style lipgloss.Style) { b.WriteString(paragraph(s, style, 3, w)) }
	b.WriteString("\n")
	ch := ""
	if tx.Channel != pos.ChannelAuto {
		ch = " · " + channelText(t, tx.Channel)
	}
	amount := bigAmountFit(st.Amount, tx.Amount, w-6, amountRows(h))
	words := moneyWords[m.res.Kind]
	var head, next lipgloss.Style
	icon := "✘ "
	switch m.res.Kind {
	case outPaid:
		head, next, icon = st.Paid, st.Value, "✔ "
	case outDeclined:
		head, next = st.Declined, st.Value
	case outClosed, outCancelled:
		head, next = st.Cancelled, st.Value
	case outRevoked:
		head, next, icon = st.Declined, st.Bad, "↺ "
	default: // unknown, fault
		head, next, icon = st.Unknown, st.Bad, "? "
	}
	cash := m.res.Kind == outPaid && tx.Kind == pos.KindCash
	if cash {
		rows := max(min(amountRows(h), (h-14)/2), 3)
		amount = bigAmountFit(st.Amount, tx.Amount, w-6, rows)
		line(head.Render(icon+t.T("result.cash.head")) + st.Value.Render(" · "+t.T("result.cash.tendered", yuan(tx.Tendered))))
		b.WriteString("\n" + indent(head.Render(amount), 3) + "\n\n")
		line(st.Label.Render(t.T("result.cash.change")))
		b.WriteString(indent(bigAmountFit(st.Paid, tx.CashChange(), w-6, rows), 3) + "\n")
	} else {
		line(head.Render(icon+t.pick(words.Head)) + st.Value.Render(ch))
		b.WriteString("\n" + indent(head.Render(amount), 3) + "\n\n")
	}
	if !cash {
		wrapped(t.pick(words.Money), st.Value)
		wrapped(t.pick(words.Next), next)
	}
	switch m.res.Kind {
	case outPaid:
		b.WriteString("\n")
		if !cash {
			line(st.Muted.Render(t.T("result.gwcode", dash(tx.ChargeDownCode))))
		}
		if fb := fundBills(t, tx.FundBills); fb != "" {
			line(fb)
		}
		switch m.receipt {
		case receiptPrinted:
			line(st.OK.Render(t.T("result.receipt.printed")))
		case receiptFailed:
			wrapped(t.T("result.receipt.failed"), st.Bad)
		default:
			line(t.T("result.receipt.queued"))
		}
		if m.reprint != "" {
			s := st.Hint
			if m.reprint == "result.reprint.failed" {
				s = st.Bad
			}
			wrapped(t.T(m.reprint), s)
		}
	case outDeclined:
		if says := gatewaySays(t, tx.ResultCode, tx.ResultInfo); says != "" {
			wrapped(t.T("result.reason", says), st.Muted)
		}
	case outClosed:
		if m.res.How == payQR {
			wrapped(t.T("result.expired"), st.Muted)
		}
	case outUnknown, outFault:
		b.WriteString("\n")
		if tx.GiveUp {
			wrapped(t.T("result.unknown.giveup"), st.Warn)
		}
		wrapped(t.T("result.unknown.ack", m.e.keys.Acknowledge.Help().Key), st.Value)
		switch {
		case m.acking:
			line(st.Hint.Render(t.T("sale.acking")))
		case m.ackErr != "":
			wrapped(t.T(m.ackErr), st.Bad)
		}
	}
	b.WriteString("\n")
	wrapped(t.T("result.code", string(tx.ChargeCode)), st.Muted)
	return b.String()
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// fundBills lists where the money came from: "Alipay balance ¥100.00 ·
// voucher ¥58.00".
func fundBills(t tr, fb []pos.FundBill) string {
	parts := make([]string, 0, len(fb))
	for _, f := range fb {
		parts = append(parts, fundName(t, f.FundChannel)+" "+yuan(f.Amount))
	}
	return strings.Join(parts, " · ")
}

func fundName(t tr, code string) string {
	switch strings.TrimSpace(code) {
	case "00":
		return t.T("fund.00")
	case "10":
		return t.T("fund.10")
	case "11":
		return t.T("fund.11")
	case "40":
		return t.T("fund.40")
	case "41":
		return t.T("fund.41")
	}
	return t.T("fund.other", code)
}
