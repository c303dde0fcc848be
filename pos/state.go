package pos

import (
	"fmt"
	"strconv"
	"strings"
)

// State is the local state of a transaction (ARCHITECTURE.md, "State machine
// of a transaction"). The string values appear in `history --json` and in
// the journal.
type State string

const (
	StateSending           State = "sending"            // row committed, request on its way
	StatePaid              State = "paid"               // money taken
	StateDeclined          State = "declined"           // a final refusal: not paid
	StateUnknown           State = "unknown"            // no answer: must be found out
	StatePending           State = "pending"            // precreate shown, awaiting the customer
	StateClosed            State = "closed"             // ended unpaid at the gateway
	StateRevoked           State = "revoked"            // cancelled (a paid one refunded in full)
	StateVoided            State = "voided"             // the gateway never saw it; tombstoned
	StatePartiallyRefunded State = "partially_refunded" // some refunded
	StateRefunded          State = "refunded"           // all refunded
)

// States lists every local state in the order of ARCHITECTURE.md.
var States = []State{StateSending, StatePaid, StateDeclined, StateUnknown, StatePending,
	StateClosed, StateRevoked, StateVoided, StatePartiallyRefunded, StateRefunded}

// transitions is the state machine. A state maps to the states it may move to.
var transitions = map[State][]State{
	StateSending: {StatePaid, StateDeclined, StateUnknown, StatePending},
	StateUnknown: {StatePaid, StateClosed, StateRevoked, StateDeclined, StateVoided},
	StatePending: {StatePaid, StateClosed, StateRevoked, StateDeclined, StateVoided},
	// paid → refunded directly is a full refund in one go; the drawing's
	// paid → partially_refunded → refunded is the partial path.
	StatePaid:              {StatePartiallyRefunded, StateRefunded, StateRevoked},
	StatePartiallyRefunded: {StateRefunded},
}

// Valid reports whether s is one of States.
func (s State) Valid() bool {
	for _, x := range States {
		if x == s {
			return true
		}
	}
	return false
}

// Final reports whether no transition leaves s.
func (s State) Final() bool { return s.Valid() && len(transitions[s]) == 0 }

// NotPaid reports whether s is a final "the customer was not charged" state.
func (s State) NotPaid() bool {
	switch s {
	case StateDeclined, StateClosed, StateRevoked, StateVoided:
		return true
	}
	return false
}

// CanTransition reports whether the state machine allows from → to.
// from == to is not a transition and is reported false; the Journal treats a
// Change with To == From as a note instead.
func CanTransition(from, to State) bool {
	for _, x := range transitions[from] {
		if x == to {
			return true
		}
	}
	return false
}

// CheckTransition is CanTransition as an error wrapping ErrIllegalTransition.
func CheckTransition(from, to State) error {
	if !CanTransition(from, to) {
		return fmt.Errorf("%w: %s → %s", ErrIllegalTransition, from, to)
	}
	return nil
}

// Kind is how a charge is taken.
type Kind string

const (
	KindPay       Kind = "pay"       // merchant-scan: sosopay.trade.pay
	KindPrecreate Kind = "precreate" // customer-scan: sosopay.trade.precreate
	// KindCash: paid in cash at the register. No gateway call ever: the row
	// is created paid (Journal.CreateTransaction) and its refunds are
	// created done (Journal.CreateRefund), so the reconciler never sees it.
	KindCash Kind = "cash"
)

// ChargeCode is the merchant serial of a charge, CHARGE_CODE (see
// ChargeCodes for the generator and ValidChargeCode for the format).
type ChargeCode string

func (c ChargeCode) String() string { return string(c) }

// Unsettled reports whether t needs the reconciler: its outcome is not known
// yet (sending, unknown, pending), or the register gave up on it and it is
// paid (it must be revoked).
func (t Transaction) Unsettled() bool {
	switch t.State {
	case StateSending, StateUnknown, StatePending:
		return true
	case StatePaid:
		return t.GiveUp
	}
	return false
}

