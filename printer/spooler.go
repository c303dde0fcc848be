package printer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"posterm/pos"
)

// Kind is the kind of a print job or slip (pos.ReceiptKind).
type Kind = pos.ReceiptKind

// Kinds of jobs and slips.
const (
	KindSale   = pos.ReceiptSale   // a paid charge
	KindRefund = pos.ReceiptRefund // a refund of (part of) a paid charge
	KindRevoke = pos.ReceiptRevoke // a revoked (撤销) charge
	KindShift  = pos.ReceiptShift  // a shift report
	KindTest   = pos.ReceiptTest   // a test page
)

// JobState is where a print job stands (pos.PrintState).
type JobState = pos.PrintState

// Job states (see pos.PrintState).
const (
	JobQueued  = pos.PrintQueued
	JobSending = pos.PrintSending
	JobSent    = pos.PrintSent
	JobPrinted = pos.PrintPrinted
	JobFailed  = pos.PrintFailed
)

// Job is one ticket to print (pos.PrintJob): a receipt snapshot rendered
// at print time, or ready ESC/POS bytes.
type Job = pos.PrintJob

// JobStore keeps print jobs across restarts: the pos.PrintQueue port
// (offline.Journal in SQLite, printertest.MemStore in memory).
type JobStore = pos.PrintQueue

// ErrJobNotFound is returned by a JobStore for an unknown job id.
var ErrJobNotFound = pos.ErrNotFound

// EventKind says what an Event reports.
type EventKind string

// Spooler events.
const (
	EventQueued  EventKind = "queued"  // a job was stored
	EventPrinted EventKind = "printed" // a job was printed: the printer confirmed it after its last byte
	EventSent    EventKind = "sent"    // a job was sent whole but the printer never confirmed it
	EventFailed  EventKind = "failed"  // an attempt failed; the job stays queued
	EventStatus  EventKind = "status"  // the printer's status changed
)

// Event is what the spooler tells the screen. Err is log detail, never
// cashier text.
type Event struct {
	Kind        EventKind
	Time        time.Time
	JobID       int64  // 0 for EventStatus
	JobKind     Kind   // of the job
	ChargeCode  string // of the job
	Attempts    int    // failed attempts so far
	NextAttempt time.Time
	// Status is the printer's last known status. In an EventStatus with a
	// non-empty Err the printer could not be reached at all.
	Status  Status
	Err     string
	Pending int // jobs not printed yet after a printed or failed event (0 in others)
}

// SpoolerConfig configures a Spooler. Store and Open are required.
type SpoolerConfig struct {
	Store JobStore
	// Open connects to the printer for one job; the spooler closes it.
	Open func(ctx context.Context) (Transport, error)
	// Render produces the bytes of a job stored without Data (from its
	// receipt snapshot). j.Reprint is true when the job must be printed
	// marked as a copy (asked again, or cut off before). An error fails
	// the attempt. nil: Layout.RenderJob with Header.
	Render func(ctx context.Context, j Job) ([]byte, error)
	// Layout and Header render receipt snapshots when Render is nil.
	Layout Layout
	Header Header
	// MinBackoff is the wait after a first failure, doubled per attempt
	// up to MaxBackoff. Defaults 2 s and 2 min.
	MinBackoff, MaxBackoff time.Duration
	// JobTimeout bounds connecting and the status query before a job
	// (writes are bounded by the transport's write timeout). 30 s.
	JobTimeout time.Duration
	// ConfirmTimeout bounds the wait for the printer's answer after the
	// job's last byte (it answers once it has read the whole job) and
	// after recovering a printer cut off mid-job. 20 s.
	ConfirmTimeout time.Duration
	// Poll re-reads the store this often even when nothing woke the
	// spooler (jobs added by another process). 30 s.
	Poll time.Duration
	// NoStatus skips the DLE EOT query before each job (not the one after).
	NoStatus bool
	Now      func() time.Time // time.Now
	Logger   *slog.Logger     // slog.Default() with subsystem=printer
}

// Spooler prints jobs in the background, oldest first, one at a time.
// Enqueue never blocks; a job that fails stays in the store as failed and
// is retried with backoff; the screen learns what happens from Events.
// Its methods are safe for concurrent use.
type Spooler struct {
	cfg    SpoolerConfig
	log    *slog.Logger
	wake   chan struct{}
	events chan Event

	mu     sync.Mutex
	inbox  []Job
	forced bool
	last   Status
	lastOK bool // last was reported (a first status is always reported)
	lastEr string
}

