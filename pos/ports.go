package pos

// This file declares the ports of the domain: the interfaces pos needs from
// the outside (Clock, Gateway, Journal, ChangeFeed, Printer) and the plain data types
// that cross them. Adapters assert what they implement:
//
//	var _ pos.Journal = (*offline.Journal)(nil)
//
// The error contracts written on each method are part of the interface: pos
// decides with errors.Is on the sentinels below, and the conformance suite in
// pos/postest (postest.TestJournal) checks every Journal against them.

import (
	"context"
	"errors"
	"time"
)

// ---------------------------------------------------------------------------
// Sentinel errors shared by the ports.

var (
	// ErrNotFound: no row with that key (charge code, OUT_REFUND_NO, series).
	ErrNotFound = errors.New("not found")
	// ErrDuplicate: a row with that key already exists (charge code or
	// OUT_REFUND_NO). Nothing was written.
	ErrDuplicate = errors.New("already exists")
	// ErrIllegalTransition: the local state machine (CanTransition,
	// CanTransitionRefund) does not allow the move. Nothing was written.
	ErrIllegalTransition = errors.New("illegal state transition")
	// ErrStale: the row is no longer in the state the caller expected
	// (someone else moved it first). Nothing was written; re-read and decide.
	ErrStale = errors.New("stale state")
	// ErrLeaseLost: the caller named itself as lease owner but another owner
	// holds an unexpired lease on the row. Nothing was written.
	ErrLeaseLost = errors.New("lease held by another owner")
	// ErrConflict: a compare-and-swap (SwapIssued) found another value.
	ErrConflict = errors.New("concurrent update")
	// ErrOverRefund: refunds (settled plus in flight) would exceed the charge.
	ErrOverRefund = errors.New("refund exceeds what remains")
)

// ---------------------------------------------------------------------------
// Clock.

// Clock is the source of time for every timeout, poll interval, lease and
// backoff in pos, so that tests run the 80-second paths without sleeping.
// Implementations must be safe for concurrent use. SystemClock is the real one;
// postest.Clock is the fake.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// NewTimer returns a timer that fires once, d after Now.
	NewTimer(d time.Duration) Timer
	// After is NewTimer(d).C() for callers that never stop the timer.
	After(d time.Duration) <-chan time.Time
}

// Timer is a stoppable one-shot timer of a Clock.
type Timer interface {
	// C delivers the fire time once.
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it did so.
	Stop() bool
}

// ---------------------------------------------------------------------------
// Gateway: the SOSOPAY services at domain level (WIRE.md §4).

// Outcome is what an answer means for the money. Its zero value is
// OutcomeUnknown, so an outcome nobody set is never taken as done or refused.
type Outcome int

const (
	// OutcomeUnknown: no answer, timeout, non-200, bad signature, undecodable
	// body, or a gateway-fault code (WIRE.md §6). The money may have moved.
	OutcomeUnknown Outcome = iota
	// OutcomeDone: RESULT SUCCESS (or the document's SUCESS).
	OutcomeDone
	// OutcomeRefused: a final code (FAIL, ILLEGAL_PARAMETER, AMT_ERROR,
	// INVALID_CONTRACT, UNREGISTERED_BUSI, SERIAL_REPEAT, INVALID_SIGN,
	// CHARGE_NONEXISTENT, AREADY_REVOKED): the call itself did nothing.
	OutcomeRefused
)

// Result codes pos decides on (WIRE.md §6, vendor spelling).
const (
	CodeSuccess           = "SUCCESS"
	CodeFail              = "FAIL"
	CodeChargeNonexistent = "CHARGE_NONEXISTENT"
	CodeAreadyRevoked     = "AREADY_REVOKED" // sic
	CodeSerialRepeat      = "SERIAL_REPEAT"
	CodeAmtError          = "AMT_ERROR"
)

// FundBill is one line of FUND_BILL_LIST (WIRE.md §3): the funding source
// code of §7 and its amount (converted from yuan to fen by the gateway).
type FundBill struct {
	FundChannel string `json:"fund_channel"`
	Amount      Money  `json:"amount_fen"`
}

// GoodsLine is one goods entry (WIRE.md §3, Appendix 1). Price is per unit.
type GoodsLine struct {
	ID       string
	Name     string
	Class    string
	Price    Money
	Subject  string
	Quantity int
	ShowURL  string
}

