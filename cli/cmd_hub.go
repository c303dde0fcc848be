package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"posterm/config"
	"posterm/gateway"
	"posterm/gateway/sandbox"
	"posterm/hub"
	"posterm/offline"
	"posterm/pos"
)

func init() {
	register(command{
		name:    "hub",
		summary: "the store hub: every till's events on NATS JetStream; `hub status` shows tills, lag, stream depth",
		runEnv:  runHub,
	})
}

// hubConfig is the hub's own [hub] section as hub.Config.
func hubConfig(cfg config.Config, logger *slog.Logger) hub.Config {
	h := cfg.Hub
	return hub.Config{
		NATSURL: h.NATSURL, Listen: h.Listen, StoreDir: h.StoreDir, Replicas: h.Replicas,
		Conn:   hub.ConnOptions{Token: h.Token, Creds: h.Creds, CAFile: h.CAFile, CertFile: h.CertFile, KeyFile: h.KeyFile},
		DBPath: hubStore(h), Log: logger.With("subsystem", "hub"),
	}
}

// hubStore is where the hub keeps its store: [hub] database_url
// (PostgreSQL) when set, else the SQLite file [hub] database.
func hubStore(h config.Hub) string {
	if h.DatabaseURL != "" {
		return h.DatabaseURL
	}
	return h.Database
}

