package ui

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/mattn/go-runewidth"
	"github.com/muesli/termenv"

	"posterm/device"
	"posterm/pos"
)

// env is what every screen shares: set once by New, never changed after.
type env struct {
	ctx  context.Context
	deps Deps
	t    tr
	keys keyMap
	st   Styles
	log  *slog.Logger
	help help.Model
	// profile is the colour profile of the default renderer, for the
	// bubbles that draw with termenv directly (progress bars).
	profile termenv.Profile
}

func (e *env) demo() bool { return e.deps.Demo != nil }

// gwState is what the register knows of the gateway.
type gwState int

const (
	gwChecking gwState = iota // nothing heard yet
	gwOnline                  // the last call was answered
	gwOffline                 // the last call got no answer at all
	gwNoAnswer                // a payment's answer was lost: it is being found out
)

// scanInfo is the last code a scanner read, masked.
type scanInfo struct {
	Masked string
	Kind   device.Kind
	Reason device.Reason
	At     time.Time
	Wedge  bool
}

// Model is the root model: the frame, the session and the routing between
// screens. Create it with New.
type Model struct {
	e      *env
	w, h   int
	now    time.Time
	screen screenID
	stack  []screenID

	cashier    pos.Cashier
	loggedIn   bool
	lockedFrom screenID // the screen to return to after an idle lock
	lastInput  time.Time

	gw           gwState
	scanner      string // "", "connected", "disconnected", "closed"
	printer      PrinterStatus
	printerSeen  bool
	printQueue   int
	unsetCodes   []pos.ChargeCode // unsettled charges, for the status bar
	unsetRefunds int
	unsetErr     bool
	lastScan     scanInfo
	quitAsk      bool
	animating    bool
	ticks        int

	wedge device.BurstDetector

	login   loginModel
	sale    saleModel
	scan    scanModel
	qr      qrModel
	result  resultModel
	hist    historyModel
	detail  detailModel
	refund  refundModel
	unset   unsettledModel
	devices devicesModel
	help    helpModel
	demo    demoModel
}

// New returns the root model. ctx bounds every call the screen starts: cancel
// it after the program ends (a payment still running is then left to the
// reconciler).
func New(ctx context.Context, d Deps) Model {
	// ▀ ▄ █ and the box lines are East-Asian ambiguous: under a zh_CN
	// locale go-runewidth (used by bubbles) would count them two columns
	// wide and every layout would break (HARDWARE.md).
	if runewidth.DefaultCondition.EastAsianWidth || runewidth.EastAsianWidth {
		runewidth.DefaultCondition.EastAsianWidth = false
		runewidth.EastAsianWidth = false
	}
	if d.Clock == nil {
		d.Clock = pos.SystemClock()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	log := d.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	t := newTr(d.Lang)
	e := &env{ctx: ctx, deps: d, t: t, keys: newKeyMap(t), st: NewStyles(lipgloss.DefaultRenderer()),
		log: log.With("subsystem", "ui")}
	e.profile = lipgloss.DefaultRenderer().ColorProfile()
	e.help = help.New()
	e.help.ShortSeparator = "  "
	e.help.Styles.ShortKey = e.st.KeyKey
	e.help.Styles.ShortDesc = e.st.KeyDesc
	e.help.Styles.ShortSeparator = e.st.KeySep
	e.help.Styles.Ellipsis = e.st.KeySep
	now := d.Clock.Now()
	m := Model{e: e, w: 80, h: 25, now: now, lastInput: now, screen: scrLogin,
		wedge: device.BurstDetector{MaxGap: d.WedgeMaxGap, MinLen: d.WedgeMinLen}}
	m.login = newLogin(e)
	m.sale = newSale(e)
	m.help = helpModel{e: e}
	m.demo = newDemo(e)
	m.devices = devicesModel{e: e}
	return m
}

// Init starts the clock, the status checks and the device listeners.
func (m Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tickCmd(m.e.deps.Clock), m.e.countUnsettledCmd(),
		listenScanner(m.e.deps.Scanner), listenPrinter(m.e.deps.Printer)}
	if m.e.deps.GatewayProbe >= 0 {
		cmds = append(cmds, m.e.probeCmd(0))
	}
	return tea.Batch(cmds...)
}

