package pos

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// core holds what the checkout and the reconciler share: the rules that turn
// a gateway answer into a journaled state. Every journal write after a
// gateway answer uses a context that is not cancelled with the caller's, so
// that an answer received is never lost to a cancelled context.
type core struct {
	gw    Gateway
	j     Journal
	clock Clock
	t     Timings
	log   *slog.Logger
	// devID is the till's DEV_ID, compared with a query's after
	// SERIAL_REPEAT (CheckQuery); "" skips that comparison.
	devID string
}

// errNotOurs: a charge answered SERIAL_REPEAT was then found at the gateway
// with facts that are not ours (another till's charge with the same serial,
// or a forged answer). The row stays unsettled and must not be cancelled:
// a cancel would revoke someone else's charge.
var errNotOurs = errors.New("the charge the gateway holds under this serial is not ours")

// distrust turns an answer that disagrees with its request into an unknown
// one: it is logged with the field that disagreed and never acted on.
func (c *core) distrust(code ChargeCode, rep Reply, err error) Reply {
	var m *AnswerMismatch
	field := ""
	if errors.As(err, &m) {
		field = m.Field
	}
	c.log.Error("answer does not match the request", "charge_code", string(code), "op", "check",
		"field", field, "result_code", rep.Code, "err", err)
	return Reply{Outcome: OutcomeUnknown, Code: "", Info: rep.Info, Detail: "answer not trusted: " + err.Error()}
}

// actor is who acts: Who goes into audit events, Owner (the reconciler's
// lease owner, "" for the checkout) into Change.Owner.
type actor struct {
	who, owner string
	// revokeSlip, when set, is queued with the transition that revokes the
	// charge (a cashier's revoke prints its slip in the same SQL
	// transaction as the state change, never apart).
	revokeSlip ReceiptKind
}

func unknownReply(op string, err error) Reply {
	return Reply{Outcome: OutcomeUnknown, Detail: fmt.Sprintf("%s: %v", op, err)}
}

func patchFrom(rep Reply) Patch {
	return Patch{
		ChargeDownCode:  rep.ChargeDownCode,
		ChargeThirdCode: rep.ChargeThirdCode,
		Channel:         rep.Channel,
		ResultCode:      rep.Code,
		ResultInfo:      rep.Info,
		FundBills:       rep.FundBills,
	}
}

func replyErr(rep Reply) string {
	s := rep.Code
	if rep.Info != "" {
		s += " " + rep.Info
	}
	if rep.Detail != "" {
		if s != "" {
			s += ": "
		}
		s += rep.Detail
	}
	if s == "" {
		s = "no answer"
	}
	return s
}

// move journals tx → to, going through unknown when the machine demands it
// (a sending row whose answer was lost: sending → unknown → closed).
func (c *core) move(ctx context.Context, tx Transaction, to State, a actor, ev Event, p Patch, receipt ReceiptKind, next time.Time) (Transaction, error) {
	ctx = context.WithoutCancel(ctx)
	now := c.clock.Now()
	if tx.State != to && !CanTransition(tx.State, to) && CanTransition(tx.State, StateUnknown) && CanTransition(StateUnknown, to) {
		var err error
		tx, err = c.j.Transition(ctx, Change{ChargeCode: tx.ChargeCode, From: tx.State, To: StateUnknown, Owner: a.owner, At: now,
			Event: Event{Op: ev.Op, Who: a.who, Note: "outcome was not recorded"}})
		if err != nil {
			return tx, fmt.Errorf("%s %s: %w", ev.Op, tx.ChargeCode, err)
		}
	}
	ev.Who, ev.At = a.who, now
	if ev.ResultCode == "" {
		ev.ResultCode = p.ResultCode
	}
	from := tx.State
	if to == StateRevoked && receipt == "" {
		receipt = a.revokeSlip
	}
	got, err := c.j.Transition(ctx, Change{ChargeCode: tx.ChargeCode, From: from, To: to, Owner: a.owner, Patch: p,
		Receipt: receipt, NextAttemptAt: next, At: now, Event: ev})
	if err != nil {
		return tx, fmt.Errorf("%s %s: %w", ev.Op, tx.ChargeCode, err)
	}
	c.log.Info("transaction", "charge_code", string(tx.ChargeCode), "op", ev.Op, "result_code", ev.ResultCode,
		"from", string(from), "to", string(to), "who", a.who)
	return got, nil
}

