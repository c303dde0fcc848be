package cli

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"

	"posterm/offline"
)

func init() {
	register(command{
		name:    "restore",
		summary: "put a backup back as the journal (refuses a newer journal without --force)",
		runEnv:  runRestore,
	})
}

func runRestore(e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	fs := flag.NewFlagSet("posterm restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	com := addCommon(fs)
	force := fs.Bool("force", false, "replace the journal even when it holds changes newer than the backup")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: posterm restore [--force] [--json] FILE

Verifies the backup FILE (integrity_check, a posterm journal no newer than
this posterm) and makes it the journal of [journal] path. The journal in
place is first copied to PATH.before-restore-TIME: nothing is lost. A
journal holding changes newer than the backup is refused unless --force.
The restored journal gets a new till identity, so this till can never
issue a charge code another till (or its own past) already used.
Stop the register first: systemctl stop posterm.

Flags:
`)
		fs.PrintDefaults()
	}
	if code, failed := flagsFailed(fs.Parse(args)); failed {
		return code
	}
	if fs.NArg() != 1 {
		return usageError(stderr, "restore", "want exactly one backup FILE", fs.Usage)
	}
	cfg, err := com.load()
	if err != nil {
		return fail(stderr, "restore", err)
	}
	ctx, stop := e.interruptContext()
	defer stop()
	rep, err := offline.Restore(ctx, fs.Arg(0), cfg.Journal.Path, offline.RestoreOptions{
		Force: *force, NewIdentity: resetTillIdentity,
	})
	if err != nil {
		if errors.Is(err, offline.ErrJournalNewer) {
			fmt.Fprintf(stderr, "posterm restore: %v\n", err)
			return exitRefused
		}
		return fail(stderr, "restore", err)
	}
	if com.jsonOut {
		if err := writeJSON(stdout, rep); err != nil {
			return fail(stderr, "restore", err)
		}
		return exitDone
	}
	fmt.Fprintf(stdout, "restored %s (%d transactions, %d refunds, last change %s) as %s\n",
		rep.From.Path, rep.From.Rows["transactions"], rep.From.Rows["refunds"],
		rep.From.LastActivity.UTC().Format("2006-01-02 15:04:05Z"), rep.Target)
	if rep.SetAside != "" {
		fmt.Fprintf(stdout, "the previous journal is kept as %s\n", rep.SetAside)
	}
	fmt.Fprintln(stdout, "this till takes a new till identity for its next charge codes")
	return exitDone
}

// tillIdentityTable is the journal table that holds the till identity
// (branch till's migration: one row, id 1, with ident and binding).
const tillIdentityTable = "till"

// restoredBinding is the machine binding a restored journal is given: no
// machine has it, so the next Open renews the till identity (audited in
// till_history, logged) exactly as for a journal copied to another machine.
const restoredBinding = "restored from a backup"

// resetTillIdentity gives a restored journal a new till identity, so that
// it can never reissue the charge codes (and OUT_REFUND_NOs) that the till
// the backup came from already used: it invalidates the stored machine
// binding, and offline.Restore then opens the journal once more, which
// renews the identity. A journal without the till table (written before
// till identities existed) has nothing to reset.
//
// MERGE: when the journal gains an API to renew the identity with a reason
// (e.g. Journal.RenewTill(ctx, "restored from a backup")), call it here
// instead, so that till_history says why.
func resetTillIdentity(ctx context.Context, db *sql.DB) error {
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?", tillIdentityTable).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	_, err := db.ExecContext(ctx, "UPDATE "+tillIdentityTable+" SET binding = ? WHERE id = 1", restoredBinding)
	return err
}