// MoneyInFlight reports whether a payment, cancel or refund is under way:
// the screen then refuses to quit or lock, and stays on that payment.
func (m Model) MoneyInFlight() bool {
	return m.scan.inFlight() || m.qr.inFlight() || m.refund.inFlight()
}

// Filter is a tea.WithFilter function: it turns a quit (a QuitMsg, or the
// interrupt of Ctrl-C or SIGINT) into a request to abort first while money
// is in flight, so no payment is left behind by closing the register.
func Filter(model tea.Model, msg tea.Msg) tea.Msg {
	switch msg.(type) {
	case tea.QuitMsg, tea.InterruptMsg:
		if m, ok := model.(Model); ok && m.MoneyInFlight() {
			return quitRefusedMsg{}
		}
	}
	return msg
}

// inFlightCode is the charge the screen is working on right now, if any.
func (m Model) inFlightCode() pos.ChargeCode {
	switch {
	case m.scan.inFlight():
		return m.scan.code
	case m.qr.inFlight():
		return m.qr.tx.ChargeCode
	}
	return ""
}

// unsettledCount is the status bar's count: the journal's unsettled rows
// but the charge on screen, whose outcome the cashier is watching.
func (m Model) unsettledCount() int {
	n := m.unsetRefunds
	fly := m.inFlightCode()
	for _, c := range m.unsetCodes {
		if c != fly || fly == "" {
			n++
		}
	}
	return n
}

// Cashier returns the cashier logged in, if any.
func (m Model) Cashier() (pos.Cashier, bool) { return m.cashier, m.loggedIn }

func (m Model) bodySize() (w, h int) { return m.w, max(m.h-frameLines, 1) }

// Update routes a message: the frame's own (size, time, devices, status),
// keys (through the keyboard-wedge detector where a scan may arrive), then
// navigation and the results of commands, which go to the screen they are for.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = max(msg.Width, 20), max(msg.Height, frameLines+1)
		m = m.resize()
		return m, nil

	case tickMsg:
		m.now = msg.At
		m.ticks++
		cmds := []tea.Cmd{tickCmd(m.e.deps.Clock)}
		if m.ticks%5 == 0 {
			cmds = append(cmds, m.e.countUnsettledCmd())
		}
		if m.loggedIn && shouldLock(m.e.deps.IdleLock, m.lastInput, m.now, m.MoneyInFlight()) {
			m = m.lock()
		}
		m = m.toScreens(msg)
		return m, tea.Batch(cmds...)

	case animMsg:
		m.now = msg.At
		m = m.toScreens(msg)
		if m.needsAnim() {
			return m, animCmd(m.e.deps.Clock)
		}
		m.animating = false
		return m, nil

	case device.WedgeFlushMsg:
		v, _, cmd := m.wedge.Update(msg, m.e.deps.Now())
		m, c := m.deliver(v, nil)
		return m, tea.Batch(cmd, c)

	case tea.KeyMsg:
		if m.wedgeActive() {
			v, consumed, cmd := m.wedge.Update(msg, m.e.deps.Now())
			var key *tea.KeyMsg
			if !consumed {
				key = &msg
			}
			m, c := m.deliver(v, key)
			return m, tea.Batch(cmd, c)
		}
		return m.key(msg)

	case quitRefusedMsg:
		m.quitAsk = true
		return m, nil

	case scannerMsg:
		return m.scannerEvent(msg.Ev)

	case scannerClosedMsg:
		m.scanner = "closed"
		return m, nil

	case printerMsg:
		m.printerEvent(msg.Ev)
		var cmd tea.Cmd
		m.result, cmd = m.result.update(msg)
		return m, tea.Batch(cmd, listenPrinter(m.e.deps.Printer))

	case probeMsg:
		if msg.OK {
			m.gw = gwOnline
		} else {
			m.gw = gwOffline
		}
		every := m.e.deps.GatewayProbe
		if every < 0 {
			return m, nil
		}
		if every == 0 {
			every = time.Minute
		}
		return m, m.e.probeCmd(every)

	case unsettledCountMsg:
		m.unsetErr = msg.Err != nil
		if msg.Err == nil {
			m.unsetCodes, m.unsetRefunds = msg.Codes, msg.Refunds
		}
		return m, nil

	case loginDoneMsg:
		return m.loginDone(msg)
	}

	if m2, cmd, ok := m.navigate(msg); ok {
		return m2, cmd
	}
	m.gatewaySaw(msg)
	return m.toScreen(msg)
}

