package device

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.bug.st/serial"
)

// Terminator names the byte(s) a scanner sends after each code. It is
// configured on the scanner itself (usually by scanning a setup barcode).
type Terminator string

// The terminators a scanner can be set to. CR and LF always end a code,
// whatever is configured, because no payment code contains them; the
// setting matters for Tab, which ends a code only with TerminatorTab or
// TerminatorAuto.
const (
	TerminatorAuto Terminator = "auto" // CR, LF, CRLF or Tab
	TerminatorCR   Terminator = "CR"
	TerminatorLF   Terminator = "LF"
	TerminatorCRLF Terminator = "CRLF"
	TerminatorTab  Terminator = "TAB"
)

// ParseTerminator reads a terminator name, case-insensitively; "" means
// TerminatorAuto. Accepted: auto, CR, LF, CRLF, TAB (also "\r", "\n",
// "\r\n", "\t" and "tab" in any case).
func ParseTerminator(s string) (Terminator, error) {
	switch s {
	case "\r":
		return TerminatorCR, nil
	case "\n":
		return TerminatorLF, nil
	case "\r\n":
		return TerminatorCRLF, nil
	case "\t":
		return TerminatorTab, nil
	}
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "", "AUTO":
		return TerminatorAuto, nil
	case "CR", `\R`:
		return TerminatorCR, nil
	case "LF", `\N`:
		return TerminatorLF, nil
	case "CRLF", "CR+LF", `\R\N`:
		return TerminatorCRLF, nil
	case "TAB", "HT", `\T`:
		return TerminatorTab, nil
	}
	return "", fmt.Errorf("terminator %q: want one of CR, LF, CRLF, TAB, auto", s)
}

// endsAtTab reports whether a Tab byte ends a code under t.
func (t Terminator) endsAtTab() bool { return t == TerminatorTab || t == TerminatorAuto }

// Defaults applied by SerialConfig.WithDefaults to zero fields.
const (
	DefaultBaud              = 9600
	DefaultDataBits          = 8
	DefaultParity            = "none"
	DefaultStopBits          = "1"
	DefaultReconnectInterval = 500 * time.Millisecond
	// DefaultMaxCodeLen bounds the framer's buffer, in bytes. Payment codes
	// are at most 24 digits; 512 leaves room for long QR contents (URLs)
	// that are read only to be refused.
	DefaultMaxCodeLen = 512
)

// SerialConfig describes a serial scanner. The zero value of every field
// except Port means its default (see WithDefaults). It is a plain value:
// main fills it from the config file.
type SerialConfig struct {
	// Port is the device path: /dev/ttyACM0, /dev/ttyUSB0 or, best, a
	// stable /dev/serial/by-id/… name that survives renumbering.
	Port string
	// Baud is the line speed in bit/s (USB-CDC scanners ignore it).
	Baud int
	// DataBits is 5, 6, 7 or 8.
	DataBits int
	// Parity is none, odd, even, mark or space (or N, O, E, M, S).
	Parity string
	// StopBits is "1", "1.5" or "2".
	StopBits string
	// Terminator is what the scanner sends after each code.
	Terminator Terminator
	// Prefix and Suffix, when set, are stripped from a code that starts or
	// ends with them (scanners can be set to add e.g. STX/ETX).
	Prefix, Suffix string
	// ReconnectInterval is how long the Reader waits between attempts to
	// reopen an absent port. It is also the period at which a connected
	// Reader checks that a by-id symlink still points at the open device
	// (capped at 1 s).
	ReconnectInterval time.Duration
	// MaxCodeLen bounds a code in bytes; a longer run without terminator
	// is discarded up to the next terminator.
	MaxCodeLen int
	// ModemLines asserts DTR and RTS after opening: a few USB-CDC scanners
	// send nothing until DTR is set. Ports without modem lines (ptys answer
	// ENOTTY) are accepted as they are.
	ModemLines bool
}

// DefaultSerialConfig returns the defaults for every field but Port.
//
// CONFIG: the config package starts from this value for the [scanner]
// section, so the defaults live in one place.
func DefaultSerialConfig() SerialConfig {
	return SerialConfig{}.WithDefaults()
}

