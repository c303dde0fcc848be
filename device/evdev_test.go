package device_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"posterm/device"
)

// usKeyOf is the inverse of the US layout for the characters scanners send:
// the key code and whether Shift is held.
var usKeyOf = func() map[rune]struct {
	code  uint16
	shift bool
} {
	m := map[rune]struct {
		code  uint16
		shift bool
	}{}
	rows := []struct {
		first uint16
		plain string
		shift string
	}{
		{2, "1234567890-=", "!@#$%^&*()_+"},
		{16, "qwertyuiop[]", "QWERTYUIOP{}"},
		{30, "asdfghjkl;'`", "ASDFGHJKL:\"~"},
		{44, "zxcvbnm,./", "ZXCVBNM<>?"},
	}
	for _, r := range rows {
		for i, c := range r.plain {
			m[c] = struct {
				code  uint16
				shift bool
			}{r.first + uint16(i), false}
		}
		for i, c := range r.shift {
			m[c] = struct {
				code  uint16
				shift bool
			}{r.first + uint16(i), true}
		}
	}
	m['\\'] = struct {
		code  uint16
		shift bool
	}{43, false}
	m['|'] = struct {
		code  uint16
		shift bool
	}{43, true}
	m[' '] = struct {
		code  uint16
		shift bool
	}{57, false}
	return m
}()

// record is what a USB HID scanner sends for code then Enter: for each
// character a key press and release, wrapped in Shift where needed, with
// the EV_MSC and EV_SYN records a real keyboard interleaves.
func record(t testing.TB, code string) []byte {
	t.Helper()
	const evSyn, evMsc, evKey = 0, 4, 1
	var b []byte
	key := func(c uint16, v int32) {
		b = device.EncodeKeyEvent(b, evMsc, 4, int32(0x70000+int32(c)))
		b = device.EncodeKeyEvent(b, evKey, c, v)
		b = device.EncodeKeyEvent(b, evSyn, 0, 0)
	}
	for _, r := range code {
		k, ok := usKeyOf[r]
		if !ok {
			t.Fatalf("no US key for %q", r)
		}
		if k.shift {
			key(42, 1)
		}
		key(k.code, 1)
		key(k.code, 0)
		if k.shift {
			key(42, 0)
		}
	}
	key(28, 1)
	key(28, 0)
	return b
}

// The code shapes the sandbox and the field produce (device/classify_test.go).
var evdevCodes = []string{
	"281234567890123456",                        // Alipay, sandbox
	"2512345678901234",                          // Alipay, 16 digits
	"301234567890123456789012",                  // Alipay, 24 digits
	"134567890123456789",                        // WeChat, sandbox
	"6223456789012345678",                       // UnionPay
	"6901234567892",                             // a product EAN-13 (refused later, but read)
	"HTTPS://QR.ALIPAY.COM/FKX07101ABCDEFG",     // an upper-case QR URL (Shift)
	"https://qr.alipay.com/bax03431xyz?a=1&b=2", // lower case and symbols
	`Mixed-Case_Code:{"x"|~}`,
}

func TestDecodeInputEvents_RecordedScans(t *testing.T) {
	for _, code := range evdevCodes {
		var d device.KeyDecoder
		got, n := device.DecodeInputEvents(&d, record(t, code), nil)
		if string(got) != code+"\r" {
			t.Errorf("decoded %q, want %q", got, code+"\r")
		}
		if n != len(record(t, code)) {
			t.Errorf("%q: consumed %d of %d bytes", code, n, len(record(t, code)))
		}
	}
}

func TestKeyDecoder_ShiftAndCaps(t *testing.T) {
	var d device.KeyDecoder
	type ev struct {
		code  uint16
		value int32
	}
	typed := func(evs ...ev) string {
		var out []byte
		for _, e := range evs {
			if b, ok := d.Key(e.code, e.value); ok {
				out = append(out, b)
			}
		}
		return string(out)
	}
	for _, c := range []struct {
		name string
		evs  []ev
		want string
	}{
		{"plain", []ev{{30, 1}, {30, 0}}, "a"},
		{"left shift", []ev{{42, 1}, {30, 1}, {30, 0}, {42, 0}, {30, 1}}, "Aa"},
		{"right shift", []ev{{54, 1}, {2, 1}, {54, 0}, {2, 1}}, "!1"},
		{"both shifts, one released", []ev{{42, 1}, {54, 1}, {42, 0}, {31, 1}, {54, 0}, {31, 1}}, "Ss"},
		{"auto-repeat types nothing", []ev{{32, 1}, {32, 2}, {32, 2}, {32, 0}}, "d"},
		{"caps lock letters only", []ev{{58, 1}, {58, 0}, {30, 1}, {2, 1}, {42, 1}, {30, 1}, {42, 0}, {58, 1}, {30, 1}}, "A1aa"},
		{"keypad digits and enter", []ev{{79, 1}, {82, 1}, {96, 1}}, "10\r"},
		{"unknown key", []ev{{200, 1}}, ""},
	} {
		d.Reset()
		if got := typed(c.evs...); got != c.want {
			t.Errorf("%s: typed %q, want %q", c.name, got, c.want)
		}
	}
}

func TestDecodeInputEvents_PartialRecord(t *testing.T) {
	b := record(t, "2512345678901234")
	var d device.KeyDecoder
	var all []byte
	// Feed in odd-sized pieces, keeping the unconsumed tail like the reader.
	var pending []byte
	for i := 0; i < len(b); i += 7 {
		pending = append(pending, b[i:min(i+7, len(b))]...)
		var n int
		all, n = device.DecodeInputEvents(&d, pending, all)
		pending = append([]byte(nil), pending[n:]...)
	}
	if string(all) != "2512345678901234\r" || len(pending) != 0 {
		t.Errorf("decoded %q with %d bytes left", all, len(pending))
	}
}

