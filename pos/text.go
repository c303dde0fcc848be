package pos

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// CleanText makes text that came from outside (the gateway's RESULT INFO,
// names, a scanner's bytes) inert before it reaches a screen, a log line, a
// receipt or CLI output: control characters (C0, DEL, C1 — ESC and CSI
// among them, so no escape sequence survives), bidirectional overrides and
// invalid UTF-8 are dropped; tabs and line breaks become one space. It is the
// one function every path uses (issue: remote text is inert).
func CleanText(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= 0x80 {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == utf8.RuneError && n <= 1:
			// invalid byte: dropped
		case r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f':
			b.WriteByte(' ')
		case unicode.IsControl(r), unicode.Is(unicode.Bidi_Control, r), r == '\u2028', r == '\u2029':
			// dropped
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
