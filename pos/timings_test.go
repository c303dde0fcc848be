package pos_test

import (
	"context"
	"testing"
	"time"

	"posterm/pos"
	"posterm/pos/postest"
)

func TestTimings(t *testing.T) {
	d := pos.DefaultTimings()
	if d.PayTimeout <= d.GiveUpAfter || d.GiveUpAfter != 80*time.Second || d.QueryInterval != 3*time.Second ||
		d.PrecreateExpiry != 120*time.Second || d.Concurrency < 1 || d.RatePerSecond <= 0 {
		t.Errorf("defaults: %+v", d)
	}
	if got := (pos.Timings{QueryInterval: time.Second}).WithDefaults(); got.QueryInterval != time.Second || got.PayTimeout != d.PayTimeout {
		t.Errorf("WithDefaults: %+v", got)
	}
	if err := d.Validate(); err != nil {
		t.Errorf("defaults invalid: %v", err)
	}
	for name, bad := range map[string]pos.Timings{
		"negative":       {PayTimeout: -time.Second},
		"concurrency":    {Concurrency: -1},
		"expiry":         {PrecreateExpiry: time.Millisecond},
		"retry":          {RetryBase: time.Hour, RetryMax: time.Minute},
		"query interval": {QueryInterval: -1},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestLimiter(t *testing.T) {
	c := postest.NewAutoClock(t0)
	l := pos.NewLimiter(c, 4)
	for range 12 {
		if err := l.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// Burst of 4, then 8 more at 4/s: 2 s.
	if got := c.Now().Sub(t0); got < 2*time.Second || got > 2100*time.Millisecond {
		t.Errorf("12 tokens at 4/s took %s, want 2s", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := pos.NewLimiter(c, -1).Wait(ctx); err == nil {
		t.Error("cancelled context not reported")
	}
}

func TestClock_Fake(t *testing.T) {
	c := postest.NewClock(t0)
	tm := c.NewTimer(time.Second)
	c.Advance(999 * time.Millisecond)
	select {
	case <-tm.C():
		t.Fatal("fired early")
	default:
	}
	c.Advance(time.Millisecond)
	if got := <-tm.C(); !got.Equal(t0.Add(time.Second)) {
		t.Errorf("fired at %s", got)
	}
	tm2 := c.NewTimer(time.Second)
	if !tm2.Stop() || c.Waiters() != 0 {
		t.Error("Stop")
	}
	if tm.Stop() {
		t.Error("Stop after fire reported true")
	}
	real := pos.SystemClock()
	if real.Now().IsZero() {
		t.Error("system clock")
	}
	st := real.NewTimer(time.Hour)
	if !st.Stop() {
		t.Error("system timer stop")
	}
}
