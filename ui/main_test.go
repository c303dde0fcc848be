package ui

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/mattn/go-runewidth"
	"github.com/muesli/termenv"

	"posterm/pos"
	"posterm/pos/postest"
)

// TestMain fixes what a golden file must not depend on: the colour profile
// (plain text, whatever terminal runs the tests) and East-Asian width.
func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	runewidth.DefaultCondition.EastAsianWidth = false
	os.Exit(m.Run())
}

// start is the fake clock's time: 14:02:37 in Shanghai.
var start = time.Date(2026, 11, 21, 14, 2, 37, 0, time.FixedZone("CST", 8*3600))

// fixture is a real pos.Checkout on the in-memory journal and the fake
// gateway with the sandbox users, driven by a fake clock.
type fixture struct {
	t       testing.TB
	ctx     context.Context
	gw      *postest.Gateway
	j       *postest.Journal
	clock   *postest.Clock
	co      *pos.Checkout
	printer chan PrinterEvent
	deps    Deps
	reprint atomic.Int32
	drawer  drawerLog
}

// drawerLog is a pos.DrawerLog in memory.
type drawerLog struct {
	mu   sync.Mutex
	log  []pos.DrawerOpening
	jobs [][]byte
}

func (d *drawerLog) OpenDrawer(_ context.Context, o pos.DrawerOpening, j pos.PrintJob) (pos.DrawerOpening, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.jobs = append(d.jobs, j.Data)
	o.ID, o.JobID = int64(len(d.log)+1), int64(len(d.jobs))
	d.log = append(d.log, o)
	return o, nil
}

func (d *drawerLog) DrawerOpenings(context.Context, time.Time, time.Time) ([]pos.DrawerOpening, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]pos.DrawerOpening(nil), d.log...), nil
}

func (d *drawerLog) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.log)
}

// noZ is a pos.ZStore with no Z report yet.
type noZ struct{}

func (noZ) CloseZ(context.Context, pos.ZReport, *pos.PrintJob) error { return nil }
func (noZ) LastZ(context.Context, string) (pos.ZReport, error)       { return pos.ZReport{}, pos.ErrNotFound }
func (noZ) GetZ(context.Context, string, int) (pos.ZReport, error) {
	return pos.ZReport{}, pos.ErrNotFound
}

type fixtureOpt func(*fixture)

func withAutoClock(f *fixture) { f.clock.SetAuto(true) }

