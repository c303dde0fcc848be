package ui

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"posterm/device"
)

// This file is the keyboard wedge: the Bubble Tea side of
// device.BurstDetector (which knows nothing of tea types), and how the
// router hands the detector's verdict to the screens.

// wedgeFlushMsg is sent by the command wedgeFeed returns, to release keys
// held as a possible scan once MaxGap has passed.
type wedgeFlushMsg struct{ At time.Time }

// wedgeFeed feeds one Bubble Tea message to the detector at time at.
//
// consumed reports that msg was a rune key, Enter or wedgeFlushMsg taken by
// the detector: the caller must not handle msg itself, only the verdict
// (keyMsgs(v) for typed keys, v.Code for a scan). For any other key, the
// held keys are released in v.Pass and consumed is false: deliver v.Pass
// first, then handle msg as usual. Pasted text and Alt+keys are never
// scans. cmd, when not nil, schedules the next wedgeFlushMsg.
func wedgeFeed(d *device.BurstDetector, msg tea.Msg, at time.Time) (v device.Verdict, consumed bool, cmd tea.Cmd) {
	switch m := msg.(type) {
	case wedgeFlushMsg:
		v, consumed = d.Flush(m.At), true
	case tea.KeyMsg:
		switch {
		case m.Paste || m.Alt:
			v = d.Release()
		case m.Type == tea.KeyRunes || m.Type == tea.KeySpace:
			runes := m.Runes
			if m.Type == tea.KeySpace && len(runes) == 0 {
				runes = []rune{' '}
			}
			v, consumed = d.Feed(runes, false, at), true
		case m.Type == tea.KeyEnter:
			v, consumed = d.Feed(nil, true, at), true
		default:
			v = d.Release()
		}
	default:
		return device.Verdict{}, false, nil
	}
	if v.Held {
		cmd = tea.Tick(v.Wait, func(t time.Time) tea.Msg { return wedgeFlushMsg{At: t} })
	}
	return v, consumed, cmd
}

// keyMsgs returns the keys a person typed (v.Pass, then v.PassEnter) as
// Bubble Tea key messages, one per key, so bindings on single keys match.
func keyMsgs(v device.Verdict) []tea.KeyMsg {
	out := make([]tea.KeyMsg, 0, len(v.Pass)+1)
	for _, r := range v.Pass {
		if r == ' ' {
			out = append(out, tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}})
			continue
		}
		out = append(out, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	if v.PassEnter {
		out = append(out, tea.KeyMsg{Type: tea.KeyEnter})
	}
	return out
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

func (m Model) wedgeFlush(msg wedgeFlushMsg) (tea.Model, tea.Cmd) {
	v, _, cmd := wedgeFeed(&m.wedge, msg, m.e.deps.Now())
	m, c := m.deliver(v, nil)
	return m, tea.Batch(cmd, c)
}

func (m Model) wedgeKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	v, consumed, cmd := wedgeFeed(&m.wedge, msg, m.e.deps.Now())
	var key *tea.KeyMsg
	if !consumed {
		key = &msg
	}
	m, c := m.deliver(v, key)
	return m, tea.Batch(cmd, c)
}

// deliver hands the detector's verdict over: the keys a person typed, then
// a scanned code, then (key != nil) the key the detector did not take.
func (m Model) deliver(v device.Verdict, key *tea.KeyMsg) (Model, tea.Cmd) {
	var cmds []tea.Cmd
	var c tea.Cmd
	for _, k := range keyMsgs(v) {
		m, c = m.keyModel(k)
		cmds = append(cmds, c)
	}
	if v.Scanned() {
		m, c = m.scanned(v.Code, true)
		cmds = append(cmds, c)
	}
	if key != nil {
		m, c = m.keyModel(*key)
		cmds = append(cmds, c)
	}
	return m, tea.Batch(cmds...)
}

func (m Model) keyModel(k tea.KeyMsg) (Model, tea.Cmd) {
	mm, cmd := m.key(k)
	return mm.(Model), cmd
}
