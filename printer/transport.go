package printer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Transport carries ESC/POS bytes to one printer. Write returns how many
// bytes the printer got or will get (bytes still in a serial port's output
// queue after a timeout are dropped and not counted), and an error wrapping
// ErrWriteTimeout when the printer takes no data for the write timeout;
// after any write error the transport is spent and should be closed. A
// Transport is used by one goroutine at a time.
type Transport interface {
	io.Writer
	// Status asks the printer for its status (DLE EOT), each answer within
	// the status timeout. Transports that cannot read back return
	// StatusUnknown and no error; a printer that should answer and does
	// not gives an error wrapping ErrNoStatus.
	Status(ctx context.Context) (Status, error)
	// Confirm asks for the status after everything written so far and
	// waits for the answer until ctx ends: a printer answers once it has
	// read every byte before the request, so an answer confirms the job.
	// A file reports ready (the bytes are on disk); a transport that
	// cannot read back returns StatusUnknown and ErrNoReadBack.
	Confirm(ctx context.Context) (Status, error)
	Close() error
}

// ErrNoReadBack is returned by Confirm on a transport that cannot read
// the printer's answers at all (/dev/usb/lp*): its jobs are at best sent.
var ErrNoReadBack = fmt.Errorf("%w: the transport cannot read back", ErrNoStatus)

// ErrWriteTimeout is wrapped by Write errors when the printer stopped
// taking data (paper out, cover open, a stuck printer, a dead link).
var ErrWriteTimeout = errors.New("printer did not take the data in time")

// Target names where a printer is: "file:PATH", "serial:/dev/ttyUSB0",
// "lp:/dev/usb/lp0" or "tcp:HOST[:PORT]" (port 9100 by default).
type Target struct {
	Kind string // "file", "serial", "lp" or "tcp"
	Addr string // path, device or host:port
}

// String is the target in the form ParseTarget reads.
func (t Target) String() string { return t.Kind + ":" + t.Addr }

// ParseTarget reads a target such as "tcp:192.168.1.50:9100". A bare path
// starting with /dev/usb/lp is taken as lp, any other bare /dev/ path as
// serial.
func ParseTarget(s string) (Target, error) {
	s = strings.TrimSpace(s)
	kind, addr, ok := strings.Cut(s, ":")
	if !ok || strings.HasPrefix(s, "/") {
		switch {
		case strings.HasPrefix(s, "/dev/usb/lp"):
			kind, addr = "lp", s
		case strings.HasPrefix(s, "/dev/"):
			kind, addr = "serial", s
		default:
			return Target{}, fmt.Errorf("printer target %q: want file:PATH, serial:/dev/ttyUSB0, lp:/dev/usb/lp0 or tcp:HOST:9100", s)
		}
	}
	kind = strings.ToLower(kind)
	if addr == "" {
		return Target{}, fmt.Errorf("printer target %q: missing the path or address after %q", s, kind+":")
	}
	switch kind {
	case "file", "serial", "lp":
	case "tcp":
		if _, _, err := net.SplitHostPort(addr); err != nil {
			addr = net.JoinHostPort(strings.Trim(addr, "[]"), "9100")
		}
		if _, port, err := net.SplitHostPort(addr); err != nil {
			return Target{}, fmt.Errorf("printer target %q: %v", s, err)
		} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return Target{}, fmt.Errorf("printer target %q: bad port %q", s, port)
		}
	default:
		return Target{}, fmt.Errorf("printer target %q: unknown kind %q (want file, serial, lp or tcp)", s, kind)
	}
	return Target{Kind: kind, Addr: addr}, nil
}

// Options tune the transports. Zero fields take the defaults shown.
type Options struct {
	// WriteTimeout bounds how long the printer may take no data at all
	// (writes go in chunks; each chunk gets the whole timeout). 10 s.
	WriteTimeout time.Duration
	DialTimeout  time.Duration // tcp connect, 5 s
	// StatusTimeout bounds the wait for each DLE EOT answer. 1 s.
	StatusTimeout time.Duration
	Baud          int // serial, 9600
	// SendBuffer sets SO_SNDBUF on tcp (0 = the system's): a small buffer
	// makes a write timeout notice a stuck printer sooner.
	SendBuffer int
}

