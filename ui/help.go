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

// helpKeyW is the width of the key column of the help screen.
const helpKeyW = 10

func (m helpModel) update(msg tea.Msg) (helpModel, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return m, nil
	}
	switch {
	case key.Matches(k, m.e.keys.Back), key.Matches(k, m.e.keys.Help):
		m.scroll = 0
		return m, func() tea.Msg { return backMsg{} }
	case key.Matches(k, m.e.keys.ScrollUp):
		m.scroll = max(m.scroll-5, 0)
	case key.Matches(k, m.e.keys.ScrollDown):
		// The view stops where the last entry shows; this bound (every
		// entry on up to two rows, one column) only keeps ↑ from having
		// to climb back from far past it.
		rows := 0
		for _, g := range m.e.keys.helpGroups(true) {
			rows += 2 + 2*len(g.keys)
		}
		m.scroll = min(m.scroll+5, rows)
	}
	return m, nil
}

func (m helpModel) view(w, h int, demo bool) string {
	st, t := m.e.st, m.e.t
	var blocks []string
	groups := m.e.keys.helpGroups(demo)
	// Columns as wide as the longest entry; as many as fit; groups flow
	// top to bottom, balanced; ↑/↓ scroll what does not fit. A description
	// too long for its column wraps under itself: nothing is cut.
	colW := 0
	for _, g := range groups {
		colW = max(colW, width(t.T(g.title)))
		for _, b := range g.keys {
			colW = max(colW, helpKeyW+1+width(b.Help().Desc))
		}
	}
	colW = min(colW+1, max((w-2)/2, 30), w-1)
	descW := max(colW-1-helpKeyW-1, 8)
	for _, g := range groups {
		lines := []string{st.Title.Render(t.T(g.title))}
		for _, b := range g.keys {
			desc := strings.Split(wrap(b.Help().Desc, descW), "\n")
			lines = append(lines, st.KeyKey.Render(pad(b.Help().Key, helpKeyW))+" "+desc[0])
			for _, d := range desc[1:] {
				lines = append(lines, strings.Repeat(" ", helpKeyW+1)+d)
			}
		}
		blocks = append(blocks, strings.Join(lines, "\n"))
	}
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
	// When it does not fit, the last row says so and h-1 rows show: the
	// scroll stops where the last entry is on the last of them.
	start := min(m.scroll, max(len(all)-(h-1), 0))
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
