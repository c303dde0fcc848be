package ui

import (
	"errors"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"posterm/pos"
)

type refundStep int

const (
	refundForm refundStep = iota
	refundConfirm
	refundSending
	refundDone
)

// Fields of the refund form, in Tab order.
const (
	fAmount = iota
	fReason
	fMgrID
	fMgrPW
)

// refundModel refunds part or all of a paid charge, or revokes it in full.
// When the cashier's login carries no refund permission, a manager signs
// at the register with their own ID and password (recorded as approver).
// The amount may not exceed what remains; a refund needs a reason; a
// confirmation step comes before anything is sent.
type refundModel struct {
	e         *env
	cashier   pos.Cashier
	tx        pos.Transaction
	revoke    bool
	remaining pos.Money
	step      refundStep

	amt            amountEditor
	reason         textinput.Model
	mgrID, mgrPW   textinput.Model
	focus          int
	errKey         string
	errArgs        []any
	doneKey        string
	doneArgs       []any
	doneGood       bool
	doneUnknownish bool
	slip           []string // the slip as the virtual printer decodes it
}

func newRefund(e *env, cashier pos.Cashier, msg openRefundMsg) refundModel {
	m := refundModel{e: e, cashier: cashier, tx: msg.Tx, revoke: msg.Revoke, remaining: msg.Remaining,
		reason: newInput(e, e.t.T("refund.reason.placeholder"), 80),
		mgrID:  newInput(e, "", 32), mgrPW: newInput(e, "", 32)}
	m.reason.Width = 36
	m.mgrPW.EchoMode = textinput.EchoPassword
	m.mgrPW.EchoCharacter = '*'
	m.amt.Set(msg.Remaining)
	fields := m.fields()
	if len(fields) > 0 {
		m = m.setFocus(fields[0])
	}
	return m
}

func (m refundModel) needsManager() bool { return !m.cashier.CanRefund() }

// fields lists the form's fields for this refund.
func (m refundModel) fields() []int {
	var f []int
	if !m.revoke {
		f = append(f, fAmount, fReason)
	}
	if m.needsManager() {
		f = append(f, fMgrID, fMgrPW)
	}
	return f
}

func (m refundModel) inFlight() bool { return m.step == refundSending }

func (m refundModel) capturesText() bool { return m.step == refundForm && len(m.fields()) > 0 }

func (m refundModel) setFocus(f int) refundModel {
	m.focus = f
	m.reason.Blur()
	m.mgrID.Blur()
	m.mgrPW.Blur()
	switch f {
	case fReason:
		m.reason.Focus()
	case fMgrID:
		m.mgrID.Focus()
	case fMgrPW:
		m.mgrPW.Focus()
	}
	return m
}

func (m refundModel) move(delta int) refundModel {
	fs := m.fields()
	for i, f := range fs {
		if f == m.focus {
			return m.setFocus(fs[(i+delta+len(fs))%len(fs)])
		}
	}
	return m
}

// validate checks the form; it focuses the first field in error.
func (m refundModel) validate() (refundModel, bool) {
	m.errKey, m.errArgs = "", nil
	if !m.revoke {
		switch a := m.amt.Money(); {
		case a <= 0:
			m.errKey = "refund.need.amount"
			return m.setFocus(fAmount), false
		case a > m.remaining:
			m.errKey, m.errArgs = "refund.err.exceeds", []any{yuan(m.remaining)}
			return m.setFocus(fAmount), false
		}
		if strings.TrimSpace(m.reason.Value()) == "" {
			m.errKey = "refund.need.reason"
			return m.setFocus(fReason), false
		}
	}
	if m.needsManager() {
		if strings.TrimSpace(m.mgrID.Value()) == "" {
			m.errKey = "refund.need.mgr"
			return m.setFocus(fMgrID), false
		}
		if m.mgrPW.Value() == "" {
			m.errKey = "refund.need.mgrpw"
			return m.setFocus(fMgrPW), false
		}
	}
	return m, true
}

// reload re-reads the charge after a change, so the header's refunded
// and remaining are the journal's (not while a refund is being sent).
func (m refundModel) reload(code pos.ChargeCode) (refundModel, tea.Cmd) {
	if (code != "" && code != m.tx.ChargeCode) || m.step == refundSending {
		return m, nil
	}
	return m, m.e.detailCmd(m.tx.ChargeCode)
}

