package pos

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Charge codes (CHARGE_CODE) and refund serials (OUT_REFUND_NO) are
// PREFIX + yyyymmddHHMMSS + NNNN: the register id (plus "R" for refunds), the
// local time of issue and a 4-digit sequence within that second, e.g.
// "POS0120260314092653" + "0001". At most 13+14+4 = 31 characters.
//
// Unique forever per register: the last issued code is persisted in the
// Journal (LastIssued/SwapIssued) and every new one is strictly greater. If
// the clock steps back, issuing continues from the last stamp; if a second
// runs out of sequence numbers, the stamp moves on one second. Because the
// time+sequence suffix has a fixed width, two registers' codes can never
// collide either.

const (
	stampLayout = "20060102150405"
	stampLen    = len(stampLayout)
	seqLen      = 4
	seqMax      = 9999
	// MaxChargeCodeLen is the longest charge code the gateway takes.
	MaxChargeCodeLen = 32
	maxRegisterLen   = 12
)

// ErrBadChargeCode is returned for a charge code or register id of the
// wrong form.
var ErrBadChargeCode = errors.New("bad charge code")

// ValidRegisterID reports whether id can prefix charge codes: 1–12 ASCII
// letters or digits.
func ValidRegisterID(id string) error {
	if id == "" || len(id) > maxRegisterLen || !alnum(id) {
		return fmt.Errorf("%w: register id %q must be 1–%d letters or digits", ErrBadChargeCode, id, maxRegisterLen)
	}
	return nil
}

// ParseChargeCode checks a charge code typed or passed in (e.g. `posterm
// query CODE`): 1–32 ASCII letters, digits, '-' or '_'.
func ParseChargeCode(s string) (ChargeCode, error) {
	if s == "" || len(s) > MaxChargeCodeLen {
		return "", fmt.Errorf("%w: %q must be 1–%d characters", ErrBadChargeCode, s, MaxChargeCodeLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && c != '-' && c != '_' {
			return "", fmt.Errorf("%w: %q has a character other than letters, digits, - and _", ErrBadChargeCode, s)
		}
	}
	return ChargeCode(s), nil
}

// ChargeCodes issues charge codes (or refund serials) for one prefix.
// Safe for concurrent use, across processes too (SwapIssued is a
// compare-and-swap).
type ChargeCodes struct {
	prefix   string
	series   string
	journal  Journal
	clock    Clock
	location *time.Location
}

// NewChargeCodes returns the charge-code generator of register.
func NewChargeCodes(register string, j Journal, c Clock) (*ChargeCodes, error) {
	if err := ValidRegisterID(register); err != nil {
		return nil, err
	}
	return &ChargeCodes{prefix: register, series: "charge:" + register, journal: j, clock: c, location: time.Local}, nil
}

// NewRefundNos returns the OUT_REFUND_NO generator of register: as charge
// codes, with prefix register+"R".
func NewRefundNos(register string, j Journal, c Clock) (*ChargeCodes, error) {
	if err := ValidRegisterID(register); err != nil {
		return nil, err
	}
	return &ChargeCodes{prefix: register + "R", series: "refund:" + register, journal: j, clock: c, location: time.Local}, nil
}

// SetLocation sets the zone the stamps are written in (default time.Local).
func (g *ChargeCodes) SetLocation(loc *time.Location) { g.location = loc }

// Valid reports whether code is one this generator could have issued.
func (g *ChargeCodes) Valid(code string) error {
	_, _, err := g.parse(code)
	return err
}

func (g *ChargeCodes) parse(code string) (stamp string, seq int, err error) {
	n := len(g.prefix)
	if len(code) != n+stampLen+seqLen || code[:n] != g.prefix || !allDigits(code[n:]) {
		return "", 0, fmt.Errorf("%w: %q is not %s+%s+%0*d", ErrBadChargeCode, code, g.prefix, stampLayout, seqLen, 0)
	}
	stamp = code[n : n+stampLen]
	if _, err := time.Parse(stampLayout, stamp); err != nil {
		return "", 0, fmt.Errorf("%w: %q: bad time %q", ErrBadChargeCode, code, stamp)
	}
	seq, _ = strconv.Atoi(code[n+stampLen:])
	if seq < 1 {
		return "", 0, fmt.Errorf("%w: %q: sequence 0", ErrBadChargeCode, code)
	}
	return stamp, seq, nil
}

// Next issues a new code, persisted as the last issued before it returns.
func (g *ChargeCodes) Next(ctx context.Context) (string, error) {
	for range 100 {
		last, err := g.journal.LastIssued(ctx, g.series)
		if err != nil {
			return "", fmt.Errorf("issue %s: %w", g.series, err)
		}
		next, err := g.after(last)
		if err != nil {
			return "", err
		}
		err = g.journal.SwapIssued(ctx, g.series, last, next)
		if err == nil {
			return next, nil
		}
		if !errors.Is(err, ErrConflict) {
			return "", fmt.Errorf("issue %s: %w", g.series, err)
		}
	}
	return "", fmt.Errorf("issue %s: %w: too much contention", g.series, ErrConflict)
}

// after computes the code following last (or the first, when last is "").
func (g *ChargeCodes) after(last string) (string, error) {
	stamp := g.clock.Now().In(g.location).Format(stampLayout)
	seq := 1
	if last != "" {
		lastStamp, lastSeq, err := g.parse(last)
		if err != nil {
			return "", fmt.Errorf("issue %s: last issued: %w", g.series, err)
		}
		if stamp <= lastStamp { // same second, or the clock stepped back
			stamp, seq = lastStamp, lastSeq+1
			if seq > seqMax {
				t, _ := time.Parse(stampLayout, lastStamp)
				stamp, seq = t.Add(time.Second).Format(stampLayout), 1
			}
		}
	}
	code := fmt.Sprintf("%s%s%0*d", g.prefix, stamp, seqLen, seq)
	if len(code) > MaxChargeCodeLen {
		return "", fmt.Errorf("%w: %q longer than %d", ErrBadChargeCode, code, MaxChargeCodeLen)
	}
	return code, nil
}

func isAlnum(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return true
}
