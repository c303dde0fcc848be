package device

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// USB HID scanners read through evdev.
//
// On the appliance the scanner is usually a USB keyboard. Left alone it
// types into the console (and, on tty1, into the register as a "wedge").
// EvdevReader instead opens its /dev/input/event* node, grabs it
// (EVIOCGRAB: its keys no longer reach the console or any other reader),
// decodes the key events with the US layout and Shift, and ends a code at
// Enter. Unplug and replug are handled like the serial Reader: a
// Disconnected at once, then a reopen every ReconnectInterval.

// Linux input constants (linux/input-event-codes.h, linux/input.h).
const (
	evKey        = 0x01
	keyLeftShift = 42
	keyRightShft = 54
	keyCapsLock  = 58
	keyEnter     = 28
	keyKPEnter   = 96
	keyTab       = 15
	// eviocgrab is EVIOCGRAB, _IOW('E', 0x90, int).
	eviocgrab = 0x40044590
)

// inputEventSize is sizeof(struct input_event) for this architecture: a
// struct timeval of two longs (8 bytes each on 64-bit, 4 on armhf), then
// type u16, code u16, value s32.
const inputEventSize = 2*int(unsafe.Sizeof(uintptr(0))) + 8

// usKeys maps a key code to its character without and with Shift (US
// layout, main block and keypad). Keys not listed produce nothing.
var usKeys = map[uint16][2]byte{
	2: {'1', '!'}, 3: {'2', '@'}, 4: {'3', '#'}, 5: {'4', '$'}, 6: {'5', '%'},
	7: {'6', '^'}, 8: {'7', '&'}, 9: {'8', '*'}, 10: {'9', '('}, 11: {'0', ')'},
	12: {'-', '_'}, 13: {'=', '+'},
	16: {'q', 'Q'}, 17: {'w', 'W'}, 18: {'e', 'E'}, 19: {'r', 'R'}, 20: {'t', 'T'},
	21: {'y', 'Y'}, 22: {'u', 'U'}, 23: {'i', 'I'}, 24: {'o', 'O'}, 25: {'p', 'P'},
	26: {'[', '{'}, 27: {']', '}'},
	30: {'a', 'A'}, 31: {'s', 'S'}, 32: {'d', 'D'}, 33: {'f', 'F'}, 34: {'g', 'G'},
	35: {'h', 'H'}, 36: {'j', 'J'}, 37: {'k', 'K'}, 38: {'l', 'L'},
	39: {';', ':'}, 40: {'\'', '"'}, 41: {'`', '~'}, 43: {'\\', '|'},
	44: {'z', 'Z'}, 45: {'x', 'X'}, 46: {'c', 'C'}, 47: {'v', 'V'}, 48: {'b', 'B'},
	49: {'n', 'N'}, 50: {'m', 'M'}, 51: {',', '<'}, 52: {'.', '>'}, 53: {'/', '?'},
	57: {' ', ' '},
	// keypad (NumLock on, as scanners send it)
	71: {'7', '7'}, 72: {'8', '8'}, 73: {'9', '9'}, 74: {'-', '-'},
	75: {'4', '4'}, 76: {'5', '5'}, 77: {'6', '6'}, 78: {'+', '+'},
	79: {'1', '1'}, 80: {'2', '2'}, 81: {'3', '3'}, 82: {'0', '0'}, 83: {'.', '.'},
	55: {'*', '*'}, 98: {'/', '/'},
}

// KeyDecoder turns evdev key events into the bytes a US keyboard types:
// letters and symbols with Shift (and Caps Lock for letters), Enter as CR,
// Tab as Tab. It is pure and not safe for concurrent use.
type KeyDecoder struct {
	shift int  // shift keys held
	caps  bool // caps lock toggled on
}

// Key feeds one EV_KEY event (code, value: 1 press, 0 release, 2 repeat)
// and returns the byte it types, if any.
func (d *KeyDecoder) Key(code uint16, value int32) (byte, bool) {
	switch code {
	case keyLeftShift, keyRightShft:
		switch value {
		case 1:
			d.shift++
		case 0:
			d.shift = max(d.shift-1, 0)
		}
		return 0, false
	case keyCapsLock:
		if value == 1 {
			d.caps = !d.caps
		}
		return 0, false
	}
	if value != 1 { // releases and auto-repeat type nothing: a scanner never repeats
		return 0, false
	}
	switch code {
	case keyEnter, keyKPEnter:
		return '\r', true
	case keyTab:
		return '\t', true
	}
	k, ok := usKeys[code]
	if !ok {
		return 0, false
	}
	up := d.shift > 0
	if d.caps && k[0] >= 'a' && k[0] <= 'z' {
		up = !up
	}
	if up {
		return k[1], true
	}
	return k[0], true
}

