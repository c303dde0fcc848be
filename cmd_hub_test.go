package main

import (
	"context"
	"encoding/json"
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
