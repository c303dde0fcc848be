package hub_test

import (
	"context"
	"testing"
	"time"

	"posterm/pos"
)

// Three tills and a hub: sales (and a refund) on every till reach the hub
// once each, and the hub's totals per till equal `posterm shift` there.
func TestHub_ThreeTillsTotalsEqualTheirJournals(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sb := startSandbox(t)
	h := startHub(t, dir)
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

	totals, err := h.Store().Totals(ctx, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tl := range tills {
		local, err := pos.Shift(ctx, tl.journal, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		got := totals[tl.id]
		if describe(got) != describe(local) {
			t.Errorf("till %s:\n hub  %s\n till %s", tl.id, describe(got), describe(local))
		}
		if local.Total.Refunds.Count != 1 || local.Declined.Count != 1 {
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
