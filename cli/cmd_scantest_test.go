package cli

import (
	"bytes"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"posterm/device"
	"posterm/device/devicetest"
)

// scanTestOutput is a bytes.Buffer safe to read while scan-test writes.
type scanTestOutput struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *scanTestOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *scanTestOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}

// waitOutput waits until out contains want n times (or fails after 5 s).
func waitOutput(t *testing.T, out *scanTestOutput, want string, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(out.String(), want) < n {
		if time.Now().After(deadline) {
			t.Fatalf("output has %q %d times, want %d; output:\n%s", want, strings.Count(out.String(), want), n, out)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// startScanTest runs scan-test with args in the background and returns
// its output and a channel with its exit code.
func startScanTest(t *testing.T, args ...string) (*scanTestOutput, *scanTestOutput, chan int) {
	t.Helper()
	return startScanTestEnv(t, func(*env) {}, args...)
}

// startScanTestEnv is startScanTest in the process's env changed by adjust.
func startScanTestEnv(t *testing.T, adjust func(*env), args ...string) (*scanTestOutput, *scanTestOutput, chan int) {
	t.Helper()
	var stdout, stderr scanTestOutput
	e := processEnv(&stdout, &stderr)
	adjust(e)
	done := make(chan int, 1)
	go func() { done <- runScanTest(e, args) }()
	return &stdout, &stderr, done
}

func waitExit(t *testing.T, done chan int, stdout, stderr *scanTestOutput) int {
	t.Helper()
	select {
	case code := <-done:
		return code
	case <-time.After(5 * time.Second):
		t.Fatalf("scan-test did not stop; stdout:\n%s\nstderr:\n%s", stdout, stderr)
		return -1
	}
}

func TestScanTest_PrintsScans(t *testing.T) {
	p := devicetest.NewPTY(t)
	stdout, stderr, done := startScanTest(t, "--port", p.Path, "--count", "4", "--reconnect", "50ms", "--prefix", `\x02`)
	waitOutput(t, stdout, "connected", 1)
	p.Write([]byte("\x02281234567890123456\r\n"))
	p.Scan("6901234567892")
	p.Scan("https://qr.alipay.com/bax01234")
	p.Scan("181234567890123456")
	if code := waitExit(t, done, stdout, stderr); code != exitDone {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
	}
	out := stdout.String()
	for _, want := range []string{
		"2812**********3456  len 18  alipay",
		"*****7892  len 13  refused product_ean13: This is a product barcode.",
		"len 30  refused not_digits:",
		"1812**********3456  len 18  unknown unrecognised:",
		"scan-test: 4 scan(s)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{"281234567890123456", "6901234567892", "qr.alipay.com"} {
		if strings.Contains(out, secret) {
			t.Errorf("output shows the whole code %q:\n%s", secret, out)
		}
	}
}

func TestScanTest_UnplugReplug(t *testing.T) {
	p := devicetest.NewPTY(t)
	stdout, stderr, done := startScanTest(t, "--port", p.Path, "--count", "1", "--reconnect", "50ms", "--lang", "zh-CN")
	waitOutput(t, stdout, "connected ", 1)
	p.Unplug()
	waitOutput(t, stdout, "disconnected", 1)
	p.Replug()
	waitOutput(t, stdout, "connected ", 2)
	p.Scan("96385074")
	if code := waitExit(t, done, stdout, stderr); code != exitDone {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
	}
	if out := stdout.String(); !strings.Contains(out, "refused product_ean8: 这是商品条码") {
		t.Errorf("output lacks the Chinese reason:\n%s", out)
	}
}

func TestScanTest_CtrlC(t *testing.T) {
	p := devicetest.NewPTY(t)
	stdout, stderr, done := startScanTest(t, "--port", p.Path)
	// The banner is printed after the signal handler is installed.
	waitOutput(t, stdout, "Ctrl-C to stop", 1)
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, done, stdout, stderr); code != exitDone {
		t.Fatalf("exit %d after SIGINT, want 0", code)
	}
}

func TestScanTest_StopsOnInterrupt(t *testing.T) {
	p := devicetest.NewPTY(t)
	sig := make(chan os.Signal, 1)
	stdout, stderr, done := startScanTestEnv(t, func(e *env) {
		e.Interrupts = func() (<-chan os.Signal, func()) { return sig, func() {} }
	}, "--port", p.Path)
	waitOutput(t, stdout, "connected ", 1)
	sig <- syscall.SIGTERM
	if code := waitExit(t, done, stdout, stderr); code != exitDone {
		t.Fatalf("exit %d, want 0", code)
	}
}

func TestScanTest_BadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--port", "/dev/ttyACM0", "--baud", "-5"}, "baud:"},
		{[]string{"--port", "/dev/ttyACM0", "--terminator", "ETX"}, "terminator"},
		{[]string{"--port", "/dev/ttyACM0", "--parity", "x", "--stop-bits", "3"}, "stop_bits:"},
		{[]string{"--port", "/dev/ttyACM0", "--prefix", `\q`}, "--prefix"},
		{[]string{"--nope"}, "flag provided but not defined"},
		{[]string{"extra"}, "unexpected argument"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		if code := runScanTest(processEnv(&stdout, &stderr), tt.args); code != exitLocal {
			t.Errorf("%q: exit %d, want %d", tt.args, code, exitLocal)
		}
		if !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%q: stderr %q lacks %q", tt.args, stderr.String(), tt.want)
		}
	}
}

func TestScanTest_PortChoice(t *testing.T) {
	var stdout, stderr bytes.Buffer
	e := processEnv(&stdout, &stderr)
	e.ListPorts = func() ([]device.PortInfo, error) { return nil, nil }
	if code := runScanTest(e, nil); code != exitLocal || !strings.Contains(stderr.String(), "no serial port found") {
		t.Errorf("no ports: exit %d, stderr %q", code, stderr.String())
	}

	e.ListPorts = func() ([]device.PortInfo, error) {
		return []device.PortInfo{
			{Path: "/dev/ttyACM0", Device: "/dev/ttyACM0"},
			{Path: "/dev/ttyUSB0", Device: "/dev/ttyUSB0"},
		}, nil
	}
	stderr.Reset()
	if code := runScanTest(e, nil); code != exitLocal || !strings.Contains(stderr.String(), "2 ports found") {
		t.Errorf("two ports: exit %d, stderr %q", code, stderr.String())
	}

	// One device under two names: its by-id name is chosen.
	p := devicetest.NewPTY(t)
	out, errOut, done := startScanTestEnv(t, func(e *env) {
		e.ListPorts = func() ([]device.PortInfo, error) {
			return []device.PortInfo{
				{Path: p.Path, Device: p.Device(), ByID: p.Path},
				{Path: p.Device(), Device: p.Device(), ByID: p.Path},
			}, nil
		}
	}, "--count", "1")
	waitOutput(t, out, "connected ", 1)
	p.Scan("134567890123456789")
	if code := waitExit(t, done, out, errOut); code != exitDone {
		t.Fatalf("exit %d; stderr %s", code, errOut)
	}
	if !strings.Contains(out.String(), "using the only port found, "+p.Path) || !strings.Contains(out.String(), "wechat") {
		t.Errorf("output:\n%s", out)
	}
}

func TestScanTest_UnescapeFlag(t *testing.T) {
	for in, want := range map[string]string{`""`: "", `\x02`: "\x02", `"\x03"`: "\x03", "]Q1": "]Q1", `\t`: "\t"} {
		if got, err := unescapeFlag(in); err != nil || got != want {
			t.Errorf("unescapeFlag(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
