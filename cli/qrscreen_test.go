package cli

import (
	"fmt"
	"image"
	"image/color"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"
	"github.com/mattn/go-runewidth"

	"posterm/pos"
)

// TestQRScreen_Decodes captures the QR screen of the real register from
// tmux, with its colours (capture-pane -p -e), turns the half blocks back
// into an image — each cell one pixel wide and two tall, ink in the
// glyph's colour, paper in the cell's background — and reads it with a QR
// decoder (gozxing): it must decode to the charge's BAR_CODE, be dark on
// light, and keep a quiet zone of at least 4 modules of light paper on
// every side. In English and in Chinese, where ▀ ▄ █ are East-Asian
// ambiguous width and a layout that counted them two columns wide would
// break (HARDWARE.md); the language comes from LANG and LC_ALL.
func TestQRScreen_Decodes(t *testing.T) {
	for _, tt := range []struct {
		name, locale string
		ask          string // the QR screen's instruction, in its language
	}{
		{"en", "en_US.UTF-8", "Ask the customer to scan the code"},
		{"zh", "zh_CN.UTF-8", "请顾客用支付宝扫描左侧二维码"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newE2EWorld(t, e2eOptions{}) // [ui] lang unset: from the locale
			term := w.startRegister(t, "LANG="+tt.locale, "LC_ALL="+tt.locale)
			term.login("cashier01", "1234")
			term.typeKeys("66.6")
			term.keys("F3")
			term.waitText("▸ 1  ") // the channel list, the first selected
			term.keys("Enter")     // the first: Alipay
			term.waitText(tt.ask, "█")
			tx := w.only(t)
			if tx.State != pos.StatePending || tx.BarCode == "" {
				t.Fatalf("journal row %s, BAR_CODE %q: want a pending QR", tx.State, tx.BarCode)
			}

			raw, err := term.run("capture-pane", "-p", "-e", "-t", "e2e")
			if err != nil {
				t.Fatal(err)
			}
			grid := parseCapture(t, raw, term.w, term.h)
			qr, box := qrRegion(t, grid)
			t.Logf("%s: the QR takes columns %d–%d, rows %d–%d of the 80x25 screen", tt.name, box.Min.X, box.Max.X-1,
				box.Min.Y, box.Max.Y-1)
			if got := decodeScreenQR(t, qr); got != tx.BarCode {
				t.Fatalf("the on-screen QR reads %q, want the BAR_CODE %q", got, tx.BarCode)
			}
			checkQuietZone(t, qr, 4)
			// Nothing of the facts beside the code is drawn over it.
			plain, _ := term.screen()
			if !strings.Contains(plain, string(tx.ChargeCode)) {
				t.Errorf("the QR screen does not name charge %s:\n%s", tx.ChargeCode, plain)
			}
		})
	}
}

// cell is one terminal cell as capture-pane -e shows it.
type cell struct {
	r       rune
	fg, bg  int // ANSI colour index 0–255; -1: the terminal's default
	reverse bool
}

// parseCapture turns capture-pane -p -e output into a w×h grid of cells.
// Cells past the end of a captured line (tmux trims trailing blanks that
// have no colour) are blanks in the default colours. Wide characters take
// two cells; ▀ ▄ █ one, as tmux counts them.
func parseCapture(t testing.TB, raw string, w, h int) [][]cell {
	t.Helper()
	width := runewidth.Condition{EastAsianWidth: false}
	grid := make([][]cell, h)
	lines := strings.Split(strings.TrimSuffix(raw, "\n"), "\n")
	for y := range grid {
		grid[y] = make([]cell, w)
		for x := range grid[y] {
			grid[y][x] = cell{r: ' ', fg: -1, bg: -1}
		}
		if y >= len(lines) {
			continue
		}
		cur := cell{fg: -1, bg: -1}
		x := 0
		rs := []rune(lines[y])
		for i := 0; i < len(rs); i++ {
			if rs[i] == 0x1b && i+1 < len(rs) && rs[i+1] == '[' {
				j := i + 2
				for j < len(rs) && (rs[j] < 0x40 || rs[j] > 0x7e) {
					j++
				}
				if j < len(rs) && rs[j] == 'm' {
					cur = applySGR(cur, string(rs[i+2:j]))
				}
				i = j
				continue
			}
			cw := width.RuneWidth(rs[i])
			if cw == 0 {
				continue
			}
			if x < w {
				c := cur
				c.r = rs[i]
				grid[y][x] = c
			}
			x += cw
		}
	}
	return grid
}

