package ui

import (
	"strings"

	"posterm/pos"
)

// maxWholeDigits bounds the yuan part a cashier can key: ¥99,999,999.99 is
// far above any merchant's single-transaction limit.
const maxWholeDigits = 8

// amountEditor is the keypad amount entry of the sale screen: digits, one
// '.', at most two decimals, Backspace, "00", Clear — as on a cash
// register's numeric keypad. It keeps the keyed text and never uses floating
// point: Money reads the text as fen. The zero value is an empty amount.
type amountEditor struct {
	text string // as keyed: "", "0", "12", "12.", "12.3", "12.30"
}

// Key applies one key ('0'–'9', '.') and reports whether it changed the
// amount text. Keys that would make the amount invalid (a second dot, a
// third decimal, a ninth yuan digit) are refused.
func (a *amountEditor) Key(r rune) bool {
	whole, frac, dot := strings.Cut(a.text, ".")
	switch {
	case r >= '0' && r <= '9':
		if dot {
			if len(frac) >= 2 {
				return false
			}
			a.text += string(r)
			return true
		}
		if whole == "0" { // a leading zero is replaced, as on a keypad
			if r == '0' {
				return false
			}
			a.text = string(r)
			return true
		}
		if len(whole) >= maxWholeDigits {
			return false
		}
		a.text += string(r)
		return true
	case r == '.':
		if dot {
			return false
		}
		if a.text == "" {
			a.text = "0"
		}
		a.text += "."
		return true
	}
	return false
}

// Keys applies every rune of s ("00" is two zeros) and reports whether any
// changed the amount.
func (a *amountEditor) Keys(s string) bool {
	changed := false
	for _, r := range s {
		if a.Key(r) {
			changed = true
		}
	}
	return changed
}

// Backspace removes the last keyed character.
func (a *amountEditor) Backspace() bool {
	if a.text == "" {
		return false
	}
	a.text = a.text[:len(a.text)-1]
	if a.text == "0" {
		a.text = ""
	}
	return true
}

// Clear empties the amount.
func (a *amountEditor) Clear() { a.text = "" }

// Set shows m (e.g. the amount of a sale being retried).
func (a *amountEditor) Set(m pos.Money) {
	if m <= 0 {
		a.text = ""
		return
	}
	a.text = m.Yuan()
	a.text = strings.TrimSuffix(a.text, ".00")
}

// Text returns the keyed text.
func (a amountEditor) Text() string { return a.text }

// Money returns the keyed amount in fen ("12." is 12.00, "" is 0).
func (a amountEditor) Money() pos.Money {
	s := strings.TrimSuffix(a.text, ".")
	if s == "" {
		return 0
	}
	m, err := pos.ParseYuan(s)
	if err != nil { // cannot happen: Key only builds valid text
		return 0
	}
	return m
}
