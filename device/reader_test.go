package device_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"posterm/device"
	"posterm/device/devicetest"
)

// within is the bound on noticing an unplug or a replug.
const within = 2 * time.Second

// startReader starts a Reader on port with a fast reconnect interval; it
// is closed at cleanup.
func startReader(t testing.TB, cfg device.SerialConfig) *device.Reader {
	t.Helper()
	if cfg.ReconnectInterval == 0 {
		cfg.ReconnectInterval = 50 * time.Millisecond
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	r, err := device.NewReader(context.Background(), cfg, log)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// next returns the next event, failing unless it is a T and arrives
// within d.
func next[T device.Event](t testing.TB, r *device.Reader, d time.Duration) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	ev, err := r.Read(ctx)
	if err != nil {
		var want T
		t.Fatalf("waiting %v for %T: %v", d, want, err)
	}
	got, ok := ev.(T)
	if !ok {
		var want T
		t.Fatalf("got %T %+v, want %T", ev, ev, want)
	}
	return got
}

// quiet fails if an event arrives within d.
func quiet(t testing.TB, r *device.Reader, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if ev, err := r.Read(ctx); err == nil {
		t.Fatalf("unexpected event %T %+v", ev, ev)
	}
}

func wantScan(t testing.TB, r *device.Reader, code string) {
	t.Helper()
	s := next[device.Scan](t, r, within)
	if s.Code != code {
		t.Fatalf("scan %q, want %q", s.Code, code)
	}
}

func TestReader_Terminators(t *testing.T) {
	codes := []string{"281234567890123456", "134567890123456789"}
	tests := []struct {
		term device.Terminator
		end  string
	}{
		{device.TerminatorCR, "\r"},
		{device.TerminatorLF, "\n"},
		{device.TerminatorCRLF, "\r\n"},
		{device.TerminatorTab, "\t"},
		{device.TerminatorAuto, "\r"},
		{device.TerminatorAuto, "\r\n"},
		{device.TerminatorAuto, "\t"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s_%q", tt.term, tt.end), func(t *testing.T) {
			t.Parallel()
			p := devicetest.NewPTY(t)
			r := startReader(t, device.SerialConfig{Port: p.Path, Terminator: tt.term})
			c := next[device.Connected](t, r, within)
			if c.Device != p.Device() || c.Port != p.Path {
				t.Errorf("Connected %+v, want Port %s Device %s", c, p.Path, p.Device())
			}
			p.Write([]byte(codes[0] + tt.end + codes[1] + tt.end))
			wantScan(t, r, codes[0])
			wantScan(t, r, codes[1])
			quiet(t, r, 100*time.Millisecond)
		})
	}
}

func TestReader_SplitWrites(t *testing.T) {
	p := devicetest.NewPTY(t)
	r := startReader(t, device.SerialConfig{Port: p.Path, Terminator: device.TerminatorCRLF})
	next[device.Connected](t, r, within)
	for _, part := range []string{"2812", "345678", "90123456\r", "\n13", "4567890123456789\r", "\n"} {
		p.Write([]byte(part))
		time.Sleep(15 * time.Millisecond) // let each part arrive as its own read
	}
	wantScan(t, r, "281234567890123456")
	wantScan(t, r, "134567890123456789")
	quiet(t, r, 100*time.Millisecond)
}

func TestReader_PrefixSuffix(t *testing.T) {
	p := devicetest.NewPTY(t)
	r := startReader(t, device.SerialConfig{Port: p.Path, Prefix: "\x02", Suffix: "\x03"})
	next[device.Connected](t, r, within)
	p.Write([]byte("\x02281234567890123456\x03\r"))
	wantScan(t, r, "281234567890123456")
}

// TestReader_CodesAreInert: an unconfigured prefix and an escape sequence
// never reach the UI; the Scan says control characters were dropped.
func TestReader_CodesAreInert(t *testing.T) {
	p := devicetest.NewPTY(t)
	r := startReader(t, device.SerialConfig{Port: p.Path})
	next[device.Connected](t, r, within)
	p.Write([]byte("\x02\x1b[2J281234567890123456\x03\r"))
	s := next[device.Scan](t, r, within)
	if s.Code != "[2J281234567890123456" || !s.Cleaned {
		t.Errorf("got %q (Cleaned %v), want %q, Cleaned", s.Code, s.Cleaned, "[2J281234567890123456")
	}
	p.Scan("281234567890123456")
	if s := next[device.Scan](t, r, within); s.Code != "281234567890123456" || s.Cleaned {
		t.Errorf("got %q (Cleaned %v), want a clean code", s.Code, s.Cleaned)
	}
}

