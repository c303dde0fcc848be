package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"posterm/pos"
)

// TestPrintQueue_States: print-queue lists the jobs with their states and
// counts "sent — not confirmed" apart from printed, in text and JSON.
func TestPrintQueue_States(t *testing.T) {
	sb := startTestSandbox(t, testScale)
	e := newPosEnv(t, sb, testCheckout)
	j := e.openJournal(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 14, 7, 0, 0, 0, time.UTC)
	add := func(code string) int64 {
		id, err := j.Add(ctx, pos.PrintJob{Kind: pos.ReceiptTest, ChargeCode: code, Data: []byte("x\n"), Created: at})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	printed, sent, failed := add("P1"), add("S1"), add("F1")
	add("Q1")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(j.MarkSent(ctx, printed, at, true))
	must(j.MarkSent(ctx, sent, at, false))
	must(j.MarkFailed(ctx, failed, pos.PrintFailure{Reason: "paper out\x1b[2J", Next: at.Add(time.Minute), Cut: true}))

	code, out, errs := e.run(t, "print-queue", "--json")
	if code != exitDone {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got printQueueOut
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	want := map[pos.PrintState]int{pos.PrintPrinted: 1, pos.PrintSent: 1, pos.PrintFailed: 1, pos.PrintQueued: 1, pos.PrintSending: 0}
	for s, n := range want {
		if got.Counts[s] != n {
			t.Errorf("count %s = %d, want %d", s, got.Counts[s], n)
		}
	}
	if len(got.Jobs) != 4 || got.Jobs[0].ChargeCode != "Q1" {
		t.Fatalf("jobs = %+v, want 4 newest first", got.Jobs)
	}
	for _, r := range got.Jobs {
		switch r.ChargeCode {
		case "S1":
			if r.State != pos.PrintSent || r.Shown != "sent — not confirmed" || r.Printed != nil || r.Sent == nil {
				t.Errorf("sent job: %+v", r)
			}
		case "F1":
			if !r.Cut || strings.ContainsRune(r.LastError, 0x1b) || !strings.Contains(r.LastError, "paper out") {
				t.Errorf("failed job: %+v", r)
			}
		}
	}
	code, out, _ = e.run(t, "print-queue")
	if code != exitDone || !strings.Contains(out, "printed 1, sent — not confirmed 1, queued 1, sending 0, failed 1") ||
		!strings.Contains(out, "cut off") {
		t.Errorf("text output:\n%s", out)
	}
}
