package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"posterm/config"
	"posterm/device"
	"posterm/gateway/sandbox"
	"posterm/pos"
	"posterm/printer"
	"posterm/ui"
)

func init() {
	register(command{
		name:    "register",
		summary: "the cashier screen: sign in, take payments (scan or QR), refunds, history (--demo: on the embedded sandbox)",
		runEnv:  runRegister,
	})
}

func runRegister(e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	fs := flag.NewFlagSet("posterm register", flag.ContinueOnError)
	fs.SetOutput(stderr)
	com := addCommon(fs)
	lan := fs.Bool("lan", false, "with --demo: serve the sandbox on the local network, so a phone can open a QR's page and pay it")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: posterm register [--demo [--data-dir DIR] [--lan]] [--config FILE]")
		fmt.Fprintln(stderr, "The cashier screen. --demo runs it on the embedded sandbox gateway with the demo merchant.")
		fs.PrintDefaults()
	}
	if code, failed := flagsFailed(fs.Parse(args)); failed {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(stderr, "register", fmt.Sprintf("unexpected argument %q", fs.Arg(0)), fs.Usage)
	}
	cfg, err := com.load()
	if err != nil {
		return fail(stderr, "register", err)
	}
	if *lan {
		if err := lanSandbox(&cfg, lanIP); err != nil {
			return fail(stderr, "register", err)
		}
	}
	if !e.HasScreen() {
		return fail(stderr, "register", errors.New("the cashier screen needs a terminal; for scripts use the headless commands (posterm help)"))
	}
	// The screen owns the terminal: logs go to the log file, or nowhere.
	logger, closeLog := slog.New(slog.DiscardHandler), func() {}
	if p := strings.TrimSpace(cfg.Log.Path); p != "" && p != "-" {
		if logger, closeLog, err = openLog(cfg.Log, stderr); err != nil {
			return fail(stderr, "register", err)
		}
	}
	defer closeLog()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := newApp(ctx, cfg, logger)
	if err != nil {
		return fail(stderr, "register", err)
	}
	defer func() {
		if err := a.Close(); err != nil {
			logger.Error("close", "subsystem", "main", "err", err)
		}
	}()
	a.start() // the spooler and the reconciler run in the background
	deps, err := registerDeps(ctx, a)
	if err != nil {
		return fail(stderr, "register", err)
	}
	p := tea.NewProgram(ui.New(ctx, deps), tea.WithContext(ctx), tea.WithAltScreen(),
		tea.WithFilter(ui.Filter), tea.WithOutput(stdout))
	_, runErr := p.Run()
	cancel() // a payment still running is left, journaled, to the reconciler
	if runErr != nil && !errors.Is(runErr, tea.ErrInterrupted) && !errors.Is(runErr, tea.ErrProgramKilled) {
		return fail(stderr, "register", runErr)
	}
	if n := unsettledLeft(a); n > 0 {
		fmt.Fprintf(stdout, "posterm register: %d payment(s) not settled yet; the reconciler finishes them next time the register or `posterm reconcile` runs.\n", n)
	}
	return exitDone
}

// unsettledLeft counts the journal's unsettled charges and refunds.
func unsettledLeft(a *app) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	txs, err := a.journal.List(ctx, pos.Filter{Unsettled: true})
	if err != nil {
		return 0
	}
	rs, _ := a.journal.ListRefunds(ctx, pos.RefundFilter{Unsettled: true})
	return len(txs) + len(rs)
}

// feedCodes turns the journal's change feed into what the screens listen
// to: the charge code of each change ("" for one about no single charge,
// or a resync). It never blocks the feed: when the screen is behind, a
// change is dropped, as the pending ones already make it re-read.
func feedCodes(ctx context.Context, feed pos.ChangeFeed) <-chan pos.ChargeCode {
	events, cancel := feed.Subscribe()
	out := make(chan pos.ChargeCode, 64)
	go func() {
		defer cancel()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-events:
				if !ok {
					return
				}
				select {
				case out <- ev.ChargeCode:
				default:
				}
			}
		}
	}()
	return out
}

