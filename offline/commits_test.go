package offline

import (
	"context"
	"path/filepath"
	"testing"

	"posterm/pos"
	"posterm/pos/postest"
)

// TestJournal_OneCommitPerChange counts commits with SQLite's commit hook:
// a state change, a refund step and a release are each exactly one durable
// commit, reads are none, and releasing a row that settled meanwhile writes
// nothing at all.
func TestJournal_OneCommitPerChange(t *testing.T) {
	j := openAt(t, filepath.Join(t.TempDir(), "j.db"), Options{})
	ctx := context.Background()
	commits := func(what string, want int64, fn func() error) {
		t.Helper()
		before := j.Commits()
		if err := fn(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got := j.Commits() - before; got != want {
			t.Errorf("%s: %d commits, want %d", what, got, want)
		}
	}
	tx := sampleTx("C0000001")
	commits("create", 1, func() error {
		return j.CreateTransaction(ctx, tx, pos.Event{Op: "create", Who: "t"})
	})
	commits("get", 0, func() error { _, err := j.Get(ctx, tx.ChargeCode); return err })
	commits("list", 0, func() error { _, err := j.List(ctx, pos.Filter{}); return err })
	commits("transition", 1, func() error {
		_, err := j.Transition(ctx, pos.Change{ChargeCode: tx.ChargeCode, From: pos.StateSending, To: pos.StateUnknown,
			At: postest.T0, Event: pos.Event{Op: "pay", Who: "t"}})
		return err
	})
	var items []pos.WorkItem
	commits("claim", 1, func() error {
		var err error
		items, err = j.Claim(ctx, pos.ClaimRequest{Owner: "r", Now: postest.T0.Add(1e12), Lease: 60e9, Limit: 10, IgnoreSchedule: true})
		return err
	})
	if len(items) != 1 {
		t.Fatalf("claimed %d items, want 1", len(items))
	}
	commits("settle by the lease owner", 1, func() error {
		_, err := j.Transition(ctx, pos.Change{ChargeCode: tx.ChargeCode, From: pos.StateUnknown, To: pos.StatePaid,
			Owner: "r", At: postest.T0.Add(1e12), Event: pos.Event{Op: "query", Who: "r"}})
		return err
	})
	commits("release of a settled row", 0, func() error {
		return j.Release(ctx, items[0].Key, "r", postest.T0.Add(1e12), pos.Retry{})
	})
}