// NewSpooler returns a Spooler; call Run to start it.
func NewSpooler(cfg SpoolerConfig) *Spooler {
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 2 * time.Second
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(2*time.Minute, cfg.MinBackoff)
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = 30 * time.Second
	}
	if cfg.ConfirmTimeout <= 0 {
		cfg.ConfirmTimeout = 20 * time.Second
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Spooler{
		cfg:    cfg,
		log:    log.With("subsystem", "printer"),
		wake:   make(chan struct{}, 1),
		events: make(chan Event, 64),
	}
}

// Events delivers what happens, for the screen. The channel is buffered;
// when the reader falls behind the oldest events are dropped, never the
// spooler blocked. It is never closed.
func (s *Spooler) Events() <-chan Event { return s.events }

// Enqueue hands a job to the spooler and returns at once: the job is
// stored and printed in the background.
func (s *Spooler) Enqueue(j Job) {
	if j.Created.IsZero() {
		j.Created = s.cfg.Now()
	}
	s.mu.Lock()
	s.inbox = append(s.inbox, j)
	s.mu.Unlock()
	s.Wake()
}

// Wake makes the spooler look at the store now, for jobs added to it
// directly (say, in the same journal transaction as the payment).
func (s *Spooler) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// RetryNow retries failed jobs at once, ignoring their backoff (the
// cashier fixed the paper and pressed retry).
func (s *Spooler) RetryNow() {
	s.mu.Lock()
	s.forced = true
	s.mu.Unlock()
	s.Wake()
}

