package hub_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"posterm/hub"
	"posterm/pos"
)

// Whatever DecodeEvent accepts, the store takes (and takes once): a bad
// message can never stall the hub's consumer.
func FuzzDecodeEvent(f *testing.F) {
	for _, e := range benchEvents("AB12", 2) {
		b, _ := json.Marshal(e)
		f.Add(b)
	}
	f.Add([]byte(`{"id":"AB12-1","till":"AB12","seq":1,"kind":"transaction","payload":"nope"}`))
	f.Add([]byte(`{"id":"AB12-1","till":"AB12","seq":1,"kind":"refund","payload":{}}`))
	for _, p := range []struct {
		kind pos.FeedKind
		v    any
	}{
		{pos.FeedSettlement, pos.Settlement{Date: "2026-01-02", Agree: true}},
		{pos.FeedZReport, pos.ZReport{Till: "AB12", Number: 1}},
		{pos.FeedZReport, pos.ZReport{Till: "CD34", Number: 1}}, // another till's: refused
		{pos.FeedDevices, pos.DeviceStatus{Printer: pos.DevicePaperOut, Scanner: pos.DeviceOK}},
	} {
		payload, _ := json.Marshal(p.v)
		b, _ := json.Marshal(pos.OutboxEvent{ID: "AB12-3", Till: "AB12", Seq: 3, Kind: p.kind, Payload: payload})
		f.Add(b)
	}
	store, err := hub.OpenStore(filepath.Join(f.TempDir(), "hub.db"))
	if err != nil {
		f.Fatal(err)
	}
	defer store.Close()
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := hub.DecodeEvent(data)
		if err != nil {
			return
		}
		if _, err := store.Ingest(context.Background(), []pos.OutboxEvent{e}, time.Now()); err != nil {
			t.Fatalf("accepted %q but the store refused it: %v", data, err)
		}
		if n, err := store.Ingest(context.Background(), []pos.OutboxEvent{e}, time.Now()); err != nil || n != 0 {
			t.Fatalf("stored twice: %d, %v", n, err)
		}
	})
}

func TestStoreName_HidesThePassword(t *testing.T) {
	tests := []struct{ in, want string }{
		{"hub.db", "hub.db"},
		{"postgres://hub:s3cret@db.example:5432/posterm?sslmode=require", "PostgreSQL db.example:5432/posterm"},
		{"postgresql://db/posterm", "PostgreSQL db/posterm"},
	}
	for _, tt := range tests {
		if got := hub.StoreName(tt.in); got != tt.want {
			t.Errorf("StoreName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
