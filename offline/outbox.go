package offline

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"posterm/pos"
)

// The outbox (pos.OutboxPort): change() calls writeOutbox for every
// transaction or refund event fn reported, inside the same SQL transaction,
// so a change and its outbox row commit together or not at all. Settlement
// results (SaveSettlement), Z reports (CloseZ) and device status
// (ReportDevices) travel the same way, for the manager's page; print-job
// events are not forwarded.

var _ pos.OutboxPort = (*Journal)(nil)

// writeOutbox appends one outbox row per transaction or refund event in
// evs, reading the row's state after the change from tx.
func (j *Journal) writeOutbox(ctx context.Context, tx *sql.Tx, evs []pos.FeedEvent) error {
	at := ts(j.now())
	for _, e := range evs {
		var (
			o       pos.OutboxEvent
			payload []byte
			err     error
		)
		switch e.Kind {
		case pos.FeedTransaction:
			t, gerr := getTx(ctx, tx, e.ChargeCode)
			if gerr != nil {
				return fmt.Errorf("outbox: %w", gerr)
			}
			t.Queue = pos.Queue{} // lease and retry bookkeeping stay local
			o = pos.OutboxEvent{Kind: e.Kind, ChargeCode: t.ChargeCode, State: string(t.State),
				Amount: t.Amount, Refunded: t.Refunded, Cashier: t.Cashier, Channel: t.Channel}
			payload, err = json.Marshal(t)
		case pos.FeedRefund:
			r, gerr := getRefund(ctx, tx, e.OutRefundNo)
			if gerr != nil {
				return fmt.Errorf("outbox: %w", gerr)
			}
			r.Queue = pos.Queue{}
			o = pos.OutboxEvent{Kind: e.Kind, ChargeCode: r.ChargeCode, OutRefundNo: r.OutRefundNo,
				State: string(r.State), Amount: r.Amount, Cashier: r.Cashier}
			if t, gerr := getTx(ctx, tx, r.ChargeCode); gerr == nil {
				o.Channel = t.Channel
			}
			payload, err = json.Marshal(r)
		case pos.FeedSettlement:
			// The row SaveSettlement wrote in this transaction.
			var raw string
			var agree bool
			if err := tx.QueryRowContext(ctx, "SELECT result, agree FROM settlements ORDER BY id DESC LIMIT 1").Scan(&raw, &agree); err != nil {
				return fmt.Errorf("outbox: settlement: %w", err)
			}
			o = pos.OutboxEvent{Kind: e.Kind, State: "differ"}
			if agree {
				o.State = "agree"
			}
			payload = []byte(raw)
		case pos.FeedZReport:
			// The row CloseZ wrote in this transaction.
			var raw string
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT report, number FROM z_reports ORDER BY rowid DESC LIMIT 1").Scan(&raw, &n); err != nil {
				return fmt.Errorf("outbox: Z report: %w", err)
			}
			o = pos.OutboxEvent{Kind: e.Kind, State: strconv.Itoa(n)}
			payload = []byte(raw)
		case pos.FeedDevices:
			// ReportDevices carries the status in the event's note.
			o = pos.OutboxEvent{Kind: e.Kind, State: e.State}
			payload = []byte(e.Note)
		default:
			continue
		}
		if err != nil {
			return fmt.Errorf("outbox: encode: %w", err)
		}
		if o.Kind == pos.FeedTransaction {
			if err := tx.QueryRowContext(ctx, "SELECT origin_till FROM foreign_charges WHERE charge_code = ?",
				string(o.ChargeCode)).Scan(&o.Origin); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("outbox: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (till, kind, charge_code, out_refund_no, state,
			amount, refunded, cashier, channel, at, payload, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			j.till, string(o.Kind), string(o.ChargeCode), o.OutRefundNo, o.State, int64(o.Amount), int64(o.Refunded),
			o.Cashier, int(o.Channel), at, string(payload), o.Origin); err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
	}
	return nil
}

const outboxColumns = "seq, till, kind, charge_code, out_refund_no, state, amount, refunded, cashier, channel, at, payload, origin"

// PendingOutbox implements pos.OutboxPort: the rows past the watermark.
func (j *Journal) PendingOutbox(ctx context.Context, limit int) ([]pos.OutboxEvent, error) {
	if limit <= 0 {
		limit = 256
	}
	return queryAll(ctx, j.db, "outbox", scanOutbox, "SELECT "+outboxColumns+
		" FROM outbox WHERE seq > (SELECT seq FROM outbox_sent WHERE id = 1) ORDER BY seq LIMIT ?", limit)
}

func scanOutbox(row scanner) (pos.OutboxEvent, error) {
	var (
		o       pos.OutboxEvent
		kind    string
		code    string
		payload string
		tsc     timeScanner
	)
	if err := row.Scan(&o.Seq, &o.Till, &kind, &code, &o.OutRefundNo, &o.State, &o.Amount, &o.Refunded,
		&o.Cashier, &o.Channel, tsc.t(&o.At), &payload, &o.Origin); err != nil {
		return o, err
	}
	if err := tsc.done(); err != nil {
		return o, err
	}
	o.Kind, o.ChargeCode, o.Payload = pos.FeedKind(kind), pos.ChargeCode(code), []byte(payload)
	o.ID = pos.EventID(o.Till, o.Seq)
	return o, nil
}

