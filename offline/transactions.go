package offline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"posterm/pos"
)

// CreateTransaction implements pos.Journal: it inserts t (state sending,
// lease empty) and its "create" event in one durable step. ErrDuplicate,
// ErrIllegalTransition, ErrUnmaskedCode.
func (j *Journal) CreateTransaction(ctx context.Context, t pos.Transaction, ev pos.Event) error {
	if t.State != pos.StateSending {
		return fmt.Errorf("create %s in state %q: %w", t.ChargeCode, t.State, pos.ErrIllegalTransition)
	}
	if t.ChargeCode == "" {
		return fmt.Errorf("create: empty charge code")
	}
	if looksUnmasked(t.MaskedCode) {
		return fmt.Errorf("create %s: masked code of %d characters: %w", t.ChargeCode, len(t.MaskedCode), ErrUnmaskedCode)
	}
	t.LeaseOwner, t.LeaseUntil = "", time.Time{}
	t.FundBills = slices.Clone(t.FundBills)
	return j.write(ctx, "create "+string(t.ChargeCode), func(tx *sql.Tx) error {
		if _, err := getTx(ctx, tx, t.ChargeCode); err == nil {
			return fmt.Errorf("create %s: %w", t.ChargeCode, pos.ErrDuplicate)
		} else if !errors.Is(err, pos.ErrNotFound) {
			return err
		}
		if err := insertTx(ctx, tx, t); err != nil {
			return err
		}
		ev.ChargeCode, ev.From, ev.To = t.ChargeCode, "", string(pos.StateSending)
		return insertEvent(ctx, tx, ev, t.CreatedAt)
	})
}