func (o Options) withDefaults() Options {
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 5 * time.Second
	}
	if o.StatusTimeout <= 0 {
		o.StatusTimeout = time.Second
	}
	if o.Baud <= 0 {
		o.Baud = 9600
	}
	return o
}

// writeChunk is the unit of progress for write timeouts: at 9600 baud a
// chunk takes about a second.
const writeChunk = 1024

// Open connects to the printer at t.
func Open(ctx context.Context, t Target, o Options) (Transport, error) {
	o = o.withDefaults()
	switch t.Kind {
	case "file":
		// Receipts name the cashier and the charge: 0600, whatever the umask.
		f, err := os.OpenFile(t.Addr, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("open printer file: %w", err)
		}
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o077 != 0 {
			f.Chmod(0o600) // best effort: another user's file stays as it is
		}
		return &fileTransport{f: f}, nil
	case "lp":
		f, err := os.OpenFile(t.Addr, os.O_WRONLY, 0)
		if err != nil {
			return nil, fmt.Errorf("open printer device: %w", err)
		}
		return newLP(f, o), nil
	case "tcp":
		return dialTCP(ctx, t.Addr, o)
	case "serial":
		return openSerial(t.Addr, o)
	}
	return nil, fmt.Errorf("open printer: unknown target kind %q", t.Kind)
}

// fileTransport appends to a file: the demo's and the tests' printer.
type fileTransport struct{ f *os.File }

func (t *fileTransport) Write(p []byte) (int, error) { return t.f.Write(p) }

func (t *fileTransport) Status(context.Context) (Status, error) { return StatusUnknown, nil }

// Confirm syncs the file: a file printer's paper is the disk.
func (t *fileTransport) Confirm(context.Context) (Status, error) {
	if err := t.f.Sync(); err != nil {
		return Status{}, fmt.Errorf("sync printer file: %w", err)
	}
	return Status{Known: true, Online: true}, nil
}

func (t *fileTransport) Close() error { return t.f.Close() }

// lpTransport writes to a Linux printer device (/dev/usb/lp0). usblp is
// pollable, so write deadlines work; if the device is not, writes are
// timed from outside (timedWriter). It reports StatusUnknown: many USB
// printers are write-only through usblp.
type lpTransport struct {
	f  *os.File
	tw *timedWriter // nil when deadlines work
	o  Options
}

func newLP(f *os.File, o Options) *lpTransport {
	t := &lpTransport{f: f, o: o}
	if err := f.SetWriteDeadline(time.Time{}); err != nil {
		t.tw = &timedWriter{w: f, timeout: o.WriteTimeout}
	}
	return t
}

func (t *lpTransport) Write(p []byte) (int, error) {
	if t.tw != nil {
		return t.tw.Write(p)
	}
	return writeChunks(p, func(c []byte) (int, error) {
		_ = t.f.SetWriteDeadline(time.Now().Add(t.o.WriteTimeout))
		n, err := t.f.Write(c)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = fmt.Errorf("%w (%s): %w", ErrWriteTimeout, t.o.WriteTimeout, err)
		}
		return n, err
	})
}

func (t *lpTransport) Status(context.Context) (Status, error) { return StatusUnknown, nil }

func (t *lpTransport) Confirm(context.Context) (Status, error) {
	return StatusUnknown, ErrNoReadBack
}

func (t *lpTransport) Close() error { return t.f.Close() }

// tcpTransport speaks raw TCP to port 9100 (JetDirect style); it reads
// back DLE EOT answers.
type tcpTransport struct {
	c      net.Conn
	o      Options
	broken error
	asked  int // status requests not answered yet (a connection has its own)
}