// Remaining is what can still be refunded.
func (t Transaction) Remaining() Money { return t.Amount - t.Refunded }

// CashChange is the change given for a cash sale: Tendered − Amount (zero
// for any other kind).
func (t Transaction) CashChange() Money {
	if t.Kind != KindCash || t.Tendered < t.Amount {
		return 0
	}
	return t.Tendered - t.Amount
}

// StateAfterRefund is the state of a charge of amount with refunded in
// total refunded: paid, partially_refunded or refunded.
func StateAfterRefund(amount, refunded Money) State {
	switch {
	case refunded <= 0:
		return StatePaid
	case refunded >= amount:
		return StateRefunded
	}
	return StatePartiallyRefunded
}

// RefundState is the local state of a refund.
type RefundState string

const (
	RefundSending RefundState = "sending" // journaled, on its way
	RefundUnknown RefundState = "unknown" // no answer: retried with the same OUT_REFUND_NO
	RefundDone    RefundState = "done"    // the gateway refunded it
	RefundRefused RefundState = "refused" // a final refusal: nothing refunded
)

var refundTransitions = map[RefundState][]RefundState{
	RefundSending: {RefundDone, RefundRefused, RefundUnknown},
	RefundUnknown: {RefundDone, RefundRefused},
}

// CanTransitionRefund reports whether a refund may move from → to
// (from == to is a note, reported false as for CanTransition).
func CanTransitionRefund(from, to RefundState) bool {
	for _, x := range refundTransitions[from] {
		if x == to {
			return true
		}
	}
	return false
}

// Unsettled reports whether r needs the reconciler.
func (r Refund) Unsettled() bool { return r.State == RefundSending || r.State == RefundUnknown }

// RemoteState is the gateway's STATE (WIRE.md §5).
type RemoteState int

const (
	RemotePending           RemoteState = 0
	RemotePaid              RemoteState = 1
	RemoteRevoked           RemoteState = 2
	RemoteRevocationApplied RemoteState = 3
	RemotePartiallyRefunded RemoteState = 4
	RemoteRefunded          RemoteState = 5
	RemoteClosed            RemoteState = 6
	RemoteRefunding         RemoteState = 8
	RemoteRefundFailed      RemoteState = 9
	RemoteToBeRefunded      RemoteState = 10
	RemoteRefundSucceeded   RemoteState = 11
	RemoteRefundCancelled   RemoteState = 12
	RemoteRefundFailed2     RemoteState = 13
	RemoteOrderCancelled    RemoteState = 14
)

// Local maps a remote STATE of a charge to the local state it settles to,
// and ok=false when the state is not final for the charge (0 pending,
// 3 revocation applied: still in progress) or not a charge state at all.
// 4 and 5 imply the charge was paid (the journal reaches them via paid).
// 8–13 describe refunds (WIRE.md §5): a charge in one of them was paid.
// 14 "order cancelled" is closed.
func (r RemoteState) Local() (s State, ok bool) {
	switch r {
	case RemotePaid, RemoteRefunding, RemoteRefundFailed, RemoteToBeRefunded,
		RemoteRefundSucceeded, RemoteRefundCancelled, RemoteRefundFailed2:
		return StatePaid, true
	case RemoteRevoked:
		return StateRevoked, true
	case RemotePartiallyRefunded:
		return StatePartiallyRefunded, true
	case RemoteRefunded:
		return StateRefunded, true
	case RemoteClosed, RemoteOrderCancelled:
		return StateClosed, true
	}
	return "", false
}

// Channel is CHANNEL_TYPE (WIRE.md §7).
type Channel int

const (
	ChannelAuto   Channel = 0
	ChannelAlipay Channel = 1
	ChannelWeChat Channel = 2
)

// String names the register's channels ("alipay", "wechat") and numbers the rest.
func (c Channel) String() string {
	switch c {
	case ChannelAuto:
		return "auto"
	case ChannelAlipay:
		return "alipay"
	case ChannelWeChat:
		return "wechat"
	}
	return strconv.Itoa(int(c))
}