// Transition implements pos.Journal: it applies ch and appends its event
// (and its print job) in one durable step, and returns the row after it.
func (j *Journal) Transition(ctx context.Context, ch pos.Change) (pos.Transaction, error) {
	if ch.From != ch.To && !pos.CanTransition(ch.From, ch.To) {
		return pos.Transaction{}, fmt.Errorf("transition %s: %w: %s → %s", ch.ChargeCode, pos.ErrIllegalTransition, ch.From, ch.To)
	}
	at := ch.At
	if at.IsZero() {
		at = j.now()
	}
	var out pos.Transaction
	err := j.write(ctx, "transition "+string(ch.ChargeCode), func(tx *sql.Tx) error {
		t, err := getTx(ctx, tx, ch.ChargeCode)
		if err != nil {
			return fmt.Errorf("transition %s: %w", ch.ChargeCode, err)
		}
		if t.State != ch.From {
			return fmt.Errorf("transition %s: %w: is %s, not %s", ch.ChargeCode, pos.ErrStale, t.State, ch.From)
		}
		if leaseBlocked(t.Queue, ch.Owner, at) {
			return fmt.Errorf("transition %s: %w (held by %s until %s)", ch.ChargeCode, pos.ErrLeaseLost,
				t.LeaseOwner, t.LeaseUntil.UTC().Format(time.RFC3339))
		}
		if ch.Patch.GiveUp && !t.GiveUp {
			// Revoke vs refund (issue 8, case 8): giving up a charge and
			// starting a refund exclude each other here, in one write
			// transaction each (CreateRefund refuses a given-up charge).
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM refunds WHERE charge_code = ? AND state <> ?`,
				string(ch.ChargeCode), string(pos.RefundRefused)).Scan(&n); err != nil {
				return fmt.Errorf("transition %s: count refunds: %w", ch.ChargeCode, err)
			}
			if n > 0 {
				return fmt.Errorf("transition %s: %w: cannot give up a charge with %d refund(s)", ch.ChargeCode,
					pos.ErrIllegalTransition, n)
			}
		}
		t.State = ch.To
		applyPatch(&t, ch.Patch)
		t.UpdatedAt = at
		if !ch.NextAttemptAt.IsZero() {
			t.NextAttemptAt = ch.NextAttemptAt
		}
		t.Queue = afterWrite(t.Queue, t.Unsettled(), ch.Owner)
		if err := updateTx(ctx, tx, t); err != nil {
			return err
		}
		ev := ch.Event
		ev.ChargeCode, ev.From, ev.To = ch.ChargeCode, string(ch.From), string(ch.To)
		if err := insertEvent(ctx, tx, ev, at); err != nil {
			return err
		}
		if ch.Receipt != "" {
			if err := j.queueReceipt(ctx, tx, ch.Receipt, t, nil, at); err != nil {
				return err
			}
		}
		out = t
		return nil
	})
	if err != nil {
		return pos.Transaction{}, err
	}
	j.log.Debug("journaled", "op", ch.Event.Op, "charge_code", string(ch.ChargeCode), "from", string(ch.From),
		"to", string(ch.To), "result_code", ch.Event.ResultCode, "receipt", string(ch.Receipt))
	return out, nil
}

// Get implements pos.Journal.
func (j *Journal) Get(ctx context.Context, code pos.ChargeCode) (pos.Transaction, error) {
	t, err := getTx(ctx, j.db, code)
	if err != nil {
		return pos.Transaction{}, fmt.Errorf("get %s: %w", code, err)
	}
	return t, nil
}

// List implements pos.Journal.
func (j *Journal) List(ctx context.Context, f pos.Filter) ([]pos.Transaction, error) {
	var w where
	w.span(f.Since, f.Until)
	w.eq("kind", string(f.Kind))
	in(&w, "state", f.States)
	w.eq("sale_id", f.SaleID)
	w.eq("cashier", f.Cashier)
	w.flag("unsettled = 1", f.Unsettled)
	q, args := w.query("SELECT "+txColumns+" FROM transactions", "created_at, charge_code", f.Limit)
	return queryAll(ctx, j.db, "list transactions", scanTx, q, args...)
}

// Events implements pos.Journal: the charge's events and its refunds',
// by Seq.
func (j *Journal) Events(ctx context.Context, code pos.ChargeCode) ([]pos.Event, error) {
	return queryAll(ctx, j.db, "events of "+string(code), scanEvent,
		"SELECT "+eventColumns+" FROM events WHERE charge_code = ? ORDER BY seq", string(code))
}

// querier is what reads need: the DB or a transaction.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func getTx(ctx context.Context, q querier, code pos.ChargeCode) (pos.Transaction, error) {
	t, err := scanTx(q.QueryRowContext(ctx, "SELECT "+txColumns+" FROM transactions WHERE charge_code = ?", string(code)))
	if errors.Is(err, sql.ErrNoRows) {
		return pos.Transaction{}, pos.ErrNotFound
	}
	if err != nil {
		return pos.Transaction{}, fmt.Errorf("read transaction %s: %w", code, err)
	}
	return t, nil
}

func insertTx(ctx context.Context, tx *sql.Tx, t pos.Transaction) error {
	args, err := txArgs(t)
	if err != nil {
		return fmt.Errorf("insert transaction %s: %w", t.ChargeCode, err)
	}
	args = append(args, t.Unsettled())
	_, err = tx.ExecContext(ctx, "INSERT INTO transactions ("+txColumns+", unsettled) VALUES ("+
		placeholders(columnCount(txColumns)+1)+")", args...)
	if err != nil {
		return fmt.Errorf("insert transaction %s: %w", t.ChargeCode, err)
	}
	return nil
}

// updateTx writes the columns a transaction's life changes; the facts it
// was created with are left alone (and a trigger refuses to change them).
func updateTx(ctx context.Context, tx *sql.Tx, t pos.Transaction) error {
	fund, err := fundJSON(t.FundBills)
	if err != nil {
		return fmt.Errorf("update transaction %s: %w", t.ChargeCode, err)
	}
	_, err = tx.ExecContext(ctx, `UPDATE transactions SET state = ?, refunded_fen = ?, channel = ?,
		charge_down_code = ?, charge_third_code = ?, bar_code = ?, result_code = ?, result_info = ?,
		fund_bills = ?, give_up = ?, give_up_reason = ?, acked_by = ?, expires_at = ?, updated_at = ?,
		paid_at = ?, attempts = ?, next_attempt_at = ?, last_error = ?, lease_owner = ?, lease_until = ?,
		unsettled = ? WHERE charge_code = ?`,
		string(t.State), int64(t.Refunded), int(t.Channel), t.ChargeDownCode, t.ChargeThirdCode, t.BarCode,
		t.ResultCode, t.ResultInfo, fund, t.GiveUp, t.GiveUpReason, t.AckedBy, ts(t.ExpiresAt), ts(t.UpdatedAt),
		ts(t.PaidAt), t.Attempts, ts(t.NextAttemptAt), t.LastError, t.LeaseOwner, ts(t.LeaseUntil),
		t.Unsettled(), string(t.ChargeCode))
	if err != nil {
		return fmt.Errorf("update transaction %s: %w", t.ChargeCode, err)
	}
	return nil
}

// insertEvent appends ev, its At defaulting to at.
func insertEvent(ctx context.Context, tx *sql.Tx, ev pos.Event, at time.Time) error {
	if ev.At.IsZero() {
		ev.At = at
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO events (at, charge_code, out_refund_no, op, from_state, to_state,
		who, approver, result_code, info, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ts(ev.At), string(ev.ChargeCode), ev.OutRefundNo, ev.Op, ev.From, ev.To, ev.Who, ev.Approver,
		ev.ResultCode, ev.Info, ev.Note)
	if err != nil {
		return fmt.Errorf("append event of %s: %w", ev.ChargeCode, err)
	}
	return nil
}

// applyPatch sets the non-zero fields of p; GiveUp and AckedBy are only
// ever set (a patch never clears a fact).
func applyPatch(t *pos.Transaction, p pos.Patch) {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&t.ChargeDownCode, p.ChargeDownCode)
	set(&t.ChargeThirdCode, p.ChargeThirdCode)
	set(&t.BarCode, p.BarCode)
	set(&t.ResultCode, p.ResultCode)
	set(&t.ResultInfo, p.ResultInfo)
	set(&t.GiveUpReason, p.GiveUpReason)
	set(&t.AckedBy, p.AckedBy)
	set(&t.LastError, p.LastError)
	if p.Channel != 0 {
		t.Channel = p.Channel
	}
	if len(p.FundBills) > 0 {
		t.FundBills = slices.Clone(p.FundBills)
	}
	if !p.ExpiresAt.IsZero() {
		t.ExpiresAt = p.ExpiresAt
	}
	if !p.PaidAt.IsZero() {
		t.PaidAt = p.PaidAt
	}
	if p.GiveUp {
		t.GiveUp = true
	}
	if p.Refunded > t.Refunded && p.Refunded <= t.Amount {
		t.Refunded = p.Refunded
	}
}

// leaseBlocked reports whether owner may not write a row with queue q at
// now: owner named itself and someone else holds an unexpired lease.
func leaseBlocked(q pos.Queue, owner string, now time.Time) bool {
	return owner != "" && q.LeaseOwner != "" && q.LeaseOwner != owner && q.LeaseUntil.After(now)
}

// afterWrite is the lease after a write by owner: gone once the row is
// settled, and an expired lease of another owner is dropped when an owner
// writes. An empty owner (the checkout) leaves a lease as it is.
func afterWrite(q pos.Queue, unsettled bool, owner string) pos.Queue {
	if !unsettled || (owner != "" && q.LeaseOwner != owner) {
		q.LeaseOwner, q.LeaseUntil = "", time.Time{}
	}
	return q
}
