//go:build linux

package printer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// serialTransport talks to a printer on a serial port (a tty, a USB serial
// adapter, a pty in tests). The port is opened non-blocking and driven by
// the runtime's poller, so a write to a printer that stopped reading waits
// with a deadline on a parked goroutine, never in a blocked OS thread, and
// ends at the deadline. After a timeout the bytes still queued in the
// kernel are dropped (TCOFLUSH) and not counted as taken, so the count
// Write returns is what reached the wire.
type serialTransport struct {
	f      *os.File
	rc     syscall.RawConn
	o      Options
	broken error
}

func openSerial(name string, o Options) (*serialTransport, error) {
	speed, ok := baudRates[o.Baud]
	if !ok {
		return nil, fmt.Errorf("open printer port %s: unsupported baud rate %d", name, o.Baud)
	}
	f, err := os.OpenFile(name, os.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open printer port %s: %w", name, err)
	}
	rc, err := f.SyscallConn()
	if err == nil {
		err = f.SetWriteDeadline(time.Time{}) // fails unless the poller drives the port
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open printer port %s: not pollable: %w", name, err)
	}
	t := &serialTransport{f: f, rc: rc, o: o}
	var terr error
	if err := rc.Control(func(fd uintptr) { terr = makeRaw(int(fd), speed) }); err != nil || terr != nil {
		f.Close()
		return nil, fmt.Errorf("open printer port %s: set mode: %w", name, errors.Join(err, terr))
	}
	return t, nil
}

var baudRates = map[int]uint32{
	1200: unix.B1200, 2400: unix.B2400, 4800: unix.B4800, 9600: unix.B9600, 19200: unix.B19200,
	38400: unix.B38400, 57600: unix.B57600, 115200: unix.B115200, 230400: unix.B230400,
}

// makeRaw sets 8N1 raw mode without flow control at speed (cfmakeraw).
// Modem-control ioctls are not used: they fail on ptys (HARDWARE.md).
func makeRaw(fd int, speed uint32) error {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON | unix.IXOFF
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB | unix.CSTOPB | unix.CBAUD | unix.CRTSCTS
	t.Cflag |= unix.CS8 | unix.CREAD | unix.CLOCAL | speed
	t.Ispeed, t.Ospeed = speed, speed
	t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
	return unix.IoctlSetTermios(fd, unix.TCSETS, t)
}

func (t *serialTransport) Write(p []byte) (int, error) {
	if t.broken != nil {
		return 0, t.broken
	}
	n, err := writeChunks(p, func(c []byte) (int, error) {
		_ = t.f.SetWriteDeadline(time.Now().Add(t.o.WriteTimeout))
		return t.f.Write(c)
	})
	if err == nil {
		return n, nil
	}
	// Drop what the kernel still holds: it never reached the printer, and
	// must not trickle in after a retry began.
	queued := 0
	_ = t.rc.Control(func(fd uintptr) {
		// (A pty reports 0 and its bytes stay for the reader: flushing
		// would drop some the count includes.)
		if q, qerr := unix.IoctlGetInt(int(fd), unix.TIOCOUTQ); qerr == nil && q > 0 {
			queued = min(q, n)
			_ = unix.IoctlSetInt(int(fd), unix.TCFLSH, unix.TCOFLUSH)
		}
	})
	n -= queued
	if errors.Is(err, os.ErrDeadlineExceeded) {
		err = fmt.Errorf("%w (%s, %d of %d bytes taken): %w", ErrWriteTimeout, t.o.WriteTimeout, n, len(p), err)
	} else {
		err = fmt.Errorf("write to printer port %s: %w", t.f.Name(), err)
	}
	t.broken = err
	return n, err
}

func (t *serialTransport) Status(ctx context.Context) (Status, error) {
	if t.broken != nil {
		return Status{}, t.broken
	}
	return queryStatus(ctx, serialStatus{t}, t.o.StatusTimeout)
}

func (t *serialTransport) Confirm(ctx context.Context) (Status, error) {
	if t.broken != nil {
		return Status{}, t.broken
	}
	return queryStatus(ctx, serialStatus{t}, confirmWait(ctx))
}

func (t *serialTransport) Close() error { return t.f.Close() }

type serialStatus struct{ t *serialTransport }

func (s serialStatus) send(p []byte) error {
	_, err := s.t.Write(p)
	return err
}

func (s serialStatus) readByte(deadline time.Time) (byte, error) {
	_ = s.t.f.SetReadDeadline(deadline)
	var b [1]byte
	for {
		n, err := s.t.f.Read(b[:])
		if n == 1 {
			return b[0], nil
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return 0, ErrNoStatus
		}
		if err != nil {
			return 0, err
		}
	}
}

// outstanding is kept per port name for the life of the process: a
// request sent while the printer was stalled is answered on a later open.
func (s serialStatus) outstanding() *int { return serialOutstanding(s.t.f.Name()) }

var (
	serialMu   sync.Mutex
	serialAsks = map[string]*int{}
)

func serialOutstanding(name string) *int {
	serialMu.Lock()
	defer serialMu.Unlock()
	p := serialAsks[name]
	if p == nil {
		p = new(int)
		serialAsks[name] = p
	}
	return p
}
