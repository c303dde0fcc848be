package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"

	"posterm/pos"
)

// This file is the frame around the screens: the header, the status bar
// and the key line.

// View draws the frame around the current screen: exactly the terminal's
// height, no line wider than the terminal. Pure: no I/O, no clock.
func (m Model) View() string {
	bw, bh := m.bodySize()
	body := m.body(bw, bh)
	if m.quitAsk || m.refusal != "" {
		say := "quit.inflight"
		if m.refusal != "" {
			say = m.refusal
		}
		said := strings.Split(strings.TrimRight(paragraph(m.e.t.T(say), m.e.st.Bad, 1, bw), "\n"), "\n")
		lines := strings.Split(block(body, bw, bh), "\n")
		copy(lines[max(len(lines)-len(said), 0):], said)
		body = strings.Join(lines, "\n")
	}
	return strings.Join([]string{
		m.header(),
		m.e.st.Rule.Render(strings.Repeat("─", m.w)),
		block(body, bw, bh),
		m.statusBar(),
		m.keyLine(),
	}, "\n")
}

func (m Model) body(w, h int) string {
	if s := m.current(); s != nil {
		return s.draw(w, h, m.frame())
	}
	return ""
}

func (m Model) header() string {
	st, t := m.e.st, m.e.t
	left := " " + st.Brand.Render("posterm")
	// The store's name, which usually contains the merchant's ("Demo Store
	// No. 1" of "Demo Store"): the merchant is not repeated. Names are
	// outside text: made inert.
	merchant, store := pos.CleanText(m.e.deps.Merchant), pos.CleanText(m.e.deps.Store)
	shop := merchant
	switch {
	case store == "":
	case merchant == "" || strings.Contains(store, merchant):
		shop = store
	default:
		shop = merchant + " · " + store
	}
	if shop != "" {
		left += "  " + st.Header.Render(shop)
	}
	if m.e.demo() {
		left += " " + st.DemoMark.Render(" "+t.T("header.demo")+" ")
	}
	var right []string
	if m.e.deps.Register != "" {
		right = append(right, m.e.deps.Register)
	}
	if m.loggedIn {
		right = append(right, m.cashier.LoginName)
	} else {
		right = append(right, t.T("header.nobody"))
	}
	// The shop's time, with its zone's name: never the host's.
	right = append(right, m.e.clock(m.now)+" "+m.now.In(m.e.deps.Location).Format("MST"))
	return spread(left, st.HeaderRight.Render(strings.Join(right, " · "))+" ", m.w)
}

// statusBar shows the gateway, the scanner, the printer and the unsettled
// count; anything wrong is red (or amber) and says why. When it does not
// fit, the labels of what is fine go first.
func (m Model) statusBar() string {
	st, t := m.e.st, m.e.t
	type seg struct {
		label, value string
		style        lipgloss.Style
		fine         bool
	}
	ok := func(label, value string) seg { return seg{label, "● " + value, st.StatusOK, true} }
	warn := func(label, value string) seg { return seg{label, "● " + value, st.StatusWarn, false} }
	bad := func(label, value string) seg { return seg{label, "● " + value, st.StatusBad, false} }
	var segs []seg
	gw := t.T("status.gateway")
	switch m.gw {
	case gwChecking:
		segs = append(segs, warn(gw, t.T("status.gw.checking")))
	case gwOnline:
		segs = append(segs, ok(gw, t.T("status.gw.online")))
	case gwOffline:
		segs = append(segs, bad(gw, t.T("status.gw.offline")))
	case gwNoAnswer:
		segs = append(segs, warn(gw, t.T("status.gw.noanswer")))
	case gwFault:
		segs = append(segs, bad(gw, t.T("status.gw.fault")))
	}
	sc, port := t.T("status.scanner"), m.e.deps.ScannerPort
	switch {
	case port == "":
		segs = append(segs, ok(sc, t.T("status.scan.keyboard")))
	case m.dev.scanner == "connected":
		segs = append(segs, ok(sc, shortPort(port)))
	case m.dev.scanner == "":
		segs = append(segs, warn(sc, shortPort(port)+" "+t.T("status.scan.opening")))
	default:
		segs = append(segs, bad(sc, t.T("status.scan.missing"))) // the port is on the devices screen
	}
	pr := t.T("status.printer")
	if m.e.deps.Printer == nil {
		segs = append(segs, warn(pr, t.T("status.printer.none")))
	} else {
		v := printerText(t, m.dev.printer)
		if m.dev.printQueue > 0 {
			v += " " + t.T("status.printer.queue", m.dev.printQueue)
		}
		switch {
		case m.dev.printer.Bad():
			segs = append(segs, bad(pr, v))
		case m.dev.printer == PrinterPaperLow:
			segs = append(segs, warn(pr, v))
		default:
			segs = append(segs, ok(pr, v))
		}
	}
	un := t.T("status.unsettled")
	switch n := m.unsettledCount(); {
	case m.unsetErr:
		segs = append(segs, seg{un, t.T("status.unsettled.err"), st.StatusBad, false})
	case n > 0:
		segs = append(segs, seg{un, t.T("status.unsettled.n", n), st.StatusBad, false})
	default:
		segs = append(segs, seg{un, "0", st.StatusOK, true})
	}
	compose := func(sep string, fineLabels bool) string {
		parts := make([]string, 0, len(segs))
		for _, s := range segs {
			p := s.style.Render(s.value)
			if !s.fine || fineLabels {
				p = st.StatusText.Render(s.label) + " " + p
			}
			parts = append(parts, p)
		}
		return " " + strings.Join(parts, sep)
	}
	for _, try := range []string{compose("   ", true), compose("  ", true), compose("  ", false)} {
		if width(try) <= m.w {
			return try
		}
	}
	return truncate(compose(" ", false), m.w)
}

// shortPort names a port by its last path element, at most 16 columns.
func shortPort(p string) string {
	if i := strings.LastIndex(p, "/"); i >= 0 {
		p = p[i+1:]
	}
	return truncate(p, 16)
}

func printerText(t tr, s PrinterStatus) string {
	switch s {
	case PrinterOK:
		return t.T("printer.ok")
	case PrinterPaperOut:
		return t.T("printer.paperout")
	case PrinterCoverOpen:
		return t.T("printer.coveropen")
	case PrinterOffline:
		return t.T("printer.offline")
	case PrinterUnreachable:
		return t.T("printer.unreachable")
	case PrinterPaperLow:
		return t.T("printer.paperlow")
	}
	return t.T("printer.unknown")
}

// keyLine is the footer: the keys of the current screen.
// When they do not all fit, the last ones give way to the help key, which
// lists them all: a key is never cut.
func (m Model) keyLine() string {
	h := m.e.help
	h.Width = 0 // measured here: the bubble would cut with "…"
	b := m.bindings()
	line := h.ShortHelpView(b)
	for n := len(b) - 1; width(line) > m.w-1 && n >= 0; n-- {
		line = h.ShortHelpView(append(b[:n:n], m.e.keys.Help))
	}
	return " " + line
}

func (m Model) bindings() []key.Binding {
	if s := m.current(); s != nil {
		return s.keys(m.frame())
	}
	return nil
}
