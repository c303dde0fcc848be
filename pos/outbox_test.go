package pos_test

import (
	"strings"
	"testing"

	"posterm/pos"
)

func TestTillOfCharge(t *testing.T) {
	tests := []struct {
		code string
		till string
		ok   bool
	}{
		{"POS01K7Q22603140926530001", "K7Q2", true},
		{"AK7Q22603140926530001", "K7Q2", true},
		{"POS01XPK7Q22603140926530001", "K7Q2", true}, // a longer register id
		{"K7Q22603140926530001", "", false},           // no register id
		{"POS01k7q22603140926530001", "", false},      // lower case is no till
		{"POS01K7Q2260314092653000X", "", false},
		{"POS01-20260314-0001", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		till, ok := pos.TillOfCharge(pos.ChargeCode(tt.code))
		if till != tt.till || ok != tt.ok {
			t.Errorf("TillOfCharge(%q) = %q, %v; want %q, %v", tt.code, till, ok, tt.till, tt.ok)
		}
	}
}

// Codes the generator issues carry the till they were issued for.
func TestTillOfCharge_RoundTrip(t *testing.T) {
	for _, reg := range []string{"POS01", "A", "ABCDEFGHIJKL"} {
		code := pos.ChargeCode(reg + "Z9Z9" + "260314092653" + "0042")
		if till, ok := pos.TillOfCharge(code); !ok || till != "Z9Z9" {
			t.Errorf("%s: %q %v", code, till, ok)
		}
	}
}

func FuzzTillOfCharge(f *testing.F) {
	for _, s := range []string{"POS01K7Q22603140926530001", "A0000000000000000000", "", "POS01K7Q2260314092653000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		till, ok := pos.TillOfCharge(pos.ChargeCode(s))
		if !ok {
			if till != "" {
				t.Fatalf("%q: not ok but till %q", s, till)
			}
			return
		}
		if pos.ValidTillID(till) != nil || len(s) > pos.MaxChargeCodeLen || !strings.Contains(s, till) {
			t.Fatalf("%q: till %q", s, till)
		}
	})
}
