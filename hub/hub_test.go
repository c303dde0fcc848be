package hub_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"posterm/hub"
	"posterm/pos"
)

// Three tills and a hub: sales (and a refund) on every till reach the hub
// once each, and the hub's totals per till equal `posterm shift` there.
func TestHub_ThreeTillsTotalsEqualTheirJournals(t *testing.T) {
	dir := t.TempDir()
	threeTills(t, dir, filepath.Join(dir, "hub.db"))
}

// threeTills runs the three-till store against a hub whose store is db.
func threeTills(t *testing.T, dir, db string) {
	ctx := context.Background()
	sb := startSandbox(t)
	h := startHubDB(t, dir, db)
	var tills []*till
	for _, name := range []string{"a", "b", "c"} {
		tl := newTill(t, sb, dir, name)
		tl.forward(t, h.ClientURL())
		tills = append(tills, tl)
	}
	for i, tl := range tills {
		sales := tl.sell(t, 5+i)
		if _, err := tl.checkout.Refund(ctx, pos.RefundInput{ChargeCode: sales[0].ChargeCode, Amount: 50,
			Reason: "test", Cashier: tl.manager}); err != nil {
			t.Fatalf("refund at %s: %v", tl.id, err)
		}
	}
	want := map[string]int{}
	for _, tl := range tills {
		want[tl.id] = tl.outboxSize(t)
	}
	waitHub(t, h, want)

	// A customer of till a brings the receipt to till b: b looks the charge
	// up in the hub, copies it, and refunds it; the refund is b's.
	a, b := tills[0], tills[1]
	sold, err := a.journal.List(ctx, pos.Filter{States: []pos.State{pos.StatePaid}})
	if err != nil || len(sold) == 0 {
		t.Fatalf("till a has no paid sale: %v", err)
	}
	nc, err := hub.Connect(hub.ConnOptions{URL: h.ClientURL()})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	code := sold[len(sold)-1].ChargeCode
	got, origin, err := hub.LookupCharge(ctx, nc, code)
	if err != nil || origin != a.id || got.Amount != sold[len(sold)-1].Amount || got.State != pos.StatePaid {
		t.Fatalf("lookup %s: %+v from %q, %v", code, got, origin, err)
	}
	if _, _, err := hub.LookupCharge(ctx, nc, "POS01ZZZZ2601010000000001"); !errors.Is(err, hub.ErrNotInHub) {
		t.Fatalf("lookup of an unknown charge: %v", err)
	}
	if err := b.journal.ImportCharge(ctx, got, origin, "manager01"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.checkout.Refund(ctx, pos.RefundInput{ChargeCode: code, Amount: got.Amount, Reason: "other till",
		Cashier: b.manager}); err != nil {
		t.Fatalf("refund at b of a's charge: %v", err)
	}
	// The hub now answers with the refund made at b.
	want[b.id] = b.outboxSize(t)
	waitHub(t, h, want)
	if again, _, err := hub.LookupCharge(ctx, nc, code); err != nil || again.State != pos.StateRefunded || again.Refunded != got.Amount {
		t.Fatalf("lookup after the refund at b: %s %s, %v", again.State, again.Refunded, err)
	}

	totals, err := h.Store().Totals(ctx, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for i, tl := range tills {
		local, err := pos.Shift(ctx, tl.journal, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		got := totals[tl.id]
		if describe(got) != describe(local) {
			t.Errorf("till %s:\n hub  %s\n till %s", tl.id, describe(got), describe(local))
		}
		wantRefunds := 1
		if tl == b {
			wantRefunds = 2 // its own, and the one of a's charge
		}
		// The charge copied from a is not a sale of b.
		if local.Total.Sales.Count != 4+i || local.Attempts != 5+i {
			t.Errorf("till %s: %d sales of %d attempts, want %d of %d", tl.id, local.Total.Sales.Count, local.Attempts, 4+i, 5+i)
		}
		if local.Total.Refunds.Count != wantRefunds || local.Declined.Count != 1 {
			t.Errorf("till %s: the test made no refund or decline: %s", tl.id, describe(local))
		}
	}
	// Every outbox row is marked sent once the hub acked it.
	for _, tl := range tills {
		tl.waitOutboxSent(t)
	}
	st, err := h.Status(ctx)
	if err != nil || len(st.Tills) != 3 || st.Pending != 0 {
		t.Fatalf("status %+v, %v", st, err)
	}
}
