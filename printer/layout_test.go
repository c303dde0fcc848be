package printer_test

import (
	"bytes"
	"image"
	"image/color"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"

	"posterm/pos"
	"posterm/printer"
)

// TestLayout_RasterQRScans: the raster fallback is a QR code a scanner
// reads back as the charge code (gozxing, pure Go).
func TestLayout_RasterQRScans(t *testing.T) {
	for _, paper := range []int{58, 80} {
		b := must(printer.Layout{Profile: printer.Profile{Paper: paper, QR: printer.QRRaster}, QR: true}.Receipt(saleReceipt()))
		img := rasterImage(t, b)
		bmp, err := gozxing.NewBinaryBitmapFromImage(img)
		if err != nil {
			t.Fatal(err)
		}
		res, err := gzqr.NewQRCodeReader().Decode(bmp, nil)
		if err != nil {
			t.Fatalf("%d mm: raster QR does not scan: %v", paper, err)
		}
		if got := res.GetText(); got != saleReceipt().ChargeCode {
			t.Errorf("%d mm: QR reads %q, want the charge code", paper, got)
		}
	}
}

// rasterImage extracts the first GS v 0 image of an ESC/POS stream.
func rasterImage(t *testing.T, b []byte) image.Image {
	t.Helper()
	i := bytes.Index(b, []byte{0x1d, 0x76, 0x30, 0x00})
	if i < 0 || i+8 > len(b) {
		t.Fatal("no raster image")
	}
	bw, h := int(b[i+4])|int(b[i+5])<<8, int(b[i+6])|int(b[i+7])<<8
	data := b[i+8 : i+8+bw*h]
	img := image.NewGray(image.Rect(0, 0, bw*8, h))
	for y := range h {
		for x := range bw * 8 {
			c := color.Gray{Y: 255}
			if data[y*bw+x/8]&(0x80>>(x%8)) != 0 {
				c = color.Gray{Y: 0}
			}
			img.SetGray(x, y, c)
		}
	}
	return img
}

// TestLayout_PaymentCodeNeverWhole: however the caller passes it, no more
// than 4+4 characters of a payment code reach the paper.
func TestLayout_PaymentCodeNeverWhole(t *testing.T) {
	r := saleReceipt()
	for _, code := range []string{"281234567890123456", "134567890123456789", "6212345678901234567"} {
		r.PaymentCode = code
		for _, k := range []printer.Kind{printer.KindSale, printer.KindRefund, printer.KindRevoke} {
			r.Kind = k
			out := printer.DecodeText(must(printer.Layout{}.Receipt(r)), 32)
			if strings.Contains(out, code[4:len(code)-4]) {
				t.Errorf("%s slip shows the middle of %s:\n%s", k, code, out)
			}
			if !strings.Contains(out, code[:4]+"****"+code[len(code)-4:]) {
				t.Errorf("%s slip lacks the masked code", k)
			}
		}
	}
}

// TestLayout_NoInjection: text fields cannot carry printer commands (a
// cut, a drawer pulse) into the stream.
func TestLayout_NoInjection(t *testing.T) {
	r := saleReceipt()
	r.Merchant = "Shop\x1bp\x00\x19\xfa\x1dV\x01"
	r.Cashier = "\x10\x14\x01\x00\x05Eve"
	out := printer.DecodeText(must(printer.Layout{}.Receipt(r)), 32)
	if strings.Contains(out, "[DRAWER]") || strings.Count(out, "----- cut -----") != 1 {
		t.Errorf("commands leaked from text fields:\n%s", out)
	}
}

func TestLayout_CopiesAndDrawer(t *testing.T) {
	l := printer.Layout{Copies: []printer.Copy{printer.CopyCustomer, printer.CopyMerchant, printer.CopyMerchant}, Drawer: true}
	cash := saleReceipt()
	cash.Cash = true
	out := printer.DecodeText(must(l.Receipt(cash)), 32)
	if n := strings.Count(out, "----- cut -----"); n != 3 {
		t.Errorf("%d cuts, want 3 copies", n)
	}
	if strings.Count(out, "顾客联") != 1 || strings.Count(out, "商户联") != 2 {
		t.Errorf("copy labels wrong:\n%s", out)
	}
	if strings.Count(out, "[DRAWER]") != 1 || !strings.HasPrefix(out, "[DRAWER]") {
		t.Errorf("want one drawer pulse before the first copy")
	}
}

