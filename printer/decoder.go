package printer

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mattn/go-runewidth"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Line is one printed line as the decoder sees it.
type Line struct {
	Text   string // printable text; markers such as "[QR: …]" stand for graphics
	Align  Align  // alignment in effect when the line began
	Bold   bool   // some of the line is bold
	Double bool   // some of the line is double width or height
	Marker bool   // the line is a marker (QR, image, barcode, cut, drawer), not text
	Width  int    // columns the line takes on paper (double width counted twice)
}

// Decoder is the virtual printer: it turns ESC/POS bytes into lines of
// text, for tests and the on-screen receipt preview. It understands the
// commands of this package's Encoder and skips the other common ones by
// their length; it never fails and never panics, whatever the bytes (see
// FuzzDecode), and emits no control characters. A Decoder is a plain value,
// safe for concurrent use.
//
// Markers: "[QR: data]" for a native QR code, "[RASTER QR]" for a raster
// image that looks like a QR code, "[IMAGE wxh]" (dots) for other images,
// "[BARCODE: data]", "----- cut -----" for a cut and "[DRAWER]" for a
// drawer pulse. Bold and size are not marked in Text (see Line). Blank
// lines fed right before a cut are dropped, and runs of blank lines are
// shortened to 8.
type Decoder struct {
	// Columns pads centred and right-aligned lines to this paper width;
	// 0 leaves lines as printed, unaligned.
	Columns int
	// Charset is the single-byte code page assumed before any ESC t
	// ("" = cp437). Chinese starts the printer in Chinese mode, as
	// printers sold in China power up.
	Charset Charset
	Chinese bool
}

// DecodeText renders ESC/POS bytes as text, one line per printed line,
// aligned to columns (0 = unaligned). It is Decoder{Columns: columns}.Text.
func DecodeText(b []byte, columns int) string { return Decoder{Columns: columns}.Text(b) }

// Text renders b as newline-separated lines, aligned when Columns > 0.
func (d Decoder) Text(b []byte) string {
	var sb strings.Builder
	for _, l := range d.Lines(b) {
		sb.WriteString(d.aligned(l))
		sb.WriteByte('\n')
	}
	return sb.String()
}

func (d Decoder) aligned(l Line) string {
	// Text is one cell per character, also for double-width lines, so
	// it is aligned by its screen width, not by its width on paper.
	w := TextWidth(l.Text)
	if d.Columns <= 0 || w >= d.Columns || l.Text == "" {
		return l.Text
	}
	switch l.Align {
	case AlignCenter:
		return strings.Repeat(" ", (d.Columns-w)/2) + l.Text
	case AlignRight:
		return strings.Repeat(" ", d.Columns-w) + l.Text
	}
	return l.Text
}

const (
	maxBlankRun = 8
	cutMarker   = "----- cut -----"
)

// decodeState is the printer's state while decoding.
type decodeState struct {
	d       Decoder
	out     []Line
	cm      *charmap.Charmap
	chinese bool
	align   Align
	bold    bool
	wide    int // width multiplier
	tall    int // height multiplier
	kanjiW  bool
	kanjiH  bool
	line    strings.Builder
	cur     Line
	pend    []byte // text bytes not yet decoded
	blanks  int    // trailing blank lines in out
	qr      map[byte][]byte
	gfx     string // last stored GS ( L image, as "[IMAGE wxh]"
	split   bool   // each GS v 0 band is its own command (Remainder)
}

// Lines decodes b into printed lines.
func (d Decoder) Lines(b []byte) []Line {
	s := &decodeState{d: d, chinese: d.Chinese, qr: map[byte][]byte{}}
	s.reset()
	s.run(b)
	s.flushText()
	if s.line.Len() > 0 {
		s.endLine()
	}
	return s.out
}

func (s *decodeState) reset() {
	s.cm = charmap.CodePage437
	if cp, ok := codePages[s.d.Charset]; ok {
		s.cm = cp.cm
	}
	s.align, s.bold, s.wide, s.tall, s.kanjiW, s.kanjiH = AlignLeft, false, 1, 1, false, false
}

// arg returns b[i] or 0 past the end.
func arg(b []byte, i int) int {
	if i < len(b) {
		return int(b[i])
	}
	return 0
}

// skip returns i+n bounded by len(b).
func skip(b []byte, i, n int) int {
	if n < 0 || i+n > len(b) || i+n < i {
		return len(b)
	}
	return i + n
}

