package offline

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"

	"posterm/pos"
)

// The change feed (pos.ChangeFeed).
//
// In this process: every write that changes a transaction, a refund or a
// print job collects its events while it runs and publishes them on the
// embedded pos.Feed after the commit (never before, never for a rolled-back
// write), without blocking on subscribers.
//
// Other processes: each such write also adds one to feed_clock and to this
// Journal's row in feed_writers, in the same SQL transaction. Once someone
// subscribes, a poller wakes every FeedPoll (on the Options.Clock), asks
// SQLite whether the file changed at all (PRAGMA data_version on a
// connection of its own — cheap), and if so reads feed_clock − own count in
// one snapshot: when that grew, another process committed changes and the
// feed publishes pos.FeedResync.

// DefaultFeedPoll is how often another process's changes are looked for.
const DefaultFeedPoll = time.Second

var _ pos.ChangeFeed = (*Journal)(nil)

func newWriterID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// change runs fn in one write transaction, as write does; fn reports what
// it changed with pub. When fn reported anything, the feed counters move in
// the same transaction, and after the commit the events are published.
func (j *Journal) change(ctx context.Context, op string, fn func(tx *sql.Tx, pub func(pos.FeedEvent)) error) error {
	var evs []pos.FeedEvent
	err := j.write(ctx, op, func(tx *sql.Tx) error {
		evs = evs[:0]
		if err := fn(tx, func(e pos.FeedEvent) { evs = append(evs, e) }); err != nil {
			return err
		}
		if len(evs) == 0 {
			return nil
		}
		if err := j.writeOutbox(ctx, tx, evs); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE feed_clock SET seq = seq + 1 WHERE id = 1"); err != nil {
			return fmt.Errorf("%s: feed clock: %w", op, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO feed_writers (writer, seq) VALUES (?, 1)
			ON CONFLICT (writer) DO UPDATE SET seq = seq + 1`, j.writer); err != nil {
			return fmt.Errorf("%s: feed writer: %w", op, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range evs {
		j.feed.Publish(e)
	}
	return nil
}

// Subscribe implements pos.ChangeFeed. The first subscription starts the
// poller that notices other processes' changes; it runs until Close.
func (j *Journal) Subscribe() (<-chan pos.FeedEvent, func()) {
	j.pollOnce.Do(func() {
		// The baseline is taken before Subscribe returns, so that a change
		// another process commits right after it is not mistaken for one
		// the subscriber already knew.
		base, err := j.others(context.Background(), j.db)
		if err != nil {
			j.log.Warn("feed", "err", err)
		}
		j.pollStarted = true
		go j.poll(base)
	})
	return j.feed.Subscribe()
}

// PublishSettlement publishes the result of a reconciler pass or a settle
// run (a one-line summary) to this process's subscribers.
func (j *Journal) PublishSettlement(note string) {
	j.feed.Publish(pos.FeedEvent{Kind: pos.FeedSettlement, Note: note})
}

// others reads how many changes other writers committed.
func (j *Journal) others(ctx context.Context, q querier) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, `SELECT (SELECT seq FROM feed_clock WHERE id = 1) -
		COALESCE((SELECT seq FROM feed_writers WHERE writer = ?), 0)`, j.writer).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("feed: read counters: %w", err)
	}
	return n, nil
}

func (j *Journal) poll(lastOthers int64) {
	defer close(j.pollDone)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-j.pollStop
		cancel()
	}()
	conn, err := j.db.Conn(ctx)
	if err != nil {
		j.log.Error("feed: no connection for the poller; other processes' changes will not be announced", "err", err)
		return
	}
	defer conn.Close()
	dataVersion := func() (int64, error) {
		var v int64
		err := conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v)
		return v, err
	}
	// The first tick always reads the counters: this connection's
	// data_version starts after the baseline was taken.
	lastDV := int64(-1)
	for {
		t := j.clock.NewTimer(j.feedPoll)
		select {
		case <-j.pollStop:
			t.Stop()
			return
		case <-t.C():
		}
		dv, err := dataVersion()
		if err != nil {
			if ctx.Err() == nil {
				j.log.Warn("feed: data_version", "err", err)
			}
			continue
		}
		if dv == lastDV {
			continue
		}
		lastDV = dv
		n, err := j.others(ctx, conn)
		if err != nil {
			if ctx.Err() == nil {
				j.log.Warn("feed", "err", err)
			}
			continue
		}
		if n != lastOthers {
			lastOthers = n
			j.log.Debug("feed: another process changed the journal")
			j.feed.Publish(pos.FeedEvent{Kind: pos.FeedResync, Note: "changed by another process"})
		}
	}
}
