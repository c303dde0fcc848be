package cli

import (
	"bytes"
	"os"
	"strings"
	"syscall"
	"testing"
)

// fakeSignals is an env.Interrupts whose "signals" the test sends on the
// returned channel; unsubscribed reports whether the command let go.
func fakeSignals() (func() (<-chan os.Signal, func()), chan os.Signal, *bool) {
	ch := make(chan os.Signal, 1)
	unsubscribed := new(bool)
	return func() (<-chan os.Signal, func()) { return ch, func() { *unsubscribed = true } }, ch, unsubscribed
}

// TestEnv_InterruptContext: the context ends at a signal or at stop, and
// stop unsubscribes.
func TestEnv_InterruptContext(t *testing.T) {
	tests := []struct {
		name   string
		signal os.Signal // nil: stop alone
	}{
		{"SIGINT", os.Interrupt},
		{"SIGTERM", syscall.SIGTERM},
		{"stop", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			interrupts, sig, unsubscribed := fakeSignals()
			e := processEnv(&bytes.Buffer{}, &bytes.Buffer{})
			e.Interrupts = interrupts
			ctx, stop := e.interruptContext()
			if ctx.Err() != nil {
				t.Fatal("the context ended before any signal")
			}
			if tt.signal != nil {
				sig <- tt.signal
				<-ctx.Done()
				if *unsubscribed {
					t.Error("unsubscribed before stop")
				}
			}
			stop()
			<-ctx.Done()
			if !*unsubscribed {
				t.Error("stop did not unsubscribe")
			}
		})
	}
}

// TestSandbox_StopsOnInterrupt: posterm sandbox serves until a signal of
// its env.
func TestSandbox_StopsOnInterrupt(t *testing.T) {
	interrupts, sig, unsubscribed := fakeSignals()
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	e := processEnv(stdout, stderr)
	e.Interrupts = interrupts
	done := make(chan int, 1)
	go func() { done <- runWith(e, []string{"sandbox", "--listen", "127.0.0.1:0"}) }()
	waitFor(t, stdout, "Ctrl-C stops it.")
	sig <- os.Interrupt
	if code := waitDone(t, done, stdout, stderr); code != exitDone {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.HasSuffix(stdout.String(), "stopping\n") || !*unsubscribed {
		t.Errorf("stdout %q, unsubscribed %v", stdout, *unsubscribed)
	}
}
