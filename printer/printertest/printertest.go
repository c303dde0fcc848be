// Package printertest holds hand-written fakes for the printer package: an
// in-memory JobStore and fake printers on TCP port 9100 and on a pty that
// record what they receive, answer DLE EOT with a configurable status and
// can stop reading mid-job.
package printertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"posterm/pos"
	"posterm/printer"
)

// MemStore is an in-memory printer.JobStore, safe for concurrent use.
// The exported hooks inject failures; set them before use.
type MemStore struct {
	// AddErr, when set, is returned by Add (the journal is down).
	AddErr func() error
	// Block, when non-nil, makes Add wait until it is closed (or ctx ends).
	Block chan struct{}

	mu     sync.Mutex
	jobs   []printer.Job
	nextID int64
}

var _ printer.JobStore = (*MemStore)(nil)

// NewMemStore returns an empty store.
func NewMemStore() *MemStore { return &MemStore{} }

// Add stores j as queued and returns its id.
func (m *MemStore) Add(ctx context.Context, j printer.Job) (int64, error) {
	if m.Block != nil {
		select {
		case <-m.Block:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	if m.AddErr != nil {
		if err := m.AddErr(); err != nil {
			return 0, err
		}
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nextID++
	j.ID, j.State, j.Attempts, j.LastError, j.Cut, j.Owed = m.nextID, printer.JobQueued, 0, "", false, 0
	if j.Created.IsZero() {
		j.Created = time.Now()
	}
	j.Data = bytes.Clone(j.Data)
	m.jobs = append(m.jobs, j)
	return j.ID, nil
}

// Pending returns the jobs not done, oldest first.
func (m *MemStore) Pending(ctx context.Context) ([]printer.Job, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []printer.Job
	for _, j := range m.jobs {
		if !j.State.Done() {
			out = append(out, j)
		}
	}
	return out, nil
}

// MarkSending records that an attempt starts.
func (m *MemStore) MarkSending(ctx context.Context, id int64, at time.Time) error {
	return m.update(ctx, id, func(j *printer.Job) {
		if !j.State.Done() {
			j.State = printer.JobSending
		}
	})
}

// MarkSent records a job sent whole, printed when confirmed.
func (m *MemStore) MarkSent(ctx context.Context, id int64, at time.Time, confirmed bool) error {
	return m.update(ctx, id, func(j *printer.Job) {
		if j.State.Done() {
			return
		}
		j.State, j.Sent, j.LastError, j.Cut, j.Owed = printer.JobSent, at, "", false, 0
		if confirmed {
			j.State, j.Printed = printer.JobPrinted, at
		}
	})
}

// MarkFailed records a failed attempt.
func (m *MemStore) MarkFailed(ctx context.Context, id int64, f pos.PrintFailure) error {
	return m.update(ctx, id, func(j *printer.Job) {
		if j.State.Done() {
			return
		}
		j.State, j.LastError, j.NextAttempt, j.Cut, j.Owed = printer.JobFailed, f.Reason, f.Next, f.Cut, f.Owed
		j.Attempts++
	})
}

// Jobs returns the newest limit jobs (0: all), newest first.
func (m *MemStore) Jobs(ctx context.Context, limit int) ([]printer.Job, error) {
	all := m.All()
	slices.Reverse(all)
	if limit > 0 && len(all) > limit {
		all = all[:limit]
	}
	return all, ctx.Err()
}

// Reprint queues the newest job of code and kind again, marked.
func (m *MemStore) Reprint(ctx context.Context, code pos.ChargeCode, kind pos.ReceiptKind) (int64, error) {
	m.mu.Lock()
	var src *printer.Job
	for i := range m.jobs {
		if m.jobs[i].ChargeCode == string(code) && m.jobs[i].Kind == kind && m.jobs[i].Receipt != nil {
			src = &m.jobs[i]
		}
	}
	var j printer.Job
	if src != nil {
		j = *src
	}
	m.mu.Unlock()
	if src == nil {
		return 0, fmt.Errorf("reprint %s %s: %w", kind, code, pos.ErrNotFound)
	}
	j.Reprint, j.Created = true, time.Now()
	return m.Add(ctx, j)
}

func (m *MemStore) update(ctx context.Context, id int64, f func(*printer.Job)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.jobs {
		if m.jobs[i].ID == id {
			f(&m.jobs[i])
			return nil
		}
	}
	return fmt.Errorf("job %d: %w", id, printer.ErrJobNotFound)
}

// All returns a copy of every job, oldest first, done ones included.
func (m *MemStore) All() []printer.Job {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.jobs)
}

// Job returns the job with id.
func (m *MemStore) Job(id int64) (printer.Job, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, j := range m.jobs {
		if j.ID == id {
			return j, true
		}
	}
	return printer.Job{}, false
}

// fake is the printer side shared by the TCP and pty printers: it records
// bytes, answers DLE EOT n and can stall.
type fake struct {
	mu       sync.Mutex
	cond     *sync.Cond
	status   printer.Status
	answer   bool
	raw      bytes.Buffer // everything received
	printed  bytes.Buffer // received minus DLE EOT requests
	stallAt  int          // stop reading once raw reaches this length; -1 never
	dleState int          // 0 none, 1 saw DLE, 2 saw DLE EOT
	closed   bool
}

func newFake() *fake {
	f := &fake{status: printer.Status{Known: true, Online: true}, answer: true, stallAt: -1}
	f.cond = sync.NewCond(&f.mu)
	return f
}

// feed records p and returns the status answers to send back.
func (f *fake) feed(p []byte) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.raw.Write(p)
	var reply []byte
	for _, c := range p {
		switch {
		case f.dleState == 0 && c == 0x10:
			f.dleState = 1
		case f.dleState == 1 && c == 0x04:
			f.dleState = 2
		case f.dleState == 2 && c >= 1 && c <= 4:
			f.dleState = 0
			if f.answer {
				reply = append(reply, printer.StatusByte(f.status, c))
			}
		default:
			switch f.dleState {
			case 1:
				f.printed.WriteByte(0x10)
			case 2:
				f.printed.Write([]byte{0x10, 0x04})
			}
			f.dleState = 0
			if c == 0x10 {
				f.dleState = 1
				continue
			}
			f.printed.WriteByte(c)
		}
	}
	f.cond.Broadcast()
	return reply
}

// readLimit waits while the printer is stalled and returns how many bytes
// it may read now (0: closed).
func (f *fake) readLimit(n int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	for !f.closed && f.stallAt >= 0 && f.raw.Len() >= f.stallAt {
		f.cond.Wait()
	}
	if f.closed {
		return 0
	}
	if f.stallAt >= 0 {
		return min(n, f.stallAt-f.raw.Len())
	}
	return n
}

func (f *fake) close() {
	f.mu.Lock()
	f.closed = true
	f.cond.Broadcast()
	f.mu.Unlock()
}

// Printer is the control surface of a fake printer.
type Printer struct{ f *fake }

// SetStatus sets what the printer answers to DLE EOT.
func (p Printer) SetStatus(s printer.Status) {
	p.f.mu.Lock()
	p.f.status = s
	p.f.mu.Unlock()
}

// Silent makes the printer ignore DLE EOT (no answer), or answer again.
func (p Printer) Silent(on bool) {
	p.f.mu.Lock()
	p.f.answer = !on
	p.f.mu.Unlock()
}

// StallAfter makes the printer stop reading once it has received n more
// bytes, as a printer that jammed mid-receipt.
func (p Printer) StallAfter(n int) {
	p.f.mu.Lock()
	p.f.stallAt = p.f.raw.Len() + n
	p.f.cond.Broadcast()
	p.f.mu.Unlock()
}

// Resume makes a stalled printer read again.
func (p Printer) Resume() {
	p.f.mu.Lock()
	p.f.stallAt = -1
	p.f.cond.Broadcast()
	p.f.mu.Unlock()
}

// Raw returns a copy of every byte received, status requests included.
func (p Printer) Raw() []byte {
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	return bytes.Clone(p.f.raw.Bytes())
}

// Printed returns a copy of the bytes received without DLE EOT requests:
// what would be on paper.
func (p Printer) Printed() []byte {
	p.f.mu.Lock()
	defer p.f.mu.Unlock()
	return bytes.Clone(p.f.printed.Bytes())
}

// WaitPrinted waits until the printed bytes satisfy ok, failing t after timeout.
func (p Printer) WaitPrinted(t testing.TB, timeout time.Duration, ok func([]byte) bool) []byte {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		b := p.Printed()
		if ok(b) {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("printer: condition not met after %s; %d bytes printed", timeout, len(b))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TCPPrinter is a fake network printer on 127.0.0.1 (port 9100 style). It
// serves one connection at a time, to its end, like a real one.
// Its sockets have small receive buffers, so a stall is felt by the writer
// after a few kilobytes.
type TCPPrinter struct {
	Printer
	Target printer.Target
	ln     net.Listener
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  []net.Conn
}

// RecvBuffer is the SO_RCVBUF of the fake TCP printer's sockets.
const RecvBuffer = 4096

// NewTCPPrinter starts a fake printer; it stops when t ends.
func NewTCPPrinter(t testing.TB) *TCPPrinter {
	t.Helper()
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, RecvBuffer)
		})
		return errors.Join(err, serr)
	}}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	p := &TCPPrinter{Printer: Printer{newFake()}, ln: ln,
		Target: printer.Target{Kind: "tcp", Addr: ln.Addr().String()}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

func (p *TCPPrinter) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conns = append(p.conns, c)
		p.mu.Unlock()
		// One connection at a time, as a port-9100 printer: the next
		// waits in the backlog until this one is read to its end.
		serve(p.f, c, c)
		c.Close()
	}
}

