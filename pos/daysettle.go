package pos

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// This file finds changes made at the gateway behind posterm's back (issue
// 8, "out-of-band changes are found"): a charge revoked or refunded outside
// posterm, a charge the journal lacks, an amount that differs. The Settler
// compares one day of the journal with the gateway's batch query; the
// Reconciler's Recheck re-queries the open shift's paid charges. Where the
// gateway's answer is final the journal is corrected by an audited
// "changed at the gateway" transition (Event.Op OpChangedAtGateway); every
// other difference is listed for a person.

// OpChangedAtGateway is the audit op of a correction made because the
// gateway's final state differs from the journal's.
const OpChangedAtGateway = "changed_at_gateway"

// DiffKind names one kind of difference between the journal and the gateway.
type DiffKind string

const (
	// DiffMissingInJournal: the gateway holds a charge the journal lacks.
	DiffMissingInJournal DiffKind = "missing_in_journal"
	// DiffMissingAtGateway: the journal says money moved, the gateway has
	// no such charge that day.
	DiffMissingAtGateway DiffKind = "missing_at_gateway"
	// DiffState: the states disagree (revoked or refunded outside posterm…).
	DiffState DiffKind = "state"
	// DiffAmount: the amounts disagree.
	DiffAmount DiffKind = "amount"
)

// Difference is one disagreement found by a settlement or a recheck.
type Difference struct {
	ChargeCode ChargeCode `json:"charge_code"`
	Kind       DiffKind   `json:"kind"`
	// The journal's side ("" state: the journal lacks the charge).
	Journal         State `json:"journal_state,omitempty"`
	JournalAmount   Money `json:"journal_amount_fen"`
	JournalRefunded Money `json:"journal_refunded_fen"`
	// The gateway's side (GatewayState -1: the gateway lacks the charge).
	GatewayState  int   `json:"gateway_state"`
	GatewayAmount Money `json:"gateway_amount_fen"`
	// Corrected: journaled as "changed at the gateway", now To.
	Corrected bool   `json:"corrected"`
	To        State  `json:"to,omitempty"`
	Note      string `json:"note"`
}

// Settlement is the result of comparing one day of the journal with the
// gateway. Agree is true when nothing differed (corrections made by this
// settlement are differences: the next settlement of the day agrees).
type Settlement struct {
	Date        string       `json:"date"` // YYYY-MM-DD in the shop's zone
	At          time.Time    `json:"at"`   // when it ran
	Pages       int          `json:"pages"`
	Gateway     int          `json:"gateway_charges"`     // charges of this register the gateway listed
	Journal     int          `json:"journal_charges"`     // charges the journal holds for the day
	Unsettled   int          `json:"unsettled"`           // journal rows left to the reconciler, not compared
	Others      int          `json:"other_tills_charges"` // gateway charges of other tills, not compared
	Corrected   int          `json:"corrected"`
	Differences []Difference `json:"differences"`
	Agree       bool         `json:"agree"`
}

// SettlementStore keeps settlement results (offline.Journal implements it).
type SettlementStore interface {
	// SaveSettlement stores s durably.
	SaveSettlement(ctx context.Context, s Settlement) error
	// LastSettlement returns the settlement stored last; ErrNotFound if none.
	LastSettlement(ctx context.Context) (Settlement, error)
}

// LastSettlement returns the last stored settlement, for the register's
// Unsettled screen ("last settlement: <date> agrees / N differences").
// ok is false when there has been none.
func LastSettlement(ctx context.Context, store SettlementStore) (s Settlement, ok bool, err error) {
	s, err = store.LastSettlement(ctx)
	if errors.Is(err, ErrNotFound) {
		return Settlement{}, false, nil
	}
	if err != nil {
		return Settlement{}, false, fmt.Errorf("last settlement: %w", err)
	}
	return s, true, nil
}

// Summary is one line about s for the Unsettled screen or a log, in lang
// ("zh-CN" or anything else for English).
func (s Settlement) Summary(lang string) string {
	if strings.HasPrefix(strings.ToLower(lang), "zh") {
		if s.Agree {
			return fmt.Sprintf("%s 对账一致（%d 笔）", s.Date, s.Gateway)
		}
		return fmt.Sprintf("%s 对账有 %d 处差异，已在流水中更正 %d 处", s.Date, len(s.Differences), s.Corrected)
	}
	if s.Agree {
		return fmt.Sprintf("%s: journal and gateway agree (%d charges)", s.Date, s.Gateway)
	}
	return fmt.Sprintf("%s: %d differences, %d corrected in the journal", s.Date, len(s.Differences), s.Corrected)
}

