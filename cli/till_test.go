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
	"strings"
	"sync"
	"testing"
	"time"

	"posterm/gateway/sandbox"
	"posterm/offline"
	"posterm/pos"
)

// Issue 8, cases 1 and 2: tills and processes that share a register id or
// a journal never charge one sale twice nor report a charge they did not
// make. Both run the built binary, as a shop would.

// tillWorld is one till: a config with the DEFAULT [register] (dev_id
// POS-01, as an installer who changed nothing leaves it) and its journal.
type tillWorld struct {
	dir, config, journal string
}

func newTill(t *testing.T, sb *sandbox.Running, dir string) tillWorld {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	w := tillWorld{dir: dir, config: filepath.Join(dir, "posterm.toml"), journal: filepath.Join(dir, "posterm.db")}
	cfg := fmt.Sprintf(`[gateway]
url = %q
busi_id = %q
secret = %q

[register]
oper_id = "cashier01"

[journal]
path = %q

[log]
path = %q

[printer]
transport = %q

%s`, sb.ServiceURL(), sandbox.DemoBusiID, sandbox.DemoSecret, w.journal, filepath.Join(dir, "posterm.log"),
		"file:"+filepath.Join(dir, "receipts.bin"), testCheckout)
	if err := os.WriteFile(w.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

// posterm runs the binary with w's config and returns its exit code and
// output.
func (w tillWorld) posterm(t *testing.T, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, e2eBinary(t), append(args, "--config", w.config)...)
	cmd.Env = childEnv()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Errorf("posterm %v: %v", args, err)
		return -1, out.String()
	}
	return cmd.ProcessState.ExitCode(), out.String()
}

func (w tillWorld) rows(t *testing.T) (string, []pos.Transaction) {
	t.Helper()
	j, err := offline.Open(w.journal, offline.Options{Logger: discardLog})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	id, _ := j.TillID(context.Background())
	txs, err := j.List(context.Background(), pos.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return id, txs
}

// paidWalletCode is a merchant-scan code the sandbox pays at once.
func paidWalletCode(rng *rand.Rand) string {
	b := []byte("28")
	for len(b) < 16 {
		b = append(b, byte('0'+rng.IntN(10)))
	}
	return string(b) + "00"
}

func TestTills_TwoTillsDefaultConfigPayConcurrently(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs posterm 20 times")
	}
	sb := startTestSandbox(t, testScale)
	base := t.TempDir()
	tills := []tillWorld{newTill(t, sb, filepath.Join(base, "till1")), newTill(t, sb, filepath.Join(base, "till2"))}
	const sales = 10
	rng := rand.New(rand.NewPCG(1, 2))
	codes := make([][]string, len(tills))
	for i := range tills {
		for range sales {
			codes[i] = append(codes[i], paidWalletCode(rng))
		}
	}
	// Both tills pay at the same moments: sale k on till 1 and sale k on
	// till 2 start together, in the same second as often as not.
	var wg sync.WaitGroup
	for k := range sales {
		for i, w := range tills {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Till i's amounts are its own, so a charge taken for the
				// wrong till would show.
				amount := fmt.Sprintf("%d.%02d", i+1, k+1)
				if code, out := w.posterm(t, "pay", "--amount", amount, "--code", codes[i][k]); code != exitDone {
					t.Errorf("till %d sale %d: exit %d:\n%s", i+1, k, code, out)
				}
			}()
		}
		wg.Wait()
	}

	ledger := map[string]sandbox.LedgerTransaction{}
	for _, lt := range fetchLedger(t, sb).Transactions {
		ledger[lt.ChargeCode] = lt
	}
	seen := map[pos.ChargeCode]int{}
	ids := map[string]bool{}
	for i, w := range tills {
		id, txs := w.rows(t)
		ids[id] = true
		paid := 0
		for _, tx := range txs {
			if !strings.HasPrefix(string(tx.ChargeCode), "POS01"+id) {
				t.Errorf("till %d: charge code %s lacks register+identity POS01%s", i+1, tx.ChargeCode, id)
			}
			if prev, dup := seen[tx.ChargeCode]; dup {
				t.Errorf("charge code %s in till %d and till %d", tx.ChargeCode, prev, i+1)
			}
			seen[tx.ChargeCode] = i + 1
			if !tx.PaidForSale() {
				t.Errorf("till %d: %s is %s", i+1, tx.ChargeCode, tx.State)
				continue
			}
			paid++
			lt, ok := ledger[string(tx.ChargeCode)]
			switch {
			case !ok:
				t.Errorf("till %d: %s reported paid, the gateway has no such charge", i+1, tx.ChargeCode)
			case lt.State != 1 || lt.AmtFen != tx.Amount:
				t.Errorf("till %d: %s paid %s in the journal, STATE %d %s at the gateway", i+1, tx.ChargeCode, tx.Amount, lt.State, lt.AmtFen)
			}
		}
		if paid != sales {
			t.Errorf("till %d: %d paid, want %d", i+1, paid, sales)
		}
	}
	if len(ids) != 2 {
		t.Errorf("the two tills share till identity %v", ids)
	}
	if len(ledger) != 2*sales {
		t.Errorf("the gateway holds %d charges, want %d", len(ledger), 2*sales)
	}
}

func TestTills_TwoProcessesPaySameSale(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs posterm 20 times")
	}
	sb := startTestSandbox(t, testScale)
	w := newTill(t, sb, t.TempDir())
	// The journal exists (migrated) before the races.
	if code, out := w.posterm(t, "history"); code != exitDone {
		t.Fatalf("history: exit %d: %s", code, out)
	}
	const sales = 10
	rng := rand.New(rand.NewPCG(3, 4))
	wins := 0
	for k := range sales {
		sale := fmt.Sprintf("SALE%02d", k)
		var wg sync.WaitGroup
		exits := make([]int, 2)
		outs := make([]string, 2)
		for p := range 2 {
			code := paidWalletCode(rng)
			wg.Add(1)
			go func() {
				defer wg.Done()
				exits[p], outs[p] = w.posterm(t, "pay", "--sale", sale, "--amount", "12.34", "--code", code)
			}()
		}
		wg.Wait()
		paid := 0
		for p := range 2 {
			if exits[p] == exitDone {
				paid++
			}
		}
		if paid > 1 {
			t.Errorf("sale %s: both processes report paid:\n%s\n%s", sale, outs[0], outs[1])
		}
		wins += paid
	}
	t.Logf("%d of %d sales paid by one of the two processes", wins, sales)
	if code, out := w.posterm(t, "reconcile", "--once", "--now"); code != exitDone {
		t.Fatalf("reconcile: exit %d:\n%s", code, out)
	}
	j, err := offline.Open(w.journal, offline.Options{Logger: discardLog})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	// At most one paid charge per sale at the gateway; journal = ledger.
	checkJournalAgainstLedger(t, j, fetchLedger(t, sb))
	txs, _ := j.List(context.Background(), pos.Filter{})
	perSale := map[string]int{}
	for _, tx := range txs {
		if tx.PaidForSale() {
			perSale[tx.SaleID]++
		}
	}
	for sale, n := range perSale {
		if n > 1 {
			t.Errorf("sale %s paid %d times in the journal", sale, n)
		}
	}
	if wins == 0 {
		t.Errorf("no sale was paid at all")
	}
}