// deliver hands the detector's verdict over: the keys a person typed, then
// a scanned code, then (key != nil) the key the detector did not take.
func (m Model) deliver(v device.Verdict, key *tea.KeyMsg) (Model, tea.Cmd) {
	var cmds []tea.Cmd
	var c tea.Cmd
	for _, k := range v.KeyMsgs() {
		m, c = m.keyModel(k)
		cmds = append(cmds, c)
	}
	if v.Scanned() {
		m, c = m.scanned(v.Code, true)
		cmds = append(cmds, c)
	}
	if key != nil {
		m, c = m.keyModel(*key)
		cmds = append(cmds, c)
	}
	return m, tea.Batch(cmds...)
}

func (m Model) keyModel(k tea.KeyMsg) (Model, tea.Cmd) {
	mm, cmd := m.key(k)
	return mm.(Model), cmd
}

// wedgeActive: keys go through the burst detector only where a scanned
// code means something (the sale, scan and devices screens).
func (m Model) wedgeActive() bool {
	if !m.loggedIn {
		return false
	}
	switch m.screen {
	case scrSale, scrScan, scrDevices:
		return true
	}
	return false
}

// key handles one key a person pressed.
func (m Model) key(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	keys := m.e.keys
	m.lastInput = m.e.deps.Clock.Now()
	if key.Matches(k, keys.Quit) {
		if m.MoneyInFlight() {
			m.quitAsk = true
			return m, nil
		}
		return m, tea.Quit
	}
	m.quitAsk = false
	if !m.loggedIn {
		var cmd tea.Cmd
		m.login, cmd = m.login.update(k)
		return m, cmd
	}
	if !m.MoneyInFlight() && !(letterKey(k.String()) && m.capturesText()) {
		switch {
		case key.Matches(k, keys.Help) && m.screen != scrHelp:
			return m.push(scrHelp)
		case key.Matches(k, keys.History) && m.screen != scrHistory:
			return m.openHistory()
		case key.Matches(k, keys.Unsettled) && m.screen != scrUnsettled:
			return m.openUnsettled()
		case key.Matches(k, keys.Devices) && m.screen != scrDevices:
			return m.push(scrDevices)
		case key.Matches(k, keys.Demo) && m.e.demo() && m.screen != scrDemo:
			m.demo.from = m.screen
			return m.push(scrDemo)
		case key.Matches(k, keys.Lock):
			return m.lock(), nil
		}
	}
	return m.toScreen(k)
}

// capturesText reports whether the screen has a text field with the focus,
// which takes plain letters for itself.
func (m Model) capturesText() bool {
	switch m.screen {
	case scrSale:
		return m.sale.subjectFocus
	case scrScan:
		return !m.scan.inFlight()
	case scrHistory:
		return m.hist.searching
	case scrRefund:
		return m.refund.capturesText()
	}
	return false
}

// scanned handles a code from a scanner (serial, or a keyboard-wedge burst).
func (m Model) scanned(code string, wedge bool) (Model, tea.Cmd) {
	c := device.Classify(code)
	m.lastScan = scanInfo{Masked: device.MaskCode(strings.TrimSpace(code)), Kind: c.Kind, Reason: c.Reason,
		At: m.now, Wedge: wedge}
	m.lastInput = m.e.deps.Clock.Now()
	if !m.loggedIn {
		return m, nil
	}
	var cmd tea.Cmd
	switch m.screen {
	case scrSale:
		m.sale, cmd = m.sale.scanned(code)
	case scrScan:
		m.scan, cmd = m.scan.scanned(code)
	}
	return m, cmd
}

