package pos

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Checkout errors the UI decides on (errors.Is). A decline is not an error:
// it is the Transaction's state.
var (
	// ErrOverLimit: the amount exceeds the merchant's amountLimit.
	ErrOverLimit = errors.New("amount over the merchant's limit")
	// ErrSalePaid: an earlier attempt of this sale is paid.
	ErrSalePaid = errors.New("sale already paid")
	// ErrSaleOpen: an earlier attempt of this sale is not confirmed unpaid
	// and the cashier has not acknowledged that it will be revoked
	// (AcknowledgeRevoke). errors.As gives *SaleOpenError with the codes.
	ErrSaleOpen = errors.New("an earlier charge of this sale is unsettled")
	// ErrInFlight: the charge (or one of its sale) is being worked on by
	// this checkout right now.
	ErrInFlight = errors.New("charge in progress")
	// ErrNotInFlight: Abort of a charge that is not being worked on.
	ErrNotInFlight = errors.New("charge not in progress")
	// ErrNotCancellable: the charge is settled (paid ones are revoked with
	// Revoke, by someone with refund permission).
	ErrNotCancellable = errors.New("charge cannot be cancelled")
	// ErrNoCashier: no cashier is given for the operation.
	ErrNoCashier = errors.New("no cashier logged in")
)

// SaleOpenError lists the attempts of a sale that block a new charge.
type SaleOpenError struct {
	SaleID string
	Open   []ChargeCode
}

func (e *SaleOpenError) Error() string {
	codes := make([]string, len(e.Open))
	for i, c := range e.Open {
		codes[i] = string(c)
	}
	if len(codes) == 0 { // another process holds it and settled meanwhile: look again
		return fmt.Sprintf("sale %s: %v (by another process)", e.SaleID, ErrSaleOpen)
	}
	return fmt.Sprintf("sale %s: %v: %s", e.SaleID, ErrSaleOpen, strings.Join(codes, ", "))
}

func (e *SaleOpenError) Unwrap() error { return ErrSaleOpen }

// Phase is what a running charge is doing, for the UI.
type Phase string

const (
	PhaseSending    Phase = "sending"    // pay/precreate request in flight
	PhaseQuerying   Phase = "querying"   // outcome unknown: querying
	PhaseWaiting    Phase = "waiting"    // QR shown: waiting for the customer
	PhaseCancelling Phase = "cancelling" // giving up: cancel in flight
)

// Progress is one progress event of a running charge. Sent from the
// checkout's goroutine: the callback must not block.
type Progress struct {
	ChargeCode ChargeCode
	Phase      Phase
	Elapsed    time.Duration // since the request was sent
	NextQuery  time.Duration // until the next query (0 = now)
	GiveUpIn   time.Duration // until the register gives up (cancel)
	Queries    int           // queries made so far
	// Fault: the last answer was a gateway fault (Reply.Fault), so the
	// screen can say so at once instead of counting down the bound.
	Fault bool
}

// CheckoutConfig configures a Checkout. Gateway, Journal and Register are
// required; a nil Clock is the system clock, zero Timings are defaults.
type CheckoutConfig struct {
	Register string // register id: the prefix of its charge codes
	BusiID   string // the configured merchant id (BUSI_ID)
	Subject  string // PAY_SUBJECT when the sale gives none; default "posterm"
	Gateway  Gateway
	Journal  Journal
	Clock    Clock
	Timings  Timings
	Logger   *slog.Logger
	// Location is the shop's zone ([register] time_zone) in which charge
	// codes and refund numbers are stamped; nil is DefaultZone.
	Location *time.Location
	// DevID is the till's DEV_ID as the gateway client sends it; a charge
	// found after SERIAL_REPEAT must carry it (CheckQuery). "" skips it.
	DevID string
}

// Checkout runs the register's payment flows: merchant-scan (PayByCode),
// customer-scan (Precreate, Await, Notify), cancel, revoke and refund. Safe
// for concurrent use; one charge is worked on by one call at a time.
type Checkout struct {
	core
	register string
	busiID   string
	subject  string
	codes    *ChargeCodes
	refunds  *ChargeCodes

	mu       sync.Mutex
	flights  map[ChargeCode]*flight
	reserved map[string]bool // sales passing the gate
}

