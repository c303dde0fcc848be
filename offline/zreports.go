package offline

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"posterm/pos"
)

// CloseZ implements pos.ZStore: z is stored as the till's next Z report,
// with its print job and its outbox event (FeedZReport), in one
// transaction. ErrStale when z.Number is not the last plus one or z.Since
// not the last one's Until.
func (j *Journal) CloseZ(ctx context.Context, z pos.ZReport, job *pos.PrintJob) error {
	if z.Till == "" || z.Number < 1 || z.Until.IsZero() {
		return fmt.Errorf("close Z: want a till, a number and an end")
	}
	b, err := json.Marshal(z)
	if err != nil {
		return fmt.Errorf("close Z %d: %w", z.Number, err)
	}
	return j.change(ctx, "close Z", func(tx *sql.Tx, pub func(pos.FeedEvent)) error {
		last, err := lastZ(ctx, tx, z.Till)
		switch {
		case errors.Is(err, pos.ErrNotFound):
			last = pos.ZReport{}
		case err != nil:
			return err
		}
		if z.Number != last.Number+1 || !z.Since.Equal(last.Until) {
			return fmt.Errorf("close Z %d of %s: %w: the last is %d", z.Number, z.Till, pos.ErrStale, last.Number)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO z_reports (till, number, since, until, closed_by, report, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, z.Till, z.Number, ts(z.Since), ts(z.Until), z.ClosedBy, string(b), ts(j.now())); err != nil {
			return fmt.Errorf("close Z %d of %s: %w", z.Number, z.Till, err)
		}
		if job != nil {
			if job.Created.IsZero() {
				job.Created = j.now()
			}
			if _, err := insertJob(ctx, tx, *job); err != nil {
				return fmt.Errorf("close Z %d of %s: print job: %w", z.Number, z.Till, err)
			}
		}
		// For the store hub (the outbox): the manager's page lists Z reports.
		pub(pos.FeedEvent{Kind: pos.FeedZReport, State: strconv.Itoa(z.Number), Note: fmt.Sprintf("Z %d of %s", z.Number, z.Till)})
		return nil
	})
}

// LastZ implements pos.ZStore.
func (j *Journal) LastZ(ctx context.Context, till string) (pos.ZReport, error) {
	return lastZ(ctx, j.db, till)
}

// GetZ implements pos.ZStore.
func (j *Journal) GetZ(ctx context.Context, till string, n int) (pos.ZReport, error) {
	return scanZ(j.db.QueryRowContext(ctx, "SELECT report FROM z_reports WHERE till = ? AND number = ?", till, n), till)
}

func lastZ(ctx context.Context, q querier, till string) (pos.ZReport, error) {
	return scanZ(q.QueryRowContext(ctx, "SELECT report FROM z_reports WHERE till = ? ORDER BY number DESC LIMIT 1", till), till)
}

func scanZ(row *sql.Row, till string) (pos.ZReport, error) {
	var s string
	err := row.Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return pos.ZReport{}, fmt.Errorf("Z report of %s: %w", till, pos.ErrNotFound)
	}
	if err != nil {
		return pos.ZReport{}, fmt.Errorf("Z report of %s: %w", till, err)
	}
	var z pos.ZReport
	if err := json.Unmarshal([]byte(s), &z); err != nil {
		return pos.ZReport{}, fmt.Errorf("Z report of %s: %w", till, err)
	}
	return z, nil
}
