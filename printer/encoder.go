package printer

import (
	"bytes"
	"errors"
	"fmt"
	"time"
)

// Control bytes of ESC/POS.
const (
	esc = 0x1b
	gs  = 0x1d
	fs  = 0x1c
	dle = 0x10
	eot = 0x04
	lf  = 0x0a
)

// Align is a line alignment (ESC a n).
type Align byte

// Alignments.
const (
	AlignLeft   Align = 0
	AlignCenter Align = 1
	AlignRight  Align = 2
)

// Encoder builds an ESC/POS byte stream for one Profile. Its methods append
// to an internal buffer and return the Encoder so calls chain:
//
//	b, err := printer.NewEncoder(p).Start().Align(printer.AlignCenter).Line("你好").Cut().Result()
//
// Text passes through the profile's charset (GB18030 with ¥ normalised, or a
// code page with transliteration), so caller text can never inject
// commands. The first error (a QR code too long, say) is kept and returned
// by Err and Result; later calls still append. An Encoder is not safe for
// concurrent use.
type Encoder struct {
	p   Profile
	c   codec
	buf bytes.Buffer
	err error
}

// NewEncoder returns an empty Encoder for p (zero fields take their defaults).
func NewEncoder(p Profile) *Encoder {
	p = p.withDefaults()
	return &Encoder{p: p, c: newCodec(p.Charset)}
}

// Profile returns the profile in use, defaults filled in.
func (e *Encoder) Profile() Profile { return e.p }

// Bytes returns the bytes encoded so far. The slice aliases the buffer.
func (e *Encoder) Bytes() []byte { return e.buf.Bytes() }

// Len is the number of bytes encoded so far.
func (e *Encoder) Len() int { return e.buf.Len() }

// Err returns the first error met while encoding.
func (e *Encoder) Err() error { return e.err }

// Result returns a copy of the bytes and the first error.
func (e *Encoder) Result() ([]byte, error) {
	return bytes.Clone(e.buf.Bytes()), e.err
}

func (e *Encoder) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

// Raw appends bytes as they are.
func (e *Encoder) Raw(b ...byte) *Encoder {
	e.buf.Write(b)
	return e
}

// Init resets the printer to its power-on modes: ESC @ (1B 40).
func (e *Encoder) Init() *Encoder { return e.Raw(esc, '@') }

// ChineseMode turns the printer's double-byte Chinese mode on (FS &, 1C 26)
// or off (FS ., 1C 2E).
func (e *Encoder) ChineseMode(on bool) *Encoder {
	if on {
		return e.Raw(fs, '&')
	}
	return e.Raw(fs, '.')
}

// CodeTable selects single-byte code page n: ESC t n (1B 74 n).
func (e *Encoder) CodeTable(n byte) *Encoder { return e.Raw(esc, 't', n) }

// Start begins a job: Init, then the profile's charset — Chinese mode on,
// or Chinese mode off and the code page selected (printers sold in China
// power up in Chinese mode, where bytes ≥ 0x80 would read as GB18030).
func (e *Encoder) Start() *Encoder {
	e.Init()
	if e.c.chinese() {
		return e.ChineseMode(true)
	}
	return e.ChineseMode(false).CodeTable(codePages[e.p.Charset].n)
}

// Align sets the alignment of the following lines: ESC a n.
func (e *Encoder) Align(a Align) *Encoder {
	if a > AlignRight {
		a = AlignLeft
	}
	return e.Raw(esc, 'a', byte(a))
}

// Bold turns emphasis on (ESC E 1) or off (ESC E 0).
func (e *Encoder) Bold(on bool) *Encoder { return e.Raw(esc, 'E', b2b(on)) }

// Underline sets underlining: 0 off, 1 thin, 2 thick (ESC - n).
func (e *Encoder) Underline(n int) *Encoder { return e.Raw(esc, '-', byte(clamp(n, 0, 2))) }

// Size sets character magnification, width and height each 1..8: GS ! n.
// Size(1, 1) is normal, Size(2, 2) double width and height.
func (e *Encoder) Size(width, height int) *Encoder {
	w, h := clamp(width, 1, 8)-1, clamp(height, 1, 8)-1
	return e.Raw(gs, '!', byte(w<<4|h))
}

// Text appends text in the profile's charset, without a line feed.
func (e *Encoder) Text(s string) *Encoder {
	e.buf.Write(e.c.encode(e.c.prepare(s)))
	return e
}

// Line appends text and a line feed.
func (e *Encoder) Line(s string) *Encoder { return e.Text(s).LF() }

// LF prints the buffer and feeds one line (0A).
func (e *Encoder) LF() *Encoder { return e.Raw(lf) }

// Feed prints the buffer and feeds n lines, 0..255: ESC d n.
func (e *Encoder) Feed(n int) *Encoder { return e.Raw(esc, 'd', byte(clamp(n, 0, 255))) }

// PartialCut cuts leaving one point uncut: GS V 1 (1D 56 01).
func (e *Encoder) PartialCut() *Encoder { return e.Raw(gs, 'V', 1) }

// FullCut cuts the paper through: GS V 0 (1D 56 00).
func (e *Encoder) FullCut() *Encoder { return e.Raw(gs, 'V', 0) }

// FeedCut feeds n dots (vertical motion units) and cuts, partially or fully:
// GS V 66 n (1D 56 42 n) or GS V 65 n.
func (e *Encoder) FeedCut(partial bool, n int) *Encoder {
	m := byte(65)
	if partial {
		m = 66
	}
	return e.Raw(gs, 'V', m, byte(clamp(n, 0, 255)))
}

