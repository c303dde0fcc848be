package ui

import (
	"testing"

	"posterm/pos"
)

func TestAmountEditor_Keys(t *testing.T) {
	tests := []struct {
		keys string // b = Backspace, c = Clear
		text string
		want pos.Money
	}{
		{"", "", 0},
		{"158", "158", 15800},
		{"15800", "15800", 1580000},
		{"1.5", "1.5", 150},
		{"1.55", "1.55", 155},
		{"1.555", "1.55", 155},                // a third decimal is refused
		{"1..5", "1.5", 150},                  // a second dot is refused
		{".5", "0.5", 50},                     // a leading dot keys 0.
		{"0", "0", 0},                         // a lone zero
		{"05", "5", 500},                      // a leading zero is replaced
		{"000", "0", 0},                       // zeros do not pile up
		{"0.05", "0.05", 5},                   //
		{"12.", "12.", 1200},                  // a trailing dot is whole yuan
		{"12b", "1", 100},                     //
		{"12.3b", "12.", 1200},                //
		{"0.b", "", 0},                        // back to empty, not "0"
		{"bbb", "", 0},                        //
		{"123c4", "4", 400},                   //
		{"123456789", "12345678", 1234567800}, // at most 8 yuan digits
		{"12345678.99", "12345678.99", 1234567899},
		{"1x2", "12", 1200}, // other keys are ignored
	}
	for _, tt := range tests {
		var a amountEditor
		for _, r := range tt.keys {
			switch r {
			case 'b':
				a.Backspace()
			case 'c':
				a.Clear()
			default:
				a.Key(r)
			}
		}
		if a.Text() != tt.text || a.Money() != tt.want {
			t.Errorf("keys %q: got %q = %d fen, want %q = %d fen", tt.keys, a.Text(), a.Money(), tt.text, tt.want)
		}
	}
}

func TestAmountEditor_DoubleZeroKey(t *testing.T) {
	var a amountEditor
	a.Keys("1")
	a.Keys("00") // the keypad's 00 key arrives as one message of two runes
	if a.Money() != 10000 {
		t.Errorf("1 then 00: got %d fen, want 10000", a.Money())
	}
}

func TestAmountEditor_Set(t *testing.T) {
	for _, m := range []pos.Money{0, 1, 50, 15800, 15850, 99} {
		var a amountEditor
		a.Set(m)
		if a.Money() != m {
			t.Errorf("Set(%d): Money %d (text %q)", m, a.Money(), a.Text())
		}
	}
}

// FuzzAmountEditor: whatever is keyed, the text stays a valid keypad amount
// whose Money is exactly what ParseYuan reads from it, never negative and
// never above ¥99,999,999.99.
func FuzzAmountEditor(f *testing.F) {
	for _, s := range []string{"158", "1.55", "..", "0000", "12345678.999", "\b\b1", "9\x7f.", "1.2\b\b\b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, keys string) {
		var a amountEditor
		for _, r := range keys {
			switch r {
			case '\b', 0x7f:
				a.Backspace()
			case 'c':
				a.Clear()
			default:
				a.Key(r)
			}
			m := a.Money()
			if m < 0 || m > 9_999_999_999 {
				t.Fatalf("keys %q: amount %d out of range", keys, m)
			}
			if txt := a.Text(); txt != "" {
				s := txt
				if s[len(s)-1] == '.' {
					s = s[:len(s)-1]
				}
				p, err := pos.ParseYuan(s)
				if err != nil || p != m {
					t.Fatalf("keys %q: text %q parses to %d (%v), Money %d", keys, txt, p, err, m)
				}
			}
		}
	})
}