func (s *decodeState) run(b []byte) {
	i := 0
	for i < len(b) {
		c := b[i]
		if c >= 0x20 && c != 0x7f {
			s.pend = append(s.pend, c)
			i++
			continue
		}
		s.flushText()
		switch c {
		case lf, 0x0c:
			s.endLine()
			i++
		case 0x09:
			n := 8 - (s.cur.Width % 8)
			s.addText(strings.Repeat(" ", n), n)
			i++
		case esc:
			i = s.escCmd(b, i)
		case gs:
			i = s.gsCmd(b, i)
		case fs:
			i = s.fsCmd(b, i)
		case dle:
			i = s.dleCmd(b, i)
		default: // NUL, CR, CAN and the rest: no visible effect
			i++
		}
	}
}

func (s *decodeState) escCmd(b []byte, i int) int {
	if i+1 >= len(b) {
		return len(b)
	}
	n := arg(b, i+2)
	switch b[i+1] {
	case '@':
		s.reset()
		return i + 2
	case '!':
		s.bold, s.tall, s.wide = n&0x08 != 0, 1+(n>>4&1), 1+(n>>5&1)
		return skip(b, i, 3)
	case 'E', 'G':
		s.bold = n&1 != 0
		return skip(b, i, 3)
	case 'a':
		if n >= '0' {
			n -= '0'
		}
		if n >= 0 && n <= int(AlignRight) {
			s.align = Align(n)
		}
		return skip(b, i, 3)
	case 'd':
		s.feed(n)
		return skip(b, i, 3)
	case 'J':
		s.endLine()
		return skip(b, i, 3)
	case 't':
		s.cm = codeTable(n)
		return skip(b, i, 3)
	case 'p':
		s.marker("[DRAWER]", false)
		return skip(b, i, 5)
	case 'i', 'm':
		s.cut()
		return i + 2
	case '*':
		w := arg(b, i+3) | arg(b, i+4)<<8
		h, per := 8, 1
		if n >= 32 {
			h, per = 24, 3
		}
		s.marker(fmt.Sprintf("[IMAGE %dx%d]", w, h), true)
		return skip(b, i, 5+w*per)
	case '$', '\\':
		return skip(b, i, 4)
	case 'c':
		return skip(b, i, 4)
	case 'B':
		return skip(b, i, 4)
	case 'W':
		return skip(b, i, 10)
	case 'D': // tab stops, NUL-terminated
		j := i + 2
		for j < len(b) && j < i+2+33 && b[j] != 0 {
			j++
		}
		return skip(b, j, 1)
	case '&': // user-defined characters: ESC & y c1 c2 [x d1…d(y×x)]…
		y, c1, c2 := n, arg(b, i+3), arg(b, i+4)
		j := skip(b, i, 5)
		for k := c1; k <= c2 && k-c1 < 256 && j < len(b); k++ {
			x := int(b[j])
			j = skip(b, j, 1+y*x)
		}
		return j
	case '(': // ESC ( fn pL pH …
		return skip(b, i, 5+(arg(b, i+3)|arg(b, i+4)<<8))
	case '2', '<', 'L', 'S':
		return i + 2
	}
	// ESC - n, ESC 3 n, ESC SP n, ESC M n, ESC R n, ESC V n, ESC { n,
	// ESC = n, ESC r n, ESC U n, ESC T n, ESC % n and unknown ones.
	return skip(b, i, 3)
}

