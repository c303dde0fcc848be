package pos

import (
	"context"
	"math"
	"sync"
	"time"
)

// Limiter is a token bucket on a Clock: rate tokens per second, bursts of
// up to max(1, rate) tokens. A rate <= 0 never waits. Safe for concurrent use.
type Limiter struct {
	clock  Clock
	rate   float64
	burst  float64
	mu     sync.Mutex
	tokens float64
	last   time.Time
}

// NewLimiter returns a full bucket.
func NewLimiter(c Clock, ratePerSecond float64) *Limiter {
	b := math.Max(1, ratePerSecond)
	return &Limiter{clock: c, rate: ratePerSecond, burst: b, tokens: b, last: c.Now()}
}

// Wait takes one token, waiting for it if needed; ctx's error if ctx ends first.
func (l *Limiter) Wait(ctx context.Context) error {
	if l.rate <= 0 {
		return ctx.Err()
	}
	for {
		l.mu.Lock()
		now := l.clock.Now()
		if now.After(l.last) {
			l.tokens = math.Min(l.burst, l.tokens+now.Sub(l.last).Seconds()*l.rate)
			l.last = now
		}
		if l.tokens >= 1 {
			l.tokens--
			l.mu.Unlock()
			return ctx.Err()
		}
		wait := time.Duration((1 - l.tokens) / l.rate * float64(time.Second))
		l.mu.Unlock()
		if wait < time.Millisecond {
			wait = time.Millisecond
		}
		t := l.clock.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C():
		}
	}
}
