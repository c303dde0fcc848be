package pos

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Refund and revoke errors, one per message the cashier must see.
var (
	// ErrNotPermitted: neither the cashier (userType 2) nor an approving
	// manager logged in at the register may refund.
	ErrNotPermitted = errors.New("refund needs a manager's login")
	// ErrRefundNotAtScene: the merchant's refundAtScene forbids refunds at the store.
	ErrRefundNotAtScene = errors.New("merchant does not allow refunds at the store")
	// ErrWrongMerchant: the authorising login's company code is not the
	// configured BUSI_ID.
	ErrWrongMerchant = errors.New("login belongs to another merchant")
	// ErrNotRefundable: the charge is not paid (or is being revoked).
	ErrNotRefundable = errors.New("charge cannot be refunded")
	// ErrExceedsRemaining: the amount is above what remains, counting
	// refunds still in flight.
	ErrExceedsRemaining = errors.New("amount exceeds what remains")
	// ErrNotRevocable: only a paid charge with no refund can be revoked.
	ErrNotRevocable = errors.New("charge cannot be revoked")
)

// Login authenticates a cashier, or a manager authorising a refund at the
// register (pass the result as RefundInput.Approver). Errors as Login.
func (c *Checkout) Login(ctx context.Context, user, password string) (Cashier, error) {
	return Login(ctx, c.gw, c.log, user, password)
}

// authorize returns who authorises a refund or revoke: the cashier if their
// login carries refund permission, else the approving manager.
func (c *Checkout) authorize(cashier Cashier, approver *Cashier) (Cashier, error) {
	if cashier.LoginName == "" {
		return Cashier{}, ErrNoCashier
	}
	auth := cashier
	if !cashier.CanRefund() {
		if approver == nil || !approver.CanRefund() {
			return Cashier{}, ErrNotPermitted
		}
		auth = *approver
	}
	if !auth.RefundAtScene {
		return Cashier{}, ErrRefundNotAtScene
	}
	if c.busiID == "" || auth.CompanyCode != c.busiID {
		return Cashier{}, fmt.Errorf("%w: %q, configured %q", ErrWrongMerchant, auth.CompanyCode, c.busiID)
	}
	return auth, nil
}

func approverName(cashier, auth Cashier) string {
	if auth.LoginName == cashier.LoginName {
		return ""
	}
	return auth.LoginName
}

// RefundInput is one refund request.
type RefundInput struct {
	ChargeCode ChargeCode
	Amount     Money
	Reason     string
	Cashier    Cashier
	// Approver is a manager who logged in at the register to authorise the
	// refund; recorded on the refund and in the audit log.
	Approver *Cashier
}

