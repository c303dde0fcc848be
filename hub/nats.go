package hub

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

const (
	// StreamName is the JetStream stream of the tills' events.
	StreamName = "POSTERM_EVENTS"
	// EventSubjectPrefix + till identity is where a till publishes.
	EventSubjectPrefix = "posterm.events."
	// ConsumerName is the hub's durable consumer.
	ConsumerName = "hub"
	// DefaultDuplicates is the stream's deduplication window: a till that
	// republishes an event within it (killed between the publish and the
	// mark) is dropped by JetStream; later ones by the hub's store.
	DefaultDuplicates = 10 * time.Minute
	// DefaultRetention is how long the events stream keeps an event (the
	// hub stores each within moments; this covers a hub down for weeks).
	DefaultRetention = 90 * 24 * time.Hour
)

// EventSubject is the subject a till's events go to.
func EventSubject(till string) string { return EventSubjectPrefix + till }

// Embedded is a NATS server with JetStream run inside this process.
type Embedded struct {
	srv *server.Server
}

// StartEmbedded starts a NATS server with JetStream on listen ("host:port";
// port 0 picks a free one) keeping its data in storeDir.
func StartEmbedded(listen, storeDir, token string) (*Embedded, error) {
	host, portS, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("hub: listen %q: %w", listen, err)
	}
	port, err := strconv.Atoi(portS)
	if err != nil {
		return nil, fmt.Errorf("hub: listen %q: bad port", listen)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	if storeDir == "" {
		return nil, errors.New("hub: store_dir is empty: JetStream keeps the stream on disk there")
	}
	opts := &server.Options{
		ServerName: "posterm-hub",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   storeDir,
		NoSigs:     true,
		NoLog:      true,
		// Every client (the hub's own too) must present the token.
		Authorization: token,
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("hub: nats server: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return nil, fmt.Errorf("hub: nats server on %s did not start", listen)
	}
	return &Embedded{srv: srv}, nil
}

// URL is where clients connect ("nats://127.0.0.1:port").
func (e *Embedded) URL() string { return e.srv.ClientURL() }

// Close shuts the server down and waits for it.
func (e *Embedded) Close() {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
}

// ConnOptions say how to reach NATS.
type ConnOptions struct {
	URL   string // nats://host:port[,nats://…]
	Creds string // a .creds file (JWT + NKey seed); "" for none
	Token string // the embedded server's shared secret; "" for none
	// TLS: a CA to trust and a client certificate; "" for none.
	CAFile, CertFile, KeyFile string
	Name                      string // the connection's name, shown by the server
	// Once: fail at once when NATS is unreachable (a status command)
	// instead of retrying in the background.
	Once bool
}

// Connect connects to NATS and keeps reconnecting for ever: a hub outage
// only delays events. The first connection may fail (a till started while
// the hub is down); it is retried in the background.
func Connect(o ConnOptions) (*nats.Conn, error) {
	opts := []nats.Option{nats.Name(o.Name)}
	if o.Once {
		opts = append(opts, nats.Timeout(3*time.Second), nats.NoReconnect())
	} else {
		opts = append(opts, nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond), nats.RetryOnFailedConnect(true))
	}
	if o.Creds != "" {
		opts = append(opts, nats.UserCredentials(o.Creds))
	}
	if o.Token != "" {
		opts = append(opts, nats.Token(o.Token))
	}
	if o.CAFile != "" {
		opts = append(opts, nats.RootCAs(o.CAFile))
	}
	if o.CertFile != "" || o.KeyFile != "" {
		opts = append(opts, nats.ClientCert(o.CertFile, o.KeyFile))
	}
	nc, err := nats.Connect(o.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("hub: connect %s: %w", o.URL, err)
	}
	return nc, nil
}

// EnsureStream creates (or updates) the events stream on disk with
// replicas copies (1 for a single server, 3 on a cluster).
func EnsureStream(ctx context.Context, js jetstream.JetStream, replicas int) (jetstream.Stream, error) {
	if replicas <= 0 {
		replicas = 1
	}
	s, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:       StreamName,
		Subjects:   []string{EventSubjectPrefix + ">"},
		Storage:    jetstream.FileStorage,
		Duplicates: DefaultDuplicates,
		Replicas:   replicas,
		// The hub's store is the record; the stream only carries events
		// to it, so it need not grow for ever on the back-office disk.
		MaxAge: DefaultRetention,
	})
	if err != nil {
		return nil, fmt.Errorf("hub: stream %s: %w", StreamName, err)
	}
	return s, nil
}
