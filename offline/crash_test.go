package offline

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"posterm/pos"
	"posterm/pos/postest"
)

// The crash and multi-process tests re-run this test binary as a child with
// OFFLINE_CHILD set; TestHelperProcess is the child's entry point and does
// nothing in a normal run.
const childEnv = "OFFLINE_CHILD"

func TestHelperProcess(t *testing.T) {
	switch os.Getenv(childEnv) {
	case "":
		return
	case "writer":
		childWriter()
	case "claimer":
		childClaimer()
	case "cash":
		childCash()
	}
	os.Exit(0)
}

// startChild runs the helper process in mode with env and returns it with a
// pipe on its stdout.
func startChild(t *testing.T, mode string, env ...string) (*exec.Cmd, *bufio.Scanner, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), append([]string{childEnv + "=" + mode}, env...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, bufio.NewScanner(out), &stderr
}

func childFail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(3)
}

// childWriter writes charges, refunds, notes, leases and print jobs in a
// loop until it is killed, printing a line after each commit returns:
//
//	C <charge> <n> <state>       the charge's n-th own event (0 = create)
//	R <refund> <n> <state>       the refund's n-th event
//	S <series> <value>           SwapIssued stored value
func childWriter() {
	run := os.Getenv("OFFLINE_RUN")
	j, err := Open(os.Getenv("OFFLINE_DB"), Options{Logger: quiet})
	if err != nil {
		childFail("open: %v", err)
	}
	ctx := context.Background()
	say := func(format string, args ...any) { fmt.Fprintf(os.Stdout, format+"\n", args...) }
	say("ready")
	series, last := "charge:"+run, ""
	at := postest.T0
	for i := 0; ; i++ {
		code := pos.ChargeCode(fmt.Sprintf("X%s-%05d", run, i))
		tx := sampleTx(string(code))
		tx.CreatedAt, tx.UpdatedAt, tx.NextAttemptAt = at, at, at
		if err := j.CreateTransaction(ctx, tx, pos.Event{Op: "create", Who: "child"}); err != nil {
			childFail("create %s: %v", code, err)
		}
		say("C %s 0 sending", code)
		n := 0
		move := func(from, to pos.State, receipt pos.ReceiptKind, patch pos.Patch) {
			if _, err := j.Transition(ctx, pos.Change{ChargeCode: code, From: from, To: to, At: at, Receipt: receipt,
				Patch: patch, Event: pos.Event{Op: "test", Who: "child"}}); err != nil {
				childFail("transition %s %s→%s: %v", code, from, to, err)
			}
			n++
			say("C %s %d %s", code, n, to)
		}
		switch i % 4 {
		case 0:
			move(pos.StateSending, pos.StatePaid, pos.ReceiptSale, pos.Patch{FundBills: []pos.FundBill{{FundChannel: "10", Amount: 1234}}})
			no := string(code) + "-R"
			if err := j.CreateRefund(ctx, pos.Refund{OutRefundNo: no, ChargeCode: code, Amount: 234, State: pos.RefundSending,
				CreatedAt: at, UpdatedAt: at}, pos.Event{Op: "refund"}); err != nil {
				childFail("refund %s: %v", no, err)
			}
			say("R %s 0 sending", no)
			if _, _, err := j.SettleRefund(ctx, pos.RefundChange{OutRefundNo: no, From: pos.RefundSending, To: pos.RefundUnknown, At: at}); err != nil {
				childFail("settle %s: %v", no, err)
			}
			say("R %s 1 unknown", no)
			if _, _, err := j.SettleRefund(ctx, pos.RefundChange{OutRefundNo: no, From: pos.RefundUnknown, To: pos.RefundDone,
				At: at, Receipt: pos.ReceiptRefund}); err != nil {
				childFail("settle %s: %v", no, err)
			}
			say("R %s 2 done", no)
			say("C %s %d %s", code, n+1, pos.StatePartiallyRefunded)
		case 1:
			move(pos.StateSending, pos.StateUnknown, "", pos.Patch{LastError: "no answer"})
			move(pos.StateUnknown, pos.StateUnknown, "", pos.Patch{GiveUp: true, GiveUpReason: "aborted"})
			move(pos.StateUnknown, pos.StateVoided, "", pos.Patch{})
		case 2:
			move(pos.StateSending, pos.StatePending, "", pos.Patch{BarCode: "https://qr.example/" + string(code)})
			move(pos.StatePending, pos.StatePaid, pos.ReceiptSale, pos.Patch{})
			move(pos.StatePaid, pos.StateRevoked, pos.ReceiptRevoke, pos.Patch{GiveUp: true})
		case 3:
			move(pos.StateSending, pos.StateUnknown, "", pos.Patch{})
			items, err := j.Claim(ctx, pos.ClaimRequest{Owner: "child" + run, Now: at.Add(time.Hour), Lease: time.Minute, Limit: 3})
			if err != nil {
				childFail("claim: %v", err)
			}
			for _, it := range items {
				if err := j.Release(ctx, it.Key, "child"+run, at.Add(time.Hour), pos.Retry{CountAttempt: true, LastError: "x",
					NextAttemptAt: at.Add(time.Minute)}); err != nil {
					childFail("release: %v", err)
				}
			}
			move(pos.StateUnknown, pos.StatePaid, pos.ReceiptSale, pos.Patch{})
			if _, err := j.Add(ctx, pos.PrintJob{Kind: pos.ReceiptTest, Data: []byte("test page " + string(code))}); err != nil {
				childFail("add job: %v", err)
			}
		}
		if err := j.SwapIssued(ctx, series, last, string(code)); err != nil {
			childFail("issue: %v", err)
		}
		last = string(code)
		say("S %s %s", series, last)
	}
}

