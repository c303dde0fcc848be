// Package postest holds hand-written fakes of the ports of package pos — an
// in-memory Journal, a scriptable Gateway, a fake Clock — and TestJournal,
// the conformance suite every pos.Journal implementation runs.
package postest

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"posterm/pos"
)

// Journal is an in-memory pos.Journal with the same semantics as the durable
// one (minus durability). Safe for concurrent use.
type Journal struct {
	mu       sync.Mutex
	txs      map[pos.ChargeCode]*pos.Transaction
	refunds  map[string]*pos.Refund
	events   []pos.Event
	issued   map[string]string
	receipts []ReceiptJob
	seq      int64
	till     string
	feed     pos.Feed

	// FailNext, when set, makes the next mutating call return this error
	// without writing anything (to test storage failures).
	FailNext error
}

// ReceiptJob is one enqueued print job.
type ReceiptJob struct {
	ChargeCode pos.ChargeCode
	Kind       pos.ReceiptKind
}

var (
	_ pos.Journal    = (*Journal)(nil)
	_ pos.ChangeFeed = (*Journal)(nil)
)

// DefaultTillID is the till identity of a new fake journal.
const DefaultTillID = "TILL"

// NewJournal returns an empty in-memory journal.
func NewJournal() *Journal {
	return &Journal{
		txs:     map[pos.ChargeCode]*pos.Transaction{},
		refunds: map[string]*pos.Refund{},
		issued:  map[string]string{},
		till:    DefaultTillID,
	}
}

// SetTillID sets the till identity TillID returns (a fake "other till").
func (j *Journal) SetTillID(id string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.till = id
}

// TillID implements pos.Journal.
func (j *Journal) TillID(ctx context.Context) (string, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.till, nil
}

// Subscribe implements pos.ChangeFeed. The fake publishes its own changes
// (there is no other process); PublishSettlement and Resync let tests
// publish the rest.
func (j *Journal) Subscribe() (<-chan pos.FeedEvent, func()) { return j.feed.Subscribe() }

// PublishSettlement publishes a settlement result on the feed.
func (j *Journal) PublishSettlement(note string) {
	j.feed.Publish(pos.FeedEvent{Kind: pos.FeedSettlement, Note: note})
}

// Resync publishes a resync, as a real journal does when another process
// wrote.
func (j *Journal) Resync() { j.feed.Publish(pos.FeedEvent{Kind: pos.FeedResync}) }

// Close closes the feed's subscriptions.
func (j *Journal) Close() error {
	j.feed.Close()
	return nil
}

func (j *Journal) receipt(code pos.ChargeCode, kind pos.ReceiptKind) {
	j.receipts = append(j.receipts, ReceiptJob{code, kind})
	j.feed.Publish(pos.FeedEvent{Kind: pos.FeedPrintJob, ChargeCode: code, JobID: int64(len(j.receipts))})
}

// Receipts returns the print jobs enqueued so far, in order.
func (j *Journal) Receipts() []ReceiptJob {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.receipts)
}

// ReceiptsFor returns the print jobs of one charge.
func (j *Journal) ReceiptsFor(code pos.ChargeCode) []ReceiptJob {
	var out []ReceiptJob
	for _, r := range j.Receipts() {
		if r.ChargeCode == code {
			out = append(out, r)
		}
	}
	return out
}

func (j *Journal) failed() error {
	if err := j.FailNext; err != nil {
		j.FailNext = nil
		return err
	}
	return nil
}

func cloneTx(t *pos.Transaction) pos.Transaction {
	c := *t
	c.FundBills = slices.Clone(t.FundBills)
	return c
}

func (j *Journal) appendEvent(ev pos.Event, at time.Time) {
	j.seq++
	ev.Seq = j.seq
	if ev.At.IsZero() {
		ev.At = at
	}
	j.events = append(j.events, ev)
}