// Run prints until ctx ends, then returns ctx.Err(). Run it once, in its
// own goroutine.
func (s *Spooler) Run(ctx context.Context) error {
	for {
		wait := s.round(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-s.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// round stores new jobs and prints what is due; it returns how long to
// wait before the next round.
func (s *Spooler) round(ctx context.Context) time.Duration {
	wait := s.cfg.Poll
	if !s.storeInbox(ctx) {
		wait = s.cfg.MinBackoff
	}
	jobs, err := s.cfg.Store.Pending(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("read print queue", "op", "pending", "err", err)
		}
		return s.cfg.MinBackoff
	}
	s.mu.Lock()
	forced := s.forced
	s.forced = false
	s.mu.Unlock()

	pending := len(jobs)
	for _, j := range jobs {
		if ctx.Err() != nil {
			return 0
		}
		now := s.cfg.Now()
		if !forced && j.NextAttempt.After(now) {
			wait = min(wait, j.NextAttempt.Sub(now))
			// keep the order of the queue: nothing after a waiting job
			break
		}
		next, err := s.print(ctx, j, pending)
		if err != nil {
			wait = min(wait, max(next.Sub(s.cfg.Now()), time.Millisecond))
			break // the printer is failing: later jobs would too
		}
		pending--
	}
	return wait
}

// storeInbox adds enqueued jobs to the store; false if some could not be.
func (s *Spooler) storeInbox(ctx context.Context) bool {
	s.mu.Lock()
	in := s.inbox
	s.inbox = nil
	s.mu.Unlock()
	for i, j := range in {
		id, err := s.cfg.Store.Add(ctx, j)
		if err != nil {
			s.log.Error("queue print job", "op", "add", "kind", j.Kind, "charge_code", j.ChargeCode, "err", err)
			s.mu.Lock()
			s.inbox = append(in[i:], s.inbox...)
			s.mu.Unlock()
			return false
		}
		s.log.Info("print job queued", "job", id, "kind", j.Kind, "charge_code", j.ChargeCode)
		s.emit(Event{Kind: EventQueued, JobID: id, JobKind: j.Kind, ChargeCode: j.ChargeCode})
	}
	return true
}

// outcome is what one attempt at a job came to.
type outcome struct {
	bytes     int  // the job's bytes (as rendered for this attempt)
	confirmed bool // the printer answered after the last byte
	fail      *pos.PrintFailure
	err       error
}

// print makes one attempt at j and records it. On failure it returns
// when the job may be tried again.
func (s *Spooler) print(ctx context.Context, j Job, pending int) (time.Time, error) {
	start := s.cfg.Now()
	o := s.attempt(ctx, j)
	if o.err != nil {
		attempts := j.Attempts + 1
		f := *o.fail
		f.Next = s.cfg.Now().Add(s.backoff(attempts))
		if ctx.Err() != nil {
			f.Next = time.Time{} // shutting down: retry at once on the next start
		}
		// a shutdown mid-write still records what the printer got
		if merr := s.cfg.Store.MarkFailed(context.WithoutCancel(ctx), j.ID, f); merr != nil {
			s.log.Error("mark print job failed", "job", j.ID, "err", merr)
		}
		if ctx.Err() != nil {
			return time.Time{}, ctx.Err()
		}
		s.log.Warn("print failed; job stays queued", "job", j.ID, "kind", j.Kind, "charge_code", j.ChargeCode,
			"attempts", attempts, "next_attempt", f.Next, "cut_off", f.Cut, "owed", f.Owed, "err", o.err)
		s.emit(Event{Kind: EventFailed, JobID: j.ID, JobKind: j.Kind, ChargeCode: j.ChargeCode,
			Attempts: attempts, NextAttempt: f.Next, Err: o.err.Error(), Pending: pending})
		return f.Next, o.err
	}
	at := s.cfg.Now()
	if merr := s.cfg.Store.MarkSent(context.WithoutCancel(ctx), j.ID, at, o.confirmed); merr != nil {
		// sent but not recorded: it would print again (marked) after a restart
		s.log.Error("mark print job done", "job", j.ID, "err", merr)
	}
	kind, msg := EventPrinted, "printed"
	if !o.confirmed {
		kind, msg = EventSent, "sent, not confirmed by the printer"
	}
	s.log.Info(msg, "job", j.ID, "kind", j.Kind, "charge_code", j.ChargeCode, "copy", j.Cut || j.Reprint || j.State == JobSending,
		"bytes", o.bytes, "elapsed_ms", at.Sub(start).Milliseconds())
	s.emit(Event{Kind: kind, JobID: j.ID, JobKind: j.Kind, ChargeCode: j.ChargeCode,
		Attempts: j.Attempts, Pending: pending - 1})
	return time.Time{}, nil
}

// render returns the bytes of j for this attempt: marked as a copy when
// an earlier attempt was cut off.
func (s *Spooler) render(ctx context.Context, j Job) ([]byte, error) {
	if len(j.Data) > 0 {
		if j.Cut {
			return append(copyMark(), j.Data...), nil
		}
		return j.Data, nil
	}
	if j.Cut {
		j.Reprint = true
	}
	if s.cfg.Render != nil {
		return s.cfg.Render(ctx, j)
	}
	if j.Receipt == nil {
		return nil, errors.New("job has neither bytes nor a receipt snapshot")
	}
	return s.cfg.Layout.RenderJob(s.cfg.Header, j)
}

// attempt renders j, recovers a printer cut off by an earlier attempt,
// writes the job and asks for the printer's confirmation.
func (s *Spooler) attempt(ctx context.Context, j Job) outcome {
	failed := func(err error, f pos.PrintFailure) outcome {
		f.Reason = err.Error()
		return outcome{fail: &f, err: err}
	}
	jctx, cancel := context.WithTimeout(ctx, s.cfg.JobTimeout)
	defer cancel()
	if j.State == JobSending {
		// A process died while writing it: the printer got an unknown part
		// and may be inside any command of the job. Owe the longest one
		// (at most a raster band) and print a marked copy.
		orig, err := s.render(jctx, j)
		if err != nil {
			return failed(fmt.Errorf("render: %w", err), pos.PrintFailure{Cut: true, Owed: j.Owed})
		}
		j.Cut, j.Owed = true, max(j.Owed, MaxOpen(orig))
	}
	keep := pos.PrintFailure{Cut: j.Cut, Owed: j.Owed} // what stays true if nothing is written
	data, err := s.render(jctx, j)
	if err != nil {
		return failed(fmt.Errorf("render: %w", err), keep)
	}
	if len(data) == 0 {
		return failed(errors.New("render: no bytes"), keep)
	}
	t, err := s.cfg.Open(jctx)
	if err != nil {
		s.setStatus(Status{}, err)
		return failed(fmt.Errorf("connect: %w", err), keep)
	}
	defer t.Close()

	var prefix []byte
	confirmWait := s.cfg.ConfirmTimeout
	if j.Cut || j.Owed > 0 {
		// The printer may be inside a command (a raster band) of the cut-off
		// attempt: finish it with filler, wait until the printer has read
		// everything and answers, then reset it and close the cut-off
		// ticket before the copy.
		if j.Owed > 0 {
			n, err := t.Write(make([]byte, j.Owed))
			if err != nil {
				s.setStatus(StatusUnknown, err)
				return failed(fmt.Errorf("recover the printer: %w", err), pos.PrintFailure{Cut: true, Owed: j.Owed - n})
			}
		}
		cctx, ccancel := context.WithTimeout(ctx, s.cfg.ConfirmTimeout)
		st, err := t.Confirm(cctx)
		ccancel()
		switch {
		case errors.Is(err, ErrNoReadBack):
			// cannot wait for an answer: the filler and the reset are all
		case err != nil:
			s.setStatus(StatusUnknown, err)
			return failed(fmt.Errorf("recover the printer: no answer: %w", err), pos.PrintFailure{Cut: true})
		case st.Blocked():
			s.setStatus(st, nil)
			return failed(fmt.Errorf("printer not ready: %s", st), pos.PrintFailure{Cut: true})
		}
		prefix = recoverPrefix()
	} else if !s.cfg.NoStatus {
		st, err := t.Status(jctx)
		if err != nil {
			// Some printers do not answer DLE EOT; let the write decide,
			// and do not wait long for a confirmation it will not give.
			s.log.Warn("printer status", "job", j.ID, "err", err)
			st = StatusUnknown
			confirmWait = min(confirmWait, silentConfirm)
		}
		if st.Blocked() {
			s.setStatus(st, nil)
			return failed(fmt.Errorf("printer not ready: %s", st), keep)
		}
	}

	if err := s.cfg.Store.MarkSending(ctx, j.ID, s.cfg.Now()); err != nil {
		return failed(fmt.Errorf("mark sending: %w", err), keep)
	}
	out := append(prefix, data...)
	n, err := t.Write(out)
	if err != nil {
		s.setStatus(StatusUnknown, err)
		f := keep
		if n > 0 {
			f.Cut, f.Owed = true, 0
			if n > len(prefix) {
				f.Owed = Remainder(data, n-len(prefix))
			}
		}
		return failed(err, f)
	}
	// Every byte is taken: ask the printer to confirm after the last one.
	cctx, ccancel := context.WithTimeout(ctx, confirmWait)
	st, err := t.Confirm(cctx)
	ccancel()
	switch {
	case err != nil:
		s.log.Warn("printer did not confirm the job", "job", j.ID, "err", err)
		s.setStatus(StatusUnknown, nil)
		return outcome{bytes: len(data)}
	case st.Blocked():
		// It took the job but stopped (paper out mid-ticket): print a
		// marked copy once it is ready.
		s.setStatus(st, nil)
		return failed(fmt.Errorf("printer not ready after the job: %s", st), pos.PrintFailure{Cut: true})
	}
	s.setStatus(st, nil)
	return outcome{bytes: len(data), confirmed: st.Known}
}

// silentConfirm is how long a confirmation is awaited from a printer that
// did not answer the status request before the job either.
const silentConfirm = 2 * time.Second

// recoverPrefix resets a printer cut off mid-ticket (the filler already
// closed any open command) and ends the cut-off ticket with a line that
// says so, so the copy that follows stands on its own.
func recoverPrefix() []byte {
	var b bytes.Buffer
	b.Write([]byte{esc, '@', lf})
	b.WriteString("*** INTERRUPTED / REPRINT BELOW ***")
	b.Write([]byte{lf, esc, 'd', 4, gs, 'V', 1})
	return b.Bytes()
}

// copyMark heads the copy of a job of ready bytes (reports, test pages)
// that was cut off: its own bytes cannot be re-rendered marked.
func copyMark() []byte {
	var b bytes.Buffer
	b.Write([]byte{esc, '@', esc, 'a', 1, esc, 'E', 1})
	b.WriteString("*** REPRINT ***")
	b.Write([]byte{lf, esc, 'E', 0, esc, 'a', 0})
	return b.Bytes()
}

// setStatus reports a status change (or the printer becoming unreachable).
func (s *Spooler) setStatus(st Status, err error) {
	e := ""
	if err != nil {
		e = err.Error()
	}
	s.mu.Lock()
	changed := !s.lastOK || st != s.last || (e == "") != (s.lastEr == "")
	s.last, s.lastOK, s.lastEr = st, true, e
	s.mu.Unlock()
	if changed {
		s.log.Info("printer status", "status", st.String(), "err", e)
		s.emit(Event{Kind: EventStatus, Status: st, Err: e})
	}
}

// Status returns the printer's last known status and the last error
// reaching it ("" when the last attempt got through).
func (s *Spooler) Status() (Status, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last, s.lastEr
}

func (s *Spooler) backoff(attempts int) time.Duration {
	d := s.cfg.MinBackoff
	for i := 1; i < attempts && d < s.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, s.cfg.MaxBackoff)
}

// emit sends an event without ever blocking: when the buffer is full the
// oldest event is dropped.
func (s *Spooler) emit(e Event) {
	if e.Time.IsZero() {
		e.Time = s.cfg.Now()
	}
	if e.Kind != EventStatus {
		s.mu.Lock()
		e.Status = s.last
		s.mu.Unlock()
	}
	for {
		select {
		case s.events <- e:
			return
		default:
		}
		select {
		case <-s.events:
		default:
		}
	}
}