// Reply is the domain form of a gateway answer to pay, precreate, query,
// cancel, refund, one batch-query row or a notification. Fields the service
// does not return are zero.
type Reply struct {
	// Outcome is the explicit meaning of the answer; never infer it from err.
	Outcome Outcome
	// Code and Info are RESULT.CODE (normalised: upper case, SUCCESS spelt so)
	// and RESULT.INFO. Code is empty when nothing readable came back.
	Code string
	Info string
	// HasState reports whether STATE was present; State is then WIRE.md §5.
	HasState bool
	State    RemoteState
	// ChargeCode is the merchant serial, ChargeDownCode the gateway's,
	// ChargeThirdCode the wallet's.
	ChargeCode      ChargeCode
	ChargeDownCode  string
	ChargeThirdCode string
	// Channel is CHANNEL_TYPE.
	Channel Channel
	// Amount is AMT in fen (for refund: the amount refunded).
	Amount    Money
	FundBills []FundBill
	// BarCode is the text to show as a QR (precreate only).
	BarCode string
	// BeginTime and EndTime as the gateway gave them; zero when absent.
	BeginTime time.Time
	EndTime   time.Time
	// MaskedCode is DYNAMIC_ID as MaskCode masks it (query, batch rows);
	// DevID and OperID are DEV_ID and OPER_ID where the answer gives them.
	// CheckQuery compares them with the journal's row.
	MaskedCode string
	DevID      string
	OperID     string
	// Detail is transport detail for the log when Outcome is unknown (e.g.
	// "timeout after 95s", "HTTP 503"). Never shown to the cashier.
	Detail string
	// Fault, with OutcomeUnknown, reports that the gateway failed rather
	// than went quiet: an HTTP error status, one of its own fault codes
	// (EXCEPTION, SERVICE_UNAVAILABLE … WIRE.md §6) or no connection at all.
	// A lost or late answer is not a fault. The money may have moved all
	// the same: the outcome stays unknown.
	Fault bool
}

// PayRequest is sosopay.trade.pay (WIRE.md §4.2). DynamicID is the whole
// wallet code: it exists only in memory on its way to the gateway and is
// never journaled or logged (MaskCode).
type PayRequest struct {
	ChargeCode   ChargeCode
	Amount       Money
	DynamicID    string
	Subject      string
	OperID       string
	Goods        []GoodsLine
	MerchantPara string
}

// PrecreateRequest is sosopay.trade.precreate (WIRE.md §4.3).
type PrecreateRequest struct {
	ChargeCode   ChargeCode
	Amount       Money
	Channel      Channel
	Subject      string
	OperID       string
	Goods        []GoodsLine
	Expire       time.Duration // TIME_EXPIRE, whole seconds on the wire
	MerchantPara string
}

// RefundRequest is sosopay.trade.refund (WIRE.md §4.6). The same
// OutRefundNo is sent on every retry; the gateway answers it idempotently.
type RefundRequest struct {
	ChargeCode     ChargeCode
	ChargeDownCode string // optional; wins over ChargeCode at the gateway
	OutRefundNo    string
	Amount         Money
	Subject        string // REFUND_SUBJECT: the reason
	OperID         string
}

// OpType values of sosopay.trade.cancel (WIRE.md §4.5).
const (
	OpTypeNow = ""    // revoke at once
	OpTypeACO = "ACO" // only submit: STATE 3 before 2
)

// BatchQueryRequest is sosopay.trade.batchquery (WIRE.md §4.7). Page starts
// at 1. Nil pointers and zero times are left out of the request.
type BatchQueryRequest struct {
	Page, PageSize int
	State          *RemoteState
	Begin, End     time.Time // dates only (YYYY-MM-DD)
	UserID         string
	Channel        *Channel
	ChargeCode     ChargeCode
}

// BatchPage is one page of batch query: the envelope's Reply (Outcome,
// Code, Info) and one Reply per trade.
type BatchPage struct {
	Reply
	Trades []Reply
}

// ChannelInfo is one entry of PAY_CHANNEL_LIST (WIRE.md §4.8).
type ChannelInfo struct {
	Name   string
	Type   Channel
	SortNo int
}

