// Package offline is posterm's durable journal: every charge, refund, audit
// event and receipt print job, in one SQLite database (mattn/go-sqlite3),
// written before anything leaves the register.
//
// Journal implements pos.Journal and pos.PrintQueue. Every method that
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
// The journal also holds the till identity (till.go: random, bound to the
// machine, renewed on a copy; part of every charge code), enforces the sale
// gate in the transaction that creates an attempt (transactions.go:
// checkSaleGate), and is a pos.ChangeFeed (feed.go: every committed change
// published after its commit; other processes' changes announced as
// resyncs).
//
// The schema is versioned with PRAGMA user_version and migrated forward by
// the embedded migrations/NNNN_name.sql files; a file written by a newer
// binary is refused (ErrSchemaTooNew). Logs use log/slog with subsystem
// "offline".
package offline

import (
	"context"
	"database/sql"
	"database/sql/driver"
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
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3"

	"posterm/pos"
)

var (
	_ pos.Journal    = (*Journal)(nil)
	_ pos.PrintQueue = (*Journal)(nil)
	_ pos.ZStore     = (*Journal)(nil)
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
	// Binding returns what binds the till identity to this machine (see
	// MachineBinding); MachineBinding("/") when nil. Tests inject a
	// "machine" here.
	Binding func() (string, error)
	// Clock drives the change feed's poller; pos.SystemClock() when nil.
	Clock pos.Clock
	// FeedPoll is how often the feed looks for other processes' changes
	// (once someone subscribed); DefaultFeedPoll when zero.
	FeedPoll time.Duration
}

// Journal is the SQLite journal. It implements pos.Journal and
// pos.PrintQueue. Its methods are safe for concurrent use, and several
// Journals (in one process or several) may use the same file.
type Journal struct {
	db      *sql.DB
	path    string
	log     *slog.Logger
	now     func() time.Time
	version int
	// writes queue for the single committer goroutine (commit), so this
	// Journal's writers wait on a channel (ctx-aware) rather than in
	// SQLite's sleeping busy handler, and are group-committed; other
	// processes are still serialised by SQLite's lock.
	writes        chan *writeReq
	closed        chan struct{}
	closeOnce     sync.Once // ends the committer, the feed and its poller once
	committerDone chan struct{}
	// commits counts the SQL transactions committed through this Journal's
	// connections (the commit hook; reads in autocommit mode commit nothing).
	commits atomic.Int64

	till string // the till identity, read at Open

	// The change feed (feed.go).
	feed        pos.Feed
	writer      string // this Journal's row in feed_writers
	clock       pos.Clock
	feedPoll    time.Duration
	pollOnce    sync.Once
	pollStarted bool
	pollStop    chan struct{}
	pollDone    chan struct{}
}

// Commits is the number of SQL transactions this Journal has committed:
// each one is a durable write (one fsync of the WAL with synchronous=FULL).
func (j *Journal) Commits() int64 { return j.commits.Load() }

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
	// Every connection keeps its prepared statements: the journal's few
	// statements are prepared once per connection, not once per call.
	q.Set("_stmt_cache_size", strconv.Itoa(stmtCacheSize))
	return file + "?" + q.Encode()
}

// stmtCacheSize bounds the prepared statements each connection keeps (the
// journal uses a few dozen distinct texts).
const stmtCacheSize = 64

// connector opens connections of one Journal with the journal's own hooks:
// a commit hook counts commits, so a test can prove that a state change is
// exactly one durable commit.
type connector struct {
	drv *sqlite3.SQLiteDriver
	dsn string
}