// TestLayout_DrawerOnlyForCash: the drawer kick (ESC p 0, golden bytes)
// is in exactly the receipts that should open the drawer: the first print
// of a cash sale or of a cash refund slip. Never a wallet sale (printed at
// once or late), a reprint, a wallet refund or a revoke slip, or with the
// drawer off.
func TestLayout_DrawerOnlyForCash(t *testing.T) {
	kick := []byte{0x1b, 'p', 0, 25, 250} // ESC p m t1 t2: 50 ms on, 500 ms off
	h := printer.Header{Merchant: "M", Register: "R1", Zone: time.UTC}
	tx := pos.Transaction{ChargeCode: "C1", Amount: 100, State: pos.StatePaid, PaidAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	job := func(kind pos.ReceiptKind, cash, reprint bool) printer.Job {
		rec := pos.Receipt{Kind: kind, Transaction: tx, Cash: cash}
		if kind == pos.ReceiptRefund {
			rec.Refund = &pos.Refund{OutRefundNo: "R1", Amount: 50, State: pos.RefundDone}
		}
		return printer.Job{Kind: kind, ChargeCode: "C1", Receipt: &rec, Reprint: reprint}
	}
	tests := []struct {
		name   string
		drawer bool
		job    printer.Job
		want   bool
	}{
		{"cash sale, first print", true, job(pos.ReceiptSale, true, false), true},
		{"cash sale, drawer off", false, job(pos.ReceiptSale, true, false), false},
		{"cash sale reprint", true, job(pos.ReceiptSale, true, true), false},
		{"wallet sale", true, job(pos.ReceiptSale, false, false), false},
		{"wallet sale printed late", true, func() printer.Job {
			j := job(pos.ReceiptSale, false, false)
			j.Created = tx.PaidAt.Add(time.Hour)
			return j
		}(), false},
		{"wallet refund slip", true, job(pos.ReceiptRefund, false, false), false},
		{"cash refund slip, first print", true, job(pos.ReceiptRefund, true, false), true},
		{"cash refund slip reprint", true, job(pos.ReceiptRefund, true, true), false},
		{"cash refund slip, drawer off", false, job(pos.ReceiptRefund, true, false), false},
		{"revoke slip", true, job(pos.ReceiptRevoke, true, false), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := printer.Layout{Copies: printer.Copies(1, 1), Drawer: tc.drawer}
			b := must(l.RenderJob(h, tc.job))
			n := bytes.Count(b, kick)
			if tc.want {
				if n != 1 || !bytes.HasPrefix(b, kick) {
					t.Errorf("drawer kicks = %d, want exactly one, first; head % x", n, b[:min(len(b), 12)])
				}
			} else if n != 0 || bytes.Contains(b, []byte{0x1b, 'p'}) {
				t.Errorf("drawer kicks = %d, want none", n)
			}
		})
	}
}

// TestLayout_Widths: no printed line is wider than the paper, for every
// layout, width, language and charset.
func TestLayout_Widths(t *testing.T) {
	for _, tc := range goldenCases() {
		b, err := tc.render(printer.Layout{Profile: tc.prof}, "")
		if err != nil {
			t.Fatal(err)
		}
		cols := tc.prof.Cols()
		for _, l := range (printer.Decoder{}).Lines(b) {
			if !l.Marker && l.Width > cols {
				t.Errorf("%s: line %q is %d columns on paper, max %d", tc.name, l.Text, l.Width, cols)
			}
		}
	}
}

func TestLayout_Markers(t *testing.T) {
	r := saleReceipt()
	r.Reprint, r.Demo, r.Lang = true, true, printer.LangEN
	out := printer.DecodeText(must(printer.Layout{}.Receipt(r)), 32)
	for _, want := range []string{"*** REPRINT ***", "*** DEMO ***", "NOT A REAL PAYMENT"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q:\n%s", want, out)
		}
	}
	r.Lang = printer.LangZH
	out = printer.DecodeText(must(printer.Layout{}.Receipt(r)), 32)
	for _, want := range []string{"重印", "演示", "NOT A REAL PAYMENT"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q:\n%s", want, out)
		}
	}
}