type flight struct {
	sale      string
	abort     chan struct{}
	abortOnce sync.Once
	wake      chan struct{} // a notification arrived (buffered 1)
}

// NewCheckout returns a Checkout.
func NewCheckout(cfg CheckoutConfig) (*Checkout, error) {
	if cfg.Gateway == nil || cfg.Journal == nil {
		return nil, errors.New("checkout: gateway and journal are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock()
	}
	if cfg.Logger == nil {
		cfg.Logger = defaultLogger()
	}
	t := cfg.Timings.WithDefaults()
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("checkout: %w", err)
	}
	codes, err := NewChargeCodes(cfg.Register, cfg.Journal, cfg.Clock)
	if err != nil {
		return nil, fmt.Errorf("checkout: %w", err)
	}
	refunds, _ := NewRefundNos(cfg.Register, cfg.Journal, cfg.Clock)
	codes.SetLocation(cfg.Location)
	refunds.SetLocation(cfg.Location)
	if cfg.Subject == "" {
		cfg.Subject = "posterm"
	}
	return &Checkout{
		core:     core{gw: Inert(cfg.Gateway), j: cfg.Journal, clock: cfg.Clock, t: t, log: cfg.Logger, devID: cfg.DevID},
		register: cfg.Register, busiID: cfg.BusiID, subject: cfg.Subject,
		codes: codes, refunds: refunds, flights: map[ChargeCode]*flight{}, reserved: map[string]bool{},
	}, nil
}

// Timings returns the effective timings.
func (c *Checkout) Timings() Timings { return c.t }

// ChargeCodes returns the register's charge-code generator.
func (c *Checkout) ChargeCodes() *ChargeCodes { return c.codes }

func (c *Checkout) fly(code ChargeCode, sale string) *flight {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := &flight{sale: sale, abort: make(chan struct{}), wake: make(chan struct{}, 1)}
	c.flights[code] = f
	return f
}

func (c *Checkout) land(code ChargeCode) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.flights, code)
}

func (c *Checkout) flying(code ChargeCode) *flight {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.flights[code]
}

func (c *Checkout) saleFlyingLocked(sale string) bool {
	for _, f := range c.flights {
		if sale != "" && f.sale == sale {
			return true
		}
	}
	return false
}

// Abort asks a running PayByCode or Await to give up on code: it cancels the
// charge (a paid one is revoked). The running call returns the outcome.
// ErrNotInFlight if code is not running here (use Cancel then).
func (c *Checkout) Abort(code ChargeCode) error {
	f := c.flying(code)
	if f == nil {
		return fmt.Errorf("abort %s: %w", code, ErrNotInFlight)
	}
	f.abortOnce.Do(func() { close(f.abort) })
	return nil
}

func (f *flight) aborted() bool {
	select {
	case <-f.abort:
		return true
	default:
		return false
	}
}

// SaleStatus describes the attempts of one sale.
type SaleStatus struct {
	SaleID   string
	Attempts []Transaction
	// Paid is the attempt that is paid (and not given up), if any.
	Paid *Transaction
	// Open are the attempts that block a new charge until acknowledged.
	Open []Transaction
}

// Sale returns the status of saleID's attempts.
func (c *Checkout) Sale(ctx context.Context, saleID string) (SaleStatus, error) {
	st := SaleStatus{SaleID: saleID}
	if saleID == "" {
		return st, nil
	}
	txs, err := c.j.List(ctx, Filter{SaleID: saleID})
	if err != nil {
		return st, fmt.Errorf("sale %s: %w", saleID, err)
	}
	st.Attempts = txs
	for i, t := range txs {
		switch {
		case t.PaidForSale():
			st.Paid = &txs[i]
		case t.BlocksSale():
			st.Open = append(st.Open, t)
		}
	}
	return st, nil
}

