package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"posterm/printer"
	"posterm/printer/printertest"
)

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestPrintTest_File(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.bin")
	code, out, errs := runCmd(t, "print-test", "--transport", "file:"+path)
	if code != exitDone {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	for _, want := range []string{"printer status: unknown", "PRINT TEST", "中文：收款成功 ￥158.00",
		"Charset gb18030", "[QR: posterm print-test]", "----- cut -----", "12345678901234567890123456789012"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte{0x1b, 0x40, 0x1c, 0x26}) || !bytes.HasSuffix(b, []byte{0x1d, 0x56, 0x01}) {
		t.Errorf("file does not hold one ESC/POS page: % x … % x", b[:4], b[len(b)-3:])
	}
}

func TestPrintTest_CodePageRaster80(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.bin")
	code, out, errs := runCmd(t, "print-test", "--transport", "file:"+path, "--width", "80",
		"--charset", "cp437", "--qr", "raster", "--cut", "full", "--drawer")
	if code != exitDone {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	for _, want := range []string{"Paper 80 mm, 48 columns", "Charset cp437 (ESC t 0)", "ÇüéâäàåçêëèïîìÄÅ",
		"[RASTER QR]", "[DRAWER]", strings.Repeat("1234567890", 4) + "12345678"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
}

func TestPrintTest_TCP(t *testing.T) {
	fp := printertest.NewTCPPrinter(t)
	code, out, errs := runCmd(t, "print-test", "--transport", "tcp:"+fp.Target.Addr)
	if code != exitDone {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	if !strings.Contains(out, "printer status: ok") || !strings.Contains(out, "printed a test page") {
		t.Errorf("stdout = %q, want the status and printed", out)
	}
	got := fp.WaitPrinted(t, 5*time.Second, func(b []byte) bool { return bytes.HasSuffix(b, []byte{0x1d, 0x56, 0x01}) })
	if txt := printer.DecodeText(got, 32); !strings.Contains(txt, "PRINT TEST") {
		t.Errorf("printer got:\n%s", txt)
	}
}

// TestPrintTest_NeverAnswers: a printer that takes the page but never
// answers the status request is reported "sent — not confirmed", never
// printed; one that never reads at all, the same.
func TestPrintTest_NeverAnswers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(*printertest.TCPPrinter)
	}{
		{"silent", func(p *printertest.TCPPrinter) { p.Silent(true) }},
		{"never reads", func(p *printertest.TCPPrinter) { p.StallAfter(0) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fp := printertest.NewTCPPrinter(t)
			tc.setup(fp)
			code, out, errs := runCmd(t, "print-test", "--transport", "tcp:"+fp.Target.Addr, "--confirm", "300ms")
			if code != exitDone {
				t.Fatalf("exit %d, stderr %q", code, errs)
			}
			if !strings.Contains(out, "sent — not confirmed") || strings.Contains(out, "printed a test page") {
				t.Errorf("stdout = %q, want sent — not confirmed", out)
			}
		})
	}
}

func TestPrintTest_PaperOut(t *testing.T) {
	fp := printertest.NewTCPPrinter(t)
	fp.SetStatus(printer.Status{Known: true, PaperOut: true})
	code, _, errs := runCmd(t, "print-test", "--transport", "tcp:"+fp.Target.Addr)
	if code != exitLocal || !strings.Contains(errs, "paper out") {
		t.Errorf("exit %d, stderr %q; want 1 and paper out", code, errs)
	}
	time.Sleep(50 * time.Millisecond)
	if n := len(fp.Printed()); n != 0 {
		t.Errorf("%d bytes printed with the paper out", n)
	}
}

func TestPrintTest_BadFlags(t *testing.T) {
	tests := [][]string{
		{"--transport", "usb:/x"},
		{"--width", "76"},
		{"--charset", "utf8"},
		{"--qr", "pdf417"},
		{"--cut", "half"},
		{"--nope"},
		{"extra"},
	}
	for _, args := range tests {
		code, _, errs := runCmd(t, append([]string{"print-test"}, args...)...)
		if code != exitLocal || errs == "" {
			t.Errorf("print-test %v: exit %d stderr %q; want 1 with a message", args, code, errs)
		}
	}
	if code, _, _ := runCmd(t, "print-test", "-h"); code != exitDone {
		t.Errorf("-h exit %d", code)
	}
}

func TestPrintTest_DefaultsFromConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.bin")
	cfgPath := filepath.Join(dir, "config.toml")
	body := "[sandbox]\nenabled = true\n[printer]\ntransport = \"file:" + path + "\"\nwidth = 80\ncharset = \"cp437\"\ncut = \"full\"\n"
	if err := os.WriteFile(cfgPath, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCmd(t, "print-test", "--config", cfgPath)
	if code != exitDone {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
	for _, want := range []string{"Paper 80 mm, 48 columns", "Charset cp437", "to file:" + path} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the configured transport was not used: %v", err)
	}

	os.WriteFile(cfgPath, []byte("[printer]\nwidht = 80\n"), 0o600)
	code, _, errs = runCmd(t, "print-test", "--config="+cfgPath)
	if code != exitLocal || !strings.Contains(errs, "config.toml:2: printer.widht: unknown key (did you mean printer.width?)") {
		t.Errorf("bad config: exit %d, stderr %q", code, errs)
	}
}