// Refund refunds part or all of a paid charge (WIRE.md §4.6). Permission:
// the cashier's userType 2, or Approver's; the authoriser's company must
// allow refunds at the store and be the configured merchant. The amount must
// not exceed what remains, counting refunds in flight. The OUT_REFUND_NO is
// journaled before the first send and reused by RetryRefund and the
// Reconciler. The outcome is the Refund's state: done, refused, or unknown
// (queued). err: ErrNoCashier, ErrNotPermitted, ErrRefundNotAtScene,
// ErrWrongMerchant, ErrNotRefundable, ErrExceedsRemaining, ErrBadAmount,
// ErrNotFound, or a journal failure.
func (c *Checkout) Refund(ctx context.Context, in RefundInput) (Refund, error) {
	auth, err := c.authorize(in.Cashier, in.Approver)
	if err != nil {
		return Refund{}, fmt.Errorf("refund %s: %w", in.ChargeCode, err)
	}
	if in.Amount <= 0 {
		return Refund{}, fmt.Errorf("refund %s: %w: %s is not above zero", in.ChargeCode, ErrBadAmount, in.Amount)
	}
	tx, err := c.j.Get(ctx, in.ChargeCode)
	if err != nil {
		return Refund{}, fmt.Errorf("refund %s: %w", in.ChargeCode, err)
	}
	if (tx.State != StatePaid && tx.State != StatePartiallyRefunded) || tx.GiveUp {
		return Refund{}, fmt.Errorf("refund %s (%s): %w", in.ChargeCode, tx.State, ErrNotRefundable)
	}
	rs, err := c.j.ListRefunds(ctx, RefundFilter{ChargeCode: tx.ChargeCode})
	if err != nil {
		return Refund{}, fmt.Errorf("refund %s: %w", in.ChargeCode, err)
	}
	if remaining := tx.Amount - taken(tx, rs); in.Amount > remaining {
		return Refund{}, fmt.Errorf("refund %s: %w: %s > %s", in.ChargeCode, ErrExceedsRemaining, in.Amount, remaining)
	}
	no, err := c.refunds.Next(ctx)
	if err != nil {
		return Refund{}, fmt.Errorf("refund %s: %w", in.ChargeCode, err)
	}
	now := c.clock.Now()
	r := Refund{OutRefundNo: no, ChargeCode: tx.ChargeCode, Amount: in.Amount, Reason: in.Reason, State: RefundSending,
		Cashier: in.Cashier.LoginName, Approver: approverName(in.Cashier, auth), CreatedAt: now, UpdatedAt: now,
		Queue: Queue{NextAttemptAt: now.Add(2 * c.t.CallTimeout)}}
	note := fmt.Sprintf("refund %s: %s", r.Amount, r.Reason)
	if tx.Kind == KindCash {
		// Cash goes back out of the drawer: no gateway, done at once, the
		// slip (queued in the same journal transaction) opens the drawer.
		r.State, r.Queue = RefundDone, Queue{}
		note = fmt.Sprintf("cash refund %s: %s", r.Amount, r.Reason)
	}
	if err := c.j.CreateRefund(ctx, r, Event{Op: "refund", Who: r.Cashier, Approver: r.Approver, At: now,
		Note: note}); err != nil {
		switch {
		case errors.Is(err, ErrOverRefund):
			err = fmt.Errorf("%w (%v)", ErrExceedsRemaining, err)
		case errors.Is(err, ErrIllegalTransition):
			// A revoke (or a give-up) won the race: it holds the charge.
			err = fmt.Errorf("%w: it is being revoked (%v)", ErrNotRefundable, err)
		}
		return Refund{}, fmt.Errorf("refund %s: journal: %w", in.ChargeCode, err)
	}
	if tx.Kind == KindCash {
		c.log.Info("refund", "charge_code", string(r.ChargeCode), "out_refund_no", r.OutRefundNo, "op", "cash_refund",
			"amount_fen", int64(r.Amount))
		return r, nil
	}
	got, _, err := c.sendRefund(ctx, r, tx, actor{who: r.Cashier})
	return got, err
}

// taken is what is no longer refundable of tx: its refunds not refused,
// plus what was refunded at the gateway outside posterm (in Refunded but in
// no refund row).
func taken(tx Transaction, rs []Refund) Money {
	var done Money
	for _, r := range rs {
		if r.State == RefundDone {
			done += r.Amount
		}
	}
	return reserved(rs) + max(tx.Refunded-done, 0)
}

// reserved is what refunds not refused take from a charge.
func reserved(rs []Refund) Money {
	var m Money
	for _, r := range rs {
		if r.State != RefundRefused {
			m += r.Amount
		}
	}
	return m
}

// RetryRefund sends an unsettled refund again with its OUT_REFUND_NO (the
// gateway answers a repeat idempotently). A settled refund is returned as is.
func (c *Checkout) RetryRefund(ctx context.Context, outRefundNo string, who Cashier) (Refund, error) {
	r, err := c.j.GetRefund(ctx, outRefundNo)
	if err != nil {
		return r, fmt.Errorf("retry refund %s: %w", outRefundNo, err)
	}
	if !r.Unsettled() {
		return r, nil
	}
	tx, err := c.j.Get(ctx, r.ChargeCode)
	if err != nil {
		return r, fmt.Errorf("retry refund %s: %w", outRefundNo, err)
	}
	name := who.LoginName
	if name == "" {
		name = r.Cashier
	}
	got, _, err := c.sendRefund(ctx, r, tx, actor{who: name})
	return got, err
}

