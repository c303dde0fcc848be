package ui

import (
	"context"
	"errors"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"posterm/pos"
)

// A receipt of another till of the store: the history search with its whole
// charge code opens its detail through Deps.LookupCharge (which copies it
// into this till's journal), so it can be refunded or reprinted here. A code
// no till reported stays not found; a local charge never asks the hub.
func TestHistory_OtherTillsChargeThroughLookup(t *testing.T) {
	const other pos.ChargeCode = "POS01ZZZZ2603131200000001"
	tests := []struct {
		name      string
		search    string
		inHub     bool
		wantOpen  bool
		wantFound bool
	}{
		{"another till's charge", string(other), true, true, true},
		{"lower case, spaces", "  pos01zzzz2603131200000001 ", true, true, true},
		{"not in the hub", string(other), false, true, false},
		{"not a charge code", "12.00", true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, "en")
			asked := 0
			f.deps.LookupCharge = func(ctx context.Context, code pos.ChargeCode) (pos.Transaction, bool, error) {
				asked++
				if !tt.inHub || code != other {
					return pos.Transaction{}, false, nil
				}
				tx := pos.Transaction{ChargeCode: code, State: pos.StateSending, Amount: 1234, Kind: "pay",
					CreatedAt: start, Cashier: "cashier01"}
				if err := f.j.CreateTransaction(ctx, tx, pos.Event{Op: "import"}); err != nil {
					return tx, false, err
				}
				tx, err := f.j.Transition(ctx, pos.Change{ChargeCode: code, From: pos.StateSending, To: pos.StatePaid,
					At: start, Event: pos.Event{Op: "import"}})
				return tx, err == nil, err
			}
			m := New(f.ctx, f.deps)
			h := newHistory(m.e, 100, 30)
			h.searching = true
			h.search.Focus()
			h.search.SetValue(tt.search)
			_, cmd := h.key(tea.KeyMsg{Type: tea.KeyEnter})
			open := findMsg[openDetailMsg](cmd)
			if (open != nil) != tt.wantOpen {
				t.Fatalf("opened detail: %v, want %v", open != nil, tt.wantOpen)
			}
			if open == nil {
				return
			}
			d, ok := m.e.detailCmd(open.Code)().(detailMsg)
			if !ok {
				t.Fatal("detailCmd returned no detailMsg")
			}
			if found := d.Err == nil && d.Tx.ChargeCode == other && d.Tx.State == pos.StatePaid; found != tt.wantFound {
				t.Fatalf("detail of %s: %+v, %v; want found %v", open.Code, d.Tx, d.Err, tt.wantFound)
			}
			if !tt.wantFound && !errors.Is(d.Err, pos.ErrNotFound) {
				t.Fatalf("not in the hub: err %v, want ErrNotFound", d.Err)
			}
			dm, _ := newDetail(m.e, open.Code, 100, 30).update(d)
			if v := dm.view(100, 30); tt.wantFound == strings.Contains(v, "No till of this store has this charge.") ||
				tt.wantFound != strings.Contains(v, "12.34") {
				t.Fatalf("detail view:\n%s", v)
			}
			// Now it is here: the journal answers, the hub is not asked again.
			if tt.wantFound {
				before := asked
				if d := m.e.detailCmd(other)().(detailMsg); d.Err != nil || asked != before {
					t.Fatalf("second open: %v, asked the hub %d more times", d.Err, asked-before)
				}
			}
		})
	}
}
