package printer_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"posterm/printer"
	"posterm/printer/printertest"
)

// startSpooler runs a spooler until the test ends.
func startSpooler(t *testing.T, cfg printer.SpoolerConfig) *printer.Spooler {
	t.Helper()
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff = 20 * time.Millisecond
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 100 * time.Millisecond
	}
	if cfg.Logger == nil && !testing.Verbose() {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	sp := printer.NewSpooler(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sp.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Run returned %v, want context.Canceled", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("spooler did not stop")
		}
	})
	return sp
}

// waitEvent reads events until one matches, failing after timeout.
func waitEvent(t *testing.T, sp *printer.Spooler, timeout time.Duration, ok func(printer.Event) bool) printer.Event {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case e := <-sp.Events():
			if ok(e) {
				return e
			}
		case <-deadline:
			t.Fatalf("no matching event after %s", timeout)
			return printer.Event{}
		}
	}
}

func tcpOpener(target printer.Target, o printer.Options) func(context.Context) (printer.Transport, error) {
	return func(ctx context.Context) (printer.Transport, error) { return printer.Open(ctx, target, o) }
}

func receiptJob(t testing.TB, code string) printer.Job {
	r := saleReceipt()
	r.ChargeCode = code
	b, err := printer.Layout{QR: true}.Receipt(r)
	if err != nil {
		t.Fatal(err)
	}
	return printer.Job{Kind: printer.KindSale, ChargeCode: code, Data: b}
}

// TestSpooler_PaperOutThenRetry: the printer reports paper out, the job
// fails and stays queued; paper back in, the retry prints it.
func TestSpooler_PaperOutThenRetry(t *testing.T) {
	fp := printertest.NewTCPPrinter(t)
	fp.SetStatus(printer.Status{Known: true, PaperOut: true})
	store := printertest.NewMemStore()
	sp := startSpooler(t, printer.SpoolerConfig{Store: store, Open: tcpOpener(fp.Target, printer.Options{WriteTimeout: time.Second})})

	job := receiptJob(t, "P1")
	sp.Enqueue(job)
	e := waitEvent(t, sp, 5*time.Second, func(e printer.Event) bool { return e.Kind == printer.EventFailed })
	if e.ChargeCode != "P1" || e.Attempts != 1 || !strings.Contains(e.Err, "paper out") {
		t.Errorf("failed event = %+v", e)
	}
	if j, _ := store.Job(e.JobID); j.State != printer.JobFailed || j.Attempts != 1 || j.NextAttempt.IsZero() {
		t.Errorf("job after failure = state %s attempts %d next %v", j.State, j.Attempts, j.NextAttempt)
	}
	if st, _ := sp.Status(); !st.PaperOut {
		t.Errorf("spooler status = %s, want paper out", st)
	}
	if n := len(fp.Printed()); n != 0 {
		t.Errorf("%d bytes printed while paper out", n)
	}

	fp.SetStatus(printer.Status{Known: true, Online: true})
	waitEvent(t, sp, 5*time.Second, func(e printer.Event) bool {
		return e.Kind == printer.EventStatus && e.Status.Ready()
	})
	waitEvent(t, sp, 5*time.Second, func(e printer.Event) bool { return e.Kind == printer.EventPrinted && e.ChargeCode == "P1" })
	if j, _ := store.Job(e.JobID); j.State != printer.JobPrinted || j.Printed.IsZero() {
		t.Errorf("job after retry = %+v", j.State)
	}
	// exactly the job: nothing went out while the paper was out
	fp.WaitPrinted(t, 5*time.Second, func(b []byte) bool { return bytes.Equal(b, job.Data) })
}

// TestSpooler_StallMidReceipt: the printer stops reading mid-receipt; the
// write times out, the job stays failed in the queue, and prints again in
// full once the printer reads again.
func TestSpooler_StallMidReceipt(t *testing.T) {
	fp := printertest.NewTCPPrinter(t)
	fp.StallAfter(2000)
	store := printertest.NewMemStore()
	sp := startSpooler(t, printer.SpoolerConfig{Store: store, MinBackoff: 50 * time.Millisecond,
		Open: tcpOpener(fp.Target, printer.Options{WriteTimeout: 200 * time.Millisecond, SendBuffer: 4096})})

	job := printer.Job{Kind: printer.KindShift, Data: bigJob(256 << 10)}
	sp.Enqueue(job)
	e := waitEvent(t, sp, 10*time.Second, func(e printer.Event) bool { return e.Kind == printer.EventFailed })
	if !strings.Contains(e.Err, printer.ErrWriteTimeout.Error()) {
		t.Errorf("failure = %q, want a write timeout", e.Err)
	}
	j, _ := store.Job(e.JobID)
	if j.State != printer.JobFailed || !strings.Contains(j.LastError, "in time") {
		t.Errorf("job = %s %q, want failed with the timeout", j.State, j.LastError)
	}
	if pending, _ := store.Pending(context.Background()); len(pending) != 1 {
		t.Errorf("%d jobs pending, want the failed one", len(pending))
	}

	fp.Resume()
	waitEvent(t, sp, 10*time.Second, func(e printer.Event) bool { return e.Kind == printer.EventPrinted })
	// the retry sends the whole job again after the part the jam swallowed
	fp.WaitPrinted(t, 10*time.Second, func(b []byte) bool { return bytes.HasSuffix(b, job.Data) })
}