// fifoScanner is a scanner on a FIFO: the reader opens the path like an
// event device (the grab answers ENOTTY and is skipped); unplug removes
// the path and closes the write end (the reader sees end of input).
type fifoScanner struct {
	t    *testing.T
	path string
	w    *os.File
}

func newFIFOScanner(t *testing.T) *fifoScanner {
	f := &fifoScanner{t: t, path: filepath.Join(t.TempDir(), "usb-Scanner-event-kbd")}
	f.plug()
	t.Cleanup(func() {
		if f.w != nil {
			f.w.Close()
		}
	})
	return f
}

func (f *fifoScanner) plug() {
	f.t.Helper()
	if err := syscall.Mkfifo(f.path, 0o600); err != nil {
		f.t.Fatal(err)
	}
	// O_RDWR never blocks on a FIFO and keeps a writer, so the reader's
	// open does not block either.
	w, err := os.OpenFile(f.path, os.O_RDWR, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	f.w = w
}

func (f *fifoScanner) unplug() {
	f.t.Helper()
	os.Remove(f.path)
	f.w.Close()
	f.w = nil
}

func (f *fifoScanner) scan(code string) {
	f.t.Helper()
	if _, err := f.w.Write(record(f.t, code)); err != nil {
		f.t.Fatal(err)
	}
}

func startEvdev(t *testing.T, path string) *device.EvdevReader {
	t.Helper()
	r, err := device.NewEvdevReader(context.Background(), device.EvdevConfig{Path: path, ReconnectInterval: 20 * time.Millisecond},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func nextEvdev[T device.Event](t *testing.T, r *device.EvdevReader) T {
	t.Helper()
	select {
	case ev, ok := <-r.Events():
		got, isT := ev.(T)
		if !ok || !isT {
			var want T
			t.Fatalf("got %T %+v (open %v), want %T", ev, ev, ok, want)
		}
		return got
	case <-time.After(within):
		var want T
		t.Fatalf("no %T within %v", want, within)
	}
	panic("unreachable")
}

func TestEvdevReader_ScansUnplugReplug(t *testing.T) {
	sc := newFIFOScanner(t)
	r := startEvdev(t, sc.path)
	nextEvdev[device.Connected](t, r)
	for _, code := range evdevCodes {
		sc.scan(code)
		if s := nextEvdev[device.Scan](t, r); s.Code != code {
			t.Errorf("scan: got %q, want %q", s.Code, code)
		}
	}
	// Half a code, then unplug: the half is dropped, never glued to the next.
	half := record(t, "281234567890123456")
	sc.w.Write(half[:len(half)/2])
	sc.unplug()
	d := nextEvdev[device.Disconnected](t, r)
	if !errors.Is(d.Err, device.ErrPortGone) {
		t.Errorf("disconnect cause %v, want ErrPortGone", d.Err)
	}
	sc.plug()
	nextEvdev[device.Connected](t, r)
	sc.scan("134567890123456789")
	if s := nextEvdev[device.Scan](t, r); s.Code != "134567890123456789" {
		t.Errorf("after replug: got %q", s.Code)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-r.Events(); ok {
		t.Error("events channel open after Close")
	}
}

func TestEvdevReader_AbsentAtStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing-event-kbd")
	r := startEvdev(t, path)
	d := nextEvdev[device.Disconnected](t, r)
	if !errors.Is(d.Err, os.ErrNotExist) {
		t.Errorf("got %v, want not exist", d.Err)
	}
	if _, err := device.NewEvdevReader(context.Background(), device.EvdevConfig{}, nil); err == nil {
		t.Error("an empty path was accepted")
	}
}

func TestParseInputDevices(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "by-id"), 0o755)
	os.Symlink("../event5", filepath.Join(dir, "by-id", "usb-Honeywell_Imaging_Voyager-event-kbd"))
	proc := `I: Bus=0011 Vendor=0001 Product=0001 Version=ab41
N: Name="AT Translated Set 2 keyboard"
P: Phys=isa0060/serio0/input0
H: Handlers=sysrq kbd event0 leds
B: EV=120013

I: Bus=0003 Vendor=0c2e Product=0b61 Version=0111
N: Name="Honeywell Imaging & Mobility 1900"
H: Handlers=sysrq kbd leds event5
B: EV=120013

I: Bus=0003 Vendor=1a2c Product=2124 Version=0110
N: Name="USB Barcode Scanner"
H: Handlers=sysrq kbd event7 leds

I: Bus=0003 Vendor=046d Product=c077 Version=0111
N: Name="Logitech USB Optical Mouse"
H: Handlers=mouse0 event8
`
	devs, err := device.ParseInputDevices(strings.NewReader(proc), dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range devs {
		got = append(got, filepath.Base(d.Event)+":"+map[bool]string{true: "scanner", false: "keyboard"}[d.Scanner])
	}
	if want := "event5:scanner event7:scanner event0:keyboard"; strings.Join(got, " ") != want {
		t.Errorf("got %v, want %s", got, want)
	}
	if devs[0].Path != filepath.Join(dir, "by-id", "usb-Honeywell_Imaging_Voyager-event-kbd") || devs[0].VID != "0c2e" {
		t.Errorf("first: %+v", devs[0])
	}
}
