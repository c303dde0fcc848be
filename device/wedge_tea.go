package device

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// This file adapts BurstDetector to Bubble Tea; the detector itself knows
// nothing of tea types.

// WedgeFlushMsg is sent by the command Update returns, to release keys
// held as a possible scan once MaxGap has passed. Pass it to Update.
type WedgeFlushMsg struct{ At time.Time }

// Update feeds one Bubble Tea message to the detector at time at.
//
// consumed reports that msg was a rune key, Enter or WedgeFlushMsg taken
// by the detector: the UI must not handle msg itself, only the verdict
// (v.KeyMsgs for typed keys, v.Code for a scan). For any other key, the
// held keys are released in v.Pass and consumed is false: deliver v.Pass
// first, then handle msg as usual. Pasted text and Alt+keys are never
// scans. cmd, when not nil, schedules the next WedgeFlushMsg.
func (d *BurstDetector) Update(msg tea.Msg, at time.Time) (v Verdict, consumed bool, cmd tea.Cmd) {
	switch m := msg.(type) {
	case WedgeFlushMsg:
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
		return Verdict{}, false, nil
	}
	if v.Held {
		cmd = tea.Tick(v.Wait, func(t time.Time) tea.Msg { return WedgeFlushMsg{At: t} })
	}
	return v, consumed, cmd
}

// KeyMsgs returns the keys a person typed (v.Pass, then v.PassEnter) as
// Bubble Tea key messages, one per key, ready for the focused input's Update.
func (v Verdict) KeyMsgs() []tea.KeyMsg {
	out := make([]tea.KeyMsg, 0, len(v.Pass)+1)
	for _, r := range v.Pass {
		// One message per key, as the person typed them, so key bindings
		// on single keys still match.
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
