package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"posterm/gateway/sandbox"
	"posterm/offline"
	"posterm/pos"
)

// The end-to-end tests of the headless commands run `posterm CMD` in
// process (run) against a sandbox on loopback, with a config file that
// points at it through a recording proxy, a journal in t.TempDir(), and
// the checkout's timings shrunk along with the sandbox's time scale.

// testScale is the sandbox time scale of the payment-code tests: its 8 s
// confirmation takes 80 ms, its 80 s and 85 s bounds 800 and 850 ms. The
// checkout gives up after 300 ms (testCheckout): well after 80 ms, well
// before 800 ms, so each path of WIRE.md §9 is taken whatever the load.
const testScale = 0.01

const testCheckout = `[checkout]
pay_timeout = "300ms"
query_interval = "25ms"
give_up_after = "300ms"
precreate_expiry = "3s"
`

// startTestSandbox starts a sandbox on loopback for t.
func startTestSandbox(t testing.TB, scale float64) *sandbox.Running {
	t.Helper()
	sb, err := sandbox.Start("127.0.0.1:0", sandbox.Options{TimeScale: scale})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb
}

// posEnv is one register's world in a test: a config file, a journal
// and a proxy to a sandbox that records (and may delay) the calls.
type posEnv struct {
	sb       *sandbox.Running
	dir      string
	register string // dev_id: the charge-code prefix
	config   string
	journal  string

	mu    sync.Mutex
	calls []string                 // gateway methods in the order they reached the proxy
	delay map[string]time.Duration // method → delay before forwarding

	// interrupts and ask, when set, replace the process's in the env the
	// commands run with (see fakeInterrupts, noTerminal).
	interrupts func() (<-chan os.Signal, func())
	ask        func(prompt string, secret bool) (string, bool, error)
}