// gate lets a new charge of saleID start only when no earlier attempt can
// still end paid unnoticed: each is confirmed not paid, or the cashier has
// acknowledged that it will be revoked if it went through. On success the
// sale is reserved for the caller until release is called, so that two
// concurrent charges of one sale cannot both pass.
func (c *Checkout) gate(ctx context.Context, saleID string) (release func(), err error) {
	if saleID == "" {
		return func() {}, nil
	}
	c.mu.Lock()
	if c.reserved[saleID] || c.saleFlyingLocked(saleID) {
		c.mu.Unlock()
		return nil, fmt.Errorf("sale %s: %w", saleID, ErrInFlight)
	}
	c.reserved[saleID] = true
	c.mu.Unlock()
	rel := func() {
		c.mu.Lock()
		delete(c.reserved, saleID)
		c.mu.Unlock()
	}
	defer func() {
		if err != nil {
			rel()
		}
	}()
	st, err := c.Sale(ctx, saleID)
	if err != nil {
		return nil, err
	}
	if err := st.blocked(); err != nil {
		return nil, err
	}
	return rel, nil
}

// blocked is the gate's answer for st: ErrSalePaid, a *SaleOpenError, or
// nil when a new attempt may start.
func (st SaleStatus) blocked() error {
	if st.Paid != nil {
		return fmt.Errorf("sale %s: %w by %s", st.SaleID, ErrSalePaid, st.Paid.ChargeCode)
	}
	if len(st.Open) > 0 {
		e := &SaleOpenError{SaleID: st.SaleID}
		for _, t := range st.Open {
			e.Open = append(e.Open, t.ChargeCode)
		}
		return e
	}
	return nil
}

// create journals a new attempt. The journal takes the sale gate in the
// same SQL transaction (CreateTransaction's ErrSaleOpen): that, not gate's
// in-memory reservation, is what keeps another process from charging the
// sale too. Its refusal is given the same form as gate's (ErrSalePaid or
// *SaleOpenError); isGateErr tells it from a journal failure.
func (c *Checkout) create(ctx context.Context, tx Transaction, ev Event) error {
	err := c.j.CreateTransaction(ctx, tx, ev)
	if err == nil || !errors.Is(err, ErrSaleOpen) {
		return err
	}
	st, serr := c.Sale(ctx, tx.SaleID)
	if serr == nil {
		if berr := st.blocked(); berr != nil {
			return berr
		}
	}
	// The holder settled between the journal's refusal and this read.
	return &SaleOpenError{SaleID: tx.SaleID}
}

func isGateErr(err error) bool { return errors.Is(err, ErrSaleOpen) || errors.Is(err, ErrSalePaid) }

// AcknowledgeRevoke records that cashier was told that charge code, not
// confirmed unpaid, will be revoked if it went through; a new charge of its
// sale may then start. The row is given up (GiveUp), and a cancel is tried
// at once (the reconciler retries it). ErrInFlight: Abort it first.
// ErrNotCancellable: it is settled (a paid one needs Revoke).
func (c *Checkout) AcknowledgeRevoke(ctx context.Context, code ChargeCode, cashier Cashier) (Transaction, error) {
	if cashier.LoginName == "" {
		return Transaction{}, ErrNoCashier
	}
	if c.flying(code) != nil {
		return Transaction{}, fmt.Errorf("acknowledge %s: %w", code, ErrInFlight)
	}
	tx, err := c.j.Get(ctx, code)
	if err != nil {
		return tx, fmt.Errorf("acknowledge %s: %w", code, err)
	}
	if !tx.Unsettled() {
		if tx.State.NotPaid() {
			return tx, nil // nothing to acknowledge
		}
		return tx, fmt.Errorf("acknowledge %s (%s): %w", code, tx.State, ErrNotCancellable)
	}
	a := actor{who: cashier.LoginName}
	p := Patch{GiveUp: true, GiveUpReason: "superseded: cashier told it will be revoked", AckedBy: cashier.LoginName}
	if tx.GiveUp {
		p.GiveUpReason = ""
	}
	tx, err = c.note(ctx, tx, a, Event{Op: "ack", Note: "cashier acknowledged: revoked if it went through"}, p, c.clock.Now())
	if err != nil {
		return tx, err
	}
	return c.cancel(ctx, tx, a)
}

