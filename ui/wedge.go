package ui

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"posterm/device"
)

// This file is the keyboard wedge: telling a scanner that types like a
// keyboard from a person, without making the person wait.
//
// Every key is shown at once (a typed digit renders in the next frame).
// The wedge watches the keys as they pass: runes that arrive in one
// message, or within MaxGap of each other, are a burst; a burst of at least
// MinLen runes ended by Enter within MaxGap is a scan. Then the wedge takes
// back what the burst's keys did — the screen is restored to its state
// before the burst's first key — and hands the screen the scanned code
// instead of the Enter. A burst whose keys moved to another screen is not
// taken back: its Enter is delivered as typed.

// wedge watches the key stream for scans. Its zero value uses the
// defaults of device.BurstDetector (40 ms, 8 runes).
type wedge struct {
	MaxGap time.Duration
	MinLen int

	run   []rune    // the runes of the current burst, as they were shown
	last  time.Time // when its last key arrived
	burst bool      // the run came faster than a person types
	// chunked: the run started with several runes in one message (a
	// scanner's write); runes typed one by one before it are not part of it.
	chunked bool
	snap    screen // the screen before the run's first key
	snapID  screenID
}

// maxRun bounds a run (no code is longer; a paste or a stuck key).
const maxRun = 512

func (w *wedge) gap() time.Duration {
	if w.MaxGap > 0 {
		return w.MaxGap
	}
	return device.DefaultMaxGap
}

func (w *wedge) minLen() int {
	if w.MinLen > 0 {
		return w.MinLen
	}
	return device.DefaultMinLen
}

func (w *wedge) reset() {
	w.run, w.burst, w.chunked, w.snap = w.run[:0], false, false, nil
}

// wedgeKey shows k at once and watches it: an Enter that ends a scan
// burst takes the burst back and delivers the code.
func (m Model) wedgeKey(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	w := &m.wedge
	at := m.e.deps.Now()
	if len(w.run) > 0 && at.Sub(w.last) > w.gap() {
		w.reset() // a person's keys: they stay as typed
	}
	switch {
	case k.Type == tea.KeyEnter && !k.Paste && !k.Alt:
		if w.burst && len(w.run) >= w.minLen() && m.screen == w.snapID && w.snap != nil {
			code := string(w.run)
			m.screens[w.snapID] = w.snap // take back the digits it showed
			w.reset()
			mm, cmd := m.scanned(code, true)
			return mm, cmd
		}
		w.reset()
	case (k.Type == tea.KeyRunes || k.Type == tea.KeySpace) && !k.Paste && !k.Alt:
		runes := k.Runes
		if k.Type == tea.KeySpace && len(runes) == 0 {
			runes = []rune{' '}
		}
		if len(runes) > 1 && !w.chunked {
			// A scanner's write (several runes in one message) after keys
			// that came one by one: those stay as typed, the burst starts
			// here.
			w.reset()
			w.chunked = true
		}
		if len(w.run) == 0 {
			w.snap, w.snapID = m.screens[m.screen], m.screen
		}
		if len(runes) > 1 || len(w.run) > 0 {
			w.burst = true
		}
		w.run = append(w.run, runes...)
		w.last = at
		if len(w.run) > maxRun {
			w.reset()
		}
	default: // pastes, Alt, arrows, Backspace…: never part of a scan
		w.reset()
	}
	return m.key(k)
}

// wedgeActive: keys go through the burst detector only where a scanned
// code means something (the sale, scan and devices screens).
func (m Model) wedgeActive() bool {
	if !m.loggedIn {
		return false
	}
	switch m.screen {
	case scrSale, scrScan, scrDevices:
		return true
	}
	return false
}
