package printer_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"posterm/pos"
	"posterm/printer"
	"posterm/printer/printertest"
)

// deliveryLayout prints two copies with a raster QR code, so a job is a
// few kilobytes with images a stall can cut.
var deliveryLayout = printer.Layout{
	Profile: printer.Profile{Paper: 58, QR: printer.QRRaster},
	Copies:  printer.Copies(1, 1), QR: true,
}

var deliveryHeader = printer.Header{Merchant: "Shop", Register: "R1", Lang: printer.LangEN, Zone: time.UTC}

// snapshotJob is a sale receipt queued with its snapshot.
func snapshotJob(code string) printer.Job {
	rec := pos.Receipt{Kind: pos.ReceiptSale, Transaction: pos.Transaction{
		ChargeCode: pos.ChargeCode(code), Amount: 12345, State: pos.StatePaid, Cashier: "c1",
		MaskedCode: "2812****3456", PaidAt: time.Date(2026, 3, 14, 15, 4, 5, 0, time.UTC)}}
	return printer.Job{Kind: printer.KindSale, ChargeCode: code, Receipt: &rec}
}

// renderings returns the bytes of j as first printed and as its marked copy.
func renderings(t *testing.T, j printer.Job) (orig, copy []byte) {
	t.Helper()
	orig = must(deliveryLayout.RenderJob(deliveryHeader, j))
	j.Reprint = true
	return orig, must(deliveryLayout.RenderJob(deliveryHeader, j))
}

// checkDelivered checks what a printer got for one job that was cut off
// once: a prefix of the original, the filler that closes the command it
// was cut in, the recovery (reset, "INTERRUPTED" line, cut), then the
// whole job again marked REPRINT — and nothing else. With cut false the
// printer must have got the original exactly.
func checkDelivered(t *testing.T, got, orig, copy []byte, cut bool) {
	t.Helper()
	if !cut {
		if !bytes.Equal(got, orig) {
			t.Fatalf("printer got %d bytes, want the job's %d exactly", len(got), len(orig))
		}
		return
	}
	mark := []byte("*** INTERRUPTED / REPRINT BELOW ***")
	if n := bytes.Count(got, mark); n != 1 {
		t.Fatalf("%d recovery marks, want 1 (one failure, one copy)", n)
	}
	at := bytes.Index(got, mark) - 3 // ESC @ LF
	if at < 0 || !bytes.Equal(got[at:at+3], []byte{0x1b, '@', '\n'}) {
		t.Fatalf("recovery does not start with ESC @: % x", got[max(at, 0):at+3])
	}
	head := got[:at]
	common := 0 // head[:common] == orig[:common]
	for common < min(len(head), len(orig)) && head[common] == orig[common] {
		common++
	}
	lastData := bytes.LastIndexFunc(head, func(r rune) bool { return r != 0 }) // filler is zeros
	k := -1
	for n := min(common, len(orig)-1); n > lastData && n > 0; n-- {
		if len(head) == n+printer.Remainder(orig, n) {
			k = n
			break
		}
	}
	if k < 0 {
		t.Fatalf("the %d bytes before the recovery are not a prefix of the job plus its filler", len(head))
	}
	tail := got[bytes.Index(got, mark)+len(mark):]
	if !bytes.HasSuffix(tail, copy) {
		t.Fatalf("the job is not printed again whole after the recovery")
	}
	if extra := len(tail) - len(copy); extra != 7 { // LF ESC d 4 GS V 1
		t.Fatalf("%d unexpected bytes between the recovery and the copy", extra)
	}
	// Decoded independently: the cut-off part, then whole receipts marked
	// REPRINT, one per copy of the layout.
	text := printer.DecodeText(got, 32)
	copies := len(deliveryLayout.Copies)
	if n := strings.Count(text, "*** REPRINT ***"); n != copies {
		t.Errorf("%d REPRINT marks, want %d (the copy of each ticket):\n%s", n, copies, text)
	}
	if n := strings.Count(printer.DecodeText(copy, 32), "[RASTER QR]"); n != copies {
		t.Errorf("%d whole QR codes in the copy, want %d", n, copies)
	}
	t.Logf("cut off after %d of %d bytes (%d filler), copy of %d bytes", k, len(orig), len(head)-k, len(copy))
}