// Reset forgets held modifiers (after a disconnect).
func (d *KeyDecoder) Reset() { *d = KeyDecoder{} }

// DecodeInputEvents decodes whole struct input_event records of this
// architecture from p and feeds the key events to d, appending the typed
// bytes to out. It returns out and the number of bytes of p consumed (a
// partial record at the end is left for the next call).
func DecodeInputEvents(d *KeyDecoder, p, out []byte) ([]byte, int) {
	n := 0
	for len(p)-n >= inputEventSize {
		rec := p[n : n+inputEventSize]
		n += inputEventSize
		off := inputEventSize - 8
		typ := binary.NativeEndian.Uint16(rec[off:])
		code := binary.NativeEndian.Uint16(rec[off+2:])
		value := int32(binary.NativeEndian.Uint32(rec[off+4:]))
		if typ != evKey {
			continue
		}
		if b, ok := d.Key(code, value); ok {
			out = append(out, b)
		}
	}
	return out, n
}

// EncodeKeyEvent appends one struct input_event of this architecture
// (zero time) to p: the inverse of DecodeInputEvents, for tests and
// recordings.
func EncodeKeyEvent(p []byte, typ, code uint16, value int32) []byte {
	rec := make([]byte, inputEventSize)
	off := inputEventSize - 8
	binary.NativeEndian.PutUint16(rec[off:], typ)
	binary.NativeEndian.PutUint16(rec[off+2:], code)
	binary.NativeEndian.PutUint32(rec[off+4:], uint32(value))
	return append(p, rec...)
}

// EvdevConfig describes a USB HID scanner read through evdev.
type EvdevConfig struct {
	// Path is the event device: best a stable /dev/input/by-id/…-event-kbd
	// name or the udev rules' /dev/posterm-scanner-kbd.
	Path string
	// NoGrab leaves the device ungrabbed (its keys also reach the console).
	// Only for diagnosis: a grabbed scanner cannot type into anything else.
	NoGrab bool
	// Prefix and Suffix are stripped as with a serial scanner.
	Prefix, Suffix string
	// ReconnectInterval and MaxCodeLen as SerialConfig (same defaults).
	ReconnectInterval time.Duration
	MaxCodeLen        int
}

// framerConfig is the serial framing that applies to the decoded bytes: a
// code ends at Enter (CR) or Tab.
func (c EvdevConfig) framerConfig() SerialConfig {
	return SerialConfig{Port: c.Path, Terminator: TerminatorAuto, Prefix: c.Prefix, Suffix: c.Suffix,
		ReconnectInterval: c.ReconnectInterval, MaxCodeLen: c.MaxCodeLen}.WithDefaults()
}

var _ Source = (*EvdevReader)(nil)

// EvdevReader reads codes from a USB HID scanner's event device and
// delivers them, with connection changes, as Events — the same events, in
// the same order and with the same guarantees as Reader. Its methods are
// safe for concurrent use.
type EvdevReader struct {
	cfg  EvdevConfig
	fcfg SerialConfig
	log  *slog.Logger
	feed

	mu   sync.Mutex
	file *os.File
}

// NewEvdevReader validates cfg and starts reading cfg.Path until ctx ends
// or Close is called. An absent device is not an error: the first event is
// then a Disconnected and the reader keeps trying. log may be nil.
func NewEvdevReader(ctx context.Context, cfg EvdevConfig, log *slog.Logger) (*EvdevReader, error) {
	if cfg.Path == "" {
		return nil, errors.New("scanner evdev: empty path; set the scanner's event device, e.g. /dev/input/by-id/…-event-kbd (posterm devices lists them)")
	}
	fcfg := cfg.framerConfig()
	if err := fcfg.Validate(); err != nil {
		return nil, fmt.Errorf("scanner evdev: %w", err)
	}
	if log == nil {
		log = slog.Default()
	}
	r := &EvdevReader{cfg: cfg, fcfg: fcfg, log: log.With("subsystem", "device", "evdev", cfg.Path)}
	r.start(ctx, r.closeFile, r.run)
	return r, nil
}

func (r *EvdevReader) closeFile() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.file != nil {
		r.file.Close() // unblocks a pending Read; the kernel drops the grab
		r.file = nil
	}
}

