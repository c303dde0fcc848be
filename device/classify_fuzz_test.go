package device_test

import (
	"strings"
	"testing"

	"posterm/device"
)

// FuzzClassify: whatever a scanner (or a person) sends, Classify never
// panics, only a string of 16–24 ASCII digits may be sent to the gateway,
// a refusal always has a reason the cashier can read in both languages,
// and surrounding spaces change nothing.
func FuzzClassify(f *testing.F) {
	for _, s := range []string{
		"281234567890123456", "2512345678901234", "301234567890123456789012", " 286123456789012345 ",
		"134567890123456789", "6223456789012345678", "13456789012345678", "6901234567892", "9787111234563",
		"96385074", "036000291452", "10012345678902", "https://qr.alipay.com/fkx12345", "", "   ",
		"2812345", "1234567890123456789012345", "٢٨١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦", "\x1b[32m281234567890123456", "28123456789012345\u0660",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		c := device.Classify(code)
		if c.Payable() != (c.Kind != device.KindRefused) {
			t.Fatalf("%q: Payable %v for kind %v", code, c.Payable(), c.Kind)
		}
		trimmed := strings.TrimSpace(code)
		if c.Payable() {
			if n := len(trimmed); n < 16 || n > 24 {
				t.Fatalf("%q: payable with %d bytes", code, n)
			}
			for i := 0; i < len(trimmed); i++ {
				if trimmed[i] < '0' || trimmed[i] > '9' {
					t.Fatalf("%q: payable with a non-digit %q", code, trimmed[i])
				}
			}
		} else if c.Reason == device.ReasonNone || c.Reason.Text("zh-CN") == "" || c.Reason.Text("en") == "" {
			t.Fatalf("%q: refused without a readable reason (%q)", code, c.Reason)
		}
		if c.Kind.String() == "" || c.Kind.Text("en") == "" {
			t.Fatalf("%q: kind %d has no name", code, c.Kind)
		}
		if again := device.Classify(" " + trimmed + "\t"); again != c {
			t.Fatalf("%q: %+v, with spaces around %+v", code, c, again)
		}
	})
}