func newFixture(t testing.TB, lang string, opts ...fixtureOpt) *fixture {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	f := &fixture{t: t, ctx: ctx, gw: postest.NewGateway().WithSandboxUsers(), j: postest.NewJournal(),
		clock: postest.NewClock(start), printer: make(chan PrinterEvent, 16)}
	for _, o := range opts {
		o(f)
	}
	co, err := pos.NewCheckout(pos.CheckoutConfig{Register: "POS01", BusiID: postest.Merchant, Subject: "Demo Store",
		Gateway: f.gw, Journal: f.j, Clock: f.clock, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	f.co = co
	co.ChargeCodes().SetLocation(start.Location()) // pinned: the tests pass in any TZ
	f.printer <- PrinterEvent{Kind: PrinterStatusChanged, Status: PrinterOK}
	f.deps = Deps{
		Checkout: co, Journal: f.j, Gateway: f.gw, Clock: f.clock,
		ReconcileNow: func(ctx context.Context, progress func(pos.ReconcileProgress)) (pos.ReconcileSummary, error) {
			r, err := pos.NewReconciler(pos.ReconcilerConfig{Gateway: f.gw, Journal: f.j, Clock: f.clock, Logger: slog.New(slog.DiscardHandler),
				Owner: "ui-test", IgnoreSchedule: true, Progress: progress, Seed: 1})
			if err != nil {
				return pos.ReconcileSummary{}, err
			}
			return r.RunOnce(ctx)
		},
		Lang: lang, Merchant: "Demo Store", Store: "Demo Store No. 1", Register: "POS-01", Location: start.Location(),
		IdleLock: 5 * time.Minute,
		Printer:  f.printer,
		Reprint: func(ctx context.Context, code pos.ChargeCode) error {
			f.reprint.Add(1)
			return nil
		},
		OpenDrawer: func(ctx context.Context, who pos.Cashier, reason string) (pos.DrawerOpening, error) {
			return pos.OpenDrawer(ctx, &f.drawer, "POS01", who, reason, []byte{0x1b, 'p', 0, 25, 250}, f.clock.Now())
		},
		CloseShift: func(ctx context.Context, closedBy string, counted pos.Money) (pos.ZReport, error) {
			return pos.CloseShift(ctx, f.j, noZ{}, "POS01", closedBy, counted, f.clock.Now())
		},
		TestPrint: func(ctx context.Context) error { return nil },
		LastSettlement: func(context.Context) (pos.Settlement, bool, error) {
			return pos.Settlement{Date: "2026-03-13", Gateway: 12, Journal: 12, Corrected: 1,
				Differences: []pos.Difference{{ChargeCode: "POS01K7Q22603131200000001", Kind: pos.DiffState}}}, true, nil
		},
		ReceiptText: func(ctx context.Context, code pos.ChargeCode) (string, error) {
			tx, err := f.j.Get(ctx, code)
			if err != nil {
				return "", err
			}
			return fakeReceipt(tx), nil
		},
		SlipText: func(ctx context.Context, code pos.ChargeCode, outRefundNo string) (string, error) {
			tx, err := f.j.Get(ctx, code)
			if err != nil {
				return "", err
			}
			what := "REVOKE SLIP" // (the refund serial's stamp is in the host's zone: left out)
			if outRefundNo != "" {
				what = "REFUND SLIP"
			}
			return what + "\n" + fakeReceipt(tx), nil
		},
		Demo: &Demo{
			SandboxURL: "http://127.0.0.1:8089",
			Users: []DemoUser{{"cashier01", "1234", DemoCashier}, {"manager01", "8888", DemoManager},
				{"disabled01", "0000", DemoDisabled}},
			Codes: []DemoCode{{"283456789012345600", DemoPaid}, {"283456789012345691", DemoConfirm8s},
				{"283456789012345692", DemoDeclined}, {"283456789012345693", DemoNeverPaid},
				{"134567890123456794", DemoAnswerLost}, {"134567890123456795", DemoGatewayDown},
				{"134567890123456796", DemoPaidLate}, {"134567890123456797", DemoSystemFault}},
			CustomerPays: func(ctx context.Context, barCode string) error {
				txs, err := f.j.List(ctx, pos.Filter{})
				if err != nil {
					return err
				}
				for _, tx := range txs {
					if tx.BarCode == barCode {
						if _, ok := f.gw.CustomerPays(tx.ChargeCode); ok {
							return nil
						}
					}
				}
				return errors.New("no such QR")
			},
		},
		GatewayProbe: -1,
	}
	return f
}

// countMsg is what the status bar's count should come to now.
func (f *fixture) countMsg() unsettledCountMsg {
	ctx := context.Background()
	var m unsettledMsg
	m.Txs, m.Err = f.j.List(ctx, pos.Filter{Unsettled: true})
	if m.Err == nil {
		m.Refunds, m.Err = f.j.ListRefunds(ctx, pos.RefundFilter{Unsettled: true})
	}
	if m.Err != nil {
		f.t.Fatal(m.Err)
	}
	return countOf(m)
}

// fakeReceipt stands in for the virtual printer's decoded text (the ui
// package may not import printer; main wires the real one).
func fakeReceipt(tx pos.Transaction) string {
	return strings.Join([]string{
		"        Demo Store",
		"      *** DEMO ***",
		"--------------------------------",
		"Charge  " + string(tx.ChargeCode),
		"Amount              " + yuan(tx.Amount),
		"State   " + string(tx.State),
		"--------------------------------",
		"  Thank you",
	}, "\n")
}

// recorder wraps the root model so a test can see the latest model the
// program drew, without reading the renderer's byte stream.
type recorder struct {
	m    Model
	last *atomic.Pointer[Model]
}

func (r recorder) Init() tea.Cmd { return r.m.Init() }

func (r recorder) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	mm, cmd := r.m.Update(msg)
	r.m = mm.(Model)
	return r, cmd
}

func (r recorder) View() string {
	m := r.m
	r.last.Store(&m)
	return r.m.View()
}

// driver runs the real program through teatest at 80×25.
type driver struct {
	t    *testing.T
	f    *fixture
	tm   *teatest.TestModel
	last *atomic.Pointer[Model]
}

func (f *fixture) run(t *testing.T) *driver {
	t.Helper()
	d := &driver{t: t, f: f, last: &atomic.Pointer[Model]{}}
	d.tm = teatest.NewTestModel(t, recorder{m: New(f.ctx, f.deps), last: d.last}, teatest.WithInitialTermSize(80, 25))
	t.Cleanup(func() { _ = d.tm.Quit() })
	d.waitModel("the first frame", func(m Model) bool { return m.w == 80 })
	return d
}

// waitModel waits until the latest drawn model satisfies cond.
func (d *driver) waitModel(what string, cond func(Model) bool) Model {
	d.t.Helper()
	// A deadline, not a timing: generous, as the machine is shared.
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if m := d.last.Load(); m != nil && cond(*m) {
			return *m
		}
		time.Sleep(2 * time.Millisecond)
	}
	var view string
	if m := d.last.Load(); m != nil {
		view = m.View()
	}
	d.t.Fatalf("timed out waiting for %s; the screen shows:\n%s", what, view)
	return Model{}
}

func (d *driver) waitScreen(s screenID) Model {
	d.t.Helper()
	return d.waitModel("screen "+screenName(s), func(m Model) bool { return m.screen == s })
}

// waitText waits until the screen shows s.
func (d *driver) waitText(s string) Model {
	d.t.Helper()
	return d.waitModel("text "+s, func(m Model) bool { return strings.Contains(m.View(), s) })
}

func (d *driver) typ(s string) { d.tm.Type(s) }

func (d *driver) key(k tea.KeyType) { d.tm.Send(tea.KeyMsg{Type: k}) }

