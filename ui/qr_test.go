package ui

import (
	"fmt"
	"image"
	"image/color"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/mattn/go-runewidth"
	qrcode "github.com/skip2/go-qrcode"
)

// halfBlockImage turns half-block text back into an image, px pixels per
// half-row and column: █ ▀ ▄ are ink (dark), a space is paper (light).
func halfBlockImage(t testing.TB, lines []string, px int) *image.Gray {
	t.Helper()
	w := 0
	for _, l := range lines {
		w = max(w, runewidth.StringWidth(l))
	}
	img := image.NewGray(image.Rect(0, 0, w*px, len(lines)*2*px))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for row, l := range lines {
		x := 0
		for _, r := range l {
			var top, bottom bool
			switch r {
			case '█':
				top, bottom = true, true
			case '▀':
				top = true
			case '▄':
				bottom = true
			case ' ':
			default:
				t.Fatalf("line %d: unexpected rune %q in a QR", row, r)
			}
			for dy := range px {
				for dx := range px {
					if top {
						img.SetGray(x*px+dx, row*2*px+dy, color.Gray{})
					}
					if bottom {
						img.SetGray(x*px+dx, (row*2+1)*px+dy, color.Gray{})
					}
				}
			}
			x++
		}
	}
	return img
}

func decodeQR(t testing.TB, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Fatalf("the on-screen QR does not decode: %v", err)
	}
	return res.GetText()
}

// quietZoneOK checks that the outer margin modules (scale cells wide, scale
// half-rows tall each) are all paper.
func quietZoneOK(t testing.TB, lines []string, modules, scale int) {
	t.Helper()
	margin := qrQuietZone * scale // in columns and in half-rows
	halfRows := make([][]bool, 0, len(lines)*2)
	for _, l := range lines {
		top, bottom := []bool{}, []bool{}
		for _, r := range l {
			top = append(top, r == '█' || r == '▀')
			bottom = append(bottom, r == '█' || r == '▄')
		}
		halfRows = append(halfRows, top, bottom)
	}
	size := modules * scale
	for y := range size {
		for x := range size {
			inside := y >= margin && y < size-margin && x >= margin && x < size-margin
			if !inside && halfRows[y][x] {
				t.Fatalf("quiet zone broken: ink at half-row %d, column %d (margin %d)", y, x, margin)
			}
		}
	}
	// The code itself reaches the margin: its finder patterns start there.
	if !halfRows[margin][margin] || !halfRows[size-margin-1][margin] {
		t.Fatalf("no finder pattern at the inner corner of the quiet zone")
	}
}

func TestQR_HalfBlocksDecode(t *testing.T) {
	old := runewidth.DefaultCondition.EastAsianWidth
	runewidth.DefaultCondition.EastAsianWidth = false
	t.Cleanup(func() { runewidth.DefaultCondition.EastAsianWidth = old })

	data := "http://127.0.0.1:41234/sandbox/qr/20261121140238000095"
	for _, level := range []qrcode.RecoveryLevel{qrcode.Low, qrcode.Medium, qrcode.High} {
		for _, scale := range []int{1, 2, 3} {
			t.Run(fmt.Sprintf("level%d_scale%d", level, scale), func(t *testing.T) {
				bm, err := qrBitmap(data, level)
				if err != nil {
					t.Fatal(err)
				}
				lines := halfBlocks(bm, scale)
				w, h := qrSize(len(bm), scale)
				if len(lines) != h {
					t.Fatalf("got %d lines, want %d", len(lines), h)
				}
				for i, l := range lines {
					if got := runewidth.StringWidth(l); got != w {
						t.Fatalf("line %d is %d columns wide, want %d", i, got, w)
					}
				}
				quietZoneOK(t, lines, len(bm), scale)
				if got := decodeQR(t, halfBlockImage(t, lines, 4)); got != data {
					t.Fatalf("decoded %q, want %q", got, data)
				}
			})
		}
	}
}

// TestQR_FitsTheScreen: a sandbox BAR_CODE fits the body of an 80×25 screen
// beside its facts, and is drawn larger on a larger terminal.
func TestQR_FitsTheScreen(t *testing.T) {
	data := "http://192.168.100.200:8089/sandbox/qr/20261121140238000095"
	small, ok := fitQR(data, 80-qrFactsWidth-qrGap, 25-frameLines)
	if !ok {
		t.Fatal("a sandbox URL does not fit 80×25")
	}
	big, ok := fitQR(data, 200-qrFactsWidth-qrGap, 60-frameLines)
	if !ok || len(big) <= len(small) {
		t.Fatalf("a 200×60 terminal draws %d rows, 80×25 %d: want larger", len(big), len(small))
	}
	if got := decodeQR(t, halfBlockImage(t, big, 3)); got != data {
		t.Fatalf("large QR decodes to %q", got)
	}
	if _, ok := fitQR(data, 20, 10); ok {
		t.Error("fitQR claims a QR fits 20×10")
	}
	if _, ok := fitQR(strings.Repeat("x", 5000), 80, 25); ok {
		t.Error("fitQR draws data too long for any QR")
	}
}