// Cancel gives up on an unsettled charge that no call is working on (the
// headless `posterm cancel`, or a row left by a crash): GiveUp is journaled,
// then cancel is sent. ErrInFlight: use Abort. ErrNotCancellable: settled.
func (c *Checkout) Cancel(ctx context.Context, code ChargeCode, cashier Cashier) (Transaction, error) {
	if c.flying(code) != nil {
		return Transaction{}, fmt.Errorf("cancel %s: %w", code, ErrInFlight)
	}
	tx, err := c.j.Get(ctx, code)
	if err != nil {
		return tx, fmt.Errorf("cancel %s: %w", code, err)
	}
	if !tx.Unsettled() {
		return tx, fmt.Errorf("cancel %s (%s): %w", code, tx.State, ErrNotCancellable)
	}
	who := cashier.LoginName
	if who == "" {
		who = "register"
	}
	return c.giveUpAndCancel(ctx, tx, actor{who: who}, "cancelled by "+who)
}

// PayInput is one merchant-scan charge.
type PayInput struct {
	Cashier Cashier
	// SaleID groups attempts of one sale; "" starts a new sale whose id is
	// the charge code.
	SaleID  string
	Amount  Money
	Code    string // the scanned wallet code; only its mask is kept
	Subject string
	Goods   []GoodsLine
	// Progress, when set, receives progress events; it must not block.
	// The first (PhaseSending) carries the charge code that Abort takes.
	Progress func(Progress)
}

func (c *Checkout) validateAmount(cashier Cashier, amount Money) error {
	if cashier.LoginName == "" {
		return ErrNoCashier
	}
	if amount <= 0 {
		return fmt.Errorf("%w: %s is not above zero", ErrBadAmount, amount)
	}
	if amount > maxMoney {
		return fmt.Errorf("%w: %s out of range", ErrBadAmount, amount)
	}
	if cashier.AmountLimit > 0 && amount > cashier.AmountLimit {
		return fmt.Errorf("%w: %s > %s", ErrOverLimit, amount, cashier.AmountLimit)
	}
	return nil
}

// goods returns the goods lines to send: as given, or — when the merchant
// must upload goods (isUploadGoods 1) and none were given — one line with
// the sale's subject at its amount (WIRE.md §4.9).
func goods(cashier Cashier, subject string, amount Money, g []GoodsLine) []GoodsLine {
	if len(g) > 0 || !cashier.UploadGoods {
		return g
	}
	return []GoodsLine{{ID: "1", Name: subject, Class: subject, Price: amount, Subject: subject, Quantity: 1}}
}

func (c *Checkout) newTx(ctx context.Context, kind Kind, cashier Cashier, saleID string, amount Money, subject string) (Transaction, error) {
	code, err := c.codes.Next(ctx)
	if err != nil {
		return Transaction{}, err
	}
	if saleID == "" {
		saleID = code
	}
	if subject == "" {
		subject = c.subject
	}
	now := c.clock.Now()
	return Transaction{ChargeCode: ChargeCode(code), Kind: kind, State: StateSending, SaleID: saleID,
		Register: c.register, Amount: amount, Subject: subject, Cashier: cashier.LoginName,
		CreatedAt: now, UpdatedAt: now}, nil
}

func emit(fn func(Progress), p Progress) {
	if fn != nil {
		fn(p)
	}
}