// note journals facts about tx without changing its state.
func (c *core) note(ctx context.Context, tx Transaction, a actor, ev Event, p Patch, next time.Time) (Transaction, error) {
	return c.move(ctx, tx, tx.State, a, ev, p, "", next)
}

// applyState settles tx to what a reply's STATE says, when it says
// something final. settled reports that tx left the queue. A given-up row
// found paid is journaled paid (no receipt) and stays unsettled: it must be
// revoked.
func (c *core) applyState(ctx context.Context, tx Transaction, rep Reply, a actor, op string) (Transaction, bool, error) {
	if rep.Outcome != OutcomeDone || !rep.HasState {
		return tx, false, nil
	}
	if err := CheckQuery(tx, c.devID, rep); err != nil {
		c.distrust(tx.ChargeCode, rep, err)
		why := "answer not trusted, not settled: " + err.Error()
		if tx.ResultCode == CodeSerialRepeat {
			why = "SERIAL_REPEAT, and the charge the gateway holds under this serial does not match ours: " + err.Error()
		}
		tx, lerr := c.leave(ctx, tx, a, why)
		if lerr == nil && tx.ResultCode == CodeSerialRepeat {
			lerr = errNotOurs
		}
		return tx, false, lerr
	}
	local, ok := rep.State.Local()
	if !ok {
		return tx, false, nil
	}
	if local == StatePartiallyRefunded || local == StateRefunded {
		// Refunds only reach the journal through refund rows; for the
		// charge itself this says "it was paid".
		if tx.State != StatePaid && tx.State != StatePartiallyRefunded && tx.State != StateRefunded {
			c.log.Warn("charge found refunded at the gateway without a local refund", "charge_code", string(tx.ChargeCode),
				"op", op, "state", int(rep.State))
		}
		local = StatePaid
	}
	switch {
	case tx.State == local:
		return tx, !tx.Unsettled(), nil
	case local == StatePaid:
		if tx.State != StateSending && tx.State != StateUnknown && tx.State != StatePending {
			return tx, !tx.Unsettled(), nil
		}
		p := patchFrom(rep)
		p.PaidAt = rep.EndTime
		if p.PaidAt.IsZero() {
			p.PaidAt = c.clock.Now()
		}
		receipt, note := ReceiptSale, "paid"
		if tx.GiveUp {
			receipt, note = "", "paid although given up: to be revoked"
		}
		tx, err := c.move(ctx, tx, StatePaid, a, Event{Op: op, Info: rep.Info, Note: note}, p, receipt, time.Time{})
		return tx, err == nil && !tx.Unsettled(), err
	case tx.State == StatePaid && local == StateClosed:
		c.log.Error("gateway says closed, journal says paid", "charge_code", string(tx.ChargeCode), "op", op)
		return tx, false, nil
	default: // revoked, closed
		tx, err := c.move(ctx, tx, local, a, Event{Op: op, Info: rep.Info, Note: fmt.Sprintf("gateway STATE %d", rep.State)},
			patchFrom(rep), "", time.Time{})
		return tx, err == nil && !tx.Unsettled(), err
	}
}

func (c *core) query(ctx context.Context, code ChargeCode) Reply {
	qctx, cancel := context.WithTimeout(ctx, c.t.CallTimeout)
	defer cancel()
	start := c.clock.Now()
	rep, err := c.gw.Query(qctx, code)
	if err != nil {
		rep = unknownReply("query", err)
	}
	c.log.Debug("query", "charge_code", string(code), "op", "query", "result_code", rep.Code,
		"state", int(rep.State), "elapsed_ms", c.clock.Now().Sub(start).Milliseconds())
	return rep
}

// giveUpAndCancel is the register giving up on a charge: GiveUp is journaled
// first, then cancel is sent; its answer settles the row (revoked, closed,
// voided) or leaves it unsettled for the reconciler.
func (c *core) giveUpAndCancel(ctx context.Context, tx Transaction, a actor, reason string) (Transaction, error) {
	if !tx.GiveUp {
		p := Patch{GiveUp: true, GiveUpReason: reason}
		var err error
		if tx.State == StateSending {
			tx, err = c.move(ctx, tx, StateUnknown, a, Event{Op: "cancel", Note: "give up: " + reason}, p, "", time.Time{})
		} else {
			tx, err = c.note(ctx, tx, a, Event{Op: "cancel", Note: "give up: " + reason}, p, time.Time{})
		}
		if err != nil {
			return tx, err
		}
	}
	return c.cancel(ctx, tx, a)
}

