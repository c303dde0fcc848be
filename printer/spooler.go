package printer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// More kinds of jobs besides the slips of a transaction.
const (
	KindShift Kind = "shift" // a shift report
	KindTest  Kind = "test"  // a test page
)

// JobState is where a print job stands.
type JobState string

// Job states. A job is never deleted: a printed job stays for reprints and
// the audit; a failed one stays queued and is retried.
const (
	JobQueued  JobState = "queued"  // not tried yet
	JobFailed  JobState = "failed"  // tried, failed, to be retried at NextAttempt
	JobPrinted JobState = "printed" // sent to the printer completely
)

// Job is one ticket to print: the complete ESC/POS bytes of a receipt (all
// its copies), slip, report or test page.
type Job struct {
	ID         int64  // assigned by the JobStore
	Kind       Kind   // sale, refund, revoke, shift, test: for the screen and the log
	ChargeCode string // the charge it belongs to; "" for reports
	Reprint    bool   // asked for again by the cashier (the slip says so)
	// Data are the ESC/POS bytes as Layout renders them. A job stored
	// without them (the journal queues charge code and kind in the payment's
	// own transaction) is rendered at print time by SpoolerConfig.Render.
	Data        []byte
	Created     time.Time // when it was queued
	State       JobState
	Attempts    int       // failed attempts so far
	LastError   string    // detail of the last failure, for the log (not for the cashier)
	NextAttempt time.Time // a failed job is not retried before this
	Printed     time.Time // when it was printed (State printed)
}

// ErrJobNotFound is returned by a JobStore for an unknown job id.
var ErrJobNotFound = errors.New("print job not found")

// JobStore keeps print jobs across restarts; offline.Journal implements it
// in SQLite and printertest.MemStore in memory. Implementations are safe
// for concurrent use. Every method returns ctx.Err() if ctx ends first.
type JobStore interface {
	// Add stores j as a new queued job (its ID, State and Attempts are
	// ignored) and returns the new ID.
	Add(ctx context.Context, j Job) (int64, error)
	// Pending returns every job not printed yet — queued and failed —
	// oldest first (by ID).
	Pending(ctx context.Context) ([]Job, error)
	// MarkPrinted records that job id was printed completely at `at`.
	// It returns ErrJobNotFound for an unknown id.
	MarkPrinted(ctx context.Context, id int64, at time.Time) error
	// MarkFailed records a failed attempt: State failed, Attempts+1,
	// LastError = reason, NextAttempt = next. ErrJobNotFound for an unknown id.
	MarkFailed(ctx context.Context, id int64, reason string, next time.Time) error
}

// EventKind says what an Event reports.
type EventKind string

// Spooler events.
const (
	EventQueued  EventKind = "queued"  // a job was stored
	EventPrinted EventKind = "printed" // a job was printed
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
	// Render produces the bytes of a job stored without Data (from the
	// journal's record of its charge). An error fails the attempt; the job
	// is retried like a print failure. nil: such jobs fail.
	Render func(ctx context.Context, j Job) ([]byte, error)
	// MinBackoff is the wait after a first failure, doubled per attempt
	// up to MaxBackoff. Defaults 2 s and 2 min.
	MinBackoff, MaxBackoff time.Duration
	// JobTimeout bounds connecting and the status query of one job
	// (writes are bounded by the transport's write timeout). 30 s.
	JobTimeout time.Duration
	// Poll re-reads the store this often even when nothing woke the
	// spooler (jobs added by another process). 30 s.
	Poll time.Duration
	// NoStatus skips the DLE EOT query before each job.
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
		j.ID = id
		s.log.Info("print job queued", "job", id, "kind", j.Kind, "charge_code", j.ChargeCode, "bytes", len(j.Data))
		s.emit(Event{Kind: EventQueued, JobID: id, JobKind: j.Kind, ChargeCode: j.ChargeCode})
	}
	return true
}

// print sends one job. On failure it marks the job failed and returns
// when it may be tried again.
func (s *Spooler) print(ctx context.Context, j Job, pending int) (time.Time, error) {
	start := s.cfg.Now()
	err := s.send(ctx, j)
	if ctx.Err() != nil {
		return time.Time{}, ctx.Err() // shutting down: not the printer's fault
	}
	if err != nil {
		attempts := j.Attempts + 1
		next := s.cfg.Now().Add(s.backoff(attempts))
		if merr := s.cfg.Store.MarkFailed(ctx, j.ID, err.Error(), next); merr != nil {
			s.log.Error("mark print job failed", "job", j.ID, "err", merr)
		}
		s.log.Warn("print failed; job stays queued", "job", j.ID, "kind", j.Kind, "charge_code", j.ChargeCode,
			"attempts", attempts, "next_attempt", next, "err", err)
		s.emit(Event{Kind: EventFailed, JobID: j.ID, JobKind: j.Kind, ChargeCode: j.ChargeCode,
			Attempts: attempts, NextAttempt: next, Err: err.Error(), Pending: pending})
		return next, err
	}
	at := s.cfg.Now()
	if merr := s.cfg.Store.MarkPrinted(ctx, j.ID, at); merr != nil {
		// printed but not recorded: it would print again after a restart
		s.log.Error("mark print job printed", "job", j.ID, "err", merr)
	}
	s.log.Info("printed", "job", j.ID, "kind", j.Kind, "charge_code", j.ChargeCode,
		"bytes", len(j.Data), "elapsed_ms", at.Sub(start).Milliseconds())
	s.emit(Event{Kind: EventPrinted, JobID: j.ID, JobKind: j.Kind, ChargeCode: j.ChargeCode,
		Attempts: j.Attempts, Pending: pending - 1})
	return time.Time{}, nil
}

// send connects, checks the status and writes the job.
func (s *Spooler) send(ctx context.Context, j Job) error {
	jctx, cancel := context.WithTimeout(ctx, s.cfg.JobTimeout)
	defer cancel()
	data := j.Data
	if len(data) == 0 {
		if s.cfg.Render == nil {
			return errors.New("job has no data and the spooler no renderer")
		}
		var err error
		if data, err = s.cfg.Render(jctx, j); err != nil {
			return fmt.Errorf("render: %w", err)
		}
	}
	t, err := s.cfg.Open(jctx)
	if err != nil {
		s.setStatus(Status{}, err)
		return fmt.Errorf("connect: %w", err)
	}
	defer t.Close()
	st := StatusUnknown
	if !s.cfg.NoStatus {
		st, err = t.Status(jctx)
		if err != nil {
			// Some printers do not answer DLE EOT; let the write decide.
			s.log.Warn("printer status", "job", j.ID, "err", err)
			st = StatusUnknown
		}
	}
	if st.Blocked() {
		s.setStatus(st, nil)
		return fmt.Errorf("printer not ready: %s", st)
	}
	if _, err := t.Write(data); err != nil {
		s.setStatus(st, err)
		return err
	}
	s.setStatus(st, nil)
	return nil
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
