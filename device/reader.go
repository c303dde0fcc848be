package device

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"go.bug.st/serial"
)

// Event is one thing a scanner source reports: Scan, Connected or
// Disconnected. Each is a plain value, usable as a Bubble Tea message.
type Event interface{ isEvent() }

// Scan is one code read from a scanner.
type Scan struct {
	Code string    // the code, terminator, prefix and suffix stripped; inert (pos.CleanText)
	At   time.Time // when its last byte was read
	Port string    // the configured port it came from
	// Cleaned reports that control characters were dropped from the code
	// as read (an unconfigured prefix or suffix such as STX/ETX?).
	Cleaned bool
}

// Connected reports that the port is open and being read.
type Connected struct {
	Port   string    // the configured port
	Device string    // the device actually opened (a by-id symlink resolved)
	At     time.Time //
}

// Disconnected reports that the port is absent, unusable or was lost.
// The Reader keeps trying to reopen it every ReconnectInterval.
type Disconnected struct {
	Port string
	Err  error // why: an open error, a read error, ErrPortChanged…
	At   time.Time
}

func (Scan) isEvent()         {}
func (Connected) isEvent()    {}
func (Disconnected) isEvent() {}

// String masks the code, so printing a Scan by accident leaks nothing.
func (s Scan) String() string {
	return fmt.Sprintf("scan %s (%d chars) on %s", MaskCode(s.Code), len(s.Code), s.Port)
}

// LogValue masks the code when a Scan is logged with slog.
func (s Scan) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("code", MaskCode(s.Code)),
		slog.Int("len", len(s.Code)),
		slog.String("port", s.Port),
	)
}

// Source is where the UI reads scanner events from: a *Reader, or a fake
// from device/devicetest. The channel is closed when the source stops.
type Source interface {
	Events() <-chan Event
	Close() error
}

var _ Source = (*Reader)(nil)

// Errors a Reader reports.
var (
	// ErrClosed is returned by Read after Close (or after its context ended).
	ErrClosed = errors.New("device: reader closed")
	// ErrPortChanged is the cause of a Disconnected when the configured
	// path (a /dev/serial/by-id symlink) now points at another device than
	// the one held open: the device was renumbered, so it is reopened.
	ErrPortChanged = errors.New("port now points at another device")
	// ErrPortGone is the cause of a Disconnected when the configured path
	// disappeared while the port was open.
	ErrPortGone = errors.New("port path disappeared")
)

// maxCheckPeriod caps how often a connected Reader checks its path, so
// that a renumbered device is noticed within the 2 s the issue allows.
const maxCheckPeriod = time.Second

// Reader reads codes from a serial scanner in its own goroutine and
// delivers them, with connection changes, as Events. It survives unplug
// and replug: on any read error it reports Disconnected at once, closes
// the port, and reopens the configured path every ReconnectInterval until
// it answers, then reports Connected. A code cut in half by an unplug is
// discarded; no code is delivered twice.
//
// Events are delivered in order on one channel with a small buffer; when
// nobody reads, the Reader stops reading the port (the kernel keeps the
// bytes) rather than dropping a scan. Its methods are safe for concurrent
// use.
type Reader struct {
	cfg  SerialConfig
	mode *serial.Mode
	log  *slog.Logger
	feed

	mu   sync.Mutex
	port serial.Port // the open port, nil while disconnected
}

// NewReader validates cfg (zero fields take their defaults) and starts
// reading cfg.Port until ctx ends or Close is called. An absent port is
// not an error: the first event is then a Disconnected and the Reader
// keeps trying. log may be nil for slog.Default().
func NewReader(ctx context.Context, cfg SerialConfig, log *slog.Logger) (*Reader, error) {
	cfg = cfg.WithDefaults()
	mode, err := cfg.mode()
	if err != nil {
		return nil, fmt.Errorf("scanner config: %w", err)
	}
	if log == nil {
		log = slog.Default()
	}
	r := &Reader{cfg: cfg, mode: mode, log: log.With("subsystem", "device", "port", cfg.Port)}
	// Closing the port is what unblocks a pending Read (HARDWARE.md).
	r.start(ctx, r.closePort, r.run)
	return r, nil
}

func (r *Reader) closePort() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.port != nil {
		r.port.Close() // idempotent; unblocks a pending Read
		r.port = nil
	}
}

