package offline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// Backups and restores of the journal.
//
// A backup is taken with SQLite's online backup API
// (sqlite3_backup_step) from a connection that holds a read transaction
// on the live journal: in WAL mode that blocks no writer (a running
// register keeps selling), and the copy is the snapshot of that read
// transaction, so it holds every row committed before Backup began. The
// row counts are read inside the same transaction and compared with the
// copy's, after the copy passes PRAGMA integrity_check. The copy is a
// single self-contained file (journal_mode DELETE), written under a
// temporary name and renamed into place only once verified.

// BackupTables are the tables whose row counts a backup verifies.
var BackupTables = []string{"transactions", "refunds", "events", "series", "print_jobs", "drawer_openings"}

// BackupReport says what a backup or a verification found.
type BackupReport struct {
	Path          string           `json:"path"`           // the copy
	Bytes         int64            `json:"bytes"`          // its size
	SchemaVersion int              `json:"schema_version"` // PRAGMA user_version of the copy
	Rows          map[string]int64 `json:"rows"`           // row count of each of BackupTables
	LastActivity  time.Time        `json:"last_activity"`  // the newest change it holds (zero: empty journal)
}

// ErrNotJournal is returned for a file that is not a posterm journal.
var ErrNotJournal = errors.New("not a posterm journal")

// rawDSN opens a journal file without the journal's own settings: no
// migration, no forced WAL, deferred transactions (a backup only reads).
func rawDSN(file string, busy time.Duration) string {
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(busy.Milliseconds()))
	q.Set("_txlock", "deferred")
	return "file:" + file + "?" + q.Encode()
}

// Backup copies the journal at src to dst with SQLite's online backup API
// while other connections (a running register) keep writing, verifies the
// copy (integrity_check; the row count of every table equals the source's
// at the instant the copy was taken) and only then moves it to dst. dst
// must not exist. On error nothing is left at dst.
func Backup(ctx context.Context, src, dst string) (BackupReport, error) {
	rep := BackupReport{Path: dst}
	if _, err := os.Stat(src); err != nil {
		return rep, fmt.Errorf("backup: journal %s: %w", src, err)
	}
	if _, err := os.Stat(dst); err == nil {
		return rep, fmt.Errorf("backup: %s already exists", dst)
	}
	sdb, err := sql.Open("sqlite3", rawDSN(src, DefaultBusyTimeout))
	if err != nil {
		return rep, fmt.Errorf("backup: open %s: %w", src, err)
	}
	defer sdb.Close()
	sconn, err := sdb.Conn(ctx)
	if err != nil {
		return rep, fmt.Errorf("backup: open %s: %w", src, err)
	}
	defer sconn.Close()

	tmp := dst + ".partial"
	_ = os.Remove(tmp)
	defer os.Remove(tmp) // after a successful rename there is nothing left to remove
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return rep, fmt.Errorf("backup: %w", err)
	}
	ddb, err := sql.Open("sqlite3", rawDSN(tmp, DefaultBusyTimeout))
	if err != nil {
		return rep, fmt.Errorf("backup: create %s: %w", tmp, err)
	}
	defer ddb.Close()
	dconn, err := ddb.Conn(ctx)
	if err != nil {
		return rep, fmt.Errorf("backup: create %s: %w", tmp, err)
	}
	defer dconn.Close()

	// One read transaction on the source: the counts and the copy see the
	// same snapshot.
	if _, err := sconn.ExecContext(ctx, "BEGIN DEFERRED"); err != nil {
		return rep, fmt.Errorf("backup: begin: %w", err)
	}
	want, err := countRows(ctx, sconn)
	if err != nil {
		_, _ = sconn.ExecContext(context.Background(), "ROLLBACK")
		return rep, fmt.Errorf("backup: %w", err)
	}
	err = copyDB(ctx, dconn, sconn)
	_, _ = sconn.ExecContext(context.Background(), "ROLLBACK")
	if err != nil {
		return rep, fmt.Errorf("backup %s: %w", src, err)
	}
	// A backup is one self-contained file: no -wal beside it.
	var mode string
	if err := dconn.QueryRowContext(ctx, "PRAGMA journal_mode=DELETE").Scan(&mode); err != nil {
		return rep, fmt.Errorf("backup: %w", err)
	}
	dconn.Close()
	ddb.Close()

	got, err := VerifyBackup(ctx, tmp)
	if err != nil {
		return rep, fmt.Errorf("backup: the copy failed verification: %w", err)
	}
	for _, t := range BackupTables {
		if got.Rows[t] != want[t] {
			return rep, fmt.Errorf("backup: the copy has %d rows in %s, the journal had %d", got.Rows[t], t, want[t])
		}
	}
	if err := syncFile(tmp); err != nil {
		return rep, fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return rep, fmt.Errorf("backup: %w", err)
	}
	if err := syncFile(filepath.Dir(dst)); err != nil {
		return rep, fmt.Errorf("backup: %w", err)
	}
	got.Path = dst
	return got, nil
}

