package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"posterm/config"
	"posterm/printer"
)

func init() {
	register(command{
		name:    "print-test",
		summary: "print a test page (code page, Chinese, QR, cut) on the receipt printer",
		runEnv:  runPrintTest,
	})
}

// printTestOptions are the print-test settings.
type printTestOptions struct {
	target  string
	profile printer.Profile
	opts    printer.Options
	drawer  bool
}

// printTestDefaults are the settings before flags: the [printer] section
// of the configuration (--config or POSTERM_CONFIG), else its defaults.
func printTestDefaults(p config.Printer) (printTestOptions, error) {
	layout, err := layoutFrom(p)
	if err != nil {
		return printTestOptions{}, err
	}
	_, opts, err := printerTarget(p.Transport, p.WriteTimeout.Duration)
	if err != nil {
		return printTestOptions{}, fmt.Errorf("printer.transport: %w", err)
	}
	return printTestOptions{target: p.Transport, profile: layout.Profile, opts: opts, drawer: p.Drawer}, nil
}

func runPrintTest(e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	cfg, err := peekConfig(args)
	if err != nil {
		return fail(stderr, "print-test", err)
	}
	o, err := printTestDefaults(cfg.Printer)
	if err != nil {
		return fail(stderr, "print-test", err)
	}
	fs := flag.NewFlagSet("print-test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.String("config", "", "config file whose [printer] section gives the defaults (default: $POSTERM_CONFIG)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: posterm print-test [flags]\n\nPrints a test page on the receipt printer; for a file target the page is also shown here.")
		fs.PrintDefaults()
	}
	target := fs.String("transport", o.target, "printer: file:PATH | serial:/dev/ttyUSB0 | lp:/dev/usb/lp0 | tcp:HOST[:9100]")
	width := fs.Int("width", o.profile.Paper, "paper width in mm: 58 (32 columns) or 80 (48 columns)")
	columns := fs.Int("columns", 0, "characters per line (0 = the paper's default)")
	charset := fs.String("charset", string(o.profile.Charset), "text encoding: one of "+fmt.Sprint(printer.Charsets()))
	qr := fs.String("qr", string(o.profile.QR), "QR code: native (GS ( k), raster (GS v 0) or none")
	defCut := "partial"
	if o.profile.FullCut {
		defCut = "full"
	} else if o.profile.NoCut {
		defCut = "none"
	}
	defBaud := o.opts.Baud
	if defBaud == 0 {
		defBaud = 9600
	}
	cut := fs.String("cut", defCut, "cut: partial, full or none")
	baud := fs.Int("baud", defBaud, "serial baud rate")
	timeout := fs.Duration("timeout", o.opts.WriteTimeout, "write timeout: how long the printer may take no data")
	fs.BoolVar(&o.drawer, "drawer", o.drawer, "also pulse the cash drawer")
	confirm := fs.Duration("confirm", 10*time.Second, "how long to wait for the printer's answer after the page's last byte")
	if code, failed := flagsFailed(fs.Parse(args)); failed {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "print-test: unexpected argument %q\n", fs.Arg(0))
		return exitLocal
	}

	t, err := printer.ParseTarget(*target)
	if err != nil {
		fmt.Fprintf(stderr, "print-test: --transport: %v\n", err)
		return exitLocal
	}
	o.profile.Paper, o.profile.Columns = *width, *columns
	if o.profile.Charset, err = printer.ParseCharset(*charset); err != nil {
		fmt.Fprintf(stderr, "print-test: --charset: %v\n", err)
		return exitLocal
	}
	if o.profile.QR, err = printer.ParseQRMode(*qr); err != nil {
		fmt.Fprintf(stderr, "print-test: --qr: %v\n", err)
		return exitLocal
	}
	o.profile.FullCut, o.profile.NoCut = false, false
	switch *cut {
	case "partial":
	case "full":
		o.profile.FullCut = true
	case "none":
		o.profile.NoCut = true
	default:
		fmt.Fprintf(stderr, "print-test: --cut %q: want partial, full or none\n", *cut)
		return exitLocal
	}
	if err := o.profile.Validate(); err != nil {
		fmt.Fprintf(stderr, "print-test: %v\n", err)
		return exitLocal
	}
	o.opts.Baud, o.opts.WriteTimeout = *baud, *timeout

	page, err := printer.Layout{Profile: o.profile}.TestPage(time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "print-test: %v\n", err)
		return exitLocal
	}
	if o.drawer {
		page = append(printer.NewEncoder(o.profile).Init().Drawer().Bytes(), page...)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second+*confirm)
	defer cancel()
	tr, err := printer.Open(ctx, t, o.opts)
	if err != nil {
		fmt.Fprintf(stderr, "print-test: %v\n", err)
		return exitLocal
	}
	defer tr.Close()

	st, err := tr.Status(ctx)
	switch {
	case err != nil:
		fmt.Fprintf(stdout, "printer status: no answer (%v); printing anyway\n", err)
	case st.Blocked():
		fmt.Fprintf(stderr, "print-test: printer not ready: %s\n", st)
		return exitLocal
	default:
		fmt.Fprintf(stdout, "printer status: %s\n", st)
	}

	if _, err := tr.Write(page); err != nil {
		fmt.Fprintf(stderr, "print-test: %v\n", err)
		return exitLocal
	}
	// Printed means printed: only when the printer answers after the
	// page's last byte.
	cctx, ccancel := context.WithTimeout(ctx, *confirm)
	st, cerr := tr.Confirm(cctx)
	ccancel()
	if err := tr.Close(); err != nil {
		fmt.Fprintf(stderr, "print-test: close %s: %v\n", t, err)
		return exitLocal
	}
	switch {
	case cerr != nil:
		fmt.Fprintf(stdout, "test page (%d bytes) sent — not confirmed: the printer at %s did not answer after the last byte\n", len(page), t)
	case st.Blocked():
		fmt.Fprintf(stderr, "print-test: test page sent, but the printer reports %s after it\n", st)
		return exitLocal
	default:
		fmt.Fprintf(stdout, "printed a test page (%d bytes) to %s\n", len(page), t)
	}
	if t.Kind == "file" {
		fmt.Fprintln(stdout)
		io.WriteString(stdout, printer.DecodeText(page, o.profile.Cols()))
	}
	return exitDone
}