// TestCrash_KilledWriterLosesNothing SIGKILLs a writing child process at
// random instants (seeded; the seed is printed, OFFLINE_CRASH_SEED replays
// it), then reopens the file: it must be sound, hold every change the child
// saw committed, and hold no half-applied change.
func TestCrash_KilledWriterLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped with -short")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("OFFLINE_CRASH_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	runs := 60
	if s := os.Getenv("OFFLINE_CRASH_RUNS"); s != "" {
		runs, _ = strconv.Atoi(s)
	}
	t.Logf("crash seed %d (replay with OFFLINE_CRASH_SEED=%d), %d runs", seed, seed, runs)
	rng := rand.New(rand.NewPCG(seed, 0x0ff1))
	dir := t.TempDir()
	path := filepath.Join(dir, "crash.db")
	committed := map[string]string{} // "C code n" → state, "S series" → value
	var kills, midWrite int
	for run := range runs {
		if run%5 == 0 { // now and then a fresh file: kills during the first migration too
			path = filepath.Join(dir, fmt.Sprintf("crash-%d.db", run))
			clear(committed)
		}
		cmd, out, stderr := startChild(t, "writer", "OFFLINE_DB="+path, fmt.Sprintf("OFFLINE_RUN=%03d", run))
		var mu sync.Mutex
		var lines []string
		ready := make(chan struct{})
		readDone := make(chan struct{})
		go func() {
			defer close(readDone)
			once := sync.OnceFunc(func() { close(ready) })
			defer once()
			for out.Scan() {
				if out.Text() == "ready" {
					once()
					continue
				}
				mu.Lock()
				lines = append(lines, out.Text())
				mu.Unlock()
			}
		}()
		// Half the runs count from the start (hitting Open and migration),
		// half from "ready" (hitting writes).
		delay := time.Duration(rng.IntN(60_000)) * time.Microsecond
		if run%2 == 1 {
			<-ready
			delay = time.Duration(rng.IntN(150_000)) * time.Microsecond
		}
		time.Sleep(delay)
		if err := cmd.Process.Signal(syscall.SIGKILL); err == nil {
			kills++
		}
		<-readDone
		err := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("run %d: child ended on its own (%v): %s", run, err, stderr.String())
		}
		mu.Lock()
		for _, l := range lines {
			f := strings.Fields(l)
			switch {
			case len(f) == 4:
				committed[f[0]+" "+f[1]+" "+f[2]] = f[3]
			case len(f) == 3 && f[0] == "S":
				committed["S "+f[1]] = f[2]
			}
		}
		if len(lines) > 0 {
			midWrite++
		}
		mu.Unlock()
		verifyAfterCrash(t, run, path, committed)
		if t.Failed() {
			t.Fatalf("run %d (seed %d) failed; child stderr: %s", run, seed, stderr.String())
		}
	}
	t.Logf("%d kills, %d of them after writes had committed", kills, midWrite)
}

