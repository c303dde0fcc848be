package ui

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"posterm/pos"
)

// Layout of the QR screen: the code on the left, the facts on the right in
// qrFactsWidth columns; below the code when the terminal is too narrow.
const (
	qrFactsWidth = 36
	qrGap        = 2
)

type qrPhase int

const (
	qrLoading    qrPhase = iota // asking the gateway for its channels
	qrPick                      // the cashier picks the channel
	qrCreating                  // precreate under way
	qrShowing                   // the QR is on screen: waiting for the customer
	qrCancelling                // the cashier cancelled (or switched channel)
	qrFailed                    // no channel list: retry or go back
)

// qrModel is the customer-scan screen: a channel from the gateway's list,
// the BAR_CODE drawn as a QR in half blocks with the amount and the
// countdown beside it; paid shows as soon as Await returns; Esc cancels.
type qrModel struct {
	e       *env
	cashier pos.Cashier
	draft   saleDraft
	phase   qrPhase
	now     time.Time

	attempt  int
	channels []pos.ChannelInfo
	sel      int

	tx        pos.Transaction // pending: BarCode, ExpiresAt
	feed      progressFeed
	prog      pos.Progress
	switching bool // cancelled to pick another channel
	aborted   bool
	note      string
	noteBad   bool
	paidNote  bool // demo: the customer paid in the sandbox
	fault     bool // the gateway failed while the QR was shown
}

func newQR(e *env, cashier pos.Cashier, d saleDraft, now time.Time) qrModel {
	return qrModel{e: e, cashier: cashier, draft: d, now: now}
}

func (m qrModel) inFlight() bool {
	return m.phase == qrCreating || m.phase == qrShowing || m.phase == qrCancelling
}

func (m qrModel) tick(now time.Time) qrModel {
	m.now = now
	return m
}

// begin asks the gateway for its channel list.
func (m qrModel) begin() (qrModel, tea.Cmd) {
	m.attempt++
	m.phase = qrLoading
	return m, m.e.channelsCmd(m.attempt)
}

func (m qrModel) create() (qrModel, tea.Cmd) {
	if m.sel < 0 || m.sel >= len(m.channels) {
		return m, nil
	}
	m.attempt++
	m.phase, m.switching, m.aborted, m.note, m.paidNote = qrCreating, false, false, "", false
	m.tx = pos.Transaction{}
	return m, m.e.precreateCmd(m.attempt, pos.PrecreateInput{Cashier: m.cashier, SaleID: m.draft.SaleID,
		Amount: m.draft.Amount, Channel: m.channels[m.sel].Type, Subject: m.draft.Subject})
}

func (m qrModel) channelName(c pos.Channel) string {
	for _, ch := range m.channels {
		if ch.Type == c && ch.Name != "" && m.e.t.zh {
			return ch.Name
		}
	}
	return channelText(m.e.t, c)
}

func (m qrModel) nextProgress() tea.Cmd {
	code := m.tx.ChargeCode
	return m.feed.next(func(p pos.Progress) tea.Msg { return awaitProgressMsg{Code: code, P: p} })
}

