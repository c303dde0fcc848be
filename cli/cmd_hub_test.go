package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"posterm/hub"
	"posterm/pos"
)

// posterm pay on a till with [hub] url, then `posterm outbox` (pending),
// `posterm outbox --send` (acked) and `posterm hub status` (the till, its
// events and today's takings).
func TestHubCLI_OutboxSendAndStatus(t *testing.T) {
	dir := t.TempDir()
	h, err := hub.Start(context.Background(), hub.Config{Listen: "127.0.0.1:0", StoreDir: filepath.Join(dir, "js"),
		DBPath: filepath.Join(dir, "hub.db"), Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	t.Setenv("POSTERM_HUB_URL", h.URL())
	t.Setenv("POSTERM_HUB_NATS_URL", h.URL())
	t.Setenv("POSTERM_HUB_DATABASE", filepath.Join(dir, "hub.db"))
	for _, c := range []string{"284214903060794755", "134214903060794712"} {
		if code, _, errs := runCmd(t, "pay", "--demo", "--data-dir", dir, "--amount", "2.50", "--code", c); code != exitDone {
			t.Fatalf("pay: exit %d; stderr %q", code, errs)
		}
	}
	type outboxJSON struct {
		Till   string
		Status pos.OutboxStatus
	}
	read := func(args ...string) outboxJSON {
		t.Helper()
		code, out, errs := runCmd(t, append([]string{"outbox", "--demo", "--data-dir", dir, "--json"}, args...)...)
		if code != exitDone {
			t.Fatalf("outbox %v: exit %d; stderr %q", args, code, errs)
		}
		var o outboxJSON
		if err := json.Unmarshal([]byte(out), &o); err != nil {
			t.Fatalf("outbox: %v\n%s", err, out)
		}
		return o
	}
	before := read()
	if before.Status.Pending < 4 || before.Status.Sent != 0 || !before.Status.LastAckAt.IsZero() {
		t.Fatalf("before send: %+v", before.Status)
	}
	after := read("--send")
	if after.Status.Pending != 0 || after.Status.Sent != before.Status.Pending || after.Status.LastAckID == "" {
		t.Fatalf("after send: %+v", after.Status)
	}
	// The hub stores what JetStream acked shortly after.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		_, changed := h.Ingested()
		n, err := h.Store().EventCount(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n[before.Till] == before.Status.Pending {
			break
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("hub has %v", n)
		}
	}
	code, out, errs := runCmd(t, "hub", "status", "--demo", "--data-dir", dir, "--json")
	if code != exitDone {
		t.Fatalf("hub status: exit %d; stderr %q", code, errs)
	}
	var st struct {
		Tills  []hub.TillSeen
		Totals map[string]pos.ShiftTotals `json:"totals_today"`
		Stream map[string]any
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("hub status: %v\n%s", err, out)
	}
	if len(st.Tills) != 1 || st.Tills[0].Till != before.Till || st.Totals[before.Till].Total.Net != 500 || st.Stream == nil {
		t.Fatalf("hub status: %s", out)
	}
	code, out, errs = runCmd(t, "hub", "status", "--demo", "--data-dir", dir)
	if code != exitDone || !strings.Contains(out, before.Till) || !strings.Contains(out, "store net today: 5.00") {
		t.Fatalf("hub status: exit %d\n%s%s", code, out, errs)
	}
}

// A sale at till a, refunded with `posterm refund` at till b: b asks the
// hub, journals the refund (not the sale), and the hub sees both.
func TestHubCLI_RefundAtAnotherTill(t *testing.T) {
	sb := startTestSandbox(t, testScale)
	dir := t.TempDir()
	h, err := hub.Start(context.Background(), hub.Config{Listen: "127.0.0.1:0", StoreDir: filepath.Join(dir, "js"),
		DBPath: filepath.Join(dir, "hub.db"), Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	section := fmt.Sprintf("[hub]\nurl = %q\n", h.URL())
	a, b := newPosEnv(t, sb, testCheckout, section), newPosEnv(t, sb, testCheckout, section)
	a.noTerminal()
	b.noTerminal()
	code, stdout, _ := a.run(t, "pay", "--amount", "5.00", "--code", walletCode("28", "00"), "--json")
	if code != exitDone {
		t.Fatal("pay failed")
	}
	cc := decodeTx(t, stdout).ChargeCode
	// Without the hub having it, b cannot refund it.
	t.Setenv("POSTERM_USER", "manager01")
	t.Setenv("POSTERM_PASSWORD", "8888")
	if code, _, stderr := b.run(t, "refund", string(cc), "--amount", "1.00", "--reason", "x"); code != exitLocal ||
		!strings.Contains(stderr, "not in this register's journal (store hub:") {
		t.Fatalf("refund before the hub has it: exit %d %q", code, stderr)
	}
	if code, _, stderr := a.run(t, "outbox", "--send"); code != exitDone {
		t.Fatalf("outbox --send at a: %q", stderr)
	}
	waitCharge := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for {
			_, changed := h.Ingested()
			if _, _, found, err := h.Store().LookupCharge(ctx, cc); err != nil || found {
				return
			}
			select {
			case <-changed:
			case <-ctx.Done():
				t.Fatal("the hub never got the charge")
			}
		}
	}
	waitCharge()
	code, stdout, stderr := b.run(t, "refund", string(cc), "--amount", "1.00", "--reason", "bought at till a", "--json")
	if code != exitDone {
		t.Fatalf("refund at b: exit %d %s %s", code, stdout, stderr)
	}
	var res refundResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || res.Refund.State != pos.RefundDone || res.Transaction.Refunded != 100 {
		t.Fatalf("refund at b: %+v, %v", res, err)
	}
	// b's shift: the refund, not the sale.
	code, stdout, _ = b.run(t, "shift", "--json")
	var st pos.ShiftTotals
	if err := json.Unmarshal([]byte(stdout), &st); code != exitDone || err != nil || st.Total.Sales.Count != 0 || st.Total.Refunds.Amount != 100 {
		t.Fatalf("b's shift: %d %+v %v", code, st.Total, err)
	}
}
