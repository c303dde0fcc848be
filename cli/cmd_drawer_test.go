package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"posterm/pos"
)

// TestDrawer_OpenAudited: posterm drawer refuses a cashier without a
// reason and a till without a drawer; with a reason (or as a manager) it
// logs who, when and why and queues a job that is only the drawer kick
// (golden bytes: ESC @, then ESC p 0 25 250).
func TestDrawer_OpenAudited(t *testing.T) {
	sb := startTestSandbox(t, testScale)
	e := newPosEnv(t, sb, "drawer = true\n")
	if code, _, errs := e.run(t, "drawer"); code == exitDone || !strings.Contains(errs, "--reason") {
		t.Fatalf("a cashier without a reason: exit %d, stderr %q", code, errs)
	}
	code, out, errs := e.run(t, "drawer", "--reason", "change for the float\x1b[2J", "--json")
	if code != exitDone {
		t.Fatalf("drawer --reason: exit %d, stderr %q", code, errs)
	}
	var o pos.DrawerOpening
	if err := json.Unmarshal([]byte(out), &o); err != nil {
		t.Fatalf("drawer --json: %v\n%s", err, out)
	}
	if o.Who != "cashier01" || o.Role != "cashier" || strings.ContainsRune(o.Reason, 0x1b) || !strings.HasPrefix(o.Reason, "change for the float") {
		t.Errorf("opening: %+v", o)
	}
	if code, _, errs := e.run(t, "drawer", "--user", "manager01", "--password", "8888"); code != exitDone {
		t.Fatalf("a manager without a reason: exit %d, stderr %q", code, errs)
	}
	j := e.openJournal(t)
	ctx := context.Background()
	log, err := j.DrawerOpenings(ctx, time.Time{}, time.Time{})
	if err != nil || len(log) != 2 || log[1].Who != "manager01" || log[1].Role != "manager" || log[1].Reason != "" {
		t.Fatalf("drawer log: %+v, %v", log, err)
	}
	jobs, err := j.Jobs(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	golden := []byte{0x1b, '@', 0x1b, 'p', 0, 25, 250}
	n := 0
	for _, jb := range jobs {
		if jb.Kind != pos.ReceiptDrawer {
			continue
		}
		n++
		if !bytes.Equal(jb.Data, golden) || jb.Receipt != nil || jb.ChargeCode != "" {
			t.Errorf("drawer job %d: % x, want % x", jb.ID, jb.Data, golden)
		}
	}
	if n != 2 {
		t.Fatalf("%d drawer jobs, want 2: %+v", n, jobs)
	}

	off := newPosEnv(t, sb)
	if code, _, errs := off.run(t, "drawer", "--reason", "x"); code == exitDone || !strings.Contains(errs, "drawer is off") {
		t.Fatalf("no drawer: exit %d, stderr %q", code, errs)
	}
}
