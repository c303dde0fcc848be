package offline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"posterm/pos"
)

// CreateTransaction implements pos.Journal: it inserts t (state sending,
// lease empty) and its "create" event in one durable step. ErrDuplicate,
// ErrIllegalTransition, ErrUnmaskedCode.
func (j *Journal) CreateTransaction(ctx context.Context, t pos.Transaction, ev pos.Event) error {
	switch {
	case t.Kind == pos.KindCash:
		// A cash sale is created final: never sent, never reconciled.
		if t.State != pos.StatePaid || t.GiveUp || t.Tendered < t.Amount || t.Amount <= 0 {
			return fmt.Errorf("create cash sale %s in state %q (tendered %d of %d fen): %w", t.ChargeCode, t.State,
				t.Tendered, t.Amount, pos.ErrIllegalTransition)
		}
	case t.State != pos.StateSending || t.Tendered != 0:
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
	return j.change(ctx, "create "+string(t.ChargeCode), func(tx *sql.Tx, pub func(pos.FeedEvent)) error {
		if _, err := getTx(ctx, tx, t.ChargeCode); err == nil {
			return fmt.Errorf("create %s: %w", t.ChargeCode, pos.ErrDuplicate)
		} else if !errors.Is(err, pos.ErrNotFound) {
			return err
		}
		if err := checkSaleGate(ctx, tx, t); err != nil {
			return err
		}
		if err := insertTx(ctx, tx, t); err != nil {
			return err
		}
		ev.ChargeCode, ev.From, ev.To = t.ChargeCode, "", string(t.State)
		pub(pos.FeedEvent{Kind: pos.FeedTransaction, ChargeCode: t.ChargeCode, State: string(t.State)})
		if err := insertEvent(ctx, tx, ev, t.CreatedAt); err != nil {
			return err
		}
		if t.Kind == pos.KindCash { // its receipt opens the drawer
			if err := j.queueReceipt(ctx, tx, pos.ReceiptSale, t, nil, t.CreatedAt); err != nil {
				return err
			}
			pub(pos.FeedEvent{Kind: pos.FeedPrintJob, ChargeCode: t.ChargeCode})
		}
		return nil
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
	err := j.change(ctx, "transition "+string(ch.ChargeCode), func(tx *sql.Tx, pub func(pos.FeedEvent)) error {
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
		if ch.Patch.GiveUp && t.Kind == pos.KindCash {
			return fmt.Errorf("transition %s: %w: a cash sale is never given up (refund it)", ch.ChargeCode,
				pos.ErrIllegalTransition)
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
		before := t
		t.State = ch.To
		applyPatch(&t, ch.Patch)
		t.UpdatedAt = at
		if !ch.NextAttemptAt.IsZero() {
			t.NextAttemptAt = ch.NextAttemptAt
		}
		t.Queue = afterWrite(t.Queue, t.Unsettled(), ch.Owner)
		if err := updateChanged(ctx, tx, &before, t); err != nil {
			return err
		}
		ev := ch.Event
		ev.ChargeCode, ev.From, ev.To = ch.ChargeCode, string(ch.From), string(ch.To)
		if err := insertEvent(ctx, tx, ev, at); err != nil {
			return err
		}
		pub(pos.FeedEvent{Kind: pos.FeedTransaction, ChargeCode: t.ChargeCode, State: string(t.State)})
		if ch.Receipt != "" {
			if err := j.queueReceipt(ctx, tx, ch.Receipt, t, nil, at); err != nil {
				return err
			}
			pub(pos.FeedEvent{Kind: pos.FeedPrintJob, ChargeCode: t.ChargeCode})
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
	gate := ""
	if t.HoldsSaleGate() {
		gate = t.SaleID
	}
	args = append(args, gate)
	_, err = tx.ExecContext(ctx, "INSERT INTO transactions ("+txColumns+", unsettled, sale_gate) VALUES ("+
		placeholders(columnCount(txColumns)+2)+")", args...)
	if err != nil {
		if strings.Contains(err.Error(), "transactions.sale_gate") { // the unique index: see checkSaleGate
			return fmt.Errorf("insert transaction %s: sale %s: %w", t.ChargeCode, t.SaleID, pos.ErrSaleOpen)
		}
		return fmt.Errorf("insert transaction %s: %w", t.ChargeCode, err)
	}
	return nil
}

// saleGateQuery lists a sale's attempts. "sale_id <> ”" lets SQLite use
// the partial index transactions_sale: without it every new charge would
// scan the whole table.
const saleGateQuery = "SELECT " + txColumns + ` FROM transactions WHERE sale_id = ? AND sale_id <> ''
	ORDER BY created_at, charge_code`

// checkSaleGate refuses t with pos.ErrSaleOpen when another attempt of its
// sale holds the sale gate (pos.Transaction.HoldsSaleGate). It runs in the
// IMMEDIATE transaction that inserts t, so no other process can slip a
// charge of the sale in between; the unique index on sale_gate (migration
// 0002) backs it.
func checkSaleGate(ctx context.Context, tx *sql.Tx, t pos.Transaction) error {
	if t.SaleID == "" {
		return nil
	}
	rows, err := tx.QueryContext(ctx, saleGateQuery, t.SaleID)
	if err != nil {
		return fmt.Errorf("create %s: sale gate: %w", t.ChargeCode, err)
	}
	defer rows.Close()
	for rows.Next() {
		o, err := scanTx(rows)
		if err != nil {
			return fmt.Errorf("create %s: sale gate: %w", t.ChargeCode, err)
		}
		if o.HoldsSaleGate() {
			return fmt.Errorf("create %s: sale %s held by %s (%s): %w", t.ChargeCode, t.SaleID, o.ChargeCode, o.State, pos.ErrSaleOpen)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("create %s: sale gate: %w", t.ChargeCode, err)
	}
	return nil
}

// mutableColumns are the columns a transaction's life changes, in
// mutableArgs order; the facts it was created with are left alone (and a
// trigger refuses to change them).
var mutableColumns = []string{"state", "refunded_fen", "channel", "charge_down_code", "charge_third_code",
	"bar_code", "result_code", "result_info", "fund_bills", "give_up", "give_up_reason", "acked_by", "expires_at",
	"updated_at", "paid_at", "attempts", "next_attempt_at", "last_error", "lease_owner", "lease_until", "unsettled",
	"sale_gate"}

// mutableArgs are the values of mutableColumns for t; every value is
// comparable with ==, so two rows' lists can be diffed.
func mutableArgs(t pos.Transaction) ([]any, error) {
	fund, err := fundJSON(t.FundBills)
	if err != nil {
		return nil, err
	}
	return []any{string(t.State), int64(t.Refunded), int(t.Channel), t.ChargeDownCode, t.ChargeThirdCode,
		t.BarCode, t.ResultCode, t.ResultInfo, fund, t.GiveUp, t.GiveUpReason, t.AckedBy, ts(t.ExpiresAt),
		ts(t.UpdatedAt), ts(t.PaidAt), t.Attempts, ts(t.NextAttemptAt), t.LastError, t.LeaseOwner,
		ts(t.LeaseUntil), t.Unsettled(), t.HoldsSaleGate()}, nil
}

// updateTx writes every mutable column of t.
func updateTx(ctx context.Context, tx *sql.Tx, t pos.Transaction) error {
	return updateChanged(ctx, tx, nil, t)
}

// updateChanged writes the mutable columns in which after differs from
// before (all of them when before is nil): a state change rewrites a few
// columns, not the row, so the WAL grows by what changed. The statement
// text depends only on which columns changed, so the driver's statement
// cache (_stmt_cache_size) serves it without re-preparing.
func updateChanged(ctx context.Context, tx *sql.Tx, before *pos.Transaction, after pos.Transaction) error {
	now, err := mutableArgs(after)
	if err != nil {
		return fmt.Errorf("update transaction %s: %w", after.ChargeCode, err)
	}
	var was []any
	if before != nil {
		if was, err = mutableArgs(*before); err != nil {
			return fmt.Errorf("update transaction %s: %w", after.ChargeCode, err)
		}
	}
	var q strings.Builder
	q.WriteString("UPDATE transactions SET ")
	args := make([]any, 0, len(now)+1)
	for i, v := range now {
		if was != nil && was[i] == v {
			continue
		}
		if len(args) > 0 {
			q.WriteString(", ")
		}
		if col := mutableColumns[i]; col == "sale_gate" {
			// The gate key stays while the row holds the sale and is cleared
			// when it lets go (sale_gate's unique index, migration 0002).
			q.WriteString("sale_gate = CASE WHEN ? THEN sale_gate ELSE '' END")
		} else {
			q.WriteString(col)
			q.WriteString(" = ?")
		}
		args = append(args, v)
	}
	if len(args) == 0 {
		return nil
	}
	q.WriteString(" WHERE charge_code = ?")
	args = append(args, string(after.ChargeCode))
	if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
		return fmt.Errorf("update transaction %s: %w", after.ChargeCode, err)
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
