package ui

import (
	"errors"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"posterm/pos"
)

// cashModel is the cash screen: the amount due, the cash tendered (typed,
// or added up with the note keys ¥10/¥20/¥50/¥100) and the change, drawn
// as large as the amount. Enter journals the cash sale (no gateway call);
// its receipt opens the drawer.
type cashModel struct {
	e        *env
	draft    saleDraft
	tendered amountEditor
	note     string // message key
	noteArgs []any
	paying   bool
}

// cashNotes are the quick keys' notes, in the order of keyMap.CashNotes.
var cashNotes = []pos.Money{1000, 2000, 5000, 10000}

func newCash(e *env, d saleDraft) cashModel { return cashModel{e: e, draft: d} }

// cashDoneMsg is the end of a cash sale: Tx is paid, or Err says why not.
type cashDoneMsg struct {
	Tx  pos.Transaction
	Err error
}

func (e *env) cashCmd(d saleDraft, tendered pos.Money, who pos.Cashier) tea.Cmd {
	return func() tea.Msg {
		tx, err := e.deps.Checkout.PayCash(e.ctx, pos.CashInput{Cashier: who, SaleID: d.SaleID, Amount: d.Amount,
			Tendered: tendered, Subject: d.Subject})
		if err != nil {
			e.log.Warn("cash sale refused", "op", "cash", "err", err)
		}
		return cashDoneMsg{Tx: tx, Err: err}
	}
}

func (m cashModel) change() pos.Money { return max(m.tendered.Money()-m.draft.Amount, 0) }

func (m cashModel) update(msg tea.Msg, cashier pos.Cashier) (cashModel, tea.Cmd) {
	switch msg := msg.(type) {
	case cashDoneMsg:
		if !m.paying {
			return m, nil
		}
		m.paying = false
		if msg.Err != nil {
			d := m.draft
			back, ok := startErr(msg.Err, pos.Transaction{}, d, cashier)
			if !ok || errors.Is(msg.Err, pos.ErrShortTender) {
				m.note, m.noteArgs = "cash.err", nil
				if errors.Is(msg.Err, pos.ErrShortTender) {
					m.note, m.noteArgs = "cash.short", []any{yuan(m.draft.Amount)}
				}
				return m, nil
			}
			return m, func() tea.Msg { return back }
		}
		tx, d := msg.Tx, m.draft
		return m, func() tea.Msg { return showResultMsg{Res: outcome{Kind: outPaid, Tx: tx, Draft: d}} }
	case tea.KeyMsg:
		if m.paying {
			return m, nil
		}
		k := m.e.keys
		for i, b := range k.CashNotes {
			if key.Matches(msg, b) {
				m.tendered.Set(min(m.tendered.Money()+cashNotes[i], maxCash))
				m.note = ""
				return m, nil
			}
		}
		switch {
		case key.Matches(msg, k.Back):
			d := m.draft
			return m, func() tea.Msg { return backToSaleMsg{Keep: true, Draft: d} }
		case key.Matches(msg, k.Submit):
			switch t := m.tendered.Money(); {
			case t == 0: // nothing keyed: the customer gave the exact amount
				m.tendered.Set(m.draft.Amount)
			case t < m.draft.Amount:
				m.note, m.noteArgs = "cash.short", []any{yuan(m.draft.Amount)}
				return m, nil
			}
			m.paying, m.note = true, ""
			return m, m.e.cashCmd(m.draft, m.tendered.Money(), cashier)
		case key.Matches(msg, k.Clear):
			m.tendered.Clear()
			m.note = ""
		case key.Matches(msg, k.Erase):
			m.tendered.Backspace()
			m.note = ""
		case msg.Type == tea.KeyRunes:
			if m.tendered.Keys(string(msg.Runes)) {
				m.note = ""
			}
		}
	}
	return m, nil
}

// maxCash bounds the note keys' sum to what the editor can show.
const maxCash pos.Money = 99999999

func (m cashModel) bindings() []key.Binding {
	k := m.e.keys
	return append([]key.Binding{k.Submit, k.Amount}, append(k.CashNotes, k.Back)...)
}

func (m cashModel) view(w, h int) string {
	st, t := m.e.st, m.e.t
	var b strings.Builder
	rows := max(min(amountRows(h), (h-12)/2), 3) // the amount and the change, as large as each other
	b.WriteString("\n   " + st.Label.Render(t.T("sale.due")) + "\n")
	b.WriteString(indent(bigAmountFit(st.Amount, m.draft.Amount, w-8, rows), 6) + "\n\n")
	b.WriteString("   " + st.Label.Render(t.T("cash.tendered")) + "  ")
	if m.tendered.Text() == "" {
		b.WriteString(st.Muted.Render(t.T("cash.tendered.none")) + "\n\n")
	} else {
		b.WriteString(st.Value.Render(yuan(m.tendered.Money())) + "\n\n")
	}
	b.WriteString("   " + st.Label.Render(t.T("cash.change")) + "\n")
	b.WriteString(indent(bigAmountFit(st.Paid, m.change(), w-8, rows), 6) + "\n\n")
	notes := make([]string, len(cashNotes))
	for i, n := range cashNotes {
		notes[i] = st.KeyKey.Render("["+m.e.keys.CashNotes[i].Help().Key+"]") + " " + yuan(n)
	}
	b.WriteString("   " + strings.Join(notes, "  ") + "\n")
	b.WriteString(paragraph(t.T("cash.hint"), st.Muted, 3, w))
	switch {
	case m.paying:
		b.WriteString("   " + st.Hint.Render(t.T("cash.paying")) + "\n")
	case m.note != "":
		b.WriteString(paragraph(t.T(m.note, m.noteArgs...), st.Bad, 3, w))
	}
	return b.String()
}

func (m cashModel) route(msg tea.Msg, f frame) (screen, tea.Cmd) { return m.update(msg, f.cashier) }
func (m cashModel) draw(w, h int, _ frame) string                { return m.view(w, h) }
func (m cashModel) keys(frame) []key.Binding                     { return m.bindings() }

// capturesText: the note keys are letters; the global letter keys wait.
func (m cashModel) capturesText() bool { return true }

// inFlight: the cash sale is being journaled (a moment, but money).
func (m cashModel) inFlight() bool { return m.paying }
