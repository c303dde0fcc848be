package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"posterm/device"
)

// devicesModel is the devices screen: the scanner and the printer as the
// status bar sees them, the last scan (masked) and a test print.
type devicesModel struct {
	e    *env
	note string
	bad  bool
}

func (m devicesModel) update(msg tea.Msg) (devicesModel, tea.Cmd) {
	switch msg := msg.(type) {
	case printDoneMsg:
		if msg.Code != "" {
			return m, nil
		}
		m.note, m.bad = "dev.testprint.queued", msg.Err != nil
		if msg.Err != nil {
			m.note = "dev.testprint.failed"
		}
		return m, nil
	case tea.KeyMsg:
		k := m.e.keys
		switch {
		case key.Matches(msg, k.Back):
			return m, func() tea.Msg { return backMsg{} }
		case key.Matches(msg, k.TestPrint) && m.e.deps.TestPrint != nil:
			m.note, m.bad = "dev.testprint.sending", false
			return m, m.e.testPrintCmd()
		}
	}
	return m, nil
}

func (m devicesModel) bindings() []key.Binding {
	k := m.e.keys
	if m.e.deps.TestPrint != nil {
		return []key.Binding{k.TestPrint, k.Back}
	}
	return []key.Binding{k.Back}
}

// view reads the frame's own device state (r), which the status bar shows.
func (m devicesModel) view(w, h int, r deviceView) string {
	st, t := m.e.st, m.e.t
	var b strings.Builder
	row := func(label, value string) { b.WriteString("   " + pad(st.Label.Render(label), 12) + value + "\n") }
	b.WriteString("\n   " + st.Title.Render(t.T("dev.title")) + "\n\n")
	port := m.e.deps.ScannerPort
	switch {
	case port == "":
		row(t.T("dev.scanner"), st.OK.Render("● ")+t.T("dev.scanner.wedge"))
	case r.scanner == "connected":
		row(t.T("dev.scanner"), st.OK.Render("● ")+t.T("dev.scanner.connected", port))
	case r.scanner == "":
		row(t.T("dev.scanner"), st.Warn.Render("● ")+t.T("dev.scanner.opening", port))
	default:
		row(t.T("dev.scanner"), st.Bad.Render("● "+t.T("dev.scanner.missing", port)))
	}
	if port != "" && r.scanner != "connected" {
		b.WriteString(paragraph(t.T("dev.scanner.fix"), st.Muted, 15, w))
	}
	if r.lastScan.Masked == "" {
		row(t.T("dev.lastscan"), st.Muted.Render(t.T("dev.lastscan.none")))
	} else {
		what := r.lastScan.Kind.Text(t.lang())
		if r.lastScan.Kind == device.KindRefused {
			what = st.Bad.Render(r.lastScan.Reason.Text(t.lang()))
		}
		src := t.T("dev.src.serial")
		if r.lastScan.Wedge {
			src = t.T("dev.src.wedge")
		}
		row(t.T("dev.lastscan"), r.lastScan.Masked+"  "+m.e.clock(r.lastScan.At)+"  "+src)
		row("", what)
	}
	b.WriteString("\n")
	if m.e.deps.Printer == nil {
		row(t.T("dev.printer"), st.Warn.Render("● ")+t.T("status.printer.none"))
	} else {
		s := st.OK
		if r.printer.Bad() {
			s = st.Bad
		}
		row(t.T("dev.printer"), s.Render("● ")+printerText(t, r.printer))
		row(t.T("dev.queue"), t.T("dev.queue.n", r.printQueue))
		if r.printer.Bad() {
			b.WriteString(paragraph(t.T("dev.printer.fix"), st.Muted, 15, w))
		}
	}
	if m.note != "" {
		s := st.Hint
		if m.bad {
			s = st.Bad
		}
		b.WriteString("\n   " + s.Render(t.T(m.note)) + "\n")
	}
	return b.String()
}
