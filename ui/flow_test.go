package ui

import (
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/mattn/go-runewidth"
	"github.com/muesli/termenv"

	"posterm/device"
	"posterm/pos"
)

// TestFlow_QRPaidByCustomer: the demo key plays the customer paying; the
// result shows paid as soon as the next query says so.
func TestFlow_QRPaidByCustomer(t *testing.T) {
	f := newFixture(t, "en")
	d := f.run(t)
	toSale(d)
	d.amount("66", 6600)
	d.key(tea.KeyF3)
	d.waitModel("pick", func(m Model) bool { return m.qr().phase == qrPick })
	d.typ("2") // WeChat Pay, by its number
	m := d.waitModel("showing", func(m Model) bool { return m.qr().phase == qrShowing })
	if m.qr().tx.Channel != pos.ChannelWeChat {
		t.Fatalf("QR for channel %s, want wechat", m.qr().tx.Channel)
	}
	d.typ("p")
	d.waitModel("customer paid", func(m Model) bool { return m.qr().paidNote })
	f.clock.BlockUntil(1) // Await is waiting for its next query
	f.clock.Advance(f.co.Timings().QueryInterval)
	m = d.waitModel("paid", func(m Model) bool { return m.screen == scrResult && m.result().res.Kind == outPaid })
	if m.result().res.How != payQR || m.result().res.Tx.Amount != 6600 {
		t.Errorf("result %+v, want a QR payment of ¥66.00", m.result().res)
	}
}

// TestFlow_QuitRefusedWhileMoneyInFlight: Ctrl-C while a payment runs asks
// to cancel it first; the program keeps running.
func TestFlow_QuitRefusedWhileMoneyInFlight(t *testing.T) {
	f := newFixture(t, "en")
	d := f.run(t)
	payingHeld(d)
	d.key(tea.KeyCtrlC)
	m := d.waitModel("asked to abort", func(m Model) bool { return m.quitAsk })
	if m.screen != scrScan || !strings.Contains(m.View(), "press Esc to cancel it") {
		t.Fatalf("after Ctrl-C the screen shows:\n%s", m.View())
	}
	if got := Filter(m, tea.QuitMsg{}); got != (quitRefusedMsg{}) {
		t.Errorf("Filter(QuitMsg) while paying = %T, want quitRefusedMsg", got)
	}
	if got := Filter(m, tea.InterruptMsg{}); got != (quitRefusedMsg{}) {
		t.Errorf("Filter(InterruptMsg) while paying = %T, want quitRefusedMsg", got)
	}
	d.key(tea.KeyEsc) // cancel: then quitting is allowed
	m = d.waitModel("cancelled", func(m Model) bool { return m.screen == scrResult })
	if got := Filter(m, tea.QuitMsg{}); got != (tea.QuitMsg{}) {
		t.Errorf("Filter(QuitMsg) after the payment = %T, want it passed", got)
	}
}

// TestFlow_LockKeepsSaleAndNeverInterruptsPayment: the idle lock waits
// while a payment runs, keeps the sale on screen, and gives it back after
// the cashier signs in again.
func TestFlow_LockKeepsSaleAndNeverInterruptsPayment(t *testing.T) {
	f := newFixture(t, "en")
	d := f.run(t)
	payingHeld(d)
	d.tm.Send(tickMsg{At: start.Add(time.Hour)})
	d.tm.Send(tickMsg{At: start.Add(time.Hour + time.Second)})
	m := d.waitModel("second tick", func(m Model) bool { return m.now.Equal(start.Add(time.Hour + time.Second)) })
	if m.screen != scrScan || !m.loggedIn {
		t.Fatalf("the idle lock interrupted a payment (screen %s)", screenName(m.screen))
	}
	d.key(tea.KeyEsc)
	d.waitModel("cancelled", func(m Model) bool { return m.screen == scrResult })
	d.key(tea.KeyEnter) // back to the same sale, to charge another way
	d.waitScreen(scrSale)
	d.tm.Send(tickMsg{At: start.Add(2 * time.Hour)})
	d.waitModel("locked", func(m Model) bool { return m.screen == scrLogin && m.login().isLocked })
	d.typ("1234")
	d.key(tea.KeyEnter)
	m = d.waitModel("back on the sale", func(m Model) bool { return m.loggedIn && m.screen == scrSale })
	if m.sale().amt.Money() != 15800 || m.sale().saleID == "" {
		t.Errorf("after the lock the sale shows %d fen, sale %q; want ¥158.00 of the same sale", m.sale().amt.Money(), m.sale().saleID)
	}
}

