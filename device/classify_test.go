package device_test

import (
	"strings"
	"testing"

	"posterm/device"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name   string
		code   string
		kind   device.Kind
		reason device.Reason
	}{
		{"alipay sandbox 18 digits prefix 28", "281234567890123456", device.KindAlipay, device.ReasonNone},
		{"alipay 16 digits prefix 25", "2512345678901234", device.KindAlipay, device.ReasonNone},
		{"alipay 24 digits prefix 30", "301234567890123456789012", device.KindAlipay, device.ReasonNone},
		{"alipay with surrounding spaces", " 286123456789012345 ", device.KindAlipay, device.ReasonNone},
		{"wechat sandbox 18 digits prefix 13", "134567890123456789", device.KindWeChat, device.ReasonNone},
		{"wechat prefix 10", "101234567890123456", device.KindWeChat, device.ReasonNone},
		{"wechat prefix 15", "151234567890123456", device.KindWeChat, device.ReasonNone},
		{"unionpay 19 digits prefix 62", "6223456789012345678", device.KindUnionPay, device.ReasonNone},
		{"prefix 13 but 17 digits", "13456789012345678", device.KindUnknown, device.ReasonUnrecognised},
		{"prefix 62 but 18 digits", "622345678901234567", device.KindUnknown, device.ReasonUnrecognised},
		{"prefix 31", "311234567890123456", device.KindUnknown, device.ReasonUnrecognised},
		{"prefix 18 (another wallet)", "181234567890123456", device.KindUnknown, device.ReasonUnrecognised},
		{"EAN-13", "6901234567892", device.KindRefused, device.ReasonProductEAN13},
		{"EAN-13 bad check digit", "6901234567891", device.KindRefused, device.ReasonTooShort},
		{"ISBN 978", "9787111544937", device.KindRefused, device.ReasonProductISBN},
		{"ISBN 979", "9791000000008", device.KindRefused, device.ReasonProductISBN},
		{"EAN-8", "96385074", device.KindRefused, device.ReasonProductEAN8},
		{"UPC-A", "036000291452", device.KindRefused, device.ReasonProductUPC},
		{"GTIN-14", "10012345678902", device.KindRefused, device.ReasonProductGTIN14},
		{"too short", "12345", device.KindRefused, device.ReasonTooShort},
		{"15 digits", "281234567890123", device.KindRefused, device.ReasonTooShort},
		{"too long", "2812345678901234567890123", device.KindRefused, device.ReasonTooLong},
		{"URL", "https://qr.alipay.com/bax01234", device.KindRefused, device.ReasonNotDigits},
		{"text", "ABC-123", device.KindRefused, device.ReasonNotDigits},
		{"digits with a dash", "2812-3456-7890-1234", device.KindRefused, device.ReasonNotDigits},
		{"full-width digits", "２８１２３４５６７８９０１２３４５６", device.KindRefused, device.ReasonNotDigits},
		{"empty", "", device.KindRefused, device.ReasonEmpty},
		{"blank", "  ", device.KindRefused, device.ReasonEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := device.Classify(tt.code)
			if got.Kind != tt.kind || got.Reason != tt.reason {
				t.Errorf("Classify(%q) = {%v %q}, want {%v %q}", tt.code, got.Kind, got.Reason, tt.kind, tt.reason)
			}
			if got.Payable() == (tt.kind == device.KindRefused) {
				t.Errorf("Payable() = %v for kind %v", got.Payable(), got.Kind)
			}
		})
	}
}

func TestReason_Text(t *testing.T) {
	reasons := []device.Reason{
		device.ReasonEmpty, device.ReasonNotDigits, device.ReasonTooShort, device.ReasonTooLong,
		device.ReasonProductEAN13, device.ReasonProductEAN8, device.ReasonProductUPC,
		device.ReasonProductISBN, device.ReasonProductGTIN14, device.ReasonUnrecognised,
	}
	for _, r := range reasons {
		en, zh := r.Text("en"), r.Text("zh-CN")
		if en == "" || zh == "" || en == zh || en == string(r) {
			t.Errorf("%q: en %q, zh %q; want two different sentences", r, en, zh)
		}
		if strings.ContainsAny(zh, "abcdefghijklmnopqrstuvwxyz") {
			t.Errorf("%q: zh text %q has Latin letters", r, zh)
		}
	}
	if got := device.ReasonNone.Text("en"); got != "" {
		t.Errorf("ReasonNone.Text = %q, want empty", got)
	}
	for _, k := range []device.Kind{device.KindUnknown, device.KindAlipay, device.KindWeChat, device.KindUnionPay, device.KindRefused} {
		if k.Text("zh") == k.Text("en") || k.String() == "" {
			t.Errorf("kind %v: zh %q, en %q", k, k.Text("zh"), k.Text("en"))
		}
	}
}

func TestMaskCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"281234567890123456", "2812**********3456"},
		{"12345678", "******78"},
		{"12", "**"},
		{"", ""},
		{"支付宝付款码一二三四五", "支付宝付***二三四五"},
	}
	for _, tt := range tests {
		if got := device.MaskCode(tt.in); got != tt.want {
			t.Errorf("MaskCode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func BenchmarkClassify(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		device.Classify("281234567890123456")
	}
}