// sendRefund sends r and journals the answer; settled reports it left the
// queue. SUCCESS whose answer matches the request (CheckRefund) is done; a
// final refusal is refused; anything else — no answer, a gateway fault, an
// answer that does not match, and SERIAL_REPEAT (an earlier attempt with
// this OUT_REFUND_NO may have refunded: WIRE.md §6) — leaves it unknown,
// its amount still reserved, for the Reconciler to settle by query.
func (c *core) sendRefund(ctx context.Context, r Refund, tx Transaction, a actor) (Refund, bool, error) {
	rctx, stop := context.WithTimeout(ctx, c.t.CallTimeout)
	start := c.clock.Now()
	req := RefundRequest{ChargeCode: r.ChargeCode, ChargeDownCode: tx.ChargeDownCode,
		OutRefundNo: r.OutRefundNo, Amount: r.Amount, Subject: r.Reason, OperID: r.Cashier}
	rep, err := c.gw.Refund(rctx, req)
	stop()
	if err != nil {
		rep = unknownReply("refund", err)
	}
	if err := CheckRefund(req, rep); err != nil {
		rep = c.distrust(r.ChargeCode, rep, err)
	}
	c.log.Info("refund", "charge_code", string(r.ChargeCode), "out_refund_no", r.OutRefundNo, "op", "refund",
		"result_code", rep.Code, "outcome", rep.Outcome.String(), "elapsed_ms", c.clock.Now().Sub(start).Milliseconds())
	now := c.clock.Now()
	rc := RefundChange{OutRefundNo: r.OutRefundNo, From: r.State, Owner: a.owner, ResultCode: rep.Code, ResultInfo: rep.Info, At: now,
		Event: Event{Op: "refund", Who: a.who, ResultCode: rep.Code, Info: rep.Info}}
	switch {
	case rep.Outcome == OutcomeDone:
		rc.To, rc.Receipt, rc.Event.Note = RefundDone, ReceiptRefund, "refunded"
	case rep.Outcome == OutcomeRefused && rep.Code != CodeSerialRepeat:
		rc.To, rc.Event.Note = RefundRefused, "refused"
	case rep.Code == CodeSerialRepeat:
		why := "SERIAL_REPEAT: an earlier attempt with this OUT_REFUND_NO may have refunded; settled by query"
		rc.To, rc.LastError, rc.NextAttemptAt = RefundUnknown, why, now
		rc.Event.Note = why
	default:
		rc.To, rc.LastError, rc.NextAttemptAt = RefundUnknown, replyErr(rep), now
		rc.Event.Note = "no answer: " + replyErr(rep)
	}
	got, _, err := c.j.SettleRefund(context.WithoutCancel(ctx), rc)
	if err != nil {
		if isStale(err) { // settled meanwhile by someone else
			cur, gerr := c.j.GetRefund(context.WithoutCancel(ctx), r.OutRefundNo)
			if gerr == nil {
				return cur, !cur.Unsettled(), nil
			}
		}
		return r, false, fmt.Errorf("refund %s: journal: %w", r.OutRefundNo, err)
	}
	return got, !got.Unsettled(), nil
}