// TestSpooler_EnqueueNeverBlocks: with the journal stuck, Enqueue still
// returns at once; when it recovers every job prints, in order.
func TestSpooler_EnqueueNeverBlocks(t *testing.T) {
	store := printertest.NewMemStore()
	store.Block = make(chan struct{})
	mt := &memTransport{}
	sp := startSpooler(t, printer.SpoolerConfig{Store: store, NoStatus: true,
		Open: func(context.Context) (printer.Transport, error) { return mt, nil }})

	const n = 500
	done := make(chan struct{})
	go func() {
		for i := range n {
			sp.Enqueue(printer.Job{Kind: printer.KindSale, Data: []byte{byte('0' + i%10), '\n'}})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Enqueue blocked while the store was stuck")
	}
	close(store.Block)
	deadline := time.Now().Add(10 * time.Second)
	for len(mt.bytes()) < 2*n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	got := mt.bytes()
	if len(got) != 2*n {
		t.Fatalf("printed %d bytes, want %d", len(got), 2*n)
	}
	for i := range n {
		if got[2*i] != byte('0'+i%10) {
			t.Fatalf("job %d printed out of order", i)
		}
	}
}

// TestSpooler_Unreachable: a printer that cannot be reached is reported
// as a status event with an error, and the job prints when it comes back.
func TestSpooler_Unreachable(t *testing.T) {
	var up atomic.Bool
	mt := &memTransport{}
	store := printertest.NewMemStore()
	sp := startSpooler(t, printer.SpoolerConfig{Store: store, NoStatus: true,
		Open: func(context.Context) (printer.Transport, error) {
			if !up.Load() {
				return nil, errors.New("dial tcp 10.0.0.9:9100: connection refused")
			}
			return mt, nil
		}})
	sp.Enqueue(printer.Job{Kind: printer.KindTest, Data: []byte("x\n")})
	e := waitEvent(t, sp, 5*time.Second, func(e printer.Event) bool { return e.Kind == printer.EventStatus })
	if !strings.Contains(e.Err, "refused") {
		t.Errorf("status event = %+v, want the connect error", e)
	}
	waitEvent(t, sp, 5*time.Second, func(e printer.Event) bool { return e.Kind == printer.EventFailed && e.Attempts >= 2 })
	up.Store(true)
	waitEvent(t, sp, 5*time.Second, func(e printer.Event) bool { return e.Kind == printer.EventPrinted })
	if string(mt.bytes()) != "x\n" {
		t.Errorf("printed %q", mt.bytes())
	}
}

// TestSpooler_RetryNow: the cashier's retry skips a long backoff.
func TestSpooler_RetryNow(t *testing.T) {
	mt := &memTransport{}
	mt.failNext.Store(1)
	store := printertest.NewMemStore()
	sp := startSpooler(t, printer.SpoolerConfig{Store: store, NoStatus: true, MinBackoff: time.Hour, MaxBackoff: time.Hour,
		Open: func(context.Context) (printer.Transport, error) { return mt, nil }})
	sp.Enqueue(printer.Job{Kind: printer.KindSale, ChargeCode: "P9", Data: []byte("r\n")})
	e := waitEvent(t, sp, 5*time.Second, func(e printer.Event) bool { return e.Kind == printer.EventFailed })
	if d := e.NextAttempt.Sub(e.Time); d < 59*time.Minute {
		t.Errorf("next attempt in %s, want the 1h backoff", d)
	}
	sp.RetryNow()
	waitEvent(t, sp, 5*time.Second, func(e printer.Event) bool { return e.Kind == printer.EventPrinted && e.ChargeCode == "P9" })
}

// TestSpooler_StoreAddFails: a journal error on Add keeps the job in
// memory and stores it on a later round.
func TestSpooler_StoreAddFails(t *testing.T) {
	var fails atomic.Int32
	fails.Store(2)
	store := printertest.NewMemStore()
	store.AddErr = func() error {
		if fails.Add(-1) >= 0 {
			return errors.New("database is locked")
		}
		return nil
	}
	mt := &memTransport{}
	sp := startSpooler(t, printer.SpoolerConfig{Store: store, NoStatus: true,
		Open: func(context.Context) (printer.Transport, error) { return mt, nil }})
	sp.Enqueue(printer.Job{Kind: printer.KindSale, Data: []byte("a\n")})
	waitEvent(t, sp, 5*time.Second, func(e printer.Event) bool { return e.Kind == printer.EventPrinted })
	if jobs := store.All(); len(jobs) != 1 || jobs[0].State != printer.JobPrinted {
		t.Errorf("store = %+v", jobs)
	}
}

// TestSpooler_WakeForStoredJobs: jobs the journal wrote itself print on Wake.
func TestSpooler_WakeForStoredJobs(t *testing.T) {
	store := printertest.NewMemStore()
	mt := &memTransport{}
	sp := startSpooler(t, printer.SpoolerConfig{Store: store, NoStatus: true, Poll: time.Hour,
		Open: func(context.Context) (printer.Transport, error) { return mt, nil }})
	time.Sleep(20 * time.Millisecond) // let the first round find nothing
	if _, err := store.Add(context.Background(), printer.Job{Kind: printer.KindSale, Data: []byte("w\n")}); err != nil {
		t.Fatal(err)
	}
	sp.Wake()
	waitEvent(t, sp, 5*time.Second, func(e printer.Event) bool { return e.Kind == printer.EventPrinted })
}

// TestSpooler_RenderAtPrintTime: a job the journal queued by charge code
// alone is rendered when it prints; a render error is retried.
func TestSpooler_RenderAtPrintTime(t *testing.T) {
	store := printertest.NewMemStore()
	mt := &memTransport{}
	var calls atomic.Int32
	sp := startSpooler(t, printer.SpoolerConfig{Store: store, NoStatus: true,
		Open: func(context.Context) (printer.Transport, error) { return mt, nil },
		Render: func(_ context.Context, j printer.Job) ([]byte, error) {
			if calls.Add(1) == 1 {
				return nil, errors.New("journal busy")
			}
			r := saleReceipt()
			r.ChargeCode, r.Reprint = j.ChargeCode, j.Reprint
			return printer.Layout{}.Receipt(r)
		}})
	if _, err := store.Add(context.Background(), printer.Job{Kind: printer.KindSale, ChargeCode: "P77", Reprint: true}); err != nil {
		t.Fatal(err)
	}
	sp.Wake()
	e := waitEvent(t, sp, 5*time.Second, func(e printer.Event) bool { return e.Kind == printer.EventFailed })
	if !strings.Contains(e.Err, "journal busy") {
		t.Errorf("failure = %q", e.Err)
	}
	waitEvent(t, sp, 5*time.Second, func(e printer.Event) bool { return e.Kind == printer.EventPrinted })
	out := printer.DecodeText(mt.bytes(), 32)
	if !strings.Contains(out, "P77") || !strings.Contains(out, "重印") {
		t.Errorf("rendered job:\n%s", out)
	}
}

// TestSpooler_EventsNeverBlock: nobody reads events; printing goes on.
func TestSpooler_EventsNeverBlock(t *testing.T) {
	store := printertest.NewMemStore()
	mt := &memTransport{}
	sp := startSpooler(t, printer.SpoolerConfig{Store: store, NoStatus: true,
		Open: func(context.Context) (printer.Transport, error) { return mt, nil }})
	for range 300 {
		sp.Enqueue(printer.Job{Kind: printer.KindSale, Data: []byte("e")})
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(mt.bytes()) < 300 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := len(mt.bytes()); n != 300 {
		t.Fatalf("printed %d of 300 with nobody reading events", n)
	}
}

// memTransport is a printer in memory; failNext makes the next writes fail.
type memTransport struct {
	mu       sync.Mutex
	buf      bytes.Buffer
	failNext atomic.Int32
}

func (m *memTransport) Write(p []byte) (int, error) {
	if m.failNext.Add(-1) >= 0 {
		return 0, printer.ErrWriteTimeout
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.buf.Write(p)
}

func (m *memTransport) Status(context.Context) (printer.Status, error) {
	return printer.StatusUnknown, nil
}

// Confirm answers like a file: the bytes are in memory.
func (m *memTransport) Confirm(context.Context) (printer.Status, error) {
	return printer.Status{Known: true, Online: true}, nil
}
func (m *memTransport) Close() error { return nil }
func (m *memTransport) bytes() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return bytes.Clone(m.buf.Bytes())
}

// syncBuffer is a bytes.Buffer safe for a logger and a test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSpooler_LogsRenderedBytes: a job queued as a snapshot is logged with
// the size it printed at, never "bytes":0.
func TestSpooler_LogsRenderedBytes(t *testing.T) {
	var logs syncBuffer
	mt := &memTransport{}
	sp := startSpooler(t, printer.SpoolerConfig{Store: printertest.NewMemStore(), Layout: deliveryLayout, Header: deliveryHeader,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
		Open:   func(context.Context) (printer.Transport, error) { return mt, nil }})
	sp.Enqueue(snapshotJob("LOG1"))
	waitEvent(t, sp, 5*time.Second, func(e printer.Event) bool { return e.Kind == printer.EventPrinted })
	out := logs.String()
	if strings.Contains(out, `"bytes":0`) || !strings.Contains(out, `"bytes":`+strconv.Itoa(len(mt.bytes()))) {
		t.Errorf("logs:\n%s", out)
	}
}
