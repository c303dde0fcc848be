package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"posterm/offline"
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
