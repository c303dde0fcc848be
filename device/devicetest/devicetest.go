// Package devicetest provides fakes for testing code that reads scanners:
// PTY, a serial scanner on a real pseudo-terminal behind a stable symlink
// that can be unplugged and replugged, and Source, an in-memory
// device.Source for UI tests.
package devicetest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"posterm/device"
)

// PTY is a serial scanner simulated on a pseudo-terminal (HARDWARE.md,
// "Tests"). Path is a symlink in a temporary directory, like a
// /dev/serial/by-id name: Unplug removes it and closes the pty master
// (what a USB unplug does to the device and to udev's link), Replug
// creates a new pty and points Path at it. Its methods are safe for
// concurrent use; failures are reported with t.Fatal.
type PTY struct {
	// Path is the stable name to configure as SerialConfig.Port.
	Path string

	t      testing.TB
	mu     sync.Mutex
	master *os.File // nil while unplugged
	dev    string   // the current /dev/pts/N
}

// NewPTY plugs in a simulated scanner; it is unplugged at test cleanup.
func NewPTY(t testing.TB) *PTY {
	t.Helper()
	p := &PTY{t: t, Path: filepath.Join(t.TempDir(), "usb-Scanner_0001-if00")}
	p.Replug()
	t.Cleanup(p.unplug)
	return p
}

// Device returns the pty slave Path points at now ("" while unplugged).
func (p *PTY) Device() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dev
}

// Write sends raw bytes as the scanner would, e.g. a code and its
// terminator, or half a code.
func (p *PTY) Write(b []byte) {
	p.t.Helper()
	p.mu.Lock()
	m := p.master
	p.mu.Unlock()
	if m == nil {
		p.t.Fatalf("devicetest: write %q while unplugged", b)
		return
	}
	if _, err := m.Write(b); err != nil {
		p.t.Fatalf("devicetest: write %q: %v", b, err)
	}
}

// Scan sends code followed by CR, the factory setting of most scanners.
func (p *PTY) Scan(code string) {
	p.t.Helper()
	p.Write([]byte(code + "\r"))
}

// Unplug closes the pty master (a blocked reader gets PortClosed at once)
// and removes Path, as udev removes a by-id link.
func (p *PTY) Unplug() {
	p.t.Helper()
	p.unplug()
}

func (p *PTY) unplug() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.master != nil {
		p.master.Close()
		p.master = nil
	}
	p.dev = ""
	if err := os.Remove(p.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
		p.t.Errorf("devicetest: remove %s: %v", p.Path, err)
	}
}

// Replug plugs the scanner in again: a new pty (a new /dev/pts/N, like a
// renumbered ttyACM) behind the same Path.
func (p *PTY) Replug() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.master != nil {
		p.t.Fatalf("devicetest: replug while plugged in; call Unplug or Move")
	}
	p.plug()
}

// Move renumbers the device without an unplug: a new pty behind Path while
// the old one stays open (but silent) until the end of the test, the case
// of a stale fd held on a renumbered USB device.
func (p *PTY) Move() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.master
	p.t.Cleanup(func() {
		if old != nil {
			old.Close()
		}
	})
	p.plug()
}

// plug opens a new pty and atomically points Path at it. p.mu is held.
func (p *PTY) plug() {
	master, slave, err := pty.Open()
	if err != nil {
		p.t.Fatalf("devicetest: open pty: %v", err)
	}
	// Raw mode at once, so that bytes written before the reader opens the
	// port are neither echoed nor translated.
	if tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS); err == nil {
		tio.Iflag &^= unix.ICRNL | unix.INLCR | unix.IGNCR | unix.IXON
		tio.Lflag &^= unix.ICANON | unix.ECHO | unix.ISIG | unix.IEXTEN
		tio.Oflag &^= unix.OPOST
		_ = unix.IoctlSetTermios(int(slave.Fd()), unix.TCSETS, tio)
	}
	name := slave.Name()
	slave.Close() // the reader opens it by name
	tmp := fmt.Sprintf("%s.%d.tmp", p.Path, time.Now().UnixNano())
	if err := os.Symlink(name, tmp); err != nil {
		master.Close()
		p.t.Fatalf("devicetest: symlink: %v", err)
	}
	if err := os.Rename(tmp, p.Path); err != nil {
		master.Close()
		p.t.Fatalf("devicetest: rename symlink: %v", err)
	}
	p.master, p.dev = master, name
}

// Source is an in-memory device.Source: a test sends events with Scan,
// Connect, Disconnect or Send, and the code under test reads them from
// Events. A send blocks until read (the channel holds 16) or until Close.
// Safe for concurrent use; sends after Close are dropped.
type Source struct {
	Port string

	mu     sync.RWMutex // held for reading by senders, for writing to close ch
	ch     chan device.Event
	done   chan struct{}
	closer sync.Once
}

var _ device.Source = (*Source)(nil)

// NewSource returns a Source whose events name port.
func NewSource(port string) *Source {
	return &Source{Port: port, ch: make(chan device.Event, 16), done: make(chan struct{})}
}

// Events returns the channel of events, closed by Close.
func (s *Source) Events() <-chan device.Event { return s.ch }

// Close unblocks pending sends and closes the events channel. It is
// idempotent.
func (s *Source) Close() error {
	s.closer.Do(func() {
		close(s.done)
		s.mu.Lock()
		close(s.ch)
		s.mu.Unlock()
	})
	return nil
}

// Send delivers ev, unless the Source is closed first.
func (s *Source) Send(ev device.Event) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	select {
	case <-s.done:
		return
	default:
	}
	select {
	case s.ch <- ev:
	case <-s.done:
	}
}

// Scan sends a scan of code, now.
func (s *Source) Scan(code string) {
	s.Send(device.Scan{Code: code, At: time.Now(), Port: s.Port})
}

// Connect sends a Connected event.
func (s *Source) Connect() {
	s.Send(device.Connected{Port: s.Port, Device: s.Port, At: time.Now()})
}

// Disconnect sends a Disconnected event with err.
func (s *Source) Disconnect(err error) {
	s.Send(device.Disconnected{Port: s.Port, Err: err, At: time.Now()})
}