func (c connector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c connector) Driver() driver.Driver                        { return c.drv }

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
	if opts.Binding == nil {
		opts.Binding = func() (string, error) { return MachineBinding("/") }
	}
	if opts.Clock == nil {
		opts.Clock = pos.SystemClock()
	}
	if opts.FeedPoll <= 0 {
		opts.FeedPoll = DefaultFeedPoll
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if err := prepareFile(path, log); err != nil { // modes: filemode.go
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	j := &Journal{path: path, now: opts.Now, log: log.With("subsystem", "offline"),
		writes: make(chan *writeReq), closed: make(chan struct{}), committerDone: make(chan struct{}),
		writer: newWriterID(), clock: opts.Clock, feedPoll: opts.FeedPoll,
		pollStop: make(chan struct{}), pollDone: make(chan struct{})}
	drv := &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		c.RegisterCommitHook(func() int { j.commits.Add(1); return 0 })
		return nil
	}}
	db := sql.OpenDB(connector{drv: drv, dsn: dsn(path, opts.BusyTimeout)})
	j.db = db
	go j.commit()
	db.SetMaxOpenConns(opts.MaxOpenConns)
	db.SetMaxIdleConns(opts.MaxOpenConns)
	db.SetConnMaxLifetime(0)
	ctx, cancel := context.WithTimeout(context.Background(), opts.BusyTimeout+30*time.Second)
	defer cancel()
	if err := j.checkPragmas(ctx); err != nil {
		j.stopCommitter()
		db.Close()
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	if err := j.migrate(ctx); err != nil {
		j.stopCommitter()
		db.Close()
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	binding, err := opts.Binding()
	if err != nil {
		j.log.Warn("till identity: cannot read the machine binding", "err", err)
		binding = ""
	}
	if err := j.initTill(ctx, binding); err != nil {
		j.stopCommitter()
		db.Close()
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	tightenModes(path, j.log)
	j.log.Info("journal open", "path", path, "schema", j.version, "till_id", j.till)
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
	j.closeOnce.Do(func() {
		j.pollOnce.Do(func() {}) // no poller may start after this
		close(j.pollStop)
		if j.pollStarted {
			<-j.pollDone
		}
		j.feed.Close()
		close(j.closed)
	})
	<-j.committerDone
	if err := j.db.Close(); err != nil {
		return fmt.Errorf("close journal %s: %w", j.path, err)
	}
	return nil
}

// stopCommitter ends the committer after the group it is committing; writes
// still waiting to be taken fail as closed.
func (j *Journal) stopCommitter() {
	j.closeOnce.Do(func() { close(j.closed) })
	<-j.committerDone
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

// maxGroup bounds how many writes one commit carries.
const maxGroup = 64

// writeReq is one write waiting for the committer.
type writeReq struct {
	ctx  context.Context
	op   string
	fn   func(tx *sql.Tx) error
	done chan error
}

// write runs fn in an IMMEDIATE transaction and commits it; any error from
// fn rolls back everything fn did. Errors from fn are returned as they are
// (they carry the sentinels); storage errors are wrapped with op. When it
// returns nil, fn's writes are durable; otherwise none of them happened.
//
// Writes of this Journal are group-committed: one goroutine (commit) runs
// the writes that queued while the previous commit was on its way to disk
// in one SQL transaction, each inside its own SAVEPOINT, so a write that
// fails is rolled back alone and the others still commit together — every
// write stays atomic and audited, and N concurrent writers pay for one
// fsync instead of N. Once queued, a write is waited for even if ctx ends:
// the caller must learn whether it happened.
func (j *Journal) write(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	req := &writeReq{ctx: ctx, op: op, fn: fn, done: make(chan error, 1)}
	select {
	case j.writes <- req:
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", op, ctx.Err())
	case <-j.closed:
		return fmt.Errorf("%s: journal %s is closed", op, j.path)
	}
	return <-req.done
}

// commit is the Journal's single writer: it takes the first waiting write,
// every other one already queued (up to maxGroup), and commits them as one.
func (j *Journal) commit() {
	defer close(j.committerDone)
	for {
		var first *writeReq
		select {
		case first = <-j.writes:
		case <-j.closed:
			return
		}
		group := []*writeReq{first}
	more:
		for len(group) < maxGroup {
			select {
			case r := <-j.writes:
				group = append(group, r)
			default:
				break more
			}
		}
		j.commitGroup(group)
	}
}

// commitGroup runs group in one transaction, each write in a savepoint.
func (j *Journal) commitGroup(group []*writeReq) {
	start := time.Now()
	defer func() {
		// Waiting on another process's writer shows here, not as an error.
		if d := time.Since(start); d > slowWrite {
			j.log.Warn("slow journal write", "op", group[0].op, "writes", len(group), "elapsed_ms", d.Milliseconds())
		}
	}()
	failAll := func(err error) {
		for _, r := range group {
			r.done <- fmt.Errorf("%s: %w", r.op, err)
		}
	}
	// The transaction is not bound to any one caller's context: a caller
	// that gives up must not roll back the others.
	tx, err := j.db.BeginTx(context.Background(), nil)
	if err != nil {
		failAll(fmt.Errorf("begin: %w", err))
		return
	}
	results := make([]error, len(group))
	ok := 0
	for i, r := range group {
		if err := r.ctx.Err(); err != nil {
			results[i] = fmt.Errorf("%s: %w", r.op, err)
			continue
		}
		if len(group) == 1 {
			results[i] = r.fn(tx)
		} else {
			results[i] = j.inSavepoint(tx, r.fn)
		}
		if errors.Is(results[i], errGroupBroken) {
			if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
				j.log.Error("rollback", "op", r.op, "err", rerr)
			}
			failAll(results[i])
			return
		}
		if results[i] == nil {
			ok++
		}
	}
	if ok == 0 {
		if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			j.log.Error("rollback", "op", group[0].op, "err", rerr)
		}
	} else if err := tx.Commit(); err != nil {
		// Nothing of the group is on disk.
		failAll(fmt.Errorf("commit: %w", err))
		return
	}
	for i, r := range group {
		r.done <- results[i]
	}
}

// errGroupBroken: a savepoint could not be rolled back, so the whole
// transaction is in doubt and the group fails as one.
var errGroupBroken = errors.New("journal transaction broken")

// inSavepoint runs fn inside a savepoint of tx and undoes it alone when fn
// fails.
func (j *Journal) inSavepoint(tx *sql.Tx, fn func(tx *sql.Tx) error) error {
	if _, err := tx.Exec("SAVEPOINT w"); err != nil {
		return fmt.Errorf("%w: savepoint: %v", errGroupBroken, err)
	}
	ferr := fn(tx)
	if ferr != nil {
		if _, err := tx.Exec("ROLLBACK TO w"); err != nil {
			return fmt.Errorf("%w: rollback to savepoint: %v (after %v)", errGroupBroken, err, ferr)
		}
	}
	if _, err := tx.Exec("RELEASE w"); err != nil {
		return fmt.Errorf("%w: release savepoint: %v", errGroupBroken, err)
	}
	return ferr
}
