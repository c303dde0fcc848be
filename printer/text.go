package printer

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/mattn/go-runewidth"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/unicode/norm"
)

// codec turns Unicode text into what one printer can print. Layouts work on
// prepared text (prepare), so column widths are those of the paper: in
// Chinese mode a character printed from a double-byte (or four-byte) code
// takes two columns and ASCII one; in a single-byte code page every
// character takes one. That is the printer's rule, not the screen's, so
// East-Asian ambiguous characters (— · ×) are counted as the printer prints
// them; labels avoid them so screen previews line up too.
type codec struct {
	charset Charset
	cm      *charmap.Charmap // nil in Chinese mode
	gbk     bool             // Chinese mode limited to GBK
}

func newCodec(c Charset) codec {
	if c == "" {
		c = GB18030
	}
	cd := codec{charset: c}
	switch c {
	case GB18030:
	case GBK:
		cd.gbk = true
	default:
		cd.cm = codePages[c].cm
		if cd.cm == nil {
			cd.cm = charmap.CodePage437
		}
	}
	return cd
}

// chinese reports whether labels may be printed in Chinese.
func (c codec) chinese() bool { return c.cm == nil }

// asciiOnly is the 7-bit charset.
func (c codec) asciiOnly() bool { return c.charset == ASCII }

// translit replaces characters a single-byte code page lacks. Entries are
// tried only when the character itself is not encodable.
var translit = map[rune]string{
	'￥': "¥", '¥': "RMB", '€': "EUR", '£': "GBP",
	'。': ".", '，': ",", '、': ",", '：': ":", '；': ";", '！': "!", '？': "?",
	'（': "(", '）': ")", '【': "[", '】': "]", '《': "<", '》': ">", '〈': "<", '〉': ">",
	'「': "\"", '」': "\"", '『': "\"", '』': "\"", '“': "\"", '”': "\"", '‘': "'", '’': "'",
	'—': "-", '–': "-", '―': "-", '…': "...", '·': ".", '・': ".", '×': "x", '÷': "/",
	'℃': "C", '°': "o", '\u3000': " ", '～': "~", '‧': ".",
}

// latin spells Latin letters that have no decomposition (ß, æ, ø…) in
// ASCII, for pages and Chinese mode that lack them.
var latin = map[rune]string{
	'ß': "ss", 'ẞ': "SS", 'æ': "ae", 'Æ': "AE", 'œ': "oe", 'Œ': "OE", 'ø': "o", 'Ø': "O",
	'ł': "l", 'Ł': "L", 'đ': "d", 'Đ': "D", 'ð': "d", 'Ð': "D", 'þ': "th", 'Þ': "Th", 'ı': "i",
	'ŀ': "l", 'Ŀ': "L", 'ħ': "h", 'Ħ': "H", 'ŋ': "ng", 'Ŋ': "NG", 'ĸ': "k", 'ſ': "s",
}

// Marker is what a character the printer cannot print becomes when no
// transliteration applies (☕, 😀, a script the charset lacks): one column.
const Marker = '?'

// prepare returns s as the printer will print it: controls (which could
// smuggle commands into the byte stream) become spaces, zero-width runes
// are dropped, and every character the charset cannot print as text is
// replaced by the documented fallback:
//
//   - Chinese mode (GB18030 and GBK alike): only ASCII and the two-byte
//     GBK characters (GB2312 included) go out; ¥ becomes the full-width ￥
//     (HARDWARE.md: ¥ is four bytes in GB18030 and prints as garbage on
//     many printers); € (a lone 0x80 in GBK) becomes EUR;
//   - a single-byte code page: the characters of the page;
//   - anything else: a transliteration (the translit and latin tables:
//     ö → o, ß → ss, € → EUR, full-width ASCII → ASCII), else Marker.
//
// Widths are counted as printed: ASCII one column, a GBK character two,
// every character of a code page one.
func (c codec) prepare(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		c.prepareRune(&b, r, 0)
	}
	return b.String()
}

func (c codec) prepareRune(b *strings.Builder, r rune, depth int) {
	switch {
	case r == utf8.RuneError:
		b.WriteRune(Marker)
		return
	case r < 0x20 || (r >= 0x7f && r < 0xa0):
		b.WriteByte(' ')
		return
	case r >= 0x80 && runewidth.RuneWidth(r) == 0 && !unicode.Is(unicode.Mn, r):
		return // zero-width joiners, BOM, variation selectors
	case r < 0x80:
		b.WriteRune(r)
		return
	case unicode.Is(unicode.Mn, r) || (r >= 0xd800 && r < 0xe000):
		return // a combining mark would print on its own; drop it
	case c.chinese() && r == '¥':
		b.WriteRune('￥')
		return
	}
	if c.encodable(r) {
		b.WriteRune(r)
		return
	}
	if depth < 3 {
		rep, ok := translit[r]
		if !ok {
			rep, ok = latin[r]
		}
		if ok {
			for _, rr := range rep {
				c.prepareRune(b, rr, depth+1)
			}
			return
		}
	}
	if r >= 0xff01 && r <= 0xff5e { // full-width ASCII forms
		b.WriteRune(r - 0xfee0)
		return
	}
	// Latin letters with accents the charset lacks: drop the accent (é → e).
	if d := norm.NFD.String(string(r)); d != string(r) {
		base, _ := utf8.DecodeRuneInString(d)
		if base < 0x80 || c.encodable(base) {
			c.prepareRune(b, base, depth+1)
			return
		}
	}
	b.WriteRune(Marker)
}

