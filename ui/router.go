package ui

import (
	"context"
	"errors"
	"io"
	"log/slog"
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
	gwFault                   // the gateway failed (5xx, a fault code, refused): red until it answers
)

// scanInfo is the last code a scanner read, masked.
type scanInfo struct {
	Masked string
	Kind   device.Kind
	Reason device.Reason
	At     time.Time
	Wedge  bool
}

// Model is the root model: the frame, the session and the router that holds
// the screens by id. Create it with New.
//
// screens is an array, not a map, so a copy of the Model (Bubble Tea models
// are values) never shares screen state with the original.
type Model struct {
	e       *env
	w, h    int
	now     time.Time
	screen  screenID
	stack   []screenID
	screens [scrCount]screen

	cashier    pos.Cashier
	loggedIn   bool
	lockedFrom screenID // the screen to return to after an idle lock
	lastInput  time.Time

	gw           gwState
	dev          deviceView
	printerSeen  bool
	unsetCodes   []pos.ChargeCode // unsettled charges, for the status bar
	unsetRefunds int
	unsetErr     bool
	quitAsk      bool
	refusal      string // catalogue key of a refused request (logout in flight), shown like quitAsk
	// resultSeen: the result on screen has had a key since it appeared
	// (the idle lock never covers a result the cashier has not seen).
	resultSeen bool
	animating  bool
	ticks      int

	wedge wedge
}

// set puts a screen in the router under its id.
func (m *Model) set(id screenID, s screen) { m.screens[id] = s }

// screenAs returns the screen held under id as its concrete type (the zero
// value when it was never opened).
func screenAs[T screen](m Model, id screenID) T {
	s, _ := m.screens[id].(T)
	return s
}

// The router's typed views of its screens, for the router and the tests.
func (m Model) login() loginModel     { return screenAs[loginModel](m, scrLogin) }
func (m Model) sale() saleModel       { return screenAs[saleModel](m, scrSale) }
func (m Model) scan() scanModel       { return screenAs[scanModel](m, scrScan) }
func (m Model) qr() qrModel           { return screenAs[qrModel](m, scrQR) }
func (m Model) result() resultModel   { return screenAs[resultModel](m, scrResult) }
func (m Model) hist() historyModel    { return screenAs[historyModel](m, scrHistory) }
func (m Model) detail() detailModel   { return screenAs[detailModel](m, scrDetail) }
func (m Model) refund() refundModel   { return screenAs[refundModel](m, scrRefund) }
func (m Model) unset() unsettledModel { return screenAs[unsettledModel](m, scrUnsettled) }
func (m Model) devices() devicesModel { return screenAs[devicesModel](m, scrDevices) }
func (m Model) demoPanel() demoModel  { return screenAs[demoModel](m, scrDemo) }
func (m Model) helpScreen() helpModel { return screenAs[helpModel](m, scrHelp) }
func (m Model) cash() cashModel       { return screenAs[cashModel](m, scrCash) }
func (m Model) till() tillModel       { return screenAs[tillModel](m, scrTill) }
func (m Model) frame() frame {
	return frame{cashier: m.cashier, inFlight: m.MoneyInFlight(), dev: m.dev}
}
func (m Model) current() screen { return m.screens[m.screen] }

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
	if d.Location == nil {
		d.Location = shanghai()
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
		wedge: wedge{MaxGap: d.WedgeMaxGap, MinLen: d.WedgeMinLen}}
	m.set(scrLogin, newLogin(e))
	m.set(scrSale, newSale(e))
	m.set(scrHelp, helpModel{e: e})
	m.set(scrDemo, newDemo(e))
	m.set(scrDevices, devicesModel{e: e})
	return m
}

