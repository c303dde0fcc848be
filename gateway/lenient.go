package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"strings"

	"posterm/pos"
)

// What the vendor's own text allows and a reader must therefore take
// (WIRE.md §2.4): amounts and integer codes in any notation that denotes an
// exact number, lists carried inside strings, HTML entities in text.

// maxCode bounds an integer code (STATE, CHANNEL_TYPE, counts).
const maxCode = 999_999_999

// errInexact is wrapped for a number that does not denote an exact count.
var errInexact = errors.New("not an exact count")

// exactScaled reads a non-negative decimal number in JSON notation — digits,
// an optional fraction, an optional exponent: "1234", "1234.0", "1.234E3",
// "12.340" — and returns it times 10^scale, exactly, with integer
// arithmetic only. A value that is not a whole number after scaling
// ("12.345" yuan, "12.5" fen), negative, or above limit is an error: money
// is never rounded. Surrounding blanks are ignored.
func exactScaled(s string, scale int, limit int64) (int64, error) {
	s = trimASCII(s)
	bad := func() (int64, error) { return 0, fmt.Errorf("%w: %q", errInexact, s) }
	i := 0
	intStart := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intPart := s[intStart:i]
	if intPart == "" {
		return bad()
	}
	var frac string
	if i < len(s) && s[i] == '.' {
		i++
		fs := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		frac = s[fs:i]
		if frac == "" {
			return bad()
		}
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		neg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			neg = s[i] == '-'
			i++
		}
		es := i
		for i < len(s) && isDigit(s[i]) {
			if exp > 10_000 {
				return bad()
			}
			exp = exp*10 + int(s[i]-'0')
			i++
		}
		if i == es {
			return bad()
		}
		if neg {
			exp = -exp
		}
	}
	if i != len(s) {
		return bad()
	}
	// value = digits × 10^shift, digits = intPart ++ frac
	digits := strings.TrimLeft(intPart+frac, "0")
	shift := exp - len(frac) + scale
	for shift < 0 && strings.HasSuffix(digits, "0") {
		digits = digits[:len(digits)-1]
		shift++
	}
	if digits == "" {
		return 0, nil
	}
	if shift < 0 {
		return bad()
	}
	if len(digits)+shift > 18 {
		return 0, fmt.Errorf("%w: %q out of range", pos.ErrBadAmount, s)
	}
	var v int64
	for j := 0; j < len(digits); j++ {
		v = v*10 + int64(digits[j]-'0')
	}
	for ; shift > 0; shift-- {
		v *= 10
	}
	if v > limit {
		return 0, fmt.Errorf("%w: %q out of range", pos.ErrBadAmount, s)
	}
	return v, nil
}

// trimASCII drops surrounding ASCII blanks only: a Unicode space such as
// U+0085 is not a blank the vendor writes, and keeping it makes the value
// unreadable rather than read.
func trimASCII(s string) string { return strings.Trim(s, " \t\r\n") }

// parseFen reads an amount in fen in any exact notation (§2.4).
func parseFen(s string) (pos.Money, error) {
	v, err := exactScaled(s, 0, maxMoneyFen)
	if err != nil {
		return 0, fmt.Errorf("%w: %q is not a count of fen", pos.ErrBadAmount, s)
	}
	return pos.Money(v), nil
}

// parseYuan reads an amount in yuan with at most two significant decimals
// in any exact notation (§2.4): "12.340" and "5000.0000" read, "12.345" not.
func parseYuan(s string) (pos.Money, error) {
	v, err := exactScaled(s, 2, maxMoneyFen)
	if err != nil {
		return 0, fmt.Errorf("%w: %q is not an exact amount of yuan", pos.ErrBadAmount, s)
	}
	return pos.Money(v), nil
}

// parseCode reads an integer code (STATE, CHANNEL_TYPE, SORT_NO, counts):
// "1", 1, 1.0.
func parseCode(s string) (int, error) {
	v, err := exactScaled(s, 0, maxCode)
	if err != nil {
		return 0, fmt.Errorf("%q is not a count", s)
	}
	return int(v), nil
}

// maxMoneyFen bounds amounts read from answers (10^13 yuan), as pos.ParseFen.
const maxMoneyFen = 1_000_000_000_000_000

// unescapeHTML resolves HTML character entities (&amp;, &#20013;, &nbsp;)
// in a text field (§2.4); text without '&' is returned as it is.
func unescapeHTML(s string) string {
	if strings.IndexByte(s, '&') < 0 {
		return s
	}
	return html.UnescapeString(s)
}

// embedded parses a list that came as a string holding JSON or XML
// (§2.4: the query and refund tables say "in XML format"). JSON may be an
// array or an object; XML may be the list element, its item elements, or a
// single item's fields: it is read inside a wrapper, and a wrapper holding
// only the list element is unwrapped.
func embedded(text, name string) (*Node, error) {
	t := strings.TrimSpace(text)
	switch {
	case strings.HasPrefix(t, "["):
		n, err := parseJSON([]byte(`{"L":` + t + `}`))
		if err != nil {
			return nil, err
		}
		return n.Fields[0].Value, nil
	case strings.HasPrefix(t, "{"):
		return parseJSON([]byte(t))
	case strings.HasPrefix(t, "<"):
		if strings.HasPrefix(t, "<?xml") {
			end := strings.Index(t, "?>")
			if end < 0 {
				return nil, errors.New("XML declaration not closed")
			}
			t = t[end+2:]
		}
		var b bytes.Buffer
		b.WriteString("<L>")
		b.WriteString(t)
		b.WriteString("</L>")
		_, n, err := parseXML(b.Bytes())
		if err != nil {
			return nil, err
		}
		if len(n.Fields) == 1 && n.Fields[0].Name == name {
			return n.Fields[0].Value, nil
		}
		return n, nil
	}
	return nil, errors.New("not JSON or XML")
}
