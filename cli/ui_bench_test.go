package cli

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// Benchmarks of the register as a cashier meets it: the real binary on a
// real terminal. Each reports its measure against a baseline taken in the
// same run on the same machine, so the numbers compare across machines;
// none asserts a time. Run with `make bench` (or go test -run '^$' -bench
// E2E .). They need the binary (built once per process); the keystroke
// benchmark needs tmux.

// BenchmarkE2E_StartupToLogin: from exec of `posterm register` on an 80x25
// pty to the first frame showing the login screen (the journal opened and
// migrated, the gateway client and the spooler built, Bubble Tea's first
// render). Baseline: `posterm version` on the same pty, until its output
// — the same binary's cold start (runtime init, every package's init)
// with none of the register's work. Reports startup/version.
func BenchmarkE2E_StartupToLogin(b *testing.B) {
	w := newE2EWorld(b, e2eOptions{Lang: "en"})
	var register, version time.Duration
	b.ResetTimer()
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		p := startPTY(b, w.bin, "version")
		p.waitOutput(b, "posterm ", 0)
		version += time.Since(start)
		p.wait(b)

		b.StartTimer()
		start = time.Now()
		p = startPTY(b, w.bin, "register", "--config", w.config)
		p.waitOutput(b, "Cashier sign-in", 0)
		register += time.Since(start)
		b.StopTimer()
		p.quit(b)
	}
	b.ReportMetric(float64(version.Nanoseconds())/float64(b.N), "version-ns/op")
	b.ReportMetric(float64(register)/float64(version), "startup/version")
}

// BenchmarkE2E_KeystrokeToFrame: one key sent to the register in tmux
// (send-keys) until capture-pane shows the frame it caused. Baseline: the
// round trip of a tmux command that does nothing (display -p), which is
// what each send and each poll costs; reports key/roundtrip.
//
//   - sale_digit: a digit on the sale screen, then Backspace, until the
//     amount changes. Keys there pass the keyboard wedge, which shows them
//     at once and takes a scan's digits back only when its Enter comes
//     (ui/wedge.go): no key waits for it.
//   - history_filter: → on History (no detector), until the next state
//     filter is shown: the screen's own cost of a key.
func BenchmarkE2E_KeystrokeToFrame(b *testing.B) {
	w := newE2EWorld(b, e2eOptions{Lang: "en"})
	term := w.startRegister(b)
	term.login("cashier01", "1234")
	roundTrip := func() time.Duration {
		const n = 50
		start := time.Now()
		for range n {
			if _, err := term.run("display", "-p", "-t", "e2e", "#{pane_id}"); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start) / n
	}
	// The body with its colours: a key may move only a highlight.
	coloured := func() string {
		s, err := term.run("capture-pane", "-p", "-e", "-t", "e2e")
		if err != nil {
			b.Fatal(err)
		}
		return body(s)
	}
	measure := func(b *testing.B, keys []string) {
		var keyed time.Duration
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			before := coloured()
			k := keys[i%len(keys)]
			start := time.Now()
			if k == "1" {
				term.text(k)
			} else {
				term.keys(k)
			}
			deadline := time.Now().Add(e2eDeadline)
			for coloured() == before {
				if time.Now().After(deadline) {
					b.Fatalf("no frame after the key %s", k)
				}
			}
			keyed += time.Since(start)
		}
		b.StopTimer()
		rt := roundTrip()
		b.ReportMetric(float64(rt.Nanoseconds()), "tmux-roundtrip-ns")
		b.ReportMetric(float64(keyed)/float64(b.N)/float64(rt), "key/roundtrip")
	}
	b.Run("sale_digit", func(b *testing.B) { measure(b, []string{"1", "BSpace"}) })
	term.keys("F5")
	term.waitText("Today")
	b.Run("history_filter", func(b *testing.B) { measure(b, []string{"Right"}) })
}

// BenchmarkE2E_MemoryAfter1000Sales: the register's resident memory
// (VmRSS of its process, /proc/PID/status) after 1,000 sales, each keyed
// on its 80x25 pty as a cashier does: an amount, F2, a keyboard-wedge scan
// of an Alipay code in one write, PAID, Enter — the journal, the print
// spooler (file printer) and the screen all doing their real work. It
// drives the binary rather than the ui model in process because the
// memory that matters is the register's own, and that is all the binary's
// VmRSS counts (not the test harness, the race detector's shadow memory
// or a fake journal); a pty rather than tmux keeps the 1,000 sales to
// about a minute. Reports RSS-MB (MiB) after the sales, RSS-start-MB after
// sign-in, and growth-kB/sale.
func BenchmarkE2E_MemoryAfter1000Sales(b *testing.B) {
	sales := 1000
	if s := os.Getenv("POSTERM_BENCH_SALES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			b.Fatalf("POSTERM_BENCH_SALES=%q", s)
		}
		sales = n
	}
	for i := 0; i < b.N; i++ {
		w := newE2EWorld(b, e2eOptions{Scale: 0.001, Lang: "en"})
		p := startPTY(b, w.bin, "register", "--config", w.config)
		p.waitOutput(b, "Cashier sign-in", 0)
		at := p.mark()
		p.write(b, "cashier01\r")
		p.write(b, "1234\r")
		p.waitOutput(b, "Amount due", at)
		startKB := vmKB(b, p.cmd.Process.Pid, "VmRSS")
		for s := 0; s < sales; s++ {
			at := p.mark()
			p.write(b, "1")
			p.write(b, "\x1bOQ") // F2: the held "1" is delivered first
			p.waitOutput(b, "Scan the customer", at)
			at = p.mark()
			p.write(b, walletCode("28", "00")+"\r") // one write: a wedge scan
			p.waitOutput(b, "PAID", at)
			at = p.mark()
			p.write(b, "\r")
			p.waitOutput(b, "Amount due", at)
		}
		endKB := vmKB(b, p.cmd.Process.Pid, "VmRSS")
		hwmKB := vmKB(b, p.cmd.Process.Pid, "VmHWM")
		p.quit(b)
		if paid := len(w.rows(b)); paid != sales {
			b.Fatalf("the journal holds %d charges, want %d", paid, sales)
		}
		b.ReportMetric(float64(endKB)/1024, "RSS-MB")
		b.ReportMetric(float64(hwmKB)/1024, "peak-RSS-MB")
		b.ReportMetric(float64(startKB)/1024, "RSS-start-MB")
		b.ReportMetric(float64(endKB-startKB)/float64(sales), "growth-kB/sale")
	}
}

