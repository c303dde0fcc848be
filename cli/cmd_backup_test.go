package cli

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"posterm/offline"
	"posterm/pos"
)

// TestBackupRestore_Commands: backup after two sales, a third sale, then
// restore refuses the newer journal, restores with --force, keeps the
// replaced journal aside; --keep prunes the oldest backups.
func TestBackupRestore_Commands(t *testing.T) {
	dir := t.TempDir()
	bdir := filepath.Join(t.TempDir(), "bk")
	pay := func(code string) {
		t.Helper()
		if c, _, errs := runCmd(t, "pay", "--demo", "--data-dir", dir, "--amount", "1.00", "--code", code); c != exitDone {
			t.Fatalf("pay: exit %d, stderr %q", c, errs)
		}
	}
	pay("284214903060794755")
	pay("134214903060794712")

	code, out, errs := runCmd(t, "backup", "--demo", "--data-dir", dir, "--to", bdir, "--json")
	if code != exitDone {
		t.Fatalf("backup: exit %d, stderr %q", code, errs)
	}
	var rep offline.BackupReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("backup --json: %v\n%s", err, out)
	}
	if rep.Rows["transactions"] != 2 || filepath.Dir(rep.Path) != bdir {
		t.Errorf("backup report: got %+v, want 2 transactions in %s", rep, bdir)
	}

	pay("284214903060794700")
	code, _, errs = runCmd(t, "restore", "--demo", "--data-dir", dir, rep.Path)
	if code != exitRefused || !strings.Contains(errs, "--force") {
		t.Fatalf("restore over a newer journal: exit %d, want %d; stderr %q", code, exitRefused, errs)
	}
	code, out, errs = runCmd(t, "restore", "--demo", "--data-dir", dir, "--force", rep.Path)
	if code != exitDone || !strings.Contains(out, "before-restore") {
		t.Fatalf("restore --force: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, _ = runCmd(t, "history", "--demo", "--data-dir", dir, "--json")
	if code != exitDone || strings.Count(out, `"charge_code"`) != 2 {
		t.Errorf("history after restore: exit %d, want the 2 sales of the backup:\n%s", code, out)
	}

	// --keep 2 over three more backups leaves two.
	for range 3 {
		if c, _, errs := runCmd(t, "backup", "--demo", "--data-dir", dir, "--to", bdir, "--keep", "2"); c != exitDone {
			t.Fatalf("backup: exit %d, stderr %q", c, errs)
		}
	}
	left, err := offline.Backups(bdir)
	if err != nil || len(left) != 2 {
		t.Errorf("after --keep 2: %v (%v)", left, err)
	}

	if code, _, errs := runCmd(t, "restore", "--demo", "--data-dir", dir, filepath.Join(bdir, "missing.db")); code != exitLocal {
		t.Errorf("restore of a missing file: exit %d, stderr %q", code, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "posterm-demo.db")); err != nil {
		t.Error(err)
	}
}

// TestBackup_WhilePayLoopRuns: `posterm pay` runs in a loop while
// `posterm backup` copies the journal; every copy passes integrity_check
// and holds every charge whose pay had returned before the backup began.
func TestBackup_WhilePayLoopRuns(t *testing.T) {
	dir := t.TempDir()
	bdir := filepath.Join(t.TempDir(), "bk")
	var mu sync.Mutex
	var paid []string // charge codes, in order
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
			code := fmt.Sprintf("28%014d55", 4214903060+i) // 18 digits ending 55: paid (sandbox)
			c, out, errs := runCmd(t, "pay", "--demo", "--data-dir", dir, "--amount", "1.00", "--code", code, "--json")
			if c != exitDone {
				t.Errorf("pay: exit %d, stderr %q", c, errs)
				return
			}
			var tx struct {
				ChargeCode string `json:"charge_code"`
			}
			if err := json.Unmarshal([]byte(out), &tx); err != nil || tx.ChargeCode == "" {
				t.Errorf("pay --json: %v\n%s", err, out)
				return
			}
			mu.Lock()
			paid = append(paid, tx.ChargeCode)
			mu.Unlock()
		}
	}()
	defer func() { close(stop); <-done }()

	for round := 0; round < 3; round++ {
		// Wait (by polling the loop's progress, not a timer) for a new sale.
		for {
			mu.Lock()
			n := len(paid)
			mu.Unlock()
			if n > round {
				break
			}
			select {
			case <-done:
				t.Fatal("the pay loop stopped")
			default:
				runtime.Gosched()
			}
		}
		mu.Lock()
		before := append([]string(nil), paid...)
		mu.Unlock()
		code, out, errs := runCmd(t, "backup", "--demo", "--data-dir", dir, "--to", bdir, "--json")
		if code != exitDone {
			t.Fatalf("backup: exit %d, stderr %q", code, errs)
		}
		var rep offline.BackupReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		j, err := offline.Open(rep.Path, offline.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range before {
			tx, err := j.Get(context.Background(), pos.ChargeCode(c))
			if err != nil || tx.State != pos.StatePaid {
				t.Errorf("copy %d: charge %s paid before the backup: %+v, %v", round, c, tx.State, err)
			}
		}
		j.Close()
	}
}

// TestRestore_NewTillIdentity: a restored journal does not keep the till
// identity of the journal the backup was taken from. (The till table is
// created here if this build's schema lacks it, with the columns the till
// migration gives it.)
func TestRestore_NewTillIdentity(t *testing.T) {
	dir := t.TempDir()
	if c, _, errs := runCmd(t, "pay", "--demo", "--data-dir", dir, "--amount", "1.00", "--code", "284214903060794755"); c != exitDone {
		t.Fatalf("pay: exit %d, stderr %q", c, errs)
	}
	journal := filepath.Join(dir, "posterm-demo.db")
	db, err := sql.Open("sqlite3", journal)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS till (id INTEGER PRIMARY KEY CHECK (id = 1), ident TEXT NOT NULL, binding TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL) STRICT`,
		`INSERT OR IGNORE INTO till (id, ident, binding, created_at, updated_at) VALUES (1, 'T0AB', 'b0', '', '')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	tillRow := func(db *sql.DB) (ident, binding string) {
		t.Helper()
		if err := db.QueryRow("SELECT ident, binding FROM till WHERE id = 1").Scan(&ident, &binding); err != nil {
			t.Fatal(err)
		}
		return ident, binding
	}
	ident0, binding0 := tillRow(db)
	db.Close()

	bdir := t.TempDir()
	code, out, errs := runCmd(t, "backup", "--demo", "--data-dir", dir, "--to", bdir, "--json")
	if code != exitDone {
		t.Fatalf("backup: exit %d, stderr %q", code, errs)
	}
	var rep offline.BackupReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCmd(t, "restore", "--demo", "--data-dir", dir, rep.Path); code != exitDone {
		t.Fatalf("restore: exit %d, stderr %q", code, errs)
	}
	db, err = sql.Open("sqlite3", journal)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ident1, binding1 := tillRow(db)
	// Renewed at once where the journal renews on a changed binding; else
	// the binding no machine has makes the next Open renew it.
	if ident1 == ident0 && binding1 == binding0 {
		t.Errorf("till identity after restore: %s (binding %q), the same as before", ident1, binding1)
	}
}
