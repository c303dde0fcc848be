package offline

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"posterm/pos"
)

var _ pos.DrawerLog = (*Journal)(nil)

// OpenDrawer implements pos.DrawerLog: the opening and its print job (the
// drawer kick) in one durable step.
func (j *Journal) OpenDrawer(ctx context.Context, o pos.DrawerOpening, job pos.PrintJob) (pos.DrawerOpening, error) {
	if o.Who == "" {
		return pos.DrawerOpening{}, fmt.Errorf("open drawer: %w", pos.ErrNoCashier)
	}
	if job.Created.IsZero() {
		job.Created = o.At
	}
	err := j.change(ctx, "open drawer", func(tx *sql.Tx, pub func(pos.FeedEvent)) error {
		id, err := insertJob(ctx, tx, job)
		if err != nil {
			return fmt.Errorf("open drawer: queue the kick: %w", err)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO drawer_openings (at, till, who, role, reason, job_id) VALUES (?, ?, ?, ?, ?, ?)`,
			ts(o.At), o.Till, o.Who, o.Role, o.Reason, id)
		if err != nil {
			return fmt.Errorf("open drawer: %w", err)
		}
		o.JobID = id
		if o.ID, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("open drawer: %w", err)
		}
		pub(pos.FeedEvent{Kind: pos.FeedPrintJob, JobID: id})
		return nil
	})
	if err != nil {
		return pos.DrawerOpening{}, err
	}
	j.log.Info("drawer opened", "op", "drawer", "who", o.Who, "role", o.Role, "job_id", o.JobID)
	return o, nil
}

// DrawerOpenings implements pos.DrawerLog.
func (j *Journal) DrawerOpenings(ctx context.Context, since, until time.Time) ([]pos.DrawerOpening, error) {
	q := `SELECT id, at, till, who, role, reason, job_id FROM drawer_openings WHERE at >= ?`
	args := []any{ts(since)}
	if !until.IsZero() {
		q += ` AND at < ?`
		args = append(args, ts(until))
	}
	return queryAll(ctx, j.db, "drawer openings", func(row scanner) (pos.DrawerOpening, error) {
		var o pos.DrawerOpening
		var tsc timeScanner
		if err := row.Scan(&o.ID, tsc.t(&o.At), &o.Till, &o.Who, &o.Role, &o.Reason, &o.JobID); err != nil {
			return o, err
		}
		return o, tsc.done()
	}, q+` ORDER BY at, id`, args...)
}
