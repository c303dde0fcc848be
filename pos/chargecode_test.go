package pos_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"posterm/pos"
	"posterm/pos/postest"
)

func codes(t *testing.T, j pos.Journal, c pos.Clock) *pos.ChargeCodes {
	t.Helper()
	g, err := pos.NewChargeCodes("POS01", j, c)
	if err != nil {
		t.Fatal(err)
	}
	g.SetLocation(time.UTC)
	return g
}

func next(t *testing.T, g *pos.ChargeCodes) string {
	t.Helper()
	s, err := g.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestChargeCodes_Format(t *testing.T) {
	j, clock := postest.NewJournal(), postest.NewClock(t0)
	g := codes(t, j, clock)
	if got := next(t, g); got != "POS01TILL2603140926530001" {
		t.Fatalf("first: got %s", got)
	}
	if got := next(t, g); got != "POS01TILL2603140926530002" {
		t.Fatalf("same second: got %s", got)
	}
	clock.Advance(time.Second)
	if got := next(t, g); got != "POS01TILL2603140926540001" {
		t.Fatalf("next second: got %s", got)
	}
	for _, bad := range []string{"", "POS01TILL260314092654000", "POS02TILL2603140926540001", "POS01TILM2603140926540001", "POS01TILL2613140926540001", "POS01TILL2603140926540000", "POS01TILLx603140926540001", "POS01202603140926540001"} {
		if err := g.Valid(context.Background(), bad); !errors.Is(err, pos.ErrBadChargeCode) {
			t.Errorf("Valid(%q): got %v, want ErrBadChargeCode", bad, err)
		}
	}
	if err := g.Valid(context.Background(), "POS01TILL2603140926540001"); err != nil {
		t.Errorf("Valid: %v", err)
	}
	long, _ := pos.NewChargeCodes("ABCDEFGHIJKL", j, clock)
	if s, _ := long.Next(context.Background()); len(s) > pos.MaxChargeCodeLen {
		t.Errorf("longest register: %q is %d characters", s, len(s))
	}
	refunds, _ := pos.NewRefundNos("ABCDEFGHIJKL", j, clock)
	if s, _ := refunds.Next(context.Background()); len(s) > pos.MaxChargeCodeLen || s[:17] != "ABCDEFGHIJKLRTILL" {
		t.Errorf("refund no: %q", s)
	}
}

func TestChargeCodes_UniqueAcrossRestartAndClockStepBack(t *testing.T) {
	j, clock := postest.NewJournal(), postest.NewClock(t0)
	seen := map[string]bool{}
	last := ""
	issue := func(g *pos.ChargeCodes, n int) {
		for range n {
			s := next(t, g)
			if seen[s] || s <= last {
				t.Fatalf("%s after %s: not unique and increasing", s, last)
			}
			seen[s], last = true, s
		}
	}
	issue(codes(t, j, clock), 5)
	// Restart: a new generator on the same journal.
	issue(codes(t, j, clock), 5)
	// The clock steps back an hour (NTP, a dead RTC battery).
	clock.Set(t0.Add(-time.Hour))
	g := codes(t, j, clock)
	issue(g, 5)
	if last[9:21] != "260314092653" {
		t.Errorf("after the step back: got %s, want the last stamp continued", last)
	}
	// More than 9999 in one second rolls on to the next second.
	issue(g, 10000)
	if last[9:21] != "260314092654" {
		t.Errorf("after 10015 codes: got %s", last)
	}
	// The clock comes back: stamps resume from real time.
	clock.Set(t0.Add(time.Hour))
	issue(g, 1)
	if last != "POS01TILL2603141026530001" {
		t.Errorf("after the clock is right again: got %s", last)
	}
}

func TestChargeCodes_TwoProcesses(t *testing.T) {
	j, clock := postest.NewJournal(), postest.NewClock(t0)
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for p := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := codes(t, j, clock)
			for range 50 {
				s, err := g.Next(context.Background())
				if err != nil {
					t.Errorf("process %d: %v", p, err)
					return
				}
				mu.Lock()
				if seen[s] {
					t.Errorf("duplicate %s", s)
				}
				seen[s] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 200 {
		t.Fatalf("issued %d, want 200", len(seen))
	}
}

func TestChargeCodes_JournalFailure(t *testing.T) {
	j, clock := postest.NewJournal(), postest.NewClock(t0)
	g := codes(t, j, clock)
	j.FailNext = errors.New("disk full")
	if _, err := g.Next(context.Background()); err == nil {
		t.Fatal("Next succeeded although the journal failed")
	}
	if got := next(t, g); got != "POS01TILL2603140926530001" {
		t.Fatalf("after failure: got %s", got)
	}
}

func TestValidRegisterID(t *testing.T) {
	for id, ok := range map[string]bool{"POS01": true, "1": true, "ABCDEFGHIJKL": true, "": false,
		"ABCDEFGHIJKLM": false, "POS-1": false, "收银1": false, "a b": false} {
		if err := pos.ValidRegisterID(id); (err == nil) != ok {
			t.Errorf("ValidRegisterID(%q): got %v, want ok=%v", id, err, ok)
		}
	}
}

func TestParseChargeCode(t *testing.T) {
	for s, ok := range map[string]bool{"POS01TILL2603140926530001": true, "A-b_9": true, "": false,
		fmt.Sprintf("%033d", 0): false, fmt.Sprintf("%032d", 0): true, "a b": false, "x;y": false} {
		if _, err := pos.ParseChargeCode(s); (err == nil) != ok {
			t.Errorf("ParseChargeCode(%q): got %v, want ok=%v", s, err, ok)
		}
	}
}

func TestChargeCodes_TillIdentity(t *testing.T) {
	ctx := context.Background()
	clock := postest.NewClock(t0)
	a, b := postest.NewJournal(), postest.NewJournal()
	b.SetTillID("Z9Q2")
	// Two tills, same register id, same second: different codes.
	ca, cb := next(t, codes(t, a, clock)), next(t, codes(t, b, clock))
	if ca == cb {
		t.Fatalf("two tills issued %s", ca)
	}
	if ca != "POS01TILL2603140926530001" || cb != "POS01Z9Q22603140926530001" {
		t.Errorf("got %s and %s", ca, cb)
	}
	// A new identity on the same journal starts a fresh series.
	g := codes(t, a, clock)
	next(t, g)
	a.SetTillID("NEW1")
	if got := next(t, g); got != "POS01NEW12603140926530001" {
		t.Errorf("after a new identity: got %s", got)
	}
	if err := g.Valid(ctx, ca); !errors.Is(err, pos.ErrBadChargeCode) {
		t.Errorf("old identity's code valid under the new one: %v", err)
	}
	// Refund numbers carry it too.
	r, _ := pos.NewRefundNos("POS01", b, clock)
	r.SetLocation(time.UTC)
	if s, _ := r.Next(ctx); s != "POS01RZ9Q2260314092653001" {
		t.Errorf("refund no: got %s", s)
	}
}

func TestChargeCodes_ShopZone(t *testing.T) {
	// The stamp is in the shop's zone whatever the process's TZ: t0 is
	// 09:26:53 UTC, 17:26:53 in Asia/Shanghai (the default).
	j, clock := postest.NewJournal(), postest.NewClock(t0)
	g, _ := pos.NewChargeCodes("POS01", j, clock)
	if got := next(t, g); got != "POS01TILL2603141726530001" {
		t.Errorf("default zone: got %s", got)
	}
}

func TestValidTillID(t *testing.T) {
	for id, ok := range map[string]bool{"TILL": true, "0A9Z": true, "": false, "abcd": false, "ABC": false, "ABCDE": false, "AB-C": false} {
		if err := pos.ValidTillID(id); (err == nil) != ok {
			t.Errorf("ValidTillID(%q): got %v, want ok=%v", id, err, ok)
		}
	}
}
