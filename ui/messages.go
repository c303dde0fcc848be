package ui

import (
	"strings"
	"time"

	"posterm/device"
	"posterm/pos"
)

// screenID names a screen of the root model.
type screenID int

const (
	scrLogin screenID = iota
	scrSale
	scrScan
	scrQR
	scrResult
	scrHistory
	scrDetail
	scrRefund
	scrUnsettled
	scrDevices
	scrHelp
	scrDemo
	scrCash
	scrTill

	scrCount // the number of screens
)

// ---------------------------------------------------------------------------
// Time.

// tickMsg arrives once a second with the pos.Clock's time: the header
// clock, countdowns, elapsed times and the idle lock read it.
type tickMsg struct{ At time.Time }

// animMsg arrives ten times a second while a payment runs (the spinner).
type animMsg struct{ At time.Time }

// ---------------------------------------------------------------------------
// Navigation: screens ask the root for a change of screen.

// saleDraft is the sale on screen: what to charge and for which sale.
type saleDraft struct {
	Amount  pos.Money
	Subject string
	// SaleID groups the attempts of one sale ("" until the first attempt).
	SaleID string
}

// payHow is how the customer pays.
type payHow int

const (
	payScan payHow = iota // the cashier scans the customer's code
	payQR                 // the customer scans a QR on the screen
	payCash               // the customer pays in cash at the register
)

// scannedCode is a code read by a scanner or keyed in, classified once
// where it entered the register; every screen it passes through reads the
// same classification.
type scannedCode struct {
	Code string // without surrounding spaces
	device.Classification
}

func classify(raw string) scannedCode {
	// A wedge scanner's keys are outside text: inert before anything shows them.
	code := strings.TrimSpace(pos.CleanText(raw))
	return scannedCode{Code: code, Classification: device.Classify(code)}
}

// startPayMsg moves from the sale to a payment screen; Scan is a payment
// code already scanned on the sale screen (zero = wait for one).
type startPayMsg struct {
	Draft saleDraft
	How   payHow
	Scan  scannedCode
}

// showResultMsg shows the outcome of a charge.
type showResultMsg struct{ Res outcome }

// backToSaleMsg returns to the sale screen: a new sale, or (Keep) the same
// sale to charge another way.
type backToSaleMsg struct {
	Keep  bool
	Draft saleDraft
	// Open are earlier attempts the cashier must acknowledge first; Note
	// (a catalogue key) says why the sale is back.
	Open     []pos.ChargeCode
	Note     string
	NoteArgs []any
}

// openTillMsg opens the till screen: the drawer or the shift close.
type openTillMsg struct{ Mode tillMode }

// goMsg opens a screen on top of the current one; backMsg returns.
type goMsg struct{ To screenID }
type backMsg struct{}

// openDetailMsg opens a transaction's detail view.
type openDetailMsg struct{ Code pos.ChargeCode }

// openRefundMsg opens the refund (or revoke) form of a paid charge.
type openRefundMsg struct {
	Tx        pos.Transaction
	Revoke    bool
	Remaining pos.Money // what may still be refunded
}

// useCodeMsg: the demo panel hands a sandbox code over as if scanned.
type useCodeMsg struct{ Code string }

// quitRefusedMsg: a quit arrived while money is in flight (Filter).
type quitRefusedMsg struct{}

// ---------------------------------------------------------------------------
// Results of commands. Each one about a charge carries its charge code (or,
// before the code exists, the attempt number of the screen that asked).

type loginDoneMsg struct {
	Seq     int
	Cashier pos.Cashier
	Err     error
}

type payProgressMsg struct {
	Attempt int
	P       pos.Progress
}

type payDoneMsg struct {
	Attempt int
	Tx      pos.Transaction
	Err     error
}

type channelsMsg struct {
	Attempt  int
	Channels []pos.ChannelInfo
	Err      error
}

type precreateDoneMsg struct {
	Attempt int
	Tx      pos.Transaction
	Err     error
}

type awaitProgressMsg struct {
	Code pos.ChargeCode
	P    pos.Progress
}

type awaitDoneMsg struct {
	Code pos.ChargeCode
	Tx   pos.Transaction
	Err  error
}

type abortDoneMsg struct {
	Code pos.ChargeCode
	Err  error
}

type ackDoneMsg struct {
	Codes []pos.ChargeCode
	Err   error
}

type historyMsg struct {
	Seq int
	Txs []pos.Transaction
	Err error
}

type detailMsg struct {
	Code    pos.ChargeCode
	Tx      pos.Transaction
	Events  []pos.Event
	Refunds []pos.Refund
	Err     error
}

type liveQueryMsg struct {
	Code pos.ChargeCode
	Rep  pos.Reply
	Err  error
	Cash bool // a cash sale: never at the gateway, not asked
}

type batchMsg struct {
	Page int
	P    pos.BatchPage
	Err  error
}

type refundDoneMsg struct {
	Code   pos.ChargeCode
	Revoke bool
	Refund pos.Refund
	Tx     pos.Transaction
	// ManagerErr is the manager's login failure (nothing was sent).
	ManagerErr error
	Err        error
}

type unsettledMsg struct {
	Txs     []pos.Transaction
	Refunds []pos.Refund
	// Settlement is the last settlement's result (nil: none, or not known).
	Settlement *pos.Settlement
	Err        error
}

// unsettledCountMsg lists the unsettled charges (by code) and counts the
// unsettled refunds, for the status bar.
type unsettledCountMsg struct {
	Codes   []pos.ChargeCode
	Refunds int
	Err     error
}

type reconcileProgressMsg struct {
	Run int
	P   pos.ReconcileProgress
}

type reconcileDoneMsg struct {
	Run int
	Sum pos.ReconcileSummary
	Err error
}

type probeMsg struct{ OK bool }

// journalChangedMsg: the journal changed (a charge, refund, settlement or
// print job) or may have; the screens that show journal rows re-read them,
// and the status bar recounts. It is the one way live updates arrive: from
// Deps.Changes (Feed), after the register's own actions, and from the
// periodic re-read while there is no feed. Code is the charge concerned
// ("" = any).
type journalChangedMsg struct {
	Code pos.ChargeCode
	Feed bool
}

type scannerMsg struct{ Ev device.Event }

// scannerClosedMsg: the serial scanner's event channel closed.
type scannerClosedMsg struct{}

type printerMsg struct{ Ev PrinterEvent }

type printDoneMsg struct {
	Code pos.ChargeCode // "" for a test page
	Err  error
}

type receiptTextMsg struct {
	Code pos.ChargeCode
	Text string
	Err  error
}

// slipTextMsg is a refund or revoke slip as the virtual printer decodes it.
type slipTextMsg struct {
	Code        pos.ChargeCode
	OutRefundNo string
	Text        string
	Err         error
}

type customerPaidMsg struct {
	Code pos.ChargeCode
	Err  error
}