// MarshalText writes String's form, so JSON shows "alipay" and "wechat".
func (c Channel) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText reads what MarshalText wrote (and ParseChannel's forms, "auto" too).
func (c *Channel) UnmarshalText(b []byte) error {
	if string(b) == "auto" {
		*c = ChannelAuto
		return nil
	}
	v, err := ParseChannel(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// ParseChannel reads "alipay", "wechat" or a CHANNEL_TYPE number.
func ParseChannel(s string) (Channel, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "alipay", "1":
		return ChannelAlipay, nil
	case "wechat", "weixin", "2":
		return ChannelWeChat, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 || n > 31 {
		return 0, fmt.Errorf("channel %q: want alipay, wechat or 0–31", s)
	}
	return Channel(n), nil
}

// String names the outcome: "done", "refused" or "unknown".
func (o Outcome) String() string {
	switch o {
	case OutcomeDone:
		return "done"
	case OutcomeRefused:
		return "refused"
	}
	return "unknown"
}

// remoteStateNames are the STATE values of WIRE.md §5, in English.
var remoteStateNames = map[RemoteState]string{
	RemotePending: "pending payment", RemotePaid: "paid", RemoteRevoked: "revoked",
	RemoteRevocationApplied: "revocation applied", RemotePartiallyRefunded: "partially refunded",
	RemoteRefunded: "refunded", RemoteClosed: "closed", RemoteRefunding: "refunding",
	RemoteRefundFailed: "refund failed", RemoteToBeRefunded: "to be refunded",
	RemoteRefundSucceeded: "refund succeeded", RemoteRefundCancelled: "refund cancelled",
	RemoteRefundFailed2: "refund failed", RemoteOrderCancelled: "order cancelled",
}

// String names a STATE as WIRE.md §5 does ("STATE n" when not listed).
func (r RemoteState) String() string {
	if s, ok := remoteStateNames[r]; ok {
		return s
	}
	return "STATE " + strconv.Itoa(int(r))
}

// Verdict is what a charge means for the money now: the one answer to
// "paid?" that screens and commands show (they never decide it themselves).
type Verdict int

const (
	// VerdictUnknown: not settled yet (or paid but being revoked).
	VerdictUnknown Verdict = iota
	// VerdictPaid: the money was taken (refunds are separate facts).
	VerdictPaid
	// VerdictNotPaid: the customer was not charged, or was given it all back by a revoke.
	VerdictNotPaid
)

// Verdict returns what t means for the money now.
func (t Transaction) Verdict() Verdict {
	switch {
	case t.Unsettled() || !t.State.Valid():
		return VerdictUnknown
	case t.State == StatePaid || t.State == StatePartiallyRefunded || t.State == StateRefunded:
		return VerdictPaid
	}
	return VerdictNotPaid
}

// Refundable reports whether a refund of t may be started (more checks —
// refunds in flight, permission — are Checkout.Refund's).
func (t Transaction) Refundable() bool {
	return (t.State == StatePaid || t.State == StatePartiallyRefunded) && !t.GiveUp && t.Remaining() > 0
}

// CancelAction is what cancelling a charge means in its state.
type CancelAction int

const (
	// CancelNothing: the charge is already not paid.
	CancelNothing CancelAction = iota
	// CancelGiveUp: unsettled: give up and cancel (Checkout.AcknowledgeRevoke);
	// it is revoked if it went through.
	CancelGiveUp
	// CancelRevoke: paid, nothing refunded: revoke in full (Checkout.Revoke,
	// refund permission needed).
	CancelRevoke
	// CancelRefuse: refunds were made: it cannot be revoked; refund what
	// remains instead.
	CancelRefuse
)

// CancelActionFor decides what cancelling t means (ARCHITECTURE.md: the
// cancel-or-revoke decision lives in pos).
func CancelActionFor(t Transaction) CancelAction {
	switch {
	case t.Unsettled():
		return CancelGiveUp
	case t.State == StatePaid && t.Refunded == 0:
		return CancelRevoke
	case t.State.NotPaid():
		return CancelNothing
	}
	return CancelRefuse
}