func (m refundModel) update(msg tea.Msg) (refundModel, tea.Cmd) {
	switch msg := msg.(type) {
	case detailMsg:
		if msg.Code != m.tx.ChargeCode || msg.Err != nil || m.step == refundSending {
			return m, nil
		}
		m.tx, m.remaining = msg.Tx, refundable(msg.Tx, msg.Refunds)
		return m, nil
	case refundDoneMsg:
		if msg.Code != m.tx.ChargeCode || m.step != refundSending {
			return m, nil
		}
		m = m.done(msg)
		var cmd tea.Cmd
		switch {
		case !m.doneGood:
		case m.revoke:
			cmd = m.e.slipTextCmd(m.tx.ChargeCode, "")
		default:
			cmd = m.e.slipTextCmd(m.tx.ChargeCode, msg.Refund.OutRefundNo)
		}
		return m, cmd
	case slipTextMsg:
		if msg.Code != m.tx.ChargeCode || msg.Err != nil || m.step != refundDone {
			return m, nil
		}
		m.slip = strings.Split(strings.TrimRight(msg.Text, "\n"), "\n")
		return m, nil
	case tea.KeyMsg:
		return m.key(msg)
	}
	return m, nil
}

func (m refundModel) done(msg refundDoneMsg) refundModel {
	if msg.ManagerErr != nil {
		m.step = refundForm
		m.mgrPW.SetValue("")
		m.errKey = "refund.mgr." + strings.TrimPrefix(loginErrKey(msg.ManagerErr), "login.err.")
		return m.setFocus(fMgrPW)
	}
	if msg.Err != nil {
		m.step = refundForm
		m.errKey, m.errArgs = refundErrKey(msg.Err), nil
		if m.errKey == "refund.err.exceeds" {
			m.errArgs = []any{yuan(m.remaining)}
		}
		if m.errKey == "refund.err.notpermitted" && m.needsManager() {
			m.mgrPW.SetValue("")
			return m.setFocus(fMgrID)
		}
		return m
	}
	m.step = refundDone
	if msg.Tx.ChargeCode == m.tx.ChargeCode {
		// The header says what the journal says now; the next re-read
		// (journalChangedMsg) brings the refunds in flight too.
		m.tx, m.remaining = msg.Tx, min(m.remaining, refundable(msg.Tx, nil))
	}
	if m.revoke {
		switch {
		case msg.Tx.State == pos.StateRevoked:
			m.doneKey, m.doneArgs, m.doneGood = "revoke.done", []any{yuan(m.tx.Amount)}, true
		default:
			m.doneKey, m.doneUnknownish = "revoke.unknown", true
		}
		return m
	}
	switch msg.Refund.State {
	case pos.RefundDone:
		m.doneKey, m.doneArgs, m.doneGood = "refund.done", []any{yuan(msg.Refund.Amount)}, true
	case pos.RefundRefused:
		m.doneKey, m.doneArgs = "refund.refused", []any{gatewaySays(m.e.t, msg.Refund.ResultCode, msg.Refund.ResultInfo)}
	default:
		m.doneKey, m.doneUnknownish = "refund.unknown", true
	}
	return m
}

// refundErrKey picks the cashier's message for a refused refund request.
func refundErrKey(err error) string {
	switch {
	case errors.Is(err, pos.ErrNotPermitted):
		return "refund.err.notpermitted"
	case errors.Is(err, pos.ErrRefundNotAtScene):
		return "refund.err.notatscene"
	case errors.Is(err, pos.ErrWrongMerchant):
		return "refund.err.merchant"
	case errors.Is(err, pos.ErrNotRefundable):
		return "refund.err.notrefundable"
	case errors.Is(err, pos.ErrExceedsRemaining):
		return "refund.err.exceeds"
	case errors.Is(err, pos.ErrNotRevocable):
		return "refund.err.notrevocable"
	case errors.Is(err, pos.ErrBadAmount):
		return "refund.need.amount"
	}
	return "refund.err.other"
}

func (m refundModel) key(msg tea.KeyMsg) (refundModel, tea.Cmd) {
	k := m.e.keys
	code := m.tx.ChargeCode
	switch m.step {
	case refundSending:
		return m, nil
	case refundDone:
		if key.Matches(msg, k.Done) {
			return m, tea.Batch(func() tea.Msg { return backMsg{} }, m.e.detailCmd(code), m.e.liveQueryCmd(code))
		}
		return m, nil
	case refundConfirm:
		switch {
		case key.Matches(msg, k.Confirm):
			m.step = refundSending
			mgr, pw := "", ""
			if m.needsManager() {
				mgr, pw = strings.TrimSpace(m.mgrID.Value()), m.mgrPW.Value()
			}
			return m, m.e.refundCmd(code, m.revoke, m.amt.Money(), strings.TrimSpace(m.reason.Value()), m.cashier, mgr, pw)
		case key.Matches(msg, k.Back):
			m.step = refundForm
		}
		return m, nil
	}
	// The form.
	switch {
	case key.Matches(msg, k.Back):
		return m, func() tea.Msg { return backMsg{} }
	case key.Matches(msg, k.Confirm):
		var ok bool
		if m, ok = m.validate(); ok {
			m.step = refundConfirm
		}
		return m, nil
	case key.Matches(msg, k.NextField):
		return m.move(1), nil
	case key.Matches(msg, k.PrevField):
		return m.move(-1), nil
	}
	m.errKey = ""
	var cmd tea.Cmd
	switch m.focus {
	case fAmount:
		switch {
		case key.Matches(msg, k.Erase):
			m.amt.Backspace()
		case key.Matches(msg, k.Clear):
			m.amt.Clear()
		case msg.Type == tea.KeyRunes:
			m.amt.Keys(string(msg.Runes))
		}
	case fReason:
		m.reason, cmd = m.reason.Update(msg)
	case fMgrID:
		m.mgrID, cmd = m.mgrID.Update(msg)
	case fMgrPW:
		m.mgrPW, cmd = m.mgrPW.Update(msg)
	}
	return m, cmd
}

