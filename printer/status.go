package printer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Status is what a printer said about itself in answer to DLE EOT n
// (10 04 01..04). Known is false when the transport cannot read back
// (file, /dev/usb/lp*): nothing else is then meaningful.
type Status struct {
	Known        bool
	Online       bool // DLE EOT 1, bit 3 clear
	CoverOpen    bool // DLE EOT 2, bit 2
	PaperOut     bool // DLE EOT 2 bit 5 or DLE EOT 4 bits 5-6
	PaperNearEnd bool // DLE EOT 4 bits 2-3
	Error        bool // DLE EOT 2 bit 6 (detail in DLE EOT 3: cutter, mechanical, unrecoverable)
	CutterError  bool // DLE EOT 3 bit 3
}

// StatusUnknown is the status of a transport that cannot read back.
var StatusUnknown = Status{}

// Ready reports whether a known status allows printing. An unknown status
// is not Ready, but Blocked is false too: the job is sent and its write
// errors tell.
func (s Status) Ready() bool { return s.Known && !s.Blocked() }

// Blocked reports whether the printer said it cannot print now (offline,
// paper out, cover open or in error), so a job should wait in the queue.
func (s Status) Blocked() bool {
	return s.Known && (!s.Online || s.PaperOut || s.CoverOpen || s.Error)
}

// String is a short English description for logs: "ok", "unknown",
// "paper out, cover open", "ok, paper near end".
func (s Status) String() string {
	if !s.Known {
		return "unknown"
	}
	var parts []string
	if !s.Online {
		parts = append(parts, "offline")
	}
	if s.PaperOut {
		parts = append(parts, "paper out")
	}
	if s.CoverOpen {
		parts = append(parts, "cover open")
	}
	if s.CutterError {
		parts = append(parts, "cutter error")
	} else if s.Error {
		parts = append(parts, "error")
	}
	if len(parts) == 0 {
		parts = append(parts, "ok")
	}
	if s.PaperNearEnd && !s.PaperOut {
		parts = append(parts, "paper near end")
	}
	return strings.Join(parts, ", ")
}

// ErrNoStatus is returned when a printer that should answer DLE EOT did
// not answer in time (it may be off, or may not implement the command).
var ErrNoStatus = errors.New("printer did not answer the status request")

// statusByteOK checks the fixed bits of a DLE EOT answer: bits 1 and 4 set,
// bits 0 and 7 clear. Other bytes (automatic status, noise) are skipped.
func statusByteOK(b byte) bool { return b&0x93 == 0x12 }

// applyStatus folds the answer b to DLE EOT n into s.
func applyStatus(s *Status, n, b byte) {
	switch n {
	case 1:
		s.Online = b&0x08 == 0
	case 2:
		s.CoverOpen = b&0x04 != 0
		s.PaperOut = s.PaperOut || b&0x20 != 0
		s.Error = b&0x40 != 0
	case 3:
		s.CutterError = b&0x08 != 0
		s.Error = s.Error || b&0x6c != 0
	case 4:
		s.PaperNearEnd = b&0x0c != 0
		s.PaperOut = s.PaperOut || b&0x60 != 0
	}
}

// StatusByte returns the answer a printer in status s gives to DLE EOT n.
// Fake printers in tests use it (printertest).
func StatusByte(s Status, n byte) byte {
	b := byte(0x12)
	switch n {
	case 1:
		if !s.Online {
			b |= 0x08
		}
	case 2:
		if s.CoverOpen {
			b |= 0x04
		}
		if s.PaperOut {
			b |= 0x20
		}
		if s.Error || s.CutterError {
			b |= 0x40
		}
	case 3:
		if s.CutterError {
			b |= 0x08
		} else if s.Error {
			b |= 0x20
		}
	case 4:
		if s.PaperNearEnd {
			b |= 0x0c
		}
		if s.PaperOut {
			b |= 0x60
		}
	}
	return b
}

// statusPort is the read-back side of a transport.
type statusPort interface {
	// send writes a request within the write timeout.
	send(p []byte) error
	// readByte reads one byte before the deadline; ErrNoStatus on timeout.
	readByte(deadline time.Time) (byte, error)
	// outstanding counts the requests sent on this link and not answered
	// yet, earlier queries' included: a printer answers in order, so the
	// answer to a new request is the one after every older answer.
	outstanding() *int
}

// outstandingMu guards every outstanding counter (one query at a time
// per link anyway; the lock keeps the race detector honest).
var outstandingMu sync.Mutex

// queryStatus asks DLE EOT 1, 2 and 4 (and 3 if 2 reports an error), each
// answer within timeout. Answers to older requests (sent while the printer
// was stalled) are read and skipped first, so an answer is never taken for
// a later request than it was given to: a confirmation is never early.
func queryStatus(ctx context.Context, p statusPort, timeout time.Duration) (Status, error) {
	s := Status{Known: true}
	out := p.outstanding()
	ask := func(n byte) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := p.send([]byte{dle, eot, n}); err != nil {
			return fmt.Errorf("status request %d: %w", n, err)
		}
		outstandingMu.Lock()
		*out++
		outstandingMu.Unlock()
		deadline := time.Now().Add(timeout)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		for {
			b, err := p.readByte(deadline)
			if errors.Is(err, ErrNoStatus) {
				// No answer at all: the printer may have lost the older
				// requests (reset, power cycle). Forget them rather than
				// wait for answers that never come; see README (print states).
				outstandingMu.Lock()
				*out = 0
				outstandingMu.Unlock()
			}
			if err != nil {
				return fmt.Errorf("status request %d: %w", n, err)
			}
			if !statusByteOK(b) {
				continue // automatic status, noise
			}
			outstandingMu.Lock()
			*out = max(*out-1, 0)
			mine := *out == 0
			outstandingMu.Unlock()
			if mine {
				applyStatus(&s, n, b)
				return nil
			}
		}
	}
	for _, n := range []byte{1, 2, 4} {
		if err := ask(n); err != nil {
			return Status{}, err
		}
	}
	if s.Error {
		if err := ask(3); err != nil {
			return Status{}, err
		}
	}
	return s, nil
}