// PayByCode charges a scanned wallet code (merchant-scan, WIRE.md §4.2).
//
// The row is journaled `sending` before the request leaves. SUCCESS → paid,
// receipt queued; a final refusal → declined; no answer → unknown, queried
// every QueryInterval; past GiveUpAfter (from the send) or on Abort the
// register gives up: cancel → closed/revoked/voided, or, with no answer to
// the cancel, the row stays unknown and given up for the Reconciler, which
// will revoke it if it turns out paid.
//
// The returned Transaction carries the outcome (State: paid, declined,
// closed, revoked, voided, or unknown = queued). err is a validation error
// (ErrBadAmount, ErrOverLimit, ErrBadWalletCode, ErrNoCashier), a sale gate
// (ErrSalePaid, ErrSaleOpen, ErrInFlight), a journal failure (nothing was
// sent if the row could not be created), or ctx's error — in which case
// the charge stays unsettled (not given up) for the Reconciler.
func (c *Checkout) PayByCode(ctx context.Context, in PayInput) (Transaction, error) {
	if err := c.validateAmount(in.Cashier, in.Amount); err != nil {
		return Transaction{}, fmt.Errorf("pay: %w", err)
	}
	if err := ValidWalletCode(in.Code); err != nil {
		return Transaction{}, fmt.Errorf("pay: %w", err)
	}
	release, err := c.gate(ctx, in.SaleID)
	if err != nil {
		return Transaction{}, fmt.Errorf("pay: %w", err)
	}
	defer release()
	tx, err := c.newTx(ctx, KindPay, in.Cashier, in.SaleID, in.Amount, in.Subject)
	if err != nil {
		return tx, fmt.Errorf("pay: %w", err)
	}
	tx.MaskedCode = MaskCode(in.Code)
	// While this call works on the row, the reconciler keeps off it.
	tx.NextAttemptAt = tx.CreatedAt.Add(c.t.PayTimeout + c.t.GiveUpAfter + 3*c.t.CallTimeout)
	a := actor{who: in.Cashier.LoginName}
	f := c.fly(tx.ChargeCode, tx.SaleID)
	defer c.land(tx.ChargeCode)
	if err := c.create(ctx, tx, Event{Op: "pay", Who: a.who, At: tx.CreatedAt,
		Note: fmt.Sprintf("amount %s, code %s", tx.Amount, tx.MaskedCode)}); err != nil {
		if isGateErr(err) {
			return Transaction{}, fmt.Errorf("pay: %w", err)
		}
		return tx, fmt.Errorf("pay: journal: %w", err)
	}
	log := c.log.With("charge_code", string(tx.ChargeCode))
	start := tx.CreatedAt
	emit(in.Progress, Progress{ChargeCode: tx.ChargeCode, Phase: PhaseSending, GiveUpIn: c.t.GiveUpAfter})

	type result struct {
		rep Reply
		err error
	}
	payCtx, stop := context.WithTimeout(ctx, c.t.PayTimeout)
	defer stop()
	done := make(chan result, 1)
	req := PayRequest{ChargeCode: tx.ChargeCode, Amount: in.Amount, DynamicID: in.Code, Subject: tx.Subject,
		OperID: in.Cashier.LoginName, Goods: goods(in.Cashier, tx.Subject, in.Amount, in.Goods)}
	go func() {
		r, err := c.gw.Pay(payCtx, req)
		done <- result{r, err}
	}()
	var rep Reply
	select {
	case r := <-done:
		rep = r.rep
		if r.err != nil {
			rep = unknownReply("pay", r.err)
		}
	case <-f.abort:
		stop()
		emit(in.Progress, Progress{ChargeCode: tx.ChargeCode, Phase: PhaseCancelling, Elapsed: c.clock.Now().Sub(start)})
		return c.giveUpAndCancel(ctx, tx, a, "aborted by "+a.who)
	case <-ctx.Done():
		stop()
		tx, _ = c.move(ctx, tx, StateUnknown, a, Event{Op: "pay", Note: "interrupted: " + ctx.Err().Error()},
			Patch{LastError: "interrupted"}, "", c.clock.Now())
		return tx, fmt.Errorf("pay %s: %w", tx.ChargeCode, ctx.Err())
	}
	stop()
	if err := CheckPay(req, rep); err != nil {
		rep = c.distrust(tx.ChargeCode, rep, err)
	}
	log.Info("pay", "op", "pay", "result_code", rep.Code, "outcome", rep.Outcome.String(), "masked_code", tx.MaskedCode,
		"elapsed_ms", c.clock.Now().Sub(start).Milliseconds(), "detail", rep.Detail)

	switch {
	case rep.Outcome == OutcomeDone:
		p := patchFrom(rep)
		p.PaidAt = c.clock.Now()
		return c.move(ctx, tx, StatePaid, a, Event{Op: "pay", Info: rep.Info, Note: "paid"}, p, ReceiptSale, time.Time{})
	case rep.Outcome == OutcomeRefused && rep.Code != CodeSerialRepeat:
		return c.move(ctx, tx, StateDeclined, a, Event{Op: "pay", Info: rep.Info, Note: "declined"},
			Patch{ResultCode: rep.Code, ResultInfo: rep.Info}, "", time.Time{})
	}
	// Unknown — and SERIAL_REPEAT, which says the serial was used before,
	// not that this charge is unpaid: find out.
	tx, err = c.move(ctx, tx, StateUnknown, a, Event{Op: "pay", Info: rep.Info, Note: "no answer: " + replyErr(rep)},
		Patch{ResultCode: rep.Code, ResultInfo: rep.Info, LastError: replyErr(rep)}, "", time.Time{})
	if err != nil {
		return tx, err
	}
	return c.wait(ctx, tx, f, a, start, start.Add(c.t.GiveUpAfter), "no answer within the bound", PhaseQuerying, rep.Fault, in.Progress)
}

