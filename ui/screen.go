package ui

import (
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"posterm/pos"
)

// screen is one screen of the register as the router sees it. Each screen
// keeps its own state; it learns about the frame (who is logged in, whether
// money is in flight, the devices) only through the frame value the router
// passes, and asks for another screen by returning a navigation message —
// never by reaching into another screen.
type screen interface {
	// route handles one message: a key when the screen is on top, or a
	// result of a command (each screen ignores results not about it).
	route(msg tea.Msg, f frame) (screen, tea.Cmd)
	// draw renders the body at w×h. Pure: no I/O, no clock.
	draw(w, h int, f frame) string
	// keys are the bindings the footer shows right now; they come from the
	// one key map, so the footer and the handling cannot drift.
	keys(f frame) []key.Binding
}

// Optional parts of a screen; the router asks for them by interface.
type (
	// textTaker screens have a focused text field that takes plain letters.
	textTaker interface{ capturesText() bool }
	// moneyScreen screens may have a payment, cancel or refund in flight.
	moneyScreen interface{ inFlight() bool }
	// chargeScreen screens show one charge in flight.
	chargeScreen interface{ flightCode() pos.ChargeCode }
	// clockScreen screens show time (countdowns, elapsed, spinners).
	clockScreen interface{ at(now time.Time) screen }
	// sizedScreen screens lay out tables at the terminal's size.
	sizedScreen interface{ sized(w, h int) screen }
	// scanScreen screens take a scanned code.
	scanScreen interface {
		takeScan(sc scannedCode) (screen, tea.Cmd)
	}
	// busyScreen screens run something long that is not money (a
	// reconciliation pass): the spinner keeps turning.
	busyScreen interface{ busy() bool }
	// lockScreen screens clear what must not stay on screen under a lock.
	lockScreen interface{ onLock() screen }
	// liveScreen screens show journal rows and re-read them when the
	// journal changed (code: the charge concerned, "" = any).
	liveScreen interface {
		refresh(code pos.ChargeCode) (screen, tea.Cmd)
	}
)

// frame is what the router tells a screen about the register around it.
type frame struct {
	cashier  pos.Cashier
	inFlight bool // some screen has money in flight
	dev      deviceView
}

// deviceView is the frame's own knowledge of the devices, shown by the
// status bar and the devices screen.
type deviceView struct {
	scanner    string // "", "connected", "disconnected", "closed"
	printer    PrinterStatus
	printQueue int
	lastScan   scanInfo
}

// ---------------------------------------------------------------------------
// The screens' adapters: each screen keeps its concrete update/view (which
// return their own type, as glow's do) and these make it a screen.

func (m loginModel) route(msg tea.Msg, _ frame) (screen, tea.Cmd) { return m.update(msg) }
func (m loginModel) draw(w, h int, _ frame) string                { return m.view(w, h) }
func (m loginModel) keys(frame) []key.Binding                     { return m.bindings() }

func (m saleModel) route(msg tea.Msg, f frame) (screen, tea.Cmd) { return m.update(msg, f.cashier) }
func (m saleModel) draw(w, h int, _ frame) string                { return m.view(w, h) }
func (m saleModel) keys(frame) []key.Binding {
	k := m.e.keys
	return append(m.bindings(), k.History, k.Unsettled, k.Help)
}
func (m saleModel) capturesText() bool                        { return m.subjectFocus }
func (m saleModel) takeScan(sc scannedCode) (screen, tea.Cmd) { return m.scanned(sc) }

func (m scanModel) route(msg tea.Msg, _ frame) (screen, tea.Cmd) { return m.update(msg) }
func (m scanModel) draw(w, h int, _ frame) string                { return m.view(w, h) }
func (m scanModel) keys(frame) []key.Binding                     { return m.bindings() }
func (m scanModel) capturesText() bool                           { return !m.inFlight() }
func (m scanModel) flightCode() pos.ChargeCode                   { return m.code }
func (m scanModel) at(now time.Time) screen                      { return m.tick(now) }
func (m scanModel) takeScan(sc scannedCode) (screen, tea.Cmd)    { return m.scanned(sc) }