func TestReader_UnplugReplug(t *testing.T) {
	p := devicetest.NewPTY(t)
	r := startReader(t, device.SerialConfig{Port: p.Path})
	first := next[device.Connected](t, r, within)
	p.Scan("281234567890123456")
	wantScan(t, r, "281234567890123456")

	p.Write([]byte("2899")) // half a code when the cable is pulled
	time.Sleep(20 * time.Millisecond)
	p.Unplug()
	d := next[device.Disconnected](t, r, within)
	if d.Err == nil || d.Port != p.Path {
		t.Errorf("Disconnected %+v, want an error and Port %s", d, p.Path)
	}
	if r.Connected() {
		t.Error("Connected() = true after Disconnected")
	}
	// While absent, retries (ENOENT) report nothing more.
	quiet(t, r, 300*time.Millisecond)

	p.Replug()
	c := next[device.Connected](t, r, within)
	if c.Device != p.Device() {
		// The kernel may reuse the pty number, so only the current one is known.
		t.Errorf("reconnected to %s, want the new device %s (was %s)", c.Device, p.Device(), first.Device)
	}
	p.Scan("134567890123456789")
	wantScan(t, r, "134567890123456789") // not "2899134567890123456789"
	quiet(t, r, 200*time.Millisecond)
}

func TestReader_ReplugTwice(t *testing.T) {
	p := devicetest.NewPTY(t)
	r := startReader(t, device.SerialConfig{Port: p.Path})
	next[device.Connected](t, r, within)
	for i := range 3 {
		code := fmt.Sprintf("28%016d", i)
		p.Scan(code)
		wantScan(t, r, code)
		p.Unplug()
		next[device.Disconnected](t, r, within)
		p.Replug()
		next[device.Connected](t, r, within)
	}
}

func TestReader_AbsentAtStart(t *testing.T) {
	p := devicetest.NewPTY(t)
	p.Unplug()
	r := startReader(t, device.SerialConfig{Port: p.Path})
	d := next[device.Disconnected](t, r, within)
	if !errors.Is(d.Err, fs.ErrNotExist) {
		t.Errorf("Disconnected.Err = %v, want ENOENT", d.Err)
	}
	quiet(t, r, 200*time.Millisecond)
	p.Replug()
	next[device.Connected](t, r, within)
	p.Scan("6223456789012345678")
	wantScan(t, r, "6223456789012345678")
}

func TestReader_PlainPathUnplug(t *testing.T) {
	p := devicetest.NewPTY(t)
	// The pty itself, not the symlink: like /dev/ttyACM0 configured directly.
	r := startReader(t, device.SerialConfig{Port: p.Device()})
	next[device.Connected](t, r, within)
	p.Scan("281234567890123456")
	wantScan(t, r, "281234567890123456")
	start := time.Now()
	p.Unplug()
	next[device.Disconnected](t, r, within)
	t.Logf("disconnect noticed after %v", time.Since(start))
}

func TestReader_RenumberedByID(t *testing.T) {
	p := devicetest.NewPTY(t)
	r := startReader(t, device.SerialConfig{Port: p.Path})
	next[device.Connected](t, r, within)
	p.Move() // the by-id link now names another device; the old fd stays open
	d := next[device.Disconnected](t, r, within)
	if !errors.Is(d.Err, device.ErrPortChanged) {
		t.Errorf("Disconnected.Err = %v, want ErrPortChanged", d.Err)
	}
	c := next[device.Connected](t, r, within)
	if c.Device != p.Device() {
		t.Errorf("reconnected to %s, want %s", c.Device, p.Device())
	}
	p.Scan("134567890123456789")
	wantScan(t, r, "134567890123456789")
	quiet(t, r, 100*time.Millisecond)
}

func TestReader_ManyCodesNoneLost(t *testing.T) {
	p := devicetest.NewPTY(t)
	r := startReader(t, device.SerialConfig{Port: p.Path})
	next[device.Connected](t, r, within)
	const n = 300 // more than the event buffer: the reader must wait, not drop
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "28%016d\r\n", i)
	}
	go p.Write([]byte(b.String()))
	time.Sleep(50 * time.Millisecond) // let the buffer fill up
	for i := range n {
		wantScan(t, r, fmt.Sprintf("28%016d", i))
	}
	quiet(t, r, 100*time.Millisecond)
}

