package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"posterm/config"
	"posterm/device"
	"posterm/gateway"
	"posterm/gateway/sandbox"
	"posterm/offline"
	"posterm/pos"
	"posterm/printer"
)

// newGatewayClient builds the SOSOPAY client of cfg: [gateway] for the
// connection and the envelope, [register] for the DEV_ID and OPER_ID that
// requests without one carry. With the embedded sandbox, call startSandbox
// first: it points cfg.Gateway.URL at it.
func newGatewayClient(cfg config.Config, logger *slog.Logger) (*gateway.Client, error) {
	g := cfg.Gateway
	if strings.TrimSpace(g.URL) == "" {
		if cfg.Sandbox.Enabled {
			return nil, errors.New("gateway.url is empty: the embedded sandbox is not started")
		}
		return nil, errors.New("gateway.url is empty: set the gateway's service URL (WIRE.md §1)")
	}
	format, err := gateway.ParseFormat(g.Format)
	if err != nil || strings.TrimSpace(g.Format) == "" {
		return nil, fmt.Errorf("gateway.format %q: want json or xml", g.Format)
	}
	var caPEM []byte
	if g.CAFile != "" {
		// A CA bundle is small; a cap keeps a wrong path (/dev/zero) harmless.
		caPEM, err = readCapped(g.CAFile, 1<<20)
		if err != nil {
			return nil, fmt.Errorf("gateway.ca_file: %w", err)
		}
	}
	c, err := gateway.New(gateway.Config{
		URL:            g.URL,
		BusiID:         g.BusiID,
		Secret:         g.Secret,
		OperID:         cfg.Register.OperID,
		DevID:          cfg.Register.DevID,
		Format:         format,
		Encrypt:        g.Encrypt,
		RequireSign:    g.RequireSign,
		Timeout:        g.Timeout.Duration,
		PayTimeout:     g.PayTimeout.Duration,
		AllowHTTP:      g.AllowHTTP,
		CAPEM:          caPEM,
		BatchQueryKeys: g.BatchQueryKeys,
		SendTimeExpire: g.SendTimeExpire,
		Logger:         logger,
	})
	if err != nil {
		return nil, fmt.Errorf("gateway client: %w", err)
	}
	return c, nil
}

// readCapped reads a whole file of at most limit bytes.
func readCapped(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return b, nil
}

// startSandbox serves the embedded sandbox of cfg.Sandbox on addr
// ("127.0.0.1:0" picks a free port) and returns it with cfg pointed at it:
// gateway.url is its service URL and an empty busi_id or secret becomes the
// sandbox's demo merchant (WIRE.md §9), the only one it knows. The caller
// closes the sandbox.
func startSandbox(cfg config.Config, addr string, logger *slog.Logger) (*sandbox.Running, config.Config, error) {
	run, err := sandbox.Start(addr, sandbox.Options{
		TimeScale: cfg.Sandbox.TimeScale,
		StatePath: cfg.Sandbox.StateFile,
		PublicURL: cfg.Sandbox.PublicURL,
		Logger:    logger,
		// The gateway's clock is Shanghai's: BEGIN_TIME, END_TIME and the
		// batch query's dates read the same on every register.
		Now: func() time.Time { return time.Now().In(gateway.Shanghai) },
	})
	if err != nil {
		return nil, cfg, err
	}
	cfg.Gateway.URL = run.ServiceURL()
	if cfg.Gateway.BusiID == "" {
		cfg.Gateway.BusiID = sandbox.DemoBusiID
	}
	if cfg.Gateway.Secret == "" {
		cfg.Gateway.Secret = sandbox.DemoSecret
	}
	return run, cfg, nil
}

// app is everything a command or the register needs, wired from config:
// the gateway (embedded sandbox or real), the journal, the checkout, the
// reconciler, the print spooler and the notification listener.
// newApp only builds; background work is started by the caller:
// a.start() runs the spooler and the reconciler until Close (the register
// does this); headless commands never print (their receipts stay queued in
// the journal, and a running register's spooler picks them up on its next
// poll) and run the reconciler only in `posterm reconcile`. Close releases
// everything in order. The fields are set once by newApp and then only read.
type app struct {
	cfg        config.Config // after startSandbox adjustments
	log        *slog.Logger
	sandbox    *sandbox.Running // nil unless cfg.Sandbox.Enabled
	gw         pos.Gateway
	journal    *offline.Journal
	checkout   *pos.Checkout
	reconciler *pos.Reconciler
	spooler    *printer.Spooler // drains the journal's print queue to cfg.Printer.Transport; nil when transport is ""
	notify     *http.Server     // nil unless gateway.notify_listen is set (and could be bound)

	register string         // the charge-code prefix (registerPrefix)
	timings  pos.Timings    // from [checkout], [reconcile] and gateway.timeout
	layout   printer.Layout // from [printer]
	lang     printer.Lang   // from [ui] lang or the locale

	ctx       context.Context // ends at Close: bounds the background work
	cancel    context.CancelFunc
	bg        sync.WaitGroup
	startOnce sync.Once
	closeOnce sync.Once
	closeErr  error
}