func TestShouldLock(t *testing.T) {
	at := start
	tests := []struct {
		name     string
		idle     time.Duration
		since    time.Duration
		inFlight bool
		want     bool
	}{
		{"idle long enough", 5 * time.Minute, 5 * time.Minute, false, true},
		{"not yet", 5 * time.Minute, 4*time.Minute + 59*time.Second, false, false},
		{"never while money is in flight", 5 * time.Minute, time.Hour, true, false},
		{"lock off", 0, time.Hour, false, false},
	}
	for _, tt := range tests {
		if got := shouldLock(tt.idle, at, at.Add(tt.since), tt.inFlight); got != tt.want {
			t.Errorf("%s: shouldLock = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// update runs one message through the model (synchronously; commands are
// returned, not run).
func update(t *testing.T, m Model, msg tea.Msg) (Model, tea.Cmd) {
	t.Helper()
	mm, cmd := m.Update(msg)
	return mm.(Model), cmd
}

// saleModelFor returns a logged-in model on the sale screen.
func saleModelFor(t *testing.T, f *fixture) Model {
	t.Helper()
	m := New(f.ctx, f.deps)
	c, err := f.co.Login(f.ctx, "cashier01", "1234")
	if err != nil {
		t.Fatal(err)
	}
	m.cashier, m.loggedIn, m.screen = c, true, scrSale
	m, _ = update(t, m, tea.WindowSizeMsg{Width: 80, Height: 25})
	return m
}

// TestWedge_ScanVersusTyping: a burst of runes ending in Enter on the sale
// screen is a scan that starts merchant-scan; the same keys typed at a
// person's pace are keypad entry.
func TestWedge_ScanVersusTyping(t *testing.T) {
	f := newFixture(t, "en")
	wall := start
	f.deps.Now = func() time.Time { return wall }

	// A scanner: every key within a millisecond.
	m := saleModelFor(t, f)
	s := m.sale()
	s.amt.Set(15800)
	m.set(scrSale, s)
	for _, r := range codePaid {
		m, _ = update(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
		wall = wall.Add(time.Millisecond)
	}
	if m.sale().amt.Money() == 15800 {
		t.Fatalf("the burst's digits were not shown as they came")
	}
	m, cmd := update(t, m, tea.KeyMsg{Type: tea.KeyEnter})
	if m.sale().amt.Money() != 15800 { // taken back
		t.Fatalf("the scan was typed into the amount: %d fen", m.sale().amt.Money())
	}
	if msg := findMsg[startPayMsg](cmd); msg == nil || msg.Scan.Code != codePaid || msg.How != payScan || msg.Draft.Amount != 15800 {
		t.Fatalf("a scan on the sale screen gave %+v, want merchant-scan of ¥158.00 with the code", msg)
	}

	// A person: 150 ms between keys.
	m = saleModelFor(t, f)
	for _, r := range "8000" {
		wall = wall.Add(150 * time.Millisecond)
		m, _ = update(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	if m.sale().amt.Money() != 800000 { // shown as typed, at once
		t.Fatalf("typed 8000: amount %d fen, want 800000", m.sale().amt.Money())
	}
}

// findMsg runs cmd (and the commands of a batch) and returns the first
// message of type T, skipping commands that would block (ticks).
func findMsg[T any](cmd tea.Cmd) *T {
	if cmd == nil {
		return nil
	}
	done := make(chan tea.Msg, 1)
	go func() { done <- cmd() }()
	var msg tea.Msg
	select {
	case msg = <-done:
	case <-time.After(200 * time.Millisecond):
		return nil
	}
	switch m := msg.(type) {
	case T:
		return &m
	case tea.BatchMsg:
		for _, c := range m {
			if got := findMsg[T](c); got != nil {
				return got
			}
		}
	}
	return nil
}

// TestScreens_IgnoreOtherCharges: a result about another charge (or an
// earlier attempt) changes nothing on the screen.
func TestScreens_IgnoreOtherCharges(t *testing.T) {
	f := newFixture(t, "en")
	e := New(f.ctx, f.deps).e
	s := newScan(e, pos.Cashier{LoginName: "cashier01"}, saleDraft{Amount: 100}, start)
	s.phase, s.attempt, s.code = scanPaying, 2, "POS01A"
	other := pos.Transaction{ChargeCode: "POS01B", State: pos.StatePaid}
	for _, msg := range []tea.Msg{
		payDoneMsg{Attempt: 2, Tx: other},
		payDoneMsg{Attempt: 1, Tx: pos.Transaction{ChargeCode: "POS01A", State: pos.StatePaid}},
		payProgressMsg{Attempt: 2, P: pos.Progress{ChargeCode: "POS01B", Phase: pos.PhaseCancelling}},
	} {
		got, cmd := s.update(msg)
		if got.phase != scanPaying || got.code != "POS01A" || cmd != nil {
			t.Errorf("scan screen took %T about another charge: phase %d code %s", msg, got.phase, got.code)
		}
	}
	q := newQR(e, pos.Cashier{LoginName: "cashier01"}, saleDraft{Amount: 100}, start)
	q.phase, q.tx = qrShowing, pos.Transaction{ChargeCode: "POS01A", BarCode: "x"}
	got, cmd := q.update(awaitDoneMsg{Code: "POS01B", Tx: other})
	if got.phase != qrShowing || cmd != nil {
		t.Errorf("QR screen took a result about another charge")
	}
	r := newResult(e, pos.Cashier{}, outcome{Kind: outPaid, Tx: pos.Transaction{ChargeCode: "POS01A"}}, 80, 25)
	r2, _ := r.update(printerMsg{Ev: PrinterEvent{Kind: PrinterPrinted, ChargeCode: "POS01B"}})
	if r2.receipt != receiptQueued {
		t.Errorf("result screen took another charge's printed receipt")
	}
}

// TestView_Sizes: every screen fills the terminal exactly, at the smallest
// supported size and larger, and the QR grows on a larger terminal.
func TestView_Sizes(t *testing.T) {
	f := newFixture(t, "zh-CN")
	base := saleModelFor(t, f)
	s := base.sale()
	s.amt.Set(1234567)
	base.set(scrSale, s)
	qr := newQR(base.e, base.cashier, saleDraft{Amount: 15800}, start)
	qr.phase = qrShowing
	qr.channels = []pos.ChannelInfo{{Type: pos.ChannelAlipay}}
	qr.tx = pos.Transaction{ChargeCode: "POS0120261121140237001", Channel: pos.ChannelAlipay,
		BarCode: "http://192.168.100.200:8089/sandbox/qr/20261121140238000095", ExpiresAt: start.Add(2 * time.Minute)}
	base.set(scrQR, qr)
	qrRows := map[int]int{}
	for _, size := range [][2]int{{80, 25}, {100, 30}, {120, 40}, {200, 60}, {60, 20}} {
		for _, scr := range []screenID{scrLogin, scrSale, scrQR, scrHelp, scrDevices, scrDemo} {
			m, _ := update(t, base, tea.WindowSizeMsg{Width: size[0], Height: size[1]})
			m.screen = scr
			view := m.View()
			checkFrame(t, view, size[0], size[1])
			if scr == scrQR {
				qrRows[size[0]] = strings.Count(view, "█")
			}
		}
	}
	if qrRows[200] <= qrRows[80] {
		t.Errorf("the QR is not larger on 200×60 (%d blocks) than on 80×25 (%d)", qrRows[200], qrRows[80])
	}
}

// TestQRScreen_ScansInBothLanguages reads the QR back from the whole 80×25
// frame, as a phone would from the screen, with go-runewidth set the way a
// zh_CN locale sets it (the register must undo that).
func TestQRScreen_ScansInBothLanguages(t *testing.T) {
	old := runewidth.DefaultCondition.EastAsianWidth
	t.Cleanup(func() { runewidth.DefaultCondition.EastAsianWidth = old })
	url := "http://192.168.100.200:8089/sandbox/qr/20261121140238000095"
	for _, lang := range []string{"en", "zh-CN"} {
		runewidth.DefaultCondition.EastAsianWidth = true // as under LANG=zh_CN.UTF-8
		f := newFixture(t, lang)
		m := saleModelFor(t, f)
		if runewidth.DefaultCondition.EastAsianWidth {
			t.Fatal("New left East-Asian ambiguous width on: half blocks would count double")
		}
		q := newQR(m.e, m.cashier, saleDraft{Amount: 15800}, start)
		q.phase, q.channels = qrShowing, []pos.ChannelInfo{{Type: pos.ChannelAlipay}}
		q.tx = pos.Transaction{ChargeCode: "C1", Channel: pos.ChannelAlipay, BarCode: url, ExpiresAt: start.Add(time.Minute)}
		m.set(scrQR, q)
		m.screen = scrQR
		view := m.View()
		checkFrame(t, view, 80, 25)
		lines := strings.Split(view, "\n")[2 : 2+21] // the body
		var qrLines []string
		for _, l := range lines {
			r := []rune(l)
			qrLines = append(qrLines, string(r[:min(41, len(r))]))
		}
		for i := range qrLines {
			qrLines[i] = pad(qrLines[i], 41)
		}
		quietZoneOK(t, qrLines, 41, 1)
		if got := decodeQR(t, halfBlockImage(t, qrLines, 4)); got != url {
			t.Fatalf("%s: the screen's QR reads %q, want %q", lang, got, url)
		}
	}
}

// TestStyles_SixteenColours: with a 16-colour profile, wrong things are
// red, the QR is black on white with both colours set, and nothing asks
// for more than the 16 ANSI colours.
func TestStyles_SixteenColours(t *testing.T) {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.ANSI)
	st := NewStyles(r)
	for name, tc := range map[string]struct {
		s    lipgloss.Style
		want []string
	}{
		"bad":  {st.StatusBad, []string{"31"}},
		"ok":   {st.StatusOK, []string{"32"}},
		"warn": {st.StatusWarn, []string{"33"}},
		"qr":   {st.QR, []string{"30", "107"}},
	} {
		out := tc.s.Render("x")
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s renders %q: want SGR %s", name, out, w)
			}
		}
		if strings.Contains(out, "38;5") || strings.Contains(out, "38;2") || strings.Contains(out, "48;") {
			t.Errorf("%s renders %q: more than 16 colours", name, out)
		}
	}
}

// TestStatusBar_SaysWhy: a problem shows in the status bar with its reason.
func TestStatusBar_SaysWhy(t *testing.T) {
	f := newFixture(t, "en")
	f.deps.ScannerPort = "/dev/serial/by-id/usb-Scanner"
	m := saleModelFor(t, f)
	m, _ = update(t, m, probeMsg{OK: false})
	m, _ = update(t, m, scannerMsg{Ev: device.Disconnected{Port: f.deps.ScannerPort}})
	m, _ = update(t, m, printerMsg{Ev: PrinterEvent{Kind: PrinterStatusChanged, Status: PrinterPaperOut}})
	m, _ = update(t, m, unsettledCountMsg{Codes: []pos.ChargeCode{"A", "B"}})
	bar := m.statusBar()
	for _, want := range []string{"offline", "scanner ● not connected", "paper out", "unsettled 2"} {
		if !strings.Contains(bar, want) {
			t.Errorf("status bar %q does not say %q", bar, want)
		}
	}
}
