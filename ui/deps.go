package ui

import (
	"context"
	"log/slog"
	"time"

	"posterm/device"
	"posterm/pos"
)

// GatewayReader is the part of the gateway the screen asks directly: the
// channel list for a QR, the live query of a detail view and the gateway's
// batch query for history. None of them moves money or writes the journal
// (a pos.Gateway satisfies it). Implementations must be safe for concurrent
// use.
type GatewayReader interface {
	Channels(ctx context.Context) (pos.ChannelList, error)
	Query(ctx context.Context, code pos.ChargeCode) (pos.Reply, error)
	BatchQuery(ctx context.Context, r pos.BatchQueryRequest) (pos.BatchPage, error)
}

// JournalReader is the part of the journal the screen reads: lists, one
// charge with its events, refunds. The screen never writes the journal; it
// moves money only through pos.Checkout, which journals. A pos.Journal
// satisfies it. Implementations must be safe for concurrent use.
type JournalReader interface {
	List(ctx context.Context, f pos.Filter) ([]pos.Transaction, error)
	Get(ctx context.Context, code pos.ChargeCode) (pos.Transaction, error)
	Events(ctx context.Context, code pos.ChargeCode) ([]pos.Event, error)
	ListRefunds(ctx context.Context, f pos.RefundFilter) ([]pos.Refund, error)
}

var _ JournalReader = pos.Journal(nil)

// Deps is everything the screen needs from the outside, wired by main.
// Checkout, Journal, Gateway and Clock are required; the rest may be zero.
type Deps struct {
	Checkout *pos.Checkout
	Journal  JournalReader
	Gateway  GatewayReader
	Clock    pos.Clock
	Logger   *slog.Logger

	// ReconcileNow runs one reconciliation pass now, reporting each row
	// handled to progress (which must not block). nil hides the key. The
	// background reconciler keeps running on its own whatever the screen does.
	ReconcileNow func(ctx context.Context, progress func(pos.ReconcileProgress)) (pos.ReconcileSummary, error)

	// Lang is "zh-CN" (anything starting with "zh") or English.
	Lang string
	// Location is the shop's time zone ([register] time_zone): every time
	// on screen is shown in it, never in the host's. nil: Asia/Shanghai.
	Location *time.Location
	// Merchant, Store and Register name the till in the header.
	Merchant, Store, Register string
	// IdleLock locks the screen after this long without a key (0: never).
	IdleLock time.Duration

	// ScannerPort is the serial scanner's configured port ("" = a
	// keyboard-wedge scanner only). Scanner delivers its events; nil when
	// there is no serial scanner.
	ScannerPort string
	Scanner     <-chan device.Event
	// Wedge tunes the keyboard-wedge burst detector (zero = defaults).
	WedgeMaxGap time.Duration
	WedgeMinLen int

	// Printer delivers the spooler's events (nil: no printer configured).
	Printer <-chan PrinterEvent
	// Reprint queues a receipt of a charge again, marked as a reprint.
	Reprint func(ctx context.Context, code pos.ChargeCode) error
	// TestPrint queues a test page.
	TestPrint func(ctx context.Context) error
	// ReceiptQueued is called after a payment, refund or revoke queued its
	// receipt in the journal, so the printer side prints it now rather than
	// at its next poll. nil: nothing to wake.
	ReceiptQueued func()
	// PaperColumns is the receipt printer's line width in characters (32
	// on 58 mm paper, 48 on 80 mm): receipt previews are drawn at it.
	// 0: 32.
	PaperColumns int
	// ReceiptText renders a charge's receipt as the virtual printer decodes
	// it (demo mode shows it beside the result). nil: no preview.
	ReceiptText func(ctx context.Context, code pos.ChargeCode) (string, error)

	// SlipText renders the slip of a refund (outRefundNo) or, with
	// outRefundNo "", of the revoke of code, as the virtual printer decodes
	// it: the refund screen previews it like a sale receipt. nil: no preview.
	SlipText func(ctx context.Context, code pos.ChargeCode, outRefundNo string) (string, error)

	// OpenDrawer opens the cash drawer outside a sale for who, audited
	// with the reason (pos.OpenDrawer: ErrNeedReason for a cashier without
	// one). nil: no drawer; the key is refused.
	OpenDrawer func(ctx context.Context, who pos.Cashier, reason string) (pos.DrawerOpening, error)
	// CloseShift closes the till's shift with the cash counted: the Z
	// report is stored and queued for the printer (a *pos.ShiftBusyError
	// while money is in flight or an outcome unknown). nil: not offered.
	CloseShift func(ctx context.Context, closedBy string, counted pos.Money) (pos.ZReport, error)

	// Demo is set when the register runs on the embedded sandbox.
	Demo *Demo

	// LastSettlement returns the result of the last `posterm settle` (or
	// recheck) stored in the journal, for the Unsettled screen; ok false when
	// there was none. nil: not shown.
	LastSettlement func(ctx context.Context) (s pos.Settlement, ok bool, err error)

	// LookupCharge finds a charge made at another till of the store (the
	// store hub) when it is not in this till's journal, and copies it here
	// so that it can be refunded or reprinted at this till; found is false
	// when no till reported it. The history search opens a full charge code
	// of another till through it. nil: no hub ([hub] url empty).
	LookupCharge func(ctx context.Context, code pos.ChargeCode) (tx pos.Transaction, found bool, err error)

	// Changes delivers the charge code of each change the journal reports
	// (a charge, refund, settlement or print job; "" when not about one
	// charge): main connects it to pos's change feed. nil: the screens
	// re-read the journal every other second instead.
	Changes <-chan pos.ChargeCode

	// GatewayProbe is how often the status bar checks that the gateway
	// answers (a channel list) while nothing else talked to it. 0: 60 s;
	// negative: never.
	GatewayProbe time.Duration
	// Now is the wall clock used only to time key bursts of a
	// keyboard-wedge scanner (milliseconds apart). nil: time.Now.
	Now func() time.Time
}

