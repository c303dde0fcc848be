package offline

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"posterm/pos"
)

// timeLayout stores times as fixed-width UTC text with nanoseconds, so that
// text order is time order (RFC3339Nano trims zeros and would not sort).
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// ts is the stored form of t: "" for the zero time (it sorts first, which
// is what "no lease" and "due at once" need).
func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// pt parses a stored time.
func pt(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t, nil
}

// timeScanner collects stored times to parse after a Scan.
type timeScanner struct {
	dst []*time.Time
	src []*string
	err error
}

// t returns a Scan destination whose parsed value lands in dst at done().
func (s *timeScanner) t(dst *time.Time) *string {
	p := new(string)
	s.dst = append(s.dst, dst)
	s.src = append(s.src, p)
	return p
}

func (s *timeScanner) done() error {
	for i, p := range s.src {
		t, err := pt(*p)
		if err != nil {
			return err
		}
		*s.dst[i] = t
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }

// txColumns are the columns of a transaction row, in scanTx order.
const txColumns = `charge_code, kind, state, sale_id, register, amount_fen, refunded_fen, channel,
	masked_code, subject, cashier, charge_down_code, charge_third_code, bar_code, result_code,
	result_info, fund_bills, give_up, give_up_reason, acked_by, expires_at, created_at, updated_at,
	paid_at, attempts, next_attempt_at, last_error, lease_owner, lease_until, tendered_fen`

func scanTx(row scanner) (pos.Transaction, error) {
	var t pos.Transaction
	var ts timeScanner
	var fund string
	err := row.Scan(&t.ChargeCode, &t.Kind, &t.State, &t.SaleID, &t.Register, &t.Amount, &t.Refunded, &t.Channel,
		&t.MaskedCode, &t.Subject, &t.Cashier, &t.ChargeDownCode, &t.ChargeThirdCode, &t.BarCode, &t.ResultCode,
		&t.ResultInfo, &fund, &t.GiveUp, &t.GiveUpReason, &t.AckedBy, ts.t(&t.ExpiresAt), ts.t(&t.CreatedAt),
		ts.t(&t.UpdatedAt), ts.t(&t.PaidAt), &t.Attempts, ts.t(&t.NextAttemptAt), &t.LastError, &t.LeaseOwner,
		ts.t(&t.LeaseUntil), &t.Tendered)
	if err != nil {
		return pos.Transaction{}, err
	}
	if err := ts.done(); err != nil {
		return pos.Transaction{}, fmt.Errorf("transaction %s: %w", t.ChargeCode, err)
	}
	if fund != "" {
		if err := json.Unmarshal([]byte(fund), &t.FundBills); err != nil {
			return pos.Transaction{}, fmt.Errorf("transaction %s: fund bills: %w", t.ChargeCode, err)
		}
	}
	return t, nil
}

// txArgs are the values of txColumns for t, unsettled derived by pos's rule.
func txArgs(t pos.Transaction) ([]any, error) {
	fund, err := fundJSON(t.FundBills)
	if err != nil {
		return nil, err
	}
	return []any{string(t.ChargeCode), string(t.Kind), string(t.State), t.SaleID, t.Register, int64(t.Amount),
		int64(t.Refunded), int(t.Channel), t.MaskedCode, t.Subject, t.Cashier, t.ChargeDownCode, t.ChargeThirdCode,
		t.BarCode, t.ResultCode, t.ResultInfo, fund, t.GiveUp, t.GiveUpReason, t.AckedBy, ts(t.ExpiresAt),
		ts(t.CreatedAt), ts(t.UpdatedAt), ts(t.PaidAt), t.Attempts, ts(t.NextAttemptAt), t.LastError,
		t.LeaseOwner, ts(t.LeaseUntil), int64(t.Tendered)}, nil
}

// fundJSON is the stored form of fund bills: "" for none.
func fundJSON(fb []pos.FundBill) (string, error) {
	if len(fb) == 0 {
		return "", nil
	}
	b, err := json.Marshal(fb)
	if err != nil {
		return "", fmt.Errorf("fund bills: %w", err)
	}
	return string(b), nil
}

const refundColumns = `out_refund_no, charge_code, amount_fen, reason, state, cashier, approver, result_code,
	result_info, created_at, updated_at, attempts, next_attempt_at, last_error, lease_owner, lease_until`

func scanRefund(row scanner) (pos.Refund, error) {
	var r pos.Refund
	var ts timeScanner
	err := row.Scan(&r.OutRefundNo, &r.ChargeCode, &r.Amount, &r.Reason, &r.State, &r.Cashier, &r.Approver,
		&r.ResultCode, &r.ResultInfo, ts.t(&r.CreatedAt), ts.t(&r.UpdatedAt), &r.Attempts, ts.t(&r.NextAttemptAt),
		&r.LastError, &r.LeaseOwner, ts.t(&r.LeaseUntil))
	if err != nil {
		return pos.Refund{}, err
	}
	if err := ts.done(); err != nil {
		return pos.Refund{}, fmt.Errorf("refund %s: %w", r.OutRefundNo, err)
	}
	return r, nil
}

func refundArgs(r pos.Refund) []any {
	return []any{r.OutRefundNo, string(r.ChargeCode), int64(r.Amount), r.Reason, string(r.State), r.Cashier,
		r.Approver, r.ResultCode, r.ResultInfo, ts(r.CreatedAt), ts(r.UpdatedAt), r.Attempts, ts(r.NextAttemptAt),
		r.LastError, r.LeaseOwner, ts(r.LeaseUntil)}
}

const eventColumns = `seq, at, charge_code, out_refund_no, op, from_state, to_state, who, approver,
	result_code, info, note`

func scanEvent(row scanner) (pos.Event, error) {
	var e pos.Event
	var ts timeScanner
	err := row.Scan(&e.Seq, ts.t(&e.At), &e.ChargeCode, &e.OutRefundNo, &e.Op, &e.From, &e.To, &e.Who,
		&e.Approver, &e.ResultCode, &e.Info, &e.Note)
	if err != nil {
		return pos.Event{}, err
	}
	if err := ts.done(); err != nil {
		return pos.Event{}, fmt.Errorf("event %d: %w", e.Seq, err)
	}
	return e, nil
}

// placeholders returns "?, ?, …" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// columnCount counts the names in a column list.
func columnCount(cols string) int { return strings.Count(cols, ",") + 1 }

// looksUnmasked reports whether s holds a run of more than 8 digits
// (spaces and dashes between them do not break a run): a masked code
// (pos.MaskCode) never shows more than 4+4 characters between its mask,
// so such a run can only be (part of) a whole wallet code.
func looksUnmasked(s string) bool {
	run := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			run++
			if run > 8 {
				return true
			}
		case r == ' ' || r == '-':
		default:
			run = 0
		}
	}
	return false
}

