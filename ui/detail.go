package ui

import (
	"errors"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"posterm/pos"
)

// detailModel is one transaction: its facts, its audit events and refunds
// from the journal, and a live query of what the gateway says now. Refund
// and revoke start here.
type detailModel struct {
	e        *env
	code     pos.ChargeCode
	w, h     int
	loaded   bool
	failed   bool
	notFound bool // not in this journal, nor (with a hub) at any till of the store
	tx       pos.Transaction
	events   []pos.Event
	refunds  []pos.Refund
	live     *pos.Reply
	liveErr  bool
	liveBusy bool
	liveCash bool // a cash sale: nothing to ask the gateway
	scroll   int
	reprint  reprintNote
}

func newDetail(e *env, code pos.ChargeCode, w, h int) detailModel {
	return detailModel{e: e, code: code, w: w, h: h}
}

// load reads the journal and asks the gateway at the same time.
func (m detailModel) load() (detailModel, tea.Cmd) {
	m.liveBusy = true
	return m, tea.Batch(m.e.detailCmd(m.code), m.e.liveQueryCmd(m.code))
}

// reload re-reads the journal's rows of the charge after a change (the
// live query is asked again only by its key).
func (m detailModel) reload(code pos.ChargeCode) (detailModel, tea.Cmd) {
	if code != "" && code != m.code {
		return m, nil
	}
	return m, m.e.detailCmd(m.code)
}

// printable reports whether tx has a sale receipt to print again: it was
// paid (refunds since then included).
func printable(tx pos.Transaction) bool {
	switch tx.State {
	case pos.StatePaid, pos.StatePartiallyRefunded, pos.StateRefunded:
		return !tx.GiveUp
	}
	return false
}

// reprintNote is what the screen says of a reprint asked from a list or a
// detail view: sending, sent (marked REPRINT), or failed.
type reprintNote struct {
	code pos.ChargeCode
	key  string // catalogue key
}

func (n reprintNote) done(msg printDoneMsg) (reprintNote, bool) {
	if n.code == "" || msg.Code != n.code {
		return n, false
	}
	n.key = "result.reprint.queued"
	if msg.Err != nil {
		n.key = "result.reprint.failed"
	}
	return n, true
}

func (n reprintNote) view(st Styles, t tr, w int) string {
	if n.key == "" {
		return ""
	}
	s := st.Hint
	if n.key == "result.reprint.failed" {
		s = st.Bad
	}
	return paragraph(t.T(n.key), s, 1, w)
}

// remaining is what may still be refunded.
func (m detailModel) remaining() pos.Money { return refundable(m.tx, m.refunds) }

// refundable is what may still be refunded of tx: nothing unless it is
// paid or part refunded (a revoked, closed or refunded charge has nothing
// left), else the amount less what was refunded and every refund not
// refused (those in flight included, as the checkout counts them).
func refundable(tx pos.Transaction, refunds []pos.Refund) pos.Money {
	if tx.State != pos.StatePaid && tx.State != pos.StatePartiallyRefunded {
		return 0
	}
	reserved := pos.Money(0)
	for _, rf := range refunds {
		if rf.State != pos.RefundRefused {
			reserved += rf.Amount
		}
	}
	return max(tx.Amount-max(tx.Refunded, reserved), 0)
}

func (m detailModel) canRefund() bool {
	return m.loaded && !m.tx.GiveUp && (m.tx.State == pos.StatePaid || m.tx.State == pos.StatePartiallyRefunded) && m.remaining() > 0
}

func (m detailModel) canRevoke() bool {
	return m.loaded && !m.tx.GiveUp && m.tx.State == pos.StatePaid && m.remaining() == m.tx.Amount
}

