package ui

import (
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"posterm/device"
)

func TestWedgeFeed(t *testing.T) {
	var d device.BurstDetector
	t0 := time.Now()
	code := "134567890123456789"

	v, consumed, cmd := wedgeFeed(&d, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(code)}, t0)
	if !consumed || !v.Held || cmd == nil {
		t.Fatalf("runes: verdict %+v consumed %v cmd %v; want consumed, held, a flush command", v, consumed, cmd != nil)
	}
	v, consumed, _ = wedgeFeed(&d, tea.KeyMsg{Type: tea.KeyEnter}, t0.Add(3*time.Millisecond))
	if !consumed || v.Code != code {
		t.Fatalf("enter: verdict %+v consumed %v; want code %q", v, consumed, code)
	}

	// A person: '1', then an arrow key releases it unconsumed.
	wedgeFeed(&d, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("1")}, t0.Add(time.Second))
	v, consumed, cmd = wedgeFeed(&d, tea.KeyMsg{Type: tea.KeyLeft}, t0.Add(time.Second+5*time.Millisecond))
	if consumed || string(v.Pass) != "1" || cmd != nil {
		t.Fatalf("arrow: verdict %+v consumed %v; want Pass \"1\", not consumed", v, consumed)
	}

	// The flush message releases a held key.
	wedgeFeed(&d, tea.KeyMsg{Type: tea.KeySpace, Runes: []rune(" ")}, t0.Add(2*time.Second))
	v, consumed, _ = wedgeFeed(&d, wedgeFlushMsg{At: t0.Add(3 * time.Second)}, time.Time{})
	if !consumed || string(v.Pass) != " " {
		t.Fatalf("flush: verdict %+v consumed %v; want Pass \" \"", v, consumed)
	}
	msgs := keyMsgs(v)
	if len(msgs) != 1 || msgs[0].Type != tea.KeySpace {
		t.Fatalf("KeyMsgs() = %v, want one space key", msgs)
	}

	// Pastes are never scans.
	v, consumed, _ = wedgeFeed(&d, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(code), Paste: true}, t0.Add(4*time.Second))
	if consumed || v.Code != "" {
		t.Fatalf("paste: verdict %+v consumed %v; want not consumed", v, consumed)
	}

	// Other messages are ignored.
	if v, consumed, cmd := wedgeFeed(&d, tea.WindowSizeMsg{}, t0); consumed || cmd != nil || v.Held {
		t.Fatalf("window size: %+v %v", v, consumed)
	}

	got := keyMsgs(device.Verdict{Pass: []rune("ab"), PassEnter: true})
	want := []string{"a", "b", "enter"}
	if len(got) != len(want) {
		t.Fatalf("KeyMsgs() = %v, want %v", got, want)
	}
	for i := range got {
		if got[i].String() != want[i] {
			t.Errorf("KeyMsgs()[%d] = %q, want %q", i, got[i].String(), want[i])
		}
	}
}
