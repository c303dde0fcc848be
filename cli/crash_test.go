package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"posterm/gateway/sandbox"
	"posterm/offline"
	"posterm/pos"
)

// TestCrash_CommandsKilledAtRandom runs posterm's money commands as child
// processes against a sandbox on loopback and SIGKILLs them at random
// instants (before, during and after the journal writes and the gateway
// calls). Each run picks its command at random: `pay` (most runs, so that
// there is something to refund and cancel), `refund` of part or all of a
// paid charge, `cancel` of any charge (a revoke when it is paid, with a
// manager's login), or `reconcile --once --now`. Then it runs `posterm
// reconcile --once --now` until nothing is unsettled and holds the journal
// against GET /sandbox/ledger:
//
//   - every charge the sandbox holds is in the journal (rows are written
//     before anything is sent);
//   - a charge the sandbox holds as paid (STATE 1, 4, 5) is paid in the
//     journal and not given up, with the same amount refunded, refund by
//     refund; one it holds revoked (2) is revoked in the journal; closed
//     (6) is closed or declined; nothing is left pending;
//   - a voided row is unknown to the sandbox and tombstoned there;
//   - no sale is charged twice; every row and refund is settled; the file
//     passes PRAGMA integrity_check.
//
// 130 runs by default (about 60 kills, 15 to 60 s), 1300 with
// POSTERM_SOAK=1 (make soak). The seed is time-based unless POSTERM_CRASH_SEED is set; it is
// logged.
func TestCrash_CommandsKilledAtRandom(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the crash test builds and runs posterm many times")
	}
	runs := 130 // about 60 of them killed before they end
	if os.Getenv("POSTERM_SOAK") != "" {
		runs = 1300
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("POSTERM_CRASH_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("POSTERM_CRASH_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Logf("crash test: %d runs, seed %d (rerun with POSTERM_CRASH_SEED=%d)", runs, seed, seed)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("FAILED with POSTERM_CRASH_SEED=%d", seed)
		}
	})
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))

	bin := e2eBinary(t)
	sb := startTestSandbox(t, testScale)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "posterm.toml")
	journalPath := filepath.Join(dir, "posterm.db")
	cfg := fmt.Sprintf(`[gateway]
url = %q
busi_id = %q
secret = %q

[register]
dev_id = "CRASH1"
oper_id = "cashier01"

[journal]
path = %q

[log]
path = %q

[printer]
transport = %q

# A killed reconcile holds its leases until they expire: the shortest
# lease allowed, so that the final passes need not wait 2 minutes.
[reconcile]
lease = "10s"

%s`, sb.ServiceURL(), sandbox.DemoBusiID, sandbox.DemoSecret, journalPath, filepath.Join(dir, "posterm.log"),
		"file:"+filepath.Join(dir, "receipts.bin"), testCheckout)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// Refunds and revokes need a manager's login (WIRE.md §9's sandbox users).
	env := append(childEnv(), "POSTERM_USER=manager01", "POSTERM_PASSWORD=8888")
	child := func(timeout time.Duration, args ...string) (int, string, string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append(args, "--config", cfgPath)...)
		cmd.Env = env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("posterm %v: %v", args, err)
		}
		return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
	}
	// The journal exists (migrated) before the first kill.
	if code, _, stderr := child(30*time.Second, "history"); code != exitDone {
		t.Fatalf("history: exit %d: %s", code, stderr)
	}
	j, err := offline.Open(journalPath, offline.Options{Logger: discardLog})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()

	endings := map[string]int{}
	// How long a run of each kind takes when left alone: a kill is drawn
	// uniformly over that lifetime (and a little past it), so that every
	// step of a run — start, login, journal writes, the call, the queries,
	// the cancel, the last write — is hit about as often as it lasts.
	lifetime := map[string]time.Duration{}
	for i := 0; i < runs; i++ {
		args, kind := crashCommand(t, rng, j)
		cmd := exec.Command(bin, append(args, "--config", cfgPath)...)
		cmd.Env = env
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		timer := time.AfterFunc(time.Hour, func() { cmd.Process.Signal(syscall.SIGKILL) })
		life, known := lifetime[kind]
		kill := known && rng.IntN(4) > 0 // a quarter of the runs end on their own
		if kill {
			// Half the kills anywhere; half in the last part of the run,
			// where the journal writes and the calls are (the first part
			// is the process starting and logging in).
			at := time.Duration(rng.Int64N(int64(life*6/5) + 1))
			if rng.IntN(2) == 0 {
				at = life*3/5 + time.Duration(rng.Int64N(int64(life*3/5)+1))
			}
			timer.Reset(at)
		}
		err := cmd.Wait()
		timer.Stop()
		if !kill {
			lifetime[kind] = time.Since(start)
		}
		verb := args[0]
		var ee *exec.ExitError
		switch {
		case err == nil:
			endings[verb+" exit 0"]++
		case errors.As(err, &ee) && ee.ExitCode() >= 0:
			endings[fmt.Sprintf("%s exit %d", verb, ee.ExitCode())]++
		case errors.As(err, &ee):
			endings[verb+" killed"]++
		default:
			t.Fatalf("run %d %v: %v", i, args, err)
		}
	}
	t.Logf("runs: %v", endings)
	if _, stdout, _ := child(30*time.Second, "history", "--unsettled", "--json"); true {
		rs, _ := j.ListRefunds(context.Background(), pos.RefundFilter{Unsettled: true})
		t.Logf("left unsettled by the kills: %d charges, %d refunds", strings.Count(stdout, `"kind"`), len(rs))
	}

	// Settle: a row within the register's bound, or a wallet still
	// waiting, is retried by the next pass.
	deadline := time.Now().Add(60 * time.Second)
	passes := 0
	for {
		code, stdout, stderr := child(60*time.Second, "reconcile", "--once", "--now", "--json")
		passes++
		if code == exitDone {
			break
		}
		if code != exitUnknown || time.Now().After(deadline) {
			_, left, _ := child(30*time.Second, "history", "--unsettled")
			t.Fatalf("reconcile pass %d: exit %d\n%s\n%s\nunsettled:\n%s", passes, code, stdout, stderr, left)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("reconcile passes until settled: %d", passes)
	checkJournalAgainstLedger(t, j, fetchLedger(t, sb))
}

// crashCommand draws the next command of the crash test: a pay, or a
// refund, cancel or reconcile of what the journal holds now. kind keys
// the command's lifetime (a pay's by its code's behaviour).
func crashCommand(t *testing.T, rng *rand.Rand, j *offline.Journal) (args []string, kind string) {
	t.Helper()
	txs, err := j.List(context.Background(), pos.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var refundable []pos.Transaction
	for _, tx := range txs {
		if tx.Remaining() > 0 && !tx.GiveUp && (tx.State == pos.StatePaid || tx.State == pos.StatePartiallyRefunded) {
			refundable = append(refundable, tx)
		}
	}
	pay := func() ([]string, string) {
		code := crashCode(rng)
		return []string{"pay", "--amount", fmt.Sprintf("%d.%02d", 1+rng.IntN(200), rng.IntN(100)), "--code", code},
			"pay " + code[len(code)-2:]
	}
	switch n := rng.IntN(10); {
	case n < 4 || len(txs) == 0:
		return pay()
	case n < 7 && len(refundable) > 0:
		tx := refundable[rng.IntN(len(refundable))]
		amt := 1 + pos.Money(rng.Int64N(int64(tx.Remaining())))
		if rng.IntN(3) == 0 {
			amt = tx.Remaining() // the rest
		}
		return []string{"refund", string(tx.ChargeCode), "--amount", amt.Yuan(), "--reason", "crash test"}, "refund"
	case n < 9:
		tx := txs[rng.IntN(len(txs))]
		return []string{"cancel", string(tx.ChargeCode)}, "cancel " + string(tx.State)
	default:
		return []string{"reconcile", "--once", "--now"}, "reconcile"
	}
}

// crashCode is a payment code from WIRE.md §9's table, or now and then
// one that is refused locally.
func crashCode(rng *rand.Rand) string {
	tails := []string{"00", "37", "85", "90", "91", "92", "93", "94", "95", "96", "97", "98", "99"}
	if rng.IntN(20) == 0 {
		return "2812345"
	}
	prefix := "28"
	if rng.IntN(2) == 0 {
		prefix = "13"
	}
	b := []byte(prefix)
	for len(b) < 16 {
		b = append(b, byte('0'+rng.IntN(10)))
	}
	return string(b) + tails[rng.IntN(len(tails))]
}

// checkJournalAgainstLedger holds a settled journal against the gateway's
// ledger (see TestCrash_CommandsKilledAtRandom).
func checkJournalAgainstLedger(t *testing.T, j *offline.Journal, l sandbox.Ledger) {
	t.Helper()
	ctx := context.Background()
	if err := j.IntegrityCheck(ctx); err != nil {
		t.Errorf("integrity check: %v", err)
	}
	txs, err := j.List(ctx, pos.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if rs, err := j.ListRefunds(ctx, pos.RefundFilter{Unsettled: true}); err != nil || len(rs) > 0 {
		t.Errorf("unsettled refunds: %d (%v)", len(rs), err)
	}
	allRefunds, err := j.ListRefunds(ctx, pos.RefundFilter{})
	if err != nil {
		t.Fatal(err)
	}
	refunds := map[string]pos.Refund{}
	refundStates := map[pos.RefundState]int{}
	for _, r := range allRefunds {
		refunds[r.OutRefundNo] = r
		refundStates[r.State]++
	}
	atGatewayRefund := map[string]bool{}
	rows := map[string]pos.Transaction{}
	states := map[pos.State]int{}
	for _, tx := range txs {
		rows[string(tx.ChargeCode)] = tx
		states[tx.State]++
		if tx.Unsettled() {
			t.Errorf("%s is still unsettled: %s (give_up %v, %s)", tx.ChargeCode, tx.State, tx.GiveUp, tx.LastError)
		}
	}
	ledger := map[string]sandbox.LedgerTransaction{}
	paidPerSale := map[string][]string{}
	for _, lt := range l.Transactions {
		ledger[lt.ChargeCode] = lt
		tx, ok := rows[lt.ChargeCode]
		if !ok {
			t.Errorf("the sandbox holds %s (STATE %d), which the journal never saw", lt.ChargeCode, lt.State)
			continue
		}
		switch lt.State {
		case 1, 4, 5:
			paidPerSale[tx.SaleID] = append(paidPerSale[tx.SaleID], lt.ChargeCode)
			if (tx.State != pos.StatePaid && tx.State != pos.StatePartiallyRefunded && tx.State != pos.StateRefunded) || tx.GiveUp {
				t.Errorf("%s: paid at the gateway (STATE %d), journal %s (give_up %v)", lt.ChargeCode, lt.State, tx.State, tx.GiveUp)
			}
		case 2:
			if tx.State != pos.StateRevoked {
				t.Errorf("%s: revoked at the gateway, journal %s", lt.ChargeCode, tx.State)
			}
		case 6:
			if tx.State != pos.StateClosed && tx.State != pos.StateDeclined {
				t.Errorf("%s: closed at the gateway, journal %s", lt.ChargeCode, tx.State)
			}
		default:
			t.Errorf("%s: STATE %d at the gateway after reconciling (journal %s)", lt.ChargeCode, lt.State, tx.State)
		}
		if lt.AmtFen != tx.Amount {
			t.Errorf("%s: %d fen at the gateway, %d in the journal", lt.ChargeCode, lt.AmtFen, tx.Amount)
		}
		if lt.RefundedFen != tx.Refunded {
			t.Errorf("%s: %d fen refunded at the gateway, %d in the journal (%s)", lt.ChargeCode, lt.RefundedFen, tx.Refunded, tx.State)
		}
		for _, lr := range lt.Refunds {
			jr, ok := refunds[lr.OutRefundNo]
			switch {
			case !ok:
				t.Errorf("%s: the gateway refunded %s (%d fen), which the journal never saw", lt.ChargeCode, lr.OutRefundNo, lr.AmtFen)
			case jr.State != pos.RefundDone || jr.Amount != lr.AmtFen || string(jr.ChargeCode) != lt.ChargeCode:
				t.Errorf("%s: refund %s of %d fen at the gateway, journal %s of %d fen for %s", lt.ChargeCode, lr.OutRefundNo, lr.AmtFen, jr.State, jr.Amount, jr.ChargeCode)
			}
			atGatewayRefund[lr.OutRefundNo] = true
		}
	}
	for no, r := range refunds {
		if r.State == pos.RefundDone && !atGatewayRefund[no] {
			t.Errorf("refund %s of %s: done in the journal, unknown to the gateway", no, r.ChargeCode)
		}
	}
	for sale, codes := range paidPerSale {
		if len(codes) > 1 {
			t.Errorf("sale %s charged %d times: %v", sale, len(codes), codes)
		}
	}
	for code, tx := range rows {
		lt, atGateway := ledger[code]
		switch tx.State {
		case pos.StateVoided:
			if atGateway {
				t.Errorf("%s: voided in the journal, STATE %d at the gateway", code, lt.State)
			}
			if !slices.Contains(l.RevokedSerials, code) {
				t.Errorf("%s: voided in the journal but not tombstoned at the gateway", code)
			}
		case pos.StatePaid, pos.StateRevoked, pos.StateClosed:
			if !atGateway {
				t.Errorf("%s: %s in the journal, unknown to the gateway", code, tx.State)
			}
		}
	}
	var summary []string
	for s, n := range states {
		summary = append(summary, fmt.Sprintf("%s %d", s, n))
	}
	sort.Strings(summary)
	t.Logf("journal: %d charges: %s; refunds: %v; gateway: %d transactions, %d tombstones", len(txs), strings.Join(summary, ", "),
		refundStates, len(l.Transactions), len(l.RevokedSerials))
}

// childEnv is the environment of the child processes: this one's without
// any POSTERM_ setting, so that only the test's config file counts.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "POSTERM_") {
			env = append(env, kv)
		}
	}
	return env
}
