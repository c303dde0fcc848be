package offline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"posterm/pos"
)

// CreateRefund implements pos.Journal: it inserts r (state sending) and its
// event, checking in the same IMMEDIATE transaction that the charge can take
// it and that refunds not refused (settled and in flight) stay within the
// charge's amount, so concurrent refunds never over-refund.
func (j *Journal) CreateRefund(ctx context.Context, r pos.Refund, ev pos.Event) error {
	if r.State != pos.RefundSending && r.State != pos.RefundDone {
		return fmt.Errorf("create refund %s in state %q: %w", r.OutRefundNo, r.State, pos.ErrIllegalTransition)
	}
	if r.OutRefundNo == "" {
		return fmt.Errorf("create refund of %s: empty OUT_REFUND_NO", r.ChargeCode)
	}
	r.LeaseOwner, r.LeaseUntil = "", time.Time{}
	return j.change(ctx, "create refund "+r.OutRefundNo, func(tx *sql.Tx, pub func(pos.FeedEvent)) error {
		if _, err := getRefund(ctx, tx, r.OutRefundNo); err == nil {
			return fmt.Errorf("create refund %s: %w", r.OutRefundNo, pos.ErrDuplicate)
		} else if !errors.Is(err, pos.ErrNotFound) {
			return err
		}
		t, err := getTx(ctx, tx, r.ChargeCode)
		if err != nil {
			return fmt.Errorf("create refund %s of %s: %w", r.OutRefundNo, r.ChargeCode, err)
		}
		if cash := t.Kind == pos.KindCash; cash != (r.State == pos.RefundDone) {
			// Cash refunds are created done; no other refund ever is.
			return fmt.Errorf("create refund %s in state %q of a %s charge: %w", r.OutRefundNo, r.State, t.Kind,
				pos.ErrIllegalTransition)
		}
		if (t.State != pos.StatePaid && t.State != pos.StatePartiallyRefunded) || t.GiveUp {
			return fmt.Errorf("create refund %s: %w: charge %s is %s (given up: %v)", r.OutRefundNo,
				pos.ErrIllegalTransition, t.ChargeCode, t.State, t.GiveUp)
		}
		var reserved int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(amount_fen), 0) FROM refunds
			WHERE charge_code = ? AND state <> ?`, string(r.ChargeCode), string(pos.RefundRefused)).Scan(&reserved); err != nil {
			return fmt.Errorf("create refund %s: sum refunds: %w", r.OutRefundNo, err)
		}
		// Money refunded at the gateway outside posterm (a "changed at the
		// gateway" correction) is in Refunded but in no refund row.
		var done int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(amount_fen), 0) FROM refunds
			WHERE charge_code = ? AND state = ?`, string(r.ChargeCode), string(pos.RefundDone)).Scan(&done); err != nil {
			return fmt.Errorf("create refund %s: sum refunds: %w", r.OutRefundNo, err)
		}
		if outside := int64(t.Refunded) - done; outside > 0 {
			reserved += outside
		}
		if r.Amount <= 0 || pos.Money(reserved)+r.Amount > t.Amount {
			return fmt.Errorf("create refund %s: %w: %d fen asked, %d of %d fen taken", r.OutRefundNo,
				pos.ErrOverRefund, r.Amount, reserved, t.Amount)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO refunds ("+refundColumns+", unsettled) VALUES ("+
			placeholders(columnCount(refundColumns)+1)+")", append(refundArgs(r), r.Unsettled())...); err != nil {
			return fmt.Errorf("insert refund %s: %w", r.OutRefundNo, err)
		}
		ev.ChargeCode, ev.OutRefundNo, ev.From, ev.To = r.ChargeCode, r.OutRefundNo, "", string(r.State)
		pub(pos.FeedEvent{Kind: pos.FeedRefund, ChargeCode: r.ChargeCode, OutRefundNo: r.OutRefundNo, State: string(r.State)})
		if err := insertEvent(ctx, tx, ev, r.CreatedAt); err != nil {
			return err
		}
		if r.State != pos.RefundDone {
			return nil
		}
		// A cash refund: done at once, its slip opens the drawer.
		ce, err := applyDone(ctx, tx, &t, r, ev, r.CreatedAt)
		if err != nil {
			return err
		}
		if err := insertEvent(ctx, tx, *ce, r.CreatedAt); err != nil {
			return err
		}
		pub(pos.FeedEvent{Kind: pos.FeedTransaction, ChargeCode: t.ChargeCode, State: string(t.State)})
		if err := j.queueReceipt(ctx, tx, pos.ReceiptRefund, t, &r, r.CreatedAt); err != nil {
			return err
		}
		pub(pos.FeedEvent{Kind: pos.FeedPrintJob, ChargeCode: t.ChargeCode})
		return nil
	})
}