// newApp builds the app of cfg. With [sandbox] enabled it starts the
// embedded sandbox first and uses its demo merchant. ctx bounds the
// background work started later by start; Close ends it too.
func newApp(ctx context.Context, cfg config.Config, logger *slog.Logger) (_ *app, err error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := &app{cfg: cfg, log: logger}
	a.ctx, a.cancel = context.WithCancel(ctx)
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	if a.register, err = registerPrefix(cfg.Register); err != nil {
		return nil, err
	}
	if a.layout, err = layoutFrom(cfg.Printer); err != nil {
		return nil, err
	}
	a.lang = langFrom(cfg.UI.Lang)
	a.timings = timingsFrom(cfg)
	if err := a.timings.Validate(); err != nil {
		return nil, err
	}

	if cfg.Sandbox.Enabled {
		run, c2, err := startSandbox(cfg, cfg.Sandbox.Listen, logger)
		if err != nil {
			return nil, err
		}
		a.sandbox, a.cfg = run, c2
	}
	client, err := newGatewayClient(a.cfg, logger)
	if err != nil {
		return nil, err
	}
	posgw := gateway.ForPOS(client)
	posgw.RegisterID = a.cfg.Register.RegisterID
	posgw.NodifyURL = a.cfg.Gateway.NotifyURL
	a.gw = posgw

	if dir := filepath.Dir(a.cfg.Journal.Path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("journal directory: %w", err)
		}
	}
	a.journal, err = offline.Open(a.cfg.Journal.Path, offline.Options{Logger: logger})
	if err != nil {
		return nil, err
	}
	zone, err := a.cfg.Register.Location()
	if err != nil {
		return nil, err
	}

	subject := firstNonEmpty(a.cfg.Register.Store, a.cfg.Register.Merchant)
	a.checkout, err = pos.NewCheckout(pos.CheckoutConfig{
		Register: a.register, BusiID: a.cfg.Gateway.BusiID, Subject: subject,
		Gateway: a.gw, Journal: a.journal, Timings: a.timings,
		Logger: logger.With("subsystem", "pos"), Location: zone, DevID: a.cfg.Register.DevID,
	})
	if err != nil {
		return nil, err
	}
	if a.reconciler, err = a.newReconciler(false, nil); err != nil {
		return nil, err
	}

	if tr := strings.TrimSpace(a.cfg.Printer.Transport); tr != "" {
		target, opts, err := printerTarget(tr, a.cfg.Printer.WriteTimeout.Duration)
		if err != nil {
			return nil, fmt.Errorf("printer.transport: %w", err)
		}
		a.spooler = printer.NewSpooler(printer.SpoolerConfig{
			Store:  a.journal,
			Open:   func(ctx context.Context) (printer.Transport, error) { return printer.Open(ctx, target, opts) },
			Layout: a.layout,
			Header: a.printHeader(),
			Logger: logger,
		})
	}

	if addr := strings.TrimSpace(a.cfg.Gateway.NotifyListen); addr != "" {
		// Notifications only hurry things up: Await and the reconciler
		// query anyway. So a port that cannot be bound (a register already
		// listening on it while a headless command runs) is logged, not
		// fatal.
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			logger.Error("notification listener not started; payments are settled by query only",
				"subsystem", "main", "notify_listen", addr, "err", err)
		} else {
			a.notify = &http.Server{
				Handler:           gateway.NewNotifyHandler(a.cfg.Gateway.Secret, a.acceptNotification, logger),
				ReadHeaderTimeout: 10 * time.Second,
				BaseContext:       func(net.Listener) context.Context { return a.ctx },
			}
			go func() {
				if err := a.notify.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
					logger.Error("notification listener stopped", "subsystem", "main", "err", err)
				}
			}()
			logger.Info("notification listener", "subsystem", "main", "addr", ln.Addr().String())
		}
	}
	return a, nil
}

// start runs the register's background work until Close: the print
// spooler and the reconciler loop. Calling it again does nothing.
func (a *app) start() {
	a.startOnce.Do(func() {
		if a.spooler != nil {
			a.bg.Add(2)
			go func() { defer a.bg.Done(); _ = a.spooler.Run(a.ctx) }()
			// The spooler is woken by the journal's change feed: a receipt
			// queued by a sale, by the reconciler or by another process
			// (`posterm pay`) prints at once, not at the next poll.
			events, cancel := a.journal.Subscribe()
			go func() {
				defer a.bg.Done()
				defer cancel()
				for {
					select {
					case <-a.ctx.Done():
						return
					case ev, ok := <-events:
						if !ok {
							return
						}
						if ev.Kind == pos.FeedPrintJob || ev.Kind == pos.FeedResync {
							a.spooler.Wake()
						}
					}
				}
			}()
		}
		a.bg.Add(1)
		go func() { defer a.bg.Done(); _ = a.reconciler.Run(a.ctx) }()
		a.startHub() // [hub] url: forward the outbox (cmd_outbox.go)
	})
}