func runHub(e *env, args []string) int {
	stderr := e.Stderr
	if len(args) > 0 && args[0] == "status" {
		return runHubStatus(e, args[1:])
	}
	fs := flag.NewFlagSet("posterm hub", flag.ContinueOnError)
	fs.SetOutput(stderr)
	com := addCommon(fs)
	demoTills := fs.Int("demo-tills", 0, "also run N demo tills in this process on the embedded sandbox, each selling every --demo-every")
	demoEvery := fs.Duration("demo-every", 3*time.Second, "with --demo-tills: time between a demo till's sales")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: posterm hub [--demo-tills N]
       posterm hub status [--json]

Runs the store hub until interrupted: an embedded NATS server with
JetStream ([hub] listen, store_dir) — or [hub] nats_url, an existing NATS —
and a consumer that stores every till's journal events once in [hub]
database. Tills set [hub] url to the hub's NATS and forward their outbox.

Flags:
`)
		fs.PrintDefaults()
	}
	if code, failed := flagsFailed(fs.Parse(args)); failed {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(stderr, "hub", fmt.Sprintf("unexpected argument %q", fs.Arg(0)), fs.Usage)
	}
	ctx, stop := e.interruptContext()
	defer stop()
	cfg, err := com.load()
	if err != nil {
		return fail(stderr, "hub", err)
	}
	if com.demo {
		// The demo keeps the hub's files next to the demo journal.
		if cfg.Hub.StoreDir == config.Default().Hub.StoreDir {
			cfg.Hub.StoreDir = filepath.Join(com.dataDir, "hub-jetstream")
		}
		if cfg.Hub.Database == config.Default().Hub.Database {
			cfg.Hub.Database = filepath.Join(com.dataDir, "hub.db")
		}
	}
	logger, closeLog, err := openLog(cfg.Log, stderr)
	if err != nil {
		return fail(stderr, "hub", err)
	}
	defer closeLog()
	if dir := filepath.Dir(cfg.Hub.Database); cfg.Hub.DatabaseURL == "" && dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fail(stderr, "hub", err)
		}
	}
	var sb *sandbox.Running
	if cfg.Sandbox.Enabled {
		// The demo: the manager's page logs in on the embedded sandbox, and
		// the demo tills pay on it.
		if sb, cfg, err = startSandbox(cfg, cfg.Sandbox.Listen, logger); err != nil {
			return fail(stderr, "hub", err)
		}
		defer sb.Close()
	}
	h, err := hub.Start(ctx, hubConfig(cfg, logger))
	if err != nil {
		return fail(stderr, "hub", err)
	}
	defer h.Close()
	if host, _, _ := net.SplitHostPort(cfg.Hub.Listen); cfg.Hub.NATSURL == "" && cfg.Hub.Token == "" && !isLoopback(host) {
		logger.Warn("hub: NATS listens beyond this machine without [hub] token: anyone on the network can publish",
			"subsystem", "hub", "listen", cfg.Hub.Listen)
		fmt.Fprintf(stderr, "hub: warning: %s is reachable from the network and [hub] token is empty\n", cfg.Hub.Listen)
	}
	fmt.Fprintf(stderr, "hub: NATS at %s · store %s · tills set [hub] url = %q\n", h.URL(), hub.StoreName(hubStore(cfg.Hub)), h.URL())
	notifyURL := ""
	if addr := strings.TrimSpace(cfg.Hub.HTTPListen); addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fail(stderr, "hub", fmt.Errorf("hub.http_listen: %w", err))
		}
		mux, err := hubMux(h, cfg, logger)
		if err != nil {
			return fail(stderr, "hub", err)
		}
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		notifyURL = "http://" + ln.Addr().String() + "/notify"
		fmt.Fprintf(stderr, "hub: notifications at %s (tills' [gateway] notify_url) · manager's page at http://%s/\n",
			notifyURL, ln.Addr())
	}
	if *demoTills > 0 {
		if sb == nil {
			return fail(stderr, "hub", errors.New("--demo-tills needs the embedded sandbox (--demo)"))
		}
		stopDemo, err := runDemoTills(ctx, cfg, sb, com.dataDir, *demoTills, *demoEvery, h.URL(), notifyURL, logger, stderr)
		if err != nil {
			return fail(stderr, "hub", err)
		}
		defer stopDemo()
	}
	<-ctx.Done()
	fmt.Fprintln(stderr, "hub: stopping")
	return exitDone
}

func runHubStatus(e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	fs := flag.NewFlagSet("posterm hub status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	com := addCommon(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: posterm hub status [--json]\n\nThe tills the hub has seen (events, last one, lag), the stream's depth and today's takings by till.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if code, failed := flagsFailed(fs.Parse(args)); failed {
		return code
	}
	cfg, err := com.load()
	if err != nil {
		return fail(stderr, "hub status", err)
	}
	if com.demo {
		if cfg.Hub.Database == config.Default().Hub.Database {
			cfg.Hub.Database = filepath.Join(com.dataDir, "hub.db")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if _, err := os.Stat(cfg.Hub.Database); cfg.Hub.DatabaseURL == "" && err != nil {
		return fail(stderr, "hub status", fmt.Errorf("[hub] database %s: %w (has the hub run here?)", cfg.Hub.Database, err))
	}
	store, err := hub.OpenStore(hubStore(cfg.Hub))
	if err != nil {
		return fail(stderr, "hub status", err)
	}
	defer store.Close()
	url := cfg.Hub.NATSURL
	if url == "" {
		url = "nats://" + cfg.Hub.Listen
	}
	var st hub.Status
	co := hubConfig(cfg, slog.New(slog.DiscardHandler)).Conn
	co.URL, co.Name, co.Once = url, "posterm-hub-status", true
	streamErr := errors.New("not asked")
	if nc, err := hub.Connect(co); err != nil {
		streamErr = err
	} else {
		defer nc.Close()
		if js, err := hub.NewJetStream(nc); err != nil {
			streamErr = err
		} else {
			st, streamErr = hub.ReadStatus(ctx, js, store)
		}
	}
	if streamErr != nil {
		if st.Tills, err = store.Tills(ctx); err != nil {
			return fail(stderr, "hub status", err)
		}
	}
	zone, err := cfg.Register.Location()
	if err != nil {
		return fail(stderr, "hub status", err)
	}
	now := time.Now().In(zone)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, zone)
	totals, err := store.Totals(ctx, today, time.Time{})
	if err != nil {
		return fail(stderr, "hub status", err)
	}
	if com.jsonOut {
		if streamErr != nil {
			st.UnknownTill, _ = store.UnknownTillNotifications(ctx)
		}
		out := map[string]any{"nats": url, "tills": st.Tills, "totals_today": totals, "unknown_till_notifications": st.UnknownTill}
		if streamErr == nil {
			out["stream"] = map[string]any{"messages": st.StreamMsgs, "bytes": st.StreamBytes,
				"pending": st.Pending, "ack_pending": st.AckPending}
		} else {
			out["stream_error"] = streamErr.Error()
		}
		return jsonOrFail(stdout, stderr, out)
	}
	if streamErr == nil {
		fmt.Fprintf(stdout, "stream %s at %s: %d events (%d bytes), %d not yet stored by the hub\n",
			hub.StreamName, pos.CleanText(url), st.StreamMsgs, st.StreamBytes, st.Pending+uint64(st.AckPending))
	} else {
		fmt.Fprintf(stdout, "stream at %s: unreachable (%s)\n", pos.CleanText(url), pos.CleanText(streamErr.Error()))
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TILL\tEVENTS\tLAST SEQ\tLAST EVENT\tLAG\tSALES TODAY\tREFUNDS\tNET TODAY")
	seen := map[string]bool{}
	for _, t := range st.Tills {
		seen[t.Till] = true
		tt := totals[t.Till]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%d / %s\t%s\t%s\n", pos.CleanText(t.Till), t.Events, t.LastSeq,
			t.LastAt.In(zone).Format("2006-01-02 15:04:05"), t.Lag().Round(time.Millisecond),
			tt.Total.Sales.Count, tt.Total.Sales.Amount, tt.Total.Refunds.Amount, tt.Total.Net)
	}
	tw.Flush()
	var store0 pos.Money
	ids := hub.TillIDs(totals)
	sort.Strings(ids)
	for _, id := range ids {
		store0 += totals[id].Total.Net
	}
	fmt.Fprintf(stdout, "store net today: %s (%d tills)\n", store0, len(st.Tills))
	if streamErr != nil {
		st.UnknownTill, _ = store.UnknownTillNotifications(ctx)
	}
	if len(st.UnknownTill) > 0 {
		fmt.Fprintf(stdout, "%d notification(s) for tills the hub has not seen (kept; delivered when the till connects):\n", len(st.UnknownTill))
		for _, k := range st.UnknownTill {
			till := k.Till
			if till == "" {
				till = "(no till in the code)"
			}
			fmt.Fprintf(stdout, "  %s  till %s  state %d  %s  ×%d  %s\n", pos.CleanText(k.ChargeCode), pos.CleanText(till),
				k.State, k.Amount, k.Received, k.LastAt.In(zone).Format("2006-01-02 15:04:05"))
		}
	}
	return exitDone
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// hubMux serves the hub's HTTP side: the gateway's notifications, verified
// with the merchant's key ([gateway] secret), and the manager's page, whose
// logins are checked with the gateway ([gateway] url).
func hubMux(h *hub.Hub, cfg config.Config, logger *slog.Logger) (*http.ServeMux, error) {
	mux := http.NewServeMux()
	mux.Handle("POST /notify", h.NotifyHandler(cfg.Gateway.Secret))
	client, err := newGatewayClient(cfg, logger)
	if err != nil {
		return nil, fmt.Errorf("the manager's page logs in on the gateway: %w", err)
	}
	gw := gateway.ForPOS(client)
	zone, err := cfg.Register.Location()
	if err != nil {
		return nil, err
	}
	page := &hub.Page{Store: h.Store(), BusiID: cfg.Gateway.BusiID, Zone: zone, Log: logger.With("subsystem", "hub"),
		Login: func(ctx context.Context, user, pw string) (pos.Cashier, error) {
			return pos.Login(ctx, gw, logger, user, pw)
		}}
	mux.Handle("/", page.Handler())
	return mux, nil
}

// runDemoTills runs n demo tills in this process: each has its journal in
// dataDir, pays on one embedded sandbox, and forwards to the hub at url.
func runDemoTills(ctx context.Context, cfg config.Config, sb *sandbox.Running, dataDir string, n int, every time.Duration, url, notifyURL string,
	logger *slog.Logger, stderr io.Writer) (func(), error) {
	ctx, cancel := context.WithCancel(ctx)
	var closers []func()
	stopAll := func() {
		cancel()
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	zone, err := cfg.Register.Location()
	if err != nil {
		stopAll()
		return nil, err
	}
	for i := range n {
		name := fmt.Sprintf("demo-till-%d", i+1)
		j, err := offline.Open(filepath.Join(dataDir, name+".db"), offline.Options{Logger: logger,
			Binding: func() (string, error) { return name, nil }})
		if err != nil {
			stopAll()
			return nil, err
		}
		closers = append(closers, func() { j.Close() })
		c, err := gateway.New(gateway.Config{URL: sb.ServiceURL(), BusiID: sandbox.DemoBusiID, Secret: sandbox.DemoSecret,
			OperID: "cashier01", DevID: fmt.Sprintf("POS%02d", i+1), Format: gateway.FormatJSON, Logger: logger})
		if err != nil {
			stopAll()
			return nil, err
		}
		gw := gateway.ForPOS(c)
		gw.NodifyURL = notifyURL
		co, err := pos.NewCheckout(pos.CheckoutConfig{Register: fmt.Sprintf("POS%02d", i+1), BusiID: sandbox.DemoBusiID,
			Gateway: gw, Journal: j, Logger: logger, Location: zone})
		if err != nil {
			stopAll()
			return nil, err
		}
		tc := cfg
		tc.Hub.URL = url
		done, err := startForwarder(ctx, tc, j, logger, func(ctx context.Context, n gateway.Notification) error {
			return ignoreNotFound(co.Notify(ctx, gateway.NotificationReply(n)))
		})
		if err != nil {
			stopAll()
			return nil, err
		}
		closers = append(closers, func() { <-done })
		till, _ := j.TillID(ctx)
		// The demo tills' devices, for the manager's page: the virtual
		// printer, and a keyboard-wedge scanner (no serial port).
		if err := j.ReportDevices(ctx, pos.DeviceStatus{Printer: pos.DeviceOK, Scanner: pos.DeviceNone}); err != nil {
			logger.Warn("hub: demo till devices", "err", err)
		}
		fmt.Fprintf(stderr, "hub: demo till %s (%s) sells every %s\n", till, name, every)
		sold := make(chan struct{})
		closers = append(closers, func() { <-sold })
		go func() {
			defer close(sold)
			demoSales(ctx, co, sb, every)
		}()
	}
	return stopAll, nil
}

// demoSales sells every every: merchant-scan mostly, and every third sale
// a QR the "customer" pays on the sandbox, settled by the hub's
// notification.
func demoSales(ctx context.Context, co *pos.Checkout, sb *sandbox.Running, every time.Duration) {
	cashier, err := co.Login(ctx, "cashier01", "1234")
	if err != nil {
		return
	}
	for {
		t := time.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		amount := pos.Money(100 + rand.IntN(20000))
		if rand.IntN(3) == 0 {
			tx, err := co.Precreate(ctx, pos.PrecreateInput{Cashier: cashier, Amount: amount, Channel: pos.ChannelAlipay})
			if err == nil && tx.BarCode != "" {
				resp, err := http.Post(sb.URL+sandbox.CustomerPayPath+"?barcode="+url.QueryEscape(tx.BarCode), "text/plain", nil)
				if err == nil {
					resp.Body.Close()
				}
			}
			continue
		}
		prefix := []string{"28", "13"}[rand.IntN(2)]
		var b strings.Builder
		b.WriteString(prefix)
		for b.Len() < 16 {
			b.WriteByte(byte('0' + rand.IntN(10)))
		}
		last := "00"
		if prefix == "13" {
			last = "45"
		}
		_, _ = co.PayByCode(ctx, pos.PayInput{Cashier: cashier, Amount: amount, Code: b.String() + last})
	}
}
