package pos

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ReceiptDrawer is a print job that is only the drawer kick: an explicit
// opening of the cash drawer, no sale (OpenDrawer).
const ReceiptDrawer ReceiptKind = "drawer"

// ErrNeedReason: a cashier (not a manager) opens the drawer without saying why.
var ErrNeedReason = errors.New("a reason is needed to open the drawer")

// maxReason bounds the reason kept in the audit log (runes).
const maxReason = 200

// DrawerOpening is one explicit opening of the cash drawer outside a sale:
// who, when and why. The log of them is append-only.
type DrawerOpening struct {
	ID     int64     `json:"id"` // assigned by the log
	At     time.Time `json:"at"`
	Till   string    `json:"till,omitempty"`
	Who    string    `json:"who"`
	Role   string    `json:"role"` // "cashier" or "manager"
	Reason string    `json:"reason,omitempty"`
	JobID  int64     `json:"job_id"` // the print job of the drawer kick
}

// DrawerLog records drawer openings (offline.Journal). Safe for concurrent use.
type DrawerLog interface {
	// OpenDrawer appends o and queues job (the drawer kick) in one
	// transaction, and returns o with its ID and JobID set.
	OpenDrawer(ctx context.Context, o DrawerOpening, job PrintJob) (DrawerOpening, error)
	// DrawerOpenings returns the openings in [since, until) (zero until:
	// open end), oldest first.
	DrawerOpenings(ctx context.Context, since, until time.Time) ([]DrawerOpening, error)
}

// OpenDrawer opens the cash drawer for who, outside a sale: audited (who,
// when, why) and carried out by a print job that is only kick, the
// drawer pulse as the printer encodes it. A cashier must give a reason; a
// manager may leave it empty. The reason is outside text: cleaned and
// bounded before it is stored. err: ErrNoCashier, ErrNeedReason, or a
// journal failure (nothing was written then).
func OpenDrawer(ctx context.Context, log DrawerLog, till string, who Cashier, reason string, kick []byte, now time.Time) (DrawerOpening, error) {
	if who.LoginName == "" {
		return DrawerOpening{}, fmt.Errorf("open drawer: %w", ErrNoCashier)
	}
	reason = strings.TrimSpace(CleanText(reason))
	if r := []rune(reason); len(r) > maxReason {
		reason = string(r[:maxReason])
	}
	if reason == "" && !who.CanRefund() {
		return DrawerOpening{}, fmt.Errorf("open drawer: %w", ErrNeedReason)
	}
	if len(kick) == 0 {
		return DrawerOpening{}, errors.New("open drawer: no drawer kick")
	}
	role := "cashier"
	if who.CanRefund() {
		role = "manager"
	}
	o := DrawerOpening{At: now, Till: till, Who: who.LoginName, Role: role, Reason: reason}
	got, err := log.OpenDrawer(ctx, o, PrintJob{Kind: ReceiptDrawer, Data: kick, Created: now})
	if err != nil {
		return DrawerOpening{}, fmt.Errorf("open drawer: %w", err)
	}
	return got, nil
}