func (r *Reader) run() {
	defer close(r.done)
	defer close(r.events)
	defer r.stopClose()
	defer r.closePort()

	framer := NewFramer(r.cfg)
	announced := false // a Disconnected for the current outage was sent
	lastErr := ""
	for r.ctx.Err() == nil {
		port, dev, err := r.open()
		if err != nil {
			if !announced {
				announced = true
				r.log.Warn("scanner not available", "err", err)
				if !r.emit(Disconnected{Port: r.cfg.Port, Err: err, At: time.Now()}) {
					return
				}
			} else if err.Error() != lastErr {
				r.log.Info("scanner still not available", "err", err)
			}
			lastErr = err.Error()
			if !r.sleep(r.cfg.ReconnectInterval) {
				return
			}
			continue
		}
		announced, lastErr = false, ""
		r.connected.Store(true)
		r.log.Info("scanner connected", "device", dev)
		if !r.emit(Connected{Port: r.cfg.Port, Device: dev, At: time.Now()}) {
			return
		}

		err = r.readPort(port, dev, framer)

		r.connected.Store(false)
		r.closePort()
		if n := framer.Pending(); n > 0 {
			r.log.Warn("partial code discarded at disconnect", "bytes", n)
		}
		framer.Reset()
		if r.ctx.Err() != nil {
			return
		}
		announced = true
		r.log.Warn("scanner disconnected", "err", err)
		if !r.emit(Disconnected{Port: r.cfg.Port, Err: err, At: time.Now()}) {
			return
		}
		// Wait before reopening, so a device that fails at once is not
		// reopened in a tight loop.
		if !r.sleep(r.cfg.ReconnectInterval) {
			return
		}
	}
}

// open resolves the configured path and opens the device it names. The
// device is opened by its resolved name so that checkPath compares with
// exactly what is held. Errors: a bare syscall.Errno or *fs.PathError
// (ENOENT) when absent, *serial.PortError otherwise.
func (r *Reader) open() (serial.Port, string, error) {
	dev, err := filepath.EvalSymlinks(r.cfg.Port)
	if err != nil {
		return nil, "", fmt.Errorf("open %s: %w", r.cfg.Port, err)
	}
	p, err := serial.Open(dev, r.mode)
	if err != nil {
		return nil, "", fmt.Errorf("open %s: %w%s", dev, err, openHint(err))
	}
	if r.cfg.ModemLines {
		for _, set := range []func(bool) error{p.SetDTR, p.SetRTS} {
			if err := set(true); errors.Is(err, syscall.ENOTTY) {
				r.log.Debug("port has no modem lines", "device", dev)
				break
			} else if err != nil {
				r.log.Warn("cannot set modem lines", "device", dev, "err", err)
				break
			}
		}
	}
	period := min(r.cfg.ReconnectInterval, maxCheckPeriod)
	if err := p.SetReadTimeout(period); err != nil {
		r.log.Warn("cannot set read timeout; a renumbered device is noticed only on read errors", "err", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ctx.Err() != nil { // Close ran while we were opening
		p.Close()
		return nil, "", r.ctx.Err()
	}
	r.port = p
	return p, dev, nil
}

// openHint adds what a support person should do about common open errors.
func openHint(err error) string {
	var pe *serial.PortError
	if errors.As(err, &pe) {
		switch pe.Code() {
		case serial.PermissionDenied:
			return " (add the user to the dialout group)"
		case serial.PortBusy:
			return " (another program holds the port)"
		}
	}
	return ""
}

// readPort reads until the port fails, the path moves, or the Reader
// stops. It never uses bufio.Scanner: an idle read with a timeout returns
// (0, nil), which Scanner treats as no progress (HARDWARE.md).
func (r *Reader) readPort(port serial.Port, dev string, framer *Framer) error {
	period := min(r.cfg.ReconnectInterval, maxCheckPeriod)
	buf := make([]byte, 256)
	codes := make([]string, 0, 4)
	lastCheck := time.Now()
	for {
		n, err := port.Read(buf)
		if n > 0 {
			at := time.Now()
			before := framer.Cleaned()
			codes = framer.Feed(buf[:n], codes[:0])
			cleaned := framer.Cleaned() > before // for every code of this read: usually one
			if cleaned {
				r.log.Warn("control characters dropped from a scanned code; is a prefix or suffix not configured?")
			}
			for _, c := range codes {
				s := Scan{Code: c, At: at, Port: r.cfg.Port, Cleaned: cleaned}
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
			return fmt.Errorf("read %s: %w", dev, err)
		}
		if n == 0 || time.Since(lastCheck) >= period {
			lastCheck = time.Now()
			if err := r.checkPath(dev); err != nil {
				return err
			}
		}
	}
}

// checkPath reports whether the configured path still names dev.
func (r *Reader) checkPath(dev string) error {
	cur, err := filepath.EvalSymlinks(r.cfg.Port)
	if err != nil {
		return fmt.Errorf("%s: %w: %w", r.cfg.Port, ErrPortGone, err)
	}
	if cur != dev {
		return fmt.Errorf("%s: %w (%s, was %s)", r.cfg.Port, ErrPortChanged, cur, dev)
	}
	return nil
}