func (m Model) scannerEvent(ev device.Event) (tea.Model, tea.Cmd) {
	next := listenScanner(m.e.deps.Scanner)
	switch ev := ev.(type) {
	case device.Connected:
		m.scanner = "connected"
	case device.Disconnected:
		m.scanner = "disconnected"
	case device.Scan:
		m.scanner = "connected"
		m, cmd := m.scanned(ev.Code, false)
		return m, tea.Batch(cmd, next)
	}
	return m, next
}

func (m *Model) printerEvent(ev PrinterEvent) {
	m.printerSeen = true
	switch ev.Kind {
	case PrinterStatusChanged, PrinterFailed:
		m.printer = ev.Status
		if ev.Kind == PrinterFailed {
			m.printQueue = ev.Pending
		}
	case PrinterQueued:
		m.printQueue++
	case PrinterPrinted:
		if m.printer.Bad() { // it printed: whatever was wrong is over
			m.printer = ev.Status
		}
		m.printQueue = ev.Pending
	}
}

// gatewaySaw updates the gateway's status from what a call met.
func (m *Model) gatewaySaw(msg tea.Msg) {
	settledOnline := func(tx pos.Transaction) {
		switch {
		case tx.State == pos.StatePaid || tx.State == pos.StateDeclined || tx.State == pos.StatePending:
			m.gw = gwOnline
		case tx.State == pos.StateUnknown && tx.LastError != "":
			m.gw = gwNoAnswer
		}
	}
	switch msg := msg.(type) {
	case payDoneMsg:
		settledOnline(msg.Tx)
	case precreateDoneMsg:
		settledOnline(msg.Tx)
	case awaitDoneMsg:
		settledOnline(msg.Tx)
	case channelsMsg:
		if msg.Err != nil {
			m.gw = gwOffline
		} else {
			m.gw = gwOnline
		}
	case liveQueryMsg:
		if msg.Err != nil || msg.Rep.Outcome == pos.OutcomeUnknown {
			m.gw = gwOffline
		} else {
			m.gw = gwOnline
		}
	case batchMsg:
		if msg.Err != nil {
			m.gw = gwOffline
		} else {
			m.gw = gwOnline
		}
	case refundDoneMsg:
		switch {
		case msg.Err == nil && msg.ManagerErr == nil && (msg.Refund.State == pos.RefundDone || msg.Refund.State == pos.RefundRefused):
			m.gw = gwOnline
		case msg.Refund.State == pos.RefundUnknown:
			m.gw = gwNoAnswer
		}
	}
}

func (m Model) loginDone(msg loginDoneMsg) (tea.Model, tea.Cmd) {
	if msg.Seq != m.login.seq || m.loggedIn {
		return m, nil
	}
	if errors.Is(msg.Err, pos.ErrGatewayUnreachable) {
		m.gw = gwOffline
	} else {
		m.gw = gwOnline
	}
	var cmd tea.Cmd
	m.login, cmd = m.login.update(msg)
	if msg.Err != nil {
		return m, cmd
	}
	m.cashier, m.loggedIn = msg.Cashier, true
	m.lastInput = m.e.deps.Clock.Now()
	to := m.lockedFrom
	if to == scrLogin {
		to = scrSale
	}
	m.lockedFrom = scrLogin
	m.login = newLogin(m.e)
	m.screen, m.stack = to, nil
	if to == scrSale {
		m.sale = m.sale.focus()
	}
	return m, cmd
}

// lock returns to the login screen, keeping every screen as it is (the sale
// on screen included); the reconciler keeps running in the background.
func (m Model) lock() Model {
	if !m.loggedIn || m.MoneyInFlight() {
		return m
	}
	m.lockedFrom = m.screen
	m.login = newLogin(m.e).locked(m.cashier.LoginName, m.sale.amt.Money())
	if m.refund.e != nil { // a manager's password is not left on screen
		m.refund.mgrPW.SetValue("")
	}
	m.loggedIn = false
	m.cashier = pos.Cashier{}
	m.screen = scrLogin
	m.quitAsk = false
	return m
}

