package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// demoModel is the demo panel: the sandbox's payment codes and what each
// does. Enter hands the chosen code to the sale or scan screen as if it had
// been scanned.
type demoModel struct {
	e    *env
	sel  int
	from screenID // the screen the panel was opened from
}

func newDemo(e *env) demoModel { return demoModel{e: e} }

func (m demoModel) canUse() bool { return m.from == scrSale || m.from == scrScan }

func (m demoModel) update(msg tea.Msg) (demoModel, tea.Cmd) {
	k, ok := msg.(tea.KeyMsg)
	if !ok || m.e.deps.Demo == nil {
		return m, nil
	}
	codes := m.e.deps.Demo.Codes
	keys := m.e.keys
	switch {
	case key.Matches(k, keys.Back), key.Matches(k, keys.Demo):
		return m, func() tea.Msg { return backMsg{} }
	case key.Matches(k, keys.Up) && len(codes) > 0:
		m.sel = (m.sel + len(codes) - 1) % len(codes)
	case key.Matches(k, keys.Down) && len(codes) > 0:
		m.sel = (m.sel + 1) % len(codes)
	case key.Matches(k, keys.UseCode) && m.canUse() && m.sel < len(codes):
		code := codes[m.sel].Code
		return m, func() tea.Msg { return useCodeMsg{Code: code} }
	}
	return m, nil
}

func (m demoModel) bindings() []key.Binding {
	k := m.e.keys
	if m.canUse() {
		return []key.Binding{k.UseCode, k.Up, k.Down, k.Back}
	}
	return []key.Binding{k.Up, k.Down, k.Back}
}

func (m demoModel) view(w, h int) string {
	st, t := m.e.st, m.e.t
	d := m.e.deps.Demo
	if d == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(" " + st.Title.Render(t.T("demo.title")) + "\n")
	b.WriteString(paragraph(t.T("demo.explain"), st.Muted, 1, w))
	if d.SandboxURL != "" {
		b.WriteString(" " + st.Label.Render(t.T("demo.url")) + " " + d.SandboxURL + "\n")
	}
	b.WriteString("\n")
	for i, c := range d.Codes {
		line := pad(c.Code, 20) + " " + t.T(demoOutcomeKey(c.Outcome))
		if i == m.sel {
			b.WriteString(" " + st.Selected.Render("▸ "+pad(line, min(w-4, 74))) + "\n")
		} else {
			b.WriteString("   " + line + "\n")
		}
	}
	b.WriteString("\n")
	if m.canUse() {
		b.WriteString(paragraph(t.T("demo.use"), st.Hint, 1, w))
	} else {
		b.WriteString(paragraph(t.T("demo.open"), st.Muted, 1, w))
	}
	b.WriteString(paragraph(t.T("demo.qr", m.e.keys.CustomerPays.Help().Key), st.Muted, 1, w))
	return b.String()
}

func demoOutcomeKey(o DemoOutcome) string {
	switch o {
	case DemoConfirm8s:
		return "demo.o.confirm"
	case DemoDeclined:
		return "demo.o.declined"
	case DemoNeverPaid:
		return "demo.o.never"
	case DemoAnswerLost:
		return "demo.o.lost"
	case DemoGatewayDown:
		return "demo.o.down"
	case DemoPaidLate:
		return "demo.o.late"
	case DemoSystemFault:
		return "demo.o.fault"
	}
	return "demo.o.paid"
}