// copyDB runs the online backup from src into dst, a few hundred pages per
// step so that ctx is honoured.
func copyDB(ctx context.Context, dst, src *sql.Conn) error {
	return dst.Raw(func(d any) error {
		dc, ok := d.(*sqlite3.SQLiteConn)
		if !ok {
			return fmt.Errorf("backup: driver connection is %T", d)
		}
		return src.Raw(func(s any) error {
			sc, ok := s.(*sqlite3.SQLiteConn)
			if !ok {
				return fmt.Errorf("backup: driver connection is %T", s)
			}
			b, err := dc.Backup("main", sc, "main")
			if err != nil {
				return err
			}
			for {
				if err := ctx.Err(); err != nil {
					b.Finish()
					return err
				}
				done, err := b.Step(256)
				if err != nil {
					b.Finish()
					return err
				}
				if done {
					return b.Finish()
				}
			}
		})
	})
}

// VerifyBackup opens the journal copy at path read-only, runs PRAGMA
// integrity_check and counts the rows of BackupTables. It fails with
// ErrNotJournal for a SQLite file that is not a posterm journal and with
// ErrSchemaTooNew for one written by a newer posterm.
func VerifyBackup(ctx context.Context, path string) (BackupReport, error) {
	rep := BackupReport{Path: path}
	fi, err := os.Stat(path)
	if err != nil {
		return rep, err
	}
	rep.Bytes = fi.Size()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return rep, err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return rep, fmt.Errorf("open %s: %w", path, err)
	}
	defer conn.Close()
	var ok string
	if err := conn.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&ok); err != nil {
		return rep, fmt.Errorf("%s: %w", path, err)
	}
	if ok != "ok" {
		return rep, fmt.Errorf("%s: integrity_check: %s", path, ok)
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&rep.SchemaVersion); err != nil {
		return rep, fmt.Errorf("%s: %w", path, err)
	}
	if rep.SchemaVersion > SchemaVersion() {
		return rep, fmt.Errorf("%s: %w (schema %d, this posterm knows %d)", path, ErrSchemaTooNew, rep.SchemaVersion, SchemaVersion())
	}
	if rep.Rows, err = countRows(ctx, conn); err != nil {
		return rep, fmt.Errorf("%s: %w", path, err)
	}
	if rep.LastActivity, err = lastActivity(ctx, conn); err != nil {
		return rep, fmt.Errorf("%s: %w", path, err)
	}
	return rep, nil
}

// countRows counts the rows of each of BackupTables; a missing table is
// ErrNotJournal.
func countRows(ctx context.Context, conn *sql.Conn) (map[string]int64, error) {
	out := make(map[string]int64, len(BackupTables))
	for _, t := range BackupTables {
		var n int64
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM "+t).Scan(&n); err != nil {
			if strings.Contains(err.Error(), "no such table") {
				return nil, fmt.Errorf("%w: no table %s", ErrNotJournal, t)
			}
			return nil, fmt.Errorf("count %s: %w", t, err)
		}
		out[t] = n
	}
	return out, nil
}

// lastActivity is the newest change a journal holds: the latest audit
// event, transaction or refund update (times are fixed-width UTC text).
func lastActivity(ctx context.Context, conn *sql.Conn) (time.Time, error) {
	var s string
	err := conn.QueryRowContext(ctx, `SELECT max(
		(SELECT coalesce(max(at), '') FROM events),
		(SELECT coalesce(max(updated_at), '') FROM transactions),
		(SELECT coalesce(max(updated_at), '') FROM refunds))`).Scan(&s)
	if err != nil {
		return time.Time{}, fmt.Errorf("last activity: %w", err)
	}
	if s == "" {
		return time.Time{}, nil
	}
	return pt(s)
}