// stallOpener opens the target with a short write timeout until the
// first failure (so the stall is noticed fast), then with a generous one:
// a slow machine (the race detector) must not cut the copy too, which
// would be right (one more marked copy) but not what the test checks.
func stallOpener(target printer.Target, o printer.Options, store *printertest.MemStore) func(context.Context) (printer.Transport, error) {
	return func(ctx context.Context) (printer.Transport, error) {
		for _, j := range store.All() {
			if j.Attempts > 0 {
				o.WriteTimeout = 10 * time.Second
			}
		}
		return printer.Open(ctx, target, o)
	}
}

// nthIndex is the index of the n-th (1-based) sep in b.
func nthIndex(b, sep []byte, n int) int {
	off := 0
	for ; n > 0; n-- {
		i := bytes.Index(b[off:], sep)
		if i < 0 {
			return -1
		}
		off += i + 1
	}
	return off - 1
}

// TestDelivery_PTYStallMidJob: a serial printer stops reading inside the
// raster QR code of the second ticket. The write times out; the job is
// failed and cut, never printed; when the printer reads again it gets the
// cut-off part, filler to the end of the open band, a reset and the whole
// job again marked REPRINT, and only then is it printed (confirmed).
func TestDelivery_PTYStallMidJob(t *testing.T) {
	for _, stallIn := range []string{"raster band", "text"} {
		t.Run(stallIn, func(t *testing.T) {
			fp := printertest.NewPTYPrinter(t)
			job := snapshotJob("PTY1")
			orig := must(bigLayout.RenderJob(deliveryHeader, job))
			cj := job
			cj.Reprint = true
			copy := must(bigLayout.RenderJob(deliveryHeader, cj))
			at := nthIndex(orig, []byte{0x1d, 'v', '0'}, 2) + 100
			if stallIn == "text" {
				at = nthIndex(orig, []byte("PTY1"), 3) + 2
			}
			if at < 100 {
				t.Fatal("no second image in the job")
			}
			fp.StallAfter(9 + at) // 9: the status requests before the job
			store := printertest.NewMemStore()
			sp := startSpooler(t, printer.SpoolerConfig{Store: store, Layout: bigLayout, Header: deliveryHeader,
				ConfirmTimeout: 500 * time.Millisecond,
				Open:           stallOpener(fp.Target, printer.Options{WriteTimeout: 200 * time.Millisecond, StatusTimeout: time.Second}, store)})
			sp.Enqueue(job)
			e := waitEvent(t, sp, 10*time.Second, func(e printer.Event) bool {
				if e.Kind == printer.EventPrinted || e.Kind == printer.EventSent {
					t.Fatalf("%s while the printer is stalled", e.Kind)
				}
				return e.Kind == printer.EventFailed
			})
			j, _ := store.Job(e.JobID)
			if j.State != printer.JobFailed || !j.Cut {
				t.Fatalf("after the stall: state %s cut %v, want failed and cut", j.State, j.Cut)
			}
			fp.Resume()
			waitEvent(t, sp, 20*time.Second, func(e printer.Event) bool {
				if e.Kind == printer.EventSent {
					t.Errorf("sent without confirmation by a printer that answers")
				}
				return e.Kind == printer.EventPrinted
			})
			if j, _ := store.Job(e.JobID); j.State != printer.JobPrinted || j.LastError != "" || j.Cut {
				t.Errorf("after the copy: %s %q cut=%v", j.State, j.LastError, j.Cut)
			}
			checkDeliveredLayout(t, fp.Printed(), orig, copy, len(bigLayout.Copies))
		})
	}
	// A job the pty buffers whole while the printer reads nothing is sent,
	// not printed; when the printer reads again it gets it once.
	t.Run("buffered whole", func(t *testing.T) {
		fp := printertest.NewPTYPrinter(t)
		fp.StallAfter(9)
		job := snapshotJob("PTY2")
		orig, copy := renderings(t, job)
		store := printertest.NewMemStore()
		sp := startSpooler(t, printer.SpoolerConfig{Store: store, Layout: deliveryLayout, Header: deliveryHeader,
			ConfirmTimeout: 300 * time.Millisecond,
			Open:           tcpOpener(fp.Target, printer.Options{WriteTimeout: 200 * time.Millisecond})})
		sp.Enqueue(job)
		e := waitEvent(t, sp, 10*time.Second, func(e printer.Event) bool {
			if e.Kind == printer.EventPrinted {
				t.Fatalf("printed while the printer read nothing")
			}
			return e.Kind == printer.EventSent
		})
		if j, _ := store.Job(e.JobID); j.State != printer.JobSent {
			t.Fatalf("state %s, want sent", j.State)
		}
		fp.Resume()
		got := fp.WaitPrinted(t, 10*time.Second, func(b []byte) bool { return len(b) >= len(orig) })
		checkDelivered(t, got, orig, copy, false)
	})
}

