package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"posterm/device/devicetest"
	"posterm/gateway/sandbox"
	"posterm/offline"
	"posterm/pos"
	"posterm/printer"
)

// The end-to-end tests of the register run the real binary in a real
// tmux server (80x25, its own socket), type into it with send-keys and
// read it back with capture-pane, against a sandbox on loopback behind a
// proxy that can lose the gateway's answers. Nothing waits a fixed time:
// every step polls the screen (or the journal) until what it expects is
// there, with a deadline generous enough for a loaded 2-core machine.

// TestMain removes the register binary the end-to-end tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if e2eBin.dir != "" {
		os.RemoveAll(e2eBin.dir)
	}
	os.Exit(code)
}

// e2eDeadline bounds every wait for the screen or the journal.
const e2eDeadline = 20 * time.Second

// e2eBin is the posterm binary shared by the tests and benchmarks of one
// `go test` process: built once, removed by TestMain.
var e2eBin struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// e2eBinary builds posterm once per test process and returns its path.
func e2eBinary(t testing.TB) string {
	t.Helper()
	e2eBin.once.Do(func() {
		e2eBin.dir, e2eBin.err = os.MkdirTemp("", "posterm-e2e-")
		if e2eBin.err != nil {
			return
		}
		e2eBin.path = filepath.Join(e2eBin.dir, "posterm")
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		cmd := exec.Command(goTool, "build", "-o", e2eBin.path, "..") // the posterm command at the module root
		cmd.Env = childEnv()
		if out, err := cmd.CombinedOutput(); err != nil {
			e2eBin.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if e2eBin.err != nil {
		t.Fatal(e2eBin.err)
	}
	return e2eBin.path
}

// requireTmux skips t when tmux is missing on a developer's machine; in CI
// (CI set) a missing tmux fails, so the end-to-end tests cannot silently
// stop running there.
func requireTmux(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("tmux")
	if err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("tmux is not installed, and CI=%s: .ci/run installs it", os.Getenv("CI"))
	}
	t.Skip("tmux is not installed: the end-to-end tests of the register need it (apt-get install tmux)")
	return ""
}

// ---------------------------------------------------------------------------
// The world of one test: a sandbox, a proxy that can lose answers, a config.

// e2eOptions shape a world.
type e2eOptions struct {
	// Scale is the sandbox's time scale (0: 1, real time).
	Scale float64
	// Lang is [ui] lang ("" = from LANG, as a shop would leave it).
	Lang string
	// Scanner plugs a serial scanner on a pty in and configures it.
	Scanner bool
	// Drawer sets [printer] drawer: cash receipts kick the drawer.
	Drawer bool
}

// e2eWorld is one register's world: its sandbox, the proxy in front of
// it, its directory with the config, journal, log and receipts file.
type e2eWorld struct {
	bin      string
	sb       *sandbox.Running
	dir      string
	config   string
	journal  string
	receipts string
	logPath  string
	register string
	scanner  *devicetest.PTY // nil: keyboard-wedge only

	mu   sync.Mutex
	lose map[string]bool // gateway methods whose answers the proxy loses
}

func newE2EWorld(t testing.TB, o e2eOptions) *e2eWorld {
	t.Helper()
	scale := o.Scale
	if scale == 0 {
		scale = 1
	}
	w := &e2eWorld{bin: e2eBinary(t), sb: startTestSandbox(t, scale), dir: t.TempDir(),
		register: fmt.Sprintf("E2E%d", envSerial.Add(1)), lose: map[string]bool{}}
	target, _ := url.Parse(w.sb.URL)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ErrorLog = log.New(io.Discard, "", 0) // the sandbox drops connections on purpose (…94)
	proxy := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.mu.Lock()
		lost := w.lose[r.URL.Query().Get("method")]
		w.mu.Unlock()
		if lost {
			// Never forwarded: the gateway does not see the call, the
			// register gets no answer it can read.
			http.Error(rw, "lost on the way", http.StatusServiceUnavailable)
			return
		}
		rp.ServeHTTP(rw, r)
	}))
	t.Cleanup(proxy.Close)

	w.config = filepath.Join(w.dir, "posterm.toml")
	w.journal = filepath.Join(w.dir, "posterm.db")
	w.receipts = filepath.Join(w.dir, "receipts.bin")
	w.logPath = filepath.Join(w.dir, "posterm.log")
	scannerSection := ""
	if o.Scanner {
		w.scanner = devicetest.NewPTY(t)
		scannerSection = fmt.Sprintf("\n[scanner]\nport = %q\n", w.scanner.Path)
	}
	// Timings: a lost answer is given up on after 1 s; the background
	// reconciler waits an hour, so only "reconcile now" (F9) settles
	// what the tests leave unsettled.
	cfg := fmt.Sprintf(`[gateway]
url = %q
busi_id = %q
secret = %q
timeout = "3s"

[register]
dev_id = %q
merchant_name = "E2E Shop"

[journal]
path = %q

[log]
path = %q
level = "debug"

[printer]
transport = %q
drawer = %v

[ui]
lang = %q

[checkout]
pay_timeout = "5s"
query_interval = "100ms"
give_up_after = "1s"
precreate_expiry = "120s"

[reconcile]
interval = "1h"
retry_base = "1h"
retry_max = "1h"
%s`, proxy.URL+sandbox.ServicePath, sandbox.DemoBusiID, sandbox.DemoSecret, w.register, w.journal, w.logPath,
		"file:"+w.receipts, o.Drawer, o.Lang, scannerSection)
	if err := os.WriteFile(w.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

// loseAnswers makes the proxy answer 503 to every call of these methods
// without forwarding them; with no methods, every call goes through again.
func (w *e2eWorld) loseAnswers(methods ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	clear(w.lose)
	for _, m := range methods {
		w.lose[m] = true
	}
}

// startRegister runs `posterm register --config …` in a new tmux server;
// env are extra VAR=value settings of its environment.
func (w *e2eWorld) startRegister(t testing.TB, env ...string) *tmuxTerm {
	t.Helper()
	cmd := fmt.Sprintf("exec %s register --config %s 2>>%s", shellQuote(w.bin), shellQuote(w.config),
		shellQuote(filepath.Join(w.dir, "stderr.txt")))
	term := startTmux(t, 80, 25, env, cmd)
	term.diag = w.diagnostics
	return term
}

// diagnostics is what a failing test prints besides the screen: the
// register's stderr and the end of its log.
func (w *e2eWorld) diagnostics() string {
	var b strings.Builder
	if s, err := os.ReadFile(filepath.Join(w.dir, "stderr.txt")); err == nil && len(s) > 0 {
		fmt.Fprintf(&b, "register stderr:\n%s\n", s)
	}
	if s, err := os.ReadFile(w.logPath); err == nil {
		lines := strings.Split(strings.TrimSpace(string(s)), "\n")
		fmt.Fprintf(&b, "last lines of the register's log:\n%s\n", strings.Join(lines[max(len(lines)-15, 0):], "\n"))
	}
	return b.String()
}

// rows returns the journal's charges, oldest first (a second reader of the
// register's journal, as `posterm history` is).
func (w *e2eWorld) rows(t testing.TB) []pos.Transaction {
	t.Helper()
	j, err := offline.Open(w.journal, offline.Options{Logger: discardLog})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	txs, err := j.List(context.Background(), pos.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return txs
}

// only returns the journal's one charge.
func (w *e2eWorld) only(t testing.TB) pos.Transaction {
	t.Helper()
	txs := w.rows(t)
	if len(txs) != 1 {
		t.Fatalf("the journal holds %d charges, want 1: %+v", len(txs), txs)
	}
	return txs[0]
}

// waitRow polls the journal until code's row satisfies ok.
func (w *e2eWorld) waitRow(t testing.TB, code pos.ChargeCode, what string, ok func(pos.Transaction) bool) pos.Transaction {
	t.Helper()
	deadline := time.Now().Add(e2eDeadline)
	for {
		for _, tx := range w.rows(t) {
			if tx.ChargeCode == code && ok(tx) {
				return tx
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the journal's row %s never became %s: %+v", code, what, w.rows(t))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// events returns the audit events and refunds of code.
func (w *e2eWorld) events(t testing.TB, code pos.ChargeCode) ([]pos.Event, []pos.Refund) {
	t.Helper()
	j, err := offline.Open(w.journal, offline.Options{Logger: discardLog})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	ctx := context.Background()
	evs, err := j.Events(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := j.ListRefunds(ctx, pos.RefundFilter{ChargeCode: code})
	if err != nil {
		t.Fatal(err)
	}
	return evs, rs
}

// receiptsText waits until the file printer holds want and returns what
// it printed, decoded as a 58 mm printer would print it.
func (w *e2eWorld) receiptsText(t testing.TB, want string) string {
	t.Helper()
	cols := printer.Profile{Paper: 58}.Cols()
	deadline := time.Now().Add(e2eDeadline)
	for {
		b, _ := os.ReadFile(w.receipts)
		text := printer.DecodeText(b, cols)
		if strings.Contains(text, want) {
			return text
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receipts file never showed %q; it holds:\n%s", want, text)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ---------------------------------------------------------------------------
// tmux.

var tmuxSerial atomic.Int64

// tmuxTerm is a program running in a tmux server of its own.
type tmuxTerm struct {
	t      testing.TB
	tmux   string
	socket string
	env    []string
	w, h   int
	diag   func() string // more to print when a wait fails
}

// startTmux starts a tmux server on a socket of its own with one w×h
// session running shellCmd; env are VAR=value settings for the server and
// the session. The server is killed at cleanup. -u: UTF-8 whatever the
// installed locales are; -f /dev/null: no user configuration.
func startTmux(t testing.TB, w, h int, env []string, shellCmd string) *tmuxTerm {
	t.Helper()
	x := &tmuxTerm{t: t, tmux: requireTmux(t), w: w, h: h,
		socket: fmt.Sprintf("posterm-e2e-%d-%d", os.Getpid(), tmuxSerial.Add(1))}
	x.env = append(terminalEnv(), env...)
	args := []string{"new-session", "-d", "-s", "e2e", "-x", fmt.Sprint(w), "-y", fmt.Sprint(h)}
	for _, kv := range env {
		args = append(args, "-e", kv)
	}
	// A program that ends leaves its last screen (and "Pane is dead")
	// for the failure message instead of taking the server down.
	args = append(args, shellCmd, ";", "set-option", "-g", "remain-on-exit", "on")
	if out, err := x.run(args...); err != nil {
		_, _ = x.run("kill-server")
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	out, err := x.run("display-message", "-p", "-t", "e2e", "#{pane_pid} #{socket_path}")
	pidText, socketPath, _ := strings.Cut(strings.TrimSpace(out), " ")
	pid, perr := strconv.Atoi(pidText)
	t.Cleanup(func() {
		_, _ = x.run("kill-server")
		if strings.Contains(socketPath, x.socket) {
			os.Remove(socketPath) // tmux leaves it behind
		}
		// The program (exec'd by the pane's shell) gets SIGHUP; wait until
		// it is gone, so that nothing writes into the test's directory
		// while it is removed.
		deadline := time.Now().Add(10 * time.Second)
		for err == nil && perr == nil && processAlive(pid) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	})
	return x
}

// processAlive reports whether pid runs (a zombie does not).
func processAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return syscall.Kill(pid, 0) == nil
	}
	// pid (comm) S …: the state follows the last ')'.
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || (b[i+2] != 'Z' && b[i+2] != 'X')
}

// terminalEnv is the environment of a register on a terminal: this
// process's (childEnv) without CI, which termenv takes to mean "no
// terminal" and draws no colours at all, and without the settings of a
// tmux this test may itself run in.
func terminalEnv() []string {
	var env []string
	for _, kv := range childEnv() {
		if !strings.HasPrefix(kv, "CI=") && !strings.HasPrefix(kv, "TMUX") {
			env = append(env, kv)
		}
	}
	return env
}

// run runs one tmux command against this server.
func (x *tmuxTerm) run(args ...string) (string, error) {
	cmd := exec.Command(x.tmux, append([]string{"-u", "-f", "/dev/null", "-L", x.socket}, args...)...)
	cmd.Env = x.env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil {
		return out.String() + errOut.String(), fmt.Errorf("tmux %s: %w", args[0], err)
	}
	return out.String(), nil
}

// keys sends named keys (Enter, F2, Escape, Tab, BSpace, …), one tmux
// command per key.
func (x *tmuxTerm) keys(keys ...string) {
	x.t.Helper()
	for _, k := range keys {
		if out, err := x.run("send-keys", "-t", "e2e", k); err != nil {
			x.t.Fatalf("send-keys %s: %v %s", k, err, out)
		}
	}
}

// text types s literally, in one write (as a keyboard-wedge scanner does).
func (x *tmuxTerm) text(s string) {
	x.t.Helper()
	if out, err := x.run("send-keys", "-t", "e2e", "-l", s); err != nil {
		x.t.Fatalf("send-keys -l %q: %v %s", s, err, out)
	}
}

// screen returns the pane as text (trailing blanks trimmed by tmux).
func (x *tmuxTerm) screen() (string, error) {
	return x.run("capture-pane", "-p", "-t", "e2e")
}

// waitFor polls the screen until ok accepts it, and returns it; it fails
// the test after e2eDeadline, printing the screen.
func (x *tmuxTerm) waitFor(what string, ok func(screen string) bool) string {
	x.t.Helper()
	deadline := time.Now().Add(e2eDeadline)
	var last string
	for {
		s, err := x.screen()
		if err == nil {
			last = s
			if ok(s) {
				return s
			}
		}
		if time.Now().After(deadline) {
			extra := ""
			if x.diag != nil {
				extra = x.diag()
			}
			x.t.Fatalf("the screen never showed %s (%v); last screen:\n%s\n%s", what, err, last, extra)
		}
		time.Sleep(40 * time.Millisecond)
	}
}

// waitText waits until the screen shows every one of texts.
func (x *tmuxTerm) waitText(texts ...string) string {
	x.t.Helper()
	return x.waitFor(fmt.Sprintf("%q", texts), func(s string) bool {
		for _, want := range texts {
			if !strings.Contains(s, want) {
				return false
			}
		}
		return true
	})
}

// body returns the lines of a screen between the header's rule and the
// status bar.
func body(screen string) string {
	lines := strings.Split(strings.TrimRight(screen, "\n"), "\n")
	if len(lines) < 4 {
		return ""
	}
	return strings.Join(lines[2:len(lines)-2], "\n")
}

// statusBar returns the status line of a screen (the one above the keys).
func statusBar(screen string) string {
	lines := strings.Split(strings.TrimRight(screen, "\n"), "\n")
	if len(lines) < 2 {
		return ""
	}
	return lines[len(lines)-2]
}

// login signs in at the login screen and waits for the sale screen (in
// English or Chinese).
func (x *tmuxTerm) login(user, password string) {
	x.t.Helper()
	either := func(a, b string) func(string) bool {
		return func(s string) bool { return strings.Contains(s, a) || strings.Contains(s, b) }
	}
	x.waitFor("the login screen", either("Cashier sign-in", "收银员登录"))
	x.text(user)
	x.keys("Enter")
	x.text(password)
	x.keys("Enter")
	sale := either("Amount due", "应收金额")
	x.waitFor("the sale screen", func(s string) bool { return sale(s) && strings.Contains(s, user) })
}

// typeKeys types keys one at a time as a person does: each key is sent
// once the screen's body shows the previous one (on the sale screen every
// amount key changes it). A keyboard-wedge detector holds single keys that
// come fast (HARDWARE.md): keys sent faster than anyone types could be
// taken for the start of a scan.
func (x *tmuxTerm) typeKeys(keys string) {
	x.t.Helper()
	for _, r := range keys {
		before, err := x.screen()
		if err != nil {
			x.t.Fatalf("capture-pane: %v", err)
		}
		x.text(string(r))
		x.waitFor(fmt.Sprintf("the key %q", r), func(s string) bool { return body(s) != body(before) })
	}
}

// keyAmountThenScanPay keys an amount on the sale screen, then asks for
// the scan-to-pay screen (F2) and waits for it to show the amount as shown.
func (x *tmuxTerm) keyAmountThenScanPay(keys, shown string) {
	x.t.Helper()
	x.typeKeys(keys)
	x.keys("F2")
	x.waitFor("the scan screen for "+shown, func(s string) bool {
		return strings.Contains(s, "Scan the customer's payment code") && bigShown(s, shown)
	})
}

// bigGlyphs are the screen's block digits at their smallest (ui/layout.go):
// the amount on a money screen is drawn in them, not as text.
var bigGlyphs = map[rune][3]string{
	'0': {"█▀█", "█ █", "▀▀▀"}, '1': {"▀█ ", " █ ", "▀▀▀"}, '2': {"▀▀█", "█▀▀", "▀▀▀"},
	'3': {"▀▀█", " ▀█", "▀▀▀"}, '4': {"█ █", "▀▀█", "  ▀"}, '5': {"█▀▀", "▀▀█", "▀▀▀"},
	'6': {"█▀▀", "█▀█", "▀▀▀"}, '7': {"▀▀█", "  █", "  ▀"}, '8': {"█▀█", "█▀█", "▀▀▀"},
	'9': {"█▀█", "▀▀█", "▀▀▀"}, '.': {" ", " ", "▀"}, ',': {" ", " ", "▄"},
	'¥': {"▀▄▀", "▀█▀", " ▀ "}, ' ': {" ", " ", " "},
}

// bigShown reports whether the screen shows amount ("¥8.80") in block
// digits: its three rows, one under the other, at the same column.
func bigShown(screen, amount string) bool {
	var rows [3]string
	for i, r := range amount {
		for row := range 3 {
			if i > 0 {
				rows[row] += " "
			}
			rows[row] += bigGlyphs[r][row]
		}
	}
	lines := strings.Split(screen, "\n")
	for i := 0; i+2 < len(lines); i++ {
		col := strings.Index(lines[i], rows[0])
		for col >= 0 {
			c := len([]rune(lines[i][:col]))
			if at(lines[i+1], c, rows[1]) && at(lines[i+2], c, rows[2]) {
				return true
			}
			next := strings.Index(lines[i][col+1:], rows[0])
			if next < 0 {
				break
			}
			col += 1 + next
		}
	}
	return false
}

// at reports whether line has s starting at rune column c.
func at(line string, c int, s string) bool {
	r := []rune(line)
	return c+len([]rune(s)) <= len(r) && string(r[c:c+len([]rune(s))]) == s
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ledgerState returns the sandbox's STATE of code, waiting until it holds
// it in one of states.
func waitLedgerState(t testing.TB, sb *sandbox.Running, code pos.ChargeCode, states ...int) sandbox.LedgerTransaction {
	t.Helper()
	deadline := time.Now().Add(e2eDeadline)
	for {
		lt, ok := ledgerTxn(fetchLedger(t, sb), code)
		if ok && slices.Contains(states, lt.State) {
			return lt
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sandbox holds %s in STATE %d (found %v), want one of %v", code, lt.State, ok, states)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
