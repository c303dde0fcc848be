package printer_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"posterm/pos"
	"posterm/printer"
)

var update = flag.Bool("update", false, "rewrite testdata/*.bin and *.txt golden files")

var cst = time.FixedZone("CST", 8*3600)

func saleReceipt() printer.Receipt {
	return printer.Receipt{
		Merchant:       "上海市徐汇区好又多连锁超市有限公司",
		Store:          "人民路店",
		Register:       "POS-01",
		Cashier:        "张三 (1001)",
		Time:           time.Date(2026, 3, 14, 15, 4, 5, 0, cst),
		ChargeCode:     "P20260314150405000123",
		ChargeDownCode: "SOSO2026031415040599887766554433",
		ChannelType:    "1",
		FundBills: []printer.FundBill{
			{FundChannel: "10", Amount: 15000},
			{FundChannel: "40", Amount: 800},
		},
		Amount: 15800,
		State:  "paid",
		// unmasked on purpose: the layout must mask it (2812****3456)
		PaymentCode: "281234567890123456",
	}
}

func refundSlip() printer.Receipt {
	r := saleReceipt()
	r.Kind = printer.KindRefund
	r.Time = time.Date(2026, 3, 14, 16, 30, 0, 0, cst)
	r.OutRefundNo = "R20260314163000000001"
	r.RefundAmount = 800
	r.Reason = "顾客退回一件商品，外包装破损，经理同意退款"
	r.Approver = "李经理 (2001)"
	r.State = "partially_refunded"
	r.FundBills = nil
	return r
}

func revokeSlip() printer.Receipt {
	r := saleReceipt()
	r.Kind = printer.KindRevoke
	r.Time = time.Date(2026, 3, 14, 15, 6, 0, 0, cst)
	r.Reason = "收银员操作失误"
	r.Approver = "李经理 (2001)"
	r.State = "revoked"
	r.FundBills = nil
	return r
}

func shiftReport() printer.ShiftReport {
	return printer.ShiftReport{
		Merchant: "上海市徐汇区好又多连锁超市有限公司",
		Store:    "人民路店",
		Register: "POS-01",
		Cashier:  "张三 (1001)",
		Shift:    "S-20260314-1",
		Final:    true,
		From:     time.Date(2026, 3, 14, 8, 0, 0, 0, cst),
		To:       time.Date(2026, 3, 14, 20, 0, 0, 0, cst),
		Printed:  time.Date(2026, 3, 14, 20, 0, 5, 0, cst),
		Channels: []printer.ChannelTotal{
			{ChannelType: "1", Total: printer.Total{Count: 12, Amount: 123400}},
			{ChannelType: "2", Total: printer.Total{Count: 3, Amount: 5600}},
			{ChannelType: "18", Total: printer.Total{Count: 1, Amount: 1000}},
		},
		Sales:     printer.Total{Count: 16, Amount: 130000},
		Refunds:   printer.Total{Count: 1, Amount: 800},
		Revokes:   printer.Total{Count: 1, Amount: 15800},
		Net:       pos.Money(113400),
		Unsettled: 1,
	}
}

type goldenCase struct {
	name   string
	render func(l printer.Layout, lang printer.Lang) ([]byte, error)
	prof   printer.Profile
}