// ChannelList is the answer of sosopay.channel.list.
type ChannelList struct {
	Reply
	Channels []ChannelInfo
}

// LoginReply is the answer of sosoauth.login (WIRE.md §4.9) as the gateway
// read it, flags kept as the vendor's strings ("" when absent): pos, not the
// adapter, decides what they mean (NewCashier).
type LoginReply struct {
	Success bool // success == "true"
	Message string
	User    LoginUser
}

// LoginUser is the `user` object of the login answer.
type LoginUser struct {
	ID, CompanyID, LoginName, Name string
	UserType                       string // "1" no refund permission, "2" refund permission
	LoginFlag                      string // "0" login disabled, "1" allowed
	DelFlag                        string // "0" live, "1" deleted
	Company                        LoginCompany
}

// LoginCompany is the `company` object of the login answer.
type LoginCompany struct {
	ID, Name      string
	Code          string // must equal the configured BUSI_ID before a refund
	Useable       string // "0" under audit, "1" approved, "2" rejected
	DelFlag       string
	AmountLimit   string // yuan, largest single transaction; "" none
	RefundAtScene string // "0" refunds allowed at the store, "1" not
	TimeLimit     string // minutes
	IsUploadGoods string // "1": goods lines required
}

// Gateway is the SOSOPAY gateway as pos needs it. Implementations must be
// safe for concurrent use.
//
// Error contract for Pay, Precreate, Query, Cancel and Refund: every answer —
// including no answer, a timeout, a non-200, a bad signature — is reported in
// the Reply with err == nil, its Outcome set (unknown when in doubt). A
// non-nil err means the call failed locally (bad request, closed client,
// context done); pos treats it exactly like OutcomeUnknown for any call that
// may move money, so an adapter must never return err to mean "not sent"
// unless that is certain. The ctx deadline bounds the call; pos sets it from
// Timings (PayTimeout for pay, longer than the vendor's 80 s).
type Gateway interface {
	// Pay charges a wallet code (merchant-scan). Done = paid.
	Pay(ctx context.Context, r PayRequest) (Reply, error)
	// Precreate asks for a QR (customer-scan). Done = BarCode valid, pending.
	Precreate(ctx context.Context, r PrecreateRequest) (Reply, error)
	// Query asks for a charge's STATE by merchant serial. Refused with
	// CHARGE_NONEXISTENT means the gateway has never seen it.
	Query(ctx context.Context, code ChargeCode) (Reply, error)
	// Cancel revokes: closes a pending charge, refunds a paid one in full.
	// AREADY_REVOKED means already revoked; CHARGE_NONEXISTENT leaves a
	// tombstone so a late pay with that serial is refused (WIRE.md §4.5).
	Cancel(ctx context.Context, code ChargeCode, opType string) (Reply, error)
	// Refund refunds part or all of a paid charge, idempotent per OutRefundNo.
	Refund(ctx context.Context, r RefundRequest) (Reply, error)
	// BatchQuery lists the gateway's trades. err: no readable answer.
	BatchQuery(ctx context.Context, r BatchQueryRequest) (BatchPage, error)
	// Channels lists the merchant's channels. err: no readable answer.
	Channels(ctx context.Context) (ChannelList, error)
	// Login authenticates a cashier or manager. err (non-nil) means no
	// readable answer: the gateway is unreachable. A refusal is
	// LoginReply.Success == false with err == nil. The password is never
	// logged or stored.
	Login(ctx context.Context, username, password string) (LoginReply, error)
}

// ---------------------------------------------------------------------------
// Journal: the durable record (offline/ implements it on SQLite).

// Queue is the reconciliation bookkeeping carried by every transaction and
// refund row. A row is in the queue exactly while it is unsettled
// (Transaction.Unsettled, Refund.Unsettled); the journal derives membership
// from the state, never from these fields.
type Queue struct {
	Attempts      int       `json:"attempts"`
	NextAttemptAt time.Time `json:"next_attempt_at"`
	LastError     string    `json:"last_error,omitempty"`
	LeaseOwner    string    `json:"-"`
	LeaseUntil    time.Time `json:"-"`
}