// shouldLock is the idle-lock rule: a cashier is logged in (the caller
// checks), the lock is configured, nothing has been keyed for idle, and no
// payment, cancel or refund is in flight (the lock never hides one).
func shouldLock(idle time.Duration, lastInput, now time.Time, inFlight bool) bool {
	return idle > 0 && !inFlight && now.Sub(lastInput) >= idle
}

func (m Model) push(to screenID) (tea.Model, tea.Cmd) {
	if m.screen != to {
		m.stack = append(m.stack, m.screen)
	}
	m.screen = to
	return m, nil
}

func (m Model) pop() Model {
	if n := len(m.stack); n > 0 {
		m.screen = m.stack[n-1]
		m.stack = m.stack[:n-1]
	} else {
		m.screen = scrSale
	}
	if m.screen == scrSale {
		m.sale = m.sale.focus()
	}
	return m
}

func (m Model) openHistory() (tea.Model, tea.Cmd) {
	mm, _ := m.push(scrHistory)
	m = mm.(Model)
	var cmd tea.Cmd
	m.hist, cmd = newHistory(m.e, m.w, m.h).load(m.now)
	return m, cmd
}

func (m Model) openUnsettled() (tea.Model, tea.Cmd) {
	mm, _ := m.push(scrUnsettled)
	m = mm.(Model)
	var cmd tea.Cmd
	m.unset, cmd = newUnsettled(m.e, m.w, m.h).load()
	return m, cmd
}

// navigate handles the screens' requests for another screen.
func (m Model) navigate(msg tea.Msg) (Model, tea.Cmd, bool) {
	switch msg := msg.(type) {
	case backMsg:
		return m.pop(), nil, true
	case goMsg:
		mm, cmd := m.push(msg.To)
		return mm.(Model), cmd, true
	case startPayMsg:
		var cmd tea.Cmd
		m.stack = nil
		if m.unset.running {
			// "Reconcile now" works on rows not yet due: let it finish
			// before a new charge starts, so the two never meet.
			m.screen = scrSale
			m.sale = m.sale.resume(msg.Draft).setNote(true, "sale.reconciling")
			return m, nil, true
		}
		switch msg.How {
		case payScan:
			m.screen = scrScan
			m.scan, cmd = newScan(m.e, m.cashier, msg.Draft, m.now).start(msg.Code)
		case payQR:
			m.screen = scrQR
			m.qr, cmd = newQR(m.e, m.cashier, msg.Draft, m.now).begin()
		}
		anim := m.startAnim()
		return m, tea.Batch(cmd, anim), true
	case showResultMsg:
		var cmd tea.Cmd
		m.screen, m.stack = scrResult, nil
		m.result, cmd = newResult(m.e, m.cashier, msg.Res, m.w, m.h).begin()
		if msg.Res.Kind == outPaid {
			cmd = tea.Batch(cmd, m.e.wakePrinterCmd())
		}
		return m, tea.Batch(cmd, m.e.countUnsettledCmd()), true
	case backToSaleMsg:
		m.screen, m.stack = scrSale, nil
		if msg.Keep {
			m.sale = m.sale.resume(msg.Draft)
		} else {
			m.sale = newSale(m.e)
		}
		if msg.Note != "" {
			m.sale = m.sale.setNote(true, msg.Note, msg.NoteArgs...)
		}
		if len(msg.Open) > 0 {
			m.sale = m.sale.blocked(msg.Open)
		}
		return m, m.e.countUnsettledCmd(), true
	case openDetailMsg:
		mm, _ := m.push(scrDetail)
		m = mm.(Model)
		var cmd tea.Cmd
		m.detail, cmd = newDetail(m.e, msg.Code, m.w, m.h).load()
		return m, cmd, true
	case openRefundMsg:
		mm, _ := m.push(scrRefund)
		m = mm.(Model)
		m.refund = newRefund(m.e, m.cashier, msg)
		return m, nil, true
	case useCodeMsg:
		m = m.pop()
		mm, cmd := m.scanned(msg.Code, false)
		return mm, cmd, true
	}
	return m, nil, false
}

