package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"posterm/config"
	"posterm/pos"
	"posterm/printer"
)

// TestApp_DemoPaysAndPrints wires the whole app on the embedded sandbox
// (the demo profile): a payment's receipt, queued by the journal with the
// payment, is printed by the spooler that start runs, marked as a demo.
func TestApp_DemoPaysAndPrints(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Demo(dir)
	cfg.Sandbox.StateFile = ""
	cfg.Sandbox.TimeScale = testScale
	cfg.UI.Lang = "en"
	cfg.Printer.MerchantCopies = 1
	a, err := newApp(context.Background(), cfg, discardLog)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.sandbox == nil || a.register != "POS01" || a.notify != nil || a.spooler == nil {
		t.Fatalf("app: sandbox %v register %q notify %v spooler %v", a.sandbox != nil, a.register, a.notify != nil, a.spooler != nil)
	}
	cashier, err := a.checkout.Login(context.Background(), "cashier01", "1234")
	if err != nil {
		t.Fatal(err)
	}
	tx, err := a.checkout.PayByCode(context.Background(), pos.PayInput{Cashier: cashier, Amount: 1234, Code: walletCode("28", "00")})
	if err != nil || tx.State != pos.StatePaid {
		t.Fatalf("pay: %s %v", tx.State, err)
	}
	a.start()
	a.spooler.Wake()
	deadline := time.Now().Add(10 * time.Second)
	for {
		jobs, err := a.journal.Pending(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("receipt not printed: %+v", jobs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	b, err := os.ReadFile(filepath.Join(dir, "receipts-demo.bin"))
	if err != nil {
		t.Fatal(err)
	}
	text := printer.DecodeText(b, 32)
	for _, want := range []string{"DEMO", "PAYMENT RECEIPT", "CUSTOMER COPY", "MERCHANT COPY", string(tx.ChargeCode), "12.34", "cashier01", "Demo Store"} {
		if !strings.Contains(text, want) {
			t.Errorf("receipt lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Alipay") == false && strings.Contains(text, "支付宝") == false {
		t.Errorf("receipt names no channel:\n%s", text)
	}
	if err := a.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
}

func TestRegisterPrefix(t *testing.T) {
	for _, tt := range []struct {
		dev, reg, want string
		ok             bool
	}{
		{"POS-01", "", "POS01", true},
		{"", "Store-7", "Store7", true},
		{"till 3", "S1", "till3", true},
		{"", "", "", false},
		{"---", "", "", false},
		{"REGISTER-NUMBER-0001", "", "", false}, // 18 > 12: never truncated
	} {
		got, err := registerPrefix(config.Register{DevID: tt.dev, RegisterID: tt.reg})
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("registerPrefix(%q, %q) = %q, %v; want %q, ok %v", tt.dev, tt.reg, got, err, tt.want, tt.ok)
		}
	}
}

func TestLangAndPrinterTarget(t *testing.T) {
	t.Setenv("LC_ALL", "")
	t.Setenv("LC_MESSAGES", "")
	t.Setenv("LANG", "en_US.UTF-8")
	if got := langFrom(""); got != printer.LangEN {
		t.Errorf("LANG=en_US: %q", got)
	}
	t.Setenv("LANG", "zh_CN.UTF-8")
	if got := langFrom(""); got != printer.LangZH {
		t.Errorf("LANG=zh_CN: %q", got)
	}
	if got := langFrom("en"); got != printer.LangEN {
		t.Errorf("[ui] lang en: %q", got)
	}
	tg, o, err := printerTarget("serial:/dev/ttyUSB0@115200", time.Second)
	if err != nil || tg.Kind != "serial" || tg.Addr != "/dev/ttyUSB0" || o.Baud != 115200 || o.WriteTimeout != time.Second {
		t.Errorf("serial@baud: %+v %+v %v", tg, o, err)
	}
	if _, _, err := printerTarget("serial:/dev/ttyUSB0@fast", 0); err == nil {
		t.Error("a bad baud rate was taken")
	}
}
