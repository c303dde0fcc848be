package offline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"posterm/pos"
)

// TestBackup_WhilePaying backs the journal up while another connection
// keeps creating and paying charges: the copy passes integrity_check and
// holds every charge committed before Backup began.
func TestBackup_WhilePaying(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "journal.db")
	j := openAt(t, src, Options{})
	ctx := context.Background()

	var committed sync.Map // charge code → true, once its pay is committed
	var n atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			code := pos.ChargeCode(fmt.Sprintf("P%06d", i))
			if err := j.CreateTransaction(ctx, sampleTx(string(code)), pos.Event{Op: "create"}); err != nil {
				t.Error(err)
				return
			}
			if _, err := j.Transition(ctx, pos.Change{ChargeCode: code, From: pos.StateSending, To: pos.StatePaid, At: time.Now()}); err != nil {
				t.Error(err)
				return
			}
			committed.Store(code, true)
			n.Add(1)
		}
	}()
	// Wait (without a timer) until the loop has written something.
	for n.Load() < 20 {
		runtime.Gosched()
	}

	for round := range 3 {
		var before []pos.ChargeCode
		committed.Range(func(k, _ any) bool { before = append(before, k.(pos.ChargeCode)); return true })
		dst := filepath.Join(dir, "backups", fmt.Sprintf("copy%d.db", round))
		rep, err := Backup(ctx, src, dst)
		if err != nil {
			t.Fatalf("Backup: %v", err)
		}
		if rep.Rows["transactions"] < int64(len(before)) {
			t.Errorf("copy has %d transactions, want at least %d", rep.Rows["transactions"], len(before))
		}
		copyDB, err := sql.Open("sqlite3", "file:"+dst+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		for _, code := range before {
			var state string
			if err := copyDB.QueryRow("SELECT state FROM transactions WHERE charge_code = ?", string(code)).Scan(&state); err != nil {
				t.Fatalf("charge %s committed before the backup: %v", code, err)
			}
			if state != string(pos.StatePaid) {
				t.Errorf("charge %s: got state %s in the copy, want paid", code, state)
			}
		}
		copyDB.Close()
		if _, err := os.Stat(dst + "-wal"); err == nil {
			t.Errorf("%s-wal exists: a backup must be one self-contained file", dst)
		}
	}
	close(stop)
	<-done
}

func TestVerifyBackup_Refuses(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	notJournal := filepath.Join(dir, "other.db")
	db, err := sql.Open("sqlite3", notJournal)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE x (a)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte("this is not a database, not even close, padding padding padding padding padding padding padding padding"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		want       error
	}{
		{"not a journal", notJournal, ErrNotJournal},
		{"garbage", garbage, nil},
		{"missing", filepath.Join(dir, "missing.db"), os.ErrNotExist},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := VerifyBackup(ctx, tc.path)
			if err == nil {
				t.Fatal("VerifyBackup accepted it")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestRestore_NewerJournalNeedsForce(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	live := filepath.Join(dir, "journal.db")
	j := openAt(t, live, Options{})
	payTx(t, j, "OLD1")
	bk := filepath.Join(dir, "b", BackupName(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)))
	if _, err := Backup(ctx, live, bk); err != nil {
		t.Fatal(err)
	}
	// A sale after the backup makes the live journal newer.
	tx := sampleTx("NEW1")
	tx.CreatedAt, tx.UpdatedAt = time.Now(), time.Now()
	if err := j.CreateTransaction(ctx, tx, pos.Event{Op: "create"}); err != nil {
		t.Fatal(err)
	}
	j.Close()

	_, err := Restore(ctx, bk, live, RestoreOptions{})
	if !errors.Is(err, ErrJournalNewer) {
		t.Fatalf("Restore over a newer journal: got %v, want ErrJournalNewer", err)
	}
	called := false
	rep, err := Restore(ctx, bk, live, RestoreOptions{Force: true, NewIdentity: func(ctx context.Context, db *sql.DB) error {
		called = true
		return nil
	}})
	if err != nil {
		t.Fatalf("Restore --force: %v", err)
	}
	if !called {
		t.Error("Restore did not ask for a new till identity")
	}
	if rep.SetAside == "" {
		t.Fatal("the replaced journal was not kept")
	}
	// The set-aside copy still has the newer sale; the live journal is the backup.
	for _, c := range []struct {
		path string
		code string
		want bool
	}{{live, "NEW1", false}, {live, "OLD1", true}, {rep.SetAside, "NEW1", true}} {
		j2 := openAt(t, c.path, Options{})
		_, err := j2.Get(ctx, pos.ChargeCode(c.code))
		if got := err == nil; got != c.want {
			t.Errorf("%s has %s: got %v, want %v (err %v)", filepath.Base(c.path), c.code, got, c.want, err)
		}
		j2.Close()
	}
	// Restoring the same backup over an equally old journal needs no force.
	if _, err := Restore(ctx, bk, live, RestoreOptions{}); err != nil {
		t.Errorf("Restore over an equal journal: %v", err)
	}
}

func TestPrune_KeepsNewest(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	var names []string
	for i := range 5 {
		p := filepath.Join(dir, BackupName(t0.AddDate(0, 0, i)))
		names = append(names, p)
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	other := filepath.Join(dir, "posterm-keepme.db")
	os.WriteFile(other, nil, 0o600)
	removed, err := Prune(dir, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 3 || removed[0] != names[0] || removed[2] != names[2] {
		t.Errorf("removed %v, want the 3 oldest", removed)
	}
	left, _ := Backups(dir)
	if len(left) != 3 { // the two newest and the file BackupName did not make
		t.Errorf("left %v", left)
	}
}
