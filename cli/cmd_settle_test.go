package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"posterm/pos"
)

func settlePay(t *testing.T, e *posEnv, amount, last2 string) pos.ChargeCode {
	t.Helper()
	code, stdout, stderr := e.run(t, "pay", "--amount", amount, "--code", walletCode("28", last2), "--json")
	if code != exitDone {
		t.Fatalf("pay: exit %d\n%s\n%s", code, stdout, stderr)
	}
	return decodeTx(t, stdout).ChargeCode
}

func TestSettle_CleanDay(t *testing.T) {
	sb := startTestSandbox(t, testScale)
	e := newPosEnv(t, sb, testCheckout)
	settlePay(t, e, "10.00", "21")
	settlePay(t, e, "20.00", "22")
	code, stdout, stderr := e.run(t, "settle")
	if code != exitDone || !strings.Contains(stdout, "agree") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, _ = e.run(t, "settle", "--json")
	var res pos.Settlement
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || code != exitDone || !res.Agree || res.Gateway != 2 || res.Journal != 2 {
		t.Fatalf("--json: exit %d, %+v, %v", code, res, err)
	}
	j := e.openJournal(t)
	if last, ok, err := pos.LastSettlement(context.Background(), j); err != nil || !ok || !last.Agree {
		t.Errorf("stored settlement: %+v %v %v", last, ok, err)
	}
}

// Charges revoked and refunded behind posterm (straight to the gateway):
// settle lists the exact differences, corrects the final ones, exits 2.
func TestSettle_ChangesBehindPosterm(t *testing.T) {
	sb := startTestSandbox(t, testScale)
	e := newPosEnv(t, sb, testCheckout)
	kept := settlePay(t, e, "10.00", "31")
	revoked := settlePay(t, e, "20.00", "32")
	refunded := settlePay(t, e, "30.00", "33")
	partly := settlePay(t, e, "40.00", "34")

	ctx := context.Background()
	gw := sandboxGateway(t, sb)
	must := func(rep pos.Reply, err error) {
		t.Helper()
		if err != nil || rep.Outcome != pos.OutcomeDone {
			t.Fatalf("behind posterm: %+v %v", rep, err)
		}
	}
	must(gw.Cancel(ctx, revoked, pos.OpTypeNow))
	must(gw.Refund(ctx, pos.RefundRequest{ChargeCode: refunded, OutRefundNo: string(refunded) + "X", Amount: 3000, Subject: "outside"}))
	must(gw.Refund(ctx, pos.RefundRequest{ChargeCode: partly, OutRefundNo: string(partly) + "X", Amount: 1000, Subject: "outside"}))
	// A charge with one of this register's codes the journal never saw.
	till, err := e.openJournal(t).TillID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stranger := pos.ChargeCode(fmt.Sprintf("%s%s%s9999", e.register, till, time.Now().In(gatewayZone).Format("060102150405")))
	must(gw.Pay(ctx, pos.PayRequest{ChargeCode: stranger, Amount: 555, DynamicID: walletCode("28", "35"), Subject: "outside"}))

	code, stdout, stderr := e.run(t, "settle", "--json")
	if code != exitRefused {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitRefused, stdout, stderr)
	}
	var res pos.Settlement
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	type want struct {
		kind      pos.DiffKind
		corrected bool
		to        pos.State
	}
	wants := map[pos.ChargeCode]want{
		revoked:  {pos.DiffState, true, pos.StateRevoked},
		refunded: {pos.DiffState, true, pos.StateRefunded},
		partly:   {pos.DiffState, false, ""},
		stranger: {pos.DiffMissingInJournal, false, ""},
	}
	if len(res.Differences) != len(wants) {
		t.Errorf("%d differences, want %d: %+v", len(res.Differences), len(wants), res.Differences)
	}
	for _, d := range res.Differences {
		w, ok := wants[d.ChargeCode]
		if !ok || d.Kind != w.kind || d.Corrected != w.corrected || d.To != w.to {
			t.Errorf("difference %+v; want %+v", d, w)
		}
	}
	if tx := e.row(t, revoked); tx.State != pos.StateRevoked {
		t.Errorf("revoked outside: journal %s", tx.State)
	}
	if tx := e.row(t, refunded); tx.State != pos.StateRefunded || tx.Refunded != 3000 {
		t.Errorf("refunded outside: journal %s refunded %d", tx.State, tx.Refunded)
	}
	if tx := e.row(t, kept); tx.State != pos.StatePaid {
		t.Errorf("untouched: journal %s", tx.State)
	}

	// The table, on a second run: what a person must look at remains.
	code, stdout, _ = e.run(t, "settle")
	if code != exitRefused || !strings.Contains(stdout, string(partly)) || !strings.Contains(stdout, string(stranger)) ||
		strings.Contains(stdout, string(revoked)) || !strings.Contains(stdout, "2 differences") {
		t.Errorf("second settle: exit %d\n%s", code, stdout)
	}
}
