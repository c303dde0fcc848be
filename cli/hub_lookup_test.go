package cli

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"posterm/config"
	"posterm/hub"
	"posterm/offline"
	"posterm/pos"
)

// The register's LookupCharge (ui.Deps): a charge of another till is asked
// of the hub and copied into this journal as foreign; one no till reported
// is not found, without an error; asking again after the copy is harmless.
func TestHubLookupCharge_CopiesAnotherTillsCharge(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	h, err := hub.Start(ctx, hub.Config{Listen: "127.0.0.1:0", StoreDir: filepath.Join(dir, "js"),
		DBPath: filepath.Join(dir, "hub.db"), Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	open := func(name string) *offline.Journal {
		j, err := offline.Open(filepath.Join(dir, name+".db"), offline.Options{Logger: log,
			Binding: func() (string, error) { return "machine " + name, nil }})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { j.Close() })
		return j
	}
	ja, jb := open("a"), open("b")
	tillA, _ := ja.TillID(ctx)
	code := pos.ChargeCode("POS01" + tillA + "2603131200000001")
	at := time.Date(2026, 3, 13, 12, 0, 0, 0, time.UTC)
	if err := ja.CreateTransaction(ctx, pos.Transaction{ChargeCode: code, Kind: pos.KindPay, State: pos.StateSending,
		Register: "POS01", Amount: 1234, MaskedCode: "2812**********3456", Cashier: "cashier01", CreatedAt: at, UpdatedAt: at},
		pos.Event{Op: "create"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ja.Transition(ctx, pos.Change{ChargeCode: code, From: pos.StateSending, To: pos.StatePaid, At: at}); err != nil {
		t.Fatal(err)
	}
	// Till a's events reach the hub.
	nc, err := hub.Connect(hub.ConnOptions{URL: h.ClientURL()})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := hub.NewJetStream(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&hub.Forwarder{Outbox: ja, JS: js, Log: log}).Flush(ctx); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		_, changed := h.Ingested()
		// Both of till a's events (created, then paid) must have arrived: the
		// hub ingests them one by one.
		if got, _, found, err := h.Store().LookupCharge(wctx, code); err != nil || (found && got.State == pos.StatePaid) {
			break
		}
		select {
		case <-changed:
		case <-wctx.Done():
			t.Fatal("the hub never got the charge")
		}
	}

	var cfg config.Config
	cfg.Hub.URL = h.ClientURL()
	b := &app{cfg: cfg, journal: jb, log: log}
	tests := []struct {
		name      string
		code      pos.ChargeCode
		wantFound bool
	}{
		{"another till's charge", code, true},
		{"again, already copied", code, true},
		{"no till has it", pos.ChargeCode("POS01" + tillA + "2603131200000099"), false},
	}
	for _, tt := range tests {
		got, found, err := b.lookupCharge(ctx, tt.code)
		if err != nil || found != tt.wantFound {
			t.Fatalf("%s: found %v, %v; want %v", tt.name, found, err, tt.wantFound)
		}
		if found && (got.ChargeCode != code || got.State != pos.StatePaid || got.Amount != 1234) {
			t.Fatalf("%s: got %+v", tt.name, got)
		}
	}
	foreign, err := jb.ForeignCharges(ctx)
	if err != nil || foreign[code] != tillA || len(foreign) != 1 {
		t.Fatalf("b's foreign charges %v, %v; want %s from %s", foreign, err, code, tillA)
	}
}
