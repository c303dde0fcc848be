package hub_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"posterm/gateway"
	"posterm/gateway/sandbox"
	"posterm/hub"
	"posterm/offline"
	"posterm/pos"
)

// qrTill is a till whose polling is too slow to settle anything in a test:
// only a notification can.
type qrTill struct {
	id       string
	journal  *offline.Journal
	checkout *pos.Checkout
	cashier  pos.Cashier
}

func newQRTill(t testing.TB, sb *sandbox.Running, dir, name, notifyURL string) *qrTill {
	t.Helper()
	j, err := offline.Open(filepath.Join(dir, name+".db"), offline.Options{Logger: quiet,
		Binding: func() (string, error) { return "machine " + name, nil }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	c, err := gateway.New(gateway.Config{URL: sb.ServiceURL(), BusiID: sandbox.DemoBusiID, Secret: sandbox.DemoSecret,
		OperID: "cashier01", DevID: "POS01", Format: gateway.FormatJSON, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	gw := gateway.ForPOS(c)
	gw.NodifyURL = notifyURL
	co, err := pos.NewCheckout(pos.CheckoutConfig{Register: "POS01", BusiID: sandbox.DemoBusiID, Gateway: gw,
		Journal: j, Logger: quiet, Timings: pos.Timings{QueryInterval: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	cashier, err := co.Login(context.Background(), "cashier01", "1234")
	if err != nil {
		t.Fatal(err)
	}
	id, _ := j.TillID(context.Background())
	return &qrTill{id: id, journal: j, checkout: co, cashier: cashier}
}

// listen starts the till's notification listener on the hub.
func (q *qrTill) listen(t testing.TB, natsURL string) {
	nc, err := hub.Connect(hub.ConnOptions{URL: natsURL})
	if err != nil {
		t.Fatal(err)
	}
	js, _ := hub.NewJetStream(nc)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	l := &hub.NotificationListener{JS: js, Till: q.id, Log: quiet, Retry: 50 * time.Millisecond,
		Accept: func(ctx context.Context, n gateway.Notification) error {
			err := q.checkout.Notify(ctx, gateway.NotificationReply(n))
			if errors.Is(err, pos.ErrNotFound) {
				return nil
			}
			return err
		}}
	go func() { defer close(done); _ = l.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; nc.Close() })
}

// precreate shows a QR and returns the pending row.
func (q *qrTill) precreate(t testing.TB, amount pos.Money) pos.Transaction {
	t.Helper()
	tx, err := q.checkout.Precreate(context.Background(), pos.PrecreateInput{Cashier: q.cashier, Amount: amount,
		Channel: pos.ChannelAlipay})
	if err != nil || tx.State != pos.StatePending || tx.BarCode == "" {
		t.Fatalf("precreate: %s %v", tx.State, err)
	}
	return tx
}

func customerPays(t testing.TB, sb *sandbox.Running, barCode string) {
	t.Helper()
	resp, err := http.Post(sb.URL+sandbox.CustomerPayPath+"?barcode="+url.QueryEscape(barCode), "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("customer pay: %s", resp.Status)
	}
}

// waitPaid waits on the journal's change feed until code is paid.
func waitPaid(t testing.TB, j *offline.Journal, code pos.ChargeCode, feed <-chan pos.FeedEvent) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		tx, err := j.Get(ctx, code)
		if err != nil {
			t.Fatal(err)
		}
		if tx.State == pos.StatePaid {
			return
		}
		select {
		case <-feed:
		case <-ctx.Done():
			t.Fatalf("%s still %s: the notification did not settle it", code, tx.State)
		}
	}
}

func TestHub_NotificationSettlesQRSaleAtItsTill(t *testing.T) {
	dir := t.TempDir()
	sb := startSandbox(t)
	h := startHub(t, dir)
	web := httptest.NewServer(h.NotifyHandler(sandbox.DemoSecret))
	defer web.Close()

	a := newQRTill(t, sb, dir, "a", web.URL)
	a.listen(t, h.ClientURL())
	b := newQRTill(t, sb, dir, "b", web.URL) // not connected to the hub yet
	// The hub knows till a from its events.
	stopA := (&journalTill{id: a.id, j: a.journal}).forward(t, h.ClientURL())
	defer stopA()

	feedA, unsubA := a.journal.Subscribe()
	defer unsubA()
	tx := a.precreate(t, 1888)
	waitHub(t, h, map[string]int{a.id: outboxRows(t, a.journal)}) // the hub knows till a
	start := time.Now()
	customerPays(t, sb, tx.BarCode)
	waitPaid(t, a.journal, tx.ChargeCode, feedA)
	t.Logf("notification → till %s paid in %s", a.id, time.Since(start))

	// Till b is unknown to the hub: its notification is kept and reported…
	txB := b.precreate(t, 999)
	customerPays(t, sb, txB.BarCode)
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := h.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.UnknownTill) == 1 && st.UnknownTill[0].ChargeCode == string(txB.ChargeCode) && st.UnknownTill[0].Till == b.id {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("unknown-till notifications: %+v", st.UnknownTill)
		}
		time.Sleep(10 * time.Millisecond) // the sandbox's send is not observable otherwise
	}
	// … and delivered when b connects.
	feedB, unsubB := b.journal.Subscribe()
	defer unsubB()
	b.listen(t, h.ClientURL())
	waitPaid(t, b.journal, txB.ChargeCode, feedB)
}
