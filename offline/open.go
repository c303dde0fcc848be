// Package offline is posterm's durable journal: every charge, refund, audit
// event and receipt print job, in one SQLite database (mattn/go-sqlite3),
// written before anything leaves the register.
//
// Journal implements pos.Journal and printer.JobStore. Every method that
// writes is one SQL transaction begun IMMEDIATE (writers serialise without
// lock-upgrade deadlocks) and committed with synchronous=FULL in WAL mode, so
// a nil error means the change is on disk and survives a crash at any
// instant; a non-nil error means nothing of it was written. Several
// processes may use the same file at once (the register and `posterm
// reconcile`): SQLite's locks and the busy timeout serialise them, and the
// queue is leased row by row inside those transactions.
//
// The database file and its -wal and -shm are 0600 whatever the umask,
// in a 0700 directory when Open creates it (filemode.go).
//
// Nothing is ever deleted: triggers refuse DELETE on every table and UPDATE
// on the audit log. Only masked payment codes are stored; no password or
// secret ever reaches this package.
//
// The schema is versioned with PRAGMA user_version and migrated forward by
// the embedded migrations/NNNN_name.sql files; a file written by a newer
// binary is refused (ErrSchemaTooNew). Logs use log/slog with subsystem
// "offline".
package offline

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // the "sqlite3" database/sql driver

	"posterm/pos"
	"posterm/printer"
)

var (
	_ pos.Journal      = (*Journal)(nil)
	_ printer.JobStore = (*Journal)(nil)
)

// ErrSchemaTooNew is returned by Open for a database whose schema version is
// newer than this binary knows: it was written by a newer posterm, and
// touching it could corrupt what that version relies on.
var ErrSchemaTooNew = errors.New("journal schema is newer than this posterm")

// ErrUnmaskedCode is returned when a transaction's MaskedCode holds what
// looks like a whole wallet payment code. Nothing is written.
var ErrUnmaskedCode = errors.New("payment code is not masked")

// DefaultBusyTimeout is how long a write waits for another writer (another
// process on the same file) before giving up.
const DefaultBusyTimeout = 5 * time.Second

// Options configures Open. The zero value is usable.
type Options struct {
	// Logger receives the journal's logs (with subsystem=offline);
	// slog.Default() when nil.
	Logger *slog.Logger
	// BusyTimeout bounds the wait for another writer; DefaultBusyTimeout
	// when zero.
	BusyTimeout time.Duration
	// MaxOpenConns bounds the connection pool (readers run in parallel in
	// WAL mode; writers are serialised anyway). 8 when zero.
	MaxOpenConns int
	// Now is the clock for the few times no caller gives one: a Change or
	// RefundChange with a zero At, a job added without Created, a reprint
	// queued by EnqueueReceipt. time.Now when nil.
	Now func() time.Time
}

// Journal is the SQLite journal. It implements pos.Journal and
// printer.JobStore. Its methods are safe for concurrent use, and several
// Journals (in one process or several) may use the same file.
type Journal struct {
	db      *sql.DB
	path    string
	log     *slog.Logger
	now     func() time.Time
	version int
	// wsem serialises this Journal's writers in Go, so they queue on a
	// channel (ctx-aware) rather than in SQLite's sleeping busy handler;
	// other processes are still serialised by SQLite's lock.
	wsem chan struct{}
}

//go:embed migrations/*.sql
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in order. Their numbers must
// run 1, 2, 3… without gaps: the schema version is the count applied.
func migrations() ([]migration, error) {
	files, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []migration
	for i, f := range files {
		base := path.Base(f)
		num, name, ok := strings.Cut(strings.TrimSuffix(base, ".sql"), "_")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n != i+1 {
			return nil, fmt.Errorf("migration %s: want NNNN_name.sql numbered %04d", base, i+1)
		}
		b, err := migrationFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: n, name: name, sql: string(b)})
	}
	return out, nil
}

// SchemaVersion is the schema version this binary migrates to.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

// dsn builds the go-sqlite3 data source name: WAL, synchronous=FULL (fsync
// of the WAL on every commit), foreign keys, the busy timeout, and BEGIN
// IMMEDIATE for every transaction. The driver applies them on every new
// connection of the pool.
func dsn(file string, busy time.Duration) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_foreign_keys", "1")
	q.Set("_busy_timeout", strconv.FormatInt(busy.Milliseconds(), 10))
	q.Set("_txlock", "immediate")
	return file + "?" + q.Encode()
}

