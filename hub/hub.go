package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"posterm/pos"
)

// Config configures a Hub.
type Config struct {
	// NATSURL, when set, is an existing NATS (a chain's cluster); otherwise
	// an embedded server listens on Listen and keeps JetStream in StoreDir.
	NATSURL  string
	Listen   string // "127.0.0.1:4222"; port 0 picks a free one
	StoreDir string
	// Replicas of the stream (3 on a 3-node cluster); 1 when zero.
	Replicas int
	// Conn is how to reach NATSURL (credentials, TLS); its URL is ignored.
	// Its Token is also what the embedded server asks of every client.
	Conn ConnOptions
	// DBPath is the hub's store: a SQLite file, or a postgres:// URL.
	DBPath string
	Clock  pos.Clock // pos.SystemClock() when nil
	Log    *slog.Logger
	// Batch is how many events one store transaction takes; 256 when zero.
	Batch int
}

// Hub consumes every till's events into its store.
type Hub struct {
	cfg   Config
	emb   *Embedded
	nc    *nats.Conn
	js    jetstream.JetStream
	store *Store
	clock pos.Clock
	log   *slog.Logger

	cancel context.CancelFunc
	done   chan struct{}
	closed sync.Once

	mu       sync.Mutex
	ingested int // new events stored by this process
	notify   chan struct{}
}

// Start starts the hub: NATS (embedded or not), the stream, the store and
// the consumer.
func Start(ctx context.Context, cfg Config) (*Hub, error) {
	h := &Hub{cfg: cfg, clock: cfg.Clock, log: cfg.Log, done: make(chan struct{}), notify: make(chan struct{})}
	if h.clock == nil {
		h.clock = pos.SystemClock()
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	ok := false
	defer func() {
		if !ok {
			h.shutdown()
		}
	}()
	url := cfg.NATSURL
	if url == "" {
		emb, err := StartEmbedded(cfg.Listen, cfg.StoreDir, cfg.Conn.Token)
		if err != nil {
			return nil, err
		}
		h.emb, url = emb, emb.URL()
	}
	co := cfg.Conn
	co.URL, co.Name = url, "posterm-hub"
	nc, err := Connect(co)
	if err != nil {
		return nil, err
	}
	h.nc = nc
	if h.js, err = NewJetStream(nc); err != nil {
		return nil, err
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := EnsureStream(sctx, h.js, cfg.Replicas); err != nil {
		return nil, err
	}
	if err := EnsureNotifyStream(sctx, h.js, cfg.Replicas); err != nil {
		return nil, err
	}
	cons, err := h.js.CreateOrUpdateConsumer(sctx, StreamName, jetstream.ConsumerConfig{
		Durable:   ConsumerName,
		AckPolicy: jetstream.AckExplicitPolicy,
		// Events delivered to a hub that died before storing them come
		// again after AckWait: short, as storing a batch takes milliseconds
		// (a late ack only means a repeat, which the store ignores).
		AckWait:       5 * time.Second,
		MaxAckPending: 4096,
	})
	if err != nil {
		return nil, fmt.Errorf("hub: consumer: %w", err)
	}
	if h.store, err = OpenStore(cfg.DBPath); err != nil {
		return nil, err
	}
	if err := h.serveLookups(); err != nil {
		return nil, err
	}
	rctx, rcancel := context.WithCancel(context.Background())
	h.cancel = rcancel
	go h.consume(rctx, cons)
	ok = true
	h.log.Info("hub started", "nats", url, "store", StoreName(cfg.DBPath))
	return h, nil
}

// NewJetStream is the JetStream context tills and the hub use: async
// publishes time out (so a forwarder never waits for ever on a dead hub).
func NewJetStream(nc *nats.Conn) (jetstream.JetStream, error) {
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncTimeout(5*time.Second),
		jetstream.WithPublishAsyncMaxPending(1024))
	if err != nil {
		return nil, fmt.Errorf("hub: jetstream: %w", err)
	}
	return js, nil
}

// URL is where tills connect.
func (h *Hub) URL() string { return h.nc.ConnectedUrl() }

// ClientURL is the embedded server's URL ("" when connected to another NATS).
func (h *Hub) ClientURL() string {
	if h.emb == nil {
		return ""
	}
	return h.emb.URL()
}

// Store is the hub's store (read it; the hub writes it).
func (h *Hub) Store() *Store { return h.store }

// JetStream is the hub's JetStream context.
func (h *Hub) JetStream() jetstream.JetStream { return h.js }

// Close stops consuming and shuts NATS down (when embedded).
func (h *Hub) Close() error {
	h.shutdown()
	return nil
}

func (h *Hub) shutdown() {
	h.closed.Do(func() {
		if h.cancel != nil {
			h.cancel()
			<-h.done
		}
		if h.nc != nil {
			h.nc.Close()
		}
		if h.emb != nil {
			h.emb.Close()
		}
		if h.store != nil {
			h.store.Close()
		}
	})
}

func (h *Hub) consume(ctx context.Context, cons jetstream.Consumer) {
	defer close(h.done)
	batch := h.cfg.Batch
	if batch <= 0 {
		batch = 256
	}
	// Consume delivers as messages arrive; the loop below stores what has
	// arrived so far in one SQL transaction (one at a time when idle, up to
	// batch under load) and acks after the commit.
	in := make(chan jetstream.Msg, batch)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		select {
		case in <- m:
		case <-ctx.Done():
		}
	}, jetstream.PullMaxMessages(batch), jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		if ctx.Err() == nil {
			h.log.Debug("hub: consume", "err", err)
		}
	}))
	if err != nil {
		h.log.Error("hub: consume", "err", err)
		return
	}
	defer cc.Stop()
	for {
		var first jetstream.Msg
		select {
		case <-ctx.Done():
			return
		case first = <-in:
		}
		msgs := []jetstream.Msg{first}
	drain:
		for len(msgs) < batch {
			select {
			case m := <-in:
				msgs = append(msgs, m)
			default:
				break drain
			}
		}
		h.ingest(ctx, msgs)
	}
}

