// Package ui is the register's cashier screen, a Bubble Tea program.
//
// A root model (Model) draws the frame — header, status bar, the keys of the
// screen — and routes between one model per screen: login, sale, scan to
// pay, QR to pay, result, history and its detail, refund/revoke, unsettled,
// devices, help and the demo panel. Screens never reach into each other:
// they ask the root for a change of screen with a message.
//
// Nothing in Update blocks: every gateway call, journal read, scan, print
// and timer arrives as a tea.Msg from a tea.Cmd, and every message about a
// charge carries its charge code, so a screen ignores what is not about the
// charge it shows. View is pure: time comes from tick messages read from the
// pos.Clock.
//
// The package talks to the domain (pos) and to scanners (device) only; the
// gateway, the journal's storage and the printer reach it through Deps as
// pos interfaces, functions and channels. Cashier-facing text comes from one
// catalogue in Simplified Chinese and English (i18n.go); an error's own text
// goes to the log, never to the screen.
package ui
