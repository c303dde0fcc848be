package printer

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// Paper widths in millimetres and their character columns (font A, 12x24).
const (
	Paper58 = 58 // 32 columns, 384 dots
	Paper80 = 80 // 48 columns, 576 dots
)

// Charset names how text reaches the printer: a Chinese (double-byte) mode
// or a single-byte code page selected with ESC t n.
type Charset string

// Charsets the encoder knows. GB18030 and GBK switch the printer into
// Chinese mode (FS &); the others cancel Chinese mode (FS .) and select a
// code page, for printers without Chinese fonts.
const (
	GB18030 Charset = "gb18030" // every character; 4-byte sequences passed through
	GBK     Charset = "gbk"     // GBK only; other characters become '?'
	CP437   Charset = "cp437"
	CP850   Charset = "cp850"
	CP852   Charset = "cp852"
	CP858   Charset = "cp858"
	CP860   Charset = "cp860"
	CP863   Charset = "cp863"
	CP865   Charset = "cp865"
	CP866   Charset = "cp866"
	CP1252  Charset = "cp1252"
	ASCII   Charset = "ascii" // 7-bit only, code page 0 selected
)

// codePages maps single-byte charsets to their x/text charmap and the ESC t
// number of the Epson table (most Chinese clones use the same numbers).
var codePages = map[Charset]struct {
	cm *charmap.Charmap
	n  byte
}{
	CP437:  {charmap.CodePage437, 0},
	CP850:  {charmap.CodePage850, 2},
	CP860:  {charmap.CodePage860, 3},
	CP863:  {charmap.CodePage863, 4},
	CP865:  {charmap.CodePage865, 5},
	CP1252: {charmap.Windows1252, 16},
	CP866:  {charmap.CodePage866, 17},
	CP852:  {charmap.CodePage852, 18},
	CP858:  {charmap.CodePage858, 19},
	ASCII:  {charmap.CodePage437, 0},
}

// Charsets lists every Charset name, for flag help and config validation.
func Charsets() []string {
	names := []string{string(GB18030), string(GBK)}
	for c := range codePages {
		names = append(names, string(c))
	}
	slices.Sort(names[2:])
	return names
}

// ParseCharset accepts a Charset name, case-insensitively ("GB18030", "cp437").
func ParseCharset(s string) (Charset, error) {
	c := Charset(strings.ToLower(strings.TrimSpace(s)))
	if c == GB18030 || c == GBK {
		return c, nil
	}
	if _, ok := codePages[c]; ok {
		return c, nil
	}
	return "", fmt.Errorf("unknown charset %q (want one of %s)", s, strings.Join(Charsets(), ", "))
}

// Chinese reports whether c prints in the printer's Chinese (double-byte) mode.
func (c Charset) Chinese() bool { return c == GB18030 || c == GBK || c == "" }

// QRMode chooses how a QR code is printed.
type QRMode string

// QR modes: the printer's own QR command (GS ( k), a raster image (GS v 0)
// for printers without it, or none (the code is printed as text only).
const (
	QRNative QRMode = "native"
	QRRaster QRMode = "raster"
	QRNone   QRMode = "none"
)

// ParseQRMode accepts "native", "raster" or "none".
func ParseQRMode(s string) (QRMode, error) {
	switch m := QRMode(strings.ToLower(strings.TrimSpace(s))); m {
	case QRNative, QRRaster, QRNone:
		return m, nil
	}
	return "", fmt.Errorf("unknown qr mode %q (want native, raster or none)", s)
}

// QRLevel is a QR error-correction level: 'L', 'M', 'Q' or 'H'.
type QRLevel byte

// QR error-correction levels.
const (
	QRLevelL QRLevel = 'L'
	QRLevelM QRLevel = 'M'
	QRLevelQ QRLevel = 'Q'
	QRLevelH QRLevel = 'H'
)

// Profile describes one printer: paper, text encoding, QR support and cut.
// The zero value is a 58 mm GB18030 printer with native QR and partial cut;
// config fills it from the [printer] section. A Profile is a plain value,
// safe to copy and share.
type Profile struct {
	Paper   int     // paper width in mm: 58 or 80 (0 = 58)
	Columns int     // characters per line; 0 = 32 for 58 mm, 48 for 80 mm
	Dots    int     // printable dots per line for raster images; 0 = 384 / 576
	Charset Charset // "" = GB18030
	QR      QRMode  // "" = native
	// QRModule is the QR module size: dots per module for raster, the
	// GS ( k module size (1..16) for native. 0 = 6.
	QRModule int
	QRLevel  QRLevel // "" = M
	// FullCut selects a full cut (GS V 0) instead of a partial one (GS V 1).
	FullCut bool
	// NoCut leaves the paper uncut (printers without a cutter).
	NoCut bool
	// FeedLines is the number of lines fed before the cut so the last
	// printed line clears the cutter. 0 = 4.
	FeedLines int
}

// withDefaults fills the zero fields.
func (p Profile) withDefaults() Profile {
	if p.Paper == 0 {
		p.Paper = Paper58
	}
	if p.Columns <= 0 {
		p.Columns = 32
		if p.Paper >= Paper80 {
			p.Columns = 48
		}
	}
	if p.Dots <= 0 {
		p.Dots = 384
		if p.Paper >= Paper80 {
			p.Dots = 576
		}
	}
	if p.Charset == "" {
		p.Charset = GB18030
	}
	if p.QR == "" {
		p.QR = QRNative
	}
	if p.QRModule <= 0 {
		p.QRModule = 6
	}
	if p.QRLevel == 0 {
		p.QRLevel = QRLevelM
	}
	if p.FeedLines <= 0 {
		p.FeedLines = 4
	}
	return p
}

// Validate reports the first field that cannot be used, naming it.
func (p Profile) Validate() error {
	if p.Paper != 0 && p.Paper != Paper58 && p.Paper != Paper80 {
		return fmt.Errorf("printer paper %d: want 58 or 80 (mm)", p.Paper)
	}
	if p.Columns < 0 || (p.Columns > 0 && p.Columns < 16) || p.Columns > 96 {
		return fmt.Errorf("printer columns %d: want 16..96, or 0 for the paper's default", p.Columns)
	}
	if p.Charset != "" {
		if _, err := ParseCharset(string(p.Charset)); err != nil {
			return fmt.Errorf("printer charset: %w", err)
		}
	}
	if p.QR != "" {
		if _, err := ParseQRMode(string(p.QR)); err != nil {
			return fmt.Errorf("printer qr: %w", err)
		}
	}
	if p.QRModule < 0 || p.QRModule > 16 {
		return fmt.Errorf("printer qr module %d: want 1..16", p.QRModule)
	}
	switch p.QRLevel {
	case 0, QRLevelL, QRLevelM, QRLevelQ, QRLevelH:
	default:
		return fmt.Errorf("printer qr level %q: want L, M, Q or H", rune(p.QRLevel))
	}
	return nil
}

// Cols returns the characters per line the profile prints (defaults applied).
func (p Profile) Cols() int { return p.withDefaults().Columns }
