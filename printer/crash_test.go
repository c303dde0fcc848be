package printer_test

import (
	"bufio"
	"bytes"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"posterm/offline"
	"posterm/printer"
	"posterm/printer/printertest"
)

// TestHelperSpooler is the child of TestCrash_KilledWhileSending: it runs
// a spooler on the journal at PRINTER_CRASH_DB printing to the TCP printer
// at PRINTER_CRASH_ADDR until it is killed.
func TestHelperSpooler(t *testing.T) {
	if os.Getenv("PRINTER_CRASH_CHILD") != "1" {
		t.Skip("child process of TestCrash_KilledWhileSending")
	}
	j, err := offline.Open(os.Getenv("PRINTER_CRASH_DB"), offline.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		os.Exit(3)
	}
	sp := printer.NewSpooler(printer.SpoolerConfig{Store: j, Layout: bigLayout, Header: deliveryHeader, NoStatus: true,
		Logger: slog.New(slog.DiscardHandler),
		Open: tcpOpener(printer.Target{Kind: "tcp", Addr: os.Getenv("PRINTER_CRASH_ADDR")},
			printer.Options{WriteTimeout: time.Hour, SendBuffer: 4096})})
	os.Stdout.WriteString("ready\n")
	_ = sp.Run(context.Background())
	os.Exit(0)
}

// TestCrash_KilledWhileSending: the register is SIGKILLed while a receipt
// is being written (state sending) and the printer holds part of it. The
// next run finds the job cut off, closes whatever command the printer may
// be inside (filler of the job's longest command: at most one raster
// band), resets it and prints the whole receipt again marked REPRINT:
// the receipt is not lost, and not doubled unmarked.
func TestCrash_KilledWhileSending(t *testing.T) {
	fp := printertest.NewTCPPrinter(t)
	fp.StallAfter(30000)
	path := filepath.Join(t.TempDir(), "j.db")
	j, err := offline.Open(path, offline.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	ctx := context.Background()
	job := snapshotJob("CRASH1")
	id, err := j.Add(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	orig := must(bigLayout.RenderJob(deliveryHeader, job))
	cj := job
	cj.Reprint = true
	copy := must(bigLayout.RenderJob(deliveryHeader, cj))

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSpooler$")
	cmd.Env = append(os.Environ(), "PRINTER_CRASH_CHILD=1", "PRINTER_CRASH_DB="+path, "PRINTER_CRASH_ADDR="+fp.Target.Addr)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if sc := bufio.NewScanner(out); !sc.Scan() || sc.Text() != "ready" {
		t.Fatalf("child did not start: %q", sc.Text())
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		jobs, err := j.Pending(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) == 1 && jobs[0].State == printer.JobSending && len(fp.Raw()) >= 30000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the child never got stuck sending: %+v, %d bytes", jobs, len(fp.Raw()))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	fp.Resume()
	sp := startSpooler(t, printer.SpoolerConfig{Store: j, Layout: bigLayout, Header: deliveryHeader,
		ConfirmTimeout: 5 * time.Second, Open: tcpOpener(fp.Target, printer.Options{WriteTimeout: 5 * time.Second})})
	sp.Wake()
	waitEvent(t, sp, 30*time.Second, func(e printer.Event) bool { return e.Kind == printer.EventPrinted && e.JobID == id })
	all, err := j.Jobs(ctx, 0)
	if err != nil || len(all) != 1 || all[0].State != printer.JobPrinted || all[0].Cut {
		t.Fatalf("after the restart: %+v, %v", all, err)
	}

	got := fp.Printed()
	mark := []byte("*** INTERRUPTED / REPRINT BELOW ***")
	if bytes.Count(got, mark) != 1 {
		t.Fatalf("%d recovery marks, want 1", bytes.Count(got, mark))
	}
	at := bytes.Index(got, mark) - 3
	head, tail := got[:at], got[at+3+len(mark):]
	filler := printer.MaxOpen(orig)
	if len(head) < filler || bytes.Count(head[len(head)-filler:], []byte{0}) != filler {
		t.Fatalf("no filler of %d zero bytes before the recovery", filler)
	}
	k := len(head) - filler
	if k == 0 || !bytes.Equal(head[:k], orig[:k]) {
		t.Fatalf("the %d bytes before the filler are not the start of the job", k)
	}
	if !bytes.HasSuffix(tail, copy) || len(tail)-len(copy) != 7 {
		t.Fatalf("the job is not printed again whole after the recovery")
	}
	t.Logf("killed after the printer got %d of %d bytes; filler %d; copy %d bytes", k, len(orig), filler, len(copy))
}