func (r *EvdevReader) run() {
	defer close(r.done)
	defer close(r.events)
	defer r.stopClose()
	defer r.closeFile()

	framer := NewFramer(r.fcfg)
	var keys KeyDecoder
	announced := false
	for r.ctx.Err() == nil {
		f, dev, err := r.open()
		if err != nil {
			if !announced {
				announced = true
				r.log.Warn("scanner not available", "err", err)
				if !r.emit(Disconnected{Port: r.cfg.Path, Err: err, At: time.Now()}) {
					return
				}
			}
			if !r.sleep(r.fcfg.ReconnectInterval) {
				return
			}
			continue
		}
		announced = false
		r.connected.Store(true)
		r.log.Info("scanner connected", "device", dev)
		if !r.emit(Connected{Port: r.cfg.Path, Device: dev, At: time.Now()}) {
			return
		}
		err = r.read(f, &keys, framer)
		r.connected.Store(false)
		r.closeFile()
		if n := framer.Pending(); n > 0 {
			r.log.Warn("partial code discarded at disconnect", "bytes", n)
		}
		framer.Reset()
		keys.Reset()
		if r.ctx.Err() != nil {
			return
		}
		announced = true
		r.log.Warn("scanner disconnected", "err", err)
		if !r.emit(Disconnected{Port: r.cfg.Path, Err: err, At: time.Now()}) {
			return
		}
		if !r.sleep(r.fcfg.ReconnectInterval) {
			return
		}
	}
}

// open resolves the path, opens the device and grabs it. A device that
// cannot be grabbed (a pipe or pty in tests answers ENOTTY) is read
// ungrabbed; one another program holds grabbed (EBUSY) is an error.
func (r *EvdevReader) open() (*os.File, string, error) {
	dev, err := filepath.EvalSymlinks(r.cfg.Path)
	if err != nil {
		return nil, "", fmt.Errorf("open %s: %w", r.cfg.Path, err)
	}
	f, err := os.OpenFile(dev, os.O_RDONLY, 0)
	if err != nil {
		hint := ""
		if errors.Is(err, os.ErrPermission) {
			hint = " (add the user to the input group)"
		}
		return nil, "", fmt.Errorf("open %s: %w%s", dev, err, hint)
	}
	if !r.cfg.NoGrab {
		if gerr := grab(f); errors.Is(gerr, syscall.EBUSY) {
			f.Close()
			return nil, "", fmt.Errorf("grab %s: %w (another program holds the scanner)", dev, gerr)
		} else if errors.Is(gerr, syscall.ENOTTY) || errors.Is(gerr, syscall.EINVAL) {
			r.log.Debug("not an event device; read without a grab", "device", dev)
		} else if gerr != nil {
			r.log.Warn("cannot grab the scanner: its keys also reach the console", "device", dev, "err", gerr)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ctx.Err() != nil {
		f.Close()
		return nil, "", r.ctx.Err()
	}
	r.file = f
	return f, dev, nil
}

// grab issues EVIOCGRAB through SyscallConn, which (unlike Fd) keeps the
// file non-blocking, so that Close still unblocks a pending Read.
func grab(f *os.File) error {
	sc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ierr error
	if err := sc.Control(func(fd uintptr) { ierr = unix.IoctlSetInt(int(fd), eviocgrab, 1) }); err != nil {
		return err
	}
	return ierr
}

// read decodes events until the device fails (ENODEV on unplug) or the
// reader stops.
func (r *EvdevReader) read(f *os.File, keys *KeyDecoder, framer *Framer) error {
	buf := make([]byte, 64*inputEventSize)
	have := 0
	typed := make([]byte, 0, 64)
	codes := make([]string, 0, 4)
	for {
		n, err := f.Read(buf[have:])
		have += n
		if have > 0 {
			var used int
			typed, used = DecodeInputEvents(keys, buf[:have], typed[:0])
			have = copy(buf, buf[used:have])
			at := time.Now()
			codes = framer.Feed(typed, codes[:0])
			for _, c := range codes {
				s := Scan{Code: c, At: at, Port: r.cfg.Path}
				r.log.Debug("scan", "scan", s)
				if !r.emit(s) {
					return r.ctx.Err()
				}
			}
		}
		if r.ctx.Err() != nil {
			return r.ctx.Err()
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = fmt.Errorf("%w: end of input", ErrPortGone)
			}
			return fmt.Errorf("read %s: %w", r.cfg.Path, err)
		}
	}
}
