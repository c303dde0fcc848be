package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"posterm/pos"
	"posterm/printer"
)

func TestShift_TotalsAndPrint(t *testing.T) {
	t.Setenv("POSTERM_UI_LANG", "zh-CN") // the printed labels below are Chinese
	dir := t.TempDir()
	for _, c := range []struct {
		code string
		want int
	}{
		{"284214903060794755", exitDone},    // Alipay, paid
		{"134214903060794712", exitDone},    // WeChat, paid
		{"284214903060794792", exitRefused}, // declined
	} {
		if code, _, errs := runCmd(t, "pay", "--demo", "--data-dir", dir, "--amount", "2.50", "--code", c.code); code != c.want {
			t.Fatalf("pay %s: exit %d, want %d; stderr %q", c.code[14:], code, c.want, errs)
		}
	}

	code, out, errs := runCmd(t, "shift", "--demo", "--data-dir", dir, "--json")
	if code != exitDone {
		t.Fatalf("shift --json: exit %d, stderr %q", code, errs)
	}
	var got pos.ShiftTotals
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("shift --json: %v\n%s", err, out)
	}
	if got.Attempts != 3 || got.Total.Sales.Count != 2 || got.Total.Net != 500 || got.Declined.Count != 1 ||
		got.ByChannel[pos.ChannelAlipay].Sales.Amount != 250 || got.ByChannel[pos.ChannelWeChat].Sales.Amount != 250 {
		t.Errorf("totals: got %+v", got)
	}

	code, out, errs = runCmd(t, "shift", "--demo", "--data-dir", dir, "--print")
	if code != exitDone {
		t.Fatalf("shift --print: exit %d, stderr %q", code, errs)
	}
	b, err := os.ReadFile(filepath.Join(dir, "receipts-demo.bin"))
	if err != nil {
		t.Fatal(err)
	}
	paper := printer.DecodeText(b, 32)
	for _, want := range []string{"班次报表", "支付宝", "微信支付", "￥5.00", "应有现金", "----- cut -----"} {
		if !strings.Contains(paper, want) || !strings.Contains(out, want) {
			t.Errorf("printed report lacks %q:\n%s", want, paper)
		}
	}
}

// TestShiftClose_Z: shift close is refused while a payment's outcome is
// unknown (naming it); settled, it closes Z 1 with the count difference,
// stored and queued for the printer; the next close is Z 2 (numbers
// survive, never reused); shift --z 1 shows it and --print queues a
// marked reprint.
func TestShiftClose_Z(t *testing.T) {
	sb := startTestSandbox(t, testScale)
	e := newPosEnv(t, sb, testCheckout)
	if code, _, errs := e.run(t, "pay", "--amount", "2.50", "--code", walletCode("28", "00")); code != exitDone {
		t.Fatalf("pay: %d %s", code, errs)
	}
	codes := seedRows(t, e.openJournal(t), sandboxGateway(t, sb), seed{state: pos.StateUnknown})
	code, _, errs := e.run(t, "shift", "close", "--counted", "10.00")
	if code == exitDone || !strings.Contains(errs, string(codes[0])) || !strings.Contains(errs, "in flight") {
		t.Fatalf("close with an unknown payment: exit %d, stderr %q; want refused naming %s", code, errs, codes[0])
	}
	// settled (as the reconciler would)
	if _, err := e.openJournal(t).Transition(context.Background(), pos.Change{ChargeCode: codes[0], From: pos.StateUnknown,
		To: pos.StatePaid, Event: pos.Event{Op: "reconcile"}}); err != nil {
		t.Fatal(err)
	}
	code, out, errs := e.run(t, "shift", "close", "--counted", "10.00", "--cashier", "m1", "--json")
	if code != exitDone {
		t.Fatalf("close: %d %s", code, errs)
	}
	var z pos.ZReport
	if err := json.Unmarshal([]byte(out), &z); err != nil || z.Number != 1 || z.CashCounted != 1000 || z.Difference != 1000 ||
		z.ClosedBy != "m1" || z.Totals.Total.Sales.Count < 1 {
		t.Fatalf("Z 1: %+v, %v\n%s", z, err, out)
	}
	code, out, errs = e.run(t, "shift", "close", "--counted", "0")
	if code != exitDone || !strings.Contains(out, "Z 2 of till") {
		t.Fatalf("second close: %d %q %s", code, out, errs)
	}
	code, out, errs = e.run(t, "shift", "--z", "1", "--print")
	if code != exitDone || !strings.Contains(out, e.register+"-Z1") || !strings.Contains(out, "REPRINT") {
		t.Fatalf("shift --z 1: %d %s %s", code, out, errs)
	}
	jobs, err := e.openJournal(t).Jobs(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var shifts, reprints int
	for _, jb := range jobs {
		if jb.Kind == pos.ReceiptShift {
			shifts++
			if jb.Reprint {
				reprints++
			}
		}
	}
	if shifts != 3 || reprints != 1 {
		t.Errorf("shift print jobs %d (reprints %d), want 3 (1)", shifts, reprints)
	}
}