// vmKB reads a Vm… line (in kB) of /proc/PID/status.
func vmKB(tb testing.TB, pid int, field string) int64 {
	tb.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			v, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				tb.Fatalf("%s: %v", sc.Text(), err)
			}
			return v
		}
	}
	tb.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// ptyProc is a program on an 80x25 pty whose output is collected.
type ptyProc struct {
	cmd  *exec.Cmd
	tty  *os.File
	mu   sync.Mutex
	out  bytes.Buffer
	more chan struct{} // signalled after every read
	done chan struct{} // closed when the output ends
}

func startPTY(tb testing.TB, bin string, args ...string) *ptyProc {
	tb.Helper()
	p := &ptyProc{cmd: exec.Command(bin, args...), more: make(chan struct{}, 1), done: make(chan struct{})}
	p.cmd.Env = append(terminalEnv(), "TERM=xterm", "LANG=C.UTF-8")
	tty, err := pty.StartWithSize(p.cmd, &pty.Winsize{Rows: 25, Cols: 80})
	if err != nil {
		tb.Fatal(err)
	}
	p.tty = tty
	go func() {
		defer close(p.done)
		buf := make([]byte, 32<<10)
		for {
			n, err := tty.Read(buf)
			if n > 0 {
				answerQueries(tty, buf[:n])
				p.mu.Lock()
				p.out.Write(buf[:n])
				p.mu.Unlock()
				select {
				case p.more <- struct{}{}:
				default:
				}
			}
			if err != nil {
				return
			}
		}
	}()
	tb.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
		tty.Close()
	})
	return p
}

// answerQueries answers what a terminal is asked at start-up, as xterm
// does: the background colour (OSC 11) and the cursor position (DSR).
// Bubble Tea v1 asks at init (tea_init.go, through termenv) and waits up
// to termenv's 5 s OSCTimeout for an answer, which a bare pty never gives.
func answerQueries(tty *os.File, out []byte) {
	if bytes.Contains(out, []byte("\x1b]11;?")) {
		_, _ = tty.Write([]byte("\x1b]11;rgb:0000/0000/0000\x1b\\"))
	}
	if bytes.Contains(out, []byte("\x1b[6n")) {
		_, _ = tty.Write([]byte("\x1b[1;1R"))
	}
}

// mark is the length of the output so far: waitOutput looks past it.
func (p *ptyProc) mark() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Len()
}

// waitOutput waits until the output after offset from contains s.
func (p *ptyProc) waitOutput(tb testing.TB, s string, from int) {
	tb.Helper()
	timeout := time.NewTimer(e2eDeadline)
	defer timeout.Stop()
	for {
		p.mu.Lock()
		found := bytes.Contains(p.out.Bytes()[from:], []byte(s))
		p.mu.Unlock()
		if found {
			return
		}
		select {
		case <-p.more:
		case <-p.done:
			p.mu.Lock()
			found := bytes.Contains(p.out.Bytes()[from:], []byte(s))
			p.mu.Unlock()
			if !found {
				tb.Fatalf("the output ended without %q:\n%q", s, p.tail())
			}
			return
		case <-timeout.C:
			tb.Fatalf("no %q in the output after %s:\n%q", s, e2eDeadline, p.tail())
		}
	}
}

func (p *ptyProc) tail() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.out.Bytes()
	return string(b[max(len(b)-2000, 0):])
}

func (p *ptyProc) write(tb testing.TB, s string) {
	tb.Helper()
	if _, err := p.tty.Write([]byte(s)); err != nil {
		tb.Fatal(err)
	}
}

// wait waits for the program to end by itself.
func (p *ptyProc) wait(tb testing.TB) {
	tb.Helper()
	<-p.done
	_ = p.cmd.Wait()
}

// quit ends the register as a cashier does (Ctrl-C) and waits for it.
func (p *ptyProc) quit(tb testing.TB) {
	tb.Helper()
	p.write(tb, "\x03")
	select {
	case <-p.done:
	case <-time.After(e2eDeadline):
		_ = p.cmd.Process.Kill()
	}
	_ = p.cmd.Wait()
}
