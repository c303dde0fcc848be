package ui

import (
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"posterm/pos"
)

// frameLines is what the frame takes from the terminal's height: the
// header, its rule, the status bar and the key line.
const frameLines = 4

// width is the number of terminal columns s takes (CJK counted as two,
// escape sequences as none).
func width(s string) int { return lipgloss.Width(s) }

// truncate cuts s to at most w columns, ending in "…" when cut.
func truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if width(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// pad extends s with spaces to exactly w columns (cutting it if longer).
func pad(s string, w int) string {
	s = truncate(s, w)
	if n := w - width(s); n > 0 {
		s += strings.Repeat(" ", n)
	}
	return s
}

// padTo extends s with spaces to at least w columns; longer text is kept
// whole (the line grows rather than anything being cut).
func padTo(s string, w int) string {
	if n := w - width(s); n > 0 {
		s += strings.Repeat(" ", n)
	}
	return s
}

// block makes s exactly h lines of at most w columns: long lines are cut,
// missing lines are added, extra lines dropped.
func block(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i := range lines {
		lines[i] = truncate(lines[i], w)
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// spread puts left and right on one line of w columns, right-aligned right.
func spread(left, right string, w int) string {
	gap := w - width(left) - width(right)
	if gap < 1 {
		left = truncate(left, max(w-width(right)-1, 0))
		gap = max(w-width(left)-width(right), 0)
	}
	return left + strings.Repeat(" ", gap) + right
}

// indent prefixes every line of s with n spaces.
func indent(s string, n int) string {
	p := strings.Repeat(" ", n)
	return p + strings.ReplaceAll(s, "\n", "\n"+p)
}

// yuan formats m as "¥158.00" with thousands separators on larger amounts.
func yuan(m pos.Money) string {
	s := m.Yuan()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	out := "¥" + b.String() + "." + frac
	if neg {
		out = "-" + out
	}
	return out
}

// clock formats a time of day.
func (e *env) clock(t time.Time) string { return t.In(e.deps.Location).Format("15:04:05") }

// day is t's date in the shop's zone.
func (e *env) day(t time.Time) string { return t.In(e.deps.Location).Format("2006-01-02") }

// stamp is t's date and time in the shop's zone.
func (e *env) stamp(t time.Time) string { return t.In(e.deps.Location).Format("2006-01-02 15:04:05") }

// shanghai is the default shop zone: Asia/Shanghai from the zone database,
// or UTC+8 (no daylight saving since 1991) where there is none.
func shanghai() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}

// mmss formats a duration as m:ss (negative as 0:00).
func mmss(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int(d.Round(time.Second) / time.Second)
	return strconv.Itoa(s/60) + ":" + pad2(s%60)
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// bigGlyphs is a three-row font of half blocks for the amount due: large
// enough to read from the customer's side of the counter.
var bigGlyphs = map[rune][3]string{
	'0': {"█▀█", "█ █", "▀▀▀"},
	'1': {"▀█ ", " █ ", "▀▀▀"},
	'2': {"▀▀█", "█▀▀", "▀▀▀"},
	'3': {"▀▀█", " ▀█", "▀▀▀"},
	'4': {"█ █", "▀▀█", "  ▀"},
	'5': {"█▀▀", "▀▀█", "▀▀▀"},
	'6': {"█▀▀", "█▀█", "▀▀▀"},
	'7': {"▀▀█", "  █", "  ▀"},
	'8': {"█▀█", "█▀█", "▀▀▀"},
	'9': {"█▀█", "▀▀█", "▀▀▀"},
	'.': {" ", " ", "▀"},
	',': {" ", " ", "▄"},
	'¥': {"▀▄▀", "▀█▀", " ▀ "},
	' ': {" ", " ", " "},
}

// bigText draws s (digits, '.', ',', '¥', space) in bigGlyphs, one column
// between glyphs. ok is false when a rune has no glyph.
func bigText(s string) (lines [3]string, ok bool) {
	for i, r := range s {
		g, found := bigGlyphs[r]
		if !found {
			return lines, false
		}
		for row := range 3 {
			if i > 0 {
				lines[row] += " "
			}
			lines[row] += g[row]
		}
	}
	return lines, true
}

// bigAmount draws the amount due in the block font at its smallest (three
// rows), or bold text when that does not fit in w columns.
func bigAmount(st lipgloss.Style, m pos.Money, w int) string { return bigAmountFit(st, m, w, 3) }

// bigAmountFit draws the amount as large as fits in w columns and h rows:
// the block font scaled by a whole factor (3 rows at 80×25, 6 at 120×40,
// 9 at 200×60 with the screens' budgets), or bold text when even the
// smallest does not fit.
func bigAmountFit(st lipgloss.Style, m pos.Money, w, h int) string {
	s := yuan(m)
	lines, ok := bigText(s)
	if !ok || width(lines[0]) > w || h < 3 {
		return st.Render(s)
	}
	k := 1
	for k < 4 && width(lines[0])*(k+1) <= w && 3*(k+1) <= h {
		k++
	}
	return st.Render(strings.Join(scaleBlocks(lines[:], k), "\n"))
}

// amountRows is the height budget of the amount on a money screen of body
// height h: a fifth of it, so the amount grows with the terminal.
func amountRows(h int) int { return max(h/5, 3) }

// scaleBlocks scales half-block art by k: each cell is two pixels (upper,
// lower), every pixel becomes k×k, and the pixels are drawn in half blocks
// again.
func scaleBlocks(lines []string, k int) []string {
	if k <= 1 {
		return lines
	}
	var px [][]bool // rows of pixels
	for _, l := range lines {
		up, down := []bool{}, []bool{}
		for _, r := range l {
			up = append(up, r == '▀' || r == '█')
			down = append(down, r == '▄' || r == '█')
		}
		px = append(px, up, down)
	}
	var big [][]bool
	for _, row := range px {
		wide := make([]bool, 0, len(row)*k)
		for _, p := range row {
			for range k {
				wide = append(wide, p)
			}
		}
		for range k {
			big = append(big, wide)
		}
	}
	out := make([]string, 0, len(big)/2)
	for i := 0; i+1 < len(big); i += 2 {
		var b strings.Builder
		for j := range big[i] {
			switch up, down := big[i][j], big[i+1][j]; {
			case up && down:
				b.WriteRune('█')
			case up:
				b.WriteRune('▀')
			case down:
				b.WriteRune('▄')
			default:
				b.WriteRune(' ')
			}
		}
		out = append(out, strings.TrimRight(b.String(), " "))
	}
	for len(out) > 1 && out[len(out)-1] == "" { // a blank bottom row: no taller than the digits
		out = out[:len(out)-1]
	}
	return out
}

// wrap breaks s into lines of at most w columns at spaces (CJK text, which
// has none, breaks anywhere).
func wrap(s string, w int) string {
	lines := strings.Split(lipgloss.NewStyle().Width(w).Render(s), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// paragraph wraps s to fit w columns after an indent of ind, styles and
// indents every line, and ends with a newline.
func paragraph(s string, style lipgloss.Style, ind, w int) string {
	var b strings.Builder
	p := strings.Repeat(" ", ind)
	for _, l := range strings.Split(wrap(s, max(w-ind-1, 10)), "\n") {
		b.WriteString(p + style.Render(l) + "\n")
	}
	return b.String()
}