func (m Model) needsAnim() bool {
	return m.MoneyInFlight() || m.unset.running
}

func (m *Model) startAnim() tea.Cmd {
	if m.animating {
		return nil
	}
	m.animating = true
	return animCmd(m.e.deps.Clock)
}

// toScreens gives a time message to every screen that shows time.
func (m Model) toScreens(msg tea.Msg) Model {
	m.scan = m.scan.tick(m.now)
	m.qr = m.qr.tick(m.now)
	m.unset = m.unset.tick(m.now)
	return m
}

// toScreen gives msg to the screen it is for: keys to the current screen,
// command results to the screen that asked (each ignores results that are
// not about its charge).
func (m Model) toScreen(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	if _, isKey := msg.(tea.KeyMsg); isKey {
		switch m.screen {
		case scrLogin:
			m.login, cmd = m.login.update(msg)
		case scrSale:
			m.sale, cmd = m.sale.update(msg, m.cashier)
		case scrScan:
			m.scan, cmd = m.scan.update(msg)
		case scrQR:
			m.qr, cmd = m.qr.update(msg)
		case scrResult:
			m.result, cmd = m.result.update(msg)
		case scrHistory:
			m.hist, cmd = m.hist.update(msg)
		case scrDetail:
			m.detail, cmd = m.detail.update(msg)
		case scrRefund:
			m.refund, cmd = m.refund.update(msg)
		case scrUnsettled:
			m.unset, cmd = m.unset.update(msg, m.MoneyInFlight())
		case scrDevices:
			m.devices, cmd = m.devices.update(msg)
		case scrHelp:
			m.help, cmd = m.help.update(msg)
		case scrDemo:
			m.demo, cmd = m.demo.update(msg)
		}
		if m.MoneyInFlight() {
			cmd = tea.Batch(cmd, m.startAnim())
		}
		return m, cmd
	}
	var cmds []tea.Cmd
	switch msg.(type) {
	case payProgressMsg, payDoneMsg:
		m.scan, cmd = m.scan.update(msg)
		cmds = append(cmds, cmd)
	case channelsMsg, precreateDoneMsg, awaitProgressMsg, awaitDoneMsg, customerPaidMsg:
		m.qr, cmd = m.qr.update(msg)
		cmds = append(cmds, cmd)
	case abortDoneMsg:
		m.scan, cmd = m.scan.update(msg)
		cmds = append(cmds, cmd)
		m.qr, cmd = m.qr.update(msg)
		cmds = append(cmds, cmd)
	case ackDoneMsg:
		m.sale, cmd = m.sale.update(msg, m.cashier)
		cmds = append(cmds, cmd)
		m.result, cmd = m.result.update(msg)
		cmds = append(cmds, cmd, m.e.countUnsettledCmd())
	case printDoneMsg:
		m.result, cmd = m.result.update(msg)
		cmds = append(cmds, cmd)
		m.devices, cmd = m.devices.update(msg)
		cmds = append(cmds, cmd)
	case receiptTextMsg:
		m.result, cmd = m.result.update(msg)
		cmds = append(cmds, cmd)
	case historyMsg, batchMsg:
		m.hist, cmd = m.hist.update(msg)
		cmds = append(cmds, cmd)
	case detailMsg, liveQueryMsg:
		m.detail, cmd = m.detail.update(msg)
		cmds = append(cmds, cmd)
	case refundDoneMsg:
		m.refund, cmd = m.refund.update(msg)
		cmds = append(cmds, cmd, m.e.countUnsettledCmd())
		if r := msg.(refundDoneMsg); r.Err == nil && r.ManagerErr == nil {
			cmds = append(cmds, m.e.wakePrinterCmd())
		}
	case unsettledMsg, reconcileProgressMsg, reconcileDoneMsg:
		m.unset, cmd = m.unset.update(msg, m.MoneyInFlight())
		cmds = append(cmds, cmd)
		if _, done := msg.(reconcileDoneMsg); done {
			cmds = append(cmds, m.e.countUnsettledCmd())
		}
	}
	if m.unset.running {
		cmds = append(cmds, m.startAnim())
	}
	return m, tea.Batch(cmds...)
}

