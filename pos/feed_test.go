package pos_test

import (
	"fmt"
	"sync"
	"testing"

	"posterm/pos"
)

func TestFeed(t *testing.T) {
	t.Run("EverySubscriberGetsEachEventOnce", func(t *testing.T) {
		var f pos.Feed
		a, cancelA := f.Subscribe()
		b, cancelB := f.Subscribe()
		defer cancelA()
		defer cancelB()
		for i := range 3 {
			f.Publish(pos.FeedEvent{Kind: pos.FeedTransaction, ChargeCode: pos.ChargeCode(fmt.Sprint(i))})
		}
		for _, ch := range []<-chan pos.FeedEvent{a, b} {
			for i := range 3 {
				if ev := <-ch; string(ev.ChargeCode) != fmt.Sprint(i) {
					t.Fatalf("event %d: %+v", i, ev)
				}
			}
		}
	})
	t.Run("OverflowBecomesOneResync", func(t *testing.T) {
		var f pos.Feed
		ch, cancel := f.Subscribe()
		defer cancel()
		for range 10 * pos.FeedBuffer {
			f.Publish(pos.FeedEvent{Kind: pos.FeedPrintJob})
		}
		if len(ch) != pos.FeedBuffer {
			t.Fatalf("queued %d, want %d", len(ch), pos.FeedBuffer)
		}
		resyncs := 0
		for range pos.FeedBuffer {
			if (<-ch).Kind == pos.FeedResync {
				resyncs++
			}
		}
		if resyncs != 1 {
			t.Fatalf("%d resyncs, want 1 (the last)", resyncs)
		}
	})
	t.Run("CancelAndCloseCloseTheChannel", func(t *testing.T) {
		var f pos.Feed
		a, cancelA := f.Subscribe()
		b, _ := f.Subscribe()
		cancelA()
		cancelA()
		if _, ok := <-a; ok {
			t.Fatal("open after cancel")
		}
		f.Close()
		if _, ok := <-b; ok {
			t.Fatal("open after Close")
		}
		c, _ := f.Subscribe()
		if _, ok := <-c; ok {
			t.Fatal("subscription after Close is open")
		}
		f.Publish(pos.FeedEvent{}) // no subscribers, no panic
	})
	t.Run("ConcurrentPublishReadCancel", func(t *testing.T) {
		var f pos.Feed
		var wg sync.WaitGroup
		for range 4 {
			ch, cancel := f.Subscribe()
			wg.Add(1)
			go func() {
				defer wg.Done()
				n := 0
				for range ch {
					if n++; n == 50 {
						cancel()
					}
				}
			}()
		}
		for range 1000 {
			f.Publish(pos.FeedEvent{Kind: pos.FeedTransaction})
		}
		f.Close()
		wg.Wait()
	})
}