// Transaction is one charge attempt: one CHARGE_CODE, one row, never deleted.
// The JSON names are those of `posterm history --json`.
type Transaction struct {
	ChargeCode ChargeCode `json:"charge_code"`
	Kind       Kind       `json:"kind"`
	State      State      `json:"state"`
	// SaleID groups the attempts made for one sale (a refreshed code, a
	// switch from scan to QR): at most one of them may end paid.
	SaleID   string  `json:"sale_id,omitempty"`
	Register string  `json:"register,omitempty"`
	Amount   Money   `json:"amount_fen"`
	Refunded Money   `json:"refunded_fen"`
	Channel  Channel `json:"channel"`
	// MaskedCode is the wallet code as first 4 + last 4 (MaskCode); the whole
	// code is never stored.
	MaskedCode string `json:"masked_code,omitempty"`
	Subject    string `json:"subject,omitempty"`
	Cashier    string `json:"cashier,omitempty"` // login name of who started it
	// Gateway facts.
	ChargeDownCode  string     `json:"charge_down_code,omitempty"`
	ChargeThirdCode string     `json:"charge_third_code,omitempty"`
	BarCode         string     `json:"bar_code,omitempty"`
	ResultCode      string     `json:"result_code,omitempty"`
	ResultInfo      string     `json:"result_info,omitempty"`
	FundBills       []FundBill `json:"fund_bills,omitempty"`
	// GiveUp: the register wants this charge to end NOT paid (aborted, past
	// the bound, revoked by a cashier, superseded). Once set it is never
	// cleared; a given-up row found paid is revoked by the reconciler.
	GiveUp       bool   `json:"give_up,omitempty"`
	GiveUpReason string `json:"give_up_reason,omitempty"`
	// AckedBy: the cashier who was told "it will be revoked if it went
	// through" for this charge, which lets a new charge start for the sale.
	AckedBy string `json:"acked_by,omitempty"`
	// ExpiresAt: precreate QR expiry; zero for pay.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	PaidAt    time.Time `json:"paid_at,omitzero"`
	// Tendered is the cash the customer handed over (KindCash only; zero
	// otherwise); the change given is Tendered − Amount (CashChange).
	Tendered Money `json:"tendered_fen,omitempty"`
	Queue
}

// Patch lists the fields a Change sets besides State. Zero fields are left
// as they are (a patch never clears a fact); GiveUp and AckedBy can only be
// set, never unset.
type Patch struct {
	ChargeDownCode  string
	ChargeThirdCode string
	Channel         Channel // 0 = unchanged
	BarCode         string
	ResultCode      string
	ResultInfo      string
	FundBills       []FundBill
	ExpiresAt       time.Time
	PaidAt          time.Time
	GiveUp          bool
	GiveUpReason    string
	AckedBy         string
	LastError       string
	// Refunded, when above the row's Refunded, sets it: money refunded at
	// the gateway outside posterm, journaled as a "changed at the gateway"
	// transition (Settler, Reconciler.Recheck). Never lowers it.
	Refunded Money
}

// Event is one line of the append-only audit log: who did what, when, why,
// and what the gateway said.
type Event struct {
	Seq         int64      `json:"seq"` // assigned by the journal, increasing
	At          time.Time  `json:"at"`
	ChargeCode  ChargeCode `json:"charge_code"`
	OutRefundNo string     `json:"out_refund_no,omitempty"`
	Op          string     `json:"op"`   // pay, precreate, query, cancel, refund, notify, ack, reconcile, create
	From        string     `json:"from"` // state before ("" on create)
	To          string     `json:"to"`
	Who         string     `json:"who"` // cashier login, or "reconciler"/owner
	Approver    string     `json:"approver,omitempty"`
	ResultCode  string     `json:"result_code,omitempty"`
	Info        string     `json:"info,omitempty"`
	Note        string     `json:"note,omitempty"` // why
}

// Change moves one transaction from State From to State To (or, when
// To == From, only patches it: a "note", always legal) and appends Event, in
// one durable, atomic step.
type Change struct {
	ChargeCode ChargeCode
	From, To   State
	// Owner, when non-empty, must hold the row's lease, or the row must have
	// no lease unexpired at At; otherwise ErrLeaseLost. An empty Owner
	// ignores leases (the checkout that created the row acts on it).
	Owner string
	Patch Patch
	// Receipt, when non-empty, enqueues a print job in the same transaction.
	Receipt ReceiptKind
	// NextAttemptAt, when non-zero, schedules the row's next reconciliation.
	NextAttemptAt time.Time
	// At is the time of the change: stored as UpdatedAt, and as Event.At
	// when that is zero.
	At    time.Time
	Event Event
}

