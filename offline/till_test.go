package offline

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"posterm/pos"
	"posterm/pos/postest"
	"posterm/printer"
)

func machine(b string) func() (string, error) { return func() (string, error) { return b, nil } }

// copyJournal copies a closed journal file (and its WAL, if any) to dst.
func copyJournal(t *testing.T, src, dst string) {
	t.Helper()
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(src + suffix)
		if os.IsNotExist(err) && suffix != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func tillOf(t *testing.T, j *Journal) string {
	t.Helper()
	id, err := j.TillID(context.Background())
	if err != nil || pos.ValidTillID(id) != nil {
		t.Fatalf("TillID: %q, %v", id, err)
	}
	return id
}

func TestTill_IdentityStableOnItsMachine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.db")
	j, err := Open(path, Options{Logger: quiet, Binding: machine("machine A")})
	if err != nil {
		t.Fatal(err)
	}
	first := tillOf(t, j)
	j.Close()
	again := openAt(t, path, Options{Binding: machine("machine A")})
	if got := tillOf(t, again); got != first {
		t.Fatalf("reopened on the same machine: %s, want %s", got, first)
	}
	// Two journals made on one machine (two tills) differ.
	other := openTemp(t)
	if tillOf(t, other) == first {
		t.Fatalf("two new journals share identity %s", first)
	}
}

func TestTill_CopiedJournalGetsNewIdentity(t *testing.T) {
	dir := t.TempDir()
	orig := filepath.Join(dir, "till1.db")
	j, err := Open(orig, Options{Logger: quiet, Binding: machine("machine-id=aaa\nmac=02:00:00:00:00:01")})
	if err != nil {
		t.Fatal(err)
	}
	first := tillOf(t, j)
	// Some history to carry over: the copy keeps it.
	create := pos.Transaction{ChargeCode: "C1", Kind: pos.KindPay, State: pos.StateSending, SaleID: "S1",
		Amount: 100, CreatedAt: postest.T0, UpdatedAt: postest.T0}
	if err := j.CreateTransaction(context.Background(), create, pos.Event{Op: "pay"}); err != nil {
		t.Fatal(err)
	}
	j.Close()

	// Restored from the same disk image on another till: same machine-id,
	// another network card.
	cp := filepath.Join(dir, "till2.db")
	copyJournal(t, orig, cp)
	c := openAt(t, cp, Options{Binding: machine("machine-id=aaa\nmac=02:00:00:00:00:02")})
	second := tillOf(t, c)
	if second == first {
		t.Fatalf("the copy kept identity %s", first)
	}
	if _, err := c.Get(context.Background(), "C1"); err != nil {
		t.Fatalf("the copy lost its rows: %v", err)
	}
	hist, err := c.TillHistory(context.Background())
	if err != nil || len(hist) != 2 || hist[0].TillID != first || hist[1].TillID != second ||
		!strings.Contains(hist[1].Reason, "another machine") {
		t.Fatalf("history: %+v, %v", hist, err)
	}
	// The two tills now issue different codes in the same second.
	clock := postest.NewClock(postest.T0)
	o := openAt(t, orig, Options{Binding: machine("machine-id=aaa\nmac=02:00:00:00:00:01")})
	if got := tillOf(t, o); got != first {
		t.Fatalf("the original changed identity: %s, want %s", got, first)
	}
	ga, _ := pos.NewChargeCodes("POS01", o, clock)
	gb, _ := pos.NewChargeCodes("POS01", c, clock)
	a, err1 := ga.Next(context.Background())
	b, err2 := gb.Next(context.Background())
	if err1 != nil || err2 != nil || a == b {
		t.Fatalf("codes %s (%v) and %s (%v)", a, err1, b, err2)
	}
}

func TestMachineBinding(t *testing.T) {
	root := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if b, _ := MachineBinding(root); b != "" {
		t.Fatalf("empty root: %q", b)
	}
	write("etc/machine-id", "0123456789abcdef\n")
	write("sys/class/net/lo/address", "00:00:00:00:00:00\n")
	write("sys/class/net/docker0/address", "02:42:ac:11:00:01\n") // virtual: no device
	write("sys/class/net/eth1/address", "52:54:00:AA:BB:02\n")
	write("sys/class/net/eth1/device/uevent", "")
	write("sys/class/net/eth0/address", "52:54:00:aa:bb:01\n")
	write("sys/class/net/eth0/device/uevent", "")
	got, err := MachineBinding(root)
	want := "machine-id=0123456789abcdef\nmac=52:54:00:aa:bb:01\nmac=52:54:00:aa:bb:02"
	if err != nil || got != want {
		t.Fatalf("got %q (%v), want %q", got, err, want)
	}
}

