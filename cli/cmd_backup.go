package cli

import (
	"flag"
	"fmt"
	"path/filepath"
	"time"

	"posterm/config"
	"posterm/offline"
)

func init() {
	register(command{
		name:    "backup",
		summary: "copy the journal (online, while the register runs), verify the copy, keep the last N",
		runEnv:  runBackup,
	})
}

// defaultKeepBackups is how many backups `posterm backup` keeps.
const defaultKeepBackups = 14

// backupDir is where backups go without --to: "backups" beside the journal.
// `posterm doctor` looks there for the last backup's age.
func backupDir(cfg config.Config) string {
	return filepath.Join(filepath.Dir(cfg.Journal.Path), "backups")
}

func runBackup(e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	fs := flag.NewFlagSet("posterm backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	com := addCommon(fs)
	to := fs.String("to", "", "directory of the backups (default: backups/ beside the journal)")
	keep := fs.Int("keep", defaultKeepBackups, "keep this many backups in the directory, the newest")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: posterm backup [--to DIR] [--keep N] [--json]

Copies the journal to DIR/posterm-YYYYMMDDTHHMMSS.mmmZ.db with SQLite's online
backup API: a running register keeps selling meanwhile, and the copy holds
every change committed before the backup began. The copy is checked
(integrity_check, the row count of every table) before it is kept; then
the oldest backups beyond --keep are removed. posterm-backup.timer runs it
nightly on an installed till. Restore one with: posterm restore FILE

Flags:
`)
		fs.PrintDefaults()
	}
	if code, failed := flagsFailed(fs.Parse(args)); failed {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(stderr, "backup", fmt.Sprintf("unexpected argument %q", fs.Arg(0)), fs.Usage)
	}
	if *keep < 1 {
		return usageError(stderr, "backup", "--keep: want at least 1", fs.Usage)
	}
	cfg, err := com.load()
	if err != nil {
		return fail(stderr, "backup", err)
	}
	dir := *to
	if dir == "" {
		dir = backupDir(cfg)
	}
	ctx, stop := e.interruptContext()
	defer stop()
	rep, err := offline.Backup(ctx, cfg.Journal.Path, filepath.Join(dir, offline.BackupName(time.Now())))
	if err != nil {
		return fail(stderr, "backup", err)
	}
	removed, err := offline.Prune(dir, *keep)
	if err != nil {
		return fail(stderr, "backup", fmt.Errorf("removing old backups: %w", err))
	}
	if com.jsonOut {
		if err := writeJSON(stdout, struct {
			offline.BackupReport
			Removed []string `json:"removed"`
		}{rep, append([]string{}, removed...)}); err != nil {
			return fail(stderr, "backup", err)
		}
		return exitDone
	}
	fmt.Fprintf(stdout, "backup %s: %d bytes, %d transactions, %d refunds, %d events; integrity ok\n",
		rep.Path, rep.Bytes, rep.Rows["transactions"], rep.Rows["refunds"], rep.Rows["events"])
	for _, r := range removed {
		fmt.Fprintf(stdout, "removed old backup %s\n", r)
	}
	return exitDone
}