// applySGR applies one SGR sequence's parameters to the current pen.
func applySGR(c cell, params string) cell {
	if params == "" {
		params = "0"
	}
	ps := strings.Split(params, ";")
	for i := 0; i < len(ps); i++ {
		n, _ := strconv.Atoi(ps[i])
		switch {
		case n == 0:
			c = cell{fg: -1, bg: -1}
		case n == 7:
			c.reverse = true
		case n == 27:
			c.reverse = false
		case n >= 30 && n <= 37:
			c.fg = n - 30
		case n == 39:
			c.fg = -1
		case n >= 40 && n <= 47:
			c.bg = n - 40
		case n == 49:
			c.bg = -1
		case n >= 90 && n <= 97:
			c.fg = n - 90 + 8
		case n >= 100 && n <= 107:
			c.bg = n - 100 + 8
		case (n == 38 || n == 48) && i+2 < len(ps) && ps[i+1] == "5":
			v, _ := strconv.Atoi(ps[i+2])
			if n == 38 {
				c.fg = v
			} else {
				c.bg = v
			}
			i += 2
		case (n == 38 || n == 48) && i+4 < len(ps) && ps[i+1] == "2":
			// Truecolor: keep it as dark (0) or light (15) by luminance.
			r, _ := strconv.Atoi(ps[i+2])
			g, _ := strconv.Atoi(ps[i+3])
			b, _ := strconv.Atoi(ps[i+4])
			v := 0
			if (299*r+587*g+114*b)/1000 >= 128 {
				v = 15
			}
			if n == 38 {
				c.fg = v
			} else {
				c.bg = v
			}
			i += 4
		}
	}
	return c
}

// shade is what a pixel shows: paper (light), ink (dark), or the
// terminal's own colour, which is no part of a QR code.
type shade int

const (
	shadeUnknown shade = iota
	shadeDark
	shadeLight
)

// shadeOf classifies an ANSI colour: black and the dark colours are dark;
// white and bright white are light; the rest of the bright colours and
// the default are not used for a QR code.
func shadeOf(c int) shade {
	switch {
	case c < 0:
		return shadeUnknown
	case c == 7 || c == 15 || c >= 250 && c <= 255 || c == 231:
		return shadeLight
	case c <= 6 || c == 8 || c == 16 || c >= 232 && c <= 240:
		return shadeDark
	}
	return shadeUnknown
}

// pixels returns the shades of a cell's top and bottom halves.
func (c cell) pixels() (top, bottom shade) {
	ink, paper := c.fg, c.bg
	if c.reverse {
		ink, paper = paper, ink
	}
	upper, lower := paper, paper
	switch c.r {
	case '█':
		upper, lower = ink, ink
	case '▀':
		upper = ink
	case '▄':
		lower = ink
	case ' ':
	default:
		return shadeUnknown, shadeUnknown // text: not part of the code
	}
	return shadeOf(upper), shadeOf(lower)
}

