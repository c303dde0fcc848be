package ui

import (
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	"github.com/charmbracelet/bubbles/table"
	tea "github.com/charmbracelet/bubbletea"

	"posterm/pos"
)

// unsettledModel is the reconciler's queue: every charge and refund whose
// outcome is not known yet, with its attempts, next try and last error, and
// "reconcile now" with its progress. The background reconciler works on
// the same queue whatever this screen does.
type unsettledModel struct {
	e       *env
	w, h    int
	now     time.Time
	loading bool
	failed  bool
	// reloading: a re-read after a change is under way (not shown).
	reloading bool
	txs       []pos.Transaction
	refunds   []pos.Refund
	table     table.Model
	cols      int // columns shown (the last error's only where it fits)

	run     int
	running bool
	feed    reconcileFeed
	total   int
	done    int
	sum     *pos.ReconcileSummary
	runErr  bool
	// settlement: the last settlement's result, shown under the title.
	settlement *pos.Settlement
}

func newUnsettled(e *env, w, h int) unsettledModel {
	m := unsettledModel{e: e, table: table.New(table.WithStyles(e.st.Table), table.WithFocused(true))}
	return m.resize(w, h)
}

func (m unsettledModel) resize(w, h int) unsettledModel {
	m.w, m.h = w, h
	t := m.e.t
	cw := m.codeWidth()
	fixed := cw + 6 + 10 + 11 + 5 + 8 + 7*2
	cols := []table.Column{
		{Title: t.T("col.code"), Width: cw},
		{Title: t.T("col.kind"), Width: 6},
		{Title: t.T("col.amount"), Width: 10},
		{Title: t.T("col.state"), Width: 11},
		{Title: t.T("col.tries"), Width: 5},
		{Title: t.T("col.next"), Width: 8},
	}
	// The last error has its own paragraph under the table (the selected
	// row's, whole); the column shows only where it has room.
	if lw := w - fixed - 1; lw >= 16 {
		cols = append(cols, table.Column{Title: t.T("col.lasterror"), Width: lw})
	}
	m.table.SetColumns(cols)
	m.cols = len(cols)
	m.table.SetWidth(w)
	m.table.SetHeight(max(h-frameLines-10, 3))
	m.table.SetRows(m.rows())
	return m
}

// codeWidth fits the longest code listed (charge codes and refund
// serials are shown whole).
func (m unsettledModel) codeWidth() int {
	w := 16
	for _, tx := range m.txs {
		w = max(w, len(tx.ChargeCode))
	}
	for _, r := range m.refunds {
		w = max(w, len(r.ChargeCode))
	}
	return w
}

func (m unsettledModel) load() (unsettledModel, tea.Cmd) {
	m.loading = true
	return m, m.e.unsettledCmd()
}

// reload re-reads the queue after a change: a row the background
// reconciler closed leaves at once (not while "reconcile now" runs: its
// end reloads).
func (m unsettledModel) reload(pos.ChargeCode) (unsettledModel, tea.Cmd) {
	if m.running || m.loading || m.reloading {
		return m, nil
	}
	m.reloading = true // quietly: the rows on screen stay until the new ones come
	return m, m.e.unsettledCmd()
}

func (m unsettledModel) tick(now time.Time) unsettledModel {
	m.now = now
	return m
}

func (m unsettledModel) count() int { return len(m.txs) + len(m.refunds) }

func (m unsettledModel) rows() []table.Row {
	t := m.e.t
	next := func(q pos.Queue) string {
		if q.NextAttemptAt.IsZero() {
			return "—"
		}
		return m.e.clock(q.NextAttemptAt)
	}
	rows := make([]table.Row, 0, m.count())
	for _, tx := range m.txs {
		kind := t.T("kind." + string(tx.Kind))
		rows = append(rows, table.Row{string(tx.ChargeCode), kind, yuan(tx.Amount), stateText(t, tx.State),
			strconv.Itoa(tx.Attempts), next(tx.Queue), lastProblem(t, tx.ResultCode, tx.LastError, false)}[:m.cols])
	}
	for _, r := range m.refunds {
		rows = append(rows, table.Row{string(r.ChargeCode), t.T("kind.refund"), yuan(r.Amount),
			t.T("refundstate." + string(r.State)), strconv.Itoa(r.Attempts), next(r.Queue), lastProblem(t, r.ResultCode, r.LastError, false)}[:m.cols])
	}
	return rows
}

func (m unsettledModel) update(msg tea.Msg, moneyInFlight bool) (unsettledModel, tea.Cmd) {
	switch msg := msg.(type) {
	case unsettledMsg:
		m.loading, m.reloading, m.failed = false, false, msg.Err != nil
		if msg.Err == nil {
			m.txs, m.refunds, m.settlement = msg.Txs, msg.Refunds, msg.Settlement
		}
		m = m.resize(m.w, m.h)
		if c := m.table.Cursor(); c < 0 || c >= m.count() {
			m.table.SetCursor(0)
		}
		return m, nil
	case reconcileProgressMsg:
		if msg.Run != m.run || !m.running {
			return m, nil
		}
		m.done = msg.P.Done
		m.total = max(m.total, m.done)
		return m, m.feed.next(m.run)
	case reconcileDoneMsg:
		if msg.Run != m.run {
			return m, nil
		}
		m.running = false
		sum := msg.Sum
		m.sum, m.runErr = &sum, msg.Err != nil
		return m.load()
	case tea.KeyMsg:
		k := m.e.keys
		switch {
		case key.Matches(msg, k.Back):
			return m, func() tea.Msg { return backMsg{} }
		case key.Matches(msg, k.Reconcile):
			if m.running || m.e.deps.ReconcileNow == nil || moneyInFlight {
				return m, nil
			}
			m.run++
			m.running, m.done, m.total, m.sum, m.runErr = true, 0, m.count(), nil, false
			run, feed := m.e.reconcileCmd(m.run)
			m.feed = feed
			return m, tea.Batch(run, feed.next(m.run))
		}
		var cmd tea.Cmd
		m.table, cmd = m.table.Update(msg)
		return m, cmd
	}
	return m, nil
}