func TestProfile_Validate(t *testing.T) {
	bad := []printer.Profile{{Paper: 76}, {Columns: 8}, {Charset: "utf8"}, {QR: "pdf"}, {QRModule: 20}, {QRLevel: 'X'}}
	for _, p := range bad {
		if err := p.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", p)
		}
	}
	if err := (printer.Profile{Paper: 80, Charset: printer.CP858, QR: printer.QRRaster}).Validate(); err != nil {
		t.Errorf("good profile: %v", err)
	}
}

func TestCopies(t *testing.T) {
	got := printer.Copies(1, 2)
	want := []printer.Copy{printer.CopyCustomer, printer.CopyMerchant, printer.CopyMerchant}
	if !slices.Equal(got, want) {
		t.Errorf("Copies(1, 2) = %v", got)
	}
	if got := printer.Copies(0, 0); !slices.Equal(got, []printer.Copy{printer.CopyCustomer}) {
		t.Errorf("Copies(0, 0) = %v", got)
	}
}

// TestShiftReport_WideAmounts: on 58 and 80 mm paper, in both languages,
// a 12-character amount and a 4-digit count stay apart (issue 11: they
// fused on 58 mm).
func TestShiftReport_WideAmounts(t *testing.T) {
	big := pos.Money(-9999999999) // "-99999999.99": 12 characters
	for _, paper := range []int{58, 80} {
		for _, lang := range []printer.Lang{printer.LangZH, printer.LangEN} {
			l := printer.Layout{Profile: printer.Profile{Paper: paper}}
			r := printer.ShiftReport{Shift: "S1", Lang: lang,
				Channels: []printer.ChannelTotal{{ChannelType: "1", Total: printer.Total{Count: 9999, Amount: -big}}},
				Sales:    printer.Total{Count: 9999, Amount: -big}, Refunds: printer.Total{Count: 9999, Amount: -big},
				Revokes: printer.Total{Count: 9999, Amount: -big}, Net: big}
			text := printer.DecodeText(must(l.ShiftReport(r)), l.Profile.Cols())
			n := 0
			for _, ln := range strings.Split(text, "\n") {
				if strings.Contains(ln, "99999999.99") && !strings.Contains(ln, "￥") { // the net line has no count
					n++
					if !strings.Contains(ln, "9999 ") || strings.Contains(ln, "999999999999") {
						t.Errorf("%d mm %s: count and amount fused: %q", paper, lang, ln)
					}
					if printer.TextWidth(ln) > l.Profile.Cols() {
						t.Errorf("%d mm %s: line wider than the paper: %q", paper, lang, ln)
					}
				}
			}
			if n < 4 {
				t.Errorf("%d mm %s: %d amount lines, want at least 4:\n%s", paper, lang, n, text)
			}
		}
	}
}

// TestLayout_CashReceipt: a cash sale prints its channel as cash and the
// cash tendered and the change under the total, in both languages.
func TestLayout_CashReceipt(t *testing.T) {
	h := printer.Header{Merchant: "M", Register: "R1", Zone: time.UTC}
	tx := pos.Transaction{ChargeCode: "C1", Kind: pos.KindCash, Amount: 1250, Tendered: 5000, State: pos.StatePaid,
		PaidAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	for _, tc := range []struct {
		lang printer.Lang
		want []string
	}{
		{printer.LangZH, []string{"现金", "实收", "50.00", "找零", "37.50"}},
		{printer.LangEN, []string{"Cash", "Tendered", "50.00", "Change", "37.50"}},
	} {
		h.Lang = tc.lang
		l := printer.Layout{Copies: printer.Copies(1, 0), Drawer: true}
		b := must(l.RenderJob(h, printer.Job{Kind: pos.ReceiptSale, ChargeCode: "C1",
			Receipt: &pos.Receipt{Kind: pos.ReceiptSale, Transaction: tx, Cash: true}}))
		out := printer.DecodeText(b, l.Profile.Cols())
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: %q missing from\n%s", tc.lang, w, out)
			}
		}
	}
}
