package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"posterm/gateway"
	"posterm/gateway/sandbox"
	"posterm/offline"
	"posterm/pos"
)

// sandboxGateway is a pos.Gateway straight to sb (no journal), for
// setting up the gateway's side of a test.
func sandboxGateway(t testing.TB, sb *sandbox.Running) pos.Gateway {
	t.Helper()
	c, err := gateway.New(gateway.Config{URL: sb.ServiceURL(), BusiID: sandbox.DemoBusiID, Secret: sandbox.DemoSecret,
		OperID: "cashier01", DevID: "POS-T", Format: gateway.FormatJSON, Encrypt: true})
	if err != nil {
		t.Fatal(err)
	}
	return gateway.ForPOS(c)
}

var seedSerial atomic.Int64

// seed is an unsettled charge written straight into a journal, as a
// crash would leave it.
type seed struct {
	state   pos.State // sending, unknown or pending
	kind    pos.Kind  // default pay
	age     time.Duration
	giveUp  bool
	amount  pos.Money // default 5.00
	payCode string    // when set, the sandbox is paid with this wallet code first
	sale    string    // SaleID; default the charge code
}

// seedRows journals each seed as an unsettled row created age ago and
// returns their charge codes.
func seedRows(t testing.TB, j *offline.Journal, gw pos.Gateway, seeds ...seed) []pos.ChargeCode {
	t.Helper()
	ctx := context.Background()
	var codes []pos.ChargeCode
	for _, s := range seeds {
		code := pos.ChargeCode(fmt.Sprintf("SEED%d%012d", os.Getpid()%1000, seedSerial.Add(1)))
		if s.kind == "" {
			s.kind = pos.KindPay
		}
		if s.amount == 0 {
			s.amount = 500
		}
		if s.sale == "" {
			s.sale = string(code)
		}
		at := time.Now().Add(-s.age)
		tx := pos.Transaction{ChargeCode: code, Kind: s.kind, State: pos.StateSending, SaleID: s.sale, Register: "SEED",
			Amount: s.amount, Subject: "seed", Cashier: "cashier01", CreatedAt: at, UpdatedAt: at}
		tx.NextAttemptAt = at
		if err := j.CreateTransaction(ctx, tx, pos.Event{Op: "pay", Who: "cashier01", At: at}); err != nil {
			t.Fatal(err)
		}
		if s.payCode != "" {
			rep, err := gw.Pay(ctx, pos.PayRequest{ChargeCode: code, Amount: s.amount, DynamicID: s.payCode, Subject: "seed", OperID: "cashier01"})
			if err != nil || rep.Outcome == pos.OutcomeUnknown {
				t.Fatalf("paying %s at the sandbox: %+v %v", code, rep, err)
			}
		}
		if s.state != pos.StateSending {
			p := pos.Patch{GiveUp: s.giveUp}
			if s.giveUp {
				p.GiveUpReason = "seeded: given up"
			}
			if s.state == pos.StatePending {
				p.ExpiresAt = at.Add(time.Second)
			}
			if _, err := j.Transition(ctx, pos.Change{ChargeCode: code, From: pos.StateSending, To: s.state, Patch: p, At: at,
				NextAttemptAt: at, Event: pos.Event{Op: "pay", Who: "cashier01"}}); err != nil {
				t.Fatal(err)
			}
		}
		codes = append(codes, code)
	}
	return codes
}

func TestReconcile_OnceSettlesEveryKindOfLeftover(t *testing.T) {
	sb := startTestSandbox(t, testScale)
	e := newPosEnv(t, sb, testCheckout)
	j := e.openJournal(t)
	gw := sandboxGateway(t, sb)
	codes := seedRows(t, j, gw,
		seed{state: pos.StateSending, age: time.Minute},                                                // never sent → voided
		seed{state: pos.StateUnknown, age: time.Minute, payCode: walletCode("28", "00")},               // answer lost → paid
		seed{state: pos.StateUnknown, age: time.Minute, giveUp: true, payCode: walletCode("28", "01")}, // given up, paid → revoked
		seed{state: pos.StateSending, age: time.Minute, payCode: walletCode("28", "92")},               // declined, crash before the answer → closed
		seed{state: pos.StatePending, kind: pos.KindPrecreate, age: time.Minute},                       // QR never shown at the gateway → voided
	)
	want := []pos.State{pos.StateVoided, pos.StatePaid, pos.StateRevoked, pos.StateClosed, pos.StateVoided}

	code, stdout, stderr := e.run(t, "reconcile", "--once", "-v", "--json")
	if code != exitDone {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	var s reconcileSummary
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatal(err)
	}
	if s.Claimed != 5 || s.Settled != 5 || s.Unsettled != 0 || s.Results["voided"] != 2 || s.Results["paid"] != 1 ||
		s.Results["revoked"] != 1 || s.Results["closed"] != 1 {
		t.Errorf("summary %+v", s)
	}
	if n := strings.Count(stderr, "] SEED"); n != 5 {
		t.Errorf("-v printed %d row lines, want 5:\n%s", n, stderr)
	}
	l := fetchLedger(t, sb)
	for i, c := range codes {
		tx, err := j.Get(context.Background(), c)
		if err != nil || tx.State != want[i] || tx.Unsettled() {
			t.Errorf("%s: %s (unsettled %v, %v), want %s", c, tx.State, tx.Unsettled(), err, want[i])
		}
		if want[i] == pos.StateVoided && !slices.Contains(l.RevokedSerials, string(c)) {
			t.Errorf("%s voided but not tombstoned", c)
		}
	}
	if lt, _ := ledgerTxn(l, codes[2]); lt.State != 2 {
		t.Errorf("given-up paid charge: sandbox STATE %d, want 2 (revoked)", lt.State)
	}
	// A second pass finds nothing to do.
	code, stdout, _ = e.run(t, "reconcile", "--once")
	if code != exitDone || !strings.HasPrefix(stdout, "nothing was due; nothing is unsettled") {
		t.Errorf("second pass: exit %d %q", code, stdout)
	}
}

