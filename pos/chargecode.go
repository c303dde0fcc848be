package pos

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// Charge codes (CHARGE_CODE) and refund serials (OUT_REFUND_NO) have the form
//
//	charge code:   REGISTER       + TILL + yyMMddHHmmss + NNNN   (≤ 12+4+12+4 = 32)
//	OUT_REFUND_NO: REGISTER + "R" + TILL + yyMMddHHmmss + NNN    (≤ 12+1+4+12+3 = 32)
//
// REGISTER is the configured register id (1–12 letters or digits, from
// [register] dev_id), TILL the journal's install identity (TillID: 4 base-36
// characters, random, made when the journal is created and renewed when it
// is found on another machine — see offline), the stamp the time of issue
// in the shop's zone ([register] time_zone, never time.Local) and NNNN (NNN)
// a sequence within that second. Example: "POS01" + "K7Q2" + "260314092653" +
// "0001".
//
// Why the till identity: two tills left at the default dev_id "POS-01" used
// to issue the same code in the same second; the second till's pay then got
// SERIAL_REPEAT and its query found the other till's paid charge (issue 8,
// case 1). The identity belongs to the journal, not the config, so two
// tills with one config still differ, and a journal copied onto another
// machine (a restored disk image) gets a new one.
//
// Unique forever per journal: the last issued code is persisted in the
// Journal (LastIssued/SwapIssued) under a series keyed by register AND till
// identity (a new identity starts a fresh series) and every new one is
// strictly greater. If the clock steps back, issuing continues from the last
// stamp; if a second runs out of sequence numbers, the stamp moves on one
// second. The fixed-width suffix keeps two tills' codes apart even when one
// register id prefixes another.

const (
	stampLayout = "060102150405"
	stampLen    = len(stampLayout)
	// MaxChargeCodeLen is the longest charge code the gateway takes.
	MaxChargeCodeLen = 32
	maxRegisterLen   = 12
	// TillIDLen is the length of a till identity (TillID).
	TillIDLen = 4
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

// ValidTillID reports whether id is a till identity: TillIDLen characters
// 0–9 or A–Z.
func ValidTillID(id string) error {
	if len(id) != TillIDLen {
		return fmt.Errorf("%w: till identity %q must be %d characters", ErrBadChargeCode, id, TillIDLen)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= '0' && c <= '9') && !(c >= 'A' && c <= 'Z') {
			return fmt.Errorf("%w: till identity %q must be digits and upper-case letters", ErrBadChargeCode, id)
		}
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

// ChargeCodes issues charge codes (or refund serials) for one register on
// one journal. Safe for concurrent use, across processes too (SwapIssued is
// a compare-and-swap).
type ChargeCodes struct {
	register string
	kind     string // "" for charge codes, "R" for refund numbers
	series   string // "charge" or "refund"
	seqLen   int
	journal  Journal
	clock    Clock

	mu       sync.Mutex
	location *time.Location
}

// NewChargeCodes returns the charge-code generator of register. The till
// identity is read from j (Journal.TillID) at each issue.
func NewChargeCodes(register string, j Journal, c Clock) (*ChargeCodes, error) {
	if err := ValidRegisterID(register); err != nil {
		return nil, err
	}
	return &ChargeCodes{register: register, series: "charge", seqLen: 4, journal: j, clock: c, location: DefaultZone()}, nil
}

// NewRefundNos returns the OUT_REFUND_NO generator of register: as charge
// codes, with "R" after the register and a 3-digit sequence.
func NewRefundNos(register string, j Journal, c Clock) (*ChargeCodes, error) {
	if err := ValidRegisterID(register); err != nil {
		return nil, err
	}
	return &ChargeCodes{register: register, kind: "R", series: "refund", seqLen: 3, journal: j, clock: c, location: DefaultZone()}, nil
}

// SetLocation sets the zone the stamps are written in: the shop's
// ([register] time_zone). The default is DefaultZone; nil restores it.
func (g *ChargeCodes) SetLocation(loc *time.Location) {
	if loc == nil {
		loc = DefaultZone()
	}
	g.mu.Lock()
	g.location = loc
	g.mu.Unlock()
}

func (g *ChargeCodes) zone() *time.Location {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.location
}

// DefaultZoneName is the shop zone when none is configured.
const DefaultZoneName = "Asia/Shanghai"

// DefaultZone returns Asia/Shanghai from the zone database, or — on a
// system without one — the fixed UTC+8 it has been since 1991.
func DefaultZone() *time.Location {
	if loc, err := time.LoadLocation(DefaultZoneName); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*60*60)
}

// prefix and series key for till identity till.
func (g *ChargeCodes) prefix(till string) string { return g.register + g.kind + till }
func (g *ChargeCodes) key(till string) string    { return g.series + ":" + g.register + ":" + till }

// Valid reports whether code is one this generator could have issued with
// the journal's current till identity.
func (g *ChargeCodes) Valid(ctx context.Context, code string) error {
	till, err := g.journal.TillID(ctx)
	if err != nil {
		return fmt.Errorf("till identity: %w", err)
	}
	_, _, err = g.parse(g.prefix(till), code)
	return err
}

func (g *ChargeCodes) parse(prefix, code string) (stamp string, seq int, err error) {
	n := len(prefix)
	if len(code) != n+stampLen+g.seqLen || code[:n] != prefix || !allDigits(code[n:]) {
		return "", 0, fmt.Errorf("%w: %q is not %s+%s+%0*d", ErrBadChargeCode, code, prefix, stampLayout, g.seqLen, 0)
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
	till, err := g.journal.TillID(ctx)
	if err != nil {
		return "", fmt.Errorf("issue %s: till identity: %w", g.series, err)
	}
	if err := ValidTillID(till); err != nil {
		return "", fmt.Errorf("issue %s: %w", g.series, err)
	}
	key := g.key(till)
	for range 100 {
		last, err := g.journal.LastIssued(ctx, key)
		if err != nil {
			return "", fmt.Errorf("issue %s: %w", key, err)
		}
		next, err := g.after(g.prefix(till), last)
		if err != nil {
			return "", err
		}
		err = g.journal.SwapIssued(ctx, key, last, next)
		if err == nil {
			return next, nil
		}
		if !errors.Is(err, ErrConflict) {
			return "", fmt.Errorf("issue %s: %w", key, err)
		}
	}
	return "", fmt.Errorf("issue %s: %w: too much contention", key, ErrConflict)
}

// after computes the code following last (or the first, when last is "").
func (g *ChargeCodes) after(prefix, last string) (string, error) {
	stamp := g.clock.Now().In(g.zone()).Format(stampLayout)
	seq := 1
	if last != "" {
		lastStamp, lastSeq, err := g.parse(prefix, last)
		if err != nil {
			return "", fmt.Errorf("issue %s: last issued: %w", g.series, err)
		}
		if stamp <= lastStamp { // same second, or the clock stepped back
			stamp, seq = lastStamp, lastSeq+1
			if seq > seqMax(g.seqLen) {
				t, _ := time.Parse(stampLayout, lastStamp)
				stamp, seq = t.Add(time.Second).Format(stampLayout), 1
			}
		}
	}
	code := fmt.Sprintf("%s%s%0*d", prefix, stamp, g.seqLen, seq)
	if len(code) > MaxChargeCodeLen {
		return "", fmt.Errorf("%w: %q longer than %d", ErrBadChargeCode, code, MaxChargeCodeLen)
	}
	return code, nil
}

func seqMax(n int) int {
	m := 1
	for range n {
		m *= 10
	}
	return m - 1
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