// SettleRefund implements pos.Journal. When the refund becomes done, the
// same transaction adds its amount to the charge's Refunded, moves the
// charge to pos.StateAfterRefund and appends a second event, on the charge
// (OutRefundNo empty, the refund named in Note), recording that move.
func (j *Journal) SettleRefund(ctx context.Context, rc pos.RefundChange) (pos.Refund, pos.Transaction, error) {
	if rc.From != rc.To && !pos.CanTransitionRefund(rc.From, rc.To) {
		return pos.Refund{}, pos.Transaction{}, fmt.Errorf("settle refund %s: %w: %s → %s", rc.OutRefundNo,
			pos.ErrIllegalTransition, rc.From, rc.To)
	}
	at := rc.At
	if at.IsZero() {
		at = j.now()
	}
	var outR pos.Refund
	var outT pos.Transaction
	err := j.change(ctx, "settle refund "+rc.OutRefundNo, func(tx *sql.Tx, pub func(pos.FeedEvent)) error {
		r, err := getRefund(ctx, tx, rc.OutRefundNo)
		if err != nil {
			return fmt.Errorf("settle refund %s: %w", rc.OutRefundNo, err)
		}
		if r.State != rc.From {
			return fmt.Errorf("settle refund %s: %w: is %s, not %s", rc.OutRefundNo, pos.ErrStale, r.State, rc.From)
		}
		if leaseBlocked(r.Queue, rc.Owner, at) {
			return fmt.Errorf("settle refund %s: %w (held by %s)", rc.OutRefundNo, pos.ErrLeaseLost, r.LeaseOwner)
		}
		t, err := getTx(ctx, tx, r.ChargeCode)
		if err != nil {
			return fmt.Errorf("settle refund %s: charge %s: %w", rc.OutRefundNo, r.ChargeCode, err)
		}
		if t.Kind == pos.KindCash {
			return fmt.Errorf("settle refund %s: %w: a cash refund is created done", rc.OutRefundNo, pos.ErrIllegalTransition)
		}
		var chargeEvent *pos.Event
		if rc.To == pos.RefundDone && rc.From != rc.To {
			ev := rc.Event
			ev.ResultCode, ev.Info = rc.ResultCode, rc.ResultInfo
			if chargeEvent, err = applyDone(ctx, tx, &t, r, ev, at); err != nil {
				return err
			}
		}
		r.State = rc.To
		if rc.ResultCode != "" {
			r.ResultCode = rc.ResultCode
		}
		if rc.ResultInfo != "" {
			r.ResultInfo = rc.ResultInfo
		}
		if rc.LastError != "" {
			r.LastError = rc.LastError
		}
		r.UpdatedAt = at
		if !rc.NextAttemptAt.IsZero() {
			r.NextAttemptAt = rc.NextAttemptAt
		}
		r.Queue = afterWrite(r.Queue, r.Unsettled(), rc.Owner)
		if err := updateRefund(ctx, tx, r); err != nil {
			return err
		}
		ev := rc.Event
		ev.ChargeCode, ev.OutRefundNo, ev.From, ev.To = r.ChargeCode, r.OutRefundNo, string(rc.From), string(rc.To)
		if err := insertEvent(ctx, tx, ev, at); err != nil {
			return err
		}
		if chargeEvent != nil {
			if err := insertEvent(ctx, tx, *chargeEvent, at); err != nil {
				return err
			}
		}
		pub(pos.FeedEvent{Kind: pos.FeedRefund, ChargeCode: r.ChargeCode, OutRefundNo: r.OutRefundNo, State: string(r.State)})
		if chargeEvent != nil {
			pub(pos.FeedEvent{Kind: pos.FeedTransaction, ChargeCode: t.ChargeCode, State: string(t.State)})
		}
		if rc.Receipt != "" {
			if err := j.queueReceipt(ctx, tx, rc.Receipt, t, &r, at); err != nil {
				return err
			}
			pub(pos.FeedEvent{Kind: pos.FeedPrintJob, ChargeCode: t.ChargeCode})
		}
		outR, outT = r, t
		return nil
	})
	if err != nil {
		return pos.Refund{}, pos.Transaction{}, err
	}
	return outR, outT, nil
}