func leaseBlocked(q pos.Queue, owner string, now time.Time) bool {
	return owner != "" && q.LeaseOwner != "" && q.LeaseOwner != owner && q.LeaseUntil.After(now)
}

// CreateTransaction implements pos.Journal.
func (j *Journal) CreateTransaction(ctx context.Context, t pos.Transaction, ev pos.Event) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.failed(); err != nil {
		return err
	}
	switch {
	case t.Kind == pos.KindCash:
		if t.State != pos.StatePaid || t.GiveUp || t.Tendered < t.Amount || t.Amount <= 0 {
			return fmt.Errorf("create cash sale %s in state %q: %w", t.ChargeCode, t.State, pos.ErrIllegalTransition)
		}
	case t.State != pos.StateSending || t.Tendered != 0:
		return fmt.Errorf("create %s in state %q: %w", t.ChargeCode, t.State, pos.ErrIllegalTransition)
	}
	if _, ok := j.txs[t.ChargeCode]; ok {
		return fmt.Errorf("create %s: %w", t.ChargeCode, pos.ErrDuplicate)
	}
	if t.SaleID != "" {
		for _, o := range j.txs {
			if o.SaleID == t.SaleID && o.HoldsSaleGate() {
				return fmt.Errorf("create %s: sale %s held by %s: %w", t.ChargeCode, t.SaleID, o.ChargeCode, pos.ErrSaleOpen)
			}
		}
	}
	c := cloneTx(&t)
	c.LeaseOwner, c.LeaseUntil = "", time.Time{}
	j.txs[t.ChargeCode] = &c
	ev.ChargeCode, ev.From, ev.To = t.ChargeCode, "", string(t.State)
	j.appendEvent(ev, t.CreatedAt)
	j.feed.Publish(pos.FeedEvent{Kind: pos.FeedTransaction, ChargeCode: t.ChargeCode, State: string(t.State)})
	if t.Kind == pos.KindCash {
		j.receipt(t.ChargeCode, pos.ReceiptSale)
	}
	return nil
}

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

// Transition implements pos.Journal.
func (j *Journal) Transition(ctx context.Context, ch pos.Change) (pos.Transaction, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.failed(); err != nil {
		return pos.Transaction{}, err
	}
	t, ok := j.txs[ch.ChargeCode]
	if !ok {
		return pos.Transaction{}, fmt.Errorf("transition %s: %w", ch.ChargeCode, pos.ErrNotFound)
	}
	if ch.From != ch.To && !pos.CanTransition(ch.From, ch.To) {
		return pos.Transaction{}, fmt.Errorf("transition %s: %w: %s → %s", ch.ChargeCode, pos.ErrIllegalTransition, ch.From, ch.To)
	}
	if t.State != ch.From {
		return pos.Transaction{}, fmt.Errorf("transition %s: %w: is %s, not %s", ch.ChargeCode, pos.ErrStale, t.State, ch.From)
	}
	if leaseBlocked(t.Queue, ch.Owner, ch.At) {
		return pos.Transaction{}, fmt.Errorf("transition %s: %w (%s)", ch.ChargeCode, pos.ErrLeaseLost, t.LeaseOwner)
	}
	if ch.Patch.GiveUp && t.Kind == pos.KindCash {
		return pos.Transaction{}, fmt.Errorf("transition %s: %w: a cash sale is never given up", ch.ChargeCode, pos.ErrIllegalTransition)
	}
	if ch.Patch.GiveUp && !t.GiveUp {
		for _, r := range j.refunds {
			if r.ChargeCode == ch.ChargeCode && r.State != pos.RefundRefused {
				return pos.Transaction{}, fmt.Errorf("transition %s: %w: cannot give up a charge with refunds",
					ch.ChargeCode, pos.ErrIllegalTransition)
			}
		}
	}
	n := cloneTx(t)
	n.State = ch.To
	applyPatch(&n, ch.Patch)
	if !ch.At.IsZero() {
		n.UpdatedAt = ch.At
	}
	if !ch.NextAttemptAt.IsZero() {
		n.NextAttemptAt = ch.NextAttemptAt
	}
	if !n.Unsettled() {
		n.LeaseOwner, n.LeaseUntil = "", time.Time{}
	} else if ch.Owner != "" && n.LeaseOwner != ch.Owner {
		n.LeaseOwner, n.LeaseUntil = "", time.Time{}
	}
	*t = n
	ev := ch.Event
	ev.ChargeCode, ev.From, ev.To = ch.ChargeCode, string(ch.From), string(ch.To)
	j.appendEvent(ev, ch.At)
	j.feed.Publish(pos.FeedEvent{Kind: pos.FeedTransaction, ChargeCode: t.ChargeCode, State: string(t.State)})
	if ch.Receipt != "" {
		j.receipt(ch.ChargeCode, ch.Receipt)
	}
	return cloneTx(t), nil
}