func (m refundModel) bindings() []key.Binding {
	k := m.e.keys
	switch m.step {
	case refundForm:
		return []key.Binding{k.Confirm, k.NextField, k.Back}
	case refundConfirm:
		return []key.Binding{k.Confirm, k.Back}
	case refundDone:
		return []key.Binding{k.Done}
	}
	return nil
}

// view draws the form, and once the refund or revoke is done, its slip
// beside it as the printer will print it, where the terminal is wide
// enough for both.
func (m refundModel) view(w, h int) string {
	pw := paperWidth(m.e) + 4
	if len(m.slip) == 0 || w-pw-1 < 56 {
		return m.form(w, h)
	}
	lw := w - pw - 1
	panel := previewPanel(m.e, m.e.t.T("refund.slip.preview"), m.slip, 0, h, pw)
	return lipgloss.JoinHorizontal(lipgloss.Top, block(m.form(lw, h), lw, h), " ", panel)
}

func (m refundModel) form(w, h int) string {
	st, t := m.e.st, m.e.t
	var b strings.Builder
	line := func(s string) { b.WriteString("   " + s + "\n") }
	title := "refund.title"
	if m.revoke {
		title = "revoke.title"
	}
	b.WriteString("\n")
	line(st.Title.Render(t.T(title)) + "  " + st.Muted.Render(string(m.tx.ChargeCode)))
	back := m.amt.Money() // what goes back to the customer: the biggest thing here
	if m.revoke {
		back = m.tx.Amount
	}
	b.WriteString("\n" + indent(bigAmountFit(st.Amount, back, w-6, amountRows(h)), 3) + "\n\n")
	line(st.Label.Render(t.T("refund.paid")) + " " + yuan(m.tx.Amount) + "   " +
		st.Label.Render(t.T("detail.refunded")) + " " + yuan(m.tx.Refunded) + "   " +
		st.Label.Render(t.T("detail.remaining")) + " " + yuan(m.remaining))
	b.WriteString("\n")
	field := func(f int, label, value string) {
		mark, s := "  ", st.Field
		if f == m.focus && m.step == refundForm {
			mark, s = "▸ ", st.FieldFocus
		}
		b.WriteString(" " + s.Render(mark) + pad(st.Label.Render(label), 14) + value + "\n")
	}
	if m.revoke {
		b.WriteString(paragraph(t.T("revoke.explain", yuan(m.tx.Amount)), st.Value, 3, w) + "\n")
	} else {
		amt := st.Amount.Render(yuan(m.amt.Money()))
		field(fAmount, t.T("refund.amount"), amt)
		field(fReason, t.T("refund.reason"), m.reason.View())
	}
	if m.needsManager() {
		b.WriteString("\n")
		line(st.Warn.Render(t.T("refund.needmgr")))
		field(fMgrID, t.T("refund.mgrid"), "["+pad(m.mgrID.View(), 21)+"]")
		field(fMgrPW, t.T("refund.mgrpw"), "["+pad(m.mgrPW.View(), 21)+"]")
	} else {
		line(st.Muted.Render(t.T("refund.self", m.cashier.LoginName)))
	}
	b.WriteString("\n")
	switch m.step {
	case refundForm:
		if m.errKey != "" {
			line(st.Bad.Render(t.T(m.errKey, m.errArgs...)))
		}
	case refundConfirm:
		q := t.T("refund.confirm", yuan(m.amt.Money()), string(m.tx.ChargeCode))
		if m.revoke {
			q = t.T("revoke.confirm", yuan(m.tx.Amount), string(m.tx.ChargeCode))
		}
		b.WriteString(paragraph(q, st.Warn, 3, w))
	case refundSending:
		line(st.Hint.Render(t.T("refund.sending")))
	case refundDone:
		s := st.Bad
		switch {
		case m.doneGood:
			s = st.OK
		case m.doneUnknownish:
			s = st.Warn
		}
		b.WriteString(paragraph(t.T(m.doneKey, m.doneArgs...), s, 3, w))
	}
	return b.String()
}
