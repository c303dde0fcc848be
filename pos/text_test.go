package pos

import "testing"

func TestCleanText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"insufficient balance", "insufficient balance"},
		{"余额不足", "余额不足"},
		{"\x1b[2J\x1b[32mpaid ¥100.00 (ok)\x1b[0m", "[2J[32mpaid ¥100.00 (ok)[0m"},
		{"a\tb\nc\r", "a b c "},
		{"\u009b31mred", "31mred"},
		{"x\u202eevil", "xevil"},
		{"bad\xffbyte", "badbyte"},
		{"\x07bell\x7f", "bell"},
	}
	for _, tt := range tests {
		if got := CleanText(tt.in); got != tt.want {
			t.Errorf("CleanText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzCleanText(f *testing.F) {
	f.Add("\x1b]0;title\x07hello")
	f.Add("余额\u009b不足")
	f.Fuzz(func(t *testing.T, s string) {
		out := CleanText(s)
		for _, r := range out {
			if r < 0x20 || (r >= 0x7f && r < 0xa0) || r == 0x1b {
				t.Fatalf("CleanText(%q) kept control %U", s, r)
			}
		}
		if CleanText(out) != out {
			t.Fatalf("CleanText not idempotent on %q", s)
		}
	})
}