// Refund is one refund of a paid charge, keyed by its OUT_REFUND_NO, which
// is journaled before the first send and reused on every retry.
type Refund struct {
	OutRefundNo string      `json:"out_refund_no"`
	ChargeCode  ChargeCode  `json:"charge_code"`
	Amount      Money       `json:"amount_fen"`
	Reason      string      `json:"reason,omitempty"`
	State       RefundState `json:"state"`
	Cashier     string      `json:"cashier,omitempty"`
	Approver    string      `json:"approver,omitempty"`
	ResultCode  string      `json:"result_code,omitempty"`
	ResultInfo  string      `json:"result_info,omitempty"`
	CreatedAt   time.Time   `json:"created_at"`
	UpdatedAt   time.Time   `json:"updated_at"`
	Queue
}

// RefundChange moves a refund from From to To and appends Event atomically.
// When To is RefundDone the same SQL transaction adds the refund's Amount to
// its transaction's Refunded and moves the transaction to
// StateAfterRefund(Amount, Refunded) (a note when unchanged), checked with
// CanTransition.
type RefundChange struct {
	OutRefundNo   string
	From, To      RefundState
	Owner         string // as Change.Owner
	ResultCode    string
	ResultInfo    string
	LastError     string
	Receipt       ReceiptKind // enqueued with the change when non-empty
	NextAttemptAt time.Time
	At            time.Time
	Event         Event
}

// Filter selects transactions for history and shift totals. Zero fields do
// not filter. Results are ordered by CreatedAt, then ChargeCode, ascending.
type Filter struct {
	Since, Until time.Time // CreatedAt in [Since, Until)
	Kind         Kind
	States       []State
	SaleID       string
	Cashier      string
	Unsettled    bool // only rows with Transaction.Unsettled() true
	Limit        int  // 0 = all
}

// RefundFilter selects refunds; ordered by CreatedAt, then OutRefundNo.
type RefundFilter struct {
	Since, Until time.Time // CreatedAt in [Since, Until)
	ChargeCode   ChargeCode
	States       []RefundState
	Unsettled    bool
	Limit        int
}

// WorkKind tells what a queue item is about.
type WorkKind string

const (
	WorkCharge WorkKind = "charge"
	WorkRefund WorkKind = "refund"
)

// WorkKey names one queue item.
type WorkKey struct {
	Kind        WorkKind
	ChargeCode  ChargeCode // for WorkCharge, and the refund's charge
	OutRefundNo string     // for WorkRefund
}

// WorkItem is a claimed queue item with a snapshot of its row(s): for a
// charge, Transaction; for a refund, Refund and its Transaction.
type WorkItem struct {
	Key         WorkKey
	Transaction Transaction
	Refund      Refund
}

// ClaimRequest asks for due unsettled rows.
type ClaimRequest struct {
	Owner string        // who takes the lease (unique per reconciler instance)
	Now   time.Time     // the caller's clock; the journal does not read its own
	Lease time.Duration // the lease lasts until Now+Lease
	Limit int           // at most this many items (> 0)
	// IgnoreSchedule also takes rows whose NextAttemptAt is later than Now
	// (leases are still respected). For `posterm reconcile --now`.
	IgnoreSchedule bool
}

// Retry is what Release records on an item that stays unsettled.
type Retry struct {
	NextAttemptAt time.Time
	LastError     string
	CountAttempt  bool // add one to Attempts
}

// ReceiptKind is the kind of a print job.
type ReceiptKind string

const (
	ReceiptSale   ReceiptKind = "sale"
	ReceiptRefund ReceiptKind = "refund"
	ReceiptRevoke ReceiptKind = "revoke"
)