// newPosEnv writes a config for a register that talks to sb through a
// recording proxy. sections are appended to the config (e.g. testCheckout).
func newPosEnv(t testing.TB, sb *sandbox.Running, sections ...string) *posEnv {
	t.Helper()
	// Every env is a till of its own: charge codes are unique per prefix,
	// and parallel tests share a sandbox.
	e := &posEnv{sb: sb, dir: t.TempDir(), delay: map[string]time.Duration{},
		register: fmt.Sprintf("T%d", envSerial.Add(1))}
	target, _ := url.Parse(sb.URL)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ErrorLog = log.New(io.Discard, "", 0) // the sandbox drops connections on purpose (…94)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := r.URL.Query().Get("method")
		e.mu.Lock()
		e.calls = append(e.calls, m)
		d := e.delay[m]
		e.mu.Unlock()
		if d > 0 {
			time.Sleep(d)
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	e.config = filepath.Join(e.dir, "posterm.toml")
	e.journal = filepath.Join(e.dir, "posterm.db")
	cfg := fmt.Sprintf(`[gateway]
url = %q
busi_id = %q
secret = %q

[register]
dev_id = %q
oper_id = "cashier01"
merchant_name = "Test Shop"

[journal]
path = %q

[log]
path = %q
level = "debug"

[printer]
transport = %q
`, proxy.URL+sandbox.ServicePath, sandbox.DemoBusiID, sandbox.DemoSecret, e.register, e.journal,
		filepath.Join(e.dir, "posterm.log"), "file:"+filepath.Join(e.dir, "receipts.bin"))
	cfg += strings.Join(sections, "\n")
	if err := os.WriteFile(e.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

// run runs posterm args with this env's config; it returns the exit code,
// stdout and stderr.
func (e *posEnv) run(t testing.TB, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := runWith(e.env(&stdout, &stderr), append(args, "--config", e.config))
	return code, stdout.String(), stderr.String()
}

// env is the env the commands run with: the process's, with this env's
// fakes.
func (e *posEnv) env(stdout, stderr io.Writer) *env {
	ev := processEnv(stdout, stderr)
	if e.interrupts != nil {
		ev.Interrupts = e.interrupts
	}
	if e.ask != nil {
		ev.Ask = e.ask
	}
	return ev
}

// methods returns the gateway calls made so far.
func (e *posEnv) methods() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.calls)
}

// delayMethod makes the proxy hold every call of method for d.
func (e *posEnv) delayMethod(method string, d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.delay[method] = d
}

// openJournal opens this env's journal for checks.
func (e *posEnv) openJournal(t testing.TB) *offline.Journal {
	t.Helper()
	j, err := offline.Open(e.journal, offline.Options{Logger: discardLog})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

// row returns the journal row of code.
func (e *posEnv) row(t testing.TB, code pos.ChargeCode) pos.Transaction {
	t.Helper()
	j := e.openJournal(t)
	tx, err := j.Get(context.Background(), code)
	if err != nil {
		t.Fatalf("journal row %s: %v", code, err)
	}
	return tx
}

// fetchLedger reads GET /sandbox/ledger.
func fetchLedger(t testing.TB, sb *sandbox.Running) sandbox.Ledger {
	t.Helper()
	resp, err := http.Get(sb.URL + sandbox.LedgerPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var l sandbox.Ledger
	if err := json.NewDecoder(resp.Body).Decode(&l); err != nil {
		t.Fatalf("ledger: %v", err)
	}
	return l
}

// ledgerTxn finds a charge in the ledger.
func ledgerTxn(l sandbox.Ledger, code pos.ChargeCode) (sandbox.LedgerTransaction, bool) {
	for _, t := range l.Transactions {
		if t.ChargeCode == string(code) {
			return t, true
		}
	}
	return sandbox.LedgerTransaction{}, false
}

// walletCode is an 18-digit sandbox payment code (WIRE.md §9): prefix 28
// (Alipay) or 13 (WeChat Pay), random digits, then last2.
func walletCode(prefix, last2 string) string {
	var b strings.Builder
	b.WriteString(prefix)
	for b.Len() < 16 {
		b.WriteByte(byte('0' + rand.IntN(10)))
	}
	return b.String() + last2
}

// decodeTx reads the journal row that --json printed.
func decodeTx(t testing.TB, stdout string) pos.Transaction {
	t.Helper()
	var tx pos.Transaction
	if err := json.Unmarshal([]byte(stdout), &tx); err != nil {
		t.Fatalf("stdout is not a journal row: %v\n%s", err, stdout)
	}
	return tx
}

var envSerial atomic.Int64

var discardLog = slog.New(slog.DiscardHandler)

// TestPay_SandboxCodes drives every payment-code behaviour of the sandbox
// (WIRE.md §9) end to end through `posterm pay`, and checks the exit code,
// the journal row, the calls made and the sandbox's ledger.
func TestPay_SandboxCodes(t *testing.T) {
	sb := startTestSandbox(t, testScale)
	const none = -1
	tests := []struct {
		name   string
		code   string
		exit   int
		state  pos.State
		remote int      // the ledger's STATE; none: no transaction
		calls  []string // the calls, a "+" suffix meaning one or more
		slow   string   // a method the proxy delays (the network is slow)
	}{
		{"00/PaidAtOnce", walletCode("28", "00"), exitDone, pos.StatePaid, 1, []string{"pay"}, ""},
		{"42/WeChatPaidAtOnce", walletCode("13", "42"), exitDone, pos.StatePaid, 1, []string{"pay"}, ""},
		{"85/PaidWithVoucher", walletCode("28", "85"), exitDone, pos.StatePaid, 1, []string{"pay"}, ""},
		{"89/PaidAtOnce", walletCode("28", "89"), exitDone, pos.StatePaid, 1, []string{"pay"}, ""},
		{"90/PaidAtOnce", walletCode("28", "90"), exitDone, pos.StatePaid, 1, []string{"pay"}, ""},
		{"98/PaidAtOnce", walletCode("13", "98"), exitDone, pos.StatePaid, 1, []string{"pay"}, ""},
		{"99/PaidAtOnce", walletCode("28", "99"), exitDone, pos.StatePaid, 1, []string{"pay"}, ""},
		{"91/PaidAfterTheWalletConfirms", walletCode("28", "91"), exitDone, pos.StatePaid, 1, []string{"pay"}, ""},
		{"92/Declined", walletCode("28", "92"), exitRefused, pos.StateDeclined, 6, []string{"pay"}, ""},
		{"93/NeverConfirmedClosedByCancel", walletCode("28", "93"), exitRefused, pos.StateClosed, 6,
			[]string{"pay", "query+", "cancel", "query"}, ""},
		{"94/AnswerLostPaidFoundByQuery", walletCode("28", "94"), exitDone, pos.StatePaid, 1, []string{"pay", "query"}, ""},
		{"95/HTTP503NeverSeenVoided", walletCode("28", "95"), exitRefused, pos.StateVoided, none,
			[]string{"pay", "query+", "cancel"}, ""},
		// The register gives up at 300 ms; its cancel is held up on the
		// way (the proxy) past the wallet's confirmation at 850 ms, so it
		// finds the charge paid and revokes it: a charge the register gave
		// up on never ends paid.
		{"96/PaidLateRevoked", walletCode("28", "96"), exitRefused, pos.StateRevoked, 2,
			[]string{"pay", "query+", "cancel", "query"}, "sosopay.trade.cancel"},
		{"97/ExceptionVoided", walletCode("13", "97"), exitRefused, pos.StateVoided, none,
			[]string{"pay", "query+", "cancel"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newPosEnv(t, sb, testCheckout)
			if tt.slow != "" {
				e.delayMethod(tt.slow, 1200*time.Millisecond)
			}
			code, stdout, stderr := e.run(t, "pay", "--amount", "12.34", "--code", tt.code, "--json")
			if code != tt.exit {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.exit, stdout, stderr)
			}
			out := decodeTx(t, stdout)
			tx := e.row(t, out.ChargeCode)
			if tx.State != tt.state || out.State != tt.state {
				t.Fatalf("state: journal %s, printed %s, want %s\nstderr:\n%s", tx.State, out.State, tt.state, stderr)
			}
			if tx.Amount != 1234 || tx.Unsettled() || tx.Cashier != "cashier01" {
				t.Errorf("row: amount %d unsettled %v cashier %q; want 1234, settled, cashier01", tx.Amount, tx.Unsettled(), tx.Cashier)
			}
			if strings.Contains(stdout+stderr, tt.code) || tx.MaskedCode != pos.MaskCode(tt.code) {
				t.Errorf("the whole payment code leaked, or the mask is %q", tx.MaskedCode)
			}
			l := fetchLedger(t, sb)
			lt, found := ledgerTxn(l, tx.ChargeCode)
			switch {
			case tt.remote == none && found:
				t.Errorf("sandbox holds %s in STATE %d, want nothing", tx.ChargeCode, lt.State)
			case tt.remote != none && !found:
				t.Errorf("sandbox does not hold %s, want STATE %d", tx.ChargeCode, tt.remote)
			case found && lt.State != tt.remote:
				t.Errorf("sandbox STATE %d, want %d", lt.State, tt.remote)
			}
			if tt.state == pos.StateVoided && !slices.Contains(l.RevokedSerials, string(tx.ChargeCode)) {
				t.Errorf("voided %s is not tombstoned at the sandbox", tx.ChargeCode)
			}
			if got := e.methods(); !callsMatch(got, tt.calls) {
				t.Errorf("calls %v, want %v", got, tt.calls)
			}
		})
	}
}

// callsMatch reports whether got follows want, where "m+" stands for one
// or more m.
func callsMatch(got, want []string) bool {
	i := 0
	for _, w := range want {
		m, many := strings.CutSuffix(w, "+")
		m = "sosopay.trade." + m
		if i >= len(got) || got[i] != m {
			return false
		}
		i++
		for many && i < len(got) && got[i] == m {
			i++
		}
	}
	return i == len(got)
}

func TestPay_RefusedLocally(t *testing.T) {
	sb := startTestSandbox(t, testScale)
	e := newPosEnv(t, sb, testCheckout)
	for _, tt := range []struct {
		name string
		args []string
		exit int
		want string
	}{
		{"ShortCode", []string{"--amount", "1.00", "--code", "2812345678"}, exitLocal, "not a wallet payment code"},
		{"ProductBarcode", []string{"--amount", "1.00", "--code", "6901234567892"}, exitLocal, "not a wallet payment code"},
		{"Letters", []string{"--amount", "1.00", "--code", "28ABCDEFGH12345600"}, exitLocal, "not a wallet payment code"},
		{"BadAmount", []string{"--amount", "1.234", "--code", walletCode("28", "00")}, exitLocal, "bad amount"},
		{"ZeroAmount", []string{"--amount", "0", "--code", walletCode("28", "00")}, exitLocal, "not above zero"},
		{"NoCode", []string{"--amount", "1.00"}, exitLocal, "required"},
		{"OverTheMerchantLimit", []string{"--amount", "5000.01", "--code", walletCode("28", "00"),
			"--user", "cashier01", "--password", "1234"}, exitRefused, "over the merchant's limit"},
		{"WrongPassword", []string{"--amount", "1.00", "--code", walletCode("28", "00"),
			"--user", "cashier01", "--password", "nope"}, exitRefused, "wrong user name or password"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := e.run(t, append([]string{"pay"}, tt.args...)...)
			if code != tt.exit || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q\nstdout: %s", code, stderr, tt.exit, tt.want, stdout)
			}
			if strings.Contains(stderr, "nope") {
				t.Errorf("the password was printed: %s", stderr)
			}
		})
	}
	// Nothing went to the gateway but the logins, nothing was journaled.
	for _, m := range e.methods() {
		if m != "sosoauth.login" {
			t.Errorf("a %s call was made", m)
		}
	}
	if l := fetchLedger(t, sb); len(l.Transactions) != 0 {
		t.Errorf("sandbox holds %d transactions, want 0", len(l.Transactions))
	}
	if _, err := os.Stat(e.journal); err == nil {
		txs, err := e.openJournal(t).List(context.Background(), pos.Filter{})
		if err != nil || len(txs) != 0 {
			t.Errorf("journal holds %d rows (%v), want 0", len(txs), err)
		}
	}
}

