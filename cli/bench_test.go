package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"posterm/offline"
	"posterm/pos"
)

// BenchmarkReconcile_Unsettled10k measures the reconciler's throughput on
// 10,000 unsettled rows against the sandbox on loopback: each row is a pay
// whose answer was lost (journaled unknown, paid at the gateway), so a
// pass queries it, journals it paid with its receipt, and releases it.
// Concurrency 64 (the most [reconcile] concurrency allows), no rate limit
// to speak of: how fast a backlog drains when the gateway allows it.
//
// In the same run, on the same rows, a bare loop makes the same number of
// gateway queries with the same concurrency and no journal; the benchmark
// reports both throughputs and their ratio (reconcile/bare: the share of
// the gateway's pace the journal's durable writes leave). No assertion is
// made on time. POSTERM_BENCH_ROWS changes the row count.
func BenchmarkReconcile_Unsettled10k(b *testing.B) {
	rows := 10000
	if s := os.Getenv("POSTERM_BENCH_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			b.Fatalf("POSTERM_BENCH_ROWS=%q", s)
		}
		rows = n
	}
	const concurrency = 64
	sb := startTestSandbox(b, 1)
	gw := sandboxGateway(b, sb)
	ctx := context.Background()
	var reconcileTime, bareTime time.Duration
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		j, err := offline.Open(filepath.Join(b.TempDir(), fmt.Sprintf("bench%d.db", i)), offline.Options{Logger: discardLog})
		if err != nil {
			b.Fatal(err)
		}
		codes := seedPaidUnknown(b, j, gw, rows, concurrency)
		r, err := pos.NewReconciler(pos.ReconcilerConfig{Gateway: gw, Journal: j, Logger: discardLog, Owner: "bench",
			Timings: pos.Timings{Concurrency: concurrency, RatePerSecond: 1e9}})
		if err != nil {
			b.Fatal(err)
		}

		b.StartTimer()
		start := time.Now()
		sum, err := r.RunOnce(ctx)
		reconcileTime += time.Since(start)
		b.StopTimer()
		if err != nil || sum.Claimed != rows || sum.Results[pos.ResultPaid] != rows {
			b.Fatalf("pass: %+v %v; want %d paid", sum, err, rows)
		}

		start = time.Now()
		bareQueries(b, gw, codes, concurrency)
		bareTime += time.Since(start)
		j.Close()
	}
	n := float64(rows * b.N)
	rps, qps := n/reconcileTime.Seconds(), n/bareTime.Seconds()
	b.ReportMetric(rps, "rows/s")
	b.ReportMetric(qps, "bare-queries/s")
	b.ReportMetric(rps/qps, "reconcile/bare")
}

// seedPaidUnknown journals n pay rows, pays each at the sandbox, and
// leaves it unknown in the journal: the state a crash right after the
// gateway's answer leaves.
func seedPaidUnknown(b *testing.B, j *offline.Journal, gw pos.Gateway, n, workers int) []pos.ChargeCode {
	b.Helper()
	ctx := context.Background()
	codes := make([]pos.ChargeCode, n)
	past := time.Now().Add(-time.Hour)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				code := pos.ChargeCode(fmt.Sprintf("BENCH%d%010d", os.Getpid()%1000, seedSerial.Add(1)))
				codes[i] = code
				tx := pos.Transaction{ChargeCode: code, Kind: pos.KindPay, State: pos.StateSending, SaleID: string(code),
					Register: "BENCH", Amount: 100, Cashier: "cashier01", CreatedAt: past, UpdatedAt: past}
				if err := j.CreateTransaction(ctx, tx, pos.Event{Op: "pay", Who: "cashier01", At: past}); err != nil {
					errs <- err
					return
				}
				rep, err := gw.Pay(ctx, pos.PayRequest{ChargeCode: code, Amount: 100, DynamicID: walletCode("28", "00"),
					Subject: "bench", OperID: "cashier01"})
				if err != nil || rep.Outcome != pos.OutcomeDone {
					errs <- fmt.Errorf("pay %s: %+v %v", code, rep, err)
					return
				}
				if _, err := j.Transition(ctx, pos.Change{ChargeCode: code, From: pos.StateSending, To: pos.StateUnknown,
					At: past, NextAttemptAt: past, Event: pos.Event{Op: "pay", Who: "cashier01", Note: "answer lost"}}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	return codes
}

// bareQueries queries every code with workers goroutines and no journal.
func bareQueries(b *testing.B, gw pos.Gateway, codes []pos.ChargeCode, workers int) {
	b.Helper()
	ctx := context.Background()
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(codes) {
					return
				}
				if rep, err := gw.Query(ctx, codes[i]); err != nil || rep.Outcome != pos.OutcomeDone {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d bare queries failed", n)
	}
}