// encodable reports whether r goes out as text: in Chinese mode a
// two-byte GBK character, in a code page one of the page's.
func (c codec) encodable(r rune) bool {
	if r < 0x80 {
		return true
	}
	if c.chinese() {
		return encodableGBK(r)
	}
	if c.asciiOnly() {
		return false
	}
	_, ok := c.cm.EncodeRune(r)
	return ok
}

var (
	gbkOnce  sync.Once
	gbkTable []uint64 // bit r: r < 0x10000 is a two-byte GBK character
)

// encodableGBK reports whether r is a two-byte GBK character (GB2312
// included). € is not: GBK has it as the single byte 0x80, which many
// printers take for something else.
func encodableGBK(r rune) bool {
	if r >= 0x10000 {
		return false
	}
	gbkOnce.Do(func() {
		gbkTable = make([]uint64, 0x10000/64)
		e := simplifiedchinese.GBK.NewEncoder()
		var buf [8]byte
		var src [4]byte
		for x := rune(0x80); x < 0x10000; x++ {
			if x >= 0xd800 && x < 0xe000 {
				continue
			}
			n := utf8.EncodeRune(src[:], x)
			e.Reset()
			if nDst, _, err := e.Transform(buf[:], src[:n], true); err == nil && nDst == 2 {
				gbkTable[x/64] |= 1 << (x % 64)
			}
		}
	})
	return gbkTable[r/64]&(1<<(r%64)) != 0
}

// width is the number of columns prepared text takes on paper.
func (c codec) width(s string) int {
	if !c.chinese() {
		return utf8.RuneCountInString(s)
	}
	w := 0
	for i := 0; i < len(s); i++ {
		if s[i] < 0x80 {
			w++
		} else if utf8.RuneStart(s[i]) {
			w += 2
		}
	}
	return w
}

func (c codec) runeWidth(r rune) int {
	if r < 0x80 || !c.chinese() {
		return 1
	}
	return 2
}

// encode turns prepared text into printer bytes. Characters that still
// cannot be encoded become '?', so encode never fails.
func (c codec) encode(s string) []byte {
	if c.cm == nil {
		var enc *encoding.Encoder
		if c.gbk {
			enc = simplifiedchinese.GBK.NewEncoder()
		} else {
			enc = simplifiedchinese.GB18030.NewEncoder()
		}
		out, err := encoding.ReplaceUnsupported(enc).Bytes([]byte(s))
		if err != nil {
			return []byte(strings.Repeat("?", utf8.RuneCountInString(s)))
		}
		return out
	}
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r < 0x80 {
			out = append(out, byte(r))
			continue
		}
		if b, ok := c.cm.EncodeRune(r); ok && !c.asciiOnly() {
			out = append(out, b)
		} else {
			out = append(out, '?')
		}
	}
	return out
}

// wrap breaks prepared text into lines of at most w columns. Latin text
// breaks at spaces; next to a wide (CJK) character a break is allowed
// anywhere; a word longer than a line is cut. It returns at least one line.
func (c codec) wrap(s string, w int) []string {
	if w < 2 {
		w = 2
	}
	s = strings.TrimRight(s, " ")
	var lines []string
	for c.width(s) > w {
		col, cut := 0, len(s)
		brkEnd, brkNext := -1, -1 // the line may end at s[:brkEnd] and go on at s[brkNext:]
		prevWide := false
		for i, r := range s {
			rw := c.runeWidth(r)
			if i > 0 && r != ' ' && (rw == 2 || prevWide) {
				brkEnd, brkNext = i, i
			}
			if col+rw > w {
				cut = i
				break
			}
			if r == ' ' {
				brkEnd, brkNext = i, i+1
			}
			col += rw
			prevWide = rw == 2
		}
		end, next := cut, cut
		switch {
		case s[cut] == ' ':
			next = cut + 1
		case brkEnd > 0:
			end, next = brkEnd, brkNext
		}
		line := strings.TrimRight(s[:end], " ")
		if line == "" {
			line, next = s[:cut], cut
		}
		lines = append(lines, line)
		s = strings.TrimLeft(s[next:], " ")
	}
	return append(lines, s)
}

// pad returns s followed by spaces up to w columns.
func (c codec) padRight(s string, w int) string {
	if n := w - c.width(s); n > 0 {
		return s + strings.Repeat(" ", n)
	}
	return s
}

// padLeft returns s preceded by spaces up to w columns.
func (c codec) padLeft(s string, w int) string {
	if n := w - c.width(s); n > 0 {
		return strings.Repeat(" ", n) + s
	}
	return s
}

// truncate cuts prepared text to at most w columns.
func (c codec) truncate(s string, w int) string {
	col := 0
	for i, r := range s {
		rw := c.runeWidth(r)
		if col+rw > w {
			return s[:i]
		}
		col += rw
	}
	return s
}

// MaskCode returns a payment code safe to print: anything longer than 8
// characters keeps its first 4 and last 4 and shows **** between. The
// caller is expected to pass the masked form already; this is the
// layout's own defence, so a whole code can never reach paper or a log.
func MaskCode(code string) string {
	code = strings.TrimSpace(code)
	r := []rune(code)
	if len(r) <= 8 {
		return code
	}
	return string(r[:4]) + "****" + string(r[len(r)-4:])
}
