package cli

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"unicode"

	"posterm/device"
)

func init() {
	register(command{
		name:    "scan-test",
		summary: "print each scan from a serial scanner with its classification, until Ctrl-C",
		runEnv:  runScanTest,
	})
}

func runScanTest(e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	conf, err := peekConfig(args)
	if err != nil {
		return fail(stderr, "scan-test", err)
	}
	cfg, err := scannerConfig(conf.Scanner)
	if err != nil {
		return fail(stderr, "scan-test", err)
	}
	fs := flag.NewFlagSet("posterm scan-test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.String("config", "", "config file whose [scanner] section gives the defaults (default: $POSTERM_CONFIG)")
	fs.StringVar(&cfg.Port, "port", cfg.Port, "serial port, e.g. /dev/serial/by-id/… (default: the only one found)")
	fs.IntVar(&cfg.Baud, "baud", cfg.Baud, "line speed in bit/s")
	fs.IntVar(&cfg.DataBits, "data-bits", cfg.DataBits, "data bits: 5, 6, 7 or 8")
	fs.StringVar(&cfg.Parity, "parity", cfg.Parity, "parity: none, odd, even, mark, space")
	fs.StringVar(&cfg.StopBits, "stop-bits", cfg.StopBits, "stop bits: 1, 1.5 or 2")
	term := fs.String("terminator", string(cfg.Terminator), "what ends a code: CR, LF, CRLF, TAB or auto")
	prefix := fs.String("prefix", strconv.Quote(cfg.Prefix), `prefix to strip, with Go escapes, e.g. "\x02"`)
	suffix := fs.String("suffix", strconv.Quote(cfg.Suffix), `suffix to strip, with Go escapes, e.g. "\x03"`)
	fs.DurationVar(&cfg.ReconnectInterval, "reconnect", cfg.ReconnectInterval, "wait between attempts to reopen an absent port")
	fs.BoolVar(&cfg.ModemLines, "modem-lines", cfg.ModemLines, "assert DTR and RTS after opening (some USB-CDC scanners need it)")
	count := fs.Int("count", 0, "stop after this many scans (0: until Ctrl-C)")
	lang := fs.String("lang", "en", "language of the refusal reasons: en or zh-CN")
	verbose := fs.Bool("v", false, "log the reader's details to stderr")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: posterm scan-test [--port PATH] [flags]")
		fmt.Fprintln(stderr, "Prints each code read from a serial scanner (masked: first 4 and last 4)")
		fmt.Fprintln(stderr, "with its length and classification, and every connect and disconnect,")
		fmt.Fprintln(stderr, "until Ctrl-C.")
		fs.PrintDefaults()
	}
	if code, failed := flagsFailed(fs.Parse(args)); failed {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "posterm scan-test: unexpected argument %q\n", fs.Arg(0))
		return exitLocal
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "posterm scan-test: "+format+"\n", a...)
		return exitLocal
	}
	t, err := device.ParseTerminator(*term)
	if err != nil {
		return fail("--%v", err)
	}
	cfg.Terminator = t
	if cfg.Prefix, err = unescapeFlag(*prefix); err != nil {
		return fail("--prefix %s: %v", *prefix, err)
	}
	if cfg.Suffix, err = unescapeFlag(*suffix); err != nil {
		return fail("--suffix %s: %v", *suffix, err)
	}
	if cfg.Port == "" {
		port, err := onlyPort(e.ListPorts)
		if err != nil {
			return fail("%v", err)
		}
		cfg.Port = port
		fmt.Fprintf(stdout, "scan-test: no --port given; using the only port found, %s\n", port)
	}
	if err := cfg.Validate(); err != nil {
		return fail("%v", strings.ReplaceAll(err.Error(), "\n", "\n  "))
	}

	ctx, stop := e.interruptContext()
	defer stop()
	log := slog.New(slog.DiscardHandler)
	if *verbose {
		log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: inertAttr}))
	}
	r, err := device.NewReader(ctx, cfg, log)
	if err != nil {
		return fail("%v", err)
	}
	defer r.Close()
	fmt.Fprintf(stdout, "scan-test: reading %s at %d baud, %d%s%s, terminator %s; Ctrl-C to stop\n",
		cfg.Port, cfg.Baud, cfg.DataBits, strings.ToUpper(cfg.Parity[:1]), cfg.StopBits, cfg.Terminator)

	scans := 0
	for *count == 0 || scans < *count {
		ev, err := r.Read(ctx)
		if err != nil {
			break // Ctrl-C
		}
		switch ev := ev.(type) {
		case device.Connected:
			fmt.Fprintf(stdout, "%s  connected     %s\n", ev.At.Format("15:04:05.000"), ev.Device)
		case device.Disconnected:
			fmt.Fprintf(stdout, "%s  disconnected  %v; retrying every %v\n", ev.At.Format("15:04:05.000"), ev.Err, cfg.ReconnectInterval)
		case device.Scan:
			scans++
			note := ""
			if ev.Cleaned {
				note = "  (control characters dropped: set --prefix/--suffix?)"
			}
			fmt.Fprintf(stdout, "%s  scan          %s  len %d  %s%s\n", ev.At.Format("15:04:05.000"), printable(device.MaskCode(ev.Code)), len(ev.Code), describeScan(ev.Code, *lang), note)
		}
	}
	fmt.Fprintf(stdout, "scan-test: %d scan(s)\n", scans)
	return exitDone
}

// describeScan is the classification column of a scan line.
func describeScan(code, lang string) string {
	c := device.Classify(code)
	switch {
	case c.Reason == device.ReasonNone:
		return c.Kind.String()
	case c.Kind == device.KindRefused:
		return fmt.Sprintf("refused %s: %s", c.Reason, c.Reason.Text(lang))
	}
	return fmt.Sprintf("%s %s: %s", c.Kind, c.Reason, c.Reason.Text(lang))
}

// printable quotes s when it holds control characters, so that an
// unconfigured prefix such as STX shows as \x02 instead of disappearing.
func printable(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

// unescapeFlag reads a prefix or suffix flag: Go escapes, with or without
// the surrounding quotes ("\x02", \x02, STX as a literal string "]Q1").
func unescapeFlag(s string) (string, error) {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return strconv.Unquote(s)
	}
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	return strconv.Unquote(`"` + strings.ReplaceAll(s, `"`, `\"`) + `"`)
}

// onlyPort returns the port to use when none is configured: the one
// device found (by its by-id name when it has one) by list.
func onlyPort(list func() ([]device.PortInfo, error)) (string, error) {
	ports, err := list()
	if err != nil {
		return "", fmt.Errorf("no --port given, and listing ports failed: %w", err)
	}
	seen := map[string]string{} // device → best name
	for _, p := range ports {
		if _, ok := seen[p.Device]; !ok || p.ByID == p.Path {
			seen[p.Device] = p.Path
		}
	}
	switch len(seen) {
	case 0:
		return "", errors.New("no --port given and no serial port found; see posterm devices")
	case 1:
		for _, name := range seen {
			return name, nil
		}
	}
	return "", fmt.Errorf("no --port given and %d ports found; choose one with --port (see posterm devices)", len(seen))
}