func (s *decodeState) gsCmd(b []byte, i int) int {
	if i+1 >= len(b) {
		return len(b)
	}
	n := arg(b, i+2)
	switch b[i+1] {
	case '!':
		s.wide, s.tall = 1+(n>>4&7), 1+(n&7)
		return skip(b, i, 3)
	case 'V':
		s.cut()
		switch n {
		case 65, 66, 97, 98, 103, 104:
			return skip(b, i, 4)
		}
		return skip(b, i, 3)
	case 'v':
		if n != '0' {
			return skip(b, i, 3)
		}
		bw := arg(b, i+4) | arg(b, i+5)<<8
		h := arg(b, i+6) | arg(b, i+7)<<8
		start := skip(b, i, 8)
		end := skip(b, start, bw*h)
		data := b[start:end]
		// bands of one image (Encoder.Image) follow each other: join them
		for !s.split && len(data) == bw*h && end+8 <= len(b) && b[end] == gs && b[end+1] == 'v' && b[end+2] == '0' &&
			arg(b, end+4)|arg(b, end+5)<<8 == bw {
			bh := arg(b, end+6) | arg(b, end+7)<<8
			next := skip(b, end+8, bw*bh)
			if next-(end+8) != bw*bh {
				break
			}
			data = append(data[:len(data):len(data)], b[end+8:next]...)
			h, end = h+bh, next
		}
		if len(data) == bw*h && looksLikeQR(data, bw, h) {
			s.marker("[RASTER QR]", true)
		} else {
			s.marker(fmt.Sprintf("[IMAGE %dx%d]", bw*8, h), true)
		}
		return end
	case '(':
		fn := byte(arg(b, i+2))
		l := arg(b, i+3) | arg(b, i+4)<<8
		start := skip(b, i, 5)
		end := skip(b, start, l)
		s.gsParen(fn, b[start:end])
		return end
	case '8':
		if n != 'L' {
			return skip(b, i, 3)
		}
		l := arg(b, i+3) | arg(b, i+4)<<8 | arg(b, i+5)<<16 | arg(b, i+6)<<24
		start := skip(b, i, 7)
		end := skip(b, start, l)
		s.gsParen('L', b[start:end])
		return end
	case 'k':
		return s.barcode(b, i)
	case '*': // define downloaded bit image: x×y×8 bytes
		x, y := n, arg(b, i+3)
		s.gfx = fmt.Sprintf("[IMAGE %dx%d]", x*8, y*8)
		return skip(b, i, 4+x*y*8)
	case '/':
		s.marker(orDefault(s.gfx, "[IMAGE]"), true)
		return skip(b, i, 3)
	case 'L', 'W', 'P', '$', '\\':
		return skip(b, i, 4)
	case '^':
		return skip(b, i, 5)
	case ':':
		return i + 2
	}
	return skip(b, i, 3)
}

// gsParen handles GS ( fn with its parameter block p.
func (s *decodeState) gsParen(fn byte, p []byte) {
	switch fn {
	case 'k':
		if len(p) < 2 {
			return
		}
		cn, f := p[0], p[1]
		switch {
		case f == 0x50 && len(p) >= 3: // store data (after m)
			s.qr[cn] = append([]byte(nil), p[3:]...)
		case f == 0x51: // print
			name := map[byte]string{0x31: "QR", 0x30: "PDF417", 0x33: "DATAMATRIX", 0x34: "AZTEC"}[cn]
			if name == "" {
				name = "2D CODE"
			}
			s.marker(fmt.Sprintf("[%s: %s]", name, printable(s.qr[cn])), true)
		}
	case 'L':
		if len(p) < 2 {
			return
		}
		switch p[1] {
		case 0x70, 0x43, 0x53: // store raster graphics (print buffer or NV)
			if len(p) >= 10 {
				w, h := int(p[6])|int(p[7])<<8, int(p[8])|int(p[9])<<8
				s.gfx = fmt.Sprintf("[IMAGE %dx%d]", w, h)
			}
		case 0x32, 0x45, 0x55: // print stored graphics
			s.marker(orDefault(s.gfx, "[IMAGE]"), true)
		}
	}
}

func (s *decodeState) barcode(b []byte, i int) int {
	m := arg(b, i+2)
	if m <= 6 { // NUL-terminated
		j := skip(b, i, 3)
		k := j
		for k < len(b) && b[k] != 0 && k-j < 255 {
			k++
		}
		s.marker("[BARCODE: "+printable(b[j:k])+"]", true)
		return skip(b, k, 1)
	}
	n := arg(b, i+3)
	j := skip(b, i, 4)
	end := skip(b, j, n)
	s.marker("[BARCODE: "+printable(b[j:end])+"]", true)
	return end
}

func (s *decodeState) fsCmd(b []byte, i int) int {
	if i+1 >= len(b) {
		return len(b)
	}
	n := arg(b, i+2)
	switch b[i+1] {
	case '&':
		s.chinese = true
		return i + 2
	case '.':
		s.chinese = false
		return i + 2
	case '!':
		s.kanjiW, s.kanjiH = n&0x04 != 0, n&0x08 != 0
		return skip(b, i, 3)
	case 'S':
		return skip(b, i, 4)
	case '2':
		return skip(b, i, 4+72)
	case 'p':
		s.marker("[IMAGE]", true)
		return skip(b, i, 4)
	case 'q': // define NV images: n × (xL xH yL yH data[x*y*8])
		j := skip(b, i, 3)
		for k := 0; k < n && j < len(b); k++ {
			x, y := arg(b, j)|arg(b, j+1)<<8, arg(b, j+2)|arg(b, j+3)<<8
			j = skip(b, j, 4+x*y*8)
		}
		return j
	}
	return skip(b, i, 3)
}

