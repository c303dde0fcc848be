package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"posterm/config"
	"posterm/pos"
)

// common holds the flags every command that talks to the gateway shares.
type common struct {
	configPath string
	demo       bool
	dataDir    string
	jsonOut    bool
}

// addCommon registers --config, --demo, --data-dir and --json on fs.
func addCommon(fs *flag.FlagSet) *common {
	c := &common{}
	fs.StringVar(&c.configPath, "config", "", "config file (default: $POSTERM_CONFIG)")
	fs.BoolVar(&c.demo, "demo", false, "use the embedded sandbox gateway and the demo merchant")
	fs.StringVar(&c.dataDir, "data-dir", "posterm-demo", "with --demo: where the demo journal, log and receipts live")
	fs.BoolVar(&c.jsonOut, "json", false, "machine-readable output (JSON)")
	return c
}

// load reads the configuration the flags and environment point at:
// the demo profile with --demo, else --config or $POSTERM_CONFIG over the
// defaults, then POSTERM_<SECTION>_<KEY> variables.
func (c *common) load() (config.Config, error) {
	path := c.configPath
	if path == "" {
		path = os.Getenv("POSTERM_CONFIG")
	}
	base := config.Default()
	if c.demo {
		if err := os.MkdirAll(c.dataDir, 0o700); err != nil {
			return base, fmt.Errorf("demo data dir: %w", err)
		}
		base = config.Demo(c.dataDir)
	}
	if path == "" && !c.demo && !envConfigured(os.Environ()) {
		return base, errors.New("no configuration: give --config FILE, set POSTERM_CONFIG or POSTERM_<SECTION>_<KEY> variables, or use --demo (see config.example.toml)")
	}
	cfg, err := config.Load(path, base, os.Environ())
	if err != nil {
		return cfg, err
	}
	// SANDBOX_TIME_SCALE is the sandbox's own variable (WIRE.md §9); it
	// applies to the embedded sandbox too, under [sandbox] time_scale.
	if v := os.Getenv("SANDBOX_TIME_SCALE"); v != "" && os.Getenv("POSTERM_SANDBOX_TIME_SCALE") == "" {
		f, perr := strconv.ParseFloat(v, 64)
		if perr != nil || f <= 0 {
			return cfg, fmt.Errorf("SANDBOX_TIME_SCALE=%q: want a positive number", v)
		}
		cfg.Sandbox.TimeScale = f
	}
	return cfg, nil
}

// envConfigured reports whether environ sets any config key
// (POSTERM_<SECTION>_<KEY>): then no file is needed — a container or a
// test may carry the whole configuration in the environment, and
// config.Load says which required key is still missing.
func envConfigured(environ []string) bool {
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "POSTERM_CONFIG", "POSTERM_USER", "POSTERM_PASSWORD":
			continue
		}
		if strings.HasPrefix(k, "POSTERM_") {
			return true
		}
	}
	return false
}

// openLog opens the JSON log file of cfg and returns a logger with the
// configured level, and a close function. An empty path logs to stderr.
func openLog(cfg config.Log, stderr io.Writer) (*slog.Logger, func(), error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.Level)); err != nil {
		return nil, nil, fmt.Errorf("log level %q: %w", cfg.Level, err)
	}
	w, closeFn, err := logSink(cfg.Path, stderr) // rotated file or the systemd journal
	if err != nil {
		return nil, nil, err
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: inertAttr})), closeFn, nil
}

// inertAttr makes every string of a log line inert (pos.CleanText): the
// message, string values and errors, which may quote the gateway's or a
// scanner's text. It is the log handler's ReplaceAttr: the one central
// place every log line of the commands and the register passes.
func inertAttr(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); pos.CleanText(s) != s {
			a.Value = slog.StringValue(pos.CleanText(s))
		}
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok {
			a.Value = slog.StringValue(pos.CleanText(err.Error()))
		}
	}
	return a
}

// peekConfig finds --config FILE (or POSTERM_CONFIG) in args before the
// command's own flags are parsed, so that a device command can take its
// defaults from the [scanner] or [printer] section. Without either it
// returns the built-in defaults. The command must still declare --config.
func peekConfig(args []string) (config.Config, error) {
	path := os.Getenv("POSTERM_CONFIG")
	for i, a := range args {
		if a == "--" {
			break
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "config" {
			continue
		}
		if hasVal {
			path = val
		} else if i+1 < len(args) {
			path = args[i+1]
		}
	}
	if path == "" {
		return config.Default(), nil
	}
	return config.Load(path, config.Default(), os.Environ())
}

// flagsFailed says what a command does after parsing its flags with err:
// go on (failed false), or return code at once — 0 after -h (the usage is
// printed), 1 after a bad flag (the flag package printed the error).
func flagsFailed(err error) (code int, failed bool) {
	switch {
	case err == nil:
		return 0, false
	case errors.Is(err, flag.ErrHelp):
		return exitDone, true
	default:
		return exitLocal, true
	}
}

// parseSince reads --since: a date in the shop's zone ([register]
// time_zone), or an RFC 3339 time.
func parseSince(s string, zone *time.Location) (time.Time, error) {
	if t, err := time.ParseInLocation("2006-01-02", s, zone); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--since %q: want a date (2006-01-02) or an RFC 3339 time (2006-01-02T15:04:05+08:00)", s)
}

// noNotify is the openApp adjustment of commands that need no payment
// notifications: they leave notify_listen to a register that may be
// running.
func noNotify(cfg *config.Config) { cfg.Gateway.NotifyListen = "" }

// chargeCodeArg parses fs from args (flags may stand anywhere) and the one
// charge code they must name, for the commands that act on one charge
// (query, cancel, refund). When ok is false, exit is the command's exit
// code and the reason was written to stderr.
func chargeCodeArg(fs *flag.FlagSet, args []string, name string, stderr io.Writer) (code pos.ChargeCode, exit int, ok bool) {
	rest, err := parseInterspersed(fs, args)
	if exit, failed := flagsFailed(err); failed {
		return "", exit, false
	}
	if len(rest) != 1 {
		return "", usageError(stderr, name, "give one charge code", fs.Usage), false
	}
	if code, err = pos.ParseChargeCode(rest[0]); err != nil {
		return "", fail(stderr, name, err), false
	}
	return code, exitDone, true
}