func TestPay_LoggedInCashier(t *testing.T) {
	sb := startTestSandbox(t, testScale)
	e := newPosEnv(t, sb, testCheckout)
	t.Setenv("POSTERM_USER", "manager01")
	t.Setenv("POSTERM_PASSWORD", "8888")
	code, stdout, stderr := e.run(t, "pay", "--amount", "3.00", "--code", walletCode("28", "11"), "--json", "--subject", "Tea")
	if code != exitDone {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	tx := decodeTx(t, stdout)
	if tx.Cashier != "manager01" || tx.Subject != "Tea" {
		t.Errorf("cashier %q subject %q, want manager01, Tea", tx.Cashier, tx.Subject)
	}
	if lt, _ := ledgerTxn(fetchLedger(t, sb), tx.ChargeCode); lt.OperID != "manager01" {
		t.Errorf("OPER_ID at the gateway %q, want manager01", lt.OperID)
	}
	if b, _ := os.ReadFile(filepath.Join(e.dir, "posterm.log")); secretIn(b, "8888") {
		t.Error("the password is in the log")
	}
}

// secretIn reports whether secret appears in a log as a value of its own:
// not as a run of digits inside a longer number, such as the nanoseconds
// of a timestamp ("09:15:08.888812345"), where a numeric password would
// otherwise turn up by chance.
func secretIn(log []byte, secret string) bool {
	re := regexp.MustCompile(`(^|[^0-9.])` + regexp.QuoteMeta(secret) + `([^0-9]|$)`)
	return re.Match(log)
}

// TestPay_ReceiptQueued: a paid charge queues its receipt in the journal
// with the payment; the headless command does not print it.
func TestPay_ReceiptQueued(t *testing.T) {
	sb := startTestSandbox(t, testScale)
	e := newPosEnv(t, sb, testCheckout)
	code, stdout, _ := e.run(t, "pay", "--amount", "1.50", "--code", walletCode("28", "01"), "--json")
	if code != exitDone {
		t.Fatalf("exit %d", code)
	}
	tx := decodeTx(t, stdout)
	jobs, err := e.openJournal(t).Pending(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || jobs[0].ChargeCode != string(tx.ChargeCode) || jobs[0].Kind != "sale" {
		t.Fatalf("print queue %+v, want one sale job for %s", jobs, tx.ChargeCode)
	}
}

func TestPay_HumanOutput(t *testing.T) {
	sb := startTestSandbox(t, testScale)
	e := newPosEnv(t, sb, testCheckout)
	code, stdout, stderr := e.run(t, "pay", "--amount", "12.34", "--code", walletCode("28", "92"))
	if code != exitRefused || !strings.HasPrefix(stdout, "declined: FAIL insufficient balance") {
		t.Fatalf("exit %d stdout %q", code, stdout)
	}
	if !strings.Contains(stderr, "sent; waiting for the gateway") {
		t.Errorf("no progress on stderr: %q", stderr)
	}
	code, stdout, stderr = e.run(t, "pay", "--amount", "12.34", "--code", walletCode("28", "94"))
	if code != exitDone || !strings.HasPrefix(stdout, "paid ¥12.34") || !strings.Contains(stderr, "no answer yet") {
		t.Fatalf("exit %d stdout %q stderr %q", code, stdout, stderr)
	}
}

// fakeInterrupts replaces the signal source of the commands e runs and
// returns the channel to send "signals" on.
func (e *posEnv) fakeInterrupts() chan os.Signal {
	ch := make(chan os.Signal, 4)
	e.interrupts = func() (<-chan os.Signal, func()) { return ch, func() {} }
	return ch
}

// syncBuffer is a bytes.Buffer safe to read while a command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor waits until buf contains want (or fails after 10 s).
func waitFor(t *testing.T, buf *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(buf.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in:\n%s", want, buf)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// startCmd runs posterm args in the background.
func (e *posEnv) startCmd(args ...string) (stdout, stderr *syncBuffer, done chan int) {
	stdout, stderr, done = &syncBuffer{}, &syncBuffer{}, make(chan int, 1)
	ev := e.env(stdout, stderr)
	go func() { done <- runWith(ev, append(args, "--config", e.config)) }()
	return stdout, stderr, done
}

func waitDone(t *testing.T, done chan int, stdout, stderr *syncBuffer) int {
	t.Helper()
	select {
	case c := <-done:
		return c
	case <-time.After(30 * time.Second):
		t.Fatalf("command did not end\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
		return -1
	}
}

// TestPay_CtrlCCancels: Ctrl-C while the wallet waits cancels the charge.
func TestPay_CtrlCCancels(t *testing.T) {
	sb := startTestSandbox(t, 0.05) // the …93 wallet waits 4 s
	e := newPosEnv(t, sb, `[checkout]
pay_timeout = "10s"
query_interval = "1s"
give_up_after = "10s"
`)
	sig := e.fakeInterrupts()
	stdout, stderr, done := e.startCmd("pay", "--amount", "5.00", "--code", walletCode("28", "93"), "--json")
	waitFor(t, stderr, "sent; waiting")
	// Once the wallet waits (a cancel sent sooner voids it instead).
	code, _, _ := strings.Cut(stderr.String(), ":")
	waitLedger(t, sb, pos.ChargeCode(code), 0)
	sig <- os.Interrupt
	if code := waitDone(t, done, stdout, stderr); code != exitRefused {
		t.Fatalf("exit %d, want 2\n%s\n%s", code, stdout, stderr)
	}
	tx := decodeTx(t, stdout.String())
	if tx.State != pos.StateClosed || !tx.GiveUp || !strings.Contains(tx.GiveUpReason, "aborted") {
		t.Fatalf("row %s give_up %v %q, want closed, given up on abort", tx.State, tx.GiveUp, tx.GiveUpReason)
	}
	if lt, _ := ledgerTxn(fetchLedger(t, sb), tx.ChargeCode); lt.State != 6 {
		t.Errorf("sandbox STATE %d, want 6", lt.State)
	}
}

// waitLedger waits until the sandbox holds code in STATE state.
func waitLedger(t *testing.T, sb *sandbox.Running, code pos.ChargeCode, state int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if lt, ok := ledgerTxn(fetchLedger(t, sb), code); ok && lt.State == state {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sandbox never held %s in STATE %d", code, state)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPay_SIGTERMLeavesItToTheReconciler: SIGTERM stops waiting; the
// charge stays unknown (exit 3) and `reconcile --once --now` settles it.
func TestPay_SIGTERMLeavesItToTheReconciler(t *testing.T) {
	sb := startTestSandbox(t, 0.05)
	e := newPosEnv(t, sb, `[checkout]
pay_timeout = "10s"
query_interval = "100ms"
give_up_after = "200ms"
`)
	sig := e.fakeInterrupts()
	stdout, stderr, done := e.startCmd("pay", "--amount", "5.00", "--code", walletCode("28", "93"), "--json")
	waitFor(t, stderr, "sent; waiting")
	cc, _, _ := strings.Cut(stderr.String(), ":")
	waitLedger(t, sb, pos.ChargeCode(cc), 0) // the wallet waits
	sig <- syscall.SIGTERM
	if code := waitDone(t, done, stdout, stderr); code != exitUnknown {
		t.Fatalf("exit %d, want 3\n%s\n%s", code, stdout, stderr)
	}
	tx := decodeTx(t, stdout.String())
	if tx.State != pos.StateUnknown || tx.GiveUp {
		t.Fatalf("row %s give_up %v, want unknown, not given up", tx.State, tx.GiveUp)
	}
	// Not past the register's 200 ms bound yet: the reconciler retries it.
	if code, out, _ := e.run(t, "reconcile", "--once", "--now", "--json"); code != exitUnknown || !strings.Contains(out, `"retry":1`) {
		t.Errorf("reconcile before the bound: exit %d %s, want 3 and a retry", code, out)
	}
	time.Sleep(time.Until(tx.CreatedAt.Add(250 * time.Millisecond)))
	code, out, errOut := e.run(t, "reconcile", "--once", "--now", "--json")
	if code != exitDone {
		t.Fatalf("reconcile exit %d\n%s\n%s", code, out, errOut)
	}
	if got := e.row(t, tx.ChargeCode); got.State != pos.StateClosed {
		t.Fatalf("after reconcile: %s, want closed", got.State)
	}
}

// TestPay_SaleAttempts: attempts of one sale (--sale) — a customer who
// refreshes their code never pays twice: a new attempt starts only once
// the earlier ones are known not paid, or the cashier has cancelled them.
func TestPay_SaleAttempts(t *testing.T) {
	sb := startTestSandbox(t, testScale)
	e := newPosEnv(t, sb, testCheckout)
	pay := func(sale, last2 string) (int, string, string) {
		return e.run(t, "pay", "--amount", "7.00", "--code", walletCode("28", last2), "--sale", sale, "--json")
	}
	// A failed attempt, then a paid one; a third is refused.
	if code, _, _ := pay("S1", "97"); code != exitRefused {
		t.Fatalf("first attempt: exit %d", code)
	}
	if code, _, stderr := pay("S1", "00"); code != exitDone {
		t.Fatalf("second attempt: exit %d %s", code, stderr)
	}
	if code, _, stderr := pay("S1", "00"); code != exitRefused || !strings.Contains(stderr, "sale already paid") {
		t.Fatalf("third attempt: exit %d %q", code, stderr)
	}
	// An attempt whose outcome is unknown blocks the sale…
	open := seedRows(t, e.openJournal(t), sandboxGateway(t, sb), seed{state: pos.StateUnknown, sale: "S2"})[0]
	code, _, stderr := pay("S2", "00")
	if code != exitRefused || !strings.Contains(stderr, "unsettled: "+string(open)) {
		t.Fatalf("with an open attempt: exit %d %q", code, stderr)
	}
	// …until the cashier cancels it (acknowledging it is revoked if it
	// went through).
	if code, _, stderr := e.run(t, "cancel", string(open)); code != exitDone {
		t.Fatalf("cancel: exit %d %s", code, stderr)
	}
	if code, _, stderr := pay("S2", "00"); code != exitDone {
		t.Fatalf("after the cancel: exit %d %s", code, stderr)
	}
	var paid int
	for _, lt := range fetchLedger(t, sb).Transactions {
		if lt.State == 1 {
			paid++
		}
	}
	if paid != 2 {
		t.Errorf("%d paid charges at the gateway, want 2 (one per sale)", paid)
	}
}

func TestSecretIn(t *testing.T) {
	for _, tt := range []struct {
		log  string
		want bool
	}{
		{`{"password":"8888"}`, true},
		{`login manager01/8888 refused`, true},
		{`8888`, true},
		{`{"time":"2026-12-03T09:15:08.888812345Z"}`, false},
		{`{"amt_fen":188889}`, false},
	} {
		if got := secretIn([]byte(tt.log), "8888"); got != tt.want {
			t.Errorf("secretIn(%q) = %v, want %v", tt.log, got, tt.want)
		}
	}
}