func goldenCases() []goldenCase {
	both := []printer.Copy{printer.CopyCustomer, printer.CopyMerchant}
	layouts := []struct {
		name   string
		render func(l printer.Layout, lang printer.Lang) ([]byte, error)
	}{
		{"sale", func(l printer.Layout, lang printer.Lang) ([]byte, error) {
			r := saleReceipt()
			r.Lang = lang
			l.Copies, l.QR = both, true
			return l.Receipt(r)
		}},
		{"refund", func(l printer.Layout, lang printer.Lang) ([]byte, error) {
			r := refundSlip()
			r.Lang = lang
			l.Copies = both
			return l.Receipt(r)
		}},
		{"revoke", func(l printer.Layout, lang printer.Lang) ([]byte, error) {
			r := revokeSlip()
			r.Lang = lang
			l.Copies = both
			return l.Receipt(r)
		}},
		{"reprint", func(l printer.Layout, lang printer.Lang) ([]byte, error) {
			r := saleReceipt()
			r.Lang, r.Reprint, r.Copy = lang, true, printer.CopyCustomer
			l.QR = true
			return l.Receipt(r)
		}},
		{"demo", func(l printer.Layout, lang printer.Lang) ([]byte, error) {
			r := saleReceipt()
			r.Lang, r.Demo, r.Copy = lang, true, printer.CopyCustomer
			r.Merchant = "演示商户 Demo Shop"
			l.QR = true
			return l.Receipt(r)
		}},
		{"shift", func(l printer.Layout, lang printer.Lang) ([]byte, error) {
			s := shiftReport()
			s.Lang = lang
			return l.ShiftReport(s)
		}},
		{"z", func(l printer.Layout, lang printer.Lang) ([]byte, error) {
			s := shiftReport()
			s.Lang, s.Number, s.Shift = lang, 12, "POS-01-Z12"
			s.ByCashier = []printer.CashierTotal{{Cashier: "张三 (1001)", Total: printer.Total{Count: 15, Amount: 129000}},
				{Cashier: "cashier02", Total: printer.Total{Count: 1, Amount: 99999999999}}}
			s.Cash, s.CashExpect, s.CashCounted = true, 56000, 55850
			s.CarriedOver = []string{"POS01202603141955001234"}
			return l.ShiftReport(s)
		}},
	}
	var cases []goldenCase
	for _, lay := range layouts {
		for _, paper := range []int{printer.Paper58, printer.Paper80} {
			for _, lang := range []string{"zh", "en"} {
				cases = append(cases, goldenCase{
					name:   fmt.Sprintf("%s_%d_%s", lay.name, paper, lang),
					prof:   printer.Profile{Paper: paper},
					render: withLang(lay.render, lang),
				})
			}
		}
	}
	// A printer without Chinese fonts, a raster-only printer, a full cutter.
	cases = append(cases,
		goldenCase{name: "sale_58_zh_cp437", prof: printer.Profile{Paper: 58, Charset: printer.CP437}, render: withLang(layouts[0].render, "zh")},
		goldenCase{name: "sale_80_en_cp858", prof: printer.Profile{Paper: 80, Charset: printer.CP858}, render: withLang(layouts[0].render, "en")},
		goldenCase{name: "sale_58_zh_raster", prof: printer.Profile{Paper: 58, QR: printer.QRRaster, QRModule: 4}, render: withLang(layouts[0].render, "zh")},
		goldenCase{name: "refund_80_zh_fullcut", prof: printer.Profile{Paper: 80, FullCut: true, Charset: printer.GBK}, render: withLang(layouts[1].render, "zh")},
		goldenCase{name: "testpage_58_gb18030", prof: printer.Profile{Paper: 58}, render: testPage},
		goldenCase{name: "testpage_80_cp437", prof: printer.Profile{Paper: 80, Charset: printer.CP437, QR: printer.QRRaster}, render: testPage},
	)
	return cases
}

func testPage(l printer.Layout, _ printer.Lang) ([]byte, error) {
	return l.TestPage(time.Date(2026, 3, 14, 9, 0, 0, 0, cst))
}

func withLang(f func(printer.Layout, printer.Lang) ([]byte, error), lang string) func(printer.Layout, printer.Lang) ([]byte, error) {
	l := printer.LangZH
	if lang == "en" {
		l = printer.LangEN
	}
	return func(lay printer.Layout, _ printer.Lang) ([]byte, error) { return f(lay, l) }
}

// TestLayout_Golden renders every layout at both widths in both languages
// and compares the bytes with testdata/NAME.bin (go test -update rewrites).
func TestLayout_Golden(t *testing.T) {
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.render(printer.Layout{Profile: tc.prof}, "")
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			path := filepath.Join("testdata", tc.name+".bin")
			if *update {
				writeGolden(t, path, got)
				writeGolden(t, strings.TrimSuffix(path, ".bin")+".txt", []byte(printer.DecodeText(got, tc.prof.Cols())))
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden (run go test ./printer -update): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s: bytes differ from golden (%d bytes, want %d); decoded:\n%s",
					path, len(got), len(want), printer.DecodeText(got, tc.prof.Cols()))
			}
		})
	}
}

// TestDecode_Golden reads back every golden .bin with the decoder and
// compares with its .txt: the virtual printer shows what paper would.
func TestDecode_Golden(t *testing.T) {
	bins, err := filepath.Glob(filepath.Join("testdata", "*.bin"))
	if err != nil || len(bins) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, bin := range bins {
		name := strings.TrimSuffix(filepath.Base(bin), ".bin")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(bin)
			if err != nil {
				t.Fatal(err)
			}
			cols := 32
			if strings.Contains(name, "_80_") {
				cols = 48
			}
			got := printer.DecodeText(b, cols)
			txt := strings.TrimSuffix(bin, ".bin") + ".txt"
			if *update {
				writeGolden(t, txt, []byte(got))
				return
			}
			want, err := os.ReadFile(txt)
			if err != nil {
				t.Fatalf("read golden: %v", err)
			}
			if got != string(want) {
				t.Errorf("%s: decoded text differs:\ngot:\n%s\nwant:\n%s", txt, got, want)
			}
			for i, ln := range strings.Split(strings.TrimRight(got, "\n"), "\n") {
				if w := printer.TextWidth(ln); w > cols && !strings.HasPrefix(strings.TrimSpace(ln), "[") {
					t.Errorf("%s line %d is %d columns, paper has %d: %q", txt, i+1, w, cols, ln)
				}
			}
		})
	}
}

func writeGolden(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
