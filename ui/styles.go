package ui

import (
	"github.com/charmbracelet/bubbles/table"
	"github.com/charmbracelet/lipgloss"

	"posterm/pos"
)

// The 16 ANSI colours the screen uses: nothing beyond them, so a console
// with 16 colours shows everything (no 256-colour or truecolor codes).
const (
	cBlack   = lipgloss.Color("0")
	cRed     = lipgloss.Color("1")
	cGreen   = lipgloss.Color("2")
	cYellow  = lipgloss.Color("3")
	cBlue    = lipgloss.Color("4")
	cMagenta = lipgloss.Color("5")
	cCyan    = lipgloss.Color("6")
	cGrey    = lipgloss.Color("8")
	cWhite   = lipgloss.Color("15")
)

// Styles is every style of the screen, in one place.
type Styles struct {
	Header, Brand, DemoMark, HeaderRight lipgloss.Style
	Rule                                 lipgloss.Style

	Title, Label, Value, Muted, Hint lipgloss.Style
	OK, Bad, Warn, Info              lipgloss.Style

	// Big amounts and outcomes.
	Amount, Paid, Declined, Unknown, Cancelled lipgloss.Style

	StatusOK, StatusBad, StatusWarn, StatusText lipgloss.Style

	KeyKey, KeyDesc, KeySep lipgloss.Style

	Field, FieldFocus, Selected, Panel, PanelTitle lipgloss.Style
	// QR is dark ink on light paper, both colours set explicitly.
	QR lipgloss.Style

	Table table.Styles
}

// NewStyles returns the styles rendered by r (its colour profile decides
// whether colours are drawn at all).
func NewStyles(r *lipgloss.Renderer) Styles {
	n := r.NewStyle
	s := Styles{
		Header:      n().Bold(true),
		Brand:       n().Bold(true).Foreground(cCyan),
		DemoMark:    n().Bold(true).Foreground(cBlack).Background(cYellow),
		HeaderRight: n(),
		Rule:        n().Foreground(cGrey),

		Title: n().Bold(true),
		Label: n().Foreground(cGrey),
		Value: n(),
		Muted: n().Foreground(cGrey),
		Hint:  n().Foreground(cCyan),
		OK:    n().Foreground(cGreen),
		Bad:   n().Foreground(cRed).Bold(true),
		Warn:  n().Foreground(cYellow),
		Info:  n().Foreground(cBlue),

		Amount:    n().Bold(true),
		Paid:      n().Bold(true).Foreground(cGreen),
		Declined:  n().Bold(true).Foreground(cRed),
		Unknown:   n().Bold(true).Foreground(cYellow),
		Cancelled: n().Bold(true).Foreground(cMagenta),

		StatusOK:   n().Foreground(cGreen),
		StatusBad:  n().Foreground(cRed).Bold(true),
		StatusWarn: n().Foreground(cYellow),
		StatusText: n(),

		KeyKey:  n().Bold(true),
		KeyDesc: n().Foreground(cGrey),
		KeySep:  n().Foreground(cGrey),

		Field:      n(),
		FieldFocus: n().Foreground(cCyan),
		Selected:   n().Reverse(true),
		Panel:      n().Border(lipgloss.NormalBorder()).BorderForeground(cGrey).Padding(0, 1),
		PanelTitle: n().Bold(true),

		QR: n().Foreground(cBlack).Background(cWhite),
	}
	s.Table = table.Styles{
		Header:   n().Bold(true).Padding(0, 1),
		Cell:     n().Padding(0, 1),
		Selected: n().Reverse(true),
	}
	return s
}

// State colours a transaction state: green paid, red declined, amber not
// known yet, magenta ended unpaid or given back.
func (s Styles) State(st pos.State) lipgloss.Style {
	switch st {
	case pos.StatePaid:
		return s.OK
	case pos.StateDeclined:
		return s.Bad
	case pos.StateSending, pos.StateUnknown, pos.StatePending:
		return s.Warn
	}
	return s.Muted
}
