package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// helpModel lists every key, from the key map, grouped by screen.
type helpModel struct {
	e      *env
	scroll int
}

func (m helpModel) update(msg tea.Msg) (helpModel, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return m, nil
	}
	switch {
	case key.Matches(k, m.e.keys.Back), key.Matches(k, m.e.keys.Help):
		m.scroll = 0
		return m, func() tea.Msg { return backMsg{} }
	case key.Matches(k, m.e.keys.Up), k.Type == tea.KeyPgUp:
		m.scroll = max(m.scroll-5, 0)
	case key.Matches(k, m.e.keys.Down), k.Type == tea.KeyPgDown:
		m.scroll = min(m.scroll+5, 40)
	}
	return m, nil
}

type helpGroup struct {
	title string
	keys  []key.Binding
}

func (m helpModel) groups(demo bool) []helpGroup {
	k := m.e.keys
	global := []key.Binding{k.Help, k.History, k.Unsettled, k.Devices}
	if demo {
		global = append(global, k.Demo)
	}
	global = append(global, k.Lock, k.Quit, k.Back)
	qr := []key.Binding{k.PickChannel, k.SwitchChannel, k.Abort}
	if demo {
		qr = append(qr, k.CustomerPays)
	}
	return []helpGroup{
		{"help.g.global", global},
		{"help.g.sale", []key.Binding{k.Amount, k.Clear, k.Subject, k.ScanPay, k.QRPay, k.Acknowledge}},
		{"help.g.scan", []key.Binding{k.Submit, k.Abort}},
		{"help.g.qr", qr},
		{"help.g.result", []key.Binding{k.NextSale, k.Reprint, k.Acknowledge}},
		{"help.g.history", []key.Binding{k.Open, k.Filter, k.Search, k.Batch, k.NextPage, k.PrevPage}},
		{"help.g.detail", []key.Binding{k.Refresh, k.Refund, k.Revoke, k.NextField, k.Confirm}},
		{"help.g.other", []key.Binding{k.Reconcile, k.TestPrint}},
	}
}

func (m helpModel) view(w, h int, demo bool) string {
	st, t := m.e.st, m.e.t
	var blocks []string
	for _, g := range m.groups(demo) {
		lines := []string{st.Title.Render(t.T(g.title))}
		for _, b := range g.keys {
			lines = append(lines, st.KeyKey.Render(pad(b.Help().Key, 10))+" "+b.Help().Desc)
		}
		blocks = append(blocks, strings.Join(lines, "\n"))
	}
	// Columns as wide as the longest entry; as many as fit; groups flow
	// top to bottom, balanced; ↑/↓ scroll what does not fit.
	colW := 0
	for _, b := range blocks {
		colW = max(colW, width(b))
	}
	colW = min(colW+1, max((w-2)/2, 30), w-1)
	cols := max(min((w-1)/colW, len(blocks)), 1)
	total := 0
	for _, b := range blocks {
		total += strings.Count(b, "\n") + 2
	}
	target := (total + cols - 1) / cols
	var columns []string
	var cur []string
	used := 0
	for _, b := range blocks {
		n := strings.Count(b, "\n") + 2
		if used > 0 && used+n > target+1 && len(columns) < cols-1 {
			columns = append(columns, strings.Join(cur, "\n\n"))
			cur, used = nil, 0
		}
		cur = append(cur, b)
		used += n
	}
	columns = append(columns, strings.Join(cur, "\n\n"))
	for i := range columns {
		lines := strings.Split(columns[i], "\n")
		for j := range lines {
			lines[j] = pad(lines[j], colW-1)
		}
		columns[i] = strings.Join(lines, "\n")
	}
	all := strings.Split(lipgloss.JoinHorizontal(lipgloss.Top, append([]string{" "}, interleave(columns, " ")...)...), "\n")
	start := min(m.scroll, max(len(all)-h, 0))
	if start > 0 || len(all) > h {
		hint := st.Muted.Render(t.T("help.more"))
		all = append(all[start:min(start+h-1, len(all))], " "+hint)
	}
	return strings.Join(all, "\n")
}

func interleave(xs []string, sep string) []string {
	out := make([]string, 0, 2*len(xs))
	for i, x := range xs {
		if i > 0 {
			out = append(out, sep)
		}
		out = append(out, x)
	}
	return out
}
