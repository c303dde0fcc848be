package ui

import (
	"strings"
	"testing"
	"time"

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

// TestTimes_InTheShopsZone: every time on screen is in Deps.Location,
// whatever the host's zone and whatever zone the time came in.
func TestTimes_InTheShopsZone(t *testing.T) {
	f := newFixture(t, "en")
	f.deps.Location = shanghai()
	m := saleModelFor(t, f)
	utc := time.Date(2026, 11, 21, 6, 2, 37, 0, time.UTC)
	if got := m.e.clock(utc); got != "14:02:37" {
		t.Errorf("clock(06:02:37 UTC) = %s, want 14:02:37 in Shanghai", got)
	}
	if got := m.e.day(time.Date(2026, 11, 21, 17, 0, 0, 0, time.UTC)); got != "2026-11-22" {
		t.Errorf("day(17:00 UTC) = %s, want 2026-11-22 in Shanghai", got)
	}
	m.now = utc
	if h := m.header(); !strings.Contains(h, "14:02:37 CST") {
		t.Errorf("header %q, want the shop's time and zone", h)
	}
}