// RestoreOptions configures Restore.
type RestoreOptions struct {
	// Force overwrites a journal that holds changes newer than the backup.
	Force bool
	// SetAside, when the target exists, is where its current content is
	// copied first (nothing is ever deleted); "" picks TARGET.before-restore-TIME.
	SetAside string
	// NewIdentity, when set, runs on the restored journal before Restore
	// returns: it must give the journal a new till identity, so that a
	// restored till can never reuse another till's charge codes.
	NewIdentity func(ctx context.Context, db *sql.DB) error
	// Now stamps the set-aside copy's name; time.Now when nil.
	Now func() time.Time
}

// ErrJournalNewer is returned by Restore when the target journal holds
// changes newer than the backup and RestoreOptions.Force is not set.
var ErrJournalNewer = errors.New("the journal holds changes newer than the backup")

// RestoreReport says what Restore did.
type RestoreReport struct {
	From     BackupReport `json:"from"`
	Target   string       `json:"target"`
	SetAside string       `json:"set_aside,omitempty"` // the previous journal's copy, if there was one
}

// Restore replaces the journal at target with the verified backup at from.
// It refuses (ErrJournalNewer) when target holds changes newer than the
// backup, unless opts.Force. An existing target is first backed up to
// opts.SetAside. The content is written with the online backup API into
// the target, so a process that has the target open sees the new content
// rather than a replaced file; the target is then opened once with Open,
// which migrates it to this binary's schema.
func Restore(ctx context.Context, from, target string, opts RestoreOptions) (RestoreReport, error) {
	rep := RestoreReport{Target: target}
	src, err := VerifyBackup(ctx, from)
	if err != nil {
		return rep, fmt.Errorf("restore: %w", err)
	}
	rep.From = src
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if _, err := os.Stat(target); err == nil {
		cur, err := VerifyBackup(ctx, target)
		if err != nil && !opts.Force {
			return rep, fmt.Errorf("restore: the current journal %s cannot be read (%v); give --force to replace it anyway", target, err)
		}
		if err == nil && cur.LastActivity.After(src.LastActivity) && !opts.Force {
			return rep, fmt.Errorf("restore: %w (journal %s last changed %s, backup %s); give --force to replace it",
				ErrJournalNewer, target, cur.LastActivity.UTC().Format(time.RFC3339), src.LastActivity.UTC().Format(time.RFC3339))
		}
		aside := opts.SetAside
		if aside == "" {
			aside = target + ".before-restore-" + opts.Now().UTC().Format(BackupTimeLayout)
			for i := 2; fileExists(aside); i++ {
				aside = fmt.Sprintf("%s.before-restore-%s-%d", target, opts.Now().UTC().Format(BackupTimeLayout), i)
			}
		}
		if _, err := Backup(ctx, target, aside); err != nil {
			if !opts.Force {
				return rep, fmt.Errorf("restore: keeping a copy of the current journal: %w", err)
			}
		} else {
			rep.SetAside = aside
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return rep, fmt.Errorf("restore: %w", err)
	}

	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return rep, fmt.Errorf("restore: %w", err)
	}
	if err := restoreInto(ctx, from, target); err != nil {
		return rep, fmt.Errorf("restore: %w", err)
	}
	j, err := Open(target, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return rep, fmt.Errorf("restore: %w", err)
	}
	if err := j.IntegrityCheck(ctx); err != nil {
		j.Close()
		return rep, fmt.Errorf("restore: %w", err)
	}
	if opts.NewIdentity != nil {
		err := opts.NewIdentity(ctx, j.db)
		j.Close()
		if err != nil {
			return rep, fmt.Errorf("restore: new till identity: %w", err)
		}
		// Open once more: Open is where the journal renews its identity.
		if j, err = Open(target, Options{Logger: slog.New(slog.DiscardHandler)}); err != nil {
			return rep, fmt.Errorf("restore: %w", err)
		}
	}
	return rep, j.Close()
}