// Close stops the notification listener and the background work, then
// closes the journal and the embedded sandbox. Safe to call more than once.
func (a *app) Close() error {
	a.closeOnce.Do(func() {
		var errs []error
		if a.notify != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := a.notify.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("notification listener: %w", err))
			}
			cancel()
		}
		a.cancel()
		a.bg.Wait()
		if a.journal != nil {
			errs = append(errs, a.journal.Close())
		}
		if a.sandbox != nil {
			errs = append(errs, a.sandbox.Close())
		}
		a.closeErr = errors.Join(errs...)
	})
	return a.closeErr
}

// newReconciler returns a reconciler over the app's gateway and journal;
// ignoreSchedule and progress as pos.ReconcilerConfig.
func (a *app) newReconciler(ignoreSchedule bool, progress func(pos.ReconcileProgress)) (*pos.Reconciler, error) {
	return pos.NewReconciler(pos.ReconcilerConfig{
		Gateway: a.gw, Journal: a.journal, Timings: a.timings,
		Logger:         a.log.With("subsystem", "reconcile"),
		IgnoreSchedule: ignoreSchedule, Progress: progress, DevID: a.cfg.Register.DevID,
		ShiftStart: a.shiftStart,
	})
}

// shiftStart is when this till's open shift began: when its last Z report
// closed the previous one; without one, the last 12 hours. The reconciler
// re-checks the paid charges made since (changes made at the gateway).
func (a *app) shiftStart(now time.Time) time.Time {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if last, err := a.journal.LastZ(ctx, a.register); err == nil && !last.Until.IsZero() && last.Until.Before(now) {
		return last.Until
	}
	return now.Add(-12 * time.Hour)
}

// acceptNotification hands a verified notification (WIRE.md §8) to the
// checkout. A charge this register never journaled is acknowledged (so the
// gateway stops retrying it) and logged: it is not ours to settle.
func (a *app) acceptNotification(ctx context.Context, n gateway.Notification) error {
	if n.BusiID != "" && n.BusiID != a.cfg.Gateway.BusiID {
		a.log.Warn("notification for another merchant ignored", "subsystem", "main", "charge_code", n.ChargeCode, "busi_id", n.BusiID)
		return nil
	}
	err := a.checkout.Notify(ctx, gateway.NotificationReply(n))
	if errors.Is(err, pos.ErrNotFound) {
		a.log.Warn("notification for a charge not in the journal ignored", "subsystem", "main", "charge_code", n.ChargeCode)
		return nil
	}
	return err
}

// timingsFrom maps config onto pos.Timings: [checkout] and [reconcile]
// as named, gateway.timeout as the deadline of every call but pay.
func timingsFrom(cfg config.Config) pos.Timings {
	return pos.Timings{
		PayTimeout:        cfg.Checkout.PayTimeout.Duration,
		QueryInterval:     cfg.Checkout.QueryInterval.Duration,
		GiveUpAfter:       cfg.Checkout.GiveUpAfter.Duration,
		PrecreateExpiry:   cfg.Checkout.PrecreateExpiry.Duration,
		CallTimeout:       cfg.Gateway.Timeout.Duration,
		ReconcileInterval: cfg.Reconcile.Interval.Duration,
		Concurrency:       cfg.Reconcile.Concurrency,
		RatePerSecond:     cfg.Reconcile.RatePerSecond,
		Lease:             cfg.Reconcile.Lease.Duration,
		RetryBase:         cfg.Reconcile.RetryBase.Duration,
		RetryMax:          cfg.Reconcile.RetryMax.Duration,
	}.WithDefaults()
}

// registerPrefix is the prefix of this till's charge codes and refund
// serials: [register] dev_id (the per-till device number) with everything
// but letters and digits dropped ("POS-01" → "POS01"); register_id only
// when dev_id is empty, since it names the store and tills share it.
// Two tills must never share a prefix, so a prefix that does not fit
// pos.ValidRegisterID is an error, not truncated.
func registerPrefix(r config.Register) (string, error) {
	src, key := r.DevID, "register.dev_id"
	if strings.TrimSpace(src) == "" {
		src, key = r.RegisterID, "register.register_id"
	}
	var b strings.Builder
	for _, c := range src {
		if (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') {
			b.WriteRune(c)
		}
	}
	if err := pos.ValidRegisterID(b.String()); err != nil {
		return "", fmt.Errorf("%s %q: the charge-code prefix is its letters and digits, 1–12 of them: %w", key, src, err)
	}
	return b.String(), nil
}