// TestDelivery_TCPNeverReads: a network printer accepts the connection
// but never reads. A job that fits the socket buffers is written whole and
// is "sent", never "printed"; a larger one times out, is cut, and — once
// the printer reads — is recovered and printed again whole, marked.
func TestDelivery_TCPNeverReads(t *testing.T) {
	t.Run("fits the buffers", func(t *testing.T) {
		fp := printertest.NewTCPPrinter(t)
		fp.StallAfter(0)
		store := printertest.NewMemStore()
		sp := startSpooler(t, printer.SpoolerConfig{Store: store, Layout: deliveryLayout, Header: deliveryHeader,
			NoStatus: true, ConfirmTimeout: 300 * time.Millisecond,
			Open: tcpOpener(fp.Target, printer.Options{WriteTimeout: time.Second})})
		job := snapshotJob("TCP1")
		job.Data = []byte("small job\n")
		job.Receipt = nil
		sp.Enqueue(job)
		e := waitEvent(t, sp, 10*time.Second, func(e printer.Event) bool {
			if e.Kind == printer.EventPrinted {
				t.Fatalf("printed by a printer that read nothing")
			}
			return e.Kind == printer.EventSent
		})
		if j, _ := store.Job(e.JobID); j.State != printer.JobSent || !j.Printed.IsZero() || j.Sent.IsZero() {
			t.Errorf("job = %s printed %v sent %v; want sent, not printed", j.State, j.Printed, j.Sent)
		}
		if n := len(fp.Raw()); n != 0 {
			t.Errorf("the printer read %d bytes", n)
		}
	})
	t.Run("larger than the buffers", func(t *testing.T) {
		fp := printertest.NewTCPPrinter(t)
		fp.StallAfter(0)
		store := printertest.NewMemStore()
		sp := startSpooler(t, printer.SpoolerConfig{Store: store, Layout: bigLayout, Header: deliveryHeader,
			ConfirmTimeout: time.Second, NoStatus: true,
			Open: stallOpener(fp.Target, printer.Options{WriteTimeout: 300 * time.Millisecond, SendBuffer: 4096}, store)})
		job := snapshotJob("TCP2")
		orig := must(bigLayout.RenderJob(deliveryHeader, job))
		cj := job
		cj.Reprint = true
		copy := must(bigLayout.RenderJob(deliveryHeader, cj))
		sp.Enqueue(job)
		e := waitEvent(t, sp, 10*time.Second, func(e printer.Event) bool {
			if e.Kind == printer.EventPrinted || e.Kind == printer.EventSent {
				t.Fatalf("%s by a printer that read nothing", e.Kind)
			}
			return e.Kind == printer.EventFailed
		})
		if j, _ := store.Job(e.JobID); j.State != printer.JobFailed || !j.Cut {
			t.Fatalf("job = %s cut %v; want failed, cut", j.State, j.Cut)
		}
		fp.Resume()
		waitEvent(t, sp, 20*time.Second, func(e printer.Event) bool { return e.Kind == printer.EventPrinted })
		got := fp.Printed()
		if bytes.HasPrefix(got, orig) {
			t.Logf("the printer got the whole first attempt before it was given up")
		}
		checkDeliveredLayout(t, got, orig, copy, len(bigLayout.Copies))
	})
}