// SettlerConfig configures a Settler. Gateway and Journal are required.
type SettlerConfig struct {
	Gateway Gateway
	Journal Journal
	// Store keeps the result; nil: not stored.
	Store SettlementStore
	Clock Clock
	// Zone is the shop's time zone: a day is its midnight to midnight.
	// nil: UTC (never time.Local).
	Zone *time.Location
	// Mine reports whether a gateway charge is this register's (its
	// charge-code prefix); charges of other tills of the merchant are
	// counted, not compared. nil: every charge is compared.
	Mine     func(ChargeCode) bool
	PageSize int // default 50
	MaxPages int // default 1000
	Who      string
	Logger   *slog.Logger
	Timings  Timings
}

// Settler compares a day of the journal with the gateway's batch query
// (WIRE.md §4.7), page by page, and corrects the journal where the gateway
// is final. Safe for concurrent use (each call works on its own).
type Settler struct {
	core
	store    SettlementStore
	zone     *time.Location
	mine     func(ChargeCode) bool
	pageSize int
	maxPages int
	who      string
}

// NewSettler returns a Settler.
func NewSettler(cfg SettlerConfig) (*Settler, error) {
	if cfg.Gateway == nil || cfg.Journal == nil {
		return nil, errors.New("settler: gateway and journal are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock()
	}
	if cfg.Logger == nil {
		cfg.Logger = defaultLogger()
	}
	if cfg.Zone == nil {
		cfg.Zone = time.UTC
	}
	if cfg.Mine == nil {
		cfg.Mine = func(ChargeCode) bool { return true }
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 50
	}
	if cfg.MaxPages <= 0 {
		cfg.MaxPages = 1000
	}
	if cfg.Who == "" {
		cfg.Who = "settle"
	}
	return &Settler{core: core{gw: Inert(cfg.Gateway), j: cfg.Journal, clock: cfg.Clock, t: cfg.Timings.WithDefaults(), log: cfg.Logger},
		store: cfg.Store, zone: cfg.Zone, mine: cfg.Mine, pageSize: cfg.PageSize, maxPages: cfg.MaxPages, who: cfg.Who}, nil
}

// ParseDay reads YYYY-MM-DD as midnight of that day in zone.
func ParseDay(s string, zone *time.Location) (time.Time, error) {
	d, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(s), zone)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return d, nil
}

// Day returns midnight of t's day in the settler's zone.
func (s *Settler) Day(t time.Time) time.Time {
	t = t.In(s.zone)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, s.zone)
}

// Settle compares the day of day (midnight in the zone) and returns the
// result, stored when a Store is configured. err: no readable batch-query
// page, or a journal failure; nothing is stored then.
func (s *Settler) Settle(ctx context.Context, day time.Time) (Settlement, error) {
	begin := s.Day(day)
	end := begin.AddDate(0, 0, 1)
	res := Settlement{Date: begin.Format("2006-01-02"), At: s.clock.Now(), Differences: []Difference{}}
	txs, err := s.j.List(ctx, Filter{Since: begin, Until: end})
	if err != nil {
		return res, fmt.Errorf("settle %s: %w", res.Date, err)
	}
	// Cash sales never reached the gateway: nothing to compare.
	txs = slices.DeleteFunc(txs, func(t Transaction) bool { return t.Kind == KindCash })
	res.Journal = len(txs)
	remote := map[ChargeCode]Reply{}
	var order []ChargeCode
	for page := 1; page <= s.maxPages; page++ {
		qctx, cancel := context.WithTimeout(ctx, s.t.CallTimeout)
		p, err := s.gw.BatchQuery(qctx, BatchQueryRequest{Page: page, PageSize: s.pageSize, Begin: begin, End: begin})
		cancel()
		if err == nil && p.Outcome != OutcomeDone {
			err = errors.New(replyErr(p.Reply))
		}
		if err != nil {
			return res, fmt.Errorf("settle %s: batch query page %d: %w", res.Date, page, err)
		}
		res.Pages = page
		for _, r := range p.Trades {
			if r.ChargeCode == "" {
				return res, fmt.Errorf("settle %s: batch query page %d: a row without a charge code", res.Date, page)
			}
			if !s.mine(r.ChargeCode) {
				res.Others++
				continue
			}
			if _, seen := remote[r.ChargeCode]; !seen {
				order = append(order, r.ChargeCode)
			}
			remote[r.ChargeCode] = r
		}
		if len(p.Trades) < s.pageSize {
			break
		}
	}
	res.Gateway = len(remote)
	a := actor{who: s.who}
	local := map[ChargeCode]bool{}
	for _, tx := range txs {
		local[tx.ChargeCode] = true
		if tx.Unsettled() {
			res.Unsettled++
			continue
		}
		r, ok := remote[tx.ChargeCode]
		if !ok {
			if d, differs := missingAtGateway(tx); differs {
				res.Differences = append(res.Differences, d)
			}
			continue
		}
		rs, err := s.j.ListRefunds(ctx, RefundFilter{ChargeCode: tx.ChargeCode})
		if err != nil {
			return res, fmt.Errorf("settle %s: %w", res.Date, err)
		}
		d, differs, err := s.compare(ctx, tx, rs, r, a)
		if err != nil {
			return res, fmt.Errorf("settle %s: %w", res.Date, err)
		}
		if differs {
			res.Differences = append(res.Differences, d)
		}
	}
	for _, code := range order {
		if !local[code] {
			// Not in the day's rows: perhaps journaled another day.
			if tx, err := s.j.Get(ctx, code); err == nil && !tx.CreatedAt.IsZero() {
				continue
			}
			r := remote[code]
			res.Differences = append(res.Differences, Difference{ChargeCode: code, Kind: DiffMissingInJournal,
				GatewayState: stateOf(r), GatewayAmount: r.Amount,
				Note: "the gateway holds a charge this journal lacks (made outside posterm?)"})
		}
	}
	for _, d := range res.Differences {
		if d.Corrected {
			res.Corrected++
		}
	}
	res.Agree = len(res.Differences) == 0
	s.log.Info("settlement", "op", "settle", "date", res.Date, "gateway", res.Gateway, "journal", res.Journal,
		"differences", len(res.Differences), "corrected", res.Corrected)
	if s.store != nil {
		if err := s.store.SaveSettlement(context.WithoutCancel(ctx), res); err != nil {
			return res, fmt.Errorf("settle %s: store: %w", res.Date, err)
		}
	}
	return res, nil
}

