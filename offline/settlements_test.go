package offline

import (
	"context"
	"errors"
	"testing"
	"time"

	"posterm/pos"
)

func TestJournal_Settlements(t *testing.T) {
	j := openTemp(t)
	ctx := context.Background()
	if _, err := j.LastSettlement(ctx); !errors.Is(err, pos.ErrNotFound) {
		t.Fatalf("no settlement yet: got %v, want ErrNotFound", err)
	}
	at := time.Date(2026, 3, 14, 22, 0, 0, 0, time.UTC)
	first := pos.Settlement{Date: "2026-03-14", At: at, Gateway: 3, Journal: 3, Agree: true, Differences: []pos.Difference{}}
	second := pos.Settlement{Date: "2026-03-15", At: at.Add(24 * time.Hour), Gateway: 2, Journal: 1,
		Differences: []pos.Difference{{ChargeCode: "X1", Kind: pos.DiffMissingInJournal, GatewayState: 1, GatewayAmount: 555, Note: "why"}}}
	for _, s := range []pos.Settlement{first, second} {
		if err := j.SaveSettlement(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	got, err := j.LastSettlement(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Date != second.Date || got.Agree || !got.At.Equal(second.At) || len(got.Differences) != 1 ||
		got.Differences[0] != second.Differences[0] {
		t.Errorf("got %+v, want %+v", got, second)
	}
	if _, err := j.db.ExecContext(ctx, `DELETE FROM settlements`); err == nil {
		t.Errorf("a settlement was deleted")
	}
}
