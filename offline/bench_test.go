package offline

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"posterm/pos"
	"posterm/pos/postest"
)

// seed inserts n charges in state sending (due at T0) in one SQL
// transaction, bypassing the per-change commit, to set benchmarks up fast.
func seed(tb testing.TB, j *Journal, prefix string, n int) {
	tb.Helper()
	ctx := context.Background()
	err := j.write(ctx, "seed", func(tx *sql.Tx) error {
		for i := range n {
			t := sampleTx(fmt.Sprintf("%s%07d", prefix, i))
			if err := insertTx(ctx, tx, t); err != nil {
				return err
			}
			if err := insertEvent(ctx, tx, pos.Event{ChargeCode: t.ChargeCode, To: "sending", Op: "create"}, t.CreatedAt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkJournal_Transition measures one durable state change (row update
// + audit event, fsync'd) and reports it as a ratio to a bare go-sqlite3
// INSERT+COMMIT with the same pragmas, the two interleaved op by op so that
// both see the same load: x-bare-insert is what the journal's bookkeeping
// costs over the fsync every durable write pays anyway.
func BenchmarkJournal_Transition(b *testing.B) {
	j := openAt(b, filepath.Join(b.TempDir(), "j.db"), Options{})
	seed(b, j, "B", b.N)
	ctx := context.Background()
	codes := make([]pos.ChargeCode, b.N)
	for i := range codes {
		codes[i] = pos.ChargeCode(fmt.Sprintf("B%07d", i))
	}
	bare, err := sql.Open("sqlite3", dsn(filepath.Join(b.TempDir(), "bare.db"), DefaultBusyTimeout))
	if err != nil {
		b.Fatal(err)
	}
	defer bare.Close()
	bare.SetMaxOpenConns(1)
	if _, err := bare.Exec("CREATE TABLE bare (id INTEGER PRIMARY KEY, v TEXT NOT NULL)"); err != nil {
		b.Fatal(err)
	}
	commits := j.Commits()
	var journal, bareTime time.Duration
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		if _, err := j.Transition(ctx, pos.Change{ChargeCode: codes[i], From: pos.StateSending, To: pos.StateUnknown,
			At: postest.T0, Patch: pos.Patch{LastError: "no answer"}, Event: pos.Event{Op: "pay", Who: "bench"}}); err != nil {
			b.Fatal(err)
		}
		journal += time.Since(start)

		start = time.Now()
		tx, err := bare.Begin()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Exec("INSERT INTO bare (id, v) VALUES (?, ?)", i, "unknown"); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		bareTime += time.Since(start)
	}
	b.StopTimer()
	b.ReportMetric(float64(journal)/float64(bareTime), "x-bare-insert")
	b.ReportMetric(float64(journal.Nanoseconds())/float64(b.N), "journal-ns/op")
	b.ReportMetric(float64(bareTime.Nanoseconds())/float64(b.N), "bare-ns/op")
	b.ReportMetric(float64(j.Commits()-commits)/float64(b.N), "commits/op")
}

// BenchmarkJournal_Claim10k is one Claim of 100 items out of 10,000 due
// unsettled rows (every op sees all 10,000 due: leases of the previous op
// have expired).
func BenchmarkJournal_Claim10k(b *testing.B) {
	j := openAt(b, filepath.Join(b.TempDir(), "j.db"), Options{})
	seed(b, j, "Q", 10_000)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		now := postest.T0.Add(time.Duration(i+1) * 2 * time.Minute)
		items, err := j.Claim(ctx, pos.ClaimRequest{Owner: "bench", Now: now, Lease: time.Minute, Limit: 100})
		if err != nil || len(items) != 100 {
			b.Fatalf("Claim: %d items, %v", len(items), err)
		}
	}
}

// BenchmarkJournal_ClaimDrain10k leases all of 10,000 unsettled rows in
// batches of 100, as a reconciler pass does; items/s is the claim rate.
func BenchmarkJournal_ClaimDrain10k(b *testing.B) {
	j := openAt(b, filepath.Join(b.TempDir(), "j.db"), Options{})
	seed(b, j, "D", 10_000)
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		now := postest.T0.Add(time.Duration(i+1) * 2 * time.Hour)
		total := 0
		for {
			items, err := j.Claim(ctx, pos.ClaimRequest{Owner: "bench", Now: now, Lease: time.Hour, Limit: 100})
			if err != nil {
				b.Fatal(err)
			}
			if len(items) == 0 {
				break
			}
			total += len(items)
		}
		if total != 10_000 {
			b.Fatalf("drained %d, want 10000", total)
		}
	}
	b.ReportMetric(float64(10_000*b.N)/time.Since(start).Seconds(), "items/s")
}