// TestReconcile_NotDueAndNow: a row the register is still working on is
// left alone; --now takes it, and it is retried while it is within the
// register's bound.
func TestReconcile_NotDueAndNow(t *testing.T) {
	sb := startTestSandbox(t, testScale)
	e := newPosEnv(t, sb, `[checkout]
query_interval = "25ms"
give_up_after = "1s"
`)
	j := e.openJournal(t)
	codes := seedRows(t, j, sandboxGateway(t, sb), seed{state: pos.StateUnknown})
	ctx := context.Background()
	// Scheduled in a minute, as PayByCode does while it waits.
	tx, _ := j.Get(ctx, codes[0])
	if _, err := j.Transition(ctx, pos.Change{ChargeCode: codes[0], From: tx.State, To: tx.State,
		NextAttemptAt: time.Now().Add(time.Minute), Event: pos.Event{Op: "note", Who: "test"}}); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := e.run(t, "reconcile", "--once")
	if code != exitUnknown || !strings.HasPrefix(stdout, "nothing was due; 1 still unsettled (next attempt") {
		t.Fatalf("exit %d %q", code, stdout)
	}
	code, stdout, _ = e.run(t, "reconcile", "--once", "--now")
	if code != exitUnknown || !strings.Contains(stdout, "reconciled 1 in") || !strings.Contains(stdout, "1 retry") {
		t.Fatalf("--now within the bound: exit %d %q", code, stdout)
	}
	time.Sleep(time.Until(tx.CreatedAt.Add(1100 * time.Millisecond))) // past give_up_after
	if code, stdout, _ = e.run(t, "reconcile", "--once", "--now"); code != exitDone || !strings.Contains(stdout, "1 voided") {
		t.Fatalf("--now past the bound: exit %d %q", code, stdout)
	}
}

// TestReconcile_LoopUntilInterrupted runs passes every [reconcile]
// interval until Ctrl-C, settling a row that comes due meanwhile.
func TestReconcile_LoopUntilInterrupted(t *testing.T) {
	sb := startTestSandbox(t, testScale)
	e := newPosEnv(t, sb, testCheckout, `[reconcile]
interval = "50ms"
`)
	sig := e.fakeInterrupts()
	stdout, stderr, done := e.startCmd("reconcile", "--json")
	waitFor(t, stdout, `"claimed":0`)
	codes := seedRows(t, e.openJournal(t), sandboxGateway(t, sb),
		seed{state: pos.StateUnknown, age: time.Minute, payCode: walletCode("13", "07")})
	waitFor(t, stdout, `"paid":1`)
	sig <- os.Interrupt
	if code := waitDone(t, done, stdout, stderr); code != exitDone {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if tx := e.row(t, codes[0]); tx.State != pos.StatePaid {
		t.Errorf("row %s, want paid", tx.State)
	}
}

// TestReconcile_UnknownRefundRetriedWithTheSameSerial: a refund left
// unknown is re-sent with its OUT_REFUND_NO and refunds once.
func TestReconcile_UnknownRefundRetriedWithTheSameSerial(t *testing.T) {
	sb := startTestSandbox(t, testScale)
	e := newPosEnv(t, sb, testCheckout)
	code, stdout, _ := e.run(t, "pay", "--amount", "10.00", "--code", walletCode("28", "03"), "--json")
	if code != exitDone {
		t.Fatal("pay failed")
	}
	tx := decodeTx(t, stdout)
	// A refund journaled, sent, and its answer lost in a crash.
	j := e.openJournal(t)
	ctx := context.Background()
	r := pos.Refund{OutRefundNo: "SEEDR" + string(tx.ChargeCode[len(tx.ChargeCode)-8:]), ChargeCode: tx.ChargeCode, Amount: 400,
		Reason: "lost answer", State: pos.RefundSending, Cashier: "manager01", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := j.CreateRefund(ctx, r, pos.Event{Op: "refund", Who: "manager01"}); err != nil {
		t.Fatal(err)
	}
	// It did reach the gateway before the crash.
	rep, err := sandboxGateway(t, sb).Refund(ctx, pos.RefundRequest{ChargeCode: tx.ChargeCode, OutRefundNo: r.OutRefundNo,
		Amount: 400, Subject: "lost answer", OperID: "manager01"})
	if err != nil || rep.Outcome != pos.OutcomeDone {
		t.Fatalf("refund at the sandbox: %+v %v", rep, err)
	}
	for i := 0; i < 2; i++ { // twice: the second finds nothing to do
		if code, out, errOut := e.run(t, "reconcile", "--once", "--now"); code != exitDone {
			t.Fatalf("reconcile: exit %d\n%s\n%s", code, out, errOut)
		}
	}
	got, err := j.GetRefund(ctx, r.OutRefundNo)
	if err != nil || got.State != pos.RefundDone {
		t.Fatalf("refund %s %v, want done", got.State, err)
	}
	if row := e.row(t, tx.ChargeCode); row.State != pos.StatePartiallyRefunded || row.Refunded != 400 {
		t.Errorf("charge %s refunded %d, want partially_refunded 400", row.State, row.Refunded)
	}
	if lt, _ := ledgerTxn(fetchLedger(t, sb), tx.ChargeCode); lt.RefundedFen != 400 || len(lt.Refunds) != 1 {
		t.Errorf("sandbox refunded %d in %d refunds, want 400 in 1", lt.RefundedFen, len(lt.Refunds))
	}
}