// Journal is the durable record of every charge, refund and audit event and
// the queue of unsettled work. Every method is one SQL transaction, durable
// (fsync) when it returns nil. Implementations must be safe for concurrent
// use, and for use by several processes on the same database. Rows are never
// deleted. Errors other than the sentinels named below are storage failures.
// Times round-trip with at least millisecond precision (compare with Equal;
// the zone may change). Returned values are copies the caller may keep.
type Journal interface {
	// CreateTransaction inserts t and appends ev (stored with From "" and
	// To t.State), before anything is sent. t.State must be StateSending
	// (else ErrIllegalTransition) — except for a cash sale (KindCash), which
	// is created final: State StatePaid, not given up, Tendered >= Amount
	// (else ErrIllegalTransition), and its sale receipt (ReceiptSale, which
	// opens the drawer) queued in the same transaction; CreatedAt, UpdatedAt and
	// Queue.NextAttemptAt are stored as given, the lease empty.
	// ErrDuplicate if the charge code exists. ErrSaleOpen if t.SaleID is
	// not empty and another attempt of that sale holds the sale gate
	// (Transaction.HoldsSaleGate): the check and the insert are one atomic
	// step, across processes, so two concurrent charges of one sale cannot
	// both be created. Nothing is written then.
	CreateTransaction(ctx context.Context, t Transaction, ev Event) error
	// Transition applies ch atomically and returns the row after it.
	// ErrNotFound: no such charge. ErrStale: current state != ch.From.
	// ErrIllegalTransition: !CanTransition(ch.From, ch.To) (To == From is a
	// legal note), or ch.Patch.GiveUp on a charge not yet given up that has
	// a refund not RefundRefused (revoke and refund exclude each other: this
	// check and CreateRefund's are each atomic), or ch.Patch.GiveUp on a cash
	// sale (KindCash: nothing to revoke at the gateway). ErrLeaseLost: see Change.Owner. The event is stored with
	// ChargeCode, From and To taken from ch. When the row is settled after
	// the change, its lease is cleared.
	Transition(ctx context.Context, ch Change) (Transaction, error)
	// Get returns one transaction. ErrNotFound.
	Get(ctx context.Context, code ChargeCode) (Transaction, error)
	// List returns transactions matching f (see Filter).
	List(ctx context.Context, f Filter) ([]Transaction, error)
	// Events returns the audit events of a charge (its refunds' included),
	// ordered by Seq. Empty, not ErrNotFound, for an unknown code.
	Events(ctx context.Context, code ChargeCode) ([]Event, error)

	// CreateRefund inserts r (State RefundSending) and appends ev, before the
	// refund is sent. ErrDuplicate: OutRefundNo exists. ErrNotFound: no such
	// charge. ErrIllegalTransition: the charge is not paid or partially
	// refunded, or is given up. ErrOverRefund: r.Amount plus the charge's
	// refunds not RefundRefused exceeds its Amount (checked atomically).
	// A refund of a cash sale (KindCash) never goes to the gateway: r.State
	// must be RefundDone (and RefundSending for any other kind; else
	// ErrIllegalTransition), and the same transaction applies it to the
	// charge as SettleRefund to done does (Refunded, state, charge event) and
	// queues its refund slip (ReceiptRefund, which opens the drawer).
	CreateRefund(ctx context.Context, r Refund, ev Event) error
	// SettleRefund applies rc atomically (see RefundChange) and returns the
	// refund and its transaction after it. ErrNotFound, ErrStale (refund not
	// in rc.From), ErrIllegalTransition (!CanTransitionRefund, or the
	// transaction cannot take the refund), ErrLeaseLost.
	SettleRefund(ctx context.Context, rc RefundChange) (Refund, Transaction, error)
	// GetRefund returns one refund. ErrNotFound.
	GetRefund(ctx context.Context, outRefundNo string) (Refund, error)
	// ListRefunds returns refunds matching f.
	ListRefunds(ctx context.Context, f RefundFilter) ([]Refund, error)

	// Claim atomically leases up to r.Limit unsettled items (charges and
	// refunds) that are due (NextAttemptAt <= r.Now unless IgnoreSchedule)
	// and not leased to another owner (LeaseUntil <= r.Now), ordered by
	// NextAttemptAt then key, setting LeaseOwner = r.Owner and LeaseUntil =
	// r.Now + r.Lease. Two concurrent Claims never return the same item.
	Claim(ctx context.Context, r ClaimRequest) ([]WorkItem, error)
	// Release ends owner's lease on k, recording r. If the item settled
	// meanwhile it only clears the lease. ErrLeaseLost: another owner holds
	// an unexpired lease (nothing written). ErrNotFound: no such row.
	Release(ctx context.Context, k WorkKey, owner string, now time.Time, r Retry) error

	// LastIssued returns the last value stored for a series ("" if none): the
	// charge-code and refund-number generators persist their last issued
	// code here.
	LastIssued(ctx context.Context, series string) (string, error)
	// SwapIssued stores next for series if the stored value is still old
	// ("" = none stored). ErrConflict otherwise (another process issued one).
	SwapIssued(ctx context.Context, series, old, next string) error

	// TillID returns the journal's install identity (ValidTillID): made at
	// random when the journal was created and renewed (audited) when the
	// journal is found on another machine. It is part of every charge code
	// and OUT_REFUND_NO (see ChargeCodes), so two tills never issue the same
	// code even with the same register id. Stable for the life of the
	// Journal value.
	TillID(ctx context.Context) (string, error)

	// EnqueueReceipt adds a print job for a charge (reprints too). The
	// printer side drains the queue; it is not part of this interface.
	// ErrNotFound: no such charge.
	EnqueueReceipt(ctx context.Context, code ChargeCode, kind ReceiptKind) error
}