// wait queries tx every QueryInterval until it settles, the deadline
// passes (→ give up: cancel), the charge is aborted (→ cancel), or ctx ends
// (→ left for the reconciler). A notification (Notify) wakes it early.
func (c *Checkout) wait(ctx context.Context, tx Transaction, f *flight, a actor, start, deadline time.Time,
	reason string, phase Phase, fault bool, progress func(Progress)) (Transaction, error) {
	queries := 0
	giveUp := func(why string) (Transaction, error) {
		emit(progress, Progress{ChargeCode: tx.ChargeCode, Phase: PhaseCancelling, Elapsed: c.clock.Now().Sub(start), Queries: queries})
		return c.giveUpAndCancel(ctx, tx, a, why)
	}
	for {
		if f.aborted() {
			return giveUp("aborted by " + a.who)
		}
		now := c.clock.Now()
		remaining := deadline.Sub(now)
		if remaining <= 0 && queries > 0 {
			return giveUp(reason)
		}
		delay := min(c.t.QueryInterval, max(remaining, 0))
		emit(progress, Progress{ChargeCode: tx.ChargeCode, Phase: phase, Elapsed: now.Sub(start), NextQuery: delay,
			GiveUpIn: max(remaining, 0), Queries: queries, Fault: fault})
		if delay > 0 {
			timer := c.clock.NewTimer(delay)
			select {
			case <-timer.C():
			case <-f.abort:
				timer.Stop()
				return giveUp("aborted by " + a.who)
			case <-f.wake:
				timer.Stop()
				if tx = c.reread(ctx, tx); !tx.Unsettled() {
					return tx, nil
				}
				continue
			case <-ctx.Done():
				timer.Stop()
				tx, _ = c.leave(ctx, tx, a, "interrupted: "+ctx.Err().Error())
				return tx, fmt.Errorf("%s %s: %w", tx.Kind, tx.ChargeCode, ctx.Err())
			}
		}
		if tx = c.reread(ctx, tx); !tx.Unsettled() { // a notification settled it
			return tx, nil
		}
		rep := c.query(ctx, tx.ChargeCode)
		queries++
		fault = rep.Fault
		got, settled, err := c.applyState(ctx, tx, rep, a, "query")
		if isStale(err) {
			got, settled, err = c.reread(ctx, tx), false, nil
			settled = !got.Unsettled()
		}
		if errors.Is(err, errNotOurs) {
			// Never cancel a serial that names someone else's charge: the
			// row stays unknown, its LastError says why, for a person.
			return got, nil
		}
		if err != nil {
			return got, err
		}
		tx = got
		if settled {
			return tx, nil
		}
	}
}