func (d *driver) runes(s string) { d.tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}) }

// login signs cashier01 (or who) in and waits for the sale screen.
func (d *driver) login(who, password string) {
	d.t.Helper()
	d.typ(who)
	d.key(tea.KeyEnter)
	d.typ(password)
	d.key(tea.KeyEnter)
	d.waitModel("signed in", func(m Model) bool { return m.loggedIn })
}

// sale keys an amount (waiting for the keypad to show it).
func (d *driver) amount(keys string, want pos.Money) {
	d.t.Helper()
	d.typ(keys)
	d.waitModel("amount "+want.Yuan(), func(m Model) bool { return m.screen == scrSale && m.sale().amt.Money() == want })
}

// pay keys an amount and scans a wallet code on the sale screen (a
// scanner's burst: the runes in one message, then Enter).
func (d *driver) scanCode(code string) {
	d.runes(code)
	d.key(tea.KeyEnter)
}

// settled waits until the status bar agrees with the journal and the
// gateway was heard, so a golden file does not catch a count in flight.
func (d *driver) settled() {
	d.t.Helper()
	want := d.f.countMsg()
	d.tm.Send(want)
	d.waitModel("status settled", func(m Model) bool {
		return len(m.unsetCodes) == len(want.Codes) && m.unsetRefunds == want.Refunds && !m.unsetErr && m.printerSeen
	})
}

// golden quits and compares the final frame with testdata/<test>.golden
// (go test -update rewrites it). The frame must be exactly 80×25.
func (d *driver) golden() Model {
	d.t.Helper()
	d.settled()
	_ = d.tm.Quit()
	fm := d.tm.FinalModel(d.t, teatest.WithFinalTimeout(5*time.Second)).(recorder).m
	view := fm.View()
	checkFrame(d.t, view, 80, 25)
	checkUncut(d.t, view)
	if newTr(d.f.deps.Lang).zh {
		checkChinese(d.t, view)
	}
	teatest.RequireEqualOutput(d.t, []byte(view+"\n"))
	// The same screen on a larger terminal: its own golden, the same rules.
	d.t.Run("120x40", func(t *testing.T) {
		mm, _ := fm.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
		big := mm.(Model).View()
		checkFrame(t, big, 120, 40)
		checkUncut(t, big)
		teatest.RequireEqualOutput(t, []byte(big+"\n"))
	})
	return fm
}

// isCut reports whether a line has an ellipsis that is not the end of a
// catalogue text that ends in one ("Loading…"): that is, a cut.
func isCut(line string) bool {
	rest := line
	for {
		i := strings.Index(rest, "…")
		if i < 0 {
			return false
		}
		before := []rune(rest[:i])
		ok := false
		for _, e := range catalogue {
			for _, s := range []string{e.zh, e.en} {
				j := strings.Index(s, "…")
				if j < 0 {
					continue
				}
				want := []rune(s[:j])
				n := min(len(want), 3)
				if n > 0 && len(before) >= n && string(before[len(before)-n:]) == string(want[len(want)-n:]) {
					ok = true
				}
			}
		}
		if !ok {
			return true
		}
		rest = rest[i+len("…"):]
	}
}

// englishWord is a lower-case English word: proper names are capitalised,
// keys and codes are capitalised or upper case, logins carry digits.
var englishWord = regexp.MustCompile(`\b[a-z]{3,}\b`)

// checkChinese fails on English on a Chinese screen, but for the product's
// name, what the cashier typed in the tests, a URL, and the receipt
// preview (the printer's own layout).
func checkChinese(t testing.TB, view string) {
	t.Helper()
	allowed := map[string]bool{"posterm": true, "item": true, "returned": true, "http": true}
	for i, l := range strings.Split(view, "\n") {
		if strings.Contains(l, "│") {
			continue
		}
		for _, w := range englishWord.FindAllString(l, -1) {
			if !allowed[w] {
				t.Errorf("line %d of a Chinese screen has English %q: %q", i+1, w, l)
			}
		}
	}
}

// checkUncut fails on text cut with "…": a cashier sentence, a charge code
// or a key must wrap, shorten or be rephrased, never be cut.
func checkUncut(t testing.TB, view string) {
	t.Helper()
	for i, l := range strings.Split(view, "\n") {
		if isCut(l) {
			t.Errorf("line %d is cut: %q", i+1, l)
		}
	}
}

func checkFrame(t testing.TB, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Errorf("frame has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if lw := max(lipgloss.Width(l), termWidth(l)); lw > w {
			t.Errorf("line %d is %d columns wide (max %d): %q", i+1, lw, w, l)
		}
	}
}

// termWidth counts columns as a terminal does (wcwidth): East-Asian wide
// characters two, ambiguous ones (▀ █ ─ · — ●) one, escape sequences none.
func termWidth(s string) int {
	c := runewidth.Condition{EastAsianWidth: false}
	return c.StringWidth(ansi.Strip(s))
}

func screenName(s screenID) string {
	return [...]string{"login", "sale", "scan", "qr", "result", "history", "detail", "refund", "unsettled",
		"devices", "help", "demo", "cash", "till"}[s]
}