// bigLayout is a job larger than loopback socket buffers: many copies.
var bigLayout = printer.Layout{
	Profile: printer.Profile{Paper: 80, QR: printer.QRRaster, QRModule: 8},
	Copies:  printer.Copies(20, 20), QR: true,
}

func checkDeliveredLayout(t *testing.T, got, orig, copy []byte, copies int) {
	t.Helper()
	saved := deliveryLayout
	deliveryLayout.Copies = make([]printer.Copy, copies)
	defer func() { deliveryLayout = saved }()
	checkDelivered(t, got, orig, copy, true)
}

// threads is the number of OS threads of this process.
func threads(t *testing.T) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, ln := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(ln, "Threads:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no Threads: line")
	return 0
}

// TestSerial_NoThreadLeak: 20 write attempts to a serial printer that
// never reads each time out, and the process keeps the same number of OS
// threads: no write stays stuck in the kernel.
func TestSerial_NoThreadLeak(t *testing.T) {
	fp := printertest.NewPTYPrinter(t)
	fp.StallAfter(0)
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<20/16) // more than a pty buffers
	attempt := func() {
		tr, err := printer.Open(context.Background(), fp.Target, printer.Options{WriteTimeout: 20 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		if _, err := tr.Write(data); err == nil {
			t.Fatal("a write to a printer that never reads succeeded")
		}
	}
	attempt() // warm up: the runtime's poller and its threads
	before := threads(t)
	for range 20 {
		attempt()
	}
	after := threads(t)
	if after > before+2 {
		t.Fatalf("threads %d → %d after 20 stalled writes", before, after)
	}
	t.Logf("threads %d → %d after 20 stalled writes", before, after)
	_ = fmt.Sprint()
}

// TestDelivery_LPCannotReadBack: /dev/usb/lp* cannot read the printer's
// answers. A job cut off there is still recovered (filler, reset) and
// printed again whole, marked; it ends sent, never printed.
func TestDelivery_LPCannotReadBack(t *testing.T) {
	fp := printertest.NewPTYPrinter(t)
	// a pty is a terminal: opening it once as a serial port sets raw mode
	// (no LF → CR LF), which a usblp device does not have
	if tr, err := printer.Open(context.Background(), fp.Target, printer.Options{}); err != nil {
		t.Fatal(err)
	} else {
		tr.Close()
	}
	fp.StallAfter(1000)
	job := snapshotJob("LP1")
	orig := must(bigLayout.RenderJob(deliveryHeader, job))
	cj := job
	cj.Reprint = true
	copy := must(bigLayout.RenderJob(deliveryHeader, cj))
	store := printertest.NewMemStore()
	sp := startSpooler(t, printer.SpoolerConfig{Store: store, Layout: bigLayout, Header: deliveryHeader,
		Open: stallOpener(printer.Target{Kind: "lp", Addr: fp.Target.Addr}, printer.Options{WriteTimeout: 200 * time.Millisecond}, store)})
	sp.Enqueue(job)
	e := waitEvent(t, sp, 10*time.Second, func(e printer.Event) bool { return e.Kind == printer.EventFailed })
	if j, _ := store.Job(e.JobID); !j.Cut {
		t.Fatalf("job not cut: %+v", j.State)
	}
	fp.Resume()
	waitEvent(t, sp, 20*time.Second, func(e printer.Event) bool {
		if e.Kind == printer.EventPrinted {
			t.Fatalf("printed on a transport that cannot read back")
		}
		return e.Kind == printer.EventSent
	})
	got := fp.WaitPrinted(t, 10*time.Second, func(b []byte) bool { return bytes.HasSuffix(b, copy) })
	checkDeliveredLayout(t, got, orig, copy, len(bigLayout.Copies))
}
