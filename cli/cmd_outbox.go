package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"posterm/config"
	"posterm/gateway"
	"posterm/hub"
	"posterm/offline"
	"posterm/pos"
)

func init() {
	register(command{
		name:    "outbox",
		summary: "the events waiting for the store hub, and its last acknowledgement; --send forwards them now",
		runEnv:  runOutbox,
	})
}

// tillConn is how a till reaches the hub's NATS ([hub] url, creds, TLS).
func tillConn(h config.Hub, name string) hub.ConnOptions {
	return hub.ConnOptions{URL: h.URL, Token: h.Token, Creds: h.Creds, CAFile: h.CAFile, CertFile: h.CertFile, KeyFile: h.KeyFile, Name: name}
}

// startForwarder runs the outbox forwarder of j to [hub] url in the
// background until ctx ends — and, with accept, the listener that hands the
// till's notifications from the hub to accept; done is closed when both
// have stopped. Nothing is started without a [hub] url.
func startForwarder(ctx context.Context, cfg config.Config, j *offline.Journal, logger *slog.Logger,
	accept func(context.Context, gateway.Notification) error) (done <-chan struct{}, err error) {
	if strings.TrimSpace(cfg.Hub.URL) == "" {
		return nil, nil
	}
	till, _ := j.TillID(ctx)
	nc, err := hub.Connect(tillConn(cfg.Hub, "posterm-till-"+till))
	if err != nil {
		return nil, err
	}
	js, err := hub.NewJetStream(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	log := logger.With("subsystem", "hub")
	f := &hub.Forwarder{Outbox: j, Feed: j, JS: js, Log: log}
	ch := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = f.Run(ctx) }()
	if accept != nil {
		l := &hub.NotificationListener{JS: js, Till: till, Accept: accept, Log: log}
		wg.Add(1)
		go func() { defer wg.Done(); _ = l.Run(ctx) }()
	}
	go func() {
		defer close(ch)
		wg.Wait()
		nc.Close()
	}()
	return ch, nil
}

// ignoreNotFound: a notification for a charge this till never journaled is
// acknowledged — it is not ours to settle.
func ignoreNotFound(err error) error {
	if errors.Is(err, pos.ErrNotFound) {
		return nil
	}
	return err
}