func (m detailModel) update(msg tea.Msg) (detailModel, tea.Cmd) {
	switch msg := msg.(type) {
	case detailMsg:
		if msg.Code != m.code {
			return m, nil
		}
		m.loaded, m.failed = msg.Err == nil, msg.Err != nil
		m.notFound = errors.Is(msg.Err, pos.ErrNotFound) && m.e.deps.LookupCharge != nil
		if msg.Err == nil {
			m.tx, m.events, m.refunds = msg.Tx, msg.Events, msg.Refunds
		}
		return m, nil
	case liveQueryMsg:
		if msg.Code != m.code {
			return m, nil
		}
		m.liveBusy, m.liveCash = false, msg.Cash
		m.liveErr = !msg.Cash && (msg.Err != nil || msg.Rep.Outcome == pos.OutcomeUnknown)
		if !m.liveErr {
			rep := msg.Rep
			m.live = &rep
		}
		return m, nil
	case printDoneMsg:
		m.reprint, _ = m.reprint.done(msg)
		return m, nil
	case tea.KeyMsg:
		k := m.e.keys
		switch {
		case key.Matches(msg, k.Back):
			return m, func() tea.Msg { return backMsg{} }
		case key.Matches(msg, k.Refresh):
			return m.load()
		case key.Matches(msg, k.PrintCopy) && m.loaded && printable(m.tx) && m.e.deps.Reprint != nil:
			m.reprint = reprintNote{code: m.tx.ChargeCode, key: "result.reprint.sending"}
			return m, m.e.reprintCmd(m.tx.ChargeCode)
		case key.Matches(msg, k.Refund) && m.canRefund():
			tx, rem := m.tx, m.remaining()
			return m, func() tea.Msg { return openRefundMsg{Tx: tx, Remaining: rem} }
		case key.Matches(msg, k.Revoke) && m.canRevoke():
			tx := m.tx
			return m, func() tea.Msg { return openRefundMsg{Tx: tx, Revoke: true, Remaining: tx.Amount} }
		case key.Matches(msg, k.Up):
			m.scroll = max(m.scroll-1, 0)
		case key.Matches(msg, k.Down):
			m.scroll = min(m.scroll+1, max(len(m.events)+len(m.refunds)-1, 0))
		}
	}
	return m, nil
}

func (m detailModel) bindings() []key.Binding {
	k := m.e.keys
	b := []key.Binding{k.Refresh}
	if m.loaded && printable(m.tx) && m.e.deps.Reprint != nil {
		b = append(b, k.PrintCopy)
	}
	if m.canRefund() {
		b = append(b, k.Refund)
	}
	if m.canRevoke() {
		b = append(b, k.Revoke)
	}
	return append(b, k.Up, k.Down, k.Back)
}