// ---------------------------------------------------------------------------
// The change feed.

// FeedKind says what a FeedEvent is about.
type FeedKind string

const (
	// FeedTransaction: a transaction was created or moved (or noted).
	FeedTransaction FeedKind = "transaction"
	// FeedRefund: a refund was created or settled.
	FeedRefund FeedKind = "refund"
	// FeedSettlement: a reconciler pass or a settle run produced a result.
	FeedSettlement FeedKind = "settlement"
	// FeedPrintJob: a print job was queued, printed or failed.
	FeedPrintJob FeedKind = "print_job"
	// FeedResync: changes may have been missed — made by another process on
	// the same journal, or dropped because the subscriber fell behind.
	// Re-read whatever you show from the journal.
	FeedResync FeedKind = "resync"
)

// FeedEvent is one committed change. It names what changed; the journal
// holds the facts (re-read them: an event is a hint, not a copy).
type FeedEvent struct {
	Kind        FeedKind
	ChargeCode  ChargeCode // transaction, refund, print job (when about a charge)
	OutRefundNo string     // refund
	State       string     // the state after the change (transaction or refund)
	JobID       int64      // print job
	Note        string     // settlement: a one-line summary
}

// ChangeFeed publishes every committed transition, refund, settlement and
// print-job change once, after its commit. Subscribers (the UI, the
// spooler, the outbox forwarder) never slow down a commit: one that falls
// behind loses events and receives a FeedResync in their place. Changes made
// by another process on the same journal are noticed within a poll interval
// and announced as FeedResync. Safe for concurrent use.
type ChangeFeed interface {
	// Subscribe returns a channel of events and a cancel func that ends the
	// subscription and closes the channel (idempotent). The channel is also
	// closed when the feed closes.
	Subscribe() (<-chan FeedEvent, func())
}

// ---------------------------------------------------------------------------
// Printing: the receipt snapshot and the print queue (PrintQueue).

// More kinds of print jobs besides the slips of a transaction.
const (
	ReceiptShift ReceiptKind = "shift" // a shift (X or Z) report
	ReceiptTest  ReceiptKind = "test"  // a test page
)

// Receipt is what a receipt shows, in domain terms. The journal takes it
// as a snapshot in the same SQL transaction as the change it prints and
// stores it with the print job; the printer renders it, adding only a
// header (merchant, store, register, language). It is never re-read from
// the rows later: a reprint prints the stored snapshot again.
type Receipt struct {
	Kind        ReceiptKind
	Transaction Transaction
	Refund      *Refund // for ReceiptRefund
	// Approver is who authorised a refund or revoke (from its event).
	Approver string `json:",omitempty"`
	// Cash marks the first print of a cash sale or of the refund slip of
	// one: the only receipts that open the cash drawer. Never set on a
	// reprint, a revoke slip, or a wallet payment.
	Cash      bool `json:",omitempty"`
	PrintedAt time.Time
}

// PrintState is where a print job stands.
type PrintState string

// Print states. A job is never deleted.
const (
	PrintQueued  PrintState = "queued"  // not tried yet
	PrintSending PrintState = "sending" // an attempt is writing it now (after a crash: cut off)
	PrintSent    PrintState = "sent"    // every byte taken, but the printer never confirmed
	PrintPrinted PrintState = "printed" // the printer answered after the job's last byte
	PrintFailed  PrintState = "failed"  // an attempt failed; retried at NextAttempt
)