// Cut ends a ticket the profile's way: feed FeedLines lines so the last
// line clears the cutter, then a partial or full cut (none if NoCut).
func (e *Encoder) Cut() *Encoder {
	e.Feed(e.p.FeedLines)
	switch {
	case e.p.NoCut:
		return e
	case e.p.FullCut:
		return e.FullCut()
	}
	return e.PartialCut()
}

// Pulse opens the cash drawer on connector pin 2 (pin=0) or 5 (pin=1):
// ESC p m t1 t2, the pulse on for `on` and off for `off` (2 ms units, at most 510 ms).
func (e *Encoder) Pulse(pin int, on, off time.Duration) *Encoder {
	t := func(d time.Duration) byte { return byte(clamp(int(d/(2*time.Millisecond)), 1, 255)) }
	return e.Raw(esc, 'p', byte(clamp(pin, 0, 1)), t(on), t(off))
}

// Drawer opens the cash drawer with the usual pulse: ESC p 0 25 250
// (1B 70 00 19 FA: 50 ms on, 500 ms off).
func (e *Encoder) Drawer() *Encoder { return e.Pulse(0, 50*time.Millisecond, 500*time.Millisecond) }

// ErrQRTooLong is returned (by Err/Result) when QR data exceed what a QR
// code holds at the chosen error-correction level.
var ErrQRTooLong = errors.New("qr data too long")

// QR prints data as a QR code the profile's way (native, raster or not at
// all), centred, then restores left alignment.
func (e *Encoder) QR(data string) *Encoder {
	switch e.p.QR {
	case QRNone:
		return e
	case QRRaster:
		e.Align(AlignCenter)
		e.QRRaster(data, e.p.QRModule, e.p.QRLevel)
	default:
		e.Align(AlignCenter)
		e.QRNative(data, e.p.QRModule, e.p.QRLevel)
	}
	return e.Align(AlignLeft)
}

// qrCapacity is the byte-mode capacity of version 40 at each level.
var qrCapacity = map[QRLevel]int{QRLevelL: 2953, QRLevelM: 2331, QRLevelQ: 1663, QRLevelH: 1273}

// QRNative prints a QR code with the printer's own GS ( k command, exactly
// as HARDWARE.md lists it: model 2, module size, error level, store, print.
func (e *Encoder) QRNative(data string, module int, level QRLevel) *Encoder {
	m, ok := map[QRLevel]byte{QRLevelL: 0x30, QRLevelM: 0x31, QRLevelQ: 0x32, QRLevelH: 0x33}[level]
	if !ok {
		level, m = QRLevelM, 0x31
	}
	if len(data) == 0 || len(data) > qrCapacity[level] {
		e.fail(fmt.Errorf("native qr of %d bytes at level %c: %w", len(data), level, ErrQRTooLong))
		return e
	}
	n := len(data) + 3
	e.Raw(gs, '(', 'k', 0x04, 0x00, 0x31, 0x41, 0x32, 0x00)                 // model 2
	e.Raw(gs, '(', 'k', 0x03, 0x00, 0x31, 0x43, byte(clamp(module, 1, 16))) // module size
	e.Raw(gs, '(', 'k', 0x03, 0x00, 0x31, 0x45, m)                          // error level
	e.Raw(gs, '(', 'k', byte(n), byte(n>>8), 0x31, 0x50, 0x30)              // store
	e.buf.WriteString(data)
	return e.Raw(gs, '(', 'k', 0x03, 0x00, 0x31, 0x51, 0x30) // print
}

// QRRaster prints a QR code as a raster image (GS v 0) made with go-qrcode,
// for printers without GS ( k: a 4-module quiet zone and `module` dots per
// module, shrunk to fit the paper's dots.
func (e *Encoder) QRRaster(data string, module int, level QRLevel) *Encoder {
	bm, err := qrBitmap(data, level)
	if err != nil {
		e.fail(err)
		return e
	}
	scale := clamp(module, 1, 16)
	if max := e.p.Dots / len(bm); scale > max {
		scale = max
	}
	if scale < 1 {
		e.fail(fmt.Errorf("raster qr of %d modules wider than %d dots: %w", len(bm), e.p.Dots, ErrQRTooLong))
		return e
	}
	return e.Image(scaleBitmap(bm, scale))
}

// MaxBand is the most rows one GS v 0 command carries: an image goes in
// bands, so a job cut off mid-image leaves at most one band open (at most
// 255 × width/8 bytes the printer still expects before it reads commands).
const MaxBand = 255

// Image prints a bitmap (rows of dots, true = black) with GS v 0 m xL xH yL yH
// (m = 0, normal density), in bands of at most MaxBand rows. Rows may have
// different lengths; the longest sets the width.
func (e *Encoder) Image(rows [][]bool) *Encoder {
	w := 0
	for _, r := range rows {
		w = max(w, len(r))
	}
	if w == 0 || len(rows) == 0 {
		return e
	}
	bw := (w + 7) / 8
	if bw > 0xffff {
		e.fail(fmt.Errorf("image %dx%d too large", w, len(rows)))
		return e
	}
	line := make([]byte, bw)
	for start := 0; start < len(rows); start += MaxBand {
		band := rows[start:min(start+MaxBand, len(rows))]
		e.Raw(gs, 'v', '0', 0, byte(bw), byte(bw>>8), byte(len(band)), 0)
		for _, r := range band {
			clear(line)
			for x, on := range r {
				if on {
					line[x/8] |= 0x80 >> (x % 8)
				}
			}
			e.buf.Write(line)
		}
	}
	return e
}

func b2b(on bool) byte {
	if on {
		return 1
	}
	return 0
}

func clamp(v, lo, hi int) int { return min(max(v, lo), hi) }
