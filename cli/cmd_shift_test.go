package cli

import (
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
	for _, want := range []string{"班次报表", "支付宝", "微信支付", "￥5.00", "----- cut -----"} {
		if !strings.Contains(paper, want) || !strings.Contains(out, want) {
			t.Errorf("printed report lacks %q:\n%s", want, paper)
		}
	}
}
