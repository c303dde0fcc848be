package offline

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"posterm/pos"
)

// The print queue (pos.PrintQueue). A job the journal queues itself —
// Change.Receipt, RefundChange.Receipt, EnqueueReceipt — carries a JSON
// snapshot of the pos.Receipt (approver included) written in the same SQL
// transaction as the change it prints; the spooler renders it at print
// time. A job added with Add carries its ESC/POS bytes (reports, test
// pages) or a snapshot. See migrations/0003_printer.sql for the states.

// EnqueueReceipt implements pos.Journal: it queues a print job for the
// charge with a snapshot of what the receipt shows (for a refund receipt,
// the charge's latest done refund). A second job of the same kind for the
// same charge and refund is marked as a reprint. ErrNotFound.
func (j *Journal) EnqueueReceipt(ctx context.Context, code pos.ChargeCode, kind pos.ReceiptKind) error {
	if kind == "" {
		return fmt.Errorf("receipt %s: empty kind", code)
	}
	return j.change(ctx, "receipt "+string(code), func(tx *sql.Tx, pub func(pos.FeedEvent)) error {
		t, err := getTx(ctx, tx, code)
		if err != nil {
			return fmt.Errorf("receipt %s: %w", code, err)
		}
		var r *pos.Refund
		if kind == pos.ReceiptRefund {
			if r, err = latestDoneRefund(ctx, tx, code); err != nil {
				return fmt.Errorf("receipt %s: %w", code, err)
			}
		}
		pub(pos.FeedEvent{Kind: pos.FeedPrintJob, ChargeCode: code})
		return j.queueReceipt(ctx, tx, kind, t, r, j.now())
	})
}

