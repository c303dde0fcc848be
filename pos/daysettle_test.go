package pos_test

import (
	"context"
	"sort"
	"strings"
	"sync"
	"testing"

	"posterm/pos"
)

// memStore is a pos.SettlementStore in memory.
type memStore struct {
	mu  sync.Mutex
	all []pos.Settlement
}

func (m *memStore) SaveSettlement(_ context.Context, s pos.Settlement) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.all = append(m.all, s)
	return nil
}

func (m *memStore) LastSettlement(context.Context) (pos.Settlement, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.all) == 0 {
		return pos.Settlement{}, pos.ErrNotFound
	}
	return m.all[len(m.all)-1], nil
}

func (e *env) settler(store pos.SettlementStore) *pos.Settler {
	e.t.Helper()
	s, err := pos.NewSettler(pos.SettlerConfig{Gateway: e.gw, Journal: e.j, Store: store, Clock: e.clock, Logger: e.log, PageSize: 2})
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func diffsByCode(ds []pos.Difference) map[pos.ChargeCode]pos.Difference {
	m := map[pos.ChargeCode]pos.Difference{}
	for _, d := range ds {
		m[d.ChargeCode] = d
	}
	return m
}

func TestSettler_FindsChangesMadeBehindPosterm(t *testing.T) {
	e := newEnv(t)
	store := &memStore{}
	if _, ok, err := pos.LastSettlement(e.ctx, store); ok || err != nil {
		t.Fatalf("no settlement yet: ok %v, %v", ok, err)
	}
	// A clean day agrees.
	kept := e.mustPay(1000)
	res, err := e.settler(store).Settle(e.ctx, e.clock.Now())
	if err != nil || !res.Agree || len(res.Differences) != 0 || res.Gateway != 1 || res.Journal != 1 {
		t.Fatalf("clean day: %+v, %v; want agree over 1 charge", res, err)
	}

	revoked, refunded, partly := e.mustPay(2000), e.mustPay(3000), e.mustPay(4000)
	localPart := e.mustPay(5000)
	if r, err := e.co.Refund(e.ctx, pos.RefundInput{ChargeCode: localPart.ChargeCode, Amount: 100, Cashier: e.manager}); err != nil || r.State != pos.RefundDone {
		t.Fatalf("local refund: %s %v", r.State, err)
	}
	// Behind posterm: straight to the gateway.
	e.gw.Cancel(e.ctx, revoked.ChargeCode, pos.OpTypeNow)
	e.gw.Refund(e.ctx, pos.RefundRequest{ChargeCode: refunded.ChargeCode, OutRefundNo: "X1", Amount: 3000})
	e.gw.Refund(e.ctx, pos.RefundRequest{ChargeCode: partly.ChargeCode, OutRefundNo: "X2", Amount: 1000})
	e.gw.SetState("ELSEWHERE01", pos.RemotePaid, 777)

	res, err = e.settler(store).Settle(e.ctx, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res.Agree || res.Pages < 3 {
		t.Fatalf("tampered day: agree %v over %d pages; want differences, paged by 2", res.Agree, res.Pages)
	}
	want := map[pos.ChargeCode]struct {
		kind      pos.DiffKind
		corrected bool
		to        pos.State
	}{
		revoked.ChargeCode:  {pos.DiffState, true, pos.StateRevoked},
		refunded.ChargeCode: {pos.DiffState, true, pos.StateRefunded},
		partly.ChargeCode:   {pos.DiffState, false, ""},
		"ELSEWHERE01":       {pos.DiffMissingInJournal, false, ""},
	}
	got := diffsByCode(res.Differences)
	if len(got) != len(want) {
		var codes []string
		for c := range got {
			codes = append(codes, string(c))
		}
		sort.Strings(codes)
		t.Errorf("differences for %v; want %d", codes, len(want))
	}
	for code, w := range want {
		d, ok := got[code]
		if !ok || d.Kind != w.kind || d.Corrected != w.corrected || d.To != w.to || d.Note == "" {
			t.Errorf("%s: got %+v; want %+v", code, d, w)
		}
	}
	if res.Corrected != 2 {
		t.Errorf("corrected %d, want 2", res.Corrected)
	}
	wantState(t, e.get(revoked.ChargeCode), pos.StateRevoked)
	if tx := e.get(refunded.ChargeCode); tx.State != pos.StateRefunded || tx.Refunded != 3000 {
		t.Errorf("refunded outside: %s refunded %d; want refunded 3000", tx.State, tx.Refunded)
	}
	wantState(t, e.get(partly.ChargeCode), pos.StatePaid)
	wantState(t, e.get(kept.ChargeCode), pos.StatePaid)
	var audited bool
	for _, ev := range e.events(revoked.ChargeCode) {
		audited = audited || (ev.Op == pos.OpChangedAtGateway && ev.To == string(pos.StateRevoked) && ev.Who == "settle")
	}
	if !audited {
		t.Errorf("no audited changed_at_gateway event: %+v", e.events(revoked.ChargeCode))
	}
	last, ok, err := pos.LastSettlement(e.ctx, store)
	if err != nil || !ok || last.Agree || len(last.Differences) != 4 || last.Summary("en") == "" || !strings.Contains(last.Summary("zh-CN"), "差异") {
		t.Errorf("last settlement: %+v %v %v", last, ok, err)
	}

	// The corrected ones agree now; what a person must look at is listed again.
	res, err = e.settler(store).Settle(e.ctx, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	got = diffsByCode(res.Differences)
	if len(got) != 2 || got[partly.ChargeCode].Kind != pos.DiffState || got["ELSEWHERE01"].Kind != pos.DiffMissingInJournal {
		t.Errorf("second settlement: %+v; want the partial refund and the unknown charge", res.Differences)
	}
	// A refund cannot take what went back at the gateway.
	if _, err := e.co.Refund(e.ctx, pos.RefundInput{ChargeCode: refunded.ChargeCode, Amount: 1, Cashier: e.manager}); err == nil {
		t.Errorf("refund of a charge refunded outside posterm went through")
	}
}

func TestReconciler_RecheckFindsRevokeBehindPosterm(t *testing.T) {
	e := newEnv(t)
	a, b := e.mustPay(2000), e.mustPay(3000)
	e.gw.Cancel(e.ctx, a.ChargeCode, pos.OpTypeNow)
	sum, err := e.reconciler("rec").Recheck(e.ctx, t0.Add(-1), 0)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Checked != 2 || len(sum.Differences) != 1 || !sum.Differences[0].Corrected {
		t.Fatalf("recheck: %+v; want 2 checked, 1 corrected", sum)
	}
	wantState(t, e.get(a.ChargeCode), pos.StateRevoked)
	wantState(t, e.get(b.ChargeCode), pos.StatePaid)
}

func TestGatewayChange(t *testing.T) {
	paid := pos.Transaction{ChargeCode: "A", State: pos.StatePaid, Amount: 1000}
	part := pos.Transaction{ChargeCode: "A", State: pos.StatePartiallyRefunded, Amount: 1000, Refunded: 100}
	closed := pos.Transaction{ChargeCode: "A", State: pos.StateClosed, Amount: 1000}
	rep := func(s pos.RemoteState) pos.Reply { return pos.Reply{HasState: true, State: s} }
	tests := []struct {
		name    string
		tx      pos.Transaction
		st      pos.RemoteState
		differs bool
		to      pos.State
	}{
		{"PaidAgrees", paid, pos.RemotePaid, false, ""},
		{"PaidRevokedOutside", paid, pos.RemoteRevoked, true, pos.StateRevoked},
		{"PaidRefundedOutside", paid, pos.RemoteRefunded, true, pos.StateRefunded},
		{"PaidPartlyOutside", paid, pos.RemotePartiallyRefunded, true, ""},
		{"PartAgrees", part, pos.RemotePartiallyRefunded, false, ""},
		{"PartRestOutside", part, pos.RemoteRefunded, true, pos.StateRefunded},
		{"PartRevokedListed", part, pos.RemoteRevoked, true, ""},
		{"ClosedAgrees", closed, pos.RemoteClosed, false, ""},
		{"ClosedButPaid", closed, pos.RemotePaid, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := pos.GatewayChange(tt.tx, rep(tt.st))
			if v.Differs != tt.differs || v.To != tt.to || (v.Differs && v.Why == "") {
				t.Errorf("got %+v; want differs %v to %q", v, tt.differs, tt.to)
			}
		})
	}
}