func (m qrModel) route(msg tea.Msg, _ frame) (screen, tea.Cmd) { return m.update(msg) }
func (m qrModel) draw(w, h int, _ frame) string                { return m.view(w, h) }
func (m qrModel) keys(frame) []key.Binding                     { return m.bindings() }
func (m qrModel) flightCode() pos.ChargeCode                   { return m.tx.ChargeCode }
func (m qrModel) at(now time.Time) screen                      { return m.tick(now) }

func (m resultModel) route(msg tea.Msg, _ frame) (screen, tea.Cmd) { return m.update(msg) }
func (m resultModel) draw(w, h int, _ frame) string                { return m.view(w, h) }
func (m resultModel) keys(frame) []key.Binding                     { return m.bindings() }
func (m resultModel) sized(w, h int) screen                        { return m.resize(w, h) }

func (m historyModel) route(msg tea.Msg, _ frame) (screen, tea.Cmd) { return m.update(msg) }
func (m historyModel) draw(w, h int, _ frame) string                { return m.view(w, h) }
func (m historyModel) keys(frame) []key.Binding                     { return m.bindings() }
func (m historyModel) capturesText() bool                           { return m.searching }
func (m historyModel) sized(w, h int) screen                        { return m.resize(w, h) }
func (m historyModel) refresh(c pos.ChargeCode) (screen, tea.Cmd) {
	return m.reload(c)
}

func (m detailModel) route(msg tea.Msg, _ frame) (screen, tea.Cmd) { return m.update(msg) }
func (m detailModel) draw(w, h int, _ frame) string                { return m.view(w, h) }
func (m detailModel) keys(frame) []key.Binding                     { return m.bindings() }
func (m detailModel) refresh(c pos.ChargeCode) (screen, tea.Cmd)   { return m.reload(c) }

func (m refundModel) route(msg tea.Msg, _ frame) (screen, tea.Cmd) { return m.update(msg) }
func (m refundModel) draw(w, h int, _ frame) string                { return m.view(w, h) }
func (m refundModel) keys(frame) []key.Binding                     { return m.bindings() }
func (m refundModel) refresh(c pos.ChargeCode) (screen, tea.Cmd)   { return m.reload(c) }

// onLock: a manager's password is not left on screen under the lock.
func (m refundModel) onLock() screen {
	m.mgrPW.SetValue("")
	return m
}

func (m unsettledModel) route(msg tea.Msg, f frame) (screen, tea.Cmd) {
	return m.update(msg, f.inFlight)
}
func (m unsettledModel) draw(w, h int, _ frame) string              { return m.view(w, h) }
func (m unsettledModel) keys(f frame) []key.Binding                 { return m.bindings(f.inFlight) }
func (m unsettledModel) at(now time.Time) screen                    { return m.tick(now) }
func (m unsettledModel) sized(w, h int) screen                      { return m.resize(w, h) }
func (m unsettledModel) busy() bool                                 { return m.running }
func (m unsettledModel) refresh(c pos.ChargeCode) (screen, tea.Cmd) { return m.reload(c) }

func (m devicesModel) route(msg tea.Msg, _ frame) (screen, tea.Cmd) { return m.update(msg) }
func (m devicesModel) draw(w, h int, f frame) string                { return m.view(w, h, f.dev) }
func (m devicesModel) keys(frame) []key.Binding                     { return m.bindings() }

func (m helpModel) route(msg tea.Msg, _ frame) (screen, tea.Cmd) { return m.update(msg) }
func (m helpModel) draw(w, h int, _ frame) string                { return m.view(w, h, m.e.demo()) }
func (m helpModel) keys(frame) []key.Binding {
	k := m.e.keys
	return []key.Binding{k.Back, k.ScrollUp, k.ScrollDown, k.Quit}
}

func (m demoModel) route(msg tea.Msg, _ frame) (screen, tea.Cmd) { return m.update(msg) }
func (m demoModel) draw(w, h int, _ frame) string                { return m.view(w, h) }
func (m demoModel) keys(frame) []key.Binding                     { return m.bindings() }