// Open opens (creating it if needed) the journal at path and migrates it
// to SchemaVersion. It fails with ErrSchemaTooNew for a newer file.
func Open(path string, opts Options) (*Journal, error) {
	if path == "" || strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") || path == ":memory:" {
		return nil, fmt.Errorf("open journal %q: want a plain file path (no '?' or '#', not in memory)", path)
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = DefaultBusyTimeout
	}
	if opts.MaxOpenConns <= 0 {
		opts.MaxOpenConns = 8
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if err := prepareFile(path, log); err != nil { // modes: filemode.go
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	db, err := sql.Open("sqlite3", dsn(path, opts.BusyTimeout))
	if err != nil {
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	db.SetMaxOpenConns(opts.MaxOpenConns)
	db.SetMaxIdleConns(opts.MaxOpenConns)
	db.SetConnMaxLifetime(0)
	j := &Journal{
		db: db, path: path, now: opts.Now,
		log:  log.With("subsystem", "offline"),
		wsem: make(chan struct{}, 1),
	}
	ctx, cancel := context.WithTimeout(context.Background(), opts.BusyTimeout+30*time.Second)
	defer cancel()
	if err := j.checkPragmas(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	if err := j.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	tightenModes(path, j.log)
	j.log.Info("journal open", "path", path, "schema", j.version)
	return j, nil
}

// checkPragmas verifies that the DSN's settings took: a journal that is not
// really WAL + synchronous=FULL would lose money silently.
func (j *Journal) checkPragmas(ctx context.Context) error {
	var mode string
	var sync, fk int
	if err := j.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("read journal_mode: %w", err)
	}
	if err := j.db.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		return fmt.Errorf("read synchronous: %w", err)
	}
	if err := j.db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		return fmt.Errorf("read foreign_keys: %w", err)
	}
	if !strings.EqualFold(mode, "wal") || sync != 2 || fk != 1 {
		return fmt.Errorf("pragmas not in effect: journal_mode=%s synchronous=%d foreign_keys=%d; want wal, 2 (FULL), 1", mode, sync, fk)
	}
	return nil
}

// migrate applies the missing migrations, each in its own IMMEDIATE
// transaction that re-reads user_version, so two processes opening a new
// file at once migrate it once.
func (j *Journal) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	for {
		var applied *migration
		err := j.write(ctx, "migrate", func(tx *sql.Tx) error {
			var v int
			if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
				return fmt.Errorf("read schema version: %w", err)
			}
			j.version = v
			if v > len(ms) {
				return fmt.Errorf("%w: file has version %d, this binary knows up to %d", ErrSchemaTooNew, v, len(ms))
			}
			if v == len(ms) {
				return nil
			}
			m := ms[v]
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.version, m.name, ts(j.now())); err != nil {
				return fmt.Errorf("migration %04d_%s: record: %w", m.version, m.name, err)
			}
			// user_version lives in the file header and is part of the transaction.
			if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
				return fmt.Errorf("migration %04d_%s: set version: %w", m.version, m.name, err)
			}
			j.version = m.version
			applied = &m
			return nil
		})
		if err != nil {
			return err
		}
		if applied == nil {
			return nil
		}
		j.log.Info("journal migrated", "path", j.path, "version", applied.version, "migration", applied.name)
	}
}

// Close closes the database. Pending writes have all committed or failed
// by the time their methods returned; Close checkpoints nothing by force.
func (j *Journal) Close() error {
	if err := j.db.Close(); err != nil {
		return fmt.Errorf("close journal %s: %w", j.path, err)
	}
	return nil
}

// Path is the database file.
func (j *Journal) Path() string { return j.path }

// IntegrityCheck runs PRAGMA integrity_check and PRAGMA foreign_key_check
// and returns an error describing the first problems found, nil when the
// file is sound.
func (j *Journal) IntegrityCheck(ctx context.Context) error {
	rows, err := j.db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return fmt.Errorf("integrity check: %w", err)
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("integrity check: %w", err)
	}
	fk, err := j.db.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return fmt.Errorf("foreign key check: %w", err)
	}
	for fk.Next() {
		var table, parent string
		var rowid sql.NullInt64
		var idx int
		if err := fk.Scan(&table, &rowid, &parent, &idx); err != nil {
			fk.Close()
			return fmt.Errorf("foreign key check: %w", err)
		}
		problems = append(problems, fmt.Sprintf("%s row %d refers to a missing %s", table, rowid.Int64, parent))
	}
	fk.Close()
	if err := fk.Err(); err != nil {
		return fmt.Errorf("foreign key check: %w", err)
	}
	if len(problems) > 0 {
		if len(problems) > 10 {
			problems = append(problems[:10], "…")
		}
		return fmt.Errorf("journal %s is damaged: %s", j.path, strings.Join(problems, "; "))
	}
	return nil
}

// slowWrite is when a write is logged as slow.
const slowWrite = time.Second

// write runs fn in one IMMEDIATE transaction and commits it; any error
// from fn rolls everything back. Errors from fn are returned as they are
// (they carry the sentinels); storage errors are wrapped with op.
func (j *Journal) write(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	select {
	case j.wsem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", op, ctx.Err())
	}
	defer func() { <-j.wsem }()
	start := time.Now()
	defer func() {
		// Waiting on another process's writer shows here, not as an error.
		if d := time.Since(start); d > slowWrite {
			j.log.Warn("slow journal write", "op", op, "elapsed_ms", d.Milliseconds())
		}
	}()
	tx, err := j.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: begin: %w", op, err)
	}
	if err := fn(tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			j.log.Error("rollback", "op", op, "err", rerr)
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", op, err)
	}
	return nil
}