// Demo describes the embedded sandbox for the demo panel and login screen.
type Demo struct {
	// SandboxURL is the sandbox's base URL (where a phone opens a QR's page).
	SandboxURL string
	// Users are the demo logins shown on the login screen.
	Users []DemoUser
	// Codes are payment codes that ask the sandbox for each outcome.
	Codes []DemoCode
	// CustomerPays plays the customer paying the QR with this BAR_CODE.
	CustomerPays func(ctx context.Context, barCode string) error
}

// DemoUser is one demo login.
type DemoUser struct {
	Login, Password string
	Role            DemoRole
}

// DemoRole says what a demo login is for.
type DemoRole int

// Demo login roles.
const (
	DemoCashier  DemoRole = iota // takes payments
	DemoManager                  // may refund and authorise refunds
	DemoDisabled                 // login refused: shows that message
)

// DemoCode is one sandbox payment code and what the sandbox does with it.
type DemoCode struct {
	Code    string
	Outcome DemoOutcome
}

// DemoOutcome is what the sandbox does with a payment code (WIRE.md §9).
type DemoOutcome int

// Sandbox behaviours, by the code's last two digits.
const (
	DemoPaid        DemoOutcome = iota // 00–89, 90, 98, 99
	DemoConfirm8s                      // 91: the customer confirms after 8 s
	DemoDeclined                       // 92: insufficient balance
	DemoNeverPaid                      // 93: never confirmed, closed at 80 s
	DemoAnswerLost                     // 94: paid, answer lost
	DemoGatewayDown                    // 95: HTTP 503
	DemoPaidLate                       // 96: paid after 85 s
	DemoSystemFault                    // 97: EXCEPTION
)

// PrinterEvent is what the printer side tells the screen: a job queued,
// printed or failed for a charge, or the printer's status.
type PrinterEvent struct {
	Kind       PrinterEventKind
	ChargeCode pos.ChargeCode // of the job; "" for status and test pages
	Reprint    bool
	Status     PrinterStatus
	Pending    int // jobs not printed yet
}

// PrinterEventKind says what a PrinterEvent reports.
type PrinterEventKind int

// Printer event kinds.
const (
	PrinterStatusChanged PrinterEventKind = iota
	PrinterQueued
	PrinterPrinted
	PrinterFailed
)

// PrinterStatus is the printer's state in the words of the status bar.
type PrinterStatus int

// Printer states.
const (
	PrinterUnknown     PrinterStatus = iota // cannot read back (file, lp): assumed fine
	PrinterOK                               // answered, ready
	PrinterPaperOut                         // paper out
	PrinterCoverOpen                        // cover open
	PrinterOffline                          // offline or in error
	PrinterUnreachable                      // could not connect
	PrinterPaperLow                         // ready, paper near end
)

// Bad reports whether the status bar should show the printer in red.
func (s PrinterStatus) Bad() bool {
	switch s {
	case PrinterPaperOut, PrinterCoverOpen, PrinterOffline, PrinterUnreachable:
		return true
	}
	return false
}