func (m qrModel) update(msg tea.Msg) (qrModel, tea.Cmd) {
	switch msg := msg.(type) {
	case channelsMsg:
		if msg.Attempt != m.attempt || m.phase != qrLoading {
			return m, nil
		}
		var chs []pos.ChannelInfo
		for _, c := range msg.Channels {
			if c.Type > pos.ChannelAuto {
				chs = append(chs, c)
			}
		}
		sort.SliceStable(chs, func(i, j int) bool { return chs[i].SortNo < chs[j].SortNo })
		if msg.Err != nil || len(chs) == 0 {
			m.phase = qrFailed
			m.note, m.noteBad = "qr.err.channels", true
			return m, nil
		}
		m.channels, m.sel = chs, 0
		if len(chs) == 1 {
			return m.create()
		}
		m.phase = qrPick
		return m, nil

	case precreateDoneMsg:
		if msg.Attempt != m.attempt || m.phase != qrCreating {
			return m, nil
		}
		if msg.Err != nil {
			if back, ok := startErr(msg.Err, msg.Tx, m.draft, m.cashier); ok {
				m.phase = qrFailed
				return m, func() tea.Msg { return back }
			}
		}
		if msg.Tx.State == pos.StatePending && msg.Tx.BarCode != "" {
			m.tx, m.phase = msg.Tx, qrShowing
			if m.draft.SaleID == "" {
				m.draft.SaleID = msg.Tx.SaleID
			}
			run, feed := m.e.awaitCmd(msg.Tx.ChargeCode, m.cashier)
			m.feed = feed
			return m, tea.Batch(run, m.nextProgress())
		}
		m.phase = qrFailed
		if msg.Tx.ChargeCode == "" {
			return m, nil
		}
		res := outcomeOf(msg.Tx, payQR, m.draft, false, false)
		return m, func() tea.Msg { return showResultMsg{Res: res} }

	case awaitProgressMsg:
		if msg.Code != m.tx.ChargeCode || !m.inFlight() {
			return m, nil
		}
		m.prog = msg.P
		switch {
		case msg.P.Fault:
			// The gateway fails while the customer may be paying: say so
			// now; the outcome shows when it answers again.
			m.fault, m.note, m.noteBad = true, "qr.fault", true
		case m.note == "qr.fault":
			m.note, m.noteBad = "", false
		}
		return m, m.nextProgress()

	case awaitDoneMsg:
		if msg.Code != m.tx.ChargeCode || !m.inFlight() {
			return m, nil
		}
		tx := msg.Tx
		if tx.ChargeCode == "" {
			tx = m.tx
		}
		if m.switching && tx.State.NotPaid() {
			// Cancelled to charge with another channel: pick it.
			m.phase = qrPick
			m.sel = (m.sel + 1) % len(m.channels)
			m.note, m.noteBad = "qr.switched", false
			return m, nil
		}
		m.phase = qrFailed
		res := outcomeOf(tx, payQR, m.draft, m.aborted, m.fault)
		return m, func() tea.Msg { return showResultMsg{Res: res} }

	case abortDoneMsg:
		return m, nil // Await returns the outcome

	case customerPaidMsg:
		if msg.Code != m.tx.ChargeCode {
			return m, nil
		}
		if msg.Err != nil {
			m.note, m.noteBad = "qr.demo.payfailed", true
		} else {
			m.paidNote = true
		}
		return m, nil

	case tea.KeyMsg:
		return m.key(msg)
	}
	return m, nil
}

func (m qrModel) key(msg tea.KeyMsg) (qrModel, tea.Cmd) {
	k := m.e.keys
	switch m.phase {
	case qrLoading, qrFailed:
		if key.Matches(msg, k.Back) {
			d := m.draft
			return m, func() tea.Msg { return backToSaleMsg{Keep: true, Draft: d} }
		}
		if m.phase == qrFailed && key.Matches(msg, k.Submit) {
			return m.begin()
		}
	case qrPick:
		switch {
		case key.Matches(msg, k.Back):
			d := m.draft
			return m, func() tea.Msg { return backToSaleMsg{Keep: true, Draft: d} }
		case key.Matches(msg, k.Up):
			m.sel = (m.sel + len(m.channels) - 1) % len(m.channels)
		case key.Matches(msg, k.Down), key.Matches(msg, k.SwitchChannel):
			m.sel = (m.sel + 1) % len(m.channels)
		case key.Matches(msg, k.PickChannel):
			return m.create()
		case msg.Type == tea.KeyRunes && len(msg.Runes) == 1 && msg.Runes[0] >= '1' && msg.Runes[0] <= '9':
			if i := int(msg.Runes[0] - '1'); i < len(m.channels) {
				m.sel = i
				return m.create()
			}
		}
	case qrShowing:
		switch {
		case key.Matches(msg, k.Abort):
			m.aborted, m.phase = true, qrCancelling
			return m, m.e.abortCmd(m.tx.ChargeCode)
		case key.Matches(msg, k.SwitchChannel) && len(m.channels) > 1:
			m.switching, m.aborted, m.phase = true, true, qrCancelling
			return m, m.e.abortCmd(m.tx.ChargeCode)
		case key.Matches(msg, k.CustomerPays) && m.e.demo():
			return m, m.e.customerPaysCmd(m.tx.ChargeCode, m.tx.BarCode)
		}
	}
	return m, nil
}

func (m qrModel) bindings() []key.Binding {
	k := m.e.keys
	switch m.phase {
	case qrPick:
		return []key.Binding{k.PickChannel, k.Up, k.Down, k.Back}
	case qrShowing:
		b := []key.Binding{k.Abort}
		if len(m.channels) > 1 {
			b = append(b, k.SwitchChannel)
		}
		if m.e.demo() {
			b = append(b, k.CustomerPays)
		}
		return b
	case qrFailed:
		return []key.Binding{k.Submit, k.Back}
	case qrLoading:
		return []key.Binding{k.Back}
	}
	return nil
}