// Get implements pos.Journal.
func (j *Journal) Get(ctx context.Context, code pos.ChargeCode) (pos.Transaction, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	t, ok := j.txs[code]
	if !ok {
		return pos.Transaction{}, fmt.Errorf("get %s: %w", code, pos.ErrNotFound)
	}
	return cloneTx(t), nil
}

func inWindow(at, since, until time.Time) bool {
	if !since.IsZero() && at.Before(since) {
		return false
	}
	if !until.IsZero() && !at.Before(until) {
		return false
	}
	return true
}

// List implements pos.Journal.
func (j *Journal) List(ctx context.Context, f pos.Filter) ([]pos.Transaction, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []pos.Transaction
	for _, t := range j.txs {
		if !inWindow(t.CreatedAt, f.Since, f.Until) ||
			(f.Kind != "" && t.Kind != f.Kind) ||
			(len(f.States) > 0 && !slices.Contains(f.States, t.State)) ||
			(f.SaleID != "" && t.SaleID != f.SaleID) ||
			(f.Cashier != "" && t.Cashier != f.Cashier) ||
			(f.Unsettled && !t.Unsettled()) {
			continue
		}
		out = append(out, cloneTx(t))
	}
	sort.Slice(out, func(a, b int) bool {
		if !out[a].CreatedAt.Equal(out[b].CreatedAt) {
			return out[a].CreatedAt.Before(out[b].CreatedAt)
		}
		return out[a].ChargeCode < out[b].ChargeCode
	})
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

// Events implements pos.Journal.
func (j *Journal) Events(ctx context.Context, code pos.ChargeCode) ([]pos.Event, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []pos.Event
	for _, e := range j.events {
		if e.ChargeCode == code {
			out = append(out, e)
		}
	}
	return out, nil
}

// CreateRefund implements pos.Journal.
func (j *Journal) CreateRefund(ctx context.Context, r pos.Refund, ev pos.Event) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.failed(); err != nil {
		return err
	}
	if r.State != pos.RefundSending && r.State != pos.RefundDone {
		return fmt.Errorf("create refund %s in state %q: %w", r.OutRefundNo, r.State, pos.ErrIllegalTransition)
	}
	if _, ok := j.refunds[r.OutRefundNo]; ok {
		return fmt.Errorf("create refund %s: %w", r.OutRefundNo, pos.ErrDuplicate)
	}
	t, ok := j.txs[r.ChargeCode]
	if !ok {
		return fmt.Errorf("create refund %s of %s: %w", r.OutRefundNo, r.ChargeCode, pos.ErrNotFound)
	}
	if (t.Kind == pos.KindCash) != (r.State == pos.RefundDone) {
		return fmt.Errorf("create refund %s in state %q of a %s charge: %w", r.OutRefundNo, r.State, t.Kind, pos.ErrIllegalTransition)
	}
	if (t.State != pos.StatePaid && t.State != pos.StatePartiallyRefunded) || t.GiveUp {
		return fmt.Errorf("create refund %s: %w: charge %s is %s", r.OutRefundNo, pos.ErrIllegalTransition, t.ChargeCode, t.State)
	}
	var reserved, done pos.Money
	for _, x := range j.refunds {
		if x.ChargeCode == r.ChargeCode && x.State != pos.RefundRefused {
			reserved += x.Amount
		}
		if x.ChargeCode == r.ChargeCode && x.State == pos.RefundDone {
			done += x.Amount
		}
	}
	if outside := t.Refunded - done; outside > 0 { // refunded at the gateway outside posterm
		reserved += outside
	}
	if r.Amount <= 0 || reserved+r.Amount > t.Amount {
		return fmt.Errorf("create refund %s: %w: %s of %s, %s reserved", r.OutRefundNo, pos.ErrOverRefund, r.Amount, t.Amount, reserved)
	}
	c := r
	c.LeaseOwner, c.LeaseUntil = "", time.Time{}
	j.refunds[r.OutRefundNo] = &c
	ev.ChargeCode, ev.OutRefundNo, ev.From, ev.To = r.ChargeCode, r.OutRefundNo, "", string(r.State)
	j.appendEvent(ev, r.CreatedAt)
	j.feed.Publish(pos.FeedEvent{Kind: pos.FeedRefund, ChargeCode: r.ChargeCode, OutRefundNo: r.OutRefundNo, State: string(r.State)})
	if r.State == pos.RefundDone { // a cash refund: applied at once, its slip queued
		from := t.State
		t.Refunded += r.Amount
		t.State = pos.StateAfterRefund(t.Amount, t.Refunded)
		t.UpdatedAt = r.CreatedAt
		j.appendEvent(pos.Event{ChargeCode: t.ChargeCode, Op: ev.Op, From: string(from), To: string(t.State), Who: ev.Who,
			Approver: r.Approver, Note: fmt.Sprintf("refund %s done", r.OutRefundNo)}, r.CreatedAt)
		j.feed.Publish(pos.FeedEvent{Kind: pos.FeedTransaction, ChargeCode: t.ChargeCode, State: string(t.State)})
		j.receipt(t.ChargeCode, pos.ReceiptRefund)
	}
	return nil
}

