package hub_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"posterm/gateway"
	"posterm/pos"
)

// The manager's page shows, per till, what the till reported besides its
// takings — the last settle result, the Z reports, the printer and scanner
// status — and its takings equal `posterm shift` on every till (pos.Shift
// of that till's journal over today).
func TestPage_SettlementZReportsDevicesAndShiftTotalsPerTill(t *testing.T) {
	dir := t.TempDir()
	pageNews(t, dir, filepath.Join(dir, "hub.db"))
}

// pageNews runs the page's per-till news test against a hub whose store is
// db (a SQLite path or a PostgreSQL URL).
func pageNews(t *testing.T, dir, db string) {
	ctx := context.Background()
	sb := startSandbox(t)
	h := startHubDB(t, dir, db)
	srv := newPage(t, sb, h)
	var tills []*till
	for i, name := range []string{"a", "b", "c"} {
		tl := newTill(t, sb, dir, name)
		tl.forward(t, h.ClientURL())
		tl.sell(t, 3+i)
		tills = append(tills, tl)
	}
	a, b, c := tills[0], tills[1], tills[2]
	if _, err := b.checkout.Refund(ctx, pos.RefundInput{ChargeCode: mustPaid(t, b), Amount: 30, Reason: "test",
		Cashier: b.manager}); err != nil {
		t.Fatal(err)
	}

	// Till a settles the day with the gateway (`posterm settle`).
	st, err := pos.NewSettler(pos.SettlerConfig{Gateway: a.gw, Journal: a.journal, Store: a.journal, Zone: gateway.Shanghai,
		Logger: quiet, Mine: func(code pos.ChargeCode) bool { till, ok := pos.TillOfCharge(code); return ok && till == a.id }})
	if err != nil {
		t.Fatal(err)
	}
	settled, err := st.Settle(ctx, time.Now().In(gateway.Shanghai))
	if err != nil || !settled.Agree {
		t.Fatalf("settle at a: %+v, %v", settled, err)
	}
	// Till b closes its shift (Z 1).
	z, err := pos.CloseShift(ctx, b.journal, b.journal, b.id, "manager01", 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := b.journal.CloseZ(ctx, z, nil); err != nil {
		t.Fatal(err)
	}
	// Till c's printer runs out of paper; its serial scanner is unplugged.
	if err := c.journal.ReportDevices(ctx, pos.DeviceStatus{Printer: pos.DevicePaperOut, Scanner: pos.DeviceUnreachable,
		ScannerPort: "/dev/ttyUSB0"}); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for _, tl := range tills {
		want[tl.id] = tl.outboxSize(t)
	}
	waitHub(t, h, want)

	mgr := browser(t)
	if code, _ := login(t, mgr, srv.URL, "manager01", "8888"); code != http.StatusOK {
		t.Fatalf("manager login: %d", code)
	}
	pages := map[string]string{}
	for _, l := range []string{"en", "zh-CN"} {
		code, body := get(t, mgr, srv.URL+"/?lang="+l)
		if code != http.StatusOK {
			t.Fatalf("%s: %d", l, code)
		}
		pages[l] = body
	}
	tests := []struct {
		lang, table string
		want        []string
	}{
		{"en", "settlements", []string{"<td>" + a.id + "</td><td>" + settled.Date + "</td>", `<td class="ok">agrees</td>`}},
		{"zh-CN", "settlements", []string{"<td>" + a.id + "</td>", `<td class="ok">一致</td>`}},
		{"en", "zreports", []string{"<td>" + b.id + "</td><td>1</td>", "<td>manager01</td>",
			"<td>" + z.Totals.Total.Net.String() + "</td>"}},
		{"zh-CN", "zreports", []string{"<th>Z 号</th>", "<td>" + b.id + "</td><td>1</td>"}},
		{"en", "devices", []string{"<td>" + c.id + "</td>", `<td class="err">paper out</td>`,
			`<td class="err">unreachable · /dev/ttyUSB0</td>`}},
		{"zh-CN", "devices", []string{`<td class="err">缺纸</td>`, `<td class="err">无法连接 · /dev/ttyUSB0</td>`}},
	}
	for _, tt := range tests {
		sec := table(t, pages[tt.lang], tt.table)
		for _, w := range tt.want {
			if !strings.Contains(sec, w) {
				t.Errorf("%s table %s: no %q in\n%s", tt.lang, tt.table, w, sec)
			}
		}
	}
	// Only what each till reported: b settled nothing, a closed no Z.
	if sec := table(t, pages["en"], "settlements"); strings.Contains(sec, b.id) || strings.Contains(sec, c.id) {
		t.Errorf("settlements of tills that did not settle:\n%s", sec)
	}
	if sec := table(t, pages["en"], "zreports"); strings.Contains(sec, a.id) {
		t.Errorf("a Z report of till a:\n%s", sec)
	}

	// The store's numbers match `posterm shift` on every till.
	zone := pos.DefaultZone()
	now := time.Now().In(zone)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, zone)
	var store pos.Money
	for _, tl := range tills {
		local, err := pos.Shift(ctx, tl.journal, today, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		store += local.Total.Net
		row := fmt.Sprintf(`<tr><td>%s</td><td>%d</td><td>%s</td><td>%s</td><td>%s</td><td class="net">%s</td></tr>`, tl.id,
			local.Total.Sales.Count, local.Total.Sales.Amount, local.Total.Refunds.Amount, local.Total.Revokes.Amount, local.Total.Net)
		if sec := table(t, pages["en"], "tills"); !strings.Contains(sec, row) {
			t.Errorf("till %s: want the row %s (its `posterm shift`) in\n%s", tl.id, row, sec)
		}
	}
	if sec := table(t, pages["en"], "store"); !strings.Contains(sec, `<td class="net">`+store.String()+`</td>`) {
		t.Errorf("store net: want %s (the tills' sum) in\n%s", store, sec)
	}
}

// table returns the HTML of the table with id from page.
func table(t *testing.T, page, id string) string {
	t.Helper()
	i := strings.Index(page, `<table id="`+id+`">`)
	if i < 0 {
		t.Fatalf("no table %s in\n%s", id, page)
	}
	j := strings.Index(page[i:], "</table>")
	return page[i : i+j]
}

func mustPaid(t *testing.T, tl *till) pos.ChargeCode {
	t.Helper()
	paid, err := tl.journal.List(context.Background(), pos.Filter{States: []pos.State{pos.StatePaid}})
	if err != nil || len(paid) == 0 {
		t.Fatalf("till %s: no paid sale (%v)", tl.id, err)
	}
	return paid[0].ChargeCode
}