func TestFeed_OtherProcessIsAResync(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "journal.db")
	mine := openAt(t, path, Options{FeedPoll: 5 * time.Millisecond})
	other := openAt(t, path, Options{})
	ch, cancel := mine.Subscribe()
	defer cancel()

	tx := func(code string) pos.Transaction {
		return pos.Transaction{ChargeCode: pos.ChargeCode(code), Kind: pos.KindPay, State: pos.StateSending,
			SaleID: code, Amount: 100, CreatedAt: postest.T0, UpdatedAt: postest.T0}
	}
	// Our own writes are announced as themselves and never count as
	// another's.
	if err := mine.CreateTransaction(ctx, tx("C1"), pos.Event{Op: "pay"}); err != nil {
		t.Fatal(err)
	}
	if ev := <-ch; ev.Kind != pos.FeedTransaction || ev.ChargeCode != "C1" {
		t.Fatalf("own write: got %+v", ev)
	}
	if n, err := mine.others(ctx, mine.db); err != nil || n != 0 {
		t.Fatalf("others after own write: %d, %v", n, err)
	}
	// Another process's write: a resync within a poll interval.
	if err := other.CreateTransaction(ctx, tx("C2"), pos.Event{Op: "pay"}); err != nil {
		t.Fatal(err)
	}
	if n, err := mine.others(ctx, mine.db); err != nil || n != 1 {
		t.Fatalf("others after the other's write: %d, %v", n, err)
	}
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for {
		select {
		case ev := <-ch:
			if ev.Kind == pos.FeedResync {
				return
			}
			t.Fatalf("before the resync: %+v", ev)
		case <-deadline.C:
			t.Fatal("no resync 10 s after another process wrote")
		}
	}
}

func TestFeed_CloseEndsSubscriptions(t *testing.T) {
	j, err := Open(filepath.Join(t.TempDir(), "journal.db"), Options{Logger: quiet, FeedPoll: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ch, _ := j.Subscribe()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-ch; ok {
		t.Fatal("channel open after Close")
	}
	if ch2, _ := j.Subscribe(); ch2 != nil {
		if _, ok := <-ch2; ok {
			t.Fatal("subscription after Close is open")
		}
	}
}

// A journal written before the sale gate may hold two open attempts of one
// sale (issue 8, case 2): migrating it must not fail, and the sale stays
// gated.
func TestTill_MigrateJournalWithTwoOpenAttempts(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite3", dsn(path, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, ms[0].sql); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `PRAGMA user_version = 1;
		INSERT INTO transactions (charge_code, kind, state, sale_id, amount_fen, created_at, updated_at, unsettled) VALUES
		('A1', 'pay', 'paid', 'S', 100, '2026-03-14T09:26:53.000000000Z', '2026-03-14T09:26:53.000000000Z', 0),
		('A2', 'pay', 'paid', 'S', 100, '2026-03-14T09:26:54.000000000Z', '2026-03-14T09:26:54.000000000Z', 0),
		('B1', 'pay', 'unknown', 'T', 100, '2026-03-14T09:26:55.000000000Z', '2026-03-14T09:26:55.000000000Z', 1)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	j := openAt(t, path, Options{})
	for _, sale := range []string{"S", "T"} {
		err := j.CreateTransaction(ctx, pos.Transaction{ChargeCode: pos.ChargeCode(sale + "9"), Kind: pos.KindPay,
			State: pos.StateSending, SaleID: sale, Amount: 100, CreatedAt: postest.T0, UpdatedAt: postest.T0}, pos.Event{})
		if !errors.Is(err, pos.ErrSaleOpen) {
			t.Errorf("sale %s after migration: got %v, want ErrSaleOpen", sale, err)
		}
	}
	// Both old paid rows can still move (a refund, a revoke).
	for _, code := range []pos.ChargeCode{"A1", "A2"} {
		if _, err := j.Transition(ctx, pos.Change{ChargeCode: code, From: pos.StatePaid, To: pos.StateRevoked,
			Event: pos.Event{Op: "cancel"}}); err != nil {
			t.Errorf("revoke %s: %v", code, err)
		}
	}
}

func TestFeed_PrintJobs(t *testing.T) {
	ctx := context.Background()
	j := openTemp(t)
	ch, cancel := j.Subscribe()
	defer cancel()
	id, err := j.Add(ctx, printer.Job{Kind: printer.KindTest, Data: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.MarkFailed(ctx, id, pos.PrintFailure{Reason: "paper out", Next: postest.T0}); err != nil {
		t.Fatal(err)
	}
	if err := j.MarkSent(ctx, id, postest.T0, true); err != nil {
		t.Fatal(err)
	}
	if err := j.MarkSent(ctx, id+100, postest.T0, true); err == nil {
		t.Fatal("MarkSent of a missing job succeeded")
	}
	want := []pos.FeedEvent{{Kind: pos.FeedPrintJob, JobID: id}, {Kind: pos.FeedPrintJob, JobID: id, State: "failed"},
		{Kind: pos.FeedPrintJob, JobID: id, State: "printed"}}
	for i, w := range want {
		if got := <-ch; got != w {
			t.Fatalf("event %d: got %+v, want %+v", i, got, w)
		}
	}
	if len(ch) != 0 {
		t.Fatalf("a failed write published %+v", <-ch)
	}
}