// SettleRefund implements pos.Journal.
func (j *Journal) SettleRefund(ctx context.Context, rc pos.RefundChange) (pos.Refund, pos.Transaction, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.failed(); err != nil {
		return pos.Refund{}, pos.Transaction{}, err
	}
	r, ok := j.refunds[rc.OutRefundNo]
	if !ok {
		return pos.Refund{}, pos.Transaction{}, fmt.Errorf("settle refund %s: %w", rc.OutRefundNo, pos.ErrNotFound)
	}
	if rc.From != rc.To && !pos.CanTransitionRefund(rc.From, rc.To) {
		return pos.Refund{}, pos.Transaction{}, fmt.Errorf("settle refund %s: %w: %s → %s", rc.OutRefundNo, pos.ErrIllegalTransition, rc.From, rc.To)
	}
	if r.State != rc.From {
		return pos.Refund{}, pos.Transaction{}, fmt.Errorf("settle refund %s: %w: is %s, not %s", rc.OutRefundNo, pos.ErrStale, r.State, rc.From)
	}
	if leaseBlocked(r.Queue, rc.Owner, rc.At) {
		return pos.Refund{}, pos.Transaction{}, fmt.Errorf("settle refund %s: %w", rc.OutRefundNo, pos.ErrLeaseLost)
	}
	t := j.txs[r.ChargeCode]
	if t.Kind == pos.KindCash {
		return pos.Refund{}, pos.Transaction{}, fmt.Errorf("settle refund %s: %w: a cash refund is created done", rc.OutRefundNo, pos.ErrIllegalTransition)
	}
	nt := cloneTx(t)
	if rc.To == pos.RefundDone && rc.From != rc.To {
		nt.Refunded += r.Amount
		if nt.Refunded > nt.Amount {
			return pos.Refund{}, pos.Transaction{}, fmt.Errorf("settle refund %s: %w", rc.OutRefundNo, pos.ErrOverRefund)
		}
		to := pos.StateAfterRefund(nt.Amount, nt.Refunded)
		if to != t.State && !pos.CanTransition(t.State, to) {
			return pos.Refund{}, pos.Transaction{}, fmt.Errorf("settle refund %s: %w: charge %s → %s", rc.OutRefundNo, pos.ErrIllegalTransition, t.State, to)
		}
		nt.State = to
		if !rc.At.IsZero() {
			nt.UpdatedAt = rc.At
		}
	}
	nr := *r
	nr.State = rc.To
	if rc.ResultCode != "" {
		nr.ResultCode = rc.ResultCode
	}
	if rc.ResultInfo != "" {
		nr.ResultInfo = rc.ResultInfo
	}
	if rc.LastError != "" {
		nr.LastError = rc.LastError
	}
	if !rc.At.IsZero() {
		nr.UpdatedAt = rc.At
	}
	if !rc.NextAttemptAt.IsZero() {
		nr.NextAttemptAt = rc.NextAttemptAt
	}
	if !nr.Unsettled() || (rc.Owner != "" && nr.LeaseOwner != rc.Owner) {
		nr.LeaseOwner, nr.LeaseUntil = "", time.Time{}
	}
	*r, *t = nr, nt
	ev := rc.Event
	ev.ChargeCode, ev.OutRefundNo, ev.From, ev.To = r.ChargeCode, r.OutRefundNo, string(rc.From), string(rc.To)
	j.appendEvent(ev, rc.At)
	j.feed.Publish(pos.FeedEvent{Kind: pos.FeedRefund, ChargeCode: r.ChargeCode, OutRefundNo: r.OutRefundNo, State: string(r.State)})
	if rc.To == pos.RefundDone {
		j.feed.Publish(pos.FeedEvent{Kind: pos.FeedTransaction, ChargeCode: t.ChargeCode, State: string(t.State)})
	}
	if rc.Receipt != "" {
		j.receipt(r.ChargeCode, rc.Receipt)
	}
	return *r, cloneTx(t), nil
}