func (m unsettledModel) bindings(moneyInFlight bool) []key.Binding {
	k := m.e.keys
	var b []key.Binding
	if m.e.deps.ReconcileNow != nil && !m.running && !moneyInFlight {
		b = append(b, k.Reconcile)
	}
	return append(b, k.Up, k.Down, k.Back)
}

func (m unsettledModel) view(w, h int) string {
	st, t := m.e.st, m.e.t
	var b strings.Builder
	b.WriteString(" " + st.Title.Render(t.T("unset.title")) + "  ")
	switch {
	case m.loading && m.count() == 0:
		b.WriteString(st.Hint.Render(t.T("unset.loading")))
	case m.failed:
		b.WriteString(st.Bad.Render(t.T("unset.failed")))
	case m.count() == 0:
		b.WriteString(st.OK.Render(t.T("unset.none")))
	default:
		b.WriteString(st.Bad.Render(t.T("unset.count", m.count())))
	}
	b.WriteString("\n")
	b.WriteString(paragraph(t.T("unset.explain"), st.Muted, 1, w))
	if s := m.settlement; s != nil {
		style := st.OK
		if !s.Agree {
			style = st.Bad
		}
		b.WriteString(paragraph(t.T("unset.settlement", s.Summary(m.e.deps.Lang)), style, 1, w))
	}
	switch {
	case m.running:
		total := max(m.total, 1)
		bar := progress.New(progress.WithSolidFill(string(cCyan)), progress.WithoutPercentage(),
			progress.WithWidth(min(w-30, 40)), progress.WithColorProfile(m.e.profile))
		bar.EmptyColor = string(cGrey)
		b.WriteString(" " + st.Hint.Render(spinnerFrame(m.now)) + " " + t.T("unset.running") + " " +
			bar.ViewAs(float64(min(m.done, total))/float64(total)) + " " + strconv.Itoa(m.done) + "/" + strconv.Itoa(m.total) + "\n")
	case m.sum != nil:
		s := st.OK
		if m.runErr {
			s = st.Bad
		}
		left := m.sum.Results[pos.ResultRetry] + m.sum.Results[pos.ResultError]
		b.WriteString(paragraph(summaryText(t, *m.sum, left), s, 1, w))
	default:
		b.WriteString("\n")
	}
	b.WriteString("\n" + m.table.View() + "\n")
	if i := m.table.Cursor(); i >= 0 && i < m.count() {
		code, last := m.selected(i)
		b.WriteString(" " + st.Label.Render(t.T("unset.selected", string(code))) + "\n")
		b.WriteString(paragraph(dash(last), st.Muted, 1, w))
	}
	return b.String()
}

// settledTo are the results that settle a row, in the order the summary
// names them, with the word for each.
var settledTo = []struct {
	r   pos.ReconcileResult
	key string
}{
	{pos.ResultPaid, "state.paid"}, {pos.ResultRevoked, "state.revoked"}, {pos.ResultClosed, "state.closed"},
	{pos.ResultVoided, "state.voided"}, {pos.ResultDeclined, "state.declined"},
	{pos.ResultRefunded, "refundstate.done"}, {pos.ResultRefundRefused, "refundstate.refused"},
}

// summaryText says what a pass did and what each settled row settled to:
// "Handled 2: 1 paid, 1 closed; 0 still waiting."
func summaryText(t tr, sum pos.ReconcileSummary, left int) string {
	var parts []string
	for _, s := range settledTo {
		if n := sum.Results[s.r]; n > 0 {
			parts = append(parts, t.T("unset.settled.n", n, t.T(s.key)))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, t.T("unset.settled.none"))
	}
	return t.T("unset.summary", sum.Claimed, strings.Join(parts, t.T("list.sep")), left)
}

// lastProblem is a row's last problem as the cashier reads it: the
// catalogue text of its result code, else "no answer or a fault"; an
// English screen also shows (full: under the table) the register's own
// note, made inert: it is log text, never shown on a Chinese screen.
func lastProblem(t tr, code, lastErr string, full bool) string {
	if lastErr == "" && code == "" {
		return "—"
	}
	said := gatewaySays(t, code, "")
	if said == "" || code == pos.CodeSuccess {
		said = t.T("unset.noanswer")
	}
	if t.zh || lastErr == "" || !full {
		return said
	}
	return said + ": " + pos.CleanText(lastErr)
}

// selected returns the charge code and the full last error of row i.
func (m unsettledModel) selected(i int) (pos.ChargeCode, string) {
	if i < len(m.txs) {
		return m.txs[i].ChargeCode, lastProblem(m.e.t, m.txs[i].ResultCode, m.txs[i].LastError, true)
	}
	r := m.refunds[i-len(m.txs)]
	return pos.ChargeCode(r.OutRefundNo), lastProblem(m.e.t, r.ResultCode, r.LastError, true)
}
