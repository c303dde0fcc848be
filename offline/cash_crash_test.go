package offline

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"testing"

	"posterm/pos"
	"posterm/pos/postest"
)

// childCash writes cash sales and cash refunds until it is killed, saying
// each one once committed.
func childCash() {
	j, err := Open(os.Getenv("OFFLINE_DB"), Options{Logger: quiet})
	if err != nil {
		childFail("open: %v", err)
	}
	ctx := context.Background()
	fmt.Println("ready")
	at := postest.T0
	for i := 0; ; i++ {
		code := pos.ChargeCode(fmt.Sprintf("K%s-%05d", os.Getenv("OFFLINE_RUN"), i))
		tx := sampleTx(string(code))
		tx.Kind, tx.State, tx.MaskedCode, tx.Tendered, tx.PaidAt, tx.Queue = pos.KindCash, pos.StatePaid, "", 2000, at, pos.Queue{}
		if err := j.CreateTransaction(ctx, tx, pos.Event{Op: "cash", Who: "child"}); err != nil {
			childFail("cash %s: %v", code, err)
		}
		fmt.Println("C", code)
		if i%2 == 0 {
			no := string(code) + "-R"
			if err := j.CreateRefund(ctx, pos.Refund{OutRefundNo: no, ChargeCode: code, Amount: 234, State: pos.RefundDone,
				CreatedAt: at, UpdatedAt: at}, pos.Event{Op: "refund", Who: "child"}); err != nil {
				childFail("refund %s: %v", no, err)
			}
			fmt.Println("R", no)
		}
	}
}

// TestCrash_CashAtomic: a process writing cash sales and cash refunds is
// killed at random points; after it, every cash sale is paid with exactly
// one receipt, every cash refund is done, applied to its sale and has its
// slip, and nothing of it is left for the reconciler.
func TestCrash_CashAtomic(t *testing.T) {
	path := t.TempDir() + "/j.db"
	openAt(t, path, Options{}).Close()
	for round := range 3 {
		cmd, out, stderr := startChild(t, "cash", "OFFLINE_DB="+path, fmt.Sprintf("OFFLINE_RUN=%d", round))
		said := 0
		for out.Scan() {
			if out.Text() != "ready" {
				said++
			}
			if said >= 5+round*7 {
				break
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if said == 0 {
			t.Fatalf("round %d: the child wrote nothing: %s", round, stderr)
		}
	}
	j := openAt(t, path, Options{})
	ctx := context.Background()
	txs, err := j.List(ctx, pos.Filter{})
	if err != nil || len(txs) == 0 {
		t.Fatalf("list: %d, %v", len(txs), err)
	}
	jobs, err := j.Jobs(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	slips := map[string]int{}
	for _, jb := range jobs {
		slips[jb.ChargeCode+"/"+string(jb.Kind)+"/"+jb.OutRefundNo]++
	}
	for _, tx := range txs {
		if tx.Unsettled() || tx.Kind != pos.KindCash {
			t.Errorf("%s: %s %s unsettled=%v", tx.ChargeCode, tx.Kind, tx.State, tx.Unsettled())
		}
		if n := slips[string(tx.ChargeCode)+"/sale/"]; n != 1 {
			t.Errorf("%s: %d sale receipts, want 1", tx.ChargeCode, n)
		}
		rs, err := j.ListRefunds(ctx, pos.RefundFilter{ChargeCode: tx.ChargeCode})
		if err != nil {
			t.Fatal(err)
		}
		var done pos.Money
		for _, r := range rs {
			if r.State != pos.RefundDone {
				t.Errorf("refund %s is %s", r.OutRefundNo, r.State)
			}
			done += r.Amount
			if n := slips[string(tx.ChargeCode)+"/refund/"+r.OutRefundNo]; n != 1 {
				t.Errorf("refund %s: %d slips, want 1", r.OutRefundNo, n)
			}
		}
		if tx.Refunded != done {
			t.Errorf("%s: refunded %d, its done refunds %d", tx.ChargeCode, tx.Refunded, done)
		}
	}
	items, err := j.Claim(ctx, pos.ClaimRequest{Owner: "r", Now: postest.T0.Add(1e12), Lease: 1e9, Limit: 100, IgnoreSchedule: true})
	if err != nil || len(items) != 0 {
		t.Fatalf("claim after the crashes: %+v, %v", items, err)
	}
	t.Logf("%d cash sales survived %d kills intact", len(txs), 3)
}