// verifyAfterCrash reopens path and checks it against what the child saw
// committed, and every row for internal consistency.
func verifyAfterCrash(t *testing.T, run int, path string, committed map[string]string) {
	t.Helper()
	ctx := context.Background()
	j, err := Open(path, Options{Logger: quiet})
	if err != nil {
		t.Fatalf("run %d: reopen: %v", run, err)
	}
	defer j.Close()
	if err := j.IntegrityCheck(ctx); err != nil {
		t.Fatalf("run %d: %v", run, err)
	}
	evs := map[pos.ChargeCode][]pos.Event{}
	events := func(code pos.ChargeCode) []pos.Event {
		if e, ok := evs[code]; ok {
			return e
		}
		e, err := j.Events(ctx, code)
		if err != nil {
			t.Fatalf("run %d: events: %v", run, err)
		}
		evs[code] = e
		return e
	}
	// 1. Everything the child saw committed is there.
	for k, want := range committed {
		f := strings.Fields(k)
		if f[0] == "S" {
			got, err := j.LastIssued(ctx, f[1])
			if err != nil || got < want {
				t.Errorf("run %d: series %s: got %q, %v; want %q or later", run, f[1], got, err, want)
			}
			continue
		}
		n, _ := strconv.Atoi(f[2])
		code := pos.ChargeCode(f[1])
		if f[0] == "R" {
			code = pos.ChargeCode(strings.TrimSuffix(f[1], "-R"))
		}
		var own []pos.Event
		for _, e := range events(code) {
			if (f[0] == "R") == (e.OutRefundNo != "") {
				own = append(own, e)
			}
		}
		if n >= len(own) || own[n].To != want {
			t.Errorf("run %d: committed %s → %s is missing (events %+v)", run, k, want, own)
		}
	}
	// 2. Every row agrees with its events and its print jobs: no change
	// without its event, no event without its change.
	txs, err := j.List(ctx, pos.Filter{})
	if err != nil {
		t.Fatalf("run %d: list: %v", run, err)
	}
	jobCount := map[string]int{}
	rows, err := j.db.QueryContext(ctx, "SELECT charge_code, kind FROM print_jobs WHERE charge_code <> ''")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c, k string
		if err := rows.Scan(&c, &k); err != nil {
			t.Fatal(err)
		}
		jobCount[c+" "+k]++
	}
	rows.Close()
	for _, tx := range txs {
		var charge []pos.Event
		refundEv := map[string][]pos.Event{}
		for _, e := range events(tx.ChargeCode) {
			if e.OutRefundNo == "" {
				charge = append(charge, e)
			} else {
				refundEv[e.OutRefundNo] = append(refundEv[e.OutRefundNo], e)
			}
		}
		checkChain(t, run, string(tx.ChargeCode), charge, string(tx.State))
		var unsettled bool
		if err := j.db.QueryRowContext(ctx, "SELECT unsettled FROM transactions WHERE charge_code = ?", string(tx.ChargeCode)).Scan(&unsettled); err != nil || unsettled != tx.Unsettled() {
			t.Errorf("run %d: %s unsettled column %v, want %v (%v)", run, tx.ChargeCode, unsettled, tx.Unsettled(), err)
		}
		refunds, err := j.ListRefunds(ctx, pos.RefundFilter{ChargeCode: tx.ChargeCode})
		if err != nil {
			t.Fatal(err)
		}
		var done pos.Money
		for _, r := range refunds {
			checkChain(t, run, r.OutRefundNo, refundEv[r.OutRefundNo], string(r.State))
			if r.State == pos.RefundDone {
				done += r.Amount
			}
		}
		if len(refundEv) != len(refunds) {
			t.Errorf("run %d: %s: events of %d refunds, %d refunds", run, tx.ChargeCode, len(refundEv), len(refunds))
		}
		if done != tx.Refunded {
			t.Errorf("run %d: %s refunded %d, done refunds sum to %d", run, tx.ChargeCode, tx.Refunded, done)
		}
		var paid, revoked, refundDone int
		for _, e := range charge {
			switch pos.State(e.To) {
			case pos.StatePaid:
				paid++
			case pos.StateRevoked:
				revoked++
			}
		}
		for _, evs := range refundEv {
			for _, e := range evs {
				if e.To == string(pos.RefundDone) {
					refundDone++
				}
			}
		}
		c := string(tx.ChargeCode)
		if jobCount[c+" sale"] != paid || jobCount[c+" revoke"] != revoked || jobCount[c+" refund"] != refundDone {
			t.Errorf("run %d: %s print jobs sale/revoke/refund %d/%d/%d, changes %d/%d/%d", run, c,
				jobCount[c+" sale"], jobCount[c+" revoke"], jobCount[c+" refund"], paid, revoked, refundDone)
		}
	}
}

