// Package pos is the domain of the register: money, charge codes, cashiers,
// transactions and their state machine, the checkout flows and the reconciler.
// It imports only the standard library; the outside world (gateway, journal,
// printer, clock) reaches it through the small interfaces it declares.
//
// Every money decision lives here: whether an answer is ours (answer.go:
// each answer checked against its request, one place), what a charge means
// (Transaction.Verdict, the state machine in state.go), whether it may be
// refunded, cancelled or revoked (Refundable, CancelActionFor, Checkout),
// what a STATE settles (settle.go, RefundFromState), and what the gateway
// changed behind posterm (daysettle.go: Settler, Reconciler.Recheck,
// GatewayChange). Commands and screens ask; they never decide.
package pos

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Money is an amount in fen (1/100 yuan). It is the only money type inside
// posterm; yuan strings exist only at the wire and on paper/screen.
type Money int64

// ErrBadAmount is returned when a text is not a valid amount of money.
var ErrBadAmount = errors.New("bad amount")

// maxMoney bounds parsed amounts far below int64 overflow (10^13 yuan).
const maxMoney = Money(1_000_000_000_000_000)

// ParseYuan reads a non-negative yuan amount such as "12", "12.3" or "12.34"
// into fen. It never uses floating point. More than two decimals, signs,
// exponents, spaces, a bare trailing dot ("12.") or an empty string are
// ErrBadAmount.
func ParseYuan(s string) (Money, error) {
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || !allDigits(whole) || (hasDot && (frac == "" || len(frac) > 2 || !allDigits(frac))) || len(whole) > 16 {
		return 0, fmt.Errorf("%w: %q", ErrBadAmount, s)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q", ErrBadAmount, s)
	}
	var f int64
	switch len(frac) {
	case 1:
		f = int64(frac[0]-'0') * 10
	case 2:
		f = int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	}
	m := Money(w*100 + f)
	if m < 0 || m > maxMoney {
		return 0, fmt.Errorf("%w: %q out of range", ErrBadAmount, s)
	}
	return m, nil
}

// ParseFen reads a non-negative integer count of fen such as "15800".
func ParseFen(s string) (Money, error) {
	if s == "" || !allDigits(s) || len(s) > 18 {
		return 0, fmt.Errorf("%w: %q is not a count of fen", ErrBadAmount, s)
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || Money(v) > maxMoney {
		return 0, fmt.Errorf("%w: %q is not a count of fen", ErrBadAmount, s)
	}
	return Money(v), nil
}

// Yuan formats m as a yuan string with exactly two decimals: 15800 → "158.00".
// This is the form the gateway's request fields take (WIRE.md §4.1).
func (m Money) Yuan() string {
	sign := ""
	v := int64(m)
	if v < 0 {
		sign = "-"
		v = -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// Fen formats m as its integer count of fen: 15800 → "15800".
func (m Money) Fen() string { return strconv.FormatInt(int64(m), 10) }

// String is the yuan form, for logs and debugging.
func (m Money) String() string { return m.Yuan() }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
