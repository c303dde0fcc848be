//go:build !linux

package printer

import (
	"context"
	"fmt"
	"time"

	"go.bug.st/serial"
)

// serialTransport talks to a printer on a serial port (go.bug.st/serial).
// serial.Port has no write deadline, so writes are timed from outside: a
// write stuck in the kernel (flow control holding, printer off) is
// abandoned after the timeout and the port is spent; its goroutine ends
// when the port errors or drains (HARDWARE.md: device gone → error).
type serialTransport struct {
	port  serial.Port
	asked int
	tw    *timedWriter
	o     Options
}

func openSerial(name string, o Options) (*serialTransport, error) {
	// Plain mode only: modem bits fail with ENOTTY on ptys (HARDWARE.md).
	p, err := serial.Open(name, &serial.Mode{BaudRate: o.Baud, DataBits: 8, Parity: serial.NoParity, StopBits: serial.OneStopBit})
	if err != nil {
		return nil, fmt.Errorf("open printer port %s: %w", name, err)
	}
	return &serialTransport{port: p, tw: &timedWriter{w: p, timeout: o.WriteTimeout}, o: o}, nil
}

func (t *serialTransport) Write(p []byte) (int, error) { return t.tw.Write(p) }

func (t *serialTransport) Status(ctx context.Context) (Status, error) {
	return queryStatus(ctx, serialStatus{t}, t.o.StatusTimeout)
}

func (t *serialTransport) Confirm(ctx context.Context) (Status, error) {
	return queryStatus(ctx, serialStatus{t}, confirmWait(ctx))
}

func (t *serialTransport) Close() error { return t.port.Close() }

type serialStatus struct{ t *serialTransport }

func (s serialStatus) send(p []byte) error {
	_, err := s.t.tw.Write(p)
	return err
}

func (s serialStatus) readByte(deadline time.Time) (byte, error) {
	var b [1]byte
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return 0, ErrNoStatus
		}
		if err := s.t.port.SetReadTimeout(left); err != nil {
			return 0, err
		}
		n, err := s.t.port.Read(b[:])
		if err != nil {
			return 0, err
		}
		if n == 1 {
			return b[0], nil
		}
		// (0, nil) is an idle timeout (HARDWARE.md); loop to the deadline
	}
}

func (s serialStatus) outstanding() *int { return &s.t.asked }
