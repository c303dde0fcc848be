package pos_test

import (
	"errors"
	"math/big"
	"strings"
	"testing"

	"posterm/pos"
)

func TestParseYuan(t *testing.T) {
	tests := []struct {
		in   string
		want pos.Money
		ok   bool
	}{
		{"0", 0, true}, {"12", 1200, true}, {"12.3", 1230, true}, {"12.34", 1234, true}, {"0.01", 1, true},
		{"158.00", 15800, true}, {"007.50", 750, true}, {"5000.00", 500000, true},
		{"9999999999999999.99", 999999999999999999, false}, // above maxMoney
		{"10000000000000.00", 1000000000000000, true},
		{"", 0, false}, {".5", 0, false}, {"12.", 0, false}, {"12.345", 0, false}, {"-1", 0, false},
		{"+1", 0, false}, {"1e3", 0, false}, {" 1", 0, false}, {"1 ", 0, false}, {"1,00", 0, false},
		{"0x10", 0, false}, {"１２", 0, false}, {"1.2.3", 0, false}, {"NaN", 0, false}, {"12345678901234567", 0, false},
	}
	for _, tc := range tests {
		got, err := pos.ParseYuan(tc.in)
		if tc.ok && (err != nil || got != tc.want) {
			t.Errorf("ParseYuan(%q): got %d, %v; want %d", tc.in, got, err, tc.want)
		}
		if !tc.ok && !errors.Is(err, pos.ErrBadAmount) {
			t.Errorf("ParseYuan(%q): got %d, %v; want ErrBadAmount", tc.in, got, err)
		}
	}
}

func TestParseFen(t *testing.T) {
	for in, want := range map[string]pos.Money{"0": 0, "1": 1, "15800": 15800} {
		if got, err := pos.ParseFen(in); err != nil || got != want {
			t.Errorf("ParseFen(%q): got %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "1.00", "-1", "1e2", "9999999999999999999"} {
		if _, err := pos.ParseFen(in); !errors.Is(err, pos.ErrBadAmount) {
			t.Errorf("ParseFen(%q): got %v, want ErrBadAmount", in, err)
		}
	}
}

func TestMoney_Format(t *testing.T) {
	for m, want := range map[pos.Money]string{0: "0.00", 1: "0.01", 10: "0.10", 1234: "12.34", 15800: "158.00", -5: "-0.05", -1234: "-12.34"} {
		if got := m.Yuan(); got != want {
			t.Errorf("Money(%d).Yuan(): got %q, want %q", m, got, want)
		}
		if m.String() != want {
			t.Errorf("Money(%d).String(): got %q", m, m.String())
		}
	}
	if got := pos.Money(15800).Fen(); got != "15800" {
		t.Errorf("Fen: got %q", got)
	}
}

// FuzzParseYuan checks ParseYuan against an exact big.Rat reference and the
// Yuan round trip: no float is involved anywhere.
func FuzzParseYuan(f *testing.F) {
	for _, s := range []string{"0", "12.34", "12.3", "0.01", "158.00", "1e3", "-1", "12.345", "", ".", "99999999999999.99", "0.1", "00.10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := pos.ParseYuan(s)
		plain := s != "" && strings.Trim(s, "0123456789.") == "" && strings.Count(s, ".") <= 1 &&
			!strings.HasPrefix(s, ".") && !strings.HasSuffix(s, ".")
		if w, frac, _ := strings.Cut(s, "."); plain && (len(frac) > 2 || len(w) > 16) {
			plain = false
		}
		if err != nil {
			if plain {
				// Only the range bound may refuse a well-formed amount.
				r, _ := new(big.Rat).SetString(s)
				if r.Cmp(big.NewRat(10_000_000_000_000, 1)) <= 0 {
					t.Fatalf("ParseYuan(%q) refused a well-formed amount: %v", s, err)
				}
			}
			return
		}
		if !plain {
			t.Fatalf("ParseYuan(%q) = %d accepted a malformed amount", s, m)
		}
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("reference cannot read %q", s)
		}
		r.Mul(r, big.NewRat(100, 1))
		if !r.IsInt() || r.Num().Int64() != int64(m) {
			t.Fatalf("ParseYuan(%q) = %d, want %s", s, m, r.RatString())
		}
		back, err := pos.ParseYuan(m.Yuan())
		if err != nil || back != m {
			t.Fatalf("round trip %q → %d → %q → %d, %v", s, m, m.Yuan(), back, err)
		}
	})
}
