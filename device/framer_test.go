package device_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"posterm/device"
	"posterm/pos"
)

func TestFramer_Feed(t *testing.T) {
	tests := []struct {
		name   string
		cfg    device.SerialConfig
		writes []string
		want   []string
	}{
		{"CR", device.SerialConfig{Terminator: device.TerminatorCR}, []string{"281234567890123456\r"}, []string{"281234567890123456"}},
		{"LF", device.SerialConfig{Terminator: device.TerminatorLF}, []string{"131234567890123456\n"}, []string{"131234567890123456"}},
		{"CRLF", device.SerialConfig{Terminator: device.TerminatorCRLF}, []string{"A1\r\nB2\r\n"}, []string{"A1", "B2"}},
		{"CRLF split between writes", device.SerialConfig{}, []string{"A1\r", "\nB2\r", "\n"}, []string{"A1", "B2"}},
		{"TAB", device.SerialConfig{Terminator: device.TerminatorTab}, []string{"A1\tB2\t"}, []string{"A1", "B2"}},
		{"auto takes every terminator", device.SerialConfig{}, []string{"A1\rB2\nC3\r\nD4\tE5\n\r"}, []string{"A1", "B2", "C3", "D4", "E5"}},
		{"tab is data unless configured", device.SerialConfig{Terminator: device.TerminatorCR}, []string{"A\t1\r"}, []string{"A 1"}},
		{"escape sequences made inert", device.SerialConfig{}, []string{"\x1b[32m2812345678\x1b[0m90123456\r"}, []string{"[32m2812345678[0m90123456"}},
		{"C1 CSI and DEL dropped", device.SerialConfig{}, []string{"28\u009b2J1234\x7f5678\r"}, []string{"282J12345678"}},
		{"only control characters is no code", device.SerialConfig{}, []string{"\x1b\x07\x08\r", "A1\r"}, []string{"A1"}},
		{"invalid UTF-8 dropped", device.SerialConfig{}, []string{"12\xff34\r"}, []string{"1234"}},
		{"CR ends a code even when LF configured", device.SerialConfig{Terminator: device.TerminatorLF}, []string{"A1\rB2\n"}, []string{"A1", "B2"}},
		{"empty tokens skipped", device.SerialConfig{}, []string{"\r\r\n\n\t \r", "A1\r\r"}, []string{"A1"}},
		{"split across writes", device.SerialConfig{}, []string{"2812", "34567890", "123456", "\r"}, []string{"281234567890123456"}},
		{"byte by byte", device.SerialConfig{}, strings.Split("12345678\r87654321\r", ""), []string{"12345678", "87654321"}},
		{"no terminator yet", device.SerialConfig{}, []string{"1234"}, nil},
		{"prefix and suffix stripped", device.SerialConfig{Prefix: "\x02", Suffix: "\x03"}, []string{"\x0228123456789012345", "6\x03\r"}, []string{"281234567890123456"}},
		{"missing prefix tolerated", device.SerialConfig{Prefix: "]Q1"}, []string{"]Q1ABC\rDEF\r"}, []string{"ABC", "DEF"}},
		{"only prefix is empty", device.SerialConfig{Prefix: "P", Suffix: "S"}, []string{"PS\r"}, nil},
		{"spaces and NULs trimmed", device.SerialConfig{}, []string{"\x00 1234 \x00\r"}, []string{"1234"}},
		{"over-long run dropped to next terminator", device.SerialConfig{MaxCodeLen: 8}, []string{"123456789", "ABC\rOK\r"}, []string{"OK"}},
		{"exactly max kept", device.SerialConfig{MaxCodeLen: 8}, []string{"12345678\r"}, []string{"12345678"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := device.NewFramer(tt.cfg)
			var got []string
			for _, w := range tt.writes {
				got = f.Feed([]byte(w), got)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFramer_Reset(t *testing.T) {
	f := device.NewFramer(device.SerialConfig{})
	got := f.Feed([]byte("2899"), nil)
	if f.Pending() != 4 {
		t.Fatalf("Pending() = %d, want 4", f.Pending())
	}
	f.Reset()
	got = f.Feed([]byte("131234567890123456\r"), got)
	if want := []string{"131234567890123456"}; !slices.Equal(got, want) {
		t.Errorf("after Reset got %q, want %q", got, want)
	}
}

func TestFramer_Overflows(t *testing.T) {
	f := device.NewFramer(device.SerialConfig{MaxCodeLen: 16})
	got := f.Feed(bytes.Repeat([]byte("x"), 10_000), nil)
	if len(got) != 0 || f.Pending() > 16 {
		t.Fatalf("got %q, Pending %d; want nothing and at most 16 buffered", got, f.Pending())
	}
	if f.Overflows() != 1 {
		t.Errorf("Overflows() = %d, want 1", f.Overflows())
	}
}

func FuzzFramer(f *testing.F) {
	f.Add([]byte("281234567890123456\r\n"), uint8(0), uint8(3))
	f.Add([]byte("\x02ABC\x03\t\r\r\n\n"), uint8(4), uint8(1))
	f.Add(bytes.Repeat([]byte("9"), 700), uint8(1), uint8(50))
	f.Add([]byte("\x1b[32m281234567890123456\x1b[0m\r\x9b\xc2\x9b2J\r"), uint8(0), uint8(7))
	terms := []device.Terminator{device.TerminatorAuto, device.TerminatorCR, device.TerminatorLF, device.TerminatorCRLF, device.TerminatorTab}
	f.Fuzz(func(t *testing.T, data []byte, term, split uint8) {
		cfg := device.SerialConfig{Terminator: terms[int(term)%len(terms)], Prefix: "\x02", Suffix: "\x03", MaxCodeLen: 64}
		fr := device.NewFramer(cfg)
		step := int(split)%32 + 1
		var codes []string
		for i := 0; i < len(data); i += step {
			codes = fr.Feed(data[i:min(i+step, len(data))], codes)
			if fr.Pending() > cfg.MaxCodeLen {
				t.Fatalf("Pending() = %d > MaxCodeLen %d", fr.Pending(), cfg.MaxCodeLen)
			}
		}
		// The same bytes in one write give the same codes.
		whole := device.NewFramer(cfg).Feed(data, nil)
		if !slices.Equal(codes, whole) {
			t.Fatalf("split by %d got %q, in one write %q", step, codes, whole)
		}
		bad := "\r\n"
		if cfg.Terminator == device.TerminatorTab || cfg.Terminator == device.TerminatorAuto {
			bad += "\t"
		}
		for _, c := range codes {
			if c == "" || strings.ContainsAny(c, bad) || len(c) > cfg.MaxCodeLen {
				t.Fatalf("bad code %q (terminators %q, max %d)", c, bad, cfg.MaxCodeLen)
			}
			if pos.CleanText(c) != c || strings.TrimSpace(c) != c {
				t.Fatalf("code %q is not inert text", c)
			}
		}
	})
}

func BenchmarkFramer_OneCode(b *testing.B) {
	f := device.NewFramer(device.SerialConfig{Terminator: device.TerminatorCRLF})
	in := []byte("281234567890123456\r\n")
	codes := make([]string, 0, 1)
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		codes = f.Feed(in, codes[:0])
	}
	if len(codes) != 1 {
		b.Fatalf("got %d codes, want 1", len(codes))
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/code")
}