// restoreInto copies the backup at from over the database at target with
// the online backup API (target in WAL mode, as the journal wants it).
func restoreInto(ctx context.Context, from, target string) error {
	sdb, err := sql.Open("sqlite3", "file:"+from+"?mode=ro")
	if err != nil {
		return err
	}
	defer sdb.Close()
	sconn, err := sdb.Conn(ctx)
	if err != nil {
		return err
	}
	defer sconn.Close()
	ddb, err := sql.Open("sqlite3", rawDSN(target, DefaultBusyTimeout))
	if err != nil {
		return err
	}
	defer ddb.Close()
	dconn, err := ddb.Conn(ctx)
	if err != nil {
		return err
	}
	defer dconn.Close()
	if err := copyDB(ctx, dconn, sconn); err != nil {
		return err
	}
	var mode string
	return dconn.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode)
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// syncFile fsyncs a file or a directory.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Backups lists the backup files in dir written by the backup command
// (posterm-YYYYMMDDTHHMMSS.mmmZ.db), oldest first.
func Backups(dir string) ([]string, error) {
	m, err := filepath.Glob(filepath.Join(dir, BackupPrefix+"*"+BackupSuffix))
	if err != nil {
		return nil, err
	}
	// The names carry a fixed-width UTC time: name order is time order.
	out := m[:0]
	for _, p := range m {
		if !strings.HasSuffix(p, ".partial") {
			out = append(out, p)
		}
	}
	return out, nil
}

// Backup file names: BackupPrefix + UTC time "20060102T150405.000Z" (fixed width: name order is time order) + BackupSuffix.
const (
	BackupPrefix     = "posterm-"
	BackupSuffix     = ".db"
	BackupTimeLayout = "20060102T150405.000Z"
)

// BackupName is the file name of a backup taken at t.
func BackupName(t time.Time) string {
	return BackupPrefix + t.UTC().Format(BackupTimeLayout) + BackupSuffix
}

// BackupTime reads the time from a backup file name; ok is false for a
// name BackupName did not make.
func BackupTime(name string) (time.Time, bool) {
	base := filepath.Base(name)
	if !strings.HasPrefix(base, BackupPrefix) || !strings.HasSuffix(base, BackupSuffix) {
		return time.Time{}, false
	}
	t, err := time.Parse(BackupTimeLayout, strings.TrimSuffix(strings.TrimPrefix(base, BackupPrefix), BackupSuffix))
	return t, err == nil
}

// Prune removes the oldest backups in dir so that at most keep remain,
// and returns the removed paths. Only files BackupName made are touched.
func Prune(dir string, keep int) ([]string, error) {
	all, err := Backups(dir)
	if err != nil {
		return nil, err
	}
	var named []string
	for _, p := range all {
		if _, ok := BackupTime(p); ok {
			named = append(named, p)
		}
	}
	var removed []string
	for len(named) > keep {
		if err := os.Remove(named[0]); err != nil {
			return removed, err
		}
		removed = append(removed, named[0])
		named = named[1:]
	}
	return removed, nil
}

// Health is what `posterm doctor` reports about a journal file.
type Health struct {
	Report          BackupReport // integrity ok, rows, schema, last activity
	Unsettled       int          // charges and refunds whose outcome is not final yet
	OldestUnsettled time.Time    // creation of the oldest of them (zero when none)
	TillID          string       // the till identity in charge codes ("" before the till's first start)
}

// Inspect opens the journal at path read-only, checks its integrity and
// counts its unsettled charges and refunds. It changes nothing.
func Inspect(ctx context.Context, path string) (Health, error) {
	var h Health
	rep, err := VerifyBackup(ctx, path)
	h.Report = rep
	if err != nil {
		return h, err
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return h, err
	}
	defer db.Close()
	var oldest string
	err = db.QueryRowContext(ctx, `SELECT count(*), coalesce(min(created_at), '') FROM (
		SELECT created_at FROM transactions WHERE unsettled = 1
		UNION ALL SELECT created_at FROM refunds WHERE unsettled = 1)`).Scan(&h.Unsettled, &oldest)
	if err != nil {
		return h, fmt.Errorf("%s: unsettled: %w", path, err)
	}
	if oldest != "" {
		if h.OldestUnsettled, err = pt(oldest); err != nil {
			return h, fmt.Errorf("%s: unsettled: %w", path, err)
		}
	}
	err = db.QueryRowContext(ctx, "SELECT ident FROM till WHERE id = 1").Scan(&h.TillID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return h, fmt.Errorf("%s: till identity: %w", path, err)
	}
	return h, nil
}