// Revoke cancels a paid charge in full (sosopay.trade.cancel refunds a paid
// trade, WIRE.md §4.5); permission as Refund. The intent (GiveUp) is
// journaled before the cancel is sent, so with no answer the Reconciler
// finishes it. The outcome is the Transaction's state: revoked, or paid
// (given up, queued). err: as Refund, ErrNotRevocable.
func (c *Checkout) Revoke(ctx context.Context, code ChargeCode, cashier Cashier, approver *Cashier) (Transaction, error) {
	auth, err := c.authorize(cashier, approver)
	if err != nil {
		return Transaction{}, fmt.Errorf("revoke %s: %w", code, err)
	}
	tx, err := c.j.Get(ctx, code)
	if err != nil {
		return tx, fmt.Errorf("revoke %s: %w", code, err)
	}
	rs, err := c.j.ListRefunds(ctx, RefundFilter{ChargeCode: code})
	if err != nil {
		return tx, fmt.Errorf("revoke %s: %w", code, err)
	}
	if tx.State != StatePaid || tx.Refunded != 0 || reserved(rs) != 0 {
		return tx, fmt.Errorf("revoke %s (%s): %w", code, tx.State, ErrNotRevocable)
	}
	if tx.Kind == KindCash { // nothing to revoke at the gateway: refund the cash
		return tx, fmt.Errorf("revoke %s (cash): %w: refund it instead", code, ErrNotRevocable)
	}
	a := actor{who: cashier.LoginName}
	ap := approverName(cashier, auth)
	if !tx.GiveUp {
		reason := "revoked by " + a.who
		if ap != "" {
			reason += ", approved by " + ap
		}
		tx, err = c.note(ctx, tx, a, Event{Op: "revoke", Approver: ap, Note: reason},
			Patch{GiveUp: true, GiveUpReason: reason}, time.Time{})
		if errors.Is(err, ErrIllegalTransition) || isStale(err) {
			// A refund won the race: the charge stays refundable, and
			// the revoke is refused (the journal decided, atomically).
			cur := c.reread(ctx, tx)
			return cur, fmt.Errorf("revoke %s: %w: a refund was started meanwhile; refund what remains instead", code, ErrNotRevocable)
		}
		if err != nil {
			return tx, err
		}
	}
	a.revokeSlip = ReceiptRevoke // queued with the revoked state, in one transaction
	return c.cancel(ctx, tx, a)
}

// RefundFromState decides an unknown refund r of tx from the charge's STATE
// at the gateway (WIRE.md §5) when re-sending it cannot (SERIAL_REPEAT):
// done when the gateway shows the money went back and only r can account
// for it, refused when it shows nothing can have been refunded; "" (stays
// unknown, its amount reserved) whenever it is not certain. all are the
// charge's refunds (r among them). why says what decided, for the audit.
func RefundFromState(tx Transaction, r Refund, all []Refund, st RemoteState) (RefundState, string) {
	othersOpen := false
	for _, o := range all {
		if o.OutRefundNo != r.OutRefundNo && o.Unsettled() {
			othersOpen = true
		}
	}
	alone := !othersOpen && tx.Refunded == 0 // no other refund can explain a refund at the gateway
	switch st {
	case RemoteRefunded, RemoteRefundSucceeded:
		if tx.Refunded+r.Amount <= tx.Amount {
			return RefundDone, fmt.Sprintf("gateway STATE %d: refunded", st)
		}
	case RemotePartiallyRefunded:
		if alone {
			return RefundDone, fmt.Sprintf("gateway STATE %d: partly refunded, and this is the only refund", st)
		}
	case RemotePaid:
		if alone {
			return RefundRefused, fmt.Sprintf("gateway STATE %d: paid, nothing refunded", st)
		}
	case RemoteRevoked, RemoteClosed, RemoteOrderCancelled:
		// A revoke is refused once any refund exists (WIRE.md §4.5), and
		// a closed charge was never paid: no refund can have been made.
		return RefundRefused, fmt.Sprintf("gateway STATE %d: no refund can have been made", st)
	case RemoteRefundCancelled, RemoteRefundFailed2:
		if alone {
			return RefundRefused, fmt.Sprintf("gateway STATE %d: the refund failed", st)
		}
	}
	return "", fmt.Sprintf("gateway STATE %d does not say whether this refund went through", st)
}