func dialTCP(ctx context.Context, addr string, o Options) (*tcpTransport, error) {
	d := net.Dialer{Timeout: o.DialTimeout, KeepAlive: 30 * time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("connect to printer %s: %w", addr, err)
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
		if o.SendBuffer > 0 {
			_ = tc.SetWriteBuffer(o.SendBuffer)
		}
	}
	return &tcpTransport{c: c, o: o}, nil
}

func (t *tcpTransport) Write(p []byte) (int, error) {
	if t.broken != nil {
		return 0, t.broken
	}
	n, err := writeChunks(p, func(c []byte) (int, error) {
		_ = t.c.SetWriteDeadline(time.Now().Add(t.o.WriteTimeout))
		return t.c.Write(c)
	})
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = fmt.Errorf("%w (%s, %d of %d bytes taken): %w", ErrWriteTimeout, t.o.WriteTimeout, n, len(p), err)
		} else {
			err = fmt.Errorf("write to printer %s: %w", t.c.RemoteAddr(), err)
		}
		t.broken = err
	}
	return n, err
}

func (t *tcpTransport) Status(ctx context.Context) (Status, error) {
	if t.broken != nil {
		return Status{}, t.broken
	}
	return queryStatus(ctx, tcpStatus{t}, t.o.StatusTimeout)
}

func (t *tcpTransport) Confirm(ctx context.Context) (Status, error) {
	if t.broken != nil {
		return Status{}, t.broken
	}
	return queryStatus(ctx, tcpStatus{t}, confirmWait(ctx))
}

// confirmWait is how long Confirm waits for the first answer: until ctx
// ends (at least a second).
func confirmWait(ctx context.Context) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		return max(time.Until(d), time.Second)
	}
	return 20 * time.Second
}

func (t *tcpTransport) Close() error { return t.c.Close() }

type tcpStatus struct{ t *tcpTransport }

func (s tcpStatus) send(p []byte) error {
	_, err := s.t.Write(p)
	return err
}

func (s tcpStatus) readByte(deadline time.Time) (byte, error) {
	_ = s.t.c.SetReadDeadline(deadline)
	var b [1]byte
	_, err := io.ReadFull(s.t.c, b[:])
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return 0, ErrNoStatus
	}
	return b[0], err
}

func (s tcpStatus) outstanding() *int { return &s.t.asked }

// writeChunks writes p in writeChunk pieces so a timeout measures the
// printer's progress, not the size of the job.
func writeChunks(p []byte, write func([]byte) (int, error)) (int, error) {
	done := 0
	for done < len(p) {
		end := min(done+writeChunk, len(p))
		n, err := write(p[done:end])
		done += n
		if err != nil {
			return done, err
		}
		if n == 0 {
			return done, io.ErrShortWrite
		}
	}
	return done, nil
}

// timedWriter gives a writer without deadlines a write timeout per chunk.
// After a timeout it is broken: the stuck write still owns the writer.
type timedWriter struct {
	w       io.Writer
	timeout time.Duration
	mu      sync.Mutex
	broken  error
}

func (t *timedWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.broken != nil {
		return 0, t.broken
	}
	type result struct {
		n   int
		err error
	}
	total, err := writeChunks(p, func(c []byte) (int, error) {
		ch := make(chan result, 1)
		go func() {
			n, err := t.w.Write(c)
			ch <- result{n, err}
		}()
		timer := time.NewTimer(t.timeout)
		defer timer.Stop()
		select {
		case r := <-ch:
			return r.n, r.err
		case <-timer.C:
			return 0, fmt.Errorf("%w (%s)", ErrWriteTimeout, t.timeout)
		}
	})
	if err != nil {
		if !errors.Is(err, ErrWriteTimeout) {
			err = fmt.Errorf("write to printer: %w", err)
		}
		t.broken = fmt.Errorf("%w (%d of %d bytes taken)", err, total, len(p))
		return total, t.broken
	}
	return total, nil
}
