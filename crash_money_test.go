package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"posterm/gateway/sandbox"
	"posterm/offline"
	"posterm/pos"
)

// TestCrash_MoneyCommandsKilledAtRandom extends the crash test from pay to
// refund, cancel (revoke) and reconcile (issue 8): each run picks one of
// them at random against a random charge of the journal, SIGKILLs it at a
// random instant of its usual lifetime (a quarter run to their end), then
// `reconcile --once --now` runs until nothing is unsettled, and the journal
// is held against the sandbox's ledger: every charge as in
// TestCrash_PayKilledAtRandom, and every refund — the same refunds done,
// the same amount refunded, nothing refunded twice.
//
// 40 runs by default, 400 with POSTERM_SOAK=1; the seed is logged
// (POSTERM_CRASH_SEED replays one).
func TestCrash_MoneyCommandsKilledAtRandom(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the crash test builds and runs posterm many times")
	}
	runs := 40
	if os.Getenv("POSTERM_SOAK") != "" {
		runs = 400
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("POSTERM_CRASH_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("POSTERM_CRASH_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Logf("money crash test: %d runs, seed %d (rerun with POSTERM_CRASH_SEED=%d)", runs, seed, seed)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("FAILED with POSTERM_CRASH_SEED=%d", seed)
		}
	})
	rng := rand.New(rand.NewPCG(seed, seed^0x3011e7))

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
dev_id = "CRASH2"
oper_id = "cashier01"

[journal]
path = %q

[log]
path = %q

[printer]
transport = %q

[reconcile]
# A killed reconcile leaves its leases: short ones, so that the next pass
# takes the rows soon.
lease = "10s"

%s`, sb.ServiceURL(), sandbox.DemoBusiID, sandbox.DemoSecret, journalPath, filepath.Join(dir, "posterm.log"),
		"file:"+filepath.Join(dir, "receipts.bin"), testCheckout)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	start := func(args ...string) *exec.Cmd {
		cmd := exec.Command(bin, append(args, "--config", cfgPath)...)
		cmd.Env = childEnv()
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	// A few paid charges to refund and revoke, left to run to their end.
	for i := 0; i < 6; i++ {
		if err := start("pay", "--amount", fmt.Sprintf("%d.00", 10+i), "--code", crashCode(rng)[:16]+"00").Wait(); err != nil {
			t.Fatalf("seed pay %d: %v", i, err)
		}
	}
	j, err := offline.Open(journalPath, offline.Options{Logger: discardLog})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	ctx := context.Background()

	endings := map[string]int{}
	lifetime := map[string]time.Duration{}
	manager := []string{"--user", "manager01", "--password", "8888"}
	for i := 0; i < runs; i++ {
		txs, err := j.List(ctx, pos.Filter{})
		if err != nil || len(txs) == 0 {
			t.Fatalf("journal: %d rows, %v", len(txs), err)
		}
		tx := txs[rng.IntN(len(txs))]
		var kind string
		var args []string
		switch n := rng.IntN(20); {
		case n < 6:
			kind, args = "pay", []string{"pay", "--amount", fmt.Sprintf("%d.%02d", 1+rng.IntN(50), rng.IntN(100)), "--code", crashCode(rng)}
		case n < 13:
			amt := pos.Money(1 + rng.Int64N(int64(max(tx.Remaining(), 1))))
			kind, args = "refund", append([]string{"refund", string(tx.ChargeCode), "--amount", amt.Yuan(), "--reason", "crash test"}, manager...)
		case n < 17:
			kind, args = "cancel", append([]string{"cancel", string(tx.ChargeCode)}, manager...)
		default:
			kind, args = "reconcile", []string{"reconcile", "--once", "--now"}
		}
		cmd := start(args...)
		began := time.Now()
		timer := time.AfterFunc(time.Hour, func() { cmd.Process.Signal(syscall.SIGKILL) })
		life, known := lifetime[kind]
		kill := known && rng.IntN(4) > 0
		if kill {
			timer.Reset(time.Duration(rng.Int64N(int64(life*6/5) + 1)))
		}
		err = cmd.Wait()
		timer.Stop()
		if !kill {
			lifetime[kind] = max(lifetime[kind], time.Since(began))
		}
		var ee *exec.ExitError
		switch {
		case err == nil:
			endings[kind+" exit 0"]++
		case errors.As(err, &ee) && ee.ExitCode() >= 0:
			endings[fmt.Sprintf("%s exit %d", kind, ee.ExitCode())]++
		case errors.As(err, &ee):
			endings[kind+" killed"]++
		default:
			t.Fatalf("run %d: %v", i, err)
		}
	}
	t.Logf("runs: %v", endings)

	deadline := time.Now().Add(60 * time.Second)
	passes := 0
	for {
		cmd := start("reconcile", "--once", "--now", "--json")
		err := cmd.Wait()
		passes++
		if err == nil {
			break
		}
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != exitUnknown || time.Now().After(deadline) {
			t.Fatalf("reconcile pass %d: %v\n%s", passes, err, cmd.Stdout)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("reconcile passes until settled: %d", passes)

	l := fetchLedger(t, sb)
	checkJournalAgainstLedger(t, j, l)
	checkRefundsAgainstLedger(t, j, l)
}

// checkRefundsAgainstLedger holds the journal's refunds against the
// ledger's: per charge the same amount refunded, and every refund the
// gateway made is done in the journal under its OUT_REFUND_NO.
func checkRefundsAgainstLedger(t *testing.T, j *offline.Journal, l sandbox.Ledger) {
	t.Helper()
	ctx := context.Background()
	n := 0
	for _, lt := range l.Transactions {
		tx, err := j.Get(ctx, pos.ChargeCode(lt.ChargeCode))
		if err != nil {
			continue // reported by checkJournalAgainstLedger
		}
		rs, err := j.ListRefunds(ctx, pos.RefundFilter{ChargeCode: tx.ChargeCode})
		if err != nil {
			t.Fatal(err)
		}
		done := map[string]pos.Money{}
		var sum pos.Money
		for _, r := range rs {
			if r.State == pos.RefundDone {
				done[r.OutRefundNo] = r.Amount
				sum += r.Amount
			}
		}
		if tx.Refunded != lt.RefundedFen || sum != lt.RefundedFen {
			t.Errorf("%s: refunded %d fen at the gateway; journal says %d (refunds done %d)", lt.ChargeCode, lt.RefundedFen, tx.Refunded, sum)
		}
		if len(lt.Refunds) != len(done) {
			t.Errorf("%s: %d refunds at the gateway, %d done in the journal", lt.ChargeCode, len(lt.Refunds), len(done))
		}
		for _, r := range lt.Refunds {
			n++
			if _, ok := done[r.OutRefundNo]; !ok {
				t.Errorf("%s: the gateway refunded %s, which is not done in the journal", lt.ChargeCode, r.OutRefundNo)
			}
		}
	}
	t.Logf("refunds at the gateway: %d", n)
}