// applyDone adds done refund r to charge t in tx — Refunded, state
// (pos.StateAfterRefund) — and returns the charge's event recording the
// move (not yet inserted). ev gives the op, who, approver and result.
func applyDone(ctx context.Context, tx *sql.Tx, t *pos.Transaction, r pos.Refund, ev pos.Event, at time.Time) (*pos.Event, error) {
	refunded := t.Refunded + r.Amount
	if refunded > t.Amount {
		return nil, fmt.Errorf("settle refund %s: %w: %d + %d fen of %d", r.OutRefundNo, pos.ErrOverRefund,
			t.Refunded, r.Amount, t.Amount)
	}
	to := pos.StateAfterRefund(t.Amount, refunded)
	if to != t.State && !pos.CanTransition(t.State, to) {
		return nil, fmt.Errorf("settle refund %s: %w: charge %s is %s, cannot become %s", r.OutRefundNo,
			pos.ErrIllegalTransition, t.ChargeCode, t.State, to)
	}
	chargeEvent := &pos.Event{At: ev.At, ChargeCode: t.ChargeCode, Op: ev.Op,
		From: string(t.State), To: string(to), Who: ev.Who, Approver: ev.Approver,
		ResultCode: ev.ResultCode, Info: ev.Info,
		Note: fmt.Sprintf("refund %s done: %d fen, %d of %d refunded", r.OutRefundNo, r.Amount, refunded, t.Amount)}
	if chargeEvent.Op == "" {
		chargeEvent.Op = "refund"
	}
	if chargeEvent.Approver == "" {
		chargeEvent.Approver = r.Approver
	}
	t.Refunded, t.State, t.UpdatedAt = refunded, to, at
	t.Queue = afterWrite(t.Queue, t.Unsettled(), "")
	if err := updateTx(ctx, tx, *t); err != nil {
		return nil, err
	}
	return chargeEvent, nil
}

// GetRefund implements pos.Journal.
func (j *Journal) GetRefund(ctx context.Context, outRefundNo string) (pos.Refund, error) {
	r, err := getRefund(ctx, j.db, outRefundNo)
	if err != nil {
		return pos.Refund{}, fmt.Errorf("get refund %s: %w", outRefundNo, err)
	}
	return r, nil
}

// ListRefunds implements pos.Journal.
func (j *Journal) ListRefunds(ctx context.Context, f pos.RefundFilter) ([]pos.Refund, error) {
	var w where
	w.span(f.Since, f.Until)
	w.eq("charge_code", string(f.ChargeCode))
	in(&w, "state", f.States)
	w.flag("unsettled = 1", f.Unsettled)
	q, args := w.query("SELECT "+refundColumns+" FROM refunds", "created_at, out_refund_no", f.Limit)
	return queryAll(ctx, j.db, "list refunds", scanRefund, q, args...)
}

func getRefund(ctx context.Context, q querier, no string) (pos.Refund, error) {
	r, err := scanRefund(q.QueryRowContext(ctx, "SELECT "+refundColumns+" FROM refunds WHERE out_refund_no = ?", no))
	if errors.Is(err, sql.ErrNoRows) {
		return pos.Refund{}, pos.ErrNotFound
	}
	if err != nil {
		return pos.Refund{}, fmt.Errorf("read refund %s: %w", no, err)
	}
	return r, nil
}

func updateRefund(ctx context.Context, tx *sql.Tx, r pos.Refund) error {
	_, err := tx.ExecContext(ctx, `UPDATE refunds SET state = ?, result_code = ?, result_info = ?, updated_at = ?,
		attempts = ?, next_attempt_at = ?, last_error = ?, lease_owner = ?, lease_until = ?, unsettled = ?
		WHERE out_refund_no = ?`,
		string(r.State), r.ResultCode, r.ResultInfo, ts(r.UpdatedAt), r.Attempts, ts(r.NextAttemptAt), r.LastError,
		r.LeaseOwner, ts(r.LeaseUntil), r.Unsettled(), r.OutRefundNo)
	if err != nil {
		return fmt.Errorf("update refund %s: %w", r.OutRefundNo, err)
	}
	return nil
}