// langFrom is the receipt language: [ui] lang, else the locale (LC_ALL,
// LC_MESSAGES, LANG: "en…" is English), else Chinese — the shop's.
func langFrom(lang string) printer.Lang {
	if lang != "" {
		return printer.Lang(lang)
	}
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if s := os.Getenv(v); s != "" {
			if strings.HasPrefix(strings.ToLower(s), "en") {
				return printer.LangEN
			}
			return printer.LangZH
		}
	}
	return printer.LangZH
}

// layoutFrom builds the receipt layout of [printer]. (The demo marker is
// per receipt: printHeader sets it while the embedded sandbox is on.)
func layoutFrom(p config.Printer) (printer.Layout, error) {
	prof := printer.Profile{Paper: p.Width}
	var err error
	if prof.Charset, err = printer.ParseCharset(p.Charset); err != nil {
		return printer.Layout{}, fmt.Errorf("printer.charset: %w", err)
	}
	if prof.QR, err = printer.ParseQRMode(p.QR); err != nil {
		return printer.Layout{}, fmt.Errorf("printer.qr: %w", err)
	}
	switch strings.ToLower(p.Cut) {
	case "full":
		prof.FullCut = true
	case "none":
		prof.NoCut = true
	}
	if err := prof.Validate(); err != nil {
		return printer.Layout{}, err
	}
	return printer.Layout{
		Profile: prof,
		Copies:  printer.Copies(p.CustomerCopies, p.MerchantCopies),
		QR:      prof.QR != printer.QRNone,
		Drawer:  p.Drawer,
	}, nil
}

// printerTarget reads printer.transport; a serial target may end in
// "@BAUD" (serial:/dev/ttyUSB0@115200).
func printerTarget(s string, writeTimeout time.Duration) (printer.Target, printer.Options, error) {
	opts := printer.Options{WriteTimeout: writeTimeout}
	if strings.HasPrefix(strings.ToLower(s), "serial:") {
		if i := strings.LastIndexByte(s, '@'); i > 0 {
			baud, err := strconv.Atoi(s[i+1:])
			if err != nil || baud <= 0 {
				return printer.Target{}, opts, fmt.Errorf("%q: bad baud rate after @", s)
			}
			s, opts.Baud = s[:i], baud
		}
	}
	t, err := printer.ParseTarget(s)
	return t, opts, err
}

// printHeader is what every receipt shows besides its snapshot; times are
// printed in the shop's zone ([register] time_zone).
func (a *app) printHeader() printer.Header {
	zone, err := a.cfg.Register.Location()
	if err != nil { // Validate refused a bad zone at load
		zone = pos.DefaultZone()
	}
	return printer.Header{
		Merchant: a.cfg.Register.Merchant, Store: a.cfg.Register.Store, Register: a.register,
		Demo: a.cfg.Sandbox.Enabled, Lang: a.lang, Zone: zone,
	}
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

// ---------------------------------------------------------------------------
// Shared by the headless commands.

// openApp loads the configuration of com, opens the log and builds the
// app; adjust, when given, changes the configuration first. done closes
// the app and the log.
func openApp(ctx context.Context, com *common, stderr io.Writer, adjust func(*config.Config)) (a *app, done func(), err error) {
	cfg, err := com.load()
	if err != nil {
		return nil, nil, err
	}
	if adjust != nil {
		adjust(&cfg)
	}
	logger, closeLog, err := openLog(cfg.Log, stderr)
	if err != nil {
		return nil, nil, err
	}
	a, err = newApp(ctx, cfg, logger) // each package adds its own subsystem key
	if err != nil {
		closeLog()
		return nil, nil, err
	}
	return a, func() {
		if err := a.Close(); err != nil {
			logger.Error("close", "subsystem", "main", "err", err)
		}
		closeLog()
	}, nil
}

// scannerConfig maps [scanner] onto the serial reader's settings; the
// device package validates them. An empty port means a keyboard-wedge
// scanner, which needs no reader.
func scannerConfig(s config.Scanner) (device.SerialConfig, error) {
	c := device.DefaultSerialConfig()
	c.Port, c.Baud, c.DataBits, c.Parity, c.StopBits = strings.TrimSpace(s.Port), s.Baud, s.DataBits, s.Parity, s.StopBits
	c.Prefix, c.Suffix = s.Prefix, s.Suffix
	t, err := device.ParseTerminator(s.Terminator)
	if err != nil {
		return c, fmt.Errorf("scanner.terminator: %w", err)
	}
	c.Terminator = t
	return c, nil
}