// WithDefaults returns c with every zero field set to its default.
func (c SerialConfig) WithDefaults() SerialConfig {
	if c.Baud == 0 {
		c.Baud = DefaultBaud
	}
	if c.DataBits == 0 {
		c.DataBits = DefaultDataBits
	}
	if c.Parity == "" {
		c.Parity = DefaultParity
	}
	if c.StopBits == "" {
		c.StopBits = DefaultStopBits
	}
	if t, err := ParseTerminator(string(c.Terminator)); err == nil {
		c.Terminator = t // "" → auto; "cr" → CR
	}
	if c.ReconnectInterval == 0 {
		c.ReconnectInterval = DefaultReconnectInterval
	}
	if c.MaxCodeLen == 0 {
		c.MaxCodeLen = DefaultMaxCodeLen
	}
	return c
}

// Validate reports every invalid field of c (after defaults are applied
// to zero fields). Each message names the field and says what would be
// accepted, so the config package can prefix it with file and line.
func (c SerialConfig) Validate() error {
	_, err := c.mode()
	return err
}

// mode validates c and converts it to a go.bug.st/serial Mode. It never
// sets InitialStatusBits: that makes Open fail on ports without modem
// lines (HARDWARE.md, "Serial ports").
func (c SerialConfig) mode() (*serial.Mode, error) {
	c = c.WithDefaults()
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	if strings.TrimSpace(c.Port) == "" {
		bad("port: empty; set the scanner's device, e.g. /dev/ttyACM0 or /dev/serial/by-id/… (posterm devices lists them)")
	}
	if c.Baud < 50 || c.Baud > 4_000_000 {
		bad("baud: %d is not a line speed; use the scanner's setting, usually 9600 or 115200", c.Baud)
	}
	if c.DataBits < 5 || c.DataBits > 8 {
		bad("data_bits: %d; want 5, 6, 7 or 8 (scanners use 8)", c.DataBits)
	}
	m := &serial.Mode{BaudRate: c.Baud, DataBits: c.DataBits}
	switch strings.ToLower(c.Parity) {
	case "none", "n":
		m.Parity = serial.NoParity
	case "odd", "o":
		m.Parity = serial.OddParity
	case "even", "e":
		m.Parity = serial.EvenParity
	case "mark", "m":
		m.Parity = serial.MarkParity
	case "space", "s":
		m.Parity = serial.SpaceParity
	default:
		bad("parity: %q; want none, odd, even, mark or space", c.Parity)
	}
	switch c.StopBits {
	case "1":
		m.StopBits = serial.OneStopBit
	case "1.5":
		m.StopBits = serial.OnePointFiveStopBits
	case "2":
		m.StopBits = serial.TwoStopBits
	default:
		bad("stop_bits: %q; want 1, 1.5 or 2", c.StopBits)
	}
	if _, err := ParseTerminator(string(c.Terminator)); err != nil {
		bad("%v", err)
	}
	if strings.ContainsAny(c.Prefix, "\r\n") || (c.Terminator.endsAtTab() && strings.Contains(c.Prefix, "\t")) {
		bad("prefix: %q contains the terminator; a prefix is what the scanner sends before the code", c.Prefix)
	}
	if strings.ContainsAny(c.Suffix, "\r\n") || (c.Terminator.endsAtTab() && strings.Contains(c.Suffix, "\t")) {
		bad("suffix: %q contains the terminator; set the terminator separately and the suffix to what comes before it", c.Suffix)
	}
	if c.ReconnectInterval < 10*time.Millisecond || c.ReconnectInterval > 10*time.Second {
		bad("reconnect_interval: %v; want between 10ms and 10s (500ms–1s is usual)", c.ReconnectInterval)
	}
	if c.MaxCodeLen < 8 || c.MaxCodeLen > 64<<10 {
		bad("max_code_len: %d; want between 8 and 65536 bytes", c.MaxCodeLen)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return m, nil
}
