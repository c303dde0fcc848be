package device

import (
	"context"
	"sync/atomic"
	"time"
)

// feed is what the serial Reader and the EvdevReader share: the channel of
// events their reading goroutine fills, that goroutine's lifetime, and
// whether the device is open now. A reader starts it with start and embeds
// it for Events, Read, Connected and Close.
type feed struct {
	events    chan Event
	ctx       context.Context
	cancel    context.CancelFunc
	done      chan struct{} // closed when the reading goroutine has ended
	stopClose func() bool
	connected atomic.Bool
}

// start makes the feed live until ctx ends or Close: closeDevice runs when
// it stops (closing the device is what unblocks a pending read), and run is
// the reading goroutine, which must close f.done and f.events when it ends.
func (f *feed) start(ctx context.Context, closeDevice func(), run func()) {
	f.events = make(chan Event, 16)
	f.done = make(chan struct{})
	f.ctx, f.cancel = context.WithCancel(ctx)
	f.stopClose = context.AfterFunc(f.ctx, closeDevice)
	go run()
}

// Events returns the channel of events; it is closed when the reader stops.
func (f *feed) Events() <-chan Event { return f.events }

// Read returns the next event. It returns ErrClosed once the reader has
// stopped and its events are drained, or ctx's error when ctx ends first.
func (f *feed) Read(ctx context.Context) (Event, error) {
	select {
	case ev, ok := <-f.events:
		if !ok {
			return nil, ErrClosed
		}
		return ev, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Connected reports whether the device is open right now.
func (f *feed) Connected() bool { return f.connected.Load() }

// Close stops the reader, closes the device and waits for the reading
// goroutine to end. Pending and later Reads return ErrClosed. It is
// idempotent and always returns nil.
func (f *feed) Close() error {
	f.cancel()
	<-f.done
	return nil
}

// emit delivers ev unless the reader stops first.
func (f *feed) emit(ev Event) bool {
	select {
	case f.events <- ev:
		return true
	case <-f.ctx.Done():
		return false
	}
}

// sleep waits d unless the reader stops first.
func (f *feed) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-f.ctx.Done():
		return false
	}
}
