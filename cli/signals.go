package cli

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"posterm/pos"
)

// Signals: the one signal-aware context (env.interruptContext) and the
// Ctrl-C handling of a waiting charge (pay, precreate).

// notifyInterrupts delivers the signals a waiting command reacts to:
// SIGINT (Ctrl-C) and SIGTERM. It is the process's env.Interrupts.
func notifyInterrupts() (<-chan os.Signal, func()) {
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	return ch, func() { signal.Stop(ch) }
}

// interruptContext is the one way a command gets a signal-aware context:
// it ends at the first Ctrl-C or SIGTERM, or when the returned func is
// called (always call it).
func (e *env) interruptContext() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sig, stopSig := e.Interrupts()
	go func() {
		select {
		case <-sig:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, func() { cancel(); stopSig() }
}

// interruptWatch turns signals into the register's actions: the first
// Ctrl-C aborts the charge (abort = cancel), as soon as its code is known;
// a second Ctrl-C or a SIGTERM ends the command's context, which leaves
// the charge unsettled for the reconciler.
type interruptWatch struct {
	codes    chan pos.ChargeCode
	quit     chan struct{}
	stopped  chan struct{}
	once     sync.Once
	mu       sync.Mutex
	wasAbort bool
}

func watchInterrupts(e *env, cancel context.CancelFunc, abort func(pos.ChargeCode) error, con *console) *interruptWatch {
	w := &interruptWatch{codes: make(chan pos.ChargeCode, 4), quit: make(chan struct{}), stopped: make(chan struct{})}
	sig, stopSig := e.Interrupts()
	go func() {
		defer close(w.stopped)
		defer stopSig()
		var code pos.ChargeCode
		var retry <-chan time.Time
		tryAbort := func() {
			retry = nil
			if code == "" {
				return
			}
			if err := abort(code); errors.Is(err, pos.ErrNotInFlight) {
				// Between two calls of one charge (precreate → await):
				// try again until the next one is running.
				retry = time.After(20 * time.Millisecond)
			}
		}
		for {
			select {
			case <-w.quit:
				return
			case c := <-w.codes:
				code = c
				if w.aborted() {
					tryAbort()
				}
			case <-retry:
				tryAbort()
			case s := <-sig:
				if s == syscall.SIGTERM || w.aborted() {
					con.say("stopping without waiting: the charge is left to the reconciler ('posterm reconcile')")
					cancel()
					continue
				}
				w.mu.Lock()
				w.wasAbort = true
				w.mu.Unlock()
				con.say("cancelling the charge… (Ctrl-C again: stop waiting, leave it to the reconciler)")
				tryAbort()
			}
		}
	}()
	return w
}

// charge tells the watch which charge a Ctrl-C aborts.
func (w *interruptWatch) charge(code pos.ChargeCode) {
	select {
	case w.codes <- code:
	default:
	}
}

// aborted reports whether Ctrl-C was pressed.
func (w *interruptWatch) aborted() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.wasAbort
}

// stop ends the watch and restores the default signal handling.
func (w *interruptWatch) stop() {
	w.once.Do(func() { close(w.quit) })
	<-w.stopped
}
