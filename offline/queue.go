package offline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"posterm/pos"
)

// Claim implements pos.Journal. The due rows are picked and leased in one
// IMMEDIATE transaction: a second Claim — from this Journal, another one, or
// another process — waits for the write lock and then sees the leases, so
// no two Claims ever return the same item.
func (j *Journal) Claim(ctx context.Context, r pos.ClaimRequest) ([]pos.WorkItem, error) {
	if r.Owner == "" || r.Limit <= 0 || r.Lease <= 0 {
		return nil, fmt.Errorf("claim: owner, a positive limit and a positive lease are required")
	}
	now, until := ts(r.Now), ts(r.Now.Add(r.Lease))
	if now == "" {
		return nil, fmt.Errorf("claim: Now is required")
	}
	var out []pos.WorkItem
	err := j.write(ctx, "claim", func(tx *sql.Tx) error {
		out = nil
		// NextAttemptAt '' (never scheduled) sorts first: due at once.
		// The candidates come from the partial queue indexes.
		rows, err := tx.QueryContext(ctx, `
			SELECT 'charge', charge_code, '', next_attempt_at FROM transactions
			 WHERE unsettled = 1 AND (?1 OR next_attempt_at <= ?2) AND (lease_owner = '' OR lease_until <= ?2)
			UNION ALL
			SELECT 'refund', charge_code, out_refund_no, next_attempt_at FROM refunds
			 WHERE unsettled = 1 AND (?1 OR next_attempt_at <= ?2) AND (lease_owner = '' OR lease_until <= ?2)
			ORDER BY 4, 2, 3
			LIMIT ?3`, r.IgnoreSchedule, now, r.Limit)
		if err != nil {
			return fmt.Errorf("claim: select: %w", err)
		}
		var keys []pos.WorkKey
		for rows.Next() {
			var k pos.WorkKey
			var next string
			if err := rows.Scan(&k.Kind, &k.ChargeCode, &k.OutRefundNo, &next); err != nil {
				rows.Close()
				return fmt.Errorf("claim: scan: %w", err)
			}
			keys = append(keys, k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("claim: select: %w", err)
		}
		out, err = lease(ctx, tx, keys, r.Owner, until)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(out) > 0 {
		j.log.Debug("claimed", "op", "claim", "owner", r.Owner, "items", len(out))
	}
	return out, nil
}

// leaseChunk bounds the keys per statement (SQLite's variable limit).
const leaseChunk = 400

// lease sets the lease on keys and returns their rows, in the order of keys.
func lease(ctx context.Context, tx *sql.Tx, keys []pos.WorkKey, owner, until string) ([]pos.WorkItem, error) {
	var charges, refunds []any
	for _, k := range keys {
		if k.Kind == pos.WorkRefund {
			refunds = append(refunds, k.OutRefundNo)
		} else {
			charges = append(charges, string(k.ChargeCode))
		}
	}
	txs := map[pos.ChargeCode]pos.Transaction{}
	rfs := map[string]pos.Refund{}
	var parents []any
	for len(charges) > 0 {
		n := min(len(charges), leaseChunk)
		rows, err := tx.QueryContext(ctx, "UPDATE transactions SET lease_owner = ?, lease_until = ? WHERE charge_code IN ("+
			placeholders(n)+") RETURNING "+txColumns, append([]any{owner, until}, charges[:n]...)...)
		if err != nil {
			return nil, fmt.Errorf("claim: lease charges: %w", err)
		}
		for rows.Next() {
			t, err := scanTx(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("claim: lease charges: %w", err)
			}
			txs[t.ChargeCode] = t
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("claim: lease charges: %w", err)
		}
		charges = charges[n:]
	}
	for len(refunds) > 0 {
		n := min(len(refunds), leaseChunk)
		rows, err := tx.QueryContext(ctx, "UPDATE refunds SET lease_owner = ?, lease_until = ? WHERE out_refund_no IN ("+
			placeholders(n)+") RETURNING "+refundColumns, append([]any{owner, until}, refunds[:n]...)...)
		if err != nil {
			return nil, fmt.Errorf("claim: lease refunds: %w", err)
		}
		for rows.Next() {
			r, err := scanRefund(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("claim: lease refunds: %w", err)
			}
			rfs[r.OutRefundNo] = r
			if _, ok := txs[r.ChargeCode]; !ok {
				parents = append(parents, string(r.ChargeCode))
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("claim: lease refunds: %w", err)
		}
		refunds = refunds[n:]
	}
	for len(parents) > 0 {
		n := min(len(parents), leaseChunk)
		rows, err := tx.QueryContext(ctx, "SELECT "+txColumns+" FROM transactions WHERE charge_code IN ("+
			placeholders(n)+")", parents[:n]...)
		if err != nil {
			return nil, fmt.Errorf("claim: read charges of refunds: %w", err)
		}
		for rows.Next() {
			t, err := scanTx(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("claim: read charges of refunds: %w", err)
			}
			txs[t.ChargeCode] = t
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("claim: read charges of refunds: %w", err)
		}
		parents = parents[n:]
	}
	out := make([]pos.WorkItem, 0, len(keys))
	for _, k := range keys {
		it := pos.WorkItem{Key: k}
		var ok bool
		if it.Transaction, ok = txs[k.ChargeCode]; !ok {
			return nil, fmt.Errorf("claim: charge %s vanished", k.ChargeCode)
		}
		if k.Kind == pos.WorkRefund {
			if it.Refund, ok = rfs[k.OutRefundNo]; !ok {
				return nil, fmt.Errorf("claim: refund %s vanished", k.OutRefundNo)
			}
		}
		out = append(out, it)
	}
	return out, nil
}

// Release implements pos.Journal.
func (j *Journal) Release(ctx context.Context, k pos.WorkKey, owner string, now time.Time, r pos.Retry) error {
	name := string(k.ChargeCode)
	if k.Kind == pos.WorkRefund {
		name = "refund " + k.OutRefundNo
	}
	// A row that settled meanwhile (the usual case: the reconciler's own
	// transition settled it and cleared the lease) has nothing to release:
	// a read says so without taking the writer lock. Settled is final for
	// the queue, so the read cannot be overtaken.
	q, unsettled, err := queueOf(ctx, j.db, k)
	if err != nil {
		return fmt.Errorf("release %s: %w", name, err)
	}
	if !unsettled && q.LeaseOwner == "" {
		return nil
	}
	return j.write(ctx, "release "+name, func(tx *sql.Tx) error {
		q, unsettled, err := queueOf(ctx, tx, k)
		if err != nil {
			return fmt.Errorf("release %s: %w", name, err)
		}
		if leaseBlocked(q, owner, now) {
			return fmt.Errorf("release %s: %w (held by %s)", name, pos.ErrLeaseLost, q.LeaseOwner)
		}
		q.LeaseOwner, q.LeaseUntil = "", time.Time{}
		if unsettled {
			if !r.NextAttemptAt.IsZero() {
				q.NextAttemptAt = r.NextAttemptAt
			}
			if r.LastError != "" {
				q.LastError = r.LastError
			}
			if r.CountAttempt {
				q.Attempts++
			}
		}
		var res sql.Result
		if k.Kind == pos.WorkRefund {
			res, err = tx.ExecContext(ctx, `UPDATE refunds SET attempts = ?, next_attempt_at = ?, last_error = ?,
				lease_owner = '', lease_until = '' WHERE out_refund_no = ?`,
				q.Attempts, ts(q.NextAttemptAt), q.LastError, k.OutRefundNo)
		} else {
			res, err = tx.ExecContext(ctx, `UPDATE transactions SET attempts = ?, next_attempt_at = ?, last_error = ?,
				lease_owner = '', lease_until = '' WHERE charge_code = ?`,
				q.Attempts, ts(q.NextAttemptAt), q.LastError, string(k.ChargeCode))
		}
		if err != nil {
			return fmt.Errorf("release %s: %w", name, err)
		}
		if n, err := res.RowsAffected(); err == nil && n != 1 {
			return fmt.Errorf("release %s: %d rows updated", name, n)
		}
		return nil
	})
}

// queueOf reads the queue bookkeeping of k's row and whether it is
// unsettled. pos.ErrNotFound when there is no such row.
func queueOf(ctx context.Context, db querier, k pos.WorkKey) (pos.Queue, bool, error) {
	if k.Kind == pos.WorkRefund {
		x, err := getRefund(ctx, db, k.OutRefundNo)
		if err != nil {
			return pos.Queue{}, false, err
		}
		return x.Queue, x.Unsettled(), nil
	}
	t, err := getTx(ctx, db, k.ChargeCode)
	if err != nil {
		return pos.Queue{}, false, err
	}
	return t.Queue, t.Unsettled(), nil
}

// LastIssued implements pos.Journal.
func (j *Journal) LastIssued(ctx context.Context, series string) (string, error) {
	var last string
	err := j.db.QueryRowContext(ctx, "SELECT last FROM series WHERE name = ?", series).Scan(&last)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("last issued %s: %w", series, err)
	}
	return last, nil
}

// SwapIssued implements pos.Journal: a compare-and-swap inside one
// IMMEDIATE transaction, so two processes never both issue from the same
// old value.
func (j *Journal) SwapIssued(ctx context.Context, series, old, next string) error {
	if next == "" {
		return fmt.Errorf("issue %s: empty value", series)
	}
	return j.write(ctx, "issue "+series, func(tx *sql.Tx) error {
		var cur string
		err := tx.QueryRowContext(ctx, "SELECT last FROM series WHERE name = ?", series).Scan(&cur)
		exists := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("issue %s: %w", series, err)
		}
		if cur != old {
			return fmt.Errorf("issue %s: %w: stored %q, expected %q", series, pos.ErrConflict, cur, old)
		}
		if exists {
			_, err = tx.ExecContext(ctx, "UPDATE series SET last = ?, updated_at = ? WHERE name = ?", next, ts(j.now()), series)
		} else {
			_, err = tx.ExecContext(ctx, "INSERT INTO series (name, last, updated_at) VALUES (?, ?, ?)", series, next, ts(j.now()))
		}
		if err != nil {
			return fmt.Errorf("issue %s: %w", series, err)
		}
		return nil
	})
}
