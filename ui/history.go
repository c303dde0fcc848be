package ui

import (
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/table"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"posterm/pos"
)

// historyFilters are the state filters of the history list, in the order
// ←/→ cycles through them.
var historyFilters = []struct {
	key    string
	states []pos.State
}{
	{"hist.f.all", nil},
	{"hist.f.paid", []pos.State{pos.StatePaid}},
	{"hist.f.refunded", []pos.State{pos.StatePartiallyRefunded, pos.StateRefunded}},
	{"hist.f.declined", []pos.State{pos.StateDeclined}},
	{"hist.f.unsettled", []pos.State{pos.StateSending, pos.StateUnknown, pos.StatePending}},
	{"hist.f.cancelled", []pos.State{pos.StateClosed, pos.StateVoided, pos.StateRevoked}},
}

// historyModel is today's transactions from the journal in a table, with
// a state filter and a search by charge code; on a key, the gateway's own
// batch query, page by page.
type historyModel struct {
	e       *env
	w, h    int
	seq     int
	loading bool
	failed  bool
	txs     []pos.Transaction
	shown   []pos.Transaction
	filter  int
	search  textinput.Model
	// searching: the search field has the focus.
	searching bool
	table     table.Model

	gateway   bool      // showing the gateway's batch query
	day       time.Time // local midnight of the day shown
	opened    time.Time // when the list was opened (pos.Clock)
	page      int
	batch     pos.BatchPage
	batchBusy bool
	batchErr  bool
	reprint   reprintNote
}

func newHistory(e *env, w, h int) historyModel {
	s := newInput(e, "", 32)
	s.Width = 24
	m := historyModel{e: e, search: s, table: table.New(table.WithStyles(e.st.Table), table.WithFocused(true))}
	return m.resize(w, h)
}

func (m historyModel) resize(w, h int) historyModel {
	m.w, m.h = w, h
	bh := max(h-frameLines, 6)
	m.table.SetColumns(m.columns())
	m.table.SetWidth(w)
	m.table.SetHeight(max(bh-5, 3))
	m.table.SetRows(m.rows())
	return m
}

// codeWidth fits the longest charge code listed: codes are shown whole.
func (m historyModel) codeWidth() int {
	w := 16
	for _, tx := range m.txs {
		w = max(w, len(tx.ChargeCode))
	}
	for _, r := range m.batch.Trades {
		w = max(w, len(r.ChargeCode))
	}
	return w
}

func (m historyModel) columns() []table.Column {
	t := m.e.t
	cw := m.codeWidth()
	fixed := 8 + cw + 10 + 12 + 4*2 + 2
	return []table.Column{
		{Title: t.T("col.time"), Width: 8},
		{Title: t.T("col.code"), Width: cw},
		{Title: t.T("col.channel"), Width: 10},
		{Title: t.T("col.amount"), Width: 12},
		{Title: t.T("col.state"), Width: max(m.w-fixed-2, 10)},
	}
}

// load reads today's transactions (the pos.Clock's day).
func (m historyModel) load(now time.Time) (historyModel, tea.Cmd) {
	m.seq++
	m.loading = true
	m.opened = now
	y, mo, d := now.In(m.e.deps.Location).Date()
	m.day = time.Date(y, mo, d, 0, 0, 0, 0, m.e.deps.Location)
	return m, m.e.historyCmd(m.seq, m.day)
}

// reload re-reads the day's list after a change, keeping the filter, the
// search and the selected row (the gateway's list is left as asked).
func (m historyModel) reload(pos.ChargeCode) (historyModel, tea.Cmd) {
	if m.gateway || m.loading {
		return m, nil
	}
	m.seq++
	return m, m.e.historyCmd(m.seq, m.day)
}

func (m historyModel) apply() historyModel {
	var sel pos.ChargeCode
	if c := m.table.Cursor(); c >= 0 && c < len(m.shown) {
		sel = m.shown[c].ChargeCode
	}
	f := historyFilters[m.filter]
	q := m.search.Value()
	m.shown = m.shown[:0:0]
	for i := len(m.txs) - 1; i >= 0; i-- { // newest first
		tx := m.txs[i]
		if f.states != nil && !containsState(f.states, tx.State) {
			continue
		}
		if !searchMatches(tx, q) {
			continue
		}
		m.shown = append(m.shown, tx)
	}
	m.table.SetColumns(m.columns())
	m.table.SetRows(m.rows())
	for i, tx := range m.shown {
		if sel != "" && tx.ChargeCode == sel {
			m.table.SetCursor(i)
			return m
		}
	}
	if c := m.table.Cursor(); c < 0 || c >= len(m.shown) {
		m.table.SetCursor(max(min(c, len(m.shown)-1), 0))
	}
	return m
}