// queueReceipt inserts a print job of kind for t (and r) in tx, with the
// receipt snapshot: the approver of a refund slip is the refund's, of a
// revoke slip the latest approver in the charge's events (the change's
// own event is written first in the same transaction).
func (j *Journal) queueReceipt(ctx context.Context, tx *sql.Tx, kind pos.ReceiptKind, t pos.Transaction, r *pos.Refund, at time.Time) error {
	rec := pos.Receipt{Kind: kind, Transaction: t, Refund: r, PrintedAt: at}
	switch {
	case r != nil:
		rec.Approver = r.Approver
	case kind == pos.ReceiptRevoke:
		err := tx.QueryRowContext(ctx, `SELECT approver FROM events WHERE charge_code = ? AND approver <> ''
			ORDER BY seq DESC LIMIT 1`, string(t.ChargeCode)).Scan(&rec.Approver)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("receipt %s: approver: %w", t.ChargeCode, err)
		}
	}
	no := ""
	if r != nil {
		no = r.OutRefundNo
	}
	var before int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM print_jobs WHERE charge_code = ? AND kind = ? AND out_refund_no = ?`,
		string(t.ChargeCode), string(kind), no).Scan(&before); err != nil {
		return fmt.Errorf("receipt %s: %w", t.ChargeCode, err)
	}
	// The first receipt of a cash sale, and the first slip of a refund of
	// one (the cash goes back out of the drawer), open the drawer; nothing
	// else does, never a reprint.
	rec.Cash = t.Kind == pos.KindCash && (kind == pos.ReceiptSale || kind == pos.ReceiptRefund) && before == 0
	_, err := insertJob(ctx, tx, pos.PrintJob{Kind: kind, ChargeCode: string(t.ChargeCode), OutRefundNo: no,
		Reprint: before > 0, Receipt: &rec, Created: at})
	if err != nil {
		return fmt.Errorf("receipt %s: queue: %w", t.ChargeCode, err)
	}
	return nil
}

func insertJob(ctx context.Context, tx *sql.Tx, job pos.PrintJob) (int64, error) {
	var data, snap any // NULL when absent
	if len(job.Data) > 0 {
		data = job.Data
	}
	if job.Receipt != nil {
		b, err := json.Marshal(job.Receipt)
		if err != nil {
			return 0, fmt.Errorf("snapshot: %w", err)
		}
		snap = string(b)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO print_jobs (kind, charge_code, out_refund_no, reprint, receipt, data, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, string(job.Kind), job.ChargeCode, job.OutRefundNo, job.Reprint, snap, data, ts(job.Created))
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// Add implements pos.PrintQueue: job is stored as a new queued job with
// its Data or Receipt snapshot. Created defaults to now.
func (j *Journal) Add(ctx context.Context, job pos.PrintJob) (int64, error) {
	if job.Kind == "" {
		return 0, fmt.Errorf("add print job: empty kind")
	}
	if job.Created.IsZero() {
		job.Created = j.now()
	}
	var id int64
	err := j.change(ctx, "add print job", func(tx *sql.Tx, pub func(pos.FeedEvent)) error {
		var err error
		if id, err = insertJob(ctx, tx, job); err != nil {
			return fmt.Errorf("add print job: %w", err)
		}
		pub(pos.FeedEvent{Kind: pos.FeedPrintJob, ChargeCode: pos.ChargeCode(job.ChargeCode), JobID: id})
		return nil
	})
	return id, err
}

const jobColumns = `id, kind, charge_code, out_refund_no, reprint, receipt, data, state, attempts,
	last_error, next_attempt_at, created_at, sent_at, printed_at, cut, owed`

func scanJobs(rows *sql.Rows) ([]pos.PrintJob, error) {
	defer rows.Close()
	var out []pos.PrintJob
	for rows.Next() {
		var job pos.PrintJob
		var snap sql.NullString
		var ts timeScanner
		if err := rows.Scan(&job.ID, &job.Kind, &job.ChargeCode, &job.OutRefundNo, &job.Reprint, &snap, &job.Data,
			&job.State, &job.Attempts, &job.LastError, ts.t(&job.NextAttempt), ts.t(&job.Created),
			ts.t(&job.Sent), ts.t(&job.Printed), &job.Cut, &job.Owed); err != nil {
			return nil, err
		}
		if err := ts.done(); err != nil {
			return nil, fmt.Errorf("print job %d: %w", job.ID, err)
		}
		if snap.Valid {
			job.Receipt = new(pos.Receipt)
			if err := json.Unmarshal([]byte(snap.String), job.Receipt); err != nil {
				return nil, fmt.Errorf("print job %d: snapshot: %w", job.ID, err)
			}
		}
		out = append(out, job)
	}
	return out, rows.Err()
}

// Pending implements pos.PrintQueue: queued, sending and failed jobs, by ID.
func (j *Journal) Pending(ctx context.Context) ([]pos.PrintJob, error) {
	rows, err := j.db.QueryContext(ctx, `SELECT `+jobColumns+` FROM print_jobs
		WHERE state NOT IN ('sent', 'printed') ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("pending print jobs: %w", err)
	}
	out, err := scanJobs(rows)
	if err != nil {
		return nil, fmt.Errorf("pending print jobs: %w", err)
	}
	return out, nil
}

