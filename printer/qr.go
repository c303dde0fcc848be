package printer

import (
	"fmt"

	qrcode "github.com/skip2/go-qrcode"
)

// quietZone is the standard QR quiet zone, in modules (HARDWARE.md).
const quietZone = 4

// qrBitmap returns the modules of a QR code for data with a 4-module quiet
// zone, true = dark. skip2's level names: Low=L, Medium=M, High=Q, Highest=H.
func qrBitmap(data string, level QRLevel) ([][]bool, error) {
	lv := map[QRLevel]qrcode.RecoveryLevel{
		QRLevelL: qrcode.Low, QRLevelM: qrcode.Medium, QRLevelQ: qrcode.High, QRLevelH: qrcode.Highest,
	}[level]
	if data == "" {
		return nil, fmt.Errorf("raster qr: empty data: %w", ErrQRTooLong)
	}
	q, err := qrcode.New(data, lv)
	if err != nil {
		return nil, fmt.Errorf("raster qr of %d bytes: %w (%v)", len(data), ErrQRTooLong, err)
	}
	q.DisableBorder = true
	core := q.Bitmap()
	n := len(core) + 2*quietZone
	bm := make([][]bool, n)
	for y := range bm {
		bm[y] = make([]bool, n)
		if cy := y - quietZone; cy >= 0 && cy < len(core) {
			copy(bm[y][quietZone:], core[cy])
		}
	}
	return bm, nil
}

// scaleBitmap enlarges every module to s×s dots.
func scaleBitmap(bm [][]bool, s int) [][]bool {
	out := make([][]bool, 0, len(bm)*s)
	for _, row := range bm {
		r := make([]bool, len(row)*s)
		for x, on := range row {
			if on {
				for i := range s {
					r[x*s+i] = true
				}
			}
		}
		for range s {
			out = append(out, r)
		}
	}
	return out
}
