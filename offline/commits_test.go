package offline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

// TestJournal_GroupCommit: concurrent writes share commits, and a write
// that fails inside a group is rolled back alone — its neighbours commit.
func TestJournal_GroupCommit(t *testing.T) {
	j := openAt(t, filepath.Join(t.TempDir(), "j.db"), Options{})
	ctx := context.Background()
	const n = 64
	for i := range n {
		if err := j.CreateTransaction(ctx, sampleTx(fmt.Sprintf("G%07d", i)), pos.Event{Op: "create", Who: "t"}); err != nil {
			t.Fatal(err)
		}
	}
	// Hold the committer inside one write while the others queue, so that
	// they are certain to form one group.
	hold, held := make(chan struct{}), make(chan struct{})
	blocker := make(chan error, 1)
	go func() {
		blocker <- j.write(ctx, "hold", func(*sql.Tx) error { close(held); <-hold; return nil })
	}()
	<-held
	before := j.Commits()
	errs := make([]error, n)
	var wg sync.WaitGroup
	var queued atomic.Int32
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			from := pos.StateSending
			if i%4 == 0 {
				from = pos.StateUnknown // stale: must fail alone
			}
			queued.Add(1)
			_, errs[i] = j.Transition(ctx, pos.Change{ChargeCode: pos.ChargeCode(fmt.Sprintf("G%07d", i)), From: from,
				To: pos.StatePaid, At: postest.T0, Event: pos.Event{Op: "pay", Who: "t"}})
		}()
	}
	for queued.Load() < n {
		time.Sleep(time.Millisecond) // let every writer reach the queue
	}
	time.Sleep(20 * time.Millisecond)
	close(hold)
	wg.Wait()
	if err := <-blocker; err != nil {
		t.Fatal(err)
	}
	for i := range n {
		got, err := j.Get(ctx, pos.ChargeCode(fmt.Sprintf("G%07d", i)))
		if err != nil {
			t.Fatal(err)
		}
		evs, _ := j.Events(ctx, got.ChargeCode)
		if i%4 == 0 {
			if !errors.Is(errs[i], pos.ErrStale) || got.State != pos.StateSending || len(evs) != 1 {
				t.Errorf("%s: err %v, state %s, %d events; want ErrStale, sending, 1 event", got.ChargeCode, errs[i], got.State, len(evs))
			}
			continue
		}
		if errs[i] != nil || got.State != pos.StatePaid || len(evs) != 2 {
			t.Errorf("%s: err %v, state %s, %d events; want nil, paid, 2 events", got.ChargeCode, errs[i], got.State, len(evs))
		}
	}
	// The held write's commit, then the queued ones in few groups (the
	// channel hands them over one by one, so a slow goroutine may land in
	// a later group): far fewer commits than writes.
	if c := j.Commits() - before; c > n/2 {
		t.Errorf("%d commits for %d concurrent writes, want grouping (≤ n/2)", c, n)
	}
}

// TestJournal_SaleGateUsesItsIndex: the sale gate's query runs on every new
// charge; on a journal of a year's sales a table scan there would make each
// sale slower than the last.
func TestJournal_SaleGateUsesItsIndex(t *testing.T) {
	j := openAt(t, filepath.Join(t.TempDir(), "j.db"), Options{})
	rows, err := j.db.Query("EXPLAIN QUERY PLAN "+saleGateQuery, "S1")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if !slices.ContainsFunc(plan, func(s string) bool { return strings.Contains(s, "INDEX transactions_sale") }) {
		t.Errorf("the sale gate's query does not use transactions_sale: %q", plan)
	}
}