// checkChain checks that events run "" → … → state without a gap.
func checkChain(t *testing.T, run int, key string, evs []pos.Event, state string) {
	t.Helper()
	if len(evs) == 0 || evs[0].From != "" || evs[0].To != "sending" {
		t.Errorf("run %d: %s: events do not start with the create: %+v", run, key, evs)
		return
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].From != evs[i-1].To {
			t.Errorf("run %d: %s: event %d from %s after one to %s", run, key, i, evs[i].From, evs[i-1].To)
		}
	}
	if last := evs[len(evs)-1].To; last != state {
		t.Errorf("run %d: %s: state %s but last event to %s", run, key, state, last)
	}
}

// childClaimer claims everything it can and prints each key it got.
func childClaimer() {
	j, err := Open(os.Getenv("OFFLINE_DB"), Options{Logger: quiet})
	if err != nil {
		childFail("open: %v", err)
	}
	defer j.Close()
	owner := fmt.Sprintf("proc%d", os.Getpid())
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for {
		items, err := j.Claim(context.Background(), pos.ClaimRequest{Owner: owner, Now: postest.T0.Add(time.Hour), Lease: time.Hour, Limit: 3})
		if err != nil {
			childFail("claim: %v", err)
		}
		if len(items) == 0 {
			return
		}
		for _, it := range items {
			fmt.Fprintf(w, "%s %s %s\n", owner, it.Key.ChargeCode, it.Key.OutRefundNo)
		}
	}
}

func TestClaim_ProcessesNeverShare(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.db")
	j := openAt(t, path, Options{})
	ctx := context.Background()
	const rows = 150
	for i := range rows {
		if err := j.CreateTransaction(ctx, sampleTx(fmt.Sprintf("P%03d", i)), pos.Event{}); err != nil {
			t.Fatal(err)
		}
	}
	type child struct {
		cmd    *exec.Cmd
		out    *bufio.Scanner
		stderr *bytes.Buffer
		lines  []string
		done   chan struct{}
	}
	var cs []*child
	for range 3 {
		cmd, out, stderr := startChild(t, "claimer", "OFFLINE_DB="+path)
		c := &child{cmd: cmd, out: out, stderr: stderr, done: make(chan struct{})}
		go func() {
			defer close(c.done)
			for c.out.Scan() {
				c.lines = append(c.lines, c.out.Text())
			}
		}()
		cs = append(cs, c)
	}
	seen := map[string]string{}
	for _, c := range cs {
		<-c.done
		if err := c.cmd.Wait(); err != nil {
			t.Fatalf("claimer: %v: %s", err, c.stderr.String())
		}
		for _, l := range c.lines {
			f := strings.Fields(l)
			if prev, dup := seen[f[1]]; dup {
				t.Errorf("%s claimed by %s and %s", f[1], prev, f[0])
			}
			seen[f[1]] = f[0]
		}
	}
	if len(seen) != rows {
		t.Fatalf("claimed %d rows, want %d", len(seen), rows)
	}
	// Every lease is on disk, owned by the process that reported it.
	for code, owner := range seen {
		tx, err := j.Get(ctx, pos.ChargeCode(code))
		if err != nil || tx.LeaseOwner != owner {
			t.Errorf("%s: lease owner %q, reported %s (%v)", code, tx.LeaseOwner, owner, err)
		}
	}
}