func stateOf(r Reply) int {
	if !r.HasState {
		return -1
	}
	return int(r.State)
}

// missingAtGateway: a settled row the gateway does not list. Only rows
// whose money moved are a difference (a declined or voided charge may be
// absent).
func missingAtGateway(tx Transaction) (Difference, bool) {
	switch tx.State {
	case StatePaid, StatePartiallyRefunded, StateRefunded, StateRevoked:
		return Difference{ChargeCode: tx.ChargeCode, Kind: DiffMissingAtGateway, Journal: tx.State,
			JournalAmount: tx.Amount, JournalRefunded: tx.Refunded, GatewayState: -1,
			Note: "the journal says money moved; the gateway does not list the charge that day"}, true
	}
	return Difference{}, false
}

// compare holds one settled journal row against the gateway's row of the
// same charge and corrects the journal where the gateway is final (see
// GatewayChange). A row with a refund in flight is left to the reconciler.
func (c *core) compare(ctx context.Context, tx Transaction, rs []Refund, r Reply, a actor) (Difference, bool, error) {
	d := Difference{ChargeCode: tx.ChargeCode, Journal: tx.State, JournalAmount: tx.Amount,
		JournalRefunded: tx.Refunded, GatewayState: stateOf(r), GatewayAmount: r.Amount}
	if r.Amount != 0 && r.Amount != tx.Amount {
		d.Kind, d.Note = DiffAmount, fmt.Sprintf("the gateway says ¥%s, the journal ¥%s", r.Amount.Yuan(), tx.Amount.Yuan())
		return d, true, nil
	}
	for _, x := range rs {
		if x.Unsettled() {
			return d, false, nil // a refund in flight explains a refunded state: the reconciler's
		}
	}
	ch := GatewayChange(tx, r)
	if !ch.Differs {
		return d, false, nil
	}
	d.Kind, d.Note = DiffState, ch.Why
	if ch.To == "" {
		return d, true, nil
	}
	p := Patch{Refunded: ch.Refunded}
	got, err := c.move(ctx, tx, ch.To, a, Event{Op: OpChangedAtGateway, Note: "changed at the gateway: " + ch.Why}, p, "", time.Time{})
	if err != nil {
		if isStale(err) || errors.Is(err, ErrIllegalTransition) {
			d.Note += " (not corrected: " + err.Error() + ")"
			return d, true, nil
		}
		return d, true, err
	}
	c.log.Warn("changed at the gateway", "charge_code", string(tx.ChargeCode), "op", OpChangedAtGateway,
		"from", string(tx.State), "to", string(got.State), "state", int(r.State))
	d.Corrected, d.To = true, got.State
	return d, true, nil
}

// GatewayVerdict is what a gateway row means for a settled journal row.
type GatewayVerdict struct {
	// Differs: the two disagree.
	Differs bool
	// To, when set, is the journal state the gateway's final state
	// corrects the row to (with Refunded); "" when a person must look.
	To       State
	Refunded Money
	Why      string
}