func (m Model) resize() Model {
	if m.hist.e != nil {
		m.hist = m.hist.resize(m.w, m.h)
	}
	if m.unset.e != nil {
		m.unset = m.unset.resize(m.w, m.h)
	}
	m.result = m.result.resize(m.w, m.h)
	return m
}

// ---------------------------------------------------------------------------
// View.

// View draws the frame around the current screen: exactly the terminal's
// height, no line wider than the terminal. Pure: no I/O, no clock.
func (m Model) View() string {
	bw, bh := m.bodySize()
	body := m.body(bw, bh)
	if m.quitAsk {
		lines := strings.Split(block(body, bw, bh), "\n")
		lines[len(lines)-1] = " " + m.e.st.Bad.Render(m.e.t.T("quit.inflight"))
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
	switch m.screen {
	case scrLogin:
		return m.login.view(w, h)
	case scrSale:
		return m.sale.view(w, h)
	case scrScan:
		return m.scan.view(w, h)
	case scrQR:
		return m.qr.view(w, h)
	case scrResult:
		return m.result.view(w, h)
	case scrHistory:
		return m.hist.view(w, h)
	case scrDetail:
		return m.detail.view(w, h)
	case scrRefund:
		return m.refund.view(w, h)
	case scrUnsettled:
		return m.unset.view(w, h)
	case scrDevices:
		return m.devices.view(w, h, m)
	case scrHelp:
		return m.help.view(w, h, m.e.demo())
	case scrDemo:
		return m.demo.view(w, h)
	}
	return ""
}

func (m Model) header() string {
	st, t := m.e.st, m.e.t
	left := " " + st.Brand.Render("posterm")
	shop := m.e.deps.Merchant
	if m.e.deps.Store != "" && m.e.deps.Store != shop {
		if shop != "" {
			shop += " · "
		}
		shop += m.e.deps.Store
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
	right = append(right, clock(m.now))
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
	}
	sc, port := t.T("status.scanner"), m.e.deps.ScannerPort
	switch {
	case port == "":
		segs = append(segs, ok(sc, t.T("status.scan.keyboard")))
	case m.scanner == "connected":
		segs = append(segs, ok(sc, shortPort(port)))
	case m.scanner == "":
		segs = append(segs, warn(sc, shortPort(port)+" "+t.T("status.scan.opening")))
	default:
		segs = append(segs, bad(sc, t.T("status.scan.missing"))) // the port is on the devices screen
	}
	pr := t.T("status.printer")
	if m.e.deps.Printer == nil {
		segs = append(segs, warn(pr, t.T("status.printer.none")))
	} else {
		v := printerText(t, m.printer)
		if m.printQueue > 0 {
			v += " " + t.T("status.printer.queue", m.printQueue)
		}
		switch {
		case m.printer.Bad():
			segs = append(segs, bad(pr, v))
		case m.printer == PrinterPaperLow:
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
func (m Model) keyLine() string {
	h := m.e.help
	h.Width = m.w - 1
	return " " + h.ShortHelpView(m.bindings())
}

func (m Model) bindings() []key.Binding {
	k := m.e.keys
	global := func(extra ...key.Binding) []key.Binding {
		out := append([]key.Binding{}, extra...)
		return append(out, k.History, k.Unsettled, k.Help)
	}
	switch m.screen {
	case scrLogin:
		return m.login.bindings()
	case scrSale:
		b := m.sale.bindings()
		return global(b...)
	case scrScan:
		return m.scan.bindings()
	case scrQR:
		return m.qr.bindings()
	case scrResult:
		return m.result.bindings()
	case scrHistory:
		return m.hist.bindings()
	case scrDetail:
		return m.detail.bindings()
	case scrRefund:
		return m.refund.bindings()
	case scrUnsettled:
		return m.unset.bindings(m.MoneyInFlight())
	case scrDevices:
		return m.devices.bindings()
	case scrHelp:
		return []key.Binding{k.Back, k.Up, k.Down, k.Quit}
	case scrDemo:
		return m.demo.bindings()
	}
	return nil
}
