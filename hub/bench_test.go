package hub_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"posterm/gateway"
	"posterm/gateway/sandbox"
	"posterm/hub"
	"posterm/pos"
)

// memOutbox is an in-memory outbox of prepared events.
type memOutbox struct {
	mu   sync.Mutex
	evs  []pos.OutboxEvent
	sent map[int64]bool
}

func (m *memOutbox) PendingOutbox(_ context.Context, limit int) ([]pos.OutboxEvent, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []pos.OutboxEvent
	for _, e := range m.evs {
		if !m.sent[e.Seq] {
			out = append(out, e)
			if len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

func (m *memOutbox) MarkOutboxSent(_ context.Context, seqs []int64, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range seqs {
		m.sent[s] = true
	}
	return nil
}

func (m *memOutbox) OutboxStatus(context.Context) (pos.OutboxStatus, error) {
	return pos.OutboxStatus{}, nil
}

func benchEvents(till string, n int) []pos.OutboxEvent {
	now := time.Now()
	evs := make([]pos.OutboxEvent, n)
	for i := range evs {
		code := pos.ChargeCode(fmt.Sprintf("POS01%s%012d", till, i/2))
		state := []string{"sending", "paid"}[i%2]
		t := pos.Transaction{ChargeCode: code, Kind: pos.KindPay, State: pos.State(state), Amount: 1234,
			Channel: pos.ChannelAlipay, Cashier: "cashier01", CreatedAt: now, UpdatedAt: now}
		payload, _ := json.Marshal(t)
		evs[i] = pos.OutboxEvent{ID: pos.EventID(till, int64(i+1)), Till: till, Seq: int64(i + 1), Kind: pos.FeedTransaction,
			ChargeCode: code, State: state, Amount: 1234, Cashier: "cashier01", Channel: pos.ChannelAlipay, At: now, Payload: payload}
	}
	return evs
}

// BenchmarkIngest: events from a till's outbox to the hub's store
// (forwarder publish with dedup ids, JetStream, hub consumer, SQLite insert)
// against a bare JetStream publish + consume + ack of the same payloads,
// both in the same run. Reports events/s of each and their ratio.
func BenchmarkIngest(b *testing.B) {
	const n = 2000
	dir := b.TempDir()
	h := startHub(b, dir)
	nc, err := nats.Connect(h.ClientURL())
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	js, _ := hub.NewJetStream(nc)
	ctx := context.Background()
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: "BARE", Subjects: []string{"bare.>"},
		Storage: jetstream.FileStorage}); err != nil {
		b.Fatal(err)
	}
	var hubDur, bareDur time.Duration
	for i := 0; b.Loop(); i++ {
		till := strings.ToUpper(fmt.Sprintf("%04s", strconv.FormatInt(int64(i), 36)))
		evs := benchEvents(till, n)

		// Bare JetStream: publish the same payloads, consume and ack them.
		start := time.Now()
		cons, err := js.CreateOrUpdateConsumer(ctx, "BARE", jetstream.ConsumerConfig{Durable: "bare" + till,
			FilterSubject: "bare." + till, AckPolicy: jetstream.AckExplicitPolicy})
		if err != nil {
			b.Fatal(err)
		}
		got := make(chan struct{})
		var seen int
		cc, err := cons.Consume(func(m jetstream.Msg) {
			var e pos.OutboxEvent
			_ = json.Unmarshal(m.Data(), &e)
			_ = m.Ack()
			if seen++; seen == n {
				close(got)
			}
		})
		if err != nil {
			b.Fatal(err)
		}
		var futs []jetstream.PubAckFuture
		for _, e := range evs {
			data, _ := json.Marshal(e)
			f, err := js.PublishMsgAsync(&nats.Msg{Subject: "bare." + till, Data: data})
			if err != nil {
				b.Fatal(err)
			}
			futs = append(futs, f)
		}
		for _, f := range futs {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				b.Fatal(err)
			}
		}
		<-got
		cc.Stop()
		bareDur += time.Since(start)

		// The hub: forwarder → stream → hub store.
		start = time.Now()
		f := &hub.Forwarder{Outbox: &memOutbox{evs: evs, sent: map[int64]bool{}}, JS: js}
		for sent := 0; sent < n; {
			k, err := f.Flush(ctx)
			if err != nil {
				b.Fatal(err)
			}
			sent += k
		}
		waitHubCount(b, h, till, n)
		hubDur += time.Since(start)
	}
	events := float64(n * b.N)
	b.ReportMetric(events/hubDur.Seconds(), "hub-events/s")
	b.ReportMetric(events/bareDur.Seconds(), "bare-events/s")
	b.ReportMetric(bareDur.Seconds()/hubDur.Seconds(), "ratio-hub/bare")
}

func waitHubCount(b *testing.B, h *hub.Hub, till string, n int) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		_, changed := h.Ingested()
		got, err := h.Store().EventCount(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if got[till] == n {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			b.Fatalf("hub has %d of %d", got[till], n)
		}
	}
}

// BenchmarkNotifyToTill: from the customer's payment on the sandbox to the
// QR sale paid in the till's journal — through the hub (HTTP → JetStream →
// the till's listener) against the gateway notifying the till directly
// (the till's own NODIFY_URL listener, as without a hub).
func BenchmarkNotifyToTill(b *testing.B) {
	dir := b.TempDir()
	sb := startSandbox(b)
	h := startHub(b, dir)
	web := httptest.NewServer(h.NotifyHandler(sandbox.DemoSecret))
	defer web.Close()
	viaHub := newQRTill(b, sb, dir, "till-via-hub", web.URL)
	viaHub.listen(b, h.ClientURL())

	var direct *qrTill
	directWeb := httptest.NewServer(gateway.NewNotifyHandler(sandbox.DemoSecret, func(ctx context.Context, n gateway.Notification) error {
		err := direct.checkout.Notify(ctx, gateway.NotificationReply(n))
		if errors.Is(err, pos.ErrNotFound) {
			return nil
		}
		return err
	}, quiet))
	defer directWeb.Close()
	direct = newQRTill(b, sb, dir, "till-direct", directWeb.URL)

	measure := func(q *qrTill) time.Duration {
		feed, unsub := q.journal.Subscribe()
		defer unsub()
		tx := q.precreate(b, 100)
		start := time.Now()
		customerPays(b, sb, tx.BarCode)
		waitPaid(b, q.journal, tx.ChargeCode, feed)
		return time.Since(start)
	}
	var hubDur, directDur time.Duration
	for b.Loop() {
		hubDur += measure(viaHub)
		directDur += measure(direct)
	}
	b.ReportMetric(float64(hubDur.Microseconds())/float64(b.N)/1000, "hub-ms/notify")
	b.ReportMetric(float64(directDur.Microseconds())/float64(b.N)/1000, "direct-ms/notify")
	b.ReportMetric(hubDur.Seconds()/directDur.Seconds(), "ratio-hub/direct")
}