// GatewayChange decides what the gateway's row r (a query answer or a
// batch-query row, checked to be about tx) means for the settled journal
// row tx: nothing, a correction where the gateway is final (revoked →
// revoked; refunded in full → refunded), or a difference a person must
// look at (refunded in part outside posterm: the amount is not known;
// paid at the gateway while the journal says not paid).
func GatewayChange(tx Transaction, r Reply) GatewayVerdict {
	if !r.HasState || tx.Unsettled() {
		return GatewayVerdict{}
	}
	st := r.State
	switch {
	case tx.State.NotPaid():
		switch st {
		case RemotePaid, RemotePartiallyRefunded, RemoteRefunded:
			return GatewayVerdict{Differs: true, Why: fmt.Sprintf("paid at the gateway (STATE %d), the journal says %s", st, tx.State)}
		case RemoteRevocationApplied:
			if tx.State != StateRevoked {
				return GatewayVerdict{Differs: true, Why: fmt.Sprintf("revocation applied at the gateway (STATE 3), the journal says %s", tx.State)}
			}
		}
		return GatewayVerdict{}
	case tx.State == StatePaid || tx.State == StatePartiallyRefunded:
		switch st {
		case RemoteRevoked:
			if tx.State == StatePaid && tx.Refunded == 0 {
				return GatewayVerdict{Differs: true, To: StateRevoked, Why: "revoked outside posterm (STATE 2)"}
			}
			return GatewayVerdict{Differs: true, Why: fmt.Sprintf("revoked at the gateway (STATE 2), the journal says %s", tx.State)}
		case RemoteRefunded:
			return GatewayVerdict{Differs: true, To: StateRefunded, Refunded: tx.Amount,
				Why: fmt.Sprintf("refunded in full outside posterm (STATE 5): ¥%s more refunded", (tx.Amount - tx.Refunded).Yuan())}
		case RemotePartiallyRefunded:
			if tx.State == StatePaid {
				return GatewayVerdict{Differs: true, Why: "refunded in part outside posterm (STATE 4); the amount is not known to posterm"}
			}
		case RemoteClosed, RemoteOrderCancelled:
			return GatewayVerdict{Differs: true, Why: fmt.Sprintf("closed at the gateway (STATE %d), the journal says %s", st, tx.State)}
		case RemoteRevocationApplied:
			return GatewayVerdict{Differs: true, Why: "revocation applied at the gateway (STATE 3), not final yet"}
		}
		return GatewayVerdict{}
	case tx.State == StateRefunded:
		if st == RemotePaid || st == RemotePartiallyRefunded {
			return GatewayVerdict{Differs: true, Why: fmt.Sprintf("the journal says refunded, the gateway STATE %d", st)}
		}
	}
	return GatewayVerdict{}
}

// RecheckSummary counts one Recheck.
type RecheckSummary struct {
	Checked     int
	Differences []Difference
}

// Recheck re-queries the paid charges created since since (the open
// shift's, see ReconcilerConfig.ShiftStart) and corrects or reports what
// changed at the gateway behind posterm (revoked or refunded outside). At
// most limit charges (0: all), oldest first; each query waits for the
// reconciler's rate limit. Charges with a refund in flight are skipped.
func (r *Reconciler) Recheck(ctx context.Context, since time.Time, limit int) (RecheckSummary, error) {
	var sum RecheckSummary
	txs, err := r.j.List(ctx, Filter{Since: since, States: []State{StatePaid, StatePartiallyRefunded}})
	if err != nil {
		return sum, fmt.Errorf("recheck: %w", err)
	}
	a := actor{who: r.owner}
	slices.Reverse(txs)
	for _, tx := range txs {
		if limit > 0 && sum.Checked >= limit {
			break
		}
		if tx.Unsettled() || tx.GiveUp || tx.Kind == KindCash { // cash: the gateway never saw it
			continue
		}
		rs, err := r.j.ListRefunds(ctx, RefundFilter{ChargeCode: tx.ChargeCode})
		if err != nil {
			return sum, fmt.Errorf("recheck: %w", err)
		}
		if slices.ContainsFunc(rs, Refund.Unsettled) {
			continue
		}
		if err := r.call(ctx); err != nil {
			return sum, err
		}
		q := r.query(ctx, tx.ChargeCode)
		sum.Checked++
		if q.Outcome != OutcomeDone || !q.HasState {
			continue
		}
		if err := CheckQuery(tx, r.devID, q); err != nil {
			r.distrust(tx.ChargeCode, q, err)
			continue
		}
		d, differs, err := r.compare(ctx, tx, rs, q, a)
		if err != nil {
			return sum, fmt.Errorf("recheck: %w", err)
		}
		if differs {
			sum.Differences = append(sum.Differences, d)
		}
	}
	return sum, nil
}
