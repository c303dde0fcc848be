package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"posterm/gateway"
	"posterm/pos"
)

// Notifications: the gateway's PAY_NODIFY cannot reach a till behind the
// shop's NAT, so precreate names the hub's endpoint as NODIFY_URL. The hub
// verifies each with the gateway package's handler, keeps it in its store,
// and publishes it on "posterm.notify.<till>" — the till whose identity the
// charge code carries — in a stream of its own, so a till that is off line
// gets it when it is back. It answers the gateway SUCCESS only once both
// are durable: otherwise the gateway retries. A notification whose code
// names no till the hub has seen is kept and published all the same, and
// reported by `posterm hub status`; one with no till in its code at all goes
// to "posterm.notify._unrouted". Nothing is dropped.

const (
	// NotifyStreamName is the stream of notifications for tills.
	NotifyStreamName = "POSTERM_NOTIFY"
	// NotifySubjectPrefix + till identity is where a till's notifications go.
	NotifySubjectPrefix = "posterm.notify."
	// UnroutedSubject takes notifications whose charge code names no till.
	UnroutedSubject = NotifySubjectPrefix + "_unrouted"
)

// NotifySubject is the subject of till's notifications.
func NotifySubject(till string) string { return NotifySubjectPrefix + till }

// EnsureNotifyStream creates (or updates) the notifications stream.
func EnsureNotifyStream(ctx context.Context, js jetstream.JetStream, replicas int) error {
	if replicas <= 0 {
		replicas = 1
	}
	_, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:       NotifyStreamName,
		Subjects:   []string{NotifySubjectPrefix + ">"},
		Storage:    jetstream.FileStorage,
		Duplicates: DefaultDuplicates,
		Replicas:   replicas,
		MaxAge:     7 * 24 * time.Hour,
	})
	if err != nil {
		return fmt.Errorf("hub: stream %s: %w", NotifyStreamName, err)
	}
	return nil
}

// NotifyHandler is the hub's NODIFY_URL endpoint: notifications signed with
// secret (the merchant's key) are verified by gateway.NewNotifyHandler and
// routed to their till.
func (h *Hub) NotifyHandler(secret string) http.Handler {
	return gateway.NewNotifyHandler(secret, h.routeNotification, h.log)
}

func (h *Hub) routeNotification(ctx context.Context, n gateway.Notification) error {
	code := pos.ChargeCode(n.ChargeCode)
	till, ok := pos.TillOfCharge(code)
	subject := UnroutedSubject
	if ok {
		subject = NotifySubject(till)
	}
	data, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("hub: notification %s: %w", pos.CleanText(n.ChargeCode), err)
	}
	if err := h.store.KeepNotification(ctx, n, till, data, h.clock.Now()); err != nil {
		return err
	}
	// One message per charge and state: the gateway's repeats are dropped.
	id := "notify-" + n.ChargeCode + "-" + strconv.Itoa(n.State)
	if _, err := h.js.PublishMsg(ctx, &nats.Msg{Subject: subject, Data: data}, jetstream.WithMsgID(id)); err != nil {
		return fmt.Errorf("hub: publish notification %s: %w", pos.CleanText(n.ChargeCode), err)
	}
	known, err := h.store.TillKnown(ctx, till)
	if err != nil {
		return err
	}
	if !ok || !known {
		h.log.Warn("hub: notification for an unknown till kept", "charge_code", pos.CleanText(n.ChargeCode),
			"till", till, "subject", subject)
	}
	return nil
}

// NotificationListener delivers a till's notifications from the hub.
type NotificationListener struct {
	JS   jetstream.JetStream
	Till string
	// Accept settles the charge (the app's acceptNotification: checkout
	// Notify). nil acks the message; an error has it delivered again.
	Accept func(context.Context, gateway.Notification) error
	Clock  pos.Clock
	Log    *slog.Logger
	// Retry is the wait before asking again when the hub is not reachable;
	// DefaultForwardRetry when zero.
	Retry time.Duration
}

// Run receives until ctx ends. Polling stays the fallback: a till whose hub
// is down settles its QR sales by query, as without a hub.
func (l *NotificationListener) Run(ctx context.Context) error {
	clock, log, retry := l.Clock, l.Log, l.Retry
	if clock == nil {
		clock = pos.SystemClock()
	}
	if log == nil {
		log = slog.Default()
	}
	if retry <= 0 {
		retry = DefaultForwardRetry
	}
	for {
		err := l.listen(ctx, log)
		if ctx.Err() != nil {
			return nil
		}
		log.Debug("hub: notifications not available yet", "err", err)
		t := clock.NewTimer(retry)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C():
		}
	}
}

func (l *NotificationListener) listen(ctx context.Context, log *slog.Logger) error {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	cons, err := l.JS.CreateOrUpdateConsumer(cctx, NotifyStreamName, jetstream.ConsumerConfig{
		Durable:       "till-" + l.Till,
		FilterSubject: NotifySubject(l.Till),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       30 * time.Second,
	})
	cancel()
	if err != nil {
		return err
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		var n gateway.Notification
		if err := json.Unmarshal(m.Data(), &n); err != nil {
			log.Error("hub: unreadable notification left in the stream", "err", err)
			_ = m.Term()
			return
		}
		if err := l.Accept(ctx, n); err != nil {
			log.Warn("hub: notification not settled; it will come again", "charge_code", pos.CleanText(n.ChargeCode), "err", err)
			_ = m.NakWithDelay(time.Second)
			return
		}
		_ = m.Ack()
	})
	if err != nil {
		return err
	}
	<-ctx.Done()
	cc.Stop()
	return nil
}
