package pos

import (
	"context"
	"fmt"
	"time"
)

// The outbox: how a till's journal changes reach the store hub.
//
// Every committed transaction or refund change — and each settlement result,
// Z report and device-status change — also writes one outbox row in the
// same SQL transaction (offline). A forwarder (hub.Forwarder) reads the
// pending rows in order, publishes each with its ID as the message id (the
// hub deduplicates on it) and marks it sent once the hub acknowledged it. A
// till never waits for the hub: a sale commits whether or not the hub is
// reachable, and the rows wait in the journal until it is.

// OutboxEvent is one journal change as the hub receives it.
type OutboxEvent struct {
	// ID is the event id: the till identity, "-", and Seq. Unique forever
	// (a renewed till identity starts with a new prefix).
	ID   string `json:"id"`
	Till string `json:"till"`
	Seq  int64  `json:"seq"`
	// Kind: FeedTransaction, FeedRefund, FeedSettlement, FeedZReport or
	// FeedDevices (Payload: the Settlement, ZReport or DeviceStatus).
	Kind        FeedKind   `json:"kind"`
	ChargeCode  ChargeCode `json:"charge_code"`
	OutRefundNo string     `json:"out_refund_no,omitempty"`
	State       string     `json:"state"`
	// Amount is the transaction's amount (for a refund, the refund's).
	Amount Money `json:"amount_fen"`
	// Refunded is the transaction's refunded total after the change (0 for
	// a refund event).
	Refunded Money     `json:"refunded_fen"`
	Cashier  string    `json:"cashier,omitempty"`
	Channel  Channel   `json:"channel"`
	At       time.Time `json:"at"`
	// Origin: for a transaction copied from another till (a refund made
	// here of a charge made there), that till's identity; "" otherwise.
	Origin string `json:"origin,omitempty"`
	// Payload is the JSON of the Transaction or Refund after the change.
	Payload []byte `json:"payload,omitempty"`
}

// EventID is the id of the seq-th outbox event of till.
func EventID(till string, seq int64) string { return fmt.Sprintf("%s-%d", till, seq) }

// OutboxStatus is what `posterm outbox` shows.
type OutboxStatus struct {
	Pending   int       // events not yet acknowledged by the hub
	Sent      int       // events acknowledged
	OldestAt  time.Time // the oldest pending event's time (zero when none)
	LastAckAt time.Time // when the hub last acknowledged one (zero: never)
	LastAckID string
}

// OutboxPort is the journal's side of the outbox. Safe for concurrent use.
type OutboxPort interface {
	// PendingOutbox returns up to limit unsent events, oldest first.
	PendingOutbox(ctx context.Context, limit int) ([]OutboxEvent, error)
	// MarkOutboxSent records that the hub acknowledged the events with these
	// sequence numbers at at. Marking one twice is harmless.
	MarkOutboxSent(ctx context.Context, seqs []int64, at time.Time) error
	// OutboxStatus summarises the outbox.
	OutboxStatus(ctx context.Context) (OutboxStatus, error)
}

// TillOfCharge returns the till identity inside a charge code (REGISTER +
// TILL + yyMMddHHmmss + NNNN, see chargecode.go), so that a notification or
// a lookup reaches the till that made the charge. ok is false for a code
// not of that form (made by an older posterm, or by someone else).
func TillOfCharge(code ChargeCode) (till string, ok bool) {
	s := string(code)
	const tail = TillIDLen + stampLen + 4
	if len(s) <= tail || len(s) > MaxChargeCodeLen {
		return "", false
	}
	till, rest := s[len(s)-tail:len(s)-tail+TillIDLen], s[len(s)-tail+TillIDLen:]
	for i := 0; i < len(rest); i++ {
		if rest[i] < '0' || rest[i] > '9' {
			return "", false
		}
	}
	if ValidTillID(till) != nil || ValidRegisterID(s[:len(s)-tail]) != nil {
		return "", false
	}
	return till, true
}

// ForeignCharges is implemented by a journal that holds copies of charges
// made at other tills (fetched from the store hub to refund or reprint
// them here). Such a copy is not this till's sale: Shift counts only the
// refunds made here.
type ForeignCharges interface {
	// ForeignCharges maps each copied charge to the till that made it.
	ForeignCharges(ctx context.Context) (map[ChargeCode]string, error)
}

// More kinds of outbox events, besides FeedTransaction and FeedRefund: what
// the manager's page shows per till beyond its takings.
const (
	// FeedSettlement (ports.go) travels with the Settlement as its payload.

	// FeedZReport: a shift was closed; the payload is the ZReport.
	FeedZReport FeedKind = "z_report"
	// FeedDevices: the till's printer or scanner changed state; the payload
	// is the DeviceStatus. Only the outbox carries it (it is not a journal
	// change the UI re-reads).
	FeedDevices FeedKind = "devices"
)

// Device states as a till reports them to the hub (DeviceStatus). The words
// are the hub's: it shows each in the manager's language.
const (
	DeviceOK          = "ok"
	DeviceUnknown     = "unknown"     // cannot be read back (file, lp): assumed fine
	DevicePaperLow    = "paper_low"   // ready, paper near end
	DevicePaperOut    = "paper_out"   // printer: paper out
	DeviceCoverOpen   = "cover_open"  // printer: cover open
	DeviceOffline     = "offline"     // printer: offline or in error
	DeviceUnreachable = "unreachable" // could not connect / scanner unplugged
	DeviceNone        = "none"        // not configured (a keyboard-wedge scanner only)
)

// DeviceStatus is a till's printer and scanner state, as it last changed.
type DeviceStatus struct {
	Printer     string    `json:"printer"` // one of the Device* words
	PrinterInfo string    `json:"printer_info,omitempty"`
	Scanner     string    `json:"scanner"`
	ScannerPort string    `json:"scanner_port,omitempty"`
	At          time.Time `json:"at"`
}

// DeviceBad reports whether a Device* word needs someone to look at the
// device (the page shows it in red).
func DeviceBad(word string) bool {
	switch word {
	case DevicePaperOut, DeviceCoverOpen, DeviceOffline, DeviceUnreachable:
		return true
	}
	return false
}

// DeviceReporter is implemented by a journal that forwards the till's
// device status to the store hub through its outbox. Safe for concurrent
// use.
type DeviceReporter interface {
	// ReportDevices appends s to the outbox (the caller reports changes
	// only: every call is one event).
	ReportDevices(ctx context.Context, s DeviceStatus) error
}