func runOutbox(e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	fs := flag.NewFlagSet("posterm outbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	com := addCommon(fs)
	send := fs.Bool("send", false, "forward the pending events to [hub] url now and wait (up to --wait) until the hub has them")
	wait := fs.Duration("wait", 30*time.Second, "with --send: how long to wait for the hub")
	limit := fs.Int("limit", 20, "how many pending events to list")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: posterm outbox [--send] [--json]

Every change to a transaction or refund is also written to the journal's
outbox, in the same step; the register forwards it to the store hub
([hub] url) in the background. This lists what is still waiting and when the
hub last acknowledged an event. A till never waits for the hub.

Flags:
`)
		fs.PrintDefaults()
	}
	if code, failed := flagsFailed(fs.Parse(args)); failed {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(stderr, "outbox", fmt.Sprintf("unexpected argument %q", fs.Arg(0)), fs.Usage)
	}
	ctx, stop := e.interruptContext()
	defer stop()
	cfg, err := com.load()
	if err != nil {
		return fail(stderr, "outbox", err)
	}
	logger, closeLog, err := openLog(cfg.Log, stderr)
	if err != nil {
		return fail(stderr, "outbox", err)
	}
	defer closeLog()
	j, err := offline.Open(cfg.Journal.Path, offline.Options{Logger: logger})
	if err != nil {
		return fail(stderr, "outbox", err)
	}
	defer j.Close()
	if *send {
		if strings.TrimSpace(cfg.Hub.URL) == "" {
			return fail(stderr, "outbox", fmt.Errorf("--send: [hub] url is empty"))
		}
		if err := sendOutbox(ctx, cfg, j, logger, *wait); err != nil {
			return fail(stderr, "outbox", err)
		}
	}
	st, err := j.OutboxStatus(ctx)
	if err != nil {
		return fail(stderr, "outbox", err)
	}
	pending, err := j.PendingOutbox(ctx, *limit)
	if err != nil {
		return fail(stderr, "outbox", err)
	}
	till, _ := j.TillID(ctx)
	if com.jsonOut {
		for i := range pending {
			pending[i].Payload = nil
		}
		return jsonOrFail(stdout, stderr, map[string]any{"till": till, "hub": cfg.Hub.URL, "status": st, "pending": pending})
	}
	zone, err := cfg.Register.Location()
	if err != nil {
		return fail(stderr, "outbox", err)
	}
	hubURL := cfg.Hub.URL
	if hubURL == "" {
		hubURL = "(none: [hub] url is empty)"
	}
	fmt.Fprintf(stdout, "till %s → hub %s\n", till, pos.CleanText(hubURL))
	fmt.Fprintf(stdout, "pending %d · sent %d\n", st.Pending, st.Sent)
	if st.LastAckAt.IsZero() {
		fmt.Fprintln(stdout, "last ack: never")
	} else {
		fmt.Fprintf(stdout, "last ack: %s (%s)\n", st.LastAckAt.In(zone).Format("2006-01-02 15:04:05"), st.LastAckID)
	}
	for _, e := range pending {
		what := string(e.ChargeCode)
		if e.OutRefundNo != "" {
			what += " " + e.OutRefundNo
		}
		fmt.Fprintf(stdout, "  %-14s %s  %-11s %-20s %s %s\n", e.ID, e.At.In(zone).Format("01-02 15:04:05"),
			e.Kind, e.State, e.Amount, pos.CleanText(what))
	}
	if st.Pending > len(pending) {
		fmt.Fprintf(stdout, "  … and %d more\n", st.Pending-len(pending))
	}
	return exitDone
}

// sendOutbox forwards until nothing is pending or wait runs out.
func sendOutbox(ctx context.Context, cfg config.Config, j *offline.Journal, logger *slog.Logger, wait time.Duration) error {
	till, _ := j.TillID(ctx)
	nc, err := hub.Connect(tillConn(cfg.Hub, "posterm-till-"+till))
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := hub.NewJetStream(nc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	f := &hub.Forwarder{Outbox: j, JS: js, Log: logger}
	for {
		n, err := f.Flush(ctx)
		if err == nil && n == 0 {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("--send: the hub did not take every event within %s (they stay pending): %v", wait, err)
		}
		if err != nil {
			t := time.NewTimer(250 * time.Millisecond)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
		}
	}
}

func jsonOrFail(stdout, stderr io.Writer, v any) int {
	if err := writeJSON(stdout, v); err != nil {
		return fail(stderr, "outbox", err)
	}
	return exitDone
}

// startHub starts the app's outbox forwarder when [hub] url is set; it
// stops with the app's background work. A hub that cannot be reached is
// logged, never fatal: the till works alone and the events wait.
func (a *app) startHub() {
	done, err := startForwarder(a.ctx, a.cfg, a.journal, a.log, a.acceptNotification)
	if err != nil {
		a.log.Error("hub forwarder not started; events wait in the outbox", "subsystem", "hub", "err", err)
		return
	}
	if done == nil {
		return
	}
	a.bg.Add(1)
	go func() { defer a.bg.Done(); <-done }()
}

// errNoHub: [hub] url is empty.
var errNoHub = errors.New("no store hub configured ([hub] url)")

// importFromHub copies a charge made at another till of the store into
// this till's journal (asking the hub at [hub] url), so that it can be
// refunded here; the copy names the till that made it. An error when there
// is no hub or the hub does not know the charge.
func (a *app) importFromHub(ctx context.Context, code pos.ChargeCode, who string) error {
	if strings.TrimSpace(a.cfg.Hub.URL) == "" {
		return errNoHub
	}
	co := tillConn(a.cfg.Hub, "posterm-lookup")
	co.Once = true
	nc, err := hub.Connect(co)
	if err != nil {
		return err
	}
	defer nc.Close()
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	t, origin, err := hub.LookupCharge(lctx, nc, code)
	if err != nil {
		return err
	}
	if err := a.journal.ImportCharge(ctx, t, origin, who); err != nil {
		return err
	}
	a.log.Info("charge of another till copied from the hub", "subsystem", "hub", "charge_code", string(code), "origin_till", origin)
	return nil
}

// lookupCharge is the register's ui.Deps.LookupCharge: a charge not in this
// journal is asked of the hub and copied here (importFromHub); found is
// false when no till of the store reported it. Copied already (a race with
// another screen) counts as found.
func (a *app) lookupCharge(ctx context.Context, code pos.ChargeCode) (pos.Transaction, bool, error) {
	err := a.importFromHub(ctx, code, "register")
	switch {
	case errors.Is(err, hub.ErrNotInHub):
		return pos.Transaction{}, false, nil
	case err != nil && !errors.Is(err, pos.ErrDuplicate):
		return pos.Transaction{}, false, err
	}
	t, err := a.journal.Get(ctx, code)
	if err != nil {
		return t, false, err
	}
	return t, true, nil
}