func (m detailModel) view(w, h int) string {
	st, t := m.e.st, m.e.t
	var b strings.Builder
	line := func(s string) { b.WriteString(" " + s + "\n") }
	kv := func(label, value string) string { return st.Label.Render(label) + " " + value }
	line(st.Title.Render(t.T("detail.title", string(m.code))))
	if m.failed {
		k := "detail.failed"
		if m.notFound {
			k = "detail.notfound"
		}
		line(st.Bad.Render(t.T(k)))
		return b.String()
	}
	if !m.loaded {
		line(st.Hint.Render(t.T("detail.loading")))
		return b.String()
	}
	tx := m.tx
	state := st.State(tx.State).Render(stateText(t, tx.State))
	if tx.GiveUp && tx.Unsettled() {
		state += " " + st.Warn.Render(t.T("detail.giveup"))
	}
	line(kv(t.T("detail.state"), state) + "   " + kv(t.T("detail.kind"), t.T("kind."+string(tx.Kind))))
	line(kv(t.T("detail.amount"), st.Amount.Render(yuan(tx.Amount))) + "   " +
		kv(t.T("detail.refunded"), yuan(tx.Refunded)) + "   " + kv(t.T("detail.remaining"), yuan(m.remaining())))
	facts := kv(t.T("detail.channel"), channelText(t, tx.Channel))
	if tx.MaskedCode != "" {
		facts += "   " + kv(t.T("detail.paycode"), tx.MaskedCode)
	}
	line(facts + "   " + kv(t.T("detail.cashier"), dash(tx.Cashier)))
	line(kv(t.T("detail.created"), m.e.stamp(tx.CreatedAt)) + "   " +
		kv(t.T("detail.gwcode"), dash(tx.ChargeDownCode)))
	if says := gatewaySays(t, tx.ResultCode, tx.ResultInfo); tx.State == pos.StateDeclined && says != "" {
		b.WriteString(paragraph(kv(t.T("detail.reason"), says), st.Value, 1, w))
	}
	var live string
	switch {
	case m.liveBusy:
		live = st.Hint.Render(t.T("detail.live.busy"))
	case m.liveCash:
		live = st.Muted.Render(t.T("detail.live.cash"))
	case m.liveErr:
		live = st.Bad.Render(t.T("detail.live.failed"))
	case m.live != nil && m.live.Outcome == pos.OutcomeRefused && m.live.Code == pos.CodeChargeNonexistent:
		live = st.Value.Render(t.T("detail.live.none"))
	case m.live != nil && m.live.HasState:
		live = st.Value.Render(remoteText(t, m.live.State))
	case m.live != nil:
		live = st.Muted.Render(gatewaySays(t, m.live.Code, m.live.Info))
	}
	line(kv(t.T("detail.live"), live))
	b.WriteString(m.reprint.view(st, t, w))
	b.WriteString("\n")
	rows := []string{st.Title.Render(t.T("detail.events"))}
	for _, ev := range m.events {
		name := func(s string) string {
			if ev.OutRefundNo != "" {
				return t.T("refundstate." + s)
			}
			return stateText(t, pos.State(s))
		}
		move := name(ev.To)
		if ev.From != "" && ev.From != ev.To {
			move = name(ev.From) + " → " + move
		}
		row := m.e.clock(ev.At) + "  " + padTo(opText(t, ev.Op), 9) + " " + padTo(move, 22) + " " + padTo(ev.Who, 14)
		switch {
		case ev.ResultCode == "":
		case width(row)+1+len(ev.ResultCode) <= w-1:
			row += " " + st.Muted.Render(ev.ResultCode)
		default: // its own line: a result code is never cut
			rows = append(rows, row)
			row = strings.Repeat(" ", 10) + st.Muted.Render(ev.ResultCode)
		}
		rows = append(rows, row)
		if ev.Approver != "" { // its own line: it must never be cut off at 80 columns
			rows = append(rows, strings.Repeat(" ", 10)+st.Muted.Render(t.T("detail.approvedby", ev.Approver)))
		}
	}
	if len(m.refunds) > 0 {
		rows = append(rows, st.Title.Render(t.T("detail.refunds")))
		for _, r := range m.refunds {
			rows = append(rows, r.OutRefundNo+"  "+padTo(yuan(r.Amount), 11)+" "+padTo(t.T("refundstate."+string(r.State)), 8)+" "+r.Cashier)
			if reason := pos.CleanText(r.Reason); reason != "" {
				for _, l := range strings.Split(wrap(reason, max(w-16, 10)), "\n") {
					rows = append(rows, strings.Repeat(" ", 14)+st.Muted.Render(l))
				}
			}
			if r.Approver != "" {
				rows = append(rows, strings.Repeat(" ", 14)+st.Muted.Render(t.T("detail.approvedby", r.Approver)))
			}
		}
	}
	used := strings.Count(b.String(), "\n")
	avail := max(h-used, 1)
	start := min(m.scroll, max(len(rows)-avail, 0))
	for i := start; i < len(rows) && i-start < avail; i++ {
		line(rows[i])
	}
	return b.String()
}

// opText names an audit event's operation.
func opText(t tr, op string) string {
	k := "op." + op
	if _, ok := catalogue[k]; ok {
		return t.T(k)
	}
	return op
}
