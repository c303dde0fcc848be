package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"posterm/gateway/sandbox"
	"posterm/pos"
)

// firstRow waits for the first JSON line precreate --json prints: the
// pending row with its BAR_CODE.
func firstRow(t *testing.T, stdout, stderr *syncBuffer) pos.Transaction {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stdout.String(), "\n") {
		if time.Now().After(deadline) {
			t.Fatalf("no BAR_CODE line\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
		}
		time.Sleep(5 * time.Millisecond)
	}
	line, _, _ := strings.Cut(stdout.String(), "\n")
	return decodeTx(t, line)
}

// lastRow decodes the last JSON line precreate --json printed.
func lastRow(t *testing.T, stdout string) pos.Transaction {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	return decodeTx(t, lines[len(lines)-1])
}

// customerPays plays the customer scanning barCode (POST /sandbox/customer/pay).
func customerPays(t *testing.T, sb *sandbox.Running, barCode string) {
	t.Helper()
	resp, err := http.Post(sb.URL+sandbox.CustomerPayPath+"?barcode="+url.QueryEscape(barCode), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("customer pay: HTTP %d", resp.StatusCode)
	}
}

func TestPrecreate_CustomerPays(t *testing.T) {
	sb := startTestSandbox(t, 1)
	e := newPosEnv(t, sb, `[checkout]
query_interval = "50ms"
precreate_expiry = "20s"
`)
	stdout, stderr, done := e.startCmd("precreate", "--amount", "8.80", "--channel", "wechat", "--json")
	first := firstRow(t, stdout, stderr)
	if first.State != pos.StatePending || first.Channel != pos.ChannelWeChat || first.BarCode == "" || first.Kind != pos.KindPrecreate {
		t.Fatalf("first row %+v, want pending wechat with a BAR_CODE", first)
	}
	if !strings.HasPrefix(first.BarCode, "http://") || !strings.Contains(first.BarCode, sandbox.QRPathPrefix) {
		t.Errorf("BAR_CODE %q is not a sandbox QR", first.BarCode)
	}
	customerPays(t, sb, first.BarCode)
	if code := waitDone(t, done, stdout, stderr); code != exitDone {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	last := lastRow(t, stdout.String())
	if last.ChargeCode != first.ChargeCode || last.State != pos.StatePaid {
		t.Fatalf("last row %s %s, want %s paid", last.ChargeCode, last.State, first.ChargeCode)
	}
	if lt, _ := ledgerTxn(fetchLedger(t, sb), first.ChargeCode); lt.State != 1 || lt.AmtFen != 880 || lt.Kind != sandbox.KindPrecreate {
		t.Errorf("ledger %+v, want a paid precreate of 880 fen", lt)
	}
	if jobs, _ := e.openJournal(t).Pending(context.Background()); len(jobs) != 1 {
		t.Errorf("print queue has %d jobs, want the sale's receipt", len(jobs))
	}
	if !strings.Contains(stderr.String(), "waiting for the customer") {
		t.Errorf("no progress on stderr:\n%s", stderr)
	}
}

// TestPrecreate_Notification: with a notification listener the payment
// is settled by the gateway's notification, long before the next query.
func TestPrecreate_Notification(t *testing.T) {
	sb := startTestSandbox(t, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	e := newPosEnv(t, sb, `[checkout]
query_interval = "20s"
give_up_after = "1m"
precreate_expiry = "1m"
`)
	// notify_listen and notify_url belong to [gateway]: rewrite the file.
	b, _ := os.ReadFile(e.config)
	cfg := strings.Replace(string(b), "[gateway]\n", fmt.Sprintf("[gateway]\nnotify_listen = %q\nnotify_url = %q\n", addr, "http://"+addr+"/notify"), 1)
	if err := os.WriteFile(e.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	stdout, stderr, done := e.startCmd("precreate", "--amount", "2.00", "--channel", "alipay", "--json")
	first := firstRow(t, stdout, stderr)
	customerPays(t, sb, first.BarCode)
	if code := waitDone(t, done, stdout, stderr); code != exitDone {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("took %s: the notification did not wake the wait", d)
	}
	evs, err := e.openJournal(t).Events(context.Background(), first.ChargeCode)
	if err != nil {
		t.Fatal(err)
	}
	var byNotify bool
	for _, ev := range evs {
		byNotify = byNotify || (ev.Op == "notify" && ev.To == string(pos.StatePaid))
	}
	if !byNotify {
		t.Errorf("not settled by the notification: %+v", evs)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		lt, _ := ledgerTxn(fetchLedger(t, sb), first.ChargeCode)
		if lt.Notified {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sandbox never got SUCCESS for its notification: %+v", lt)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPrecreate_Expires(t *testing.T) {
	sb := startTestSandbox(t, 1)
	e := newPosEnv(t, sb, `[checkout]
query_interval = "100ms"
precreate_expiry = "1s"
`)
	code, stdout, stderr := e.run(t, "precreate", "--amount", "1.00", "--channel", "alipay")
	if code != exitRefused {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if !strings.HasPrefix(lines[0], "BAR_CODE http") || !strings.HasPrefix(lines[len(lines)-1], "not paid:") {
		t.Fatalf("stdout:\n%s", stdout)
	}
	var cc string
	fmt.Sscanf(lines[1], "charge %s", &cc)
	if tx := e.row(t, pos.ChargeCode(cc)); tx.State != pos.StateClosed {
		t.Errorf("row %s, want closed", tx.State)
	}
	if lt, _ := ledgerTxn(fetchLedger(t, sb), pos.ChargeCode(cc)); lt.State != 6 {
		t.Errorf("sandbox STATE %d, want 6", lt.State)
	}
}

func TestPrecreate_CtrlCCancels(t *testing.T) {
	sb := startTestSandbox(t, 1)
	e := newPosEnv(t, sb, `[checkout]
query_interval = "100ms"
precreate_expiry = "30s"
`)
	sig := e.fakeInterrupts()
	stdout, stderr, done := e.startCmd("precreate", "--amount", "1.00", "--channel", "alipay", "--json")
	first := firstRow(t, stdout, stderr)
	sig <- os.Interrupt
	if code := waitDone(t, done, stdout, stderr); code != exitRefused {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if last := lastRow(t, stdout.String()); last.State != pos.StateClosed || !last.GiveUp {
		t.Fatalf("last row %s give_up %v, want closed, given up", last.State, last.GiveUp)
	}
	if lt, _ := ledgerTxn(fetchLedger(t, sb), first.ChargeCode); lt.State != 6 {
		t.Errorf("sandbox STATE %d, want 6", lt.State)
	}
}

func TestPrecreate_BadFlags(t *testing.T) {
	sb := startTestSandbox(t, 1)
	e := newPosEnv(t, sb)
	for _, args := range [][]string{
		{"--amount", "1.00"},
		{"--amount", "1.00", "--channel", "paypal"},
		{"--amount", "x", "--channel", "alipay"},
	} {
		if code, _, stderr := e.run(t, append([]string{"precreate"}, args...)...); code != exitLocal {
			t.Errorf("%v: exit %d (%s), want 1", args, code, stderr)
		}
	}
	var v []any
	if code, stdout, _ := e.run(t, "history", "--json"); code != exitDone || json.Unmarshal([]byte(stdout), &v) != nil || len(v) != 0 {
		t.Errorf("history after refused precreates: %d %s", code, stdout)
	}
}
