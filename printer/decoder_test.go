package printer_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"posterm/printer"
)

func TestDecode_Commands(t *testing.T) {
	gb := printer.Profile{}
	tests := []struct {
		name string
		cols int
		b    []byte
		want string
	}{
		{"chinese line and cut", 0,
			must(printer.NewEncoder(gb).Start().Line("中文 ¥158.00").Cut().Result()),
			"中文 ￥158.00\n----- cut -----\n"},
		{"code page", 0,
			must(printer.NewEncoder(printer.Profile{Charset: printer.CP437}).Start().Line("café ¥1").Result()),
			"café ¥1\n"},
		{"cp1252 via ESC t 16", 0, []byte{0x1b, 't', 16, 0x80, 'x', '\n'}, "€x\n"},
		{"native qr", 0,
			must(printer.NewEncoder(gb).QR("P2026").Result()),
			"[QR: P2026]\n"},
		{"raster qr", 0,
			must(printer.NewEncoder(printer.Profile{QR: printer.QRRaster}).QR("P2026").Result()),
			"[RASTER QR]\n"},
		{"other image", 0,
			must(printer.NewEncoder(gb).Image([][]bool{{true}, {true}, {false}}).Result()),
			"[IMAGE 8x3]\n"},
		{"drawer", 0, must(printer.NewEncoder(gb).Drawer().Result()), "[DRAWER]\n"},
		{"real-time drawer", 0, []byte{0x10, 0x14, 1, 0, 5}, "[DRAWER]\n"},
		{"status requests print nothing", 0, []byte{0x10, 0x04, 1, 'a', 0x10, 0x04, 4, '\n'}, "a\n"},
		{"feed-and-cut", 0, []byte{'a', 0x1d, 'V', 66, 0}, "a\n----- cut -----\n"},
		{"feeds before a cut dropped", 0, []byte{'a', '\n', 0x1b, 'd', 5, 0x1d, 'V', 1}, "a\n----- cut -----\n"},
		{"feed lines", 0, []byte{'a', 0x1b, 'd', 3, 'b', '\n'}, "a\n\n\nb\n"},
		{"centre", 10, []byte{0x1b, 'a', 1, 'a', 'b', '\n', 0x1b, 'a', 2, 'c', '\n'}, "    ab\n         c\n"},
		{"centre double width by text", 10, []byte{0x1b, 'a', 1, 0x1d, '!', 0x11, 'a', 'b', '\n'}, "    ab\n"},
		{"barcode", 0, []byte{0x1d, 'k', 73, 3, '1', '2', '3'}, "[BARCODE: 123]\n"},
		{"barcode nul", 0, []byte{0x1d, 'k', 4, 'A', 'B', 0, '\n'}, "[BARCODE: AB]\n\n"},
		{"tab", 0, []byte{'a', 0x09, 'b', '\n'}, "a       b\n"},
		{"c1 control from gb18030", 0, []byte{0x1c, '&', 0x81, 0x30, 0x81, 0x31, '\n'}, "\uFFFD\n"},
		{"truncated qr", 0, []byte{0x1d, '(', 'k', 0xff, 0xff, 0x31}, ""},
		{"truncated raster", 0, []byte{0x1d, 'v', '0', 0, 0xff, 0xff, 0xff}, "[IMAGE 524280x255]\n"},
		{"lone escape", 0, []byte{'x', 0x1b}, "x\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := printer.DecodeText(tc.b, tc.cols); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestDecode_LineFlags(t *testing.T) {
	b := must(printer.NewEncoder(printer.Profile{}).Bold(true).Line("B").Bold(false).
		Size(2, 2).Line("D").Size(1, 1).Align(printer.AlignCenter).Line("C").Result())
	lines := printer.Decoder{}.Lines(b)
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3: %+v", len(lines), lines)
	}
	if !lines[0].Bold || lines[0].Double {
		t.Errorf("line B: %+v", lines[0])
	}
	if !lines[1].Double || lines[1].Width != 2 {
		t.Errorf("line D: %+v", lines[1])
	}
	if lines[2].Align != printer.AlignCenter {
		t.Errorf("line C: %+v", lines[2])
	}
}

// TestDecode_RoundTrip: text encoded for a printer decodes to the text the
// printer prints (¥ as ￥ in Chinese mode).
func TestDecode_RoundTrip(t *testing.T) {
	tests := []struct{ in, want string }{
		{"收银员 张三", ""}, {"Alipay balance 150.00", ""}, {"￥158.00", ""}, {"（人民路店）", ""}, {"天津市和平区", ""},
		{"¥158", "￥158"},
		// not GBK two-byte characters: the documented fallback
		{"€ £ é ü", "EUR GBP é ü"}, {"Köln Straße", "Koln Strasse"}, {"☕ 😀", "? ?"},
	}
	for _, tc := range tests {
		want := tc.want
		if want == "" {
			want = tc.in
		}
		b := must(printer.NewEncoder(printer.Profile{}).Start().Line(tc.in).Result())
		if got := strings.TrimSuffix(printer.DecodeText(b, 0), "\n"); got != want {
			t.Errorf("round trip %q → %q, want %q", tc.in, got, want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	bins, _ := filepath.Glob(filepath.Join("testdata", "*.bin"))
	for _, bin := range bins {
		if b, err := os.ReadFile(bin); err == nil {
			f.Add(b[:min(len(b), 1500)], uint8(32)) // short seeds keep minimisation quick
		}
	}
	f.Add([]byte{0x1d, 'v', '0', 0, 1, 0, 1, 0, 0xff}, uint8(0))
	f.Add([]byte{0x1c, '&', 0xff, 0x81, 0x30, 0x1b}, uint8(48))
	f.Add([]byte{0x1b, '&', 3, 0x20, 0x7e, 12}, uint8(1))
	f.Add([]byte{0x1c, 'q', 2, 1, 0, 1, 0}, uint8(7))
	f.Fuzz(func(t *testing.T, b []byte, cols uint8) {
		out := printer.Decoder{Columns: int(cols), Chinese: cols%2 == 1}.Text(b)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 output")
		}
		for _, r := range out {
			if r != '\n' && unicode.IsControl(r) {
				t.Fatalf("control character %U in output", r)
			}
		}
		if n := strings.Count(out, "\n"); n > 12*len(b)+1 {
			t.Fatalf("%d lines from %d bytes", n, len(b))
		}
	})
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// FuzzRemainder: for any bytes and any cut, what a printer still expects
// is never negative, never past the end, and at most the longest command.
func FuzzRemainder(f *testing.F) {
	bins, _ := filepath.Glob(filepath.Join("testdata", "*.bin"))
	for _, bin := range bins {
		if b, err := os.ReadFile(bin); err == nil {
			f.Add(b[:min(len(b), 1500)], uint16(len(b)/3))
		}
	}
	f.Add([]byte{0x1d, 'v', '0', 0, 1, 0, 2, 0, 0xff}, uint16(5))
	f.Fuzz(func(t *testing.T, b []byte, cut uint16) {
		n := int(cut)
		r := printer.Remainder(b, n)
		if r < 0 || (n < len(b) && n+r > len(b)) {
			t.Fatalf("Remainder(%d of %d) = %d", n, len(b), r)
		}
		if m := printer.MaxOpen(b); r > m {
			t.Fatalf("Remainder %d > MaxOpen %d", r, m)
		}
	})
}
