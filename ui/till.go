package ui

import (
	"errors"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"posterm/pos"
)

// tillMode is what the till screen does.
type tillMode int

const (
	tillDrawer tillMode = iota // open the drawer outside a sale (reason)
	tillClose                  // close the shift: count the cash, show the Z
)

// tillModel is the till screen: opening the cash drawer outside a sale (a
// cashier gives the reason, audited) or closing the shift (the cashier
// keys the cash counted; refused, naming them, while money is in flight or
// a payment's outcome is unknown; the Z report is shown and printed).
type tillModel struct {
	e       *env
	mode    tillMode
	reason  textinput.Model
	counted amountEditor
	busy    bool
	note    string // message key
	bad     bool
	open    []pos.BusyItem // what keeps the shift from closing
	z       *pos.ZReport
}

type drawerDoneMsg struct {
	O   pos.DrawerOpening
	Err error
}

type shiftClosedMsg struct {
	Z   pos.ZReport
	Err error
}

func newTill(e *env, mode tillMode) tillModel {
	r := newInput(e, e.t.T("till.reason.placeholder"), 120)
	r.Width = 40
	r.Focus()
	return tillModel{e: e, mode: mode, reason: r}
}

func (e *env) drawerCmd(who pos.Cashier, reason string) tea.Cmd {
	return func() tea.Msg {
		o, err := e.deps.OpenDrawer(e.ctx, who, reason)
		if err != nil && !errors.Is(err, pos.ErrNeedReason) {
			e.log.Warn("open drawer failed", "op", "drawer", "err", err)
		}
		return drawerDoneMsg{O: o, Err: err}
	}
}

func (e *env) closeShiftCmd(who pos.Cashier, counted pos.Money) tea.Cmd {
	return func() tea.Msg {
		z, err := e.deps.CloseShift(e.ctx, who.LoginName, counted)
		if err != nil && !errors.Is(err, pos.ErrShiftBusy) {
			e.log.Warn("close shift failed", "op", "shift_close", "err", err)
		}
		return shiftClosedMsg{Z: z, Err: err}
	}
}

func (m tillModel) update(msg tea.Msg, f frame) (tillModel, tea.Cmd) {
	switch msg := msg.(type) {
	case drawerDoneMsg:
		if !m.busy || m.mode != tillDrawer {
			return m, nil
		}
		m.busy = false
		switch {
		case errors.Is(msg.Err, pos.ErrNeedReason):
			m.note, m.bad = "till.reason.need", true
		case msg.Err != nil:
			m.note, m.bad = "till.drawer.failed", true
		default:
			m.note, m.bad = "till.drawer.done", false
			m.reason.SetValue("")
		}
		return m, nil
	case shiftClosedMsg:
		if !m.busy || m.mode != tillClose {
			return m, nil
		}
		m.busy = false
		var be *pos.ShiftBusyError
		switch {
		case errors.As(msg.Err, &be):
			m.note, m.bad, m.open = "till.close.busy", true, be.Busy
		case msg.Err != nil:
			m.note, m.bad = "till.close.failed", true
		default:
			z := msg.Z
			m.z, m.note, m.bad, m.open = &z, "", false, nil
		}
		return m, nil
	case tea.KeyMsg:
		if m.busy {
			return m, nil
		}
		k := m.e.keys
		switch {
		case key.Matches(msg, k.Back), m.z != nil && key.Matches(msg, k.Done):
			return m, func() tea.Msg { return backToSaleMsg{} }
		case m.z != nil:
			return m, nil
		case key.Matches(msg, k.Submit):
			if m.mode == tillDrawer {
				if m.e.deps.OpenDrawer == nil {
					m.note, m.bad = "till.drawer.none", true
					return m, nil
				}
				if strings.TrimSpace(m.reason.Value()) == "" && !f.cashier.CanRefund() {
					m.note, m.bad = "till.reason.need", true
					return m, nil
				}
				m.busy, m.note = true, ""
				return m, m.e.drawerCmd(f.cashier, m.reason.Value())
			}
			if f.inFlight {
				m.note, m.bad = "till.close.inflight", true
				return m, nil
			}
			m.busy, m.note, m.open = true, "", nil
			return m, m.e.closeShiftCmd(f.cashier, m.counted.Money())
		}
		if m.mode == tillDrawer {
			var cmd tea.Cmd
			m.reason, cmd = m.reason.Update(msg)
			return m, cmd
		}
		switch {
		case key.Matches(msg, k.Clear):
			m.counted.Clear()
		case key.Matches(msg, k.Erase):
			m.counted.Backspace()
		case msg.Type == tea.KeyRunes:
			m.counted.Keys(string(msg.Runes))
		}
	}
	return m, nil
}