// searchMatches reports whether the history search q finds tx: a part of
// its charge code, the last 4 digits of the customer's payment code, or
// its amount ("12.34", "¥12.34", "1,234.00"; "12" finds ¥12.00).
func searchMatches(tx pos.Transaction, q string) bool {
	q = strings.ToUpper(strings.TrimSpace(q))
	if q == "" {
		return true
	}
	if strings.Contains(strings.ToUpper(string(tx.ChargeCode)), q) {
		return true
	}
	if len(q) == 4 && len(tx.MaskedCode) >= 8 && strings.HasSuffix(tx.MaskedCode, q) {
		return true
	}
	amt := strings.NewReplacer("¥", "", "￥", "", ",", "", "，", "").Replace(q)
	want, err := pos.ParseYuan(amt)
	return err == nil && want == tx.Amount
}

func containsState(ss []pos.State, s pos.State) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func (m historyModel) rows() []table.Row {
	st, t := m.e.st, m.e.t
	if m.gateway {
		rows := make([]table.Row, 0, len(m.batch.Trades))
		for _, r := range m.batch.Trades {
			tm := ""
			if !r.BeginTime.IsZero() {
				tm = m.e.clock(r.BeginTime)
			}
			state := t.T("remote.unknown")
			if r.HasState {
				state = remoteText(t, r.State)
			}
			rows = append(rows, table.Row{tm, string(r.ChargeCode), channelText(t, r.Channel), yuan(r.Amount), state})
		}
		return rows
	}
	rows := make([]table.Row, 0, len(m.shown))
	for _, tx := range m.shown {
		rows = append(rows, table.Row{m.e.clock(tx.CreatedAt), string(tx.ChargeCode), channelText(t, tx.Channel),
			yuan(tx.Amount), st.State(tx.State).Render(stateText(t, tx.State))})
	}
	return rows
}

func (m historyModel) update(msg tea.Msg) (historyModel, tea.Cmd) {
	switch msg := msg.(type) {
	case historyMsg:
		if msg.Seq != m.seq {
			return m, nil
		}
		m.loading, m.failed = false, msg.Err != nil
		m.txs = msg.Txs
		return m.apply(), nil
	case batchMsg:
		if !m.gateway || msg.Page != m.page {
			return m, nil
		}
		m.batchBusy, m.batchErr = false, msg.Err != nil
		if msg.Err == nil {
			m.batch = msg.P
		}
		m.table.SetColumns(m.columns())
		m.table.SetRows(m.rows())
		m.table.SetCursor(0)
		if len(m.batch.Trades) == 0 {
			m.table.SetCursor(-1)
		}
		return m, nil
	case printDoneMsg:
		m.reprint, _ = m.reprint.done(msg)
		return m, nil
	case tea.KeyMsg:
		return m.key(msg)
	}
	return m, nil
}

func (m historyModel) key(msg tea.KeyMsg) (historyModel, tea.Cmd) {
	k := m.e.keys
	if m.searching {
		switch {
		case key.Matches(msg, k.EndSearch):
			m.searching = false
			m.search.Blur()
			m = m.apply()
			if code, ok := m.otherTillsCharge(); ok {
				return m, func() tea.Msg { return openDetailMsg{Code: code} }
			}
			return m, nil
		case key.Matches(msg, k.CancelSearch):
			m.searching = false
			m.search.Blur()
			m.search.SetValue("")
			return m.apply(), nil
		}
		var cmd tea.Cmd
		m.search, cmd = m.search.Update(msg)
		return m.apply(), cmd
	}
	if m.gateway {
		switch {
		case key.Matches(msg, k.Back):
			m.gateway = false
			return m.apply(), nil
		case key.Matches(msg, k.NextPage) && len(m.batch.Trades) == batchPageSize:
			m.page++
			m.batchBusy = true
			return m, m.e.batchCmd(m.page, gatewayDay(m.opened))
		case key.Matches(msg, k.PrevPage) && m.page > 1:
			m.page--
			m.batchBusy = true
			return m, m.e.batchCmd(m.page, gatewayDay(m.opened))
		}
		var cmd tea.Cmd
		m.table, cmd = m.table.Update(msg)
		return m, cmd
	}
	switch {
	case key.Matches(msg, k.Back):
		return m, func() tea.Msg { return backMsg{} }
	case key.Matches(msg, k.Open):
		if i := m.table.Cursor(); i >= 0 && i < len(m.shown) {
			code := m.shown[i].ChargeCode
			return m, func() tea.Msg { return openDetailMsg{Code: code} }
		}
		return m, nil
	case key.Matches(msg, k.PrintCopy) && m.e.deps.Reprint != nil:
		if i := m.table.Cursor(); i >= 0 && i < len(m.shown) && printable(m.shown[i]) {
			code := m.shown[i].ChargeCode
			m.reprint = reprintNote{code: code, key: "result.reprint.sending"}
			return m, m.e.reprintCmd(code)
		}
		return m, nil
	case key.Matches(msg, k.Search):
		m.searching = true
		m.search.Focus()
		return m, nil
	case key.Matches(msg, k.PrevFilter):
		m.filter = (m.filter + len(historyFilters) - 1) % len(historyFilters)
		return m.apply(), nil
	case key.Matches(msg, k.Filter):
		m.filter = (m.filter + 1) % len(historyFilters)
		return m.apply(), nil
	case key.Matches(msg, k.Batch):
		m.gateway, m.page, m.batchBusy, m.batch = true, 1, true, pos.BatchPage{}
		m.table.SetRows(nil)
		return m, m.e.batchCmd(m.page, gatewayDay(m.opened))
	}
	var cmd tea.Cmd
	m.table, cmd = m.table.Update(msg)
	return m, cmd
}