func (s *decodeState) dleCmd(b []byte, i int) int {
	if i+1 >= len(b) {
		return len(b)
	}
	switch b[i+1] {
	case eot, 0x05: // status request, real-time request: nothing printed
		return skip(b, i, 3)
	case 0x14: // DLE DC4 fn …
		switch arg(b, i+2) {
		case 1:
			s.marker("[DRAWER]", false)
			return skip(b, i, 5)
		case 2:
			return skip(b, i, 5)
		case 7:
			return skip(b, i, 4)
		case 8:
			return skip(b, i, 10)
		}
		return skip(b, i, 3)
	}
	return i + 1
}

// codeTable maps ESC t n to a charmap (unknown tables read as cp437).
func codeTable(n int) *charmap.Charmap {
	for _, cp := range codePages {
		if int(cp.n) == n {
			return cp.cm
		}
	}
	return charmap.CodePage437
}

// flushText decodes pending text bytes into the current line.
func (s *decodeState) flushText() {
	if len(s.pend) == 0 {
		return
	}
	p := s.pend
	s.pend = s.pend[:0]
	var text string
	if s.chinese {
		out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(p)
		if err != nil {
			out = []byte(strings.Repeat("?", len(p)))
		}
		text = string(out)
	} else {
		var sb strings.Builder
		for _, c := range p {
			if c < 0x80 {
				sb.WriteByte(c)
			} else {
				sb.WriteRune(s.cm.DecodeByte(c))
			}
		}
		text = sb.String()
	}
	var sb strings.Builder
	w := 0
	for _, r := range text {
		if unicode.IsControl(r) {
			r = '\uFFFD'
		}
		sb.WriteRune(r)
		cw := 1
		if s.chinese && r >= 0x80 {
			cw = 2 // a double-byte character is printed full width
		}
		mul := s.wide
		if s.chinese && r >= 0x80 && s.kanjiW {
			mul = max(mul, 2)
		}
		w += cw * mul
	}
	s.addText(sb.String(), w)
}

func (s *decodeState) addText(t string, w int) {
	if s.line.Len() == 0 {
		s.cur.Align = s.align
	}
	s.line.WriteString(t)
	s.cur.Width += w
	s.cur.Bold = s.cur.Bold || s.bold
	s.cur.Double = s.cur.Double || s.wide > 1 || s.tall > 1 || (s.chinese && (s.kanjiW || s.kanjiH))
}

// endLine prints the current line (possibly empty).
func (s *decodeState) endLine() {
	s.flushText()
	l := s.cur
	l.Text = strings.TrimRight(s.line.String(), " ")
	if l.Text == "" {
		l = Line{}
		if s.blanks >= maxBlankRun {
			s.resetLine()
			return
		}
		s.blanks++
	} else {
		s.blanks = 0
	}
	s.out = append(s.out, l)
	s.resetLine()
}

func (s *decodeState) resetLine() {
	s.line.Reset()
	s.cur = Line{}
}

// feed is ESC d n: print the line and feed n lines in all.
func (s *decodeState) feed(n int) {
	if n == 0 {
		if s.line.Len() > 0 || len(s.pend) > 0 {
			s.endLine()
		}
		return
	}
	for range min(n, maxBlankRun+1) {
		s.endLine()
	}
}

// marker emits a marker line, ending any text first.
func (s *decodeState) marker(text string, aligned bool) {
	s.flushText()
	if s.line.Len() > 0 {
		s.endLine()
	}
	l := Line{Text: text, Marker: true, Width: utf8.RuneCountInString(text)}
	if aligned {
		l.Align = s.align
	}
	s.out = append(s.out, l)
	s.blanks = 0
}