func TestReader_Close(t *testing.T) {
	p := devicetest.NewPTY(t)
	r := startReader(t, device.SerialConfig{Port: p.Path})
	next[device.Connected](t, r, within)

	errc := make(chan error, 1)
	go func() {
		_, err := r.Read(context.Background())
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	r.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, device.ErrClosed) {
			t.Errorf("Read after Close: %v, want ErrClosed", err)
		}
	case <-time.After(within):
		t.Fatal("Read still blocked after Close")
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	// The port is free again: another reader can take it.
	r2 := startReader(t, device.SerialConfig{Port: p.Path})
	next[device.Connected](t, r2, within)
}

func TestReader_ContextCancel(t *testing.T) {
	p := devicetest.NewPTY(t)
	ctx, cancel := context.WithCancel(context.Background())
	r, err := device.NewReader(ctx, device.SerialConfig{Port: p.Path}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	next[device.Connected](t, r, within)
	cancel()
	select {
	case _, ok := <-r.Events():
		if ok {
			t.Fatal("event after cancel, want the channel closed")
		}
	case <-time.After(within):
		t.Fatal("events channel not closed after the context ended")
	}
}

func TestReader_ReadContext(t *testing.T) {
	p := devicetest.NewPTY(t)
	r := startReader(t, device.SerialConfig{Port: p.Path})
	next[device.Connected](t, r, within)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := r.Read(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Read with an idle port: %v, want DeadlineExceeded", err)
	}
}

func TestNewReader_InvalidConfig(t *testing.T) {
	cfg := device.SerialConfig{Baud: -1, DataBits: 9, Parity: "weird", StopBits: "3", Terminator: "ETX", ReconnectInterval: time.Hour}
	_, err := device.NewReader(context.Background(), cfg, nil)
	if err == nil {
		t.Fatal("NewReader accepted an invalid config")
	}
	for _, field := range []string{"port:", "baud:", "data_bits:", "parity:", "stop_bits:", "terminator", "reconnect_interval:"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("error %q does not name %s", err, field)
		}
	}
}

func TestSerialConfig_Validate(t *testing.T) {
	ok := []device.SerialConfig{
		{Port: "/dev/ttyACM0"},
		{Port: "/dev/ttyUSB0", Baud: 115200, Parity: "E", StopBits: "2", DataBits: 7, Terminator: "tab"},
		{Port: filepath.Join("/dev/serial/by-id", "usb-X"), Terminator: "crlf", Prefix: "\x02", Suffix: "\x03"},
	}
	for _, c := range ok {
		if err := c.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v, want nil", c, err)
		}
	}
	bad := []device.SerialConfig{
		{Port: "/dev/ttyACM0", Suffix: "\r"},
		{Port: "/dev/ttyACM0", Prefix: "\t"},
		{Port: "/dev/ttyACM0", MaxCodeLen: 2},
		{Port: "/dev/ttyACM0", ReconnectInterval: time.Millisecond},
	}
	for _, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", c)
		}
	}
	if got := (device.SerialConfig{Terminator: "cr"}).WithDefaults().Terminator; got != device.TerminatorCR {
		t.Errorf("WithDefaults normalised \"cr\" to %q, want CR", got)
	}
	d := device.DefaultSerialConfig()
	if d.Baud != 9600 || d.Terminator != device.TerminatorAuto || d.ReconnectInterval != 500*time.Millisecond {
		t.Errorf("DefaultSerialConfig() = %+v", d)
	}
}

func TestParseTerminator(t *testing.T) {
	for in, want := range map[string]device.Terminator{
		"": device.TerminatorAuto, "auto": device.TerminatorAuto, "cr": device.TerminatorCR, "\r": device.TerminatorCR,
		"LF": device.TerminatorLF, `\n`: device.TerminatorLF, "CRLF": device.TerminatorCRLF, "\r\n": device.TerminatorCRLF,
		"Tab": device.TerminatorTab, "\t": device.TerminatorTab,
	} {
		if got, err := device.ParseTerminator(in); err != nil || got != want {
			t.Errorf("ParseTerminator(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := device.ParseTerminator("ETX"); err == nil {
		t.Error("ParseTerminator(ETX) = nil error")
	}
}

func TestScan_StringMasks(t *testing.T) {
	s := device.Scan{Code: "281234567890123456", Port: "/dev/ttyACM0"}
	for _, out := range []string{s.String(), fmt.Sprint(s), s.LogValue().String()} {
		if strings.Contains(out, "1234567890") {
			t.Errorf("%q shows the whole code", out)
		}
	}
}