// registerDeps maps the app onto what the screen needs. The scanner
// reader and the printer-event relay run until ctx ends.
func registerDeps(ctx context.Context, a *app) (ui.Deps, error) {
	cfg := a.cfg
	zone, err := cfg.Register.Location()
	if err != nil {
		return ui.Deps{}, err
	}
	d := ui.Deps{
		Checkout: a.checkout, Journal: a.journal, Gateway: a.gw, Clock: pos.SystemClock(),
		Logger: a.log,
		ReconcileNow: func(ctx context.Context, progress func(pos.ReconcileProgress)) (pos.ReconcileSummary, error) {
			r, err := a.newReconciler(true, progress)
			if err != nil {
				return pos.ReconcileSummary{}, err
			}
			return r.RunOnce(ctx)
		},
		Lang:     string(a.lang),
		Merchant: cfg.Register.Merchant, Store: cfg.Register.Store,
		Register:    firstNonEmpty(cfg.Register.DevID, a.register),
		IdleLock:    cfg.UI.IdleLock.Duration,
		ScannerPort: strings.TrimSpace(firstNonEmpty(cfg.Scanner.Port, cfg.Scanner.Evdev)),
		WedgeMaxGap: cfg.Scanner.WedgeGap.Duration, WedgeMinLen: cfg.Scanner.WedgeMinLength,
		PaperColumns: a.layout.Profile.Cols(),
		Location:     zone,
		Changes:      feedCodes(ctx, a.journal),
		LastSettlement: func(ctx context.Context) (pos.Settlement, bool, error) {
			return pos.LastSettlement(ctx, a.journal)
		},
		ReceiptText: func(ctx context.Context, code pos.ChargeCode) (string, error) {
			b, err := a.receiptBytes(ctx, code, false)
			if err != nil {
				return "", err
			}
			return printer.DecodeText(b, a.layout.Profile.Cols()), nil
		},
	}
	d.SlipText = func(ctx context.Context, code pos.ChargeCode, outRefundNo string) (string, error) {
		tx, err := a.journal.Get(ctx, code)
		if err != nil {
			return "", err
		}
		r := pos.Receipt{Kind: pos.ReceiptRevoke, Transaction: tx, PrintedAt: time.Now()}
		if outRefundNo != "" {
			rs, err := a.journal.ListRefunds(ctx, pos.RefundFilter{ChargeCode: code})
			if err != nil {
				return "", err
			}
			for i := range rs {
				if rs[i].OutRefundNo == outRefundNo {
					r.Kind, r.Refund = pos.ReceiptRefund, &rs[i]
				}
			}
		}
		b, err := a.layout.Receipt(printer.ReceiptOf(a.printHeader(), r))
		if len(b) == 0 && err != nil {
			return "", err
		}
		return printer.DecodeText(b, a.layout.Profile.Cols()), nil
	}
	if a.spooler != nil {
		d.Reprint = func(ctx context.Context, code pos.ChargeCode) error {
			// the stored snapshot, marked REPRINT: never the row as it is now
			_, err := a.journal.Reprint(ctx, code, pos.ReceiptSale)
			if errors.Is(err, pos.ErrNotFound) {
				// no receipt was ever queued for it (a charge from before
				// snapshots): the row as it stands, marked REPRINT
				var tx pos.Transaction
				if tx, err = a.journal.Get(ctx, code); err == nil {
					_, err = a.journal.Add(ctx, pos.PrintJob{Kind: pos.ReceiptSale, ChargeCode: string(code), Reprint: true,
						Receipt: &pos.Receipt{Kind: pos.ReceiptSale, Transaction: tx}})
				}
			}
			if err != nil {
				return err
			}
			a.spooler.Wake()
			return nil
		}
		d.TestPrint = func(ctx context.Context) error {
			b, err := a.layout.TestPage(time.Now())
			if err != nil && len(b) == 0 {
				return err
			}
			a.spooler.Enqueue(printer.Job{Kind: printer.KindTest, Data: b})
			return nil
		}
		d.Printer = relayPrinter(ctx, a.spooler)
		d.ReceiptQueued = a.spooler.Wake
	}
	if a.layout.Drawer {
		d.OpenDrawer = func(ctx context.Context, who pos.Cashier, reason string) (pos.DrawerOpening, error) {
			o, err := pos.OpenDrawer(ctx, a.journal, a.register, who, reason, drawerKick(a.layout), time.Now())
			if err == nil && a.spooler != nil {
				a.spooler.Wake()
			}
			return o, err
		}
	}
	d.CloseShift = func(ctx context.Context, closedBy string, counted pos.Money) (pos.ZReport, error) {
		z, _, err := closeShift(ctx, cfg, a.layout, a.journal, a.register, closedBy, counted, time.Now())
		if err == nil && a.spooler != nil {
			a.spooler.Wake()
		}
		return z, err
	}
	if ev := strings.TrimSpace(cfg.Scanner.Evdev); ev != "" {
		r, err := device.NewEvdevReader(ctx, device.EvdevConfig{Path: ev, Prefix: cfg.Scanner.Prefix, Suffix: cfg.Scanner.Suffix}, a.log)
		if err != nil {
			return d, fmt.Errorf("scanner.evdev %s: %w", ev, err)
		}
		d.Scanner = r.Events()
	} else if d.ScannerPort != "" {
		sc, err := serialConfigFrom(cfg.Scanner)
		if err != nil {
			return d, err
		}
		r, err := device.NewReader(ctx, sc, a.log)
		if err != nil {
			return d, fmt.Errorf("scanner.port %s: %w", sc.Port, err)
		}
		d.Scanner = r.Events()
	}
	if strings.TrimSpace(cfg.Hub.URL) != "" {
		// the store hub's page shows each till's printer and scanner (hub_devices.go)
		d.Printer, d.Scanner = teeDevices(ctx, a.journal, a.log.With("subsystem", "hub"), d.Printer, d.Scanner, d.ScannerPort)
		d.LookupCharge = a.lookupCharge // another till's charge, for a refund or reprint here (cmd_outbox.go)
	}
	if a.sandbox != nil {
		d.Demo = demoInfo(a.sandbox, firstNonEmpty(cfg.Sandbox.PublicURL, a.sandbox.URL))
	}
	return d, nil
}