// qrRegion finds the QR on the screen — the rectangle of cells painted
// with a light background — and returns it as half-row pixels (true =
// dark) with its place in cells. Every pixel of the rectangle must be
// paper or ink: a cell in the terminal's own colours inside it, or
// anything that is not a half block, means the code is broken.
func qrRegion(t testing.TB, grid [][]cell) ([][]bool, image.Rectangle) {
	t.Helper()
	box := image.Rectangle{Min: image.Pt(1<<30, 1<<30)}
	for y, row := range grid {
		for x, c := range row {
			paper := c.bg
			if c.reverse {
				paper = c.fg
			}
			if shadeOf(paper) == shadeLight {
				box.Min.X, box.Min.Y = min(box.Min.X, x), min(box.Min.Y, y)
				box.Max.X, box.Max.Y = max(box.Max.X, x+1), max(box.Max.Y, y+1)
			}
		}
	}
	if box.Empty() {
		t.Fatalf("no light-background cells on screen: the QR is not drawn dark on light:\n%s", dumpGrid(grid))
	}
	px := make([][]bool, 0, 2*box.Dy())
	for y := box.Min.Y; y < box.Max.Y; y++ {
		top, bottom := make([]bool, box.Dx()), make([]bool, box.Dx())
		for x := box.Min.X; x < box.Max.X; x++ {
			u, l := grid[y][x].pixels()
			if u == shadeUnknown || l == shadeUnknown {
				t.Fatalf("cell (%d,%d) %q fg %d bg %d inside the QR is neither ink nor paper:\n%s",
					x, y, grid[y][x].r, grid[y][x].fg, grid[y][x].bg, dumpGrid(grid))
			}
			top[x-box.Min.X], bottom[x-box.Min.X] = u == shadeDark, l == shadeDark
		}
		px = append(px, top, bottom)
	}
	return px, box
}

// decodeScreenQR reads the pixels with gozxing, 4 image pixels per screen
// pixel, on a white margin as a phone would see the paper around it.
func decodeScreenQR(t testing.TB, px [][]bool) string {
	t.Helper()
	const k, margin = 4, 8
	h, w := len(px), len(px[0])
	img := image.NewGray(image.Rect(0, 0, (w+2*margin)*k, (h+2*margin)*k))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for y := range h {
		for x := range w {
			if !px[y][x] {
				continue
			}
			for dy := range k {
				for dx := range k {
					img.SetGray((x+margin)*k+dx, (y+margin)*k+dy, color.Gray{})
				}
			}
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Fatalf("the on-screen QR does not decode: %v\n%s", err, dumpPixels(px))
	}
	return res.GetText()
}

// checkQuietZone measures the light margin around the ink, in modules,
// on each side, and wants at least n. A module is as wide as the top-left
// finder pattern's top edge (7 modules) says: one cell and one half-row at
// 80x25, more on a larger terminal.
func checkQuietZone(t testing.TB, px [][]bool, n int) {
	t.Helper()
	h, w := len(px), len(px[0])
	minX, minY, maxX, maxY := w, h, -1, -1
	for y := range h {
		for x := range w {
			if px[y][x] {
				minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x), max(maxY, y)
			}
		}
	}
	if maxX < 0 {
		t.Fatal("no ink in the QR region")
	}
	run := 0
	for x := minX; x <= maxX && px[minY][x]; x++ {
		run++
	}
	if run%7 != 0 {
		t.Fatalf("the finder pattern's top edge is %d pixels: not 7 modules of equal size\n%s", run, dumpPixels(px))
	}
	module := run / 7
	// Modules are square: as many half-rows tall as columns wide.
	col := 0
	for y := minY; y <= maxY && px[y][minX]; y++ {
		col++
	}
	if col != run {
		t.Errorf("the finder pattern is %d columns wide and %d half-rows tall: modules are not square", run, col)
	}
	sides := map[string]int{"left": minX, "right": w - 1 - maxX, "top": minY, "bottom": h - 1 - maxY}
	for _, side := range []string{"left", "right", "top", "bottom"} {
		if q := sides[side] / module; q < n {
			t.Errorf("quiet zone on the %s: %d modules (%d pixels of %d), want at least %d\n%s",
				side, q, sides[side], module, n, dumpPixels(px))
		}
	}
	t.Logf("quiet zone in modules: left %d, right %d, top %d, bottom %d (module %d px; symbol %d modules)",
		sides["left"]/module, sides["right"]/module, sides["top"]/module, sides["bottom"]/module, module, (maxX-minX+1)/module)
}

func dumpPixels(px [][]bool) string {
	var b strings.Builder
	for _, row := range px {
		for _, p := range row {
			if p {
				b.WriteByte('#')
			} else {
				b.WriteByte('.')
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func dumpGrid(grid [][]cell) string {
	var b strings.Builder
	for _, row := range grid {
		for _, c := range row {
			b.WriteRune(c.r)
		}
		b.WriteByte('\n')
	}
	return fmt.Sprint(b.String())
}
