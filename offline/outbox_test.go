package offline

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"posterm/pos"
	"posterm/pos/postest"
)

func TestOutbox_EveryChangeWritesOneRowInOrder(t *testing.T) {
	ctx := context.Background()
	j := openTemp(t)
	till := tillOf(t, j)
	payTx(t, j, "C1")
	if err := j.CreateTransaction(ctx, sampleTx("C2"), pos.Event{Op: "create"}); err != nil {
		t.Fatal(err)
	}
	mustPayAndRefund(t, j, "C2")
	// A failed write leaves no outbox row.
	if err := j.CreateTransaction(ctx, sampleTx("C1"), pos.Event{Op: "create"}); err == nil {
		t.Fatal("duplicate create succeeded")
	}
	got, err := j.PendingOutbox(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		kind  pos.FeedKind
		code  string
		state string
	}{
		{pos.FeedTransaction, "C1", "sending"},
		{pos.FeedTransaction, "C1", "paid"},
		{pos.FeedTransaction, "C2", "sending"},
		{pos.FeedTransaction, "C2", "paid"},
		{pos.FeedRefund, "C2", string(pos.RefundSending)},
	}
	if len(got) != len(want) {
		t.Fatalf("%d outbox rows, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Kind != w.kind || string(g.ChargeCode) != w.code || g.State != w.state || g.Till != till ||
			g.ID != pos.EventID(till, g.Seq) || (i > 0 && g.Seq <= got[i-1].Seq) {
			t.Errorf("row %d = %+v, want %+v", i, g, w)
		}
	}
	if got[1].Amount != 1234 || got[1].Cashier != "c1" || got[4].Amount != 100 || got[4].OutRefundNo != "R-C2" {
		t.Errorf("facts: %+v / %+v", got[1], got[4])
	}
	var tx pos.Transaction
	if err := json.Unmarshal(got[1].Payload, &tx); err != nil || tx.State != pos.StatePaid || tx.Amount != 1234 {
		t.Errorf("payload %s: %v", got[1].Payload, err)
	}

	st, err := j.OutboxStatus(ctx)
	if err != nil || st.Pending != 5 || st.Sent != 0 || !st.LastAckAt.IsZero() {
		t.Fatalf("status before = %+v, %v", st, err)
	}
	ackAt := postest.T0.Add(time.Minute)
	if err := j.MarkOutboxSent(ctx, []int64{got[0].Seq, got[1].Seq, got[1].Seq}, ackAt); err != nil {
		t.Fatal(err)
	}
	st, err = j.OutboxStatus(ctx)
	if err != nil || st.Pending != 3 || st.Sent != 2 || !st.LastAckAt.Equal(ackAt) || st.LastAckID != got[1].ID {
		t.Fatalf("status after = %+v, %v", st, err)
	}
	rest, err := j.PendingOutbox(ctx, 2)
	if err != nil || len(rest) != 2 || rest[0].Seq != got[2].Seq {
		t.Fatalf("pending after = %+v, %v", rest, err)
	}
}

func TestImportCharge_ForeignCopyNotASaleHere(t *testing.T) {
	ctx := context.Background()
	a, b := openTemp(t), openTemp(t)
	payTx(t, a, "POS01AAAA2601010000000001")
	got, err := a.Get(ctx, "POS01AAAA2601010000000001")
	if err != nil {
		t.Fatal(err)
	}
	origin := tillOf(t, a)
	tests := []struct {
		name   string
		origin string
		ok     bool
	}{
		{"own till refused", tillOf(t, b), false},
		{"bad till refused", "x", false},
		{"other till", origin, true},
		{"twice refused", origin, false},
	}
	for _, tt := range tests {
		err := b.ImportCharge(ctx, got, tt.origin, "manager01")
		if (err == nil) != tt.ok {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	foreign, err := b.ForeignCharges(ctx)
	if err != nil || foreign[got.ChargeCode] != origin || len(foreign) != 1 {
		t.Fatalf("foreign = %v, %v", foreign, err)
	}
	s, err := pos.Shift(ctx, b, time.Time{}, time.Time{})
	if err != nil || s.Attempts != 0 || s.Total.Sales.Count != 0 {
		t.Fatalf("b's shift counts the copy: %+v, %v", s, err)
	}
	ob, err := b.PendingOutbox(ctx, 0)
	if err != nil || len(ob) != 1 || ob[0].Origin != origin || ob[0].State != "paid" {
		t.Fatalf("b's outbox = %+v, %v", ob, err)
	}
}

// A settlement, a Z report and a device status each travel as one outbox
// event carrying its record, in the order they were made.
func TestOutbox_SettlementZReportDevices(t *testing.T) {
	ctx := context.Background()
	j := openTemp(t)
	till := tillOf(t, j)
	s := pos.Settlement{Date: "2026-01-02", At: time.Date(2026, 1, 2, 23, 0, 0, 0, time.UTC), Gateway: 3, Journal: 3, Agree: true}
	if err := j.SaveSettlement(ctx, s); err != nil {
		t.Fatal(err)
	}
	z := pos.ZReport{Till: till, Number: 1, Until: time.Date(2026, 1, 2, 22, 0, 0, 0, time.UTC), ClosedBy: "manager01"}
	if err := j.CloseZ(ctx, z, nil); err != nil {
		t.Fatal(err)
	}
	d := pos.DeviceStatus{Printer: pos.DevicePaperOut, Scanner: pos.DeviceOK, At: z.Until}
	if err := j.ReportDevices(ctx, d); err != nil {
		t.Fatal(err)
	}
	got, err := j.PendingOutbox(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		kind  pos.FeedKind
		state string
		check func(payload []byte) bool
	}{
		{pos.FeedSettlement, "agree", func(p []byte) bool {
			var g pos.Settlement
			return json.Unmarshal(p, &g) == nil && g.Date == s.Date && g.Agree && g.Gateway == 3
		}},
		{pos.FeedZReport, "1", func(p []byte) bool {
			var g pos.ZReport
			return json.Unmarshal(p, &g) == nil && g.Number == 1 && g.Till == till && g.ClosedBy == "manager01"
		}},
		{pos.FeedDevices, pos.DevicePaperOut, func(p []byte) bool {
			var g pos.DeviceStatus
			return json.Unmarshal(p, &g) == nil && g == d
		}},
	}
	if len(got) != len(tests) {
		t.Fatalf("got %d outbox rows, want %d: %+v", len(got), len(tests), got)
	}
	for i, tt := range tests {
		e := got[i]
		if e.Kind != tt.kind || e.State != tt.state || e.Till != till || !tt.check(e.Payload) {
			t.Errorf("row %d: got %s %q %s, want %s %q", i, e.Kind, e.State, e.Payload, tt.kind, tt.state)
		}
	}
}