// Done reports whether a job in state s is not tried again.
func (s PrintState) Done() bool { return s == PrintSent || s == PrintPrinted }

// PrintJob is one ticket to print: a receipt snapshot rendered at print
// time, or ready ESC/POS bytes (reports, test pages).
type PrintJob struct {
	ID          int64       // assigned by the queue
	Kind        ReceiptKind // sale, refund, revoke, shift, test
	ChargeCode  string      // the charge it belongs to; "" for reports
	OutRefundNo string      // the refund a refund slip is about
	Reprint     bool        // asked for again: printed marked REPRINT
	Receipt     *Receipt    // the snapshot to render; nil when Data is set
	Data        []byte      // ready ESC/POS bytes (all copies)
	Created     time.Time
	State       PrintState
	Attempts    int       // failed attempts so far
	LastError   string    // detail of the last failure (cleared by success); log text
	NextAttempt time.Time // a failed job is not retried before this
	Sent        time.Time // when its last byte was taken (sent, printed)
	Printed     time.Time // when the printer confirmed it (printed)
	// Cut is true once an attempt delivered part of the job: the next
	// attempt recovers the printer and prints the whole job again marked
	// as a copy (REPRINT).
	Cut bool
	// Owed is how many bytes the printer still expects to finish the
	// command it was cut off in (the rest of a raster band): sent as
	// filler before anything else.
	Owed int
}

// PrintFailure is what a failed attempt records.
type PrintFailure struct {
	Reason string    // log detail, never cashier text
	Next   time.Time // not retried before
	Cut    bool      // the printer got part of the job: next attempt is a marked copy
	Owed   int       // filler bytes the printer still expects
}

// PrintQueue is the durable print queue (offline.Journal; printertest's
// MemStore in memory). A journal change that prints (Change.Receipt,
// RefundChange.Receipt, EnqueueReceipt) writes its job in the same SQL
// transaction. Safe for concurrent use; every method returns ctx.Err() if
// ctx ends first; ErrNotFound for an unknown job id.
type PrintQueue interface {
	// Add stores j as a new queued job (ID, State, Attempts ignored) and
	// returns its id. Created defaults to now.
	Add(ctx context.Context, j PrintJob) (int64, error)
	// Pending returns the jobs still to print — queued, sending and
	// failed — oldest first (by ID).
	Pending(ctx context.Context) ([]PrintJob, error)
	// MarkSending records that an attempt starts writing job id.
	MarkSending(ctx context.Context, id int64, at time.Time) error
	// MarkSent records that every byte of job id was taken at `at`:
	// State printed when confirmed, else sent. LastError is cleared. A
	// done job stays as it is.
	MarkSent(ctx context.Context, id int64, at time.Time, confirmed bool) error
	// MarkFailed records a failed attempt: State failed, Attempts+1 and
	// f. A done job stays as it is.
	MarkFailed(ctx context.Context, id int64, f PrintFailure) error
	// Jobs returns the newest limit jobs (0: all), newest first.
	Jobs(ctx context.Context, limit int) ([]PrintJob, error)
	// Reprint queues the stored snapshot of the newest job of code and
	// kind again, marked Reprint, and returns the new job's id.
	// ErrNotFound when no such job has a snapshot.
	Reprint(ctx context.Context, code ChargeCode, kind ReceiptKind) (int64, error)
}

// ZStore keeps the closing (Z) reports of each till, numbered 1, 2, 3…
// per till, never reused, never changed (offline.Journal). Safe for
// concurrent use.
type ZStore interface {
	// CloseZ stores z, whose Number must be the till's last plus one and
	// whose Since the last one's Until (ErrStale otherwise: someone closed
	// first), and queues job (the printed report) in the same
	// transaction when it is not nil.
	CloseZ(ctx context.Context, z ZReport, job *PrintJob) error
	// LastZ returns the till's newest Z report. ErrNotFound when none.
	LastZ(ctx context.Context, till string) (ZReport, error)
	// GetZ returns Z report number n of the till. ErrNotFound.
	GetZ(ctx context.Context, till string, n int) (ZReport, error)
}
