package postest

import (
	"sync"
	"time"

	"posterm/pos"
)

// Clock is a fake pos.Clock. Time moves only by Advance and Set — or, in auto
// mode, by every timer created: NewTimer(d) moves time forward by d at once
// and fires, so a single goroutine waiting out an 80 s bound finishes in
// microseconds with the clock showing the 80 s. Safe for concurrent use.
type Clock struct {
	mu     sync.Mutex
	cond   *sync.Cond
	now    time.Time
	auto   bool
	timers []*fakeTimer
}

var _ pos.Clock = (*Clock)(nil)

// NewClock returns a manual clock showing start.
func NewClock(start time.Time) *Clock {
	c := &Clock{now: start}
	c.cond = sync.NewCond(&c.mu)
	return c
}

// NewAutoClock returns a clock in auto mode showing start.
func NewAutoClock(start time.Time) *Clock {
	c := NewClock(start)
	c.auto = true
	return c
}

// SetAuto switches auto mode on or off.
func (c *Clock) SetAuto(on bool) {
	c.mu.Lock()
	c.auto = on
	c.mu.Unlock()
}

// Now implements pos.Clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After implements pos.Clock.
func (c *Clock) After(d time.Duration) <-chan time.Time { return c.NewTimer(d).C() }

// NewTimer implements pos.Clock.
func (c *Clock) NewTimer(d time.Duration) pos.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, ch: make(chan time.Time, 1), at: c.now.Add(d)}
	if d <= 0 {
		t.ch <- c.now
		t.fired = true
		return t
	}
	c.timers = append(c.timers, t)
	c.cond.Broadcast()
	if c.auto {
		c.advanceLocked(d)
	}
	return t
}

// Advance moves the clock forward by d and fires the timers that are due.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.advanceLocked(d)
}

func (c *Clock) advanceLocked(d time.Duration) {
	if d > 0 {
		c.now = c.now.Add(d)
	}
	keep := c.timers[:0]
	for _, t := range c.timers {
		if !t.at.After(c.now) {
			t.ch <- c.now
			t.fired = true
			continue
		}
		keep = append(keep, t)
	}
	c.timers = keep
	c.cond.Broadcast()
}

// Set puts the clock at t, forward or back (a clock step); due timers fire.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
	c.advanceLocked(0)
}

// Waiters returns how many timers are pending.
func (c *Clock) Waiters() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// BlockUntil waits (without sleeping: on a condition variable) until at
// least n timers are pending.
func (c *Clock) BlockUntil(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.timers) < n {
		c.cond.Wait()
	}
}

type fakeTimer struct {
	c     *Clock
	ch    chan time.Time
	at    time.Time
	fired bool
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.fired {
		return false
	}
	for i, x := range t.c.timers {
		if x == t {
			t.c.timers = append(t.c.timers[:i], t.c.timers[i+1:]...)
			t.c.cond.Broadcast()
			return true
		}
	}
	return false
}
