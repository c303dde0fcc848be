package pos

import "sync"

// FeedBuffer is how many events a subscriber may fall behind before it
// gets a FeedResync instead of the events that follow.
const FeedBuffer = 64

// Feed is the in-process half of a ChangeFeed: a broadcaster that never
// blocks its publisher. Journals embed one and Publish after each commit;
// they add the cross-process half (noticing other writers) themselves.
// The zero value is ready to use. Safe for concurrent use.
//
// Overflow: a subscriber's channel holds FeedBuffer events. Publish keeps
// its last slot for a FeedResync: when only that slot is free, a resync
// takes it and further events for that subscriber are dropped until it has
// read some — harmless, because the resync is read after the dropped changes
// were committed, and the subscriber re-reads the journal on it.
type Feed struct {
	mu     sync.Mutex
	subs   map[*feedSub]struct{}
	closed bool
}

type feedSub struct {
	ch         chan FeedEvent
	lastResync bool // the newest queued event is a resync
}

var _ ChangeFeed = (*Feed)(nil)

// Subscribe implements ChangeFeed.
func (f *Feed) Subscribe() (<-chan FeedEvent, func()) {
	s := &feedSub{ch: make(chan FeedEvent, FeedBuffer)}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		close(s.ch)
		return s.ch, func() {}
	}
	if f.subs == nil {
		f.subs = map[*feedSub]struct{}{}
	}
	f.subs[s] = struct{}{}
	return s.ch, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		if _, ok := f.subs[s]; ok {
			delete(f.subs, s)
			close(s.ch)
		}
	}
}

// Subscribers returns how many subscriptions are open.
func (f *Feed) Subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

// Publish hands ev to every subscriber without blocking.
func (f *Feed) Publish(ev FeedEvent) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for s := range f.subs {
		s.offer(ev)
	}
}

func (s *feedSub) offer(ev FeedEvent) {
	// free only grows while we hold f.mu (the subscriber only reads).
	switch free := cap(s.ch) - len(s.ch); {
	case free > 1:
		s.ch <- ev
		s.lastResync = ev.Kind == FeedResync
	case s.lastResync:
		// The newest queued event is an unread resync (had it been read,
		// the channel would be empty): dropping ev loses nothing the
		// subscriber will not re-read.
	default: // free == 1: the last slot is kept for this
		s.ch <- FeedEvent{Kind: FeedResync}
		s.lastResync = true
	}
}

// Close closes every subscription; later ones are closed at once.
func (f *Feed) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	for s := range f.subs {
		delete(f.subs, s)
		close(s.ch)
	}
}