func (m tillModel) bindings() []key.Binding {
	k := m.e.keys
	if m.z != nil {
		return []key.Binding{k.Done}
	}
	if m.mode == tillClose {
		return []key.Binding{k.Confirm, k.Amount, k.Back}
	}
	return []key.Binding{k.Confirm, k.Back}
}

func (m tillModel) view(w, h int, f frame) string {
	st, t := m.e.st, m.e.t
	var b strings.Builder
	line := func(s string) { b.WriteString("   " + s + "\n") }
	b.WriteString("\n")
	if m.mode == tillDrawer {
		line(st.Label.Bold(true).Render(t.T("till.drawer.title")))
		b.WriteString("\n")
		b.WriteString(paragraph(t.T("till.drawer.text"), st.Value, 3, w))
		b.WriteString("\n")
		label := "till.reason"
		if f.cashier.CanRefund() {
			label = "till.reason.optional"
		}
		line(st.Label.Render(t.T(label)))
		line(st.FieldFocus.Render("▸ ") + m.reason.View())
	} else if m.z == nil {
		line(st.Label.Bold(true).Render(t.T("till.close.title")))
		b.WriteString("\n")
		b.WriteString(paragraph(t.T("till.close.text"), st.Value, 3, w))
		b.WriteString("\n")
		line(st.Label.Render(t.T("till.counted")))
		b.WriteString(indent(bigAmountFit(st.Amount, m.counted.Money(), w-8, max(min(amountRows(h), h-16), 3)), 6) + "\n")
	} else {
		z := m.z
		line(st.Paid.Render("✔ " + t.T("till.z.title", z.Number)))
		b.WriteString("\n")
		kv := func(k string, v string) { line(pad(st.Label.Render(t.T(k)), 22) + st.Value.Render(v)) }
		kv("till.z.sales", t.T("till.z.count", z.Totals.Total.Sales.Count, yuan(z.Totals.Total.Sales.Amount)))
		kv("till.z.net", yuan(z.Totals.Total.Net))
		kv("till.z.expected", yuan(z.CashExpected))
		kv("till.z.counted", yuan(z.CashCounted))
		b.WriteString("\n")
		diffStyle := st.OK
		if z.Difference != 0 {
			diffStyle = st.Bad
		}
		line(st.Label.Render(t.T("till.z.difference")))
		b.WriteString(indent(bigAmountFit(diffStyle, z.Difference, w-8, 3), 6) + "\n")
		if len(z.CarriedOver) > 0 {
			b.WriteString(paragraph(t.T("till.z.carried", len(z.CarriedOver)), st.Warn, 3, w))
		}
		line(st.Muted.Render(t.T("till.z.printed")))
	}
	switch {
	case m.busy:
		b.WriteString("\n")
		line(st.Hint.Render(t.T("till.busy")))
	case m.note != "":
		b.WriteString("\n")
		s := st.Hint
		if m.bad {
			s = st.Bad
		}
		b.WriteString(paragraph(t.T(m.note), s, 3, w))
	}
	rows := max(h-strings.Count(b.String(), "\n")-1, 0)
	for i, o := range m.open {
		if i >= rows {
			break
		}
		txt := string(o.ChargeCode) + "  " + stateText(t, pos.State(o.State))
		if o.OutRefundNo != "" {
			txt = t.T("till.busy.refund", o.OutRefundNo, string(o.ChargeCode))
		}
		line("  " + st.Warn.Render(pos.CleanText(txt)))
	}
	return b.String()
}

func (m tillModel) route(msg tea.Msg, f frame) (screen, tea.Cmd) { return m.update(msg, f) }
func (m tillModel) draw(w, h int, f frame) string                { return m.view(w, h, f) }
func (m tillModel) keys(frame) []key.Binding                     { return m.bindings() }

// capturesText: the reason field and the counted amount take the keys.
func (m tillModel) capturesText() bool { return m.z == nil }

// onLock: nothing typed is left on screen under the lock.
func (m tillModel) onLock() screen {
	m.reason.SetValue("")
	return m
}
