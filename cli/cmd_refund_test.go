package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"posterm/pos"
)

func TestRefund_ManagerApprovalAndOverRefund(t *testing.T) {
	sb := startTestSandbox(t, testScale)
	e := newPosEnv(t, sb, testCheckout)
	e.noTerminal()
	code, stdout, _ := e.run(t, "pay", "--amount", "100.00", "--code", walletCode("28", "11"), "--json")
	if code != exitDone {
		t.Fatal("pay failed")
	}
	cc := string(decodeTx(t, stdout).ChargeCode)
	refund := func(args ...string) (int, string, string) {
		return e.run(t, append([]string{"refund", cc, "--reason", "damaged box"}, args...)...)
	}

	// Who may refund.
	if code, _, stderr := refund("--amount", "30.00"); code != exitLocal || !strings.Contains(stderr, "manager's login is required") {
		t.Errorf("no login: exit %d %q", code, stderr)
	}
	if code, _, stderr := refund("--amount", "30.00", "--user", "cashier01", "--password", "1234"); code != exitRefused ||
		!strings.Contains(stderr, "needs a manager") {
		t.Errorf("a cashier: exit %d %q", code, stderr)
	}
	if code, _, stderr := refund("--amount", "30.00", "--user", "manager01", "--password", "x8x"); code != exitRefused ||
		!strings.Contains(stderr, "wrong user name") || strings.Contains(stderr, "x8x") {
		t.Errorf("a wrong password: exit %d %q", code, stderr)
	}

	// A manager approves oper_id's refund.
	t.Setenv("POSTERM_USER", "manager01")
	t.Setenv("POSTERM_PASSWORD", "8888")
	code, stdout, stderr := refund("--amount", "30.00", "--json")
	if code != exitDone {
		t.Fatalf("refund: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var res refundResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	if r := res.Refund; r.State != pos.RefundDone || r.Amount != 3000 || r.Cashier != "cashier01" || r.Approver != "manager01" || r.Reason != "damaged box" {
		t.Errorf("refund %+v", r)
	}
	if tx := res.Transaction; tx.State != pos.StatePartiallyRefunded || tx.Refunded != 3000 {
		t.Errorf("charge %s refunded %d, want partially_refunded 3000", tx.State, tx.Refunded)
	}

	// More than remains is refused before anything is sent.
	if code, _, stderr := refund("--amount", "70.01"); code != exitRefused || !strings.Contains(stderr, "exceeds what remains") {
		t.Errorf("over-refund: exit %d %q", code, stderr)
	}
	lt, _ := ledgerTxn(fetchLedger(t, sb), pos.ChargeCode(cc))
	if lt.RefundedFen != 3000 || len(lt.Refunds) != 1 || lt.State != 4 {
		t.Errorf("sandbox after the over-refund: refunded %d in %d refunds, STATE %d; want 3000, 1, 4", lt.RefundedFen, len(lt.Refunds), lt.State)
	}

	// The rest.
	code, stdout, _ = refund("--amount", "70.00")
	if code != exitDone || !strings.HasPrefix(stdout, "refunded ¥70.00 of "+cc) || !strings.Contains(stdout, "approved by manager01") ||
		!strings.HasSuffix(strings.TrimSpace(stdout), "¥0.00 remains") {
		t.Errorf("the rest: exit %d %q", code, stdout)
	}
	if tx := e.row(t, pos.ChargeCode(cc)); tx.State != pos.StateRefunded || tx.Refunded != 10000 {
		t.Errorf("charge %s refunded %d, want refunded 10000", tx.State, tx.Refunded)
	}
	if lt, _ := ledgerTxn(fetchLedger(t, sb), pos.ChargeCode(cc)); lt.State != 5 || lt.RefundedFen != 10000 {
		t.Errorf("sandbox STATE %d refunded %d, want 5 and 10000", lt.State, lt.RefundedFen)
	}
	if code, _, stderr := refund("--amount", "0.01"); code != exitRefused || !strings.Contains(stderr, "cannot be refunded") {
		t.Errorf("refund of a refunded charge: exit %d %q", code, stderr)
	}
	b, _ := os.ReadFile(filepath.Join(e.dir, "posterm.log"))
	if secretIn(b, "8888") || secretIn(b, "x8x") {
		t.Error("a password is in the log")
	}
}

// TestRefund_Prompt: the manager's login is asked for on the terminal;
// without oper_id the manager refunds alone.
func TestRefund_Prompt(t *testing.T) {
	sb := startTestSandbox(t, testScale)
	e := newPosEnv(t, sb, testCheckout)
	code, stdout, _ := e.run(t, "pay", "--amount", "9.00", "--code", walletCode("13", "33"), "--json")
	if code != exitDone {
		t.Fatal("pay failed")
	}
	cc := string(decodeTx(t, stdout).ChargeCode)
	e.ask = func(prompt string, secret bool) (string, bool, error) {
		if secret {
			return "8888", true, nil
		}
		return "manager01", true, nil
	}
	b, _ := os.ReadFile(e.config)
	os.WriteFile(e.config, []byte(strings.Replace(string(b), `oper_id = "cashier01"`, `oper_id = ""`, 1)), 0o600)
	code, stdout, stderr := e.run(t, "refund", cc, "--amount", "9.00", "--reason", "changed mind", "--json")
	if code != exitDone {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	var res refundResult
	json.Unmarshal([]byte(stdout), &res)
	if res.Refund.Cashier != "manager01" || res.Refund.Approver != "" || res.Transaction.State != pos.StateRefunded {
		t.Errorf("refund by %q approved by %q, charge %s; want manager01 alone, refunded", res.Refund.Cashier, res.Refund.Approver, res.Transaction.State)
	}
}

func TestRefund_UsageErrors(t *testing.T) {
	sb := startTestSandbox(t, testScale)
	e := newPosEnv(t, sb, testCheckout)
	t.Setenv("POSTERM_USER", "manager01")
	t.Setenv("POSTERM_PASSWORD", "8888")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"NOSUCH1", "--amount", "1.00", "--reason", "x"}, "not in this register's journal"},
		{[]string{"NOSUCH1", "--amount", "1.00"}, "--reason are required"},
		{[]string{"NOSUCH1", "--amount", "1.001", "--reason", "x"}, "bad amount"},
		{[]string{"--amount", "1.00", "--reason", "x"}, "give one charge code"},
	} {
		if code, _, stderr := e.run(t, append([]string{"refund"}, tt.args...)...); code != exitLocal || !strings.Contains(stderr, tt.want) {
			t.Errorf("refund %v: exit %d %q, want 1 and %q", tt.args, code, stderr, tt.want)
		}
	}
}
