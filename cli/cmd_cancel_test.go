package cli

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"posterm/pos"
)

func TestCancel_UnsettledCharges(t *testing.T) {
	sb := startTestSandbox(t, testScale)
	e := newPosEnv(t, sb, testCheckout)
	j := e.openJournal(t)
	codes := seedRows(t, j, sandboxGateway(t, sb),
		seed{state: pos.StateUnknown},                                            // never reached the gateway
		seed{state: pos.StateUnknown, payCode: walletCode("28", "05")},           // paid, the answer lost
		seed{state: pos.StatePending, kind: pos.KindPrecreate, age: time.Second}, // a QR nobody paid
	)
	tests := []struct {
		code   pos.ChargeCode
		state  pos.State
		remote int // -1: none (tombstoned)
	}{
		{codes[0], pos.StateVoided, -1},
		{codes[1], pos.StateRevoked, 2},
		{codes[2], pos.StateVoided, -1},
	}
	for _, tt := range tests {
		code, stdout, stderr := e.run(t, "cancel", string(tt.code), "--json")
		if code != exitDone {
			t.Fatalf("cancel %s: exit %d\n%s\n%s", tt.code, code, stdout, stderr)
		}
		tx := decodeTx(t, stdout)
		if tx.State != tt.state || !tx.GiveUp || tx.AckedBy != "cashier01" {
			t.Errorf("%s: %s give_up %v acked_by %q; want %s, given up, acknowledged by cashier01", tt.code, tx.State, tx.GiveUp, tx.AckedBy, tt.state)
		}
		l := fetchLedger(t, sb)
		lt, found := ledgerTxn(l, tt.code)
		switch {
		case tt.remote < 0 && (found || !slices.Contains(l.RevokedSerials, string(tt.code))):
			t.Errorf("%s: at the sandbox %v (STATE %d), tombstoned %v; want only a tombstone", tt.code, found, lt.State,
				slices.Contains(l.RevokedSerials, string(tt.code)))
		case tt.remote >= 0 && lt.State != tt.remote:
			t.Errorf("%s: sandbox STATE %d, want %d", tt.code, lt.State, tt.remote)
		}
	}
	// Cancelling again: nothing to do.
	code, stdout, _ := e.run(t, "cancel", string(codes[0]))
	if code != exitDone || !strings.HasPrefix(stdout, "nothing to do") {
		t.Errorf("again: exit %d %q", code, stdout)
	}
}

// TestCancel_PaidNeedsAManager: a paid charge is revoked only with refund
// permission; the manager is recorded as approver of oper_id's revoke.
func TestCancel_PaidNeedsAManager(t *testing.T) {
	sb := startTestSandbox(t, testScale)
	e := newPosEnv(t, sb, testCheckout)
	code, stdout, _ := e.run(t, "pay", "--amount", "20.00", "--code", walletCode("13", "12"), "--json")
	if code != exitDone {
		t.Fatal("pay failed")
	}
	cc := string(decodeTx(t, stdout).ChargeCode)
	e.noTerminal()
	if code, _, stderr := e.run(t, "cancel", cc); code != exitLocal || !strings.Contains(stderr, "manager's login is required") {
		t.Errorf("without a login: exit %d %q", code, stderr)
	}
	if code, _, stderr := e.run(t, "cancel", cc, "--user", "cashier01", "--password", "1234"); code != exitRefused || !strings.Contains(stderr, "needs a manager") {
		t.Errorf("a cashier's login: exit %d %q", code, stderr)
	}
	if code, _, stderr := e.run(t, "cancel", cc, "--user", "manager01", "--password", "0"); code != exitRefused || !strings.Contains(stderr, "wrong user name") {
		t.Errorf("a wrong password: exit %d %q", code, stderr)
	}
	code, stdout, stderr := e.run(t, "cancel", cc, "--user", "manager01", "--password", "8888")
	if code != exitDone || !strings.HasPrefix(stdout, "not paid: "+cc+" ¥20.00 was revoked") {
		t.Fatalf("manager: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if lt, _ := ledgerTxn(fetchLedger(t, sb), pos.ChargeCode(cc)); lt.State != 2 {
		t.Errorf("sandbox STATE %d, want 2", lt.State)
	}
	j := e.openJournal(t)
	evs, _ := j.Events(context.Background(), pos.ChargeCode(cc))
	var approved bool
	for _, ev := range evs {
		approved = approved || (ev.Op == "revoke" && ev.Who == "cashier01" && ev.Approver == "manager01")
	}
	if !approved {
		t.Errorf("no revoke by cashier01 approved by manager01 in %+v", evs)
	}
	jobs, _ := j.Pending(context.Background())
	var kinds []string
	for _, jb := range jobs {
		kinds = append(kinds, string(jb.Kind))
	}
	if !slices.Equal(kinds, []string{"sale", "revoke"}) {
		t.Errorf("print queue %v, want the sale's receipt and the revoke slip", kinds)
	}
}

func TestCancel_Errors(t *testing.T) {
	sb := startTestSandbox(t, testScale)
	e := newPosEnv(t, sb, testCheckout)
	code, stdout, _ := e.run(t, "pay", "--amount", "1.00", "--code", walletCode("28", "92"), "--json")
	if code != exitRefused {
		t.Fatal("pay")
	}
	declined := string(decodeTx(t, stdout).ChargeCode)
	for _, tt := range []struct {
		args []string
		exit int
		out  string
	}{
		{[]string{declined}, exitDone, "nothing to do: " + declined + " is already declined"},
		{[]string{"NOSUCHCODE1"}, exitLocal, "not in this register's journal"},
		{[]string{"bad code!"}, exitLocal, "bad charge code"},
		{[]string{}, exitLocal, "give one charge code"},
	} {
		code, stdout, stderr := e.run(t, append([]string{"cancel"}, tt.args...)...)
		if code != tt.exit || !strings.Contains(stdout+stderr, tt.out) {
			t.Errorf("cancel %v: exit %d %q %q; want %d %q", tt.args, code, stdout, stderr, tt.exit, tt.out)
		}
	}
}