// cut emits the cut marker, dropping the blank lines fed before it.
func (s *decodeState) cut() {
	s.flushText()
	if s.line.Len() > 0 {
		s.endLine()
	}
	for len(s.out) > 0 && s.out[len(s.out)-1].Text == "" {
		s.out = s.out[:len(s.out)-1]
	}
	s.out = append(s.out, Line{Text: cutMarker, Marker: true, Width: len(cutMarker)})
	s.blanks = 0
}

// printable renders code data for a marker: valid UTF-8 without controls
// as is, anything else quoted.
func printable(b []byte) string {
	if utf8.Valid(b) && !strings.ContainsFunc(string(b), unicode.IsControl) {
		return string(b)
	}
	q := fmt.Sprintf("%q", b)
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, q)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// looksLikeQR reports whether a raster image (bw bytes per row, h rows) is
// a QR code: a square of dark modules with finder patterns (7×7: ring,
// gap, 3×3 core) in three corners.
func looksLikeQR(data []byte, bw, h int) bool {
	if bw <= 0 || h <= 0 || bw*8 > 4096 || h > 4096 {
		return false
	}
	at := func(x, y int) bool {
		if x < 0 || y < 0 || x >= bw*8 || y >= h {
			return false
		}
		return data[y*bw+x/8]&(0x80>>(x%8)) != 0
	}
	// bounding box of the dark dots
	x0, y0, x1, y1 := bw*8, h, -1, -1
	for y := range h {
		for x := range bw * 8 {
			if at(x, y) {
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
			}
		}
	}
	if x1 < 0 {
		return false
	}
	side := x1 - x0 + 1
	if d := side - (y1 - y0 + 1); d < -2 || d > 2 || side < 21 {
		return false
	}
	run := 0
	for at(x0+run, y0) {
		run++
	}
	if run < 7 || run%7 != 0 {
		return false
	}
	m := run / 7 // dots per module
	finder := func(ox, oy int) bool {
		for my := range 7 {
			for mx := range 7 {
				ring := mx == 0 || my == 0 || mx == 6 || my == 6
				core := mx >= 2 && mx <= 4 && my >= 2 && my <= 4
				if at(ox+mx*m+m/2, oy+my*m+m/2) != (ring || core) {
					return false
				}
			}
		}
		return true
	}
	return finder(x0, y0) && finder(x1+1-7*m, y0) && finder(x0, y1+1-7*m)
}

// screenWidth counts East-Asian ambiguous characters as one column, as the
// register's screen is configured (HARDWARE.md).
var screenWidth = &runewidth.Condition{EastAsianWidth: false}

// TextWidth is the number of terminal columns decoded text takes on the
// screen (CJK two, East-Asian ambiguous characters one), for previews.
func TextWidth(s string) int { return screenWidth.StringWidth(s) }

// commandEnd returns where the command or character starting at b[i] ends
// (as the decoder parses it), so a byte stream can be cut into commands.
func (s *decodeState) commandEnd(b []byte, i int) int {
	switch b[i] {
	case esc:
		return s.escCmd(b, i)
	case gs:
		return s.gsCmd(b, i)
	case fs:
		return s.fsCmd(b, i)
	case dle:
		return s.dleCmd(b, i)
	}
	if s.chinese && b[i] >= 0x81 && b[i] <= 0xfe { // a GBK/GB18030 character
		if i+1 < len(b) && b[i+1] >= '0' && b[i+1] <= '9' {
			return min(i+4, len(b))
		}
		return min(i+2, len(b))
	}
	return i + 1
}

// Remainder returns how many more bytes a printer that received b[:n]
// expects to finish the command it is inside (the rest of a raster band,
// of a QR store command…); 0 when b[:n] ends between commands. Sending
// that many filler bytes brings the printer back to reading commands.
func Remainder(b []byte, n int) int {
	if n <= 0 || n >= len(b) {
		return 0
	}
	s := &decodeState{qr: map[byte][]byte{}, split: true}
	s.reset()
	for i := 0; i < n; {
		end := s.commandEnd(b, i)
		if end > n {
			return end - n
		}
		i = max(end, i+1)
	}
	return 0
}

// MaxOpen returns the longest command in b: what a printer cut off at an
// unknown point of b may still expect.
func MaxOpen(b []byte) int {
	s := &decodeState{qr: map[byte][]byte{}, split: true}
	s.reset()
	m := 0
	for i := 0; i < len(b); {
		end := max(s.commandEnd(b, i), i+1)
		m = max(m, end-i-1)
		i = end
	}
	return m
}
