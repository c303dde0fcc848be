package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
)

// TestBigAmount_ScalesWithTheTerminal: the amount's block digits grow from
// 80×25 to 200×60 and always fit the width they are given.
func TestBigAmount_ScalesWithTheTerminal(t *testing.T) {
	st := lipgloss.NewStyle()
	prev := 0
	for _, size := range [][2]int{{80, 25}, {120, 40}, {200, 60}} {
		w, h := size[0]-8, size[1]-frameLines
		s := bigAmountFit(st, 15800, w, amountRows(h))
		lines := strings.Split(s, "\n")
		if len(lines) <= prev {
			t.Errorf("%dx%d: the amount is %d rows, not more than %d at the size before", size[0], size[1], len(lines), prev)
		}
		prev = len(lines)
		for _, l := range lines {
			if width(l) > w {
				t.Errorf("%dx%d: a row of the amount is %d wide, more than %d", size[0], size[1], width(l), w)
			}
		}
	}
	if s := bigAmountFit(st, 15800, 10, 3); s != "¥158.00" {
		t.Errorf("no room for the digits: %q, want the plain amount", s)
	}
}