func (m historyModel) bindings() []key.Binding {
	k := m.e.keys
	switch {
	case m.searching:
		return []key.Binding{k.EndSearch, k.CancelSearch}
	case m.gateway:
		return []key.Binding{k.NextPage, k.PrevPage, k.Up, k.Down, k.Back}
	}
	b := []key.Binding{k.Open, k.Filter, k.Search}
	if i := m.table.Cursor(); m.e.deps.Reprint != nil && i >= 0 && i < len(m.shown) && printable(m.shown[i]) {
		b = append(b, k.PrintCopy)
	}
	return append(b, k.Batch, k.Back)
}

func (m historyModel) view(w, h int) string {
	st, t := m.e.st, m.e.t
	var b strings.Builder
	if m.gateway {
		b.WriteString(" " + st.Title.Render(t.T("hist.gw.title", gatewayDay(m.opened).Format("2006-01-02"))) + "  " +
			st.Muted.Render(t.T("hist.gw.page", m.page)) + "\n")
		switch {
		case m.batchBusy:
			b.WriteString(" " + st.Hint.Render(t.T("hist.gw.loading")) + "\n")
		case m.batchErr:
			b.WriteString(" " + st.Bad.Render(t.T("hist.gw.failed")) + "\n")
		case len(m.batch.Trades) == 0:
			b.WriteString(" " + st.Muted.Render(t.T("hist.gw.empty")) + "\n")
		default:
			b.WriteString(" " + st.Muted.Render(t.T("hist.gw.note")) + "\n")
		}
		b.WriteString("\n" + m.table.View())
		return b.String()
	}
	var total pos.Money
	for _, tx := range m.shown {
		if tx.State == pos.StatePaid || tx.State == pos.StatePartiallyRefunded {
			total += tx.Amount - tx.Refunded
		}
	}
	b.WriteString(" " + st.Title.Render(t.T("hist.title", m.e.day(m.day))) + "  " +
		st.Muted.Render(t.T("hist.count", len(m.shown), yuan(total))) + "\n")
	var filters []string
	for i, f := range historyFilters {
		if i == m.filter {
			filters = append(filters, st.Selected.Render(" "+t.T(f.key)+" "))
		} else {
			filters = append(filters, " "+t.T(f.key)+" ")
		}
	}
	b.WriteString(" " + strings.Join(filters, "") + "\n")
	switch {
	case m.searching:
		b.WriteString(" " + st.FieldFocus.Render("/ ") + m.search.View() + "\n")
	case m.reprint.key != "":
		b.WriteString(strings.TrimSuffix(m.reprint.view(st, t, w), "\n") + "\n")
	case m.search.Value() != "":
		b.WriteString(" " + st.Muted.Render(t.T("hist.search.on", m.search.Value())) + "\n")
	case m.loading:
		b.WriteString(" " + st.Hint.Render(t.T("hist.loading")) + "\n")
	case m.failed:
		b.WriteString(" " + st.Bad.Render(t.T("hist.failed")) + "\n")
	case len(m.shown) == 0:
		b.WriteString(" " + st.Muted.Render(t.T("hist.empty")) + "\n")
	default:
		b.WriteString("\n")
	}
	b.WriteString(m.table.View())
	return b.String()
}

// beijing is the gateway's time zone: its batch query takes dates there
// (WIRE.md §4.7), whatever the register's own zone.
var beijing = time.FixedZone("CST", 8*3600)

// gatewayDay is the date in Beijing at t, as the batch query takes it.
func gatewayDay(t time.Time) time.Time {
	b := t.In(beijing)
	return time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, beijing)
}

// stateText names a local state for the cashier.
func stateText(t tr, s pos.State) string {
	if s == "" {
		return "—"
	}
	return t.T("state." + string(s))
}

// remoteText names the gateway's STATE (WIRE.md §5).
func remoteText(t tr, r pos.RemoteState) string {
	k := "remote." + strconv.Itoa(int(r))
	if _, ok := catalogue[k]; ok {
		return t.T(k)
	}
	return t.T("remote.other", int(r))
}

// otherTillsCharge: the search is a whole charge code that this till's
// journal does not hold but the store hub may (a receipt of another till
// brought here for a refund or a reprint). Its detail is then opened
// through Deps.LookupCharge.
func (m historyModel) otherTillsCharge() (pos.ChargeCode, bool) {
	if m.e.deps.LookupCharge == nil || len(m.shown) > 0 {
		return "", false
	}
	code := pos.ChargeCode(strings.ToUpper(strings.TrimSpace(m.search.Value())))
	if _, ok := pos.TillOfCharge(code); !ok {
		return "", false
	}
	return code, true
}
