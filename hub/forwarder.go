package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"posterm/pos"
)

// DefaultForwardRetry is how long the forwarder waits after a failed pass
// (the hub unreachable) and, without a change feed, between passes.
const DefaultForwardRetry = time.Second

// Forwarder publishes a till's outbox to the hub. Run it in the background:
// it never blocks a sale, and stops only when its context ends.
type Forwarder struct {
	Outbox pos.OutboxPort
	// Feed, when set, wakes the forwarder at each committed change; without
	// it the outbox is read every Retry.
	Feed pos.ChangeFeed
	JS   jetstream.JetStream
	// Clock times the retries and the sent marks; pos.SystemClock() when nil.
	Clock pos.Clock
	// Retry: see DefaultForwardRetry.
	Retry time.Duration
	// Batch is how many events one pass publishes before it waits for their
	// acks; 256 when zero.
	Batch int
	Log   *slog.Logger
}

func (f *Forwarder) clock() pos.Clock {
	if f.Clock == nil {
		return pos.SystemClock()
	}
	return f.Clock
}

func (f *Forwarder) log() *slog.Logger {
	if f.Log == nil {
		return slog.Default()
	}
	return f.Log
}

// Run forwards until ctx ends.
func (f *Forwarder) Run(ctx context.Context) error {
	retry := f.Retry
	if retry <= 0 {
		retry = DefaultForwardRetry
	}
	var wake <-chan pos.FeedEvent
	if f.Feed != nil {
		ch, cancel := f.Feed.Subscribe()
		defer cancel()
		wake = ch
	}
	failing := false
	for {
		n, err := f.Flush(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil && !failing:
			failing = true
			f.log().Warn("hub: forwarding paused; events wait in the outbox", "err", err)
		case err == nil && failing:
			failing = false
			f.log().Info("hub: forwarding resumed", "sent", n)
		}
		if err == nil && n > 0 {
			continue // there may be more
		}
		t := f.clock().NewTimer(retry)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case _, ok := <-wake:
			t.Stop()
			if !ok {
				wake = nil
			}
		case <-t.C():
		}
	}
}

// Flush publishes one batch of pending events and marks those the hub
// acknowledged; it returns how many it marked. An error means some were not
// acknowledged: they stay pending and are published again (with the same
// message id) on the next pass.
func (f *Forwarder) Flush(ctx context.Context) (int, error) {
	batch := f.Batch
	if batch <= 0 {
		batch = 256
	}
	evs, err := f.Outbox.PendingOutbox(ctx, batch)
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	futures := make([]jetstream.PubAckFuture, 0, len(evs))
	var pubErr error
	for _, e := range evs {
		msg, err := eventMsg(e)
		if err != nil {
			return 0, err
		}
		fut, err := f.JS.PublishMsgAsync(msg, jetstream.WithMsgID(e.ID))
		if err != nil {
			pubErr = err
			break
		}
		futures = append(futures, fut)
	}
	var acked []int64
	for i, fut := range futures {
		select {
		case <-fut.Ok():
			acked = append(acked, evs[i].Seq)
		case err := <-fut.Err():
			if pubErr == nil {
				pubErr = err
			}
		case <-ctx.Done():
			if pubErr == nil {
				pubErr = ctx.Err()
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	if len(acked) > 0 {
		// The marks are written even if ctx just ended: the acks are real.
		if err := f.Outbox.MarkOutboxSent(context.WithoutCancel(ctx), acked, f.clock().Now()); err != nil {
			return 0, fmt.Errorf("hub: mark sent: %w", err)
		}
	}
	if pubErr != nil {
		return len(acked), fmt.Errorf("hub: publish: %w", pubErr)
	}
	return len(acked), nil
}

func eventMsg(e pos.OutboxEvent) (*nats.Msg, error) {
	if e.Till == "" {
		return nil, errors.New("hub: outbox event without a till identity")
	}
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("hub: encode %s: %w", e.ID, err)
	}
	return &nats.Msg{Subject: EventSubject(e.Till), Data: b}, nil
}
