package printer_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"posterm/printer"
	"posterm/printer/printertest"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in   string
		want printer.Target
		err  string
	}{
		{"file:/tmp/r.bin", printer.Target{Kind: "file", Addr: "/tmp/r.bin"}, ""},
		{"serial:/dev/ttyUSB0", printer.Target{Kind: "serial", Addr: "/dev/ttyUSB0"}, ""},
		{"lp:/dev/usb/lp0", printer.Target{Kind: "lp", Addr: "/dev/usb/lp0"}, ""},
		{"tcp:192.168.1.50", printer.Target{Kind: "tcp", Addr: "192.168.1.50:9100"}, ""},
		{"tcp:printer.local:9101", printer.Target{Kind: "tcp", Addr: "printer.local:9101"}, ""},
		{"TCP:[fe80::1]:9100", printer.Target{Kind: "tcp", Addr: "[fe80::1]:9100"}, ""},
		{"/dev/usb/lp1", printer.Target{Kind: "lp", Addr: "/dev/usb/lp1"}, ""},
		{"/dev/serial/by-id/usb-printer", printer.Target{Kind: "serial", Addr: "/dev/serial/by-id/usb-printer"}, ""},
		{"tcp:host:99999", printer.Target{}, "bad port"},
		{"usb:/dev/x", printer.Target{}, "unknown kind"},
		{"file:", printer.Target{}, "missing"},
		{"printer", printer.Target{}, "want file:PATH"},
	}
	for _, tc := range tests {
		got, err := printer.ParseTarget(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseTarget(%q) err = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseTarget(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}

func TestTransport_File(t *testing.T) {
	path := filepath.Join(t.TempDir(), "printer.bin")
	for range 2 {
		tr, err := printer.Open(context.Background(), printer.Target{Kind: "file", Addr: path}, printer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Write([]byte("ab\n")); err != nil {
			t.Fatal(err)
		}
		if st, err := tr.Status(context.Background()); err != nil || st.Known || st.String() != "unknown" {
			t.Errorf("file status = %v, %v; want unknown", st, err)
		}
		tr.Close()
	}
	if b, _ := os.ReadFile(path); string(b) != "ab\nab\n" {
		t.Errorf("file holds %q, want two appended writes", b)
	}
}

func TestTransport_TCP(t *testing.T) {
	fp := printertest.NewTCPPrinter(t)
	ctx := context.Background()
	job := must(printer.Layout{Profile: printer.Profile{}, QR: true}.Receipt(saleReceipt()))

	tr, err := printer.Open(ctx, fp.Target, printer.Options{WriteTimeout: 2 * time.Second, StatusTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()

	t.Run("status", func(t *testing.T) {
		tests := []printer.Status{
			{Known: true, Online: true},
			{Known: true, Online: false, PaperOut: true},
			{Known: true, Online: false, CoverOpen: true},
			{Known: true, Online: true, PaperNearEnd: true},
			{Known: true, Online: false, Error: true, CutterError: true},
		}
		for _, want := range tests {
			fp.SetStatus(want)
			got, err := tr.Status(ctx)
			if err != nil {
				t.Fatalf("status: %v", err)
			}
			if got != want {
				t.Errorf("status = %+v (%s), want %+v (%s)", got, got, want, want)
			}
			if got.Blocked() != (!want.Online || want.PaperOut || want.CoverOpen || want.Error) {
				t.Errorf("%s: Blocked = %v", got, got.Blocked())
			}
		}
		fp.SetStatus(printer.Status{Known: true, Online: true})
	})

	t.Run("write", func(t *testing.T) {
		if _, err := tr.Write(job); err != nil {
			t.Fatal(err)
		}
		fp.WaitPrinted(t, 5*time.Second, func(b []byte) bool { return bytes.Equal(b, job) })
	})

	t.Run("silent printer", func(t *testing.T) {
		fp.Silent(true)
		defer fp.Silent(false)
		start := time.Now()
		_, err := tr.Status(ctx)
		if !errors.Is(err, printer.ErrNoStatus) {
			t.Errorf("status of a silent printer: err = %v, want ErrNoStatus", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("status took %s with a 500ms timeout", d)
		}
	})
}

// TestTransport_TCPStall: a printer that stops reading mid-receipt makes
// Write fail with ErrWriteTimeout instead of hanging.
func TestTransport_TCPStall(t *testing.T) {
	fp := printertest.NewTCPPrinter(t)
	fp.StallAfter(1000)
	tr, err := printer.Open(context.Background(), fp.Target,
		printer.Options{WriteTimeout: 300 * time.Millisecond, SendBuffer: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	big := bigJob(512 << 10)
	start := time.Now()
	n, err := tr.Write(big)
	if !errors.Is(err, printer.ErrWriteTimeout) {
		t.Fatalf("write to a stalled printer: n=%d err=%v, want ErrWriteTimeout", n, err)
	}
	if n >= len(big) {
		t.Errorf("wrote %d of %d bytes to a stalled printer", n, len(big))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("timeout took %s", d)
	}
	if _, err := tr.Write([]byte("x")); err == nil {
		t.Errorf("a transport after a timeout still writes")
	}
}

// TestTransport_Serial: the serial transport (go.bug.st/serial) writes into
// a pty slave; the fake printer reads the master and answers DLE EOT.
func TestTransport_Serial(t *testing.T) {
	fp := printertest.NewPTYPrinter(t)
	ctx := context.Background()
	tr, err := printer.Open(ctx, fp.Target, printer.Options{Baud: 115200, WriteTimeout: time.Second, StatusTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	fp.SetStatus(printer.Status{Known: true, Online: false, PaperOut: true})
	st, err := tr.Status(ctx)
	if err != nil || !st.PaperOut || st.Online {
		t.Fatalf("serial status = %+v, %v; want paper out", st, err)
	}
	job := must(printer.Layout{Profile: printer.Profile{Paper: 80}, QR: true}.Receipt(saleReceipt()))
	if _, err := tr.Write(job); err != nil {
		t.Fatal(err)
	}
	got := fp.WaitPrinted(t, 5*time.Second, func(b []byte) bool { return len(b) >= len(job) })
	if !bytes.Equal(got, job) {
		t.Errorf("pty printer got %d bytes, want the %d of the job", len(got), len(job))
	}
}

// TestTransport_SerialStall: a serial printer that stops reading (flow
// control, jam): the write times out; closing the master (unplug) frees
// the stuck write.
func TestTransport_SerialStall(t *testing.T) {
	fp := printertest.NewPTYPrinter(t)
	fp.StallAfter(100)
	tr, err := printer.Open(context.Background(), fp.Target, printer.Options{WriteTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	_, err = tr.Write(bigJob(256 << 10))
	if !errors.Is(err, printer.ErrWriteTimeout) {
		t.Fatalf("write to a stalled pty: %v, want ErrWriteTimeout", err)
	}
}

// TestTransport_LP drives the /dev/usb/lp* transport against a pty slave
// (a pollable character device like usblp): writes arrive, a stall times
// out, and the status is unknown.
func TestTransport_LP(t *testing.T) {
	fp := printertest.NewPTYPrinter(t)
	tr, err := printer.Open(context.Background(), printer.Target{Kind: "lp", Addr: fp.Target.Addr},
		printer.Options{WriteTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if st, err := tr.Status(context.Background()); err != nil || st.Known {
		t.Errorf("lp status = %v, %v; want unknown", st, err)
	}
	if _, err := tr.Write([]byte("hello lp\n")); err != nil {
		t.Fatal(err)
	}
	fp.WaitPrinted(t, 5*time.Second, func(b []byte) bool { return bytes.Contains(b, []byte("hello lp")) })
	fp.StallAfter(0)
	if _, err := tr.Write(bigJob(256 << 10)); !errors.Is(err, printer.ErrWriteTimeout) {
		t.Errorf("write to a stalled lp: %v, want ErrWriteTimeout", err)
	}
}

// bigJob is n bytes of printable lines (a long report).
func bigJob(n int) []byte {
	line := []byte(strings.Repeat("0123456789", 3) + "\n")
	return bytes.Repeat(line, n/len(line)+1)[:n]
}
