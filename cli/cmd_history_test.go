package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"posterm/pos"
)

func TestHistory_JSONShape(t *testing.T) {
	sb := startTestSandbox(t, testScale)
	e := newPosEnv(t, sb, testCheckout)
	if code, stdout, _ := e.run(t, "history", "--json"); code != exitDone || strings.TrimSpace(stdout) != "[]" {
		t.Fatalf("empty journal: exit %d %q, want []", code, stdout)
	}
	for _, last2 := range []string{"00", "92", "95"} {
		e.run(t, "pay", "--amount", "2.50", "--code", walletCode("28", last2))
	}
	seeded := seedRows(t, e.openJournal(t), sandboxGateway(t, sb),
		seed{state: pos.StateUnknown},
		seed{state: pos.StatePending, kind: pos.KindPrecreate, age: -time.Second}, // just created
	)
	t.Setenv("POSTERM_USER", "manager01")
	t.Setenv("POSTERM_PASSWORD", "8888")
	code, stdout, _ := e.run(t, "history", "--json")
	var paid string
	var rows []map[string]any
	if code != exitDone || json.Unmarshal([]byte(stdout), &rows) != nil || len(rows) != 5 {
		t.Fatalf("exit %d, %d rows:\n%s", code, len(rows), stdout)
	}
	for _, r := range rows {
		for _, k := range []string{"charge_code", "kind", "state", "amount_fen", "refunded_fen", "created_at", "refunds"} {
			if _, ok := r[k]; !ok {
				t.Errorf("row lacks %q: %v", k, r)
			}
		}
		if r["state"] == "paid" {
			paid = r["charge_code"].(string)
		}
		if _, err := time.Parse(time.RFC3339Nano, r["created_at"].(string)); err != nil {
			t.Errorf("created_at %v: %v", r["created_at"], err)
		}
	}
	var got []string
	for _, r := range rows {
		got = append(got, r["kind"].(string)+":"+r["state"].(string))
	}
	if want := "pay:paid pay:declined pay:voided pay:unknown precreate:pending"; strings.Join(got, " ") != want {
		t.Errorf("rows %v, want %s", got, want)
	}
	if rows[0]["amount_fen"].(float64) != 250 || rows[0]["refunded_fen"].(float64) != 0 {
		t.Errorf("amounts %v %v", rows[0]["amount_fen"], rows[0]["refunded_fen"])
	}

	// A refund shows in its charge's row.
	if code, _, stderr := e.run(t, "refund", paid, "--amount", "1.00", "--reason", "r"); code != exitDone {
		t.Fatalf("refund: %d %s", code, stderr)
	}
	var typed []historyRow
	_, stdout, _ = e.run(t, "history", "--json")
	if err := json.Unmarshal([]byte(stdout), &typed); err != nil {
		t.Fatal(err)
	}
	if typed[0].State != pos.StatePartiallyRefunded || typed[0].Refunded != 100 || len(typed[0].Refunds) != 1 ||
		typed[0].Refunds[0].Approver != "manager01" {
		t.Errorf("refunded row %+v", typed[0])
	}

	// --unsettled: the reconciler's queue.
	_, stdout, _ = e.run(t, "history", "--unsettled", "--json")
	typed = nil
	json.Unmarshal([]byte(stdout), &typed)
	if len(typed) != 2 || typed[0].ChargeCode != seeded[0] || typed[1].ChargeCode != seeded[1] {
		t.Errorf("--unsettled: %+v", typed)
	}
	// --since.
	tomorrow := time.Now().AddDate(0, 0, 1).Format("2006-01-02")
	if _, stdout, _ := e.run(t, "history", "--since", tomorrow, "--json"); strings.TrimSpace(stdout) != "[]" {
		t.Errorf("--since tomorrow: %s", stdout)
	}
	today := time.Now().Format("2006-01-02")
	if _, stdout, _ := e.run(t, "history", "--since", today, "--json"); strings.Count(stdout, `"kind"`) != 5 {
		t.Errorf("--since today %s: %q", today, stdout)
	}
	if code, _, stderr := e.run(t, "history", "--since", "yesterday"); code != exitLocal || !strings.Contains(stderr, "want a date") {
		t.Errorf("bad --since: exit %d %q", code, stderr)
	}
	// Human.
	code, stdout, _ = e.run(t, "history", "--unsettled")
	if code != exitDone || !strings.HasPrefix(stdout, "CREATED") || !strings.Contains(stdout, "unsettled: 0 attempts") {
		t.Errorf("human:\n%s", stdout)
	}
}
