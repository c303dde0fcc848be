package hub

import (
	"context"
	"encoding/json"
	"sort"
	"time"

	"posterm/pos"
)

// Report is what the manager's page shows: takings in [Since, Until) for
// the store, by till, and by cashier (pos.ComputeShift each), the charges
// still unsettled at any till, and the tills seen.
type Report struct {
	Since, Until time.Time
	Store        pos.ShiftTotals
	ByTill       map[string]pos.ShiftTotals
	ByCashier    map[string]pos.ShiftTotals
	Unsettled    []UnsettledCharge
	Tills        []TillSeen
	UnknownTill  []KeptNotification
}

// UnsettledCharge is a charge whose outcome its till does not know yet.
type UnsettledCharge struct {
	Till       string
	ChargeCode pos.ChargeCode
	State      pos.State
	Amount     pos.Money
	Cashier    string
	CreatedAt  time.Time
}

type charge struct {
	till, origin string
	t            pos.Transaction
}

type refund struct {
	till string
	r    pos.Refund
}

func (s *Store) load(ctx context.Context) ([]charge, []refund, error) {
	var cs []charge
	if err := s.each(ctx, "SELECT till, payload, origin FROM charges ORDER BY till, created_at, charge_code", func(till string, payload []byte, origin string) error {
		var t pos.Transaction
		if err := json.Unmarshal(payload, &t); err != nil {
			return err
		}
		cs = append(cs, charge{till: till, origin: origin, t: t})
		return nil
	}); err != nil {
		return nil, nil, err
	}
	var rs []refund
	if err := s.each(ctx, "SELECT till, payload, '' FROM refunds ORDER BY till, created_at, out_refund_no", func(till string, payload []byte, _ string) error {
		var r pos.Refund
		if err := json.Unmarshal(payload, &r); err != nil {
			return err
		}
		rs = append(rs, refund{till: till, r: r})
		return nil
	}); err != nil {
		return nil, nil, err
	}
	return cs, rs, nil
}

// group totals the charges and refunds by key (pos.ComputeShift per
// group). A charge copied from another till is never a sale; every charge
// lends its channel to the refunds of it.
func group(since, until time.Time, cs []charge, rs []refund, chargeKey func(charge) string, refundKey func(refund) string) map[string]pos.ShiftTotals {
	txs := map[string][]pos.Transaction{}
	keys := map[string]bool{}
	inShift := map[string]map[pos.ChargeCode]bool{}
	for _, c := range cs {
		if c.origin != "" || !in(c.t.CreatedAt, since, until) {
			continue
		}
		k := chargeKey(c)
		keys[k] = true
		txs[k] = append(txs[k], c.t)
		if inShift[k] == nil {
			inShift[k] = map[pos.ChargeCode]bool{}
		}
		inShift[k][c.t.ChargeCode] = true
	}
	byCode := map[pos.ChargeCode]pos.Transaction{}
	for _, c := range cs {
		if _, ok := byCode[c.t.ChargeCode]; !ok || c.origin == "" {
			byCode[c.t.ChargeCode] = c.t
		}
	}
	refs := map[string][]pos.Refund{}
	earlier := map[string][]pos.Transaction{}
	for _, r := range rs {
		if !in(r.r.CreatedAt, since, until) {
			continue
		}
		k := refundKey(r)
		keys[k] = true
		refs[k] = append(refs[k], r.r)
		if inShift[k] == nil {
			inShift[k] = map[pos.ChargeCode]bool{}
		}
		if t, ok := byCode[r.r.ChargeCode]; ok && !inShift[k][r.r.ChargeCode] {
			inShift[k][r.r.ChargeCode] = true
			earlier[k] = append(earlier[k], t)
		}
	}
	out := map[string]pos.ShiftTotals{}
	for k := range keys {
		out[k] = pos.ComputeShift(since, until, txs[k], refs[k], earlier[k])
	}
	return out
}

// Report builds the manager's report over [since, until) (zero until: now).
func (s *Store) Report(ctx context.Context, since, until time.Time) (Report, error) {
	rep := Report{Since: since, Until: until}
	cs, rs, err := s.load(ctx)
	if err != nil {
		return rep, err
	}
	rep.ByTill = group(since, until, cs, rs, func(c charge) string { return c.till }, func(r refund) string { return r.till })
	rep.ByCashier = group(since, until, cs, rs, func(c charge) string { return c.t.Cashier }, func(r refund) string { return r.r.Cashier })
	rep.Store = group(since, until, cs, rs, func(charge) string { return "" }, func(refund) string { return "" })[""]
	if rep.Store.ByChannel == nil {
		rep.Store = pos.ComputeShift(since, until, nil, nil, nil)
	}
	for _, c := range cs {
		if c.origin == "" && c.t.Unsettled() {
			rep.Unsettled = append(rep.Unsettled, UnsettledCharge{Till: c.till, ChargeCode: c.t.ChargeCode, State: c.t.State,
				Amount: c.t.Amount, Cashier: c.t.Cashier, CreatedAt: c.t.CreatedAt})
		}
	}
	sort.Slice(rep.Unsettled, func(i, j int) bool { return rep.Unsettled[i].CreatedAt.Before(rep.Unsettled[j].CreatedAt) })
	if rep.Tills, err = s.Tills(ctx); err != nil {
		return rep, err
	}
	if rep.UnknownTill, err = s.UnknownTillNotifications(ctx); err != nil {
		return rep, err
	}
	return rep, nil
}
