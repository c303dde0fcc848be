package printer_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"posterm/printer"
)

func hexes(b []byte) string {
	var sb strings.Builder
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(strings.ToUpper(string("0123456789abcdef"[c>>4]) + string("0123456789abcdef"[c&15])))
	}
	return sb.String()
}

// TestEncoder_HardwareBytes checks every sequence HARDWARE.md lists (as
// verified against @point-of-sale/receipt-printer-encoder 4.0.1).
func TestEncoder_HardwareBytes(t *testing.T) {
	gb := printer.Profile{}
	cp := printer.Profile{Charset: printer.CP437}
	tests := []struct {
		name string
		p    printer.Profile
		enc  func(e *printer.Encoder)
		want string
	}{
		{"init", gb, func(e *printer.Encoder) { e.Init() }, "1B 40"},
		{"bold on", gb, func(e *printer.Encoder) { e.Bold(true) }, "1B 45 01"},
		{"bold off", gb, func(e *printer.Encoder) { e.Bold(false) }, "1B 45 00"},
		{"align centre", gb, func(e *printer.Encoder) { e.Align(printer.AlignCenter) }, "1B 61 01"},
		{"align right", gb, func(e *printer.Encoder) { e.Align(printer.AlignRight) }, "1B 61 02"},
		{"partial cut", gb, func(e *printer.Encoder) { e.PartialCut() }, "1D 56 01"},
		{"full cut", gb, func(e *printer.Encoder) { e.FullCut() }, "1D 56 00"},
		{"feed and cut", gb, func(e *printer.Encoder) { e.FeedCut(true, 0) }, "1D 56 42 00"},
		{"drawer", gb, func(e *printer.Encoder) { e.Drawer() }, "1B 70 00 19 FA"},
		{"chinese on", gb, func(e *printer.Encoder) { e.ChineseMode(true) }, "1C 26"},
		{"chinese off", gb, func(e *printer.Encoder) { e.ChineseMode(false) }, "1C 2E"},
		{"double size", gb, func(e *printer.Encoder) { e.Size(2, 2) }, "1D 21 11"},
		{"double height", gb, func(e *printer.Encoder) { e.Size(1, 2) }, "1D 21 01"},
		{"normal size", gb, func(e *printer.Encoder) { e.Size(1, 1) }, "1D 21 00"},
		{"underline", gb, func(e *printer.Encoder) { e.Underline(1) }, "1B 2D 01"},
		{"feed 3", gb, func(e *printer.Encoder) { e.Feed(3) }, "1B 64 03"},
		{"line feed", gb, func(e *printer.Encoder) { e.LF() }, "0A"},
		{"code table", gb, func(e *printer.Encoder) { e.CodeTable(16) }, "1B 74 10"},
		{"start gb18030", gb, func(e *printer.Encoder) { e.Start() }, "1B 40 1C 26"},
		{"start cp437", cp, func(e *printer.Encoder) { e.Start() }, "1B 40 1C 2E 1B 74 00"},
		{"start cp858", printer.Profile{Charset: printer.CP858}, func(e *printer.Encoder) { e.Start() }, "1B 40 1C 2E 1B 74 13"},
		{"qr native", gb, func(e *printer.Encoder) { e.QRNative("abc", 6, printer.QRLevelM) },
			"1D 28 6B 04 00 31 41 32 00 " + // model 2
				"1D 28 6B 03 00 31 43 06 " + // module size 6
				"1D 28 6B 03 00 31 45 31 " + // level M
				"1D 28 6B 06 00 31 50 30 61 62 63 " + // store "abc", pL = 3+3
				"1D 28 6B 03 00 31 51 30"}, // print
		{"qr level L", gb, func(e *printer.Encoder) { e.QRNative("a", 3, printer.QRLevelL) },
			"1D 28 6B 04 00 31 41 32 00 1D 28 6B 03 00 31 43 03 1D 28 6B 03 00 31 45 30 1D 28 6B 04 00 31 50 30 61 1D 28 6B 03 00 31 51 30"},
		{"qr level H", gb, func(e *printer.Encoder) { e.QRNative("a", 3, printer.QRLevelH) },
			"1D 28 6B 04 00 31 41 32 00 1D 28 6B 03 00 31 43 03 1D 28 6B 03 00 31 45 33 1D 28 6B 04 00 31 50 30 61 1D 28 6B 03 00 31 51 30"},
		{"raster image", gb, func(e *printer.Encoder) {
			e.Image([][]bool{{true, false, false, false, false, false, false, false, true}, {false, true}})
		}, "1D 76 30 00 02 00 02 00 80 80 40 00"},
		// GB18030 and the ¥ pitfall: ¥ (U+00A5) is normalised to ￥ (A3 A4).
		{"yen gb", gb, func(e *printer.Encoder) { e.Text("¥158") }, "A3 A4 31 35 38"},
		{"fullwidth yen gb", gb, func(e *printer.Encoder) { e.Text("￥") }, "A3 A4"},
		{"chinese gb", gb, func(e *printer.Encoder) { e.Text("中文") }, "D6 D0 CE C4"},
		// Only two-byte GBK characters go out in Chinese mode: no four-byte
		// GB18030 codes, no lone 0x80 for € (issue 11).
		{"euro gb18030", gb, func(e *printer.Encoder) { e.Text("€") }, "45 55 52"},
		{"euro gbk", printer.Profile{Charset: printer.GBK}, func(e *printer.Encoder) { e.Text("€") }, "45 55 52"},
		{"latin gb18030", gb, func(e *printer.Encoder) { e.Text("öß") }, "6F 73 73"},
		{"emoji gb18030", gb, func(e *printer.Encoder) { e.Text("☕😀") }, "3F 3F"},
		{"gbk only", printer.Profile{Charset: printer.GBK}, func(e *printer.Encoder) { e.Text("中😀") }, "D6 D0 3F"},
		{"yen cp437", cp, func(e *printer.Encoder) { e.Text("¥ ￥") }, "9D 20 9D"},
		{"cjk cp437", cp, func(e *printer.Encoder) { e.Text("中A：") }, "3F 41 3A"},
		{"accent cp437", cp, func(e *printer.Encoder) { e.Text("é") }, "82"},
		{"accent stripped cp866", printer.Profile{Charset: printer.CP866}, func(e *printer.Encoder) { e.Text("é¥") }, "65 52 4D 42"},
		{"ascii", printer.Profile{Charset: printer.ASCII}, func(e *printer.Encoder) { e.Text("é€") }, "65 45 55 52"},
		{"no command injection", gb, func(e *printer.Encoder) { e.Text("a\x1b@\x1dV\x00\nb") }, "61 20 40 20 56 20 20 62"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := printer.NewEncoder(tc.p)
			tc.enc(e)
			if err := e.Err(); err != nil {
				t.Fatalf("encode: %v", err)
			}
			if got := hexes(e.Bytes()); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestEncoder_QRTooLong(t *testing.T) {
	long := strings.Repeat("x", 2400)
	for _, mode := range []printer.QRMode{printer.QRNative, printer.QRRaster} {
		e := printer.NewEncoder(printer.Profile{QR: mode, QRLevel: printer.QRLevelM})
		e.QR(long).Line("after")
		if !errors.Is(e.Err(), printer.ErrQRTooLong) {
			t.Errorf("%s: err = %v, want ErrQRTooLong", mode, e.Err())
		}
		if !bytes.HasSuffix(e.Bytes(), []byte("after\n")) {
			t.Errorf("%s: encoding did not go on after the error", mode)
		}
	}
}

func TestEncoder_RasterFitsPaper(t *testing.T) {
	for _, paper := range []int{58, 80} {
		p := printer.Profile{Paper: paper, QR: printer.QRRaster, QRModule: 16}
		e := printer.NewEncoder(p)
		e.QRRaster("P20260314150405000123", 16, printer.QRLevelM)
		b := e.Bytes()
		if len(b) < 8 || !bytes.Equal(b[:4], []byte{0x1d, 0x76, 0x30, 0}) {
			t.Fatalf("%d mm: not a GS v 0 image: % x", paper, b[:min(8, len(b))])
		}
		wBytes := int(b[4]) | int(b[5])<<8
		dots := 384
		if paper == 80 {
			dots = 576
		}
		if wBytes*8 > dots {
			t.Errorf("%d mm: image %d dots wide, paper has %d", paper, wBytes*8, dots)
		}
	}
}

// TestEncoder_RasterBands: an image taller than MaxBand rows goes out in
// bands of at most 255 rows; the decoder reads them as one image, and a
// printer cut off anywhere inside owes at most the rest of one band.
func TestEncoder_RasterBands(t *testing.T) {
	const width, height = 384, 600
	rows := make([][]bool, height)
	for i := range rows {
		rows[i] = make([]bool, width)
		rows[i][i%width] = true
	}
	b := printer.NewEncoder(printer.Profile{Paper: 58}).Init().Image(rows).Line("after").Bytes()
	bw := width / 8
	var bands []int
	for i := 2; i+8 <= len(b); {
		if !bytes.Equal(b[i:i+4], []byte{0x1d, 0x76, 0x30, 0}) {
			break
		}
		h := int(b[i+6]) | int(b[i+7])<<8
		if h > printer.MaxBand || int(b[i+4])|int(b[i+5])<<8 != bw {
			t.Fatalf("band of %d rows × %d bytes", h, int(b[i+4])|int(b[i+5])<<8)
		}
		bands = append(bands, h)
		i += 8 + bw*h
	}
	if want := []int{255, 255, 90}; !slices.Equal(bands, want) {
		t.Fatalf("bands = %v, want %v", bands, want)
	}
	if text := printer.DecodeText(b, 32); strings.Count(text, "[IMAGE 384x600]") != 1 || !strings.Contains(text, "after") {
		t.Errorf("decoded:\n%s", text)
	}
	tests := []struct {
		name string
		cut  int
		want int
	}{
		{"before the image", 2, 0},
		{"inside the first band's header", 2 + 5, 3 + bw*255},
		{"inside the first band", 2 + 8 + 100, bw*255 - 100},
		{"between bands", 2 + 8 + bw*255, 0},
		{"inside the last band", len(b) - len("after\n") - 10, 10},
		{"in the text after", len(b) - 2, 0},
	}
	for _, tc := range tests {
		if got := printer.Remainder(b, tc.cut); got != tc.want {
			t.Errorf("%s: Remainder = %d, want %d", tc.name, got, tc.want)
		}
	}
	if got := printer.MaxOpen(b); got != 7+bw*255 {
		t.Errorf("MaxOpen = %d, want %d (one band)", got, 7+bw*255)
	}
}

// TestRemainder_DoubleByteText: a cut between the two bytes of a Chinese
// character owes the second byte.
func TestRemainder_DoubleByteText(t *testing.T) {
	b := printer.NewEncoder(printer.Profile{Paper: 58}).Start().Line("合计").Bytes()
	i := bytes.Index(b, []byte{0xba, 0xcf}) // 合 in GBK
	if i < 0 {
		t.Fatalf("no GBK text in % x", b)
	}
	if got := printer.Remainder(b, i+1); got != 1 {
		t.Errorf("Remainder mid-character = %d, want 1", got)
	}
	if got := printer.Remainder(b, i+2); got != 0 {
		t.Errorf("Remainder after the character = %d, want 0", got)
	}
}