func (h *Hub) ingest(ctx context.Context, all []jetstream.Msg) {
	var (
		msgs []jetstream.Msg
		evs  []pos.OutboxEvent
	)
	for _, m := range all {
		e, err := DecodeEvent(m.Data())
		if err != nil {
			// Kept in the stream (Term stops redelivery, the message stays),
			// and reported; it must not hold up the events after it.
			h.log.Error("hub: an event that cannot be read is left in the stream", "subject", m.Subject(), "err", err)
			_ = m.Term()
			continue
		}
		msgs = append(msgs, m)
		evs = append(evs, e)
	}
	if len(evs) == 0 {
		return
	}
	n, err := h.store.Ingest(context.WithoutCancel(ctx), evs, h.clock.Now())
	if err != nil {
		// Not acked: JetStream redelivers them.
		h.log.Error("hub: store", "err", err)
		for _, m := range msgs {
			_ = m.NakWithDelay(time.Second)
		}
		return
	}
	for _, m := range msgs {
		_ = m.Ack()
	}
	h.mu.Lock()
	h.ingested += n
	close(h.notify)
	h.notify = make(chan struct{})
	h.mu.Unlock()
}

// DecodeEvent reads one event message (outside bytes: any till, or anyone
// with access to the subject, may have published it) and checks what the
// store relies on.
func DecodeEvent(data []byte) (pos.OutboxEvent, error) {
	var e pos.OutboxEvent
	if err := json.Unmarshal(data, &e); err != nil {
		return e, fmt.Errorf("event: %w", err)
	}
	if pos.ValidTillID(e.Till) != nil || e.Seq <= 0 || e.ID != pos.EventID(e.Till, e.Seq) {
		return e, fmt.Errorf("event: bad id %q (till %q, seq %d)", pos.CleanText(e.ID), pos.CleanText(e.Till), e.Seq)
	}
	switch e.Kind {
	case pos.FeedTransaction:
		var t pos.Transaction
		if err := json.Unmarshal(e.Payload, &t); err != nil || t.ChargeCode != e.ChargeCode {
			return e, fmt.Errorf("event %s: transaction payload does not match", e.ID)
		}
	case pos.FeedRefund:
		var r pos.Refund
		if err := json.Unmarshal(e.Payload, &r); err != nil || r.OutRefundNo != e.OutRefundNo || r.ChargeCode != e.ChargeCode {
			return e, fmt.Errorf("event %s: refund payload does not match", e.ID)
		}
	case pos.FeedSettlement:
		var st pos.Settlement
		if err := json.Unmarshal(e.Payload, &st); err != nil || st.Date == "" {
			return e, fmt.Errorf("event %s: settlement payload does not match", e.ID)
		}
	case pos.FeedZReport:
		var z pos.ZReport
		if err := json.Unmarshal(e.Payload, &z); err != nil || z.Number < 1 || z.Till != e.Till {
			return e, fmt.Errorf("event %s: Z report payload does not match", e.ID)
		}
	case pos.FeedDevices:
		var d pos.DeviceStatus
		if err := json.Unmarshal(e.Payload, &d); err != nil {
			return e, fmt.Errorf("event %s: device status payload does not match", e.ID)
		}
	default:
		return e, fmt.Errorf("event %s: unknown kind %q", e.ID, pos.CleanText(string(e.Kind)))
	}
	return e, nil
}

func (h *Hub) sleep(ctx context.Context, d time.Duration) {
	t := h.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C():
	}
}

// Ingested returns how many new events this process stored, and a channel
// closed at the next store.
func (h *Hub) Ingested() (int, <-chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ingested, h.notify
}

// Status is what `posterm hub status` shows.
type Status struct {
	Tills       []TillSeen
	StreamMsgs  uint64 // messages in the stream
	StreamBytes uint64
	Pending     uint64 // not yet delivered to the hub's consumer
	AckPending  int    // delivered, not yet stored
	// UnknownTill: notifications kept for a till the hub has not seen.
	UnknownTill []KeptNotification
}

// ReadStatus reads the stream's depth from js and the tills from store.
func ReadStatus(ctx context.Context, js jetstream.JetStream, store *Store) (Status, error) {
	var st Status
	var err error
	if st.Tills, err = store.Tills(ctx); err != nil {
		return st, err
	}
	if st.UnknownTill, err = store.UnknownTillNotifications(ctx); err != nil {
		return st, err
	}
	s, err := js.Stream(ctx, StreamName)
	if err != nil {
		return st, fmt.Errorf("hub status: stream: %w", err)
	}
	si, err := s.Info(ctx)
	if err != nil {
		return st, fmt.Errorf("hub status: stream: %w", err)
	}
	st.StreamMsgs, st.StreamBytes = si.State.Msgs, si.State.Bytes
	c, err := s.Consumer(ctx, ConsumerName)
	if err != nil {
		return st, fmt.Errorf("hub status: consumer: %w", err)
	}
	ci, err := c.Info(ctx)
	if err != nil {
		return st, fmt.Errorf("hub status: consumer: %w", err)
	}
	st.Pending, st.AckPending = ci.NumPending, ci.NumAckPending
	return st, nil
}

// Status reads this hub's status.
func (h *Hub) Status(ctx context.Context) (Status, error) { return ReadStatus(ctx, h.js, h.store) }
