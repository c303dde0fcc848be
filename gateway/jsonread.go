package gateway

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// The single-pass JSON answer reader (issue 9). JSON plain is the hot path
// of every call, so the message is read in two sweeps over its bytes and no
// per-token allocation:
//
//  1. scan validates the whole text once (RFC 8259 syntax, the depth bound)
//     and counts values, object members and list items, recording each
//     container's size in the order the containers open. An error is built
//     only here, and only when the text is bad.
//  2. build descends the (now known good) bytes once more and lays the tree
//     out in three slabs sized by the scan: one []Node, one []Field and one
//     []*Node. Strings without escapes are substrings of one copy of the
//     body; only escaped or non-UTF-8 strings are decoded into new strings.
//
// The tree is exactly the one encoding/json's Decoder.Token reader built
// (kept in oracle_test.go, compared by FuzzParseJSON_Oracle): number
// literals kept as text, invalid UTF-8 and lone surrogates as U+FFFD, a
// repeated key refused.

// jsonScan is the validating sweep.
type jsonScan struct {
	b      []byte
	i      int
	values int
	fields int
	items  int
	sizes  []int32 // members or items of each container, in opening order
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (s *jsonScan) skip() {
	for s.i < len(s.b) && isSpace(s.b[s.i]) {
		s.i++
	}
}

// syntaxErr builds the error of a bad text, at offset s.i.
func (s *jsonScan) syntaxErr(what string) error {
	if s.i >= len(s.b) {
		return errors.New("unexpected end of JSON input")
	}
	return fmt.Errorf("invalid JSON at offset %d: %s", s.i, what)
}

func (s *jsonScan) value(depth int) error {
	if depth > maxDepth {
		return errors.New("JSON nested too deeply")
	}
	s.skip()
	if s.i >= len(s.b) {
		return s.syntaxErr("")
	}
	s.values++
	switch c := s.b[s.i]; {
	case c == '{':
		slot := len(s.sizes)
		s.sizes = append(s.sizes, 0)
		s.i++
		s.skip()
		if s.i < len(s.b) && s.b[s.i] == '}' {
			s.i++
			return nil
		}
		n := int32(0)
		for {
			s.skip()
			if s.i >= len(s.b) || s.b[s.i] != '"' {
				return s.syntaxErr("want an object key")
			}
			if err := s.str(); err != nil {
				return err
			}
			s.skip()
			if s.i >= len(s.b) || s.b[s.i] != ':' {
				return s.syntaxErr("want ':'")
			}
			s.i++
			if err := s.value(depth + 1); err != nil {
				return err
			}
			n++
			s.skip()
			if s.i >= len(s.b) {
				return s.syntaxErr("")
			}
			if s.b[s.i] == ',' {
				s.i++
				continue
			}
			if s.b[s.i] == '}' {
				s.i++
				s.sizes[slot] = n
				s.fields += int(n)
				return nil
			}
			return s.syntaxErr("want ',' or '}'")
		}
	case c == '[':
		slot := len(s.sizes)
		s.sizes = append(s.sizes, 0)
		s.i++
		s.skip()
		if s.i < len(s.b) && s.b[s.i] == ']' {
			s.i++
			return nil
		}
		n := int32(0)
		for {
			if err := s.value(depth + 1); err != nil {
				return err
			}
			n++
			s.skip()
			if s.i >= len(s.b) {
				return s.syntaxErr("")
			}
			if s.b[s.i] == ',' {
				s.i++
				continue
			}
			if s.b[s.i] == ']' {
				s.i++
				s.sizes[slot] = n
				s.items += int(n)
				return nil
			}
			return s.syntaxErr("want ',' or ']'")
		}
	case c == '"':
		return s.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return s.syntaxErr("want a value")
}

func (s *jsonScan) literal(lit string) error {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return s.syntaxErr("bad literal")
	}
	s.i += len(lit)
	return nil
}

// strPlain marks the bytes that need no attention inside a string: not a
// quote, a backslash or a control character.
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str checks a string starting at its opening quote.
func (s *jsonScan) str() error {
	s.i++
	for s.i < len(s.b) {
		c := s.b[s.i]
		if strPlain[c] {
			s.i++
			continue
		}
		switch {
		case c == '"':
			s.i++
			return nil
		case c == '\\':
			s.i++
			if s.i >= len(s.b) {
				return s.syntaxErr("")
			}
			switch s.b[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				s.i++
				for k := 0; k < 4; k++ {
					if s.i >= len(s.b) {
						return s.syntaxErr("")
					}
					if !isHex(s.b[s.i]) {
						return s.syntaxErr("bad \\u escape")
					}
					s.i++
				}
			default:
				return s.syntaxErr("bad escape")
			}
		case c < 0x20:
			return s.syntaxErr("control character in string")
		default:
			s.i++
		}
	}
	return s.syntaxErr("")
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number checks -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *jsonScan) number() error {
	b := s.b
	if b[s.i] == '-' {
		s.i++
	}
	if s.i >= len(b) {
		return s.syntaxErr("")
	}
	switch {
	case b[s.i] == '0':
		s.i++
	case isDigit(b[s.i]):
		for s.i < len(b) && isDigit(b[s.i]) {
			s.i++
		}
	default:
		return s.syntaxErr("bad number")
	}
	if s.i < len(b) && b[s.i] == '.' {
		s.i++
		if s.i >= len(b) || !isDigit(b[s.i]) {
			return s.syntaxErr("bad number")
		}
		for s.i < len(b) && isDigit(b[s.i]) {
			s.i++
		}
	}
	if s.i < len(b) && (b[s.i] == 'e' || b[s.i] == 'E') {
		s.i++
		if s.i < len(b) && (b[s.i] == '+' || b[s.i] == '-') {
			s.i++
		}
		if s.i >= len(b) || !isDigit(b[s.i]) {
			return s.syntaxErr("bad number")
		}
		for s.i < len(b) && isDigit(b[s.i]) {
			s.i++
		}
	}
	return nil
}

// jsonBuild is the building sweep over text that jsonScan accepted.
type jsonBuild struct {
	b      []byte
	src    string // one copy of b: unescaped strings are its substrings
	i      int
	nodes  []Node
	fields []Field
	items  []*Node
	sizes  []int32
}

func (p *jsonBuild) skip() {
	for p.i < len(p.b) && isSpace(p.b[p.i]) {
		p.i++
	}
}

func (p *jsonBuild) node() *Node {
	n := &p.nodes[0]
	p.nodes = p.nodes[1:]
	return n
}

func (p *jsonBuild) value() (*Node, error) {
	p.skip()
	n := p.node()
	switch c := p.b[p.i]; {
	case c == '{':
		size := int(p.sizes[0])
		p.sizes = p.sizes[1:]
		n.Kind = KindObject
		n.Fields = p.fields[:0:size]
		p.fields = p.fields[size:]
		p.i++
		var seen map[string]bool // only for objects too big to search
		if size > 32 {
			seen = make(map[string]bool, size)
		}
		for k := 0; k < size; k++ {
			p.skip()
			key := p.str()
			// A repeated key makes the message ambiguous (which RESULT?):
			// no honest sender writes one.
			if repeated(n.Fields, seen, key) {
				return nil, fmt.Errorf("JSON key %q repeated", key)
			}
			p.skip()
			p.i++ // ':'
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			n.Fields = append(n.Fields, Field{Name: key, Value: v})
			p.skip()
			p.i++ // ',' or '}'
		}
		if size == 0 {
			p.skip()
			p.i++ // '}'
		}
	case c == '[':
		size := int(p.sizes[0])
		p.sizes = p.sizes[1:]
		n.Kind = KindList
		n.Items = p.items[:size:size]
		p.items = p.items[size:]
		p.i++
		for k := 0; k < size; k++ {
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			n.Items[k] = v
			p.skip()
			p.i++ // ',' or ']'
		}
		if size == 0 {
			p.skip()
			p.i++ // ']'
		}
	case c == '"':
		n.Kind = KindString
		n.Text = p.str()
	case c == 't':
		n.Kind, n.Text = KindBool, "true"
		p.i += 4
	case c == 'f':
		n.Kind, n.Text = KindBool, "false"
		p.i += 5
	case c == 'n':
		n.Kind = KindNull
		p.i += 4
	default:
		start := p.i
		for p.i < len(p.b) && isNumberByte(p.b[p.i]) {
			p.i++
		}
		n.Kind, n.Text = KindNumber, p.src[start:p.i]
	}
	return n, nil
}

func repeated(fields []Field, seen map[string]bool, key string) bool {
	if seen != nil {
		if seen[key] {
			return true
		}
		seen[key] = true
		return false
	}
	for _, f := range fields {
		if f.Name == key {
			return true
		}
	}
	return false
}

func isNumberByte(c byte) bool {
	return isDigit(c) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// str reads a string at its opening quote: a substring of src when it has
// no escape and is valid UTF-8, else its decoded copy.
func (p *jsonBuild) str() string {
	p.i++
	start := p.i
	plain := true
	for {
		c := p.b[p.i]
		if c < utf8.RuneSelf && strPlain[c] {
			p.i++
			continue
		}
		if c == '"' {
			break
		}
		if c == '\\' {
			plain = false
			p.i += 2
			continue
		}
		if c >= utf8.RuneSelf {
			plain = false
		}
		p.i++
	}
	raw := p.b[start:p.i]
	p.i++
	if plain || (utf8.Valid(raw) && !hasByte(raw, '\\')) {
		return p.src[start : start+len(raw)]
	}
	return unescapeJSON(raw)
}

func hasByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// unescapeJSON decodes the inside of a valid JSON string as encoding/json
// does: escapes resolved, a lone surrogate or an invalid UTF-8 byte becomes
// U+FFFD.
func unescapeJSON(s []byte) string {
	out := make([]byte, 0, len(s)+8)
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c == '\\':
			r++
			switch s[r] {
			case 'b':
				out = append(out, '\b')
				r++
			case 'f':
				out = append(out, '\f')
				r++
			case 'n':
				out = append(out, '\n')
				r++
			case 'r':
				out = append(out, '\r')
				r++
			case 't':
				out = append(out, '\t')
				r++
			case 'u':
				rr := hex4(s[r+1 : r+5])
				r += 5
				if utf16.IsSurrogate(rr) {
					if r+6 <= len(s) && s[r] == '\\' && s[r+1] == 'u' {
						if dec := utf16.DecodeRune(rr, hex4(s[r+2:r+6])); dec != unicode.ReplacementChar {
							r += 6
							out = utf8.AppendRune(out, dec)
							break
						}
					}
					rr = unicode.ReplacementChar
				}
				out = utf8.AppendRune(out, rr)
			default: // '"', '\\', '/'
				out = append(out, s[r])
				r++
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			r += size
			out = utf8.AppendRune(out, rr)
		}
	}
	return string(out)
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		default:
			c = c - 'A' + 10
		}
		r = r*16 + rune(c)
	}
	return r
}

// parseJSON reads a JSON message whose root must be an object.
func parseJSON(b []byte) (*Node, error) {
	s := jsonScan{b: b, sizes: make([]int32, 0, 16)}
	if err := s.value(0); err != nil {
		return nil, err
	}
	s.skip()
	if s.i != len(b) {
		return nil, errors.New("data after the JSON object")
	}
	if b[firstNonSpace(b)] != '{' {
		return nil, errors.New("JSON root is not an object")
	}
	p := jsonBuild{
		b: b, src: string(b),
		nodes:  make([]Node, s.values),
		fields: make([]Field, s.fields),
		items:  make([]*Node, s.items),
		sizes:  s.sizes,
	}
	return p.value()
}

func firstNonSpace(b []byte) int {
	i := 0
	for i < len(b)-1 && isSpace(b[i]) {
		i++
	}
	return i
}
