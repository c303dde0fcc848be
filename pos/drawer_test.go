package pos_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"posterm/pos"
)

type memDrawer struct {
	log  []pos.DrawerOpening
	jobs []pos.PrintJob
}

func (m *memDrawer) OpenDrawer(_ context.Context, o pos.DrawerOpening, j pos.PrintJob) (pos.DrawerOpening, error) {
	m.jobs = append(m.jobs, j)
	o.ID, o.JobID = int64(len(m.log)+1), int64(len(m.jobs))
	m.log = append(m.log, o)
	return o, nil
}

func (m *memDrawer) DrawerOpenings(context.Context, time.Time, time.Time) ([]pos.DrawerOpening, error) {
	return m.log, nil
}

func TestOpenDrawer(t *testing.T) {
	cashier := pos.Cashier{LoginName: "cashier01", Role: pos.RoleCashier}
	manager := pos.Cashier{LoginName: "manager01", Role: pos.RoleManager}
	kick := []byte{0x1b, 'p', 0, 25, 250}
	tests := []struct {
		name       string
		who        pos.Cashier
		reason     string
		want       error
		wantReason string
		wantRole   string
	}{
		{"cashier with a reason", cashier, "  change for the float ", nil, "change for the float", "cashier"},
		{"cashier without", cashier, "   ", pos.ErrNeedReason, "", ""},
		{"cashier with only control bytes", cashier, "\x1b\x07", pos.ErrNeedReason, "", ""},
		{"manager without", manager, "", nil, "", "manager"},
		{"nobody", pos.Cashier{}, "x", pos.ErrNoCashier, "", ""},
		{"long reason bounded", cashier, strings.Repeat("钱", 300), nil, strings.Repeat("钱", 200), "cashier"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := &memDrawer{}
			o, err := pos.OpenDrawer(context.Background(), m, "R1", tc.who, tc.reason, kick, t0)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if tc.want != nil {
				if len(m.jobs) != 0 {
					t.Fatal("a refused opening queued a kick")
				}
				return
			}
			if o.Reason != tc.wantReason || o.Role != tc.wantRole || o.Who != tc.who.LoginName || !o.At.Equal(t0) || o.JobID != 1 {
				t.Errorf("opening: %+v", o)
			}
			if j := m.jobs[0]; j.Kind != pos.ReceiptDrawer || string(j.Data) != string(kick) || j.Receipt != nil {
				t.Errorf("job: %+v", j)
			}
		})
	}
}
