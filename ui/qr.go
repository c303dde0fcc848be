package ui

import (
	"fmt"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// qrQuietZone is the standard QR quiet zone in modules (HARDWARE.md, "QR
// codes on screen"): light modules drawn around the code, because the
// terminal's own background (often dark) is no quiet zone.
const qrQuietZone = 4

// qrBitmap returns the modules of a QR code for data with the quiet zone
// added, true = dark.
func qrBitmap(data string, level qrcode.RecoveryLevel) ([][]bool, error) {
	q, err := qrcode.New(data, level)
	if err != nil {
		return nil, fmt.Errorf("qr of %d bytes: %w", len(data), err)
	}
	q.DisableBorder = true
	core := q.Bitmap()
	n := len(core) + 2*qrQuietZone
	bm := make([][]bool, n)
	for y := range bm {
		bm[y] = make([]bool, n)
		if cy := y - qrQuietZone; cy >= 0 && cy < len(core) {
			copy(bm[y][qrQuietZone:], core[cy])
		}
	}
	return bm, nil
}

// halfBlocks draws bm with every module scale columns wide and scale
// half-rows tall: two half-rows per text row with █ ▀ ▄ and space. A
// terminal cell is about twice as tall as wide, so modules come out square.
// Dark is the glyph's ink: the caller colours the lines dark on light
// (both colours set explicitly; inverted codes are refused by decoders).
// The glyphs are East-Asian ambiguous width: the program must count them
// one column wide (runewidth.DefaultCondition.EastAsianWidth = false).
func halfBlocks(bm [][]bool, scale int) []string {
	scale = max(scale, 1)
	n := len(bm)
	px := func(y, x int) bool {
		y, x = y/scale, x/scale
		return y < n && x < n && bm[y][x]
	}
	w, h := n*scale, n*scale
	lines := make([]string, 0, (h+1)/2)
	var b strings.Builder
	for y := 0; y < h; y += 2 {
		b.Reset()
		for x := 0; x < w; x++ {
			top, bottom := px(y, x), y+1 < h && px(y+1, x)
			switch {
			case top && bottom:
				b.WriteRune('█')
			case top:
				b.WriteRune('▀')
			case bottom:
				b.WriteRune('▄')
			default:
				b.WriteByte(' ')
			}
		}
		lines = append(lines, b.String())
	}
	return lines
}

// qrSize is the width and height in cells of a bitmap of n modules at scale.
func qrSize(n, scale int) (w, h int) { return n * scale, (n*scale + 1) / 2 }

// fitQR draws data as large as fits in maxW×maxH cells: error level M when
// it fits, else L (a 60-byte sandbox URL at level L is version 4: 41×21
// cells with the quiet zone, which fits an 80×25 screen). ok is false when
// even the smallest drawing does not fit.
func fitQR(data string, maxW, maxH int) (lines []string, ok bool) {
	if data == "" {
		return nil, false
	}
	for _, level := range []qrcode.RecoveryLevel{qrcode.Medium, qrcode.Low} {
		bm, err := qrBitmap(data, level)
		if err != nil {
			return nil, false
		}
		scale := 0
		for s := 1; s <= 4; s++ {
			if w, h := qrSize(len(bm), s); w <= maxW && h <= maxH {
				scale = s
			}
		}
		if scale > 0 {
			return halfBlocks(bm, scale), true
		}
	}
	return nil, false
}