// cancel sends sosopay.trade.cancel for a given-up row and settles on its
// answer (WIRE.md §4.5).
func (c *core) cancel(ctx context.Context, tx Transaction, a actor) (Transaction, error) {
	if tx.ResultCode == CodeSerialRepeat {
		// The serial was used before: if the charge it names is not ours
		// (another till's sale), a cancel would revoke someone else's money.
		q := c.query(ctx, tx.ChargeCode)
		if q.Outcome == OutcomeDone && q.HasState {
			if err := CheckQuery(tx, c.devID, q); err != nil {
				c.distrust(tx.ChargeCode, q, err)
				return c.leave(ctx, tx, a, "not cancelled: SERIAL_REPEAT, and the charge the gateway holds under this serial does not match ours: "+err.Error())
			}
		}
	}
	cctx, stop := context.WithTimeout(ctx, c.t.CallTimeout)
	start := c.clock.Now()
	rep, err := c.gw.Cancel(cctx, tx.ChargeCode, OpTypeNow)
	stop()
	if err != nil {
		rep = unknownReply("cancel", err)
	}
	c.log.Info("cancel", "charge_code", string(tx.ChargeCode), "op", "cancel", "result_code", rep.Code,
		"outcome", rep.Outcome.String(), "elapsed_ms", c.clock.Now().Sub(start).Milliseconds())
	ev := Event{Op: "cancel", ResultCode: rep.Code, Info: rep.Info}
	switch {
	case rep.Outcome == OutcomeDone:
		// Closed if it was pending, revoked if it was paid: ask.
		q := c.query(ctx, tx.ChargeCode)
		if q.Outcome == OutcomeDone && q.HasState {
			if s, ok := q.State.Local(); ok && s != StatePaid {
				got, _, err := c.applyState(ctx, tx, q, a, "cancel")
				if errors.Is(err, errNotOurs) {
					err = nil
				}
				return got, err
			}
			return c.leave(ctx, tx, a, fmt.Sprintf("cancel answered SUCCESS but STATE is %d", q.State))
		}
		if tx.State == StatePaid {
			// Cancel of a paid trade refunds it in full at once (no ACO).
			return c.move(ctx, tx, StateRevoked, a, ev, Patch{ResultCode: rep.Code}, "", time.Time{})
		}
		return c.leave(ctx, tx, a, "cancelled; closed or revoked not confirmed: "+replyErr(q))
	case rep.Outcome == OutcomeRefused && rep.Code == CodeChargeNonexistent && tx.State != StatePaid:
		ev.Note = "the gateway never saw it; cancel left a tombstone"
		return c.move(ctx, tx, StateVoided, a, ev, Patch{ResultCode: rep.Code, ResultInfo: rep.Info}, "", time.Time{})
	case rep.Outcome == OutcomeRefused && rep.Code == CodeAreadyRevoked:
		return c.move(ctx, tx, StateRevoked, a, ev, Patch{ResultCode: rep.Code, ResultInfo: rep.Info}, "", time.Time{})
	}
	return c.leave(ctx, tx, a, "cancel: "+replyErr(rep))
}

// leave records why tx stays unsettled and makes it due for the reconciler.
func (c *core) leave(ctx context.Context, tx Transaction, a actor, why string) (Transaction, error) {
	c.log.Warn("left unsettled", "charge_code", string(tx.ChargeCode), "op", "leave", "state", string(tx.State), "why", why)
	return c.note(ctx, tx, a, Event{Op: "leave", Note: why}, Patch{LastError: why}, c.clock.Now())
}

// reread returns the journal's current row (after ErrStale, or a wake-up).
func (c *core) reread(ctx context.Context, tx Transaction) Transaction {
	cur, err := c.j.Get(context.WithoutCancel(ctx), tx.ChargeCode)
	if err != nil {
		return tx
	}
	return cur
}

func isStale(err error) bool { return errors.Is(err, ErrStale) }
