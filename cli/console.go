package cli

import (
	"fmt"
	"io"
	"sync"
)

// The console: progress lines of a waiting command (pay, precreate,
// reconcile), written to stderr without blocking the checkout.

// console writes progress lines to stderr from one goroutine, so that the
// checkout's progress callback never blocks: when the writer falls behind,
// lines are dropped.
type console struct {
	ch     chan string
	done   chan struct{}
	mu     sync.Mutex
	closed bool
}

func newConsole(w io.Writer) *console {
	c := &console{ch: make(chan string, 64), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for s := range c.ch {
			fmt.Fprintln(w, s)
		}
	}()
	return c
}

// say queues a line; it never blocks. Lines said after close are dropped.
func (c *console) say(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	select {
	case c.ch <- s:
	default:
	}
}

// close writes what is queued and stops the console. Safe to call again.
func (c *console) close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.ch)
	}
	c.mu.Unlock()
	<-c.done
}