func (m qrModel) view(w, h int) string {
	st, t := m.e.st, m.e.t
	switch m.phase {
	case qrLoading, qrCreating:
		return "\n" + m.amount(w, h) + "\n\n   " + st.Hint.Render(spinnerFrame(m.now)) + " " + t.T("qr.loading") + "\n"
	case qrFailed:
		s := "\n" + m.amount(w, h) + "\n\n"
		if m.note != "" {
			s += "   " + st.Bad.Render(t.T(m.note)) + "\n"
		}
		return s
	case qrPick:
		var b strings.Builder
		b.WriteString("\n" + m.amount(w, h) + "\n\n")
		b.WriteString("   " + st.Title.Render(t.T("qr.pick")) + "\n\n")
		for i, c := range m.channels {
			line := strconv.Itoa(i+1) + "  " + m.channelName(c.Type)
			if i == m.sel {
				b.WriteString("   " + st.Selected.Render(" ▸ "+pad(line, 24)) + "\n")
			} else {
				b.WriteString("   " + "   " + line + "\n")
			}
		}
		if m.note != "" {
			b.WriteString("\n   " + st.Hint.Render(t.T(m.note)) + "\n")
		}
		return b.String()
	}
	// Showing or cancelling: the code and its facts.
	facts := m.facts()
	if lines, ok := fitQR(m.tx.BarCode, w-qrFactsWidth-qrGap, h); ok {
		return lipgloss.JoinHorizontal(lipgloss.Top, m.paint(lines), strings.Repeat(" ", qrGap), facts)
	}
	factLines := strings.Count(facts, "\n") + 1
	if lines, ok := fitQR(m.tx.BarCode, w, h-factLines); ok {
		return m.paint(lines) + "\n" + facts
	}
	return facts + "\n\n " + st.Bad.Render(t.T("qr.toosmall"))
}

// amount is the sale's amount, as large as the screen allows.
func (m qrModel) amount(w, h int) string {
	return indent(bigAmountFit(m.e.st.Amount, m.draft.Amount, w-6, amountRows(h)), 3)
}

// paint colours the QR dark on light, both colours explicit, line by line.
func (m qrModel) paint(lines []string) string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = m.e.st.QR.Render(l)
	}
	return strings.Join(out, "\n")
}

func (m qrModel) facts() string {
	st, t := m.e.st, m.e.t
	name := m.channelName(m.tx.Channel)
	left := m.tx.ExpiresAt.Sub(m.now)
	lines := []string{""}
	lines = append(lines, strings.Split(bigAmount(st.Amount, m.draft.Amount, qrFactsWidth), "\n")...)
	lines = append(lines, "", st.Title.Render(name), "")
	lines = append(lines, strings.Split(wrap(t.T("qr.ask", name), qrFactsWidth), "\n")...)
	lines = append(lines, "")
	if m.phase == qrCancelling {
		lines = append(lines, st.Warn.Render(spinnerFrame(m.now)+" "+t.T("qr.cancelling")))
	} else {
		lines = append(lines, st.Hint.Render(spinnerFrame(m.now))+" "+t.T("qr.waiting"),
			t.T("qr.expires", st.Value.Render(mmss(left))))
	}
	if m.paidNote {
		lines = append(lines, "", st.OK.Render(t.T("qr.demo.paid")))
	}
	if m.note != "" {
		s := st.Hint
		if m.noteBad {
			s = st.Bad
		}
		lines = append(lines, "", s.Render(t.T(m.note)))
	}
	lines = append(lines, "")
	for _, l := range strings.Split(wrap(t.T("qr.charge", string(m.tx.ChargeCode)), qrFactsWidth), "\n") {
		lines = append(lines, st.Muted.Render(l))
	}
	for i := range lines { // what does not fit wraps above; nothing is cut
		if width(lines[i]) > qrFactsWidth {
			lines[i] = wrap(lines[i], qrFactsWidth)
		}
	}
	return strings.Join(lines, "\n")
}

// channelText names a CHANNEL_TYPE for the cashier.
func channelText(t tr, c pos.Channel) string {
	switch c {
	case pos.ChannelAlipay:
		return t.T("channel.alipay")
	case pos.ChannelWeChat:
		return t.T("channel.wechat")
	case pos.ChannelAuto:
		return t.T("channel.auto")
	}
	return t.T("channel.other", int(c))
}