// Init starts the clock, the status checks and the device listeners.
func (m Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tickCmd(m.e.deps.Clock), m.e.countUnsettledCmd(),
		listenScanner(m.e.deps.Scanner), listenPrinter(m.e.deps.Printer), listenChanges(m.e.deps.Changes)}
	if m.e.deps.GatewayProbe >= 0 {
		cmds = append(cmds, m.e.probeCmd(0))
	}
	return tea.Batch(cmds...)
}

// MoneyInFlight reports whether a payment, cancel or refund is under way:
// the screen then refuses to quit or lock, and stays on that payment.
func (m Model) MoneyInFlight() bool {
	for _, s := range m.screens {
		if ms, ok := s.(moneyScreen); ok && ms.inFlight() {
			return true
		}
	}
	return false
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
	for _, s := range m.screens {
		ms, ok := s.(moneyScreen)
		cs, ok2 := s.(chargeScreen)
		if ok && ok2 && ms.inFlight() {
			return cs.flightCode()
		}
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
		switch {
		case m.e.deps.Changes == nil && m.ticks%2 == 0:
			// No change feed: re-read every other second, so no screen
			// stays stale longer than that.
			cmds = append(cmds, changedCmd(""))
		case m.ticks%5 == 0:
			cmds = append(cmds, m.e.countUnsettledCmd())
		}
		unseen := m.screen == scrResult && !m.resultSeen
		if m.loggedIn && !unseen && shouldLock(m.e.deps.IdleLock, m.lastInput, m.now, m.MoneyInFlight()) {
			m = m.lock()
		}
		m = m.toScreens()
		return m, tea.Batch(cmds...)

	case animMsg:
		m.now = msg.At
		m = m.toScreens()
		if m.needsAnim() {
			return m, animCmd(m.e.deps.Clock)
		}
		m.animating = false
		return m, nil

	case tea.KeyMsg:
		if m.wedgeActive() {
			return m.wedgeKey(msg)
		}
		return m.key(msg)

	case quitRefusedMsg:
		m.quitAsk = true
		return m, nil

	case scannerMsg:
		return m.scannerEvent(msg.Ev)

	case scannerClosedMsg:
		m.dev.scanner = "closed"
		return m, nil

	case printerMsg:
		m.printerEvent(msg.Ev)
		m, cmd := m.routeTo(msg, scrResult)
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

	case journalChangedMsg:
		return m.journalChanged(msg)
	}

	if m2, cmd, ok := m.navigate(msg); ok {
		return m2, cmd
	}
	m.gatewaySaw(msg)
	return m.toScreen(msg)
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
	m.quitAsk, m.refusal = false, ""
	if m.screen == scrResult {
		m.resultSeen = true
	}
	if !m.loggedIn {
		return m.routeTo(k, scrLogin)
	}
	if key.Matches(k, keys.Logout) && !(letterKey(k.String()) && m.capturesText()) {
		if m.MoneyInFlight() {
			m.refusal = "logout.inflight"
			return m, nil
		}
		return m.logout(), nil
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
			d := m.demoPanel()
			d.from = m.screen
			m.set(scrDemo, d)
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
	tt, ok := m.current().(textTaker)
	return ok && tt.capturesText()
}

// scanned handles a code from a scanner (serial, or a keyboard-wedge burst).
func (m Model) scanned(code string, wedge bool) (Model, tea.Cmd) {
	sc := classify(code)
	m.dev.lastScan = scanInfo{Masked: pos.MaskCode(sc.Code), Kind: sc.Kind, Reason: sc.Reason,
		At: m.now, Wedge: wedge}
	m.lastInput = m.e.deps.Clock.Now()
	if !m.loggedIn {
		return m, nil
	}
	ss, ok := m.current().(scanScreen)
	if !ok {
		return m, nil
	}
	s, cmd := ss.takeScan(sc)
	m.set(m.screen, s)
	return m, cmd
}

func (m Model) scannerEvent(ev device.Event) (tea.Model, tea.Cmd) {
	next := listenScanner(m.e.deps.Scanner)
	switch ev := ev.(type) {
	case device.Connected:
		m.dev.scanner = "connected"
	case device.Disconnected:
		m.dev.scanner = "disconnected"
	case device.Scan:
		m.dev.scanner = "connected"
		m, cmd := m.scanned(ev.Code, false)
		return m, tea.Batch(cmd, next)
	}
	return m, next
}

func (m *Model) printerEvent(ev PrinterEvent) {
	m.printerSeen = true
	switch ev.Kind {
	case PrinterStatusChanged, PrinterFailed:
		m.dev.printer = ev.Status
		if ev.Kind == PrinterFailed {
			m.dev.printQueue = ev.Pending
		}
	case PrinterQueued:
		m.dev.printQueue++
	case PrinterPrinted:
		if m.dev.printer.Bad() { // it printed: whatever was wrong is over
			m.dev.printer = ev.Status
		}
		m.dev.printQueue = ev.Pending
	}
}

// gatewaySaw updates the gateway's status from what a call met.
func (m *Model) gatewaySaw(msg tea.Msg) {
	settledOnline := func(tx pos.Transaction) {
		switch {
		case tx.State == pos.StatePaid || tx.State == pos.StateDeclined || tx.State == pos.StatePending:
			m.gw = gwOnline
		case tx.State == pos.StateUnknown && tx.LastError != "" && m.gw != gwFault:
			m.gw = gwNoAnswer
		}
	}
	switch msg := msg.(type) {
	case payProgressMsg:
		if msg.P.Fault {
			m.gw = gwFault
		}
	case awaitProgressMsg:
		if msg.P.Fault {
			m.gw = gwFault
		}
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
	if msg.Seq != m.login().seq || m.loggedIn {
		return m, nil
	}
	if errors.Is(msg.Err, pos.ErrGatewayUnreachable) {
		m.gw = gwOffline
	} else {
		m.gw = gwOnline
	}
	m, cmd := m.routeTo(msg, scrLogin)
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
	m.set(scrLogin, newLogin(m.e))
	m.screen, m.stack = to, nil
	if to == scrSale {
		m.set(scrSale, m.sale().focus())
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
	held := lockHeld{sale: m.sale().amt.Money()}
	if m.screen == scrResult { // what is on screen is a result, not a sale
		r := m.result().res
		held = lockHeld{hasResult: true, result: r.Kind, amount: r.Tx.Amount}
	}
	m.set(scrLogin, newLogin(m.e).locked(m.cashier.LoginName, held))
	for id, s := range m.screens {
		if ls, ok := s.(lockScreen); ok {
			m.screens[id] = ls.onLock()
		}
	}
	m.loggedIn = false
	m.cashier = pos.Cashier{}
	m.screen = scrLogin
	m.quitAsk = false
	return m
}

// logout ends the session: back to a fresh login, nothing of the cashier's
// kept on screen (a sale being keyed is dropped: no money moved). Refused
// (by the caller) while money is in flight. The reconciler keeps running.
func (m Model) logout() Model {
	if !m.loggedIn || m.MoneyInFlight() {
		return m
	}
	m.e.log.Info("logout", "op", "logout", "who", m.cashier.LoginName)
	m.screens = [scrCount]screen{}
	m.set(scrLogin, newLogin(m.e))
	m.set(scrSale, newSale(m.e))
	m.set(scrHelp, helpModel{e: m.e})
	m.set(scrDemo, newDemo(m.e))
	m.set(scrDevices, devicesModel{e: m.e})
	m.loggedIn, m.cashier = false, pos.Cashier{}
	m.screen, m.stack, m.lockedFrom = scrLogin, nil, scrLogin
	m.quitAsk, m.refusal = false, ""
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
		m.set(scrSale, m.sale().focus())
	}
	return m
}

func (m Model) openHistory() (tea.Model, tea.Cmd) {
	mm, _ := m.push(scrHistory)
	m = mm.(Model)
	h, cmd := newHistory(m.e, m.w, m.h).load(m.now)
	m.set(scrHistory, h)
	return m, cmd
}

func (m Model) openUnsettled() (tea.Model, tea.Cmd) {
	mm, _ := m.push(scrUnsettled)
	m = mm.(Model)
	u, cmd := newUnsettled(m.e, m.w, m.h).load()
	m.set(scrUnsettled, u)
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
		if m.unset().running {
			// "Reconcile now" works on rows not yet due: let it finish
			// before a new charge starts, so the two never meet.
			m.screen = scrSale
			m.set(scrSale, m.sale().resume(msg.Draft).setNote(true, "sale.reconciling"))
			return m, nil, true
		}
		switch msg.How {
		case payScan:
			m.screen = scrScan
			var s scanModel
			s, cmd = newScan(m.e, m.cashier, msg.Draft, m.now).start(msg.Scan)
			m.set(scrScan, s)
		case payQR:
			m.screen = scrQR
			var q qrModel
			q, cmd = newQR(m.e, m.cashier, msg.Draft, m.now).begin()
			m.set(scrQR, q)
		case payCash:
			m.screen = scrCash
			m.set(scrCash, newCash(m.e, msg.Draft))
			return m, nil, true
		}
		anim := m.startAnim()
		return m, tea.Batch(cmd, anim), true
	case showResultMsg:
		m.screen, m.stack = scrResult, nil
		// A new result: unseen until a key, and the idle time starts now.
		m.resultSeen, m.lastInput = false, m.e.deps.Clock.Now()
		r, cmd := newResult(m.e, m.cashier, msg.Res, m.w, m.h).begin()
		m.set(scrResult, r)
		if msg.Res.Kind == outPaid {
			cmd = tea.Batch(cmd, m.e.wakePrinterCmd())
		}
		return m, tea.Batch(cmd, m.e.countUnsettledCmd()), true
	case backToSaleMsg:
		m.screen, m.stack = scrSale, nil
		s := newSale(m.e)
		if msg.Keep {
			s = m.sale().resume(msg.Draft)
		}
		if msg.Note != "" {
			s = s.setNote(true, msg.Note, msg.NoteArgs...)
		}
		if len(msg.Open) > 0 {
			s = s.blocked(msg.Open)
		}
		m.set(scrSale, s)
		return m, m.e.countUnsettledCmd(), true
	case openDetailMsg:
		mm, _ := m.push(scrDetail)
		m = mm.(Model)
		d, cmd := newDetail(m.e, msg.Code, m.w, m.h).load()
		m.set(scrDetail, d)
		return m, cmd, true
	case openTillMsg:
		m.screen, m.stack = scrTill, nil
		m.set(scrTill, newTill(m.e, msg.Mode))
		return m, nil, true
	case openRefundMsg:
		mm, _ := m.push(scrRefund)
		m = mm.(Model)
		m.set(scrRefund, newRefund(m.e, m.cashier, msg))
		return m, nil, true
	case useCodeMsg:
		m = m.pop()
		mm, cmd := m.scanned(msg.Code, false)
		return mm, cmd, true
	}
	return m, nil, false
}

func (m Model) needsAnim() bool {
	return m.MoneyInFlight() || m.busy()
}

// busy reports whether a screen runs something long that is not money.
func (m Model) busy() bool {
	for _, s := range m.screens {
		if b, ok := s.(busyScreen); ok && b.busy() {
			return true
		}
	}
	return false
}

func (m *Model) startAnim() tea.Cmd {
	if m.animating {
		return nil
	}
	m.animating = true
	return animCmd(m.e.deps.Clock)
}

// journalChanged has the screens on view (the current one and those under
// it) re-read the journal, and the status bar recount.
func (m Model) journalChanged(msg journalChangedMsg) (tea.Model, tea.Cmd) {
	cmds := []tea.Cmd{m.e.countUnsettledCmd()}
	if msg.Feed {
		cmds = append(cmds, listenChanges(m.e.deps.Changes))
	}
	ids := append([]screenID{m.screen}, m.stack...)
	for _, id := range ids {
		ls, ok := m.screens[id].(liveScreen)
		if !ok {
			continue
		}
		s, cmd := ls.refresh(msg.Code)
		m.screens[id] = s
		cmds = append(cmds, cmd)
	}
	return m, tea.Batch(cmds...)
}

// toScreens gives the time to every screen that shows time.
func (m Model) toScreens() Model {
	for id, s := range m.screens {
		if c, ok := s.(clockScreen); ok {
			m.screens[id] = c.at(m.now)
		}
	}
	return m
}

// routeTo gives msg to the screens held under ids (those never opened are
// skipped) and collects their commands.
func (m Model) routeTo(msg tea.Msg, ids ...screenID) (Model, tea.Cmd) {
	f := m.frame()
	var cmds []tea.Cmd
	for _, id := range ids {
		s := m.screens[id]
		if s == nil {
			continue
		}
		s, cmd := s.route(msg, f)
		m.screens[id] = s
		cmds = append(cmds, cmd)
	}
	return m, tea.Batch(cmds...)
}

// resultsFor names the screens a command's result is for; each of them
// ignores a result that is not about its charge (or its request).
func resultsFor(msg tea.Msg) []screenID {
	switch msg.(type) {
	case payProgressMsg, payDoneMsg:
		return []screenID{scrScan}
	case channelsMsg, precreateDoneMsg, awaitProgressMsg, awaitDoneMsg, customerPaidMsg:
		return []screenID{scrQR}
	case abortDoneMsg:
		return []screenID{scrScan, scrQR}
	case ackDoneMsg:
		return []screenID{scrSale, scrResult, scrScan}
	case printDoneMsg:
		return []screenID{scrResult, scrDevices, scrHistory, scrDetail}
	case receiptTextMsg:
		return []screenID{scrResult}
	case historyMsg, batchMsg:
		return []screenID{scrHistory}
	case detailMsg:
		return []screenID{scrDetail, scrRefund}
	case liveQueryMsg:
		return []screenID{scrDetail}
	case refundDoneMsg, slipTextMsg:
		return []screenID{scrRefund}
	case cashDoneMsg:
		return []screenID{scrCash}
	case drawerDoneMsg, shiftClosedMsg:
		return []screenID{scrTill}
	case unsettledMsg, reconcileProgressMsg, reconcileDoneMsg:
		return []screenID{scrUnsettled}
	}
	return nil
}

// toScreen gives msg to the screen it is for: keys to the current screen,
// command results to the screens that asked.
func (m Model) toScreen(msg tea.Msg) (tea.Model, tea.Cmd) {
	if _, isKey := msg.(tea.KeyMsg); isKey {
		m, cmd := m.routeTo(msg, m.screen)
		if m.MoneyInFlight() {
			cmd = tea.Batch(cmd, m.startAnim())
		}
		return m, cmd
	}
	m, cmd := m.routeTo(msg, resultsFor(msg)...)
	cmds := []tea.Cmd{cmd}
	// The register's own actions change the journal: every screen on view
	// hears of it at once (journalChanged recounts the status bar too).
	switch msg := msg.(type) {
	case ackDoneMsg, reconcileDoneMsg:
		cmds = append(cmds, changedCmd(""))
	case refundDoneMsg:
		cmds = append(cmds, changedCmd(msg.Code))
		if msg.Err == nil && msg.ManagerErr == nil {
			cmds = append(cmds, m.e.wakePrinterCmd())
		}
	}
	if m.busy() {
		cmds = append(cmds, m.startAnim())
	}
	return m, tea.Batch(cmds...)
}

func (m Model) resize() Model {
	for id, s := range m.screens {
		if r, ok := s.(sizedScreen); ok {
			m.screens[id] = r.sized(m.w, m.h)
		}
	}
	return m
}
