package offline

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"posterm/pos"
	"posterm/printer"
)

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

// queueReceipt inserts a print job of kind for t (and r) in tx.
func (j *Journal) queueReceipt(ctx context.Context, tx *sql.Tx, kind pos.ReceiptKind, t pos.Transaction, r *pos.Refund, at time.Time) error {
	rec := pos.Receipt{Kind: kind, Transaction: t, Refund: r}
	snap, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("receipt %s: snapshot: %w", t.ChargeCode, err)
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
	if _, err := tx.ExecContext(ctx, `INSERT INTO print_jobs (kind, charge_code, out_refund_no, reprint, receipt, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, string(kind), string(t.ChargeCode), no, before > 0, string(snap), ts(at)); err != nil {
		return fmt.Errorf("receipt %s: queue: %w", t.ChargeCode, err)
	}
	return nil
}

// Add implements printer.JobStore: job is stored as a new queued job, its
// Data as given (a job without Data is rendered by the spooler at print
// time). Created defaults to now.
func (j *Journal) Add(ctx context.Context, job printer.Job) (int64, error) {
	if job.Kind == "" {
		return 0, fmt.Errorf("add print job: empty kind")
	}
	if job.Created.IsZero() {
		job.Created = j.now()
	}
	var data any // NULL when there are no bytes
	if len(job.Data) > 0 {
		data = job.Data
	}
	var id int64
	err := j.change(ctx, "add print job", func(tx *sql.Tx, pub func(pos.FeedEvent)) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO print_jobs (kind, charge_code, reprint, data, created_at)
			VALUES (?, ?, ?, ?, ?)`, string(job.Kind), job.ChargeCode, job.Reprint, data, ts(job.Created))
		if err != nil {
			return fmt.Errorf("add print job: %w", err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		pub(pos.FeedEvent{Kind: pos.FeedPrintJob, ChargeCode: pos.ChargeCode(job.ChargeCode), JobID: id})
		return nil
	})
	return id, err
}

// Pending implements printer.JobStore: the jobs not printed yet, by ID.
// A job the journal queued itself has no Data; the spooler renders it at
// print time from ReceiptOf(job.ID).
func (j *Journal) Pending(ctx context.Context) ([]printer.Job, error) {
	rows, err := j.db.QueryContext(ctx, `SELECT id, kind, charge_code, reprint, data, state, attempts,
		last_error, next_attempt_at, created_at, printed_at FROM print_jobs WHERE state <> 'printed' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("pending print jobs: %w", err)
	}
	defer rows.Close()
	var out []printer.Job
	for rows.Next() {
		var job printer.Job
		var ts timeScanner
		if err := rows.Scan(&job.ID, &job.Kind, &job.ChargeCode, &job.Reprint, &job.Data, &job.State,
			&job.Attempts, &job.LastError, ts.t(&job.NextAttempt), ts.t(&job.Created), ts.t(&job.Printed)); err != nil {
			return nil, fmt.Errorf("pending print jobs: %w", err)
		}
		if err := ts.done(); err != nil {
			return nil, fmt.Errorf("pending print job %d: %w", job.ID, err)
		}
		out = append(out, job)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pending print jobs: %w", err)
	}
	return out, nil
}

// ReceiptOf returns what print job id shows, for the spooler's renderer
// (printer.SpoolerConfig.Render): the snapshot taken when the journal queued
// it — the charge as it stood after the change, and for a refund slip the
// refund it is about — and whether it is a reprint. For a job added without
// a snapshot (Add with a charge code and no Data) it is built from the
// charge as it stands now. ErrJobNotFound; pos.ErrNotFound when the job
// names no charge the journal knows.
func (j *Journal) ReceiptOf(ctx context.Context, id int64) (r pos.Receipt, reprint bool, err error) {
	var kind, code string
	var snap sql.NullString
	err = j.db.QueryRowContext(ctx, "SELECT kind, charge_code, reprint, receipt FROM print_jobs WHERE id = ?", id).
		Scan(&kind, &code, &reprint, &snap)
	if errors.Is(err, sql.ErrNoRows) {
		return pos.Receipt{}, false, fmt.Errorf("receipt of print job %d: %w", id, printer.ErrJobNotFound)
	}
	if err != nil {
		return pos.Receipt{}, false, fmt.Errorf("receipt of print job %d: %w", id, err)
	}
	if snap.Valid {
		if err := json.Unmarshal([]byte(snap.String), &r); err != nil {
			return pos.Receipt{}, false, fmt.Errorf("receipt of print job %d: snapshot: %w", id, err)
		}
		return r, reprint, nil
	}
	t, err := getTx(ctx, j.db, pos.ChargeCode(code))
	if err != nil {
		return pos.Receipt{}, false, fmt.Errorf("receipt of print job %d: charge %q: %w", id, code, err)
	}
	r = pos.Receipt{Kind: pos.ReceiptKind(kind), Transaction: t}
	if r.Kind == pos.ReceiptRefund {
		if r.Refund, err = latestDoneRefund(ctx, j.db, t.ChargeCode); err != nil {
			return pos.Receipt{}, false, fmt.Errorf("receipt of print job %d: %w", id, err)
		}
	}
	return r, reprint, nil
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

// MarkPrinted implements printer.JobStore. A job already printed keeps
// its first print time. ErrJobNotFound.
func (j *Journal) MarkPrinted(ctx context.Context, id int64, at time.Time) error {
	if at.IsZero() {
		at = j.now()
	}
	return j.change(ctx, "mark print job printed", func(tx *sql.Tx, pub func(pos.FeedEvent)) error {
		res, err := tx.ExecContext(ctx, `UPDATE print_jobs SET state = 'printed', printed_at = ?
			WHERE id = ? AND state <> 'printed'`, ts(at), id)
		if err != nil {
			return fmt.Errorf("mark print job %d printed: %w", id, err)
		}
		pub(pos.FeedEvent{Kind: pos.FeedPrintJob, JobID: id, State: "printed"})
		return jobTouched(ctx, tx, res, id)
	})
}

// MarkFailed implements printer.JobStore. A job already printed stays
// printed (the failure is of a late attempt; printing it again would
// double the receipt). ErrJobNotFound.
func (j *Journal) MarkFailed(ctx context.Context, id int64, reason string, next time.Time) error {
	return j.change(ctx, "mark print job failed", func(tx *sql.Tx, pub func(pos.FeedEvent)) error {
		res, err := tx.ExecContext(ctx, `UPDATE print_jobs SET state = 'failed', attempts = attempts + 1,
			last_error = ?, next_attempt_at = ? WHERE id = ? AND state <> 'printed'`, reason, ts(next), id)
		if err != nil {
			return fmt.Errorf("mark print job %d failed: %w", id, err)
		}
		pub(pos.FeedEvent{Kind: pos.FeedPrintJob, JobID: id, State: "failed"})
		return jobTouched(ctx, tx, res, id)
	})
}

// jobTouched turns "no row updated" into ErrJobNotFound unless the job
// exists (and was left alone on purpose).
func jobTouched(ctx context.Context, tx *sql.Tx, res sql.Result, id int64) error {
	if n, err := res.RowsAffected(); err == nil && n == 1 {
		return nil
	}
	var one int
	err := tx.QueryRowContext(ctx, "SELECT 1 FROM print_jobs WHERE id = ?", id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("print job %d: %w", id, printer.ErrJobNotFound)
	}
	if err != nil {
		return fmt.Errorf("print job %d: %w", id, err)
	}
	return nil
}