// receiptBytes renders the sale receipt of code as the printer would.
func (a *app) receiptBytes(ctx context.Context, code pos.ChargeCode, reprint bool) ([]byte, error) {
	tx, err := a.journal.Get(ctx, code)
	if err != nil {
		return nil, err
	}
	r := printer.ReceiptOf(a.printHeader(), pos.Receipt{Kind: pos.ReceiptSale, Transaction: tx, PrintedAt: time.Now()})
	r.Reprint = reprint
	b, err := a.layout.Receipt(r)
	if len(b) == 0 && err != nil {
		return nil, err
	}
	return b, nil // an error here is the QR's only: the receipt is complete without it
}

// serialConfigFrom maps [scanner] onto the device package's config and
// validates it: the register opens the port.
func serialConfigFrom(s config.Scanner) (device.SerialConfig, error) {
	c, err := scannerConfig(s)
	if err != nil {
		return c, err
	}
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("scanner: %w", err)
	}
	return c, nil
}

// relayPrinter turns the spooler's events into the screen's, starting with
// the status known now. The channel closes when ctx ends.
func relayPrinter(ctx context.Context, s *printer.Spooler) <-chan ui.PrinterEvent {
	out := make(chan ui.PrinterEvent, 64)
	st, lastErr := s.Status()
	out <- ui.PrinterEvent{Kind: ui.PrinterStatusChanged, Status: printerStatus(st, lastErr)}
	go func() {
		defer close(out)
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-s.Events():
				select {
				case out <- printerEvent(ev):
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

func printerEvent(ev printer.Event) ui.PrinterEvent {
	out := ui.PrinterEvent{ChargeCode: pos.ChargeCode(ev.ChargeCode), Pending: ev.Pending, Status: printerStatus(ev.Status, ev.Err)}
	switch ev.Kind {
	case printer.EventQueued:
		out.Kind = ui.PrinterQueued
	case printer.EventPrinted:
		out.Kind = ui.PrinterPrinted
		out.Status = printerStatus(ev.Status, "")
	case printer.EventSent:
		// sent whole but not confirmed: not "printed" (TODO(lead/UI): a
		// "sent — not confirmed" event kind on the screen)
		out.Kind = ui.PrinterStatusChanged
		out.Status = ui.PrinterUnknown
	case printer.EventFailed:
		out.Kind = ui.PrinterFailed
	default:
		out.Kind = ui.PrinterStatusChanged
	}
	return out
}

// printerStatus names what a printer said about itself (errText: it could
// not be reached at all).
func printerStatus(s printer.Status, errText string) ui.PrinterStatus {
	switch {
	case !s.Known && errText != "":
		return ui.PrinterUnreachable
	case !s.Known:
		return ui.PrinterUnknown
	case s.PaperOut:
		return ui.PrinterPaperOut
	case s.CoverOpen:
		return ui.PrinterCoverOpen
	case !s.Online || s.Error || s.CutterError:
		return ui.PrinterOffline
	case s.PaperNearEnd:
		return ui.PrinterPaperLow
	}
	return ui.PrinterOK
}

// demoCodes ask the sandbox for each of its behaviours (WIRE.md §9: the
// last two digits choose; 28… is Alipay, 13… WeChat Pay).
var demoCodes = []ui.DemoCode{
	{Code: "284812345678901200", Outcome: ui.DemoPaid},
	{Code: "134812345678901201", Outcome: ui.DemoPaid},
	{Code: "284812345678901291", Outcome: ui.DemoConfirm8s},
	{Code: "284812345678901292", Outcome: ui.DemoDeclined},
	{Code: "284812345678901293", Outcome: ui.DemoNeverPaid},
	{Code: "284812345678901294", Outcome: ui.DemoAnswerLost},
	{Code: "134812345678901295", Outcome: ui.DemoGatewayDown},
	{Code: "284812345678901296", Outcome: ui.DemoPaidLate},
	{Code: "134812345678901297", Outcome: ui.DemoSystemFault},
}

// demoInfo describes the embedded sandbox for the login screen and the
// demo panel; publicURL is where a phone reaches it.
func demoInfo(sb *sandbox.Running, publicURL string) *ui.Demo {
	d := &ui.Demo{SandboxURL: publicURL, Codes: demoCodes}
	for _, u := range sandbox.DemoUsers {
		role := ui.DemoCashier
		switch {
		case u.LoginFlag == "0":
			role = ui.DemoDisabled
		case u.UserType == "2":
			role = ui.DemoManager
		}
		d.Users = append(d.Users, ui.DemoUser{Login: u.LoginName, Password: u.Password, Role: role})
	}
	client := &http.Client{Timeout: 10 * time.Second}
	d.CustomerPays = func(ctx context.Context, barCode string) error {
		u := sb.URL + sandbox.CustomerPayPath + "?barcode=" + url.QueryEscape(barCode)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Accept", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("sandbox customer pay: %w", err)
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("sandbox customer pay: HTTP %d", resp.StatusCode)
		}
		return nil
	}
	return d
}

// lanDemoPort is the sandbox's port with --lan when the config picks none:
// a fixed one, so the URL in the QR is known before the sandbox starts.
const lanDemoPort = "8089"

// lanSandbox makes the embedded sandbox reachable from the shop's network:
// it listens on every interface and the QR codes carry this machine's LAN
// address, so a phone that scans one opens its page and can pay it.
func lanSandbox(cfg *config.Config, ip func() (string, error)) error {
	if !cfg.Sandbox.Enabled {
		return errors.New("--lan serves the embedded sandbox: use it with --demo")
	}
	_, port, err := net.SplitHostPort(cfg.Sandbox.Listen)
	if err != nil || port == "" || port == "0" {
		port = lanDemoPort
	}
	cfg.Sandbox.Listen = net.JoinHostPort("0.0.0.0", port)
	if cfg.Sandbox.PublicURL == "" {
		addr, err := ip()
		if err != nil {
			return fmt.Errorf("--lan: %w; set sandbox.public_url to this machine's address", err)
		}
		cfg.Sandbox.PublicURL = "http://" + net.JoinHostPort(addr, port)
	}
	return nil
}

// lanIP returns this machine's first private IPv4 address on an interface
// that is up.
func lanIP() (string, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return "", err
	}
	for _, i := range ifs {
		if i.Flags&net.FlagUp == 0 || i.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := i.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && n.IP.IsPrivate() {
				return n.IP.String(), nil
			}
		}
	}
	return "", errors.New("no local network address found")
}
