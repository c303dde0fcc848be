package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"posterm/config"
	"posterm/device"
	"posterm/pos"
	"posterm/printer"
	"posterm/ui"
)

func TestRegister_NeedsTerminal(t *testing.T) {
	var stdout, stderr bytes.Buffer
	e := processEnv(&stdout, &stderr)
	e.HasScreen = func() bool { return false }
	code := runWith(e, []string{"register", "--demo", "--data-dir", t.TempDir()})
	if code != exitLocal || !strings.Contains(stderr.String(), "needs a terminal") {
		t.Fatalf("exit %d, stderr %q; want exit %d saying a terminal is needed", code, stderr.String(), exitLocal)
	}
}

func TestRegister_BadFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"register", "extra"}, &stdout, &stderr); code != exitLocal {
		t.Errorf("an extra argument: exit %d, want %d", code, exitLocal)
	}
	stderr.Reset()
	cfgPath := filepath.Join(t.TempDir(), "posterm.toml")
	if err := os.WriteFile(cfgPath, []byte("[gateway]\nurl = \"http://127.0.0.1:1/\"\nbusi_id = \"0010000001\"\nsecret = \"x\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code := run([]string{"register", "--lan", "--config", cfgPath}, &stdout, &stderr); code != exitLocal ||
		!strings.Contains(stderr.String(), "--demo") {
		t.Errorf("--lan without --demo: exit %d, stderr %q; want a refusal naming --demo", code, stderr.String())
	}
}

func TestLanSandbox(t *testing.T) {
	cfg := config.Demo(t.TempDir())
	if err := lanSandbox(&cfg, func() (string, error) { return "192.168.1.20", nil }); err != nil {
		t.Fatal(err)
	}
	if cfg.Sandbox.Listen != "0.0.0.0:8089" || cfg.Sandbox.PublicURL != "http://192.168.1.20:8089" {
		t.Errorf("listen %q, public %q; want 0.0.0.0:8089 and the LAN address", cfg.Sandbox.Listen, cfg.Sandbox.PublicURL)
	}
	cfg = config.Demo(t.TempDir())
	cfg.Sandbox.Listen, cfg.Sandbox.PublicURL = "127.0.0.1:9000", "http://shop.lan:9000"
	if err := lanSandbox(&cfg, nil); err != nil || cfg.Sandbox.Listen != "0.0.0.0:9000" || cfg.Sandbox.PublicURL != "http://shop.lan:9000" {
		t.Errorf("configured port and URL not kept: %q %q (%v)", cfg.Sandbox.Listen, cfg.Sandbox.PublicURL, err)
	}
}

func TestPrinterStatus(t *testing.T) {
	for _, tt := range []struct {
		s    printer.Status
		err  string
		want ui.PrinterStatus
	}{
		{printer.Status{}, "", ui.PrinterUnknown},
		{printer.Status{}, "dial tcp: refused", ui.PrinterUnreachable},
		{printer.Status{Known: true, Online: true}, "", ui.PrinterOK},
		{printer.Status{Known: true, Online: true, PaperOut: true}, "", ui.PrinterPaperOut},
		{printer.Status{Known: true, Online: true, CoverOpen: true}, "", ui.PrinterCoverOpen},
		{printer.Status{Known: true}, "", ui.PrinterOffline},
		{printer.Status{Known: true, Online: true, PaperNearEnd: true}, "", ui.PrinterPaperLow},
	} {
		if got := printerStatus(tt.s, tt.err); got != tt.want {
			t.Errorf("printerStatus(%+v, %q) = %d, want %d", tt.s, tt.err, got, tt.want)
		}
	}
}

func TestSerialConfigFrom(t *testing.T) {
	s := config.Default().Scanner
	s.Port, s.Terminator = "/dev/ttyACM0", "CRLF"
	c, err := serialConfigFrom(s)
	if err != nil || c.Port != "/dev/ttyACM0" || c.Terminator != device.TerminatorCRLF || c.Baud != 9600 {
		t.Errorf("got %+v, %v", c, err)
	}
	s.Terminator = "semicolon"
	if _, err := serialConfigFrom(s); err == nil || !strings.Contains(err.Error(), "scanner.terminator") {
		t.Errorf("a bad terminator: %v, want an error naming scanner.terminator", err)
	}
}

// TestRegisterDeps_Demo builds the register's dependencies from a demo app
// on the embedded sandbox and uses each one as the screen would.
func TestRegisterDeps_Demo(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Demo(dir)
	cfg.Sandbox.TimeScale = 0.01
	cfg.UI.Lang = "en"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := newApp(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	a.start()
	d, err := registerDeps(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if d.Demo == nil || len(d.Demo.Users) != 3 || d.Demo.SandboxURL == "" || d.Printer == nil || d.Reprint == nil ||
		d.ReceiptQueued == nil || d.ReconcileNow == nil || d.Register != "POS-01" || d.Lang != "en" {
		t.Fatalf("demo deps incomplete: %+v", d)
	}
	roles := map[string]ui.DemoRole{}
	for _, u := range d.Demo.Users {
		roles[u.Login] = u.Role
	}
	if roles["cashier01"] != ui.DemoCashier || roles["manager01"] != ui.DemoManager || roles["disabled01"] != ui.DemoDisabled {
		t.Errorf("demo roles %v", roles)
	}
	for _, c := range d.Demo.Codes {
		if !device.Classify(c.Code).Payable() || pos.ValidWalletCode(c.Code) != nil {
			t.Errorf("demo code %s is not a payment code", c.Code)
		}
	}

	cashier, err := d.Checkout.Login(ctx, "cashier01", "1234")
	if err != nil {
		t.Fatal(err)
	}
	tx, err := d.Checkout.PayByCode(ctx, pos.PayInput{Cashier: cashier, Amount: 15800, Code: demoCodes[0].Code})
	if err != nil || tx.State != pos.StatePaid {
		t.Fatalf("demo pay: %s, %v", tx.State, err)
	}
	text, err := d.ReceiptText(ctx, tx.ChargeCode)
	if err != nil || !strings.Contains(text, "DEMO") || !strings.Contains(text, string(tx.ChargeCode)) {
		t.Fatalf("receipt preview %q, %v: want the decoded demo receipt", text, err)
	}

	// A reprint reaches the printer (the demo's file) marked as such.
	if err := d.Reprint(ctx, tx.ChargeCode); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	printed := 0
	for printed < 2 { // the sale's receipt (woken) and the reprint
		d.ReceiptQueued()
		select {
		case ev := <-d.Printer:
			if ev.Kind == ui.PrinterPrinted && ev.ChargeCode == tx.ChargeCode {
				printed++
			}
		case <-deadline:
			t.Fatalf("only %d receipts printed for %s", printed, tx.ChargeCode)
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, "receipts-demo.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if out := printer.DecodeText(raw, 32); !strings.Contains(out, "REPRINT") {
		t.Errorf("the printed reprint is not marked:\n%s", out)
	}

	// The demo key plays the customer paying a QR.
	qr, err := d.Checkout.Precreate(ctx, pos.PrecreateInput{Cashier: cashier, Amount: 800, Channel: pos.ChannelAlipay})
	if err != nil || qr.BarCode == "" {
		t.Fatalf("precreate: %+v, %v", qr, err)
	}
	if err := d.Demo.CustomerPays(ctx, qr.BarCode); err != nil {
		t.Fatal(err)
	}
	rep, err := d.Gateway.Query(ctx, qr.ChargeCode)
	if err != nil || !rep.HasState || rep.State != pos.RemotePaid {
		t.Errorf("after the customer paid the gateway says %+v, %v", rep, err)
	}
	if err := d.Demo.CustomerPays(ctx, qr.BarCode); err == nil {
		t.Error("paying the same QR twice succeeded")
	}
}