// MarkOutboxSent implements pos.OutboxPort. The watermark moves over the acked
// rows that follow it without a gap; an acked row after an unacked one is
// published again later (the hub drops the repeat by its id).
func (j *Journal) MarkOutboxSent(ctx context.Context, seqs []int64, at time.Time) error {
	if len(seqs) == 0 {
		return nil
	}
	acked := make(map[int64]bool, len(seqs))
	for _, s := range seqs {
		acked[s] = true
	}
	return j.write(ctx, "outbox mark sent", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT seq, till FROM outbox WHERE seq > (SELECT seq FROM outbox_sent WHERE id = 1)
			ORDER BY seq LIMIT ?`, len(seqs))
		if err != nil {
			return err
		}
		var (
			last     int64
			lastTill string
		)
		for rows.Next() {
			var s int64
			var till string
			if err := rows.Scan(&s, &till); err != nil {
				rows.Close()
				return err
			}
			if !acked[s] {
				break
			}
			last, lastTill = s, till
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if last == 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, "UPDATE outbox_sent SET seq = ?, till = ?, acked_at = ? WHERE id = 1 AND seq < ?",
			last, lastTill, ts(at), last)
		return err
	})
}

// OutboxStatus implements pos.OutboxPort.
func (j *Journal) OutboxStatus(ctx context.Context) (pos.OutboxStatus, error) {
	var (
		st              pos.OutboxStatus
		mark            int64
		markTill, acked string
		oldest          sql.NullString
	)
	err := j.db.QueryRowContext(ctx, `SELECT s.seq, s.till, s.acked_at,
		(SELECT count(*) FROM outbox WHERE seq > s.seq), (SELECT count(*) FROM outbox WHERE seq <= s.seq),
		(SELECT at FROM outbox WHERE seq > s.seq ORDER BY seq LIMIT 1)
		FROM outbox_sent s WHERE s.id = 1`).Scan(&mark, &markTill, &acked, &st.Pending, &st.Sent, &oldest)
	if err != nil {
		return st, fmt.Errorf("outbox status: %w", err)
	}
	if st.OldestAt, err = pt(oldest.String); err != nil {
		return st, err
	}
	if st.LastAckAt, err = pt(acked); err != nil {
		return st, err
	}
	if mark > 0 {
		st.LastAckID = pos.EventID(markTill, mark)
	}
	return st, nil
}

// ImportCharge copies t, a charge made at till origin (as the hub reported
// it), into this journal so that a refund or reprint can be made here. The
// copy is recorded as foreign: pos.Shift does not count it as this till's
// sale, and its outbox events name origin. Importing a charge already here
// is pos.ErrDuplicate.
func (j *Journal) ImportCharge(ctx context.Context, t pos.Transaction, origin string, who string) error {
	if err := pos.ValidTillID(origin); err != nil {
		return fmt.Errorf("import %s: %w", t.ChargeCode, err)
	}
	if origin == j.till {
		return fmt.Errorf("import %s: it was made at this till (%s)", t.ChargeCode, origin)
	}
	if t.Unsettled() {
		return fmt.Errorf("import %s in state %s: %w", t.ChargeCode, t.State, pos.ErrIllegalTransition)
	}
	if looksUnmasked(t.MaskedCode) {
		return fmt.Errorf("import %s: %w", t.ChargeCode, ErrUnmaskedCode)
	}
	t.Queue = pos.Queue{}
	// The copy does not take its sale's gate here: the sale was the other till's.
	t.SaleID = ""
	at := j.now()
	return j.change(ctx, "import "+string(t.ChargeCode), func(tx *sql.Tx, pub func(pos.FeedEvent)) error {
		if _, err := getTx(ctx, tx, t.ChargeCode); err == nil {
			return fmt.Errorf("import %s: %w", t.ChargeCode, pos.ErrDuplicate)
		} else if !errors.Is(err, pos.ErrNotFound) {
			return err
		}
		if err := insertTx(ctx, tx, t); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO foreign_charges (charge_code, origin_till, imported_at) VALUES (?, ?, ?)",
			string(t.ChargeCode), origin, ts(at)); err != nil {
			return fmt.Errorf("import %s: %w", t.ChargeCode, err)
		}
		ev := pos.Event{ChargeCode: t.ChargeCode, Op: "import", From: "", To: string(t.State), Who: who,
			Note: "charge of till " + origin + ", copied from the store hub"}
		if err := insertEvent(ctx, tx, ev, at); err != nil {
			return err
		}
		pub(pos.FeedEvent{Kind: pos.FeedTransaction, ChargeCode: t.ChargeCode, State: string(t.State)})
		return nil
	})
}

var _ pos.ForeignCharges = (*Journal)(nil)

// ForeignCharges implements pos.ForeignCharges.
func (j *Journal) ForeignCharges(ctx context.Context) (map[pos.ChargeCode]string, error) {
	rows, err := j.db.QueryContext(ctx, "SELECT charge_code, origin_till FROM foreign_charges")
	if err != nil {
		return nil, fmt.Errorf("foreign charges: %w", err)
	}
	defer rows.Close()
	out := map[pos.ChargeCode]string{}
	for rows.Next() {
		var code, origin string
		if err := rows.Scan(&code, &origin); err != nil {
			return nil, fmt.Errorf("foreign charges: %w", err)
		}
		out[pos.ChargeCode(code)] = origin
	}
	return out, rows.Err()
}

var _ pos.DeviceReporter = (*Journal)(nil)

// ReportDevices implements pos.DeviceReporter: one outbox event with s as
// its payload (state: the printer's word). Nothing else is stored: the
// journal keeps no device history of its own.
func (j *Journal) ReportDevices(ctx context.Context, s pos.DeviceStatus) error {
	if s.At.IsZero() {
		s.At = j.now()
	}
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("report devices: %w", err)
	}
	return j.change(ctx, "report devices", func(_ *sql.Tx, pub func(pos.FeedEvent)) error {
		pub(pos.FeedEvent{Kind: pos.FeedDevices, State: s.Printer, Note: string(b)})
		return nil
	})
}
