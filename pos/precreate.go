package pos

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrBadChannel: a QR needs a specific channel (Alipay, WeChat Pay, …).
var ErrBadChannel = errors.New("precreate needs a channel")

// PrecreateInput is one customer-scan charge.
type PrecreateInput struct {
	Cashier Cashier
	SaleID  string // as PayInput.SaleID
	Amount  Money
	Channel Channel // ChannelAlipay, ChannelWeChat, …; not ChannelAuto
	Subject string
	Goods   []GoodsLine
}

// Precreate asks the gateway for a QR (customer-scan, WIRE.md §4.3). The
// row is journaled first. On SUCCESS the row is pending with BarCode and
// ExpiresAt (now + PrecreateExpiry): show the QR and call Await. A refusal
// is declined. With no answer no customer can have the QR, so the register
// gives up at once (cancel → voided/closed, or unknown for the Reconciler).
// Errors as PayByCode (ErrBadChannel instead of ErrBadWalletCode).
func (c *Checkout) Precreate(ctx context.Context, in PrecreateInput) (Transaction, error) {
	if err := c.validateAmount(in.Cashier, in.Amount); err != nil {
		return Transaction{}, fmt.Errorf("precreate: %w", err)
	}
	if in.Channel <= ChannelAuto || in.Channel > 31 {
		return Transaction{}, fmt.Errorf("precreate: %w (got %s)", ErrBadChannel, in.Channel)
	}
	release, err := c.gate(ctx, in.SaleID)
	if err != nil {
		return Transaction{}, fmt.Errorf("precreate: %w", err)
	}
	defer release()
	tx, err := c.newTx(ctx, KindPrecreate, in.Cashier, in.SaleID, in.Amount, in.Subject)
	if err != nil {
		return tx, fmt.Errorf("precreate: %w", err)
	}
	tx.Channel = in.Channel
	tx.NextAttemptAt = tx.CreatedAt.Add(2 * c.t.CallTimeout)
	a := actor{who: in.Cashier.LoginName}
	c.fly(tx.ChargeCode, tx.SaleID) // gates the sale while the request is out
	defer c.land(tx.ChargeCode)
	if err := c.create(ctx, tx, Event{Op: "precreate", Who: a.who, At: tx.CreatedAt,
		Note: fmt.Sprintf("amount %s, channel %s", tx.Amount, tx.Channel)}); err != nil {
		if isGateErr(err) {
			return Transaction{}, fmt.Errorf("precreate: %w", err)
		}
		return tx, fmt.Errorf("precreate: journal: %w", err)
	}
	pctx, stop := context.WithTimeout(ctx, c.t.CallTimeout)
	req := PrecreateRequest{ChargeCode: tx.ChargeCode, Amount: tx.Amount, Channel: tx.Channel,
		Subject: tx.Subject, OperID: a.who, Goods: goods(in.Cashier, tx.Subject, tx.Amount, in.Goods), Expire: c.t.PrecreateExpiry}
	rep, err := c.gw.Precreate(pctx, req)
	stop()
	if err != nil {
		rep = unknownReply("precreate", err)
	}
	if err := CheckPrecreate(req, rep); err != nil {
		rep = c.distrust(tx.ChargeCode, rep, err)
	}
	c.log.Info("precreate", "charge_code", string(tx.ChargeCode), "op", "precreate", "result_code", rep.Code,
		"outcome", rep.Outcome.String(), "elapsed_ms", c.clock.Now().Sub(tx.CreatedAt).Milliseconds())
	switch {
	case rep.Outcome == OutcomeDone && rep.BarCode != "":
		exp := tx.CreatedAt.Add(c.t.PrecreateExpiry)
		p := patchFrom(rep)
		p.BarCode, p.ExpiresAt = rep.BarCode, exp
		p.Channel = tx.Channel
		// Await works on it until expiry; the reconciler only after.
		return c.move(ctx, tx, StatePending, a, Event{Op: "precreate", Note: "QR shown"}, p, "", exp.Add(2*c.t.CallTimeout))
	case rep.Outcome == OutcomeRefused && rep.Code != CodeSerialRepeat:
		return c.move(ctx, tx, StateDeclined, a, Event{Op: "precreate", Info: rep.Info, Note: "refused"},
			Patch{ResultCode: rep.Code, ResultInfo: rep.Info}, "", time.Time{})
	}
	return c.giveUpAndCancel(ctx, tx, a, "precreate unanswered: "+replyErr(rep))
}

// Await waits for the customer to pay a pending QR: it polls query every
// QueryInterval (CHARGE_NONEXISTENT or STATE 0 is "not yet", not a failure)
// and wakes early on Notify. Paid → receipt queued. At ExpiresAt (after one
// last query) or on Abort → cancel. The outcome is the returned
// Transaction's state; err as PayByCode (ctx's error leaves the row for the
// Reconciler). ErrInFlight: another call is awaiting it.
func (c *Checkout) Await(ctx context.Context, code ChargeCode, who Cashier, progress func(Progress)) (Transaction, error) {
	tx, err := c.j.Get(ctx, code)
	if err != nil {
		return tx, fmt.Errorf("await %s: %w", code, err)
	}
	if !tx.Unsettled() || tx.State != StatePending {
		return tx, nil
	}
	c.mu.Lock()
	if c.flights[code] != nil {
		c.mu.Unlock()
		return tx, fmt.Errorf("await %s: %w", code, ErrInFlight)
	}
	c.mu.Unlock()
	f := c.fly(code, tx.SaleID)
	defer c.land(code)
	a := actor{who: who.LoginName}
	if a.who == "" {
		a.who = tx.Cashier
	}
	deadline := tx.ExpiresAt
	if deadline.IsZero() {
		deadline = tx.CreatedAt.Add(c.t.PrecreateExpiry)
	}
	return c.wait(ctx, tx, f, a, tx.CreatedAt, deadline, "QR expired", PhaseWaiting, false, progress)
}

// Notify takes a payment notification (WIRE.md §8) whose signature the
// gateway package has checked. It is idempotent: the same notification may
// come 30 times and acts once. A paid notice settles a pending/unknown row
// as paid (receipt queued; a given-up row is journaled paid and left for the
// reconciler to revoke); any notice wakes a running Await. ErrNotFound for a
// charge this register never journaled. An amount that differs from the
// journal is not trusted: the row is left to query.
func (c *Checkout) Notify(ctx context.Context, rep Reply) error {
	rep = cleanReply(rep)
	tx, err := c.j.Get(ctx, rep.ChargeCode)
	if err != nil {
		return fmt.Errorf("notify %s: %w", rep.ChargeCode, err)
	}
	defer c.wake(rep.ChargeCode)
	if !tx.Unsettled() || tx.State == StatePaid {
		return nil // already settled: a repeat
	}
	if rep.Amount != 0 && rep.Amount != tx.Amount {
		c.log.Error("notification amount differs from the journal; querying instead", "charge_code", string(tx.ChargeCode),
			"op", "notify", "amount_fen", int64(tx.Amount), "gateway_fen", int64(rep.Amount))
		return nil
	}
	rep.Outcome = OutcomeDone
	if !rep.HasState {
		rep.HasState, rep.State = true, RemotePaid // a notification is sent once paid (§8)
	}
	a := actor{who: "notify"}
	_, _, err = c.applyState(ctx, tx, rep, a, "notify")
	if isStale(err) {
		return nil // settled meanwhile by the poll: nothing more to do
	}
	return err
}

func (c *Checkout) wake(code ChargeCode) {
	if f := c.flying(code); f != nil {
		select {
		case f.wake <- struct{}{}:
		default:
		}
	}
}