// GetRefund implements pos.Journal.
func (j *Journal) GetRefund(ctx context.Context, no string) (pos.Refund, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	r, ok := j.refunds[no]
	if !ok {
		return pos.Refund{}, fmt.Errorf("get refund %s: %w", no, pos.ErrNotFound)
	}
	return *r, nil
}

// ListRefunds implements pos.Journal.
func (j *Journal) ListRefunds(ctx context.Context, f pos.RefundFilter) ([]pos.Refund, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []pos.Refund
	for _, r := range j.refunds {
		if !inWindow(r.CreatedAt, f.Since, f.Until) ||
			(f.ChargeCode != "" && r.ChargeCode != f.ChargeCode) ||
			(len(f.States) > 0 && !slices.Contains(f.States, r.State)) ||
			(f.Unsettled && !r.Unsettled()) {
			continue
		}
		out = append(out, *r)
	}
	sort.Slice(out, func(a, b int) bool {
		if !out[a].CreatedAt.Equal(out[b].CreatedAt) {
			return out[a].CreatedAt.Before(out[b].CreatedAt)
		}
		return out[a].OutRefundNo < out[b].OutRefundNo
	})
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

// Claim implements pos.Journal.
func (j *Journal) Claim(ctx context.Context, r pos.ClaimRequest) ([]pos.WorkItem, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.failed(); err != nil {
		return nil, err
	}
	if r.Owner == "" || r.Limit <= 0 {
		return nil, fmt.Errorf("claim: owner and a positive limit are required")
	}
	type cand struct {
		key  pos.WorkKey
		next time.Time
		q    *pos.Queue
	}
	var cs []cand
	due := func(q pos.Queue) bool {
		return (r.IgnoreSchedule || !q.NextAttemptAt.After(r.Now)) &&
			(q.LeaseOwner == "" || !q.LeaseUntil.After(r.Now))
	}
	for _, t := range j.txs {
		if t.Unsettled() && due(t.Queue) {
			cs = append(cs, cand{pos.WorkKey{Kind: pos.WorkCharge, ChargeCode: t.ChargeCode}, t.NextAttemptAt, &t.Queue})
		}
	}
	for _, x := range j.refunds {
		if x.Unsettled() && due(x.Queue) {
			cs = append(cs, cand{pos.WorkKey{Kind: pos.WorkRefund, ChargeCode: x.ChargeCode, OutRefundNo: x.OutRefundNo}, x.NextAttemptAt, &x.Queue})
		}
	}
	sort.Slice(cs, func(a, b int) bool {
		if !cs[a].next.Equal(cs[b].next) {
			return cs[a].next.Before(cs[b].next)
		}
		ka, kb := cs[a].key, cs[b].key
		if ka.ChargeCode != kb.ChargeCode {
			return ka.ChargeCode < kb.ChargeCode
		}
		return ka.OutRefundNo < kb.OutRefundNo
	})
	if len(cs) > r.Limit {
		cs = cs[:r.Limit]
	}
	out := make([]pos.WorkItem, 0, len(cs))
	for _, c := range cs {
		c.q.LeaseOwner, c.q.LeaseUntil = r.Owner, r.Now.Add(r.Lease)
		it := pos.WorkItem{Key: c.key, Transaction: cloneTx(j.txs[c.key.ChargeCode])}
		if c.key.Kind == pos.WorkRefund {
			it.Refund = *j.refunds[c.key.OutRefundNo]
		}
		out = append(out, it)
	}
	return out, nil
}

// Release implements pos.Journal.
func (j *Journal) Release(ctx context.Context, k pos.WorkKey, owner string, now time.Time, r pos.Retry) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.failed(); err != nil {
		return err
	}
	var q *pos.Queue
	var unsettled bool
	switch k.Kind {
	case pos.WorkRefund:
		x, ok := j.refunds[k.OutRefundNo]
		if !ok {
			return fmt.Errorf("release refund %s: %w", k.OutRefundNo, pos.ErrNotFound)
		}
		q, unsettled = &x.Queue, x.Unsettled()
	default:
		t, ok := j.txs[k.ChargeCode]
		if !ok {
			return fmt.Errorf("release %s: %w", k.ChargeCode, pos.ErrNotFound)
		}
		q, unsettled = &t.Queue, t.Unsettled()
	}
	if leaseBlocked(*q, owner, now) {
		return fmt.Errorf("release %s%s: %w", k.ChargeCode, k.OutRefundNo, pos.ErrLeaseLost)
	}
	q.LeaseOwner, q.LeaseUntil = "", time.Time{}
	if !unsettled {
		return nil
	}
	if !r.NextAttemptAt.IsZero() {
		q.NextAttemptAt = r.NextAttemptAt
	}
	if r.LastError != "" {
		q.LastError = r.LastError
	}
	if r.CountAttempt {
		q.Attempts++
	}
	return nil
}

// LastIssued implements pos.Journal.
func (j *Journal) LastIssued(ctx context.Context, series string) (string, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.issued[series], nil
}

// SwapIssued implements pos.Journal.
func (j *Journal) SwapIssued(ctx context.Context, series, old, next string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.failed(); err != nil {
		return err
	}
	if j.issued[series] != old {
		return fmt.Errorf("issue %s: %w", series, pos.ErrConflict)
	}
	j.issued[series] = next
	return nil
}

// EnqueueReceipt implements pos.Journal.
func (j *Journal) EnqueueReceipt(ctx context.Context, code pos.ChargeCode, kind pos.ReceiptKind) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.failed(); err != nil {
		return err
	}
	if _, ok := j.txs[code]; !ok {
		return fmt.Errorf("receipt %s: %w", code, pos.ErrNotFound)
	}
	j.receipt(code, kind)
	return nil
}
