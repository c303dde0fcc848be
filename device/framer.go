package device

import (
	"bytes"
	"strings"

	"posterm/pos"
)

// Framer splits a scanner's byte stream into codes. It is pure (no I/O,
// no clock) so it can be fuzzed, and is not safe for concurrent use: the
// Reader owns one per port.
//
// Rules (HARDWARE.md, "Serial ports"): a code ends at the first CR or LF,
// and at a Tab when the terminator is TAB or auto; the LF of a CRLF is
// swallowed; empty codes are skipped; a code that arrives in several
// writes is joined. A configured prefix and suffix are stripped, as are
// leading and trailing spaces and NULs; what remains goes through
// pos.CleanText, so a code holds no control character (a Tab inside a code
// becomes a space). The buffer never holds more than
// MaxCodeLen bytes: a longer run is dropped up to the next terminator, so
// garbage on the line cannot grow memory or be glued to the next code.
type Framer struct {
	tab            bool
	prefix, suffix []byte
	max            int

	buf       []byte
	afterCR   bool // the last byte was a CR: a following LF is its pair
	overflow  bool // dropping bytes until the next terminator
	overflows int
	cleaned   int
}

// NewFramer returns a Framer for cfg's Terminator, Prefix, Suffix and
// MaxCodeLen (zero fields take their defaults; an invalid terminator
// counts as auto and a MaxCodeLen below 8 as 8: Validate reports both).
func NewFramer(cfg SerialConfig) *Framer {
	cfg = cfg.WithDefaults()
	f := &Framer{
		tab:    cfg.Terminator.endsAtTab(),
		prefix: []byte(cfg.Prefix),
		suffix: []byte(cfg.Suffix),
		max:    max(cfg.MaxCodeLen, 8),
	}
	if _, err := ParseTerminator(string(cfg.Terminator)); err != nil {
		f.tab = true
	}
	f.buf = make([]byte, 0, f.max)
	return f
}

// Feed consumes p and appends every code it completes to codes, which it
// returns (pass a reused slice, codes[:0], to avoid allocating). Bytes
// after the last terminator stay buffered for the next call.
func (f *Framer) Feed(p []byte, codes []string) []string {
	for _, b := range p {
		if b == '\n' && f.afterCR {
			f.afterCR = false
			continue
		}
		f.afterCR = b == '\r'
		if b == '\r' || b == '\n' || (b == '\t' && f.tab) {
			codes = f.end(codes)
			continue
		}
		if f.overflow {
			continue
		}
		if len(f.buf) >= f.max {
			f.buf = f.buf[:0]
			f.overflow = true
			f.overflows++
			continue
		}
		f.buf = append(f.buf, b)
	}
	return codes
}

// end closes the current token at a terminator.
func (f *Framer) end(codes []string) []string {
	tok := f.buf
	f.buf = f.buf[:0]
	if f.overflow {
		f.overflow = false
		return codes
	}
	tok = bytes.Trim(tok, " \x00")
	if len(f.prefix) > 0 {
		tok = bytes.TrimPrefix(tok, f.prefix)
	}
	if len(f.suffix) > 0 {
		tok = bytes.TrimSuffix(tok, f.suffix)
	}
	tok = bytes.Trim(tok, " \x00")
	if len(tok) == 0 {
		return codes
	}
	// A scanner's bytes are outside text: control characters (an escape
	// sequence printed in a QR code, a stray STX) never reach the screen,
	// a log or the gateway (issue 8, "remote text is inert").
	code := strings.TrimSpace(pos.CleanText(string(tok)))
	if code != string(tok) {
		f.cleaned++
	}
	if code == "" {
		return codes
	}
	return append(codes, code)
}

// Reset discards a partial code, e.g. when the port is lost mid-code, so
// that its first half is never glued to the next code.
func (f *Framer) Reset() {
	f.buf = f.buf[:0]
	f.afterCR = false
	f.overflow = false
}

// Pending returns how many bytes of an unfinished code are buffered.
func (f *Framer) Pending() int { return len(f.buf) }

// Cleaned returns how many codes so far held control characters (or
// invalid UTF-8) that were dropped: a sign of an unconfigured prefix or
// suffix, which scan-test points out.
func (f *Framer) Cleaned() int { return f.cleaned }

// Overflows returns how many over-long runs were dropped so far.
func (f *Framer) Overflows() int { return f.overflows }
