package hub_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"posterm/gateway"
	"posterm/gateway/sandbox"
	"posterm/hub"
	"posterm/offline"
	"posterm/pos"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func startSandbox(t testing.TB) *sandbox.Running {
	t.Helper()
	sb, err := sandbox.Start("127.0.0.1:0", sandbox.Options{TimeScale: 0.001,
		Now: func() time.Time { return time.Now().In(gateway.Shanghai) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	return sb
}

func startHub(t testing.TB, dir string) *hub.Hub {
	t.Helper()
	return startHubDB(t, dir, filepath.Join(dir, "hub.db"))
}

// startHubDB starts a hub whose store is db (a SQLite path or a
// PostgreSQL URL).
func startHubDB(t testing.TB, dir, db string) *hub.Hub {
	t.Helper()
	h, err := hub.Start(context.Background(), hub.Config{Listen: "127.0.0.1:0", StoreDir: filepath.Join(dir, "js"),
		DBPath: db, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// till is one register: its journal, its checkout on the sandbox, and its
// forwarder to the hub.
type till struct {
	id       string
	journal  *offline.Journal
	checkout *pos.Checkout
	gw       pos.Gateway
	cashier  pos.Cashier
	manager  pos.Cashier
	stop     func()
}

func newTill(t testing.TB, sb *sandbox.Running, dir, name string) *till {
	t.Helper()
	j, err := offline.Open(filepath.Join(dir, name+".db"), offline.Options{Logger: quiet,
		Binding: func() (string, error) { return "machine " + name, nil }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	id, _ := j.TillID(context.Background())
	c, err := gateway.New(gateway.Config{URL: sb.ServiceURL(), BusiID: sandbox.DemoBusiID, Secret: sandbox.DemoSecret,
		OperID: "cashier01", DevID: "POS01", Format: gateway.FormatJSON, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	co, err := pos.NewCheckout(pos.CheckoutConfig{Register: "POS01", BusiID: sandbox.DemoBusiID,
		Gateway: gateway.ForPOS(c), Journal: j, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	tl := &till{id: id, journal: j, checkout: co, gw: gateway.ForPOS(c)}
	if tl.cashier, err = co.Login(context.Background(), "cashier01", "1234"); err != nil {
		t.Fatal(err)
	}
	if tl.manager, err = co.Login(context.Background(), "manager01", "8888"); err != nil {
		t.Fatal(err)
	}
	return tl
}

// forward starts the till's forwarder to url; stop ends it.
func (tl *till) forward(t testing.TB, url string) {
	t.Helper()
	nc, err := hub.Connect(hub.ConnOptions{URL: url, Name: "till-" + tl.id})
	if err != nil {
		t.Fatal(err)
	}
	js, err := hub.NewJetStream(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	f := &hub.Forwarder{Outbox: tl.journal, Feed: tl.journal, JS: js, Retry: 50 * time.Millisecond, Log: quiet}
	go func() { defer close(done); _ = f.Run(ctx) }()
	tl.stop = func() { cancel(); <-done; nc.Close() }
	t.Cleanup(func() { tl.stop() })
}

func walletCode(prefix, last2 string) string {
	var b strings.Builder
	b.WriteString(prefix)
	for b.Len() < 16 {
		b.WriteByte(byte('0' + rand.IntN(10)))
	}
	return b.String() + last2
}

// sell makes n sales at the till: alipay and wechat paid, every fifth
// declined.
func (tl *till) sell(t testing.TB, n int) []pos.Transaction {
	t.Helper()
	var out []pos.Transaction
	for i := range n {
		code := walletCode("28", "00")
		switch {
		case i%5 == 4:
			code = walletCode("28", "92")
		case i%2 == 1:
			code = walletCode("13", "45")
		}
		tx, err := tl.checkout.PayByCode(context.Background(), pos.PayInput{Cashier: tl.cashier,
			Amount: pos.Money(100 + 37*i), Code: code})
		if err != nil && tx.State != pos.StateDeclined {
			t.Fatalf("till %s sale %d: %s %v", tl.id, i, tx.State, err)
		}
		out = append(out, tx)
	}
	return out
}

// outboxSize is how many events the till has written.
func (tl *till) outboxSize(t testing.TB) int {
	t.Helper()
	st, err := tl.journal.OutboxStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st.Pending + st.Sent
}

// waitHub waits (up to a generous deadline, woken by every store) until the
// hub holds want events for each till.
func waitHub(t testing.TB, h *hub.Hub, want map[string]int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		_, changed := h.Ingested()
		got, err := h.Store().EventCount(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if equalCounts(got, want) {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("hub holds %v events, want %v", got, want)
		}
	}
}

func equalCounts(got, want map[string]int) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

func describe(s pos.ShiftTotals) string {
	return fmt.Sprintf("attempts %d total %+v declined %+v closed %+v unsettled %+v by channel %+v",
		s.Attempts, s.Total, s.Declined, s.Closed, s.Unsettled, s.ByChannel)
}

// waitOutboxSent polls (with a deadline) until the till's outbox has no
// pending event: the marks follow the hub's acks, which a test cannot see.
func (tl *till) waitOutboxSent(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := tl.journal.OutboxStatus(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st.Pending == 0 && st.LastAckID != "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("till %s: outbox still %+v", tl.id, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