// serve reads from r into the fake and writes status answers to w.
func serve(f *fake, r io.Reader, w io.Writer) {
	buf := make([]byte, 512)
	for {
		n := f.readLimit(len(buf))
		if n == 0 {
			return
		}
		n, err := r.Read(buf[:n])
		if n > 0 {
			if reply := f.feed(buf[:n]); len(reply) > 0 {
				if _, err := w.Write(reply); err != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// Close stops the printer and drops its connections.
func (p *TCPPrinter) Close() {
	p.f.close()
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// PTYPrinter is a fake serial printer: the transport opens the pty's
// slave side (Target) as a serial port; the fake reads the master.
type PTYPrinter struct {
	Printer
	Target printer.Target
	master *os.File
	slave  *os.File
	done   chan struct{}
}

// NewPTYPrinter opens a pty and serves it; it stops when t ends.
func NewPTYPrinter(t testing.TB) *PTYPrinter {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	p := &PTYPrinter{Printer: Printer{newFake()}, master: master, slave: slave,
		Target: printer.Target{Kind: "serial", Addr: slave.Name()}, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		serve(p.f, master, master)
	}()
	t.Cleanup(p.Close)
	return p
}

// Close stops the printer: the master closes, as when a USB adapter is
// pulled, which also ends a write stuck in the serial port.
func (p *PTYPrinter) Close() {
	p.f.close()
	p.master.Close()
	p.slave.Close()
	<-p.done
}