// queryAll runs q and scans every row with scan; what names the read in
// errors ("list refunds").
func queryAll[T any](ctx context.Context, db *sql.DB, what string, scan func(scanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// where collects the conditions of a list query; a zero filter value adds
// none, so an empty filter lists everything.
type where struct {
	conds []string
	args  []any
}

// span keeps rows created in [since, until); a zero bound is open.
func (w *where) span(since, until time.Time) {
	if !since.IsZero() {
		w.conds, w.args = append(w.conds, "created_at >= ?"), append(w.args, ts(since))
	}
	if !until.IsZero() {
		w.conds, w.args = append(w.conds, "created_at < ?"), append(w.args, ts(until))
	}
}

// eq keeps rows whose col equals v, unless v is "".
func (w *where) eq(col, v string) {
	if v != "" {
		w.conds, w.args = append(w.conds, col+" = ?"), append(w.args, v)
	}
}

// in keeps rows whose col is one of vs, unless vs is empty.
func in[S ~string](w *where, col string, vs []S) {
	if len(vs) == 0 {
		return
	}
	w.conds = append(w.conds, col+" IN ("+placeholders(len(vs))+")")
	for _, v := range vs {
		w.args = append(w.args, string(v))
	}
}

// flag adds cond when on.
func (w *where) flag(cond string, on bool) {
	if on {
		w.conds = append(w.conds, cond)
	}
}

// query is head, the conditions, the order and, when limit > 0, a LIMIT.
func (w *where) query(head, order string, limit int) (string, []any) {
	q, args := head, w.args
	if len(w.conds) > 0 {
		q += " WHERE " + strings.Join(w.conds, " AND ")
	}
	q += " ORDER BY " + order
	if limit > 0 {
		q, args = q+" LIMIT ?", append(args, limit)
	}
	return q, args
}