// Jobs implements pos.PrintQueue: the newest limit jobs (0: all), newest first.
func (j *Journal) Jobs(ctx context.Context, limit int) ([]pos.PrintJob, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := j.db.QueryContext(ctx, `SELECT `+jobColumns+` FROM print_jobs ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("print jobs: %w", err)
	}
	out, err := scanJobs(rows)
	if err != nil {
		return nil, fmt.Errorf("print jobs: %w", err)
	}
	return out, nil
}

// Reprint implements pos.PrintQueue: the stored snapshot of the newest job
// of code and kind is queued again, marked reprint. ErrNotFound.
func (j *Journal) Reprint(ctx context.Context, code pos.ChargeCode, kind pos.ReceiptKind) (int64, error) {
	var id int64
	err := j.change(ctx, "reprint "+string(code), func(tx *sql.Tx, pub func(pos.FeedEvent)) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+jobColumns+` FROM print_jobs
			WHERE charge_code = ? AND kind = ? AND receipt IS NOT NULL ORDER BY id DESC LIMIT 1`, string(code), string(kind))
		if err != nil {
			return fmt.Errorf("reprint %s: %w", code, err)
		}
		jobs, err := scanJobs(rows)
		if err != nil {
			return fmt.Errorf("reprint %s: %w", code, err)
		}
		if len(jobs) == 0 {
			return fmt.Errorf("reprint %s %s: no receipt: %w", kind, code, pos.ErrNotFound)
		}
		job := jobs[0]
		job.Reprint, job.Created, job.Data = true, j.now(), nil
		id, err = insertJob(ctx, tx, job)
		if err != nil {
			return fmt.Errorf("reprint %s: %w", code, err)
		}
		pub(pos.FeedEvent{Kind: pos.FeedPrintJob, ChargeCode: code, JobID: id})
		return nil
	})
	return id, err
}

// ReceiptOf returns the receipt snapshot of print job id and whether it
// is a reprint. ErrNotFound for an unknown job or one without a snapshot.
func (j *Journal) ReceiptOf(ctx context.Context, id int64) (pos.Receipt, bool, error) {
	rows, err := j.db.QueryContext(ctx, `SELECT `+jobColumns+` FROM print_jobs WHERE id = ?`, id)
	if err != nil {
		return pos.Receipt{}, false, fmt.Errorf("receipt of print job %d: %w", id, err)
	}
	jobs, err := scanJobs(rows)
	if err != nil {
		return pos.Receipt{}, false, fmt.Errorf("receipt of print job %d: %w", id, err)
	}
	if len(jobs) == 0 || jobs[0].Receipt == nil {
		return pos.Receipt{}, false, fmt.Errorf("receipt of print job %d: %w", id, pos.ErrNotFound)
	}
	return *jobs[0].Receipt, jobs[0].Reprint, nil
}

// latestDoneRefund is the charge's most recently settled done refund, nil
// when there is none.
func latestDoneRefund(ctx context.Context, q querier, code pos.ChargeCode) (*pos.Refund, error) {
	x, err := scanRefund(q.QueryRowContext(ctx, "SELECT "+refundColumns+` FROM refunds
		WHERE charge_code = ? AND state = ? ORDER BY updated_at DESC, out_refund_no DESC LIMIT 1`,
		string(code), string(pos.RefundDone)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("latest refund of %s: %w", code, err)
	}
	return &x, nil
}

// MarkSending implements pos.PrintQueue. A done job stays done.
func (j *Journal) MarkSending(ctx context.Context, id int64, at time.Time) error {
	return j.markJob(ctx, id, "sending", `UPDATE print_jobs SET state = 'sending'
		WHERE id = ? AND state NOT IN ('sent', 'printed')`, id)
}

// MarkSent implements pos.PrintQueue: printed when confirmed, else sent;
// the last error and the recovery marks are cleared. A done job keeps its
// first times.
func (j *Journal) MarkSent(ctx context.Context, id int64, at time.Time, confirmed bool) error {
	if at.IsZero() {
		at = j.now()
	}
	state, printed := "sent", ""
	if confirmed {
		state, printed = "printed", ts(at)
	}
	return j.markJob(ctx, id, state, `UPDATE print_jobs SET state = ?, sent_at = ?, printed_at = ?,
		last_error = '', cut = 0, owed = 0 WHERE id = ? AND state NOT IN ('sent', 'printed')`, state, ts(at), printed, id)
}

// MarkFailed implements pos.PrintQueue. A done job stays done (the failure
// is of a late attempt; printing it again would double the receipt).
func (j *Journal) MarkFailed(ctx context.Context, id int64, f pos.PrintFailure) error {
	return j.markJob(ctx, id, "failed", `UPDATE print_jobs SET state = 'failed', attempts = attempts + 1,
		last_error = ?, next_attempt_at = ?, cut = ?, owed = ? WHERE id = ? AND state NOT IN ('sent', 'printed')`,
		f.Reason, ts(f.Next), f.Cut, max(f.Owed, 0), id)
}

// markJob runs one update of job id; no row updated is ErrNotFound unless
// the job exists (and was left alone on purpose).
func (j *Journal) markJob(ctx context.Context, id int64, what, query string, args ...any) error {
	return j.change(ctx, "mark print job "+what, func(tx *sql.Tx, pub func(pos.FeedEvent)) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("mark print job %d %s: %w", id, what, err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 1 {
			pub(pos.FeedEvent{Kind: pos.FeedPrintJob, JobID: id, State: what})
			return nil
		}
		var one int
		err = tx.QueryRowContext(ctx, "SELECT 1 FROM print_jobs WHERE id = ?", id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("print job %d: %w", id, pos.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("print job %d: %w", id, err)
		}
		return nil
	})
}
