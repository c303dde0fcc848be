package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"posterm/config"
	"posterm/gateway"
	"posterm/offline"
	"posterm/pos"
	"posterm/printer"
)

func init() {
	register(command{
		name:    "doctor",
		summary: "check an installed till: config, secret, gateway, clock, scanner, printer, journal, disk, backups",
		runEnv:  runDoctor,
	})
}

// Limits of the doctor's checks.
const (
	doctorMaxSkew        = 60 * time.Second // clock vs the gateway's Date header
	doctorMinFreeBytes   = 200 << 20        // free space where the journal lives
	doctorMaxBackupAge   = 48 * time.Hour   // the nightly timer missed one night at most
	doctorMaxUnsettled   = 15 * time.Minute // the reconciler settles rows long before this
	doctorGatewayTimeout = 10 * time.Second
)

// check is one line of the doctor's table.
type check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"` // what to do about a failed check
}

// doctor runs the checks of one configuration. now is the till's clock
// (the clock check compares it with the gateway's); tests skew it.
type doctor struct {
	cfg     config.Config
	cfgErr  error // from loading the configuration; cfg holds what was read
	environ []string
	now     func() time.Time
	log     *slog.Logger
}

func runDoctor(e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	fs := flag.NewFlagSet("posterm doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	com := addCommon(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: posterm doctor [--config FILE] [--json]

Checks everything an installed till needs and says how to fix what fails:
the configuration; the secret (present, not readable by everyone); the
gateway (reachable, our signature accepted: a channel list); the clock
(within 60 s of the gateway's); the scanner and the printer (present,
printer status); the journal (integrity, unsettled rows); free disk; the
age of the last backup. Exit code 0 only when every check passes, else 1.

Flags:
`)
		fs.PrintDefaults()
	}
	if code, failed := flagsFailed(fs.Parse(args)); failed {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(stderr, "doctor", fmt.Sprintf("unexpected argument %q", fs.Arg(0)), fs.Usage)
	}
	cfg, err := com.load()
	d := &doctor{cfg: cfg, cfgErr: err, environ: os.Environ(), now: time.Now, log: slog.New(slog.DiscardHandler)}
	ctx, stop := e.interruptContext()
	defer stop()
	checks := d.run(ctx)
	return d.report(stdout, stderr, checks, com.jsonOut)
}

// run performs every check, in the table's order.
func (d *doctor) run(ctx context.Context) []check {
	out := []check{d.checkConfig(), d.checkSecret()}
	cfg := d.cfg
	if d.cfgErr == nil && cfg.Sandbox.Enabled {
		run, c2, err := startSandbox(cfg, cfg.Sandbox.Listen, d.log)
		if err != nil {
			out = append(out, check{Name: "gateway", Detail: "embedded sandbox: " + err.Error(), Fix: "check [sandbox] listen"})
		} else {
			defer run.Close()
			cfg = c2
		}
	}
	out = append(out, d.checkGateway(ctx, cfg), d.checkClock(ctx, cfg.Gateway.URL),
		d.checkScanner(), d.checkPrinter(ctx))
	out = append(out, d.checkJournal(ctx)...)
	out = append(out, d.checkDisk(), d.checkBackup())
	return out
}

func (d *doctor) report(stdout, stderr io.Writer, checks []check, asJSON bool) int {
	ok := true
	for _, c := range checks {
		ok = ok && c.OK
	}
	code := exitDone
	if !ok {
		code = exitLocal
	}
	if asJSON {
		if err := writeJSON(stdout, struct {
			OK     bool    `json:"ok"`
			Checks []check `json:"checks"`
		}{ok, checks}); err != nil {
			return fail(stderr, "doctor", err)
		}
		return code
	}
	width := 0
	for _, c := range checks {
		width = max(width, len(c.Name))
	}
	for _, c := range checks {
		mark := "✓"
		if !c.OK {
			mark = "✗"
		}
		detail := strings.ReplaceAll(c.Detail, "\n", "\n  "+strings.Repeat(" ", width+2))
		fmt.Fprintf(stdout, "%s %-*s  %s\n", mark, width, c.Name, detail)
		if !c.OK && c.Fix != "" {
			fmt.Fprintf(stdout, "  %-*s  fix: %s\n", width, "", c.Fix)
		}
	}
	if ok {
		fmt.Fprintln(stdout, "\nall checks passed")
	} else {
		fmt.Fprintln(stdout, "\nsome checks failed: fix them in order, then run posterm doctor again")
	}
	return code
}

func (d *doctor) configName() string {
	switch {
	case d.cfg.Path != "":
		return d.cfg.Path
	case d.cfg.Sandbox.Enabled:
		return "the demo profile"
	}
	return "the environment"
}

func (d *doctor) checkConfig() check {
	c := check{Name: "config"}
	if d.cfgErr != nil {
		c.Detail = d.cfgErr.Error()
		c.Fix = "edit the file at the line named above (config.example.toml documents every key); " +
			"an installed till reads /etc/posterm/config.toml"
		if errors.Is(d.cfgErr, os.ErrPermission) || strings.Contains(c.Detail, "permission denied") {
			c.Fix = "run the doctor as the register's user: sudo -u posterm posterm doctor"
		}
		return c
	}
	c.OK, c.Detail = true, d.configName()+" is valid"
	return c
}

// checkSecret finds where the secret comes from and checks that it is
// there and that nobody but root and the posterm group can read it.
func (d *doctor) checkSecret() check {
	c := check{Name: "secret"}
	g := d.cfg.Gateway
	envName := config.EnvName("gateway", "secret")
	switch {
	case g.SecretFile != "":
		fi, err := os.Stat(g.SecretFile)
		if err != nil {
			c.Detail = fmt.Sprintf("secret file %s: %v", g.SecretFile, errors.Unwrap(err))
			c.Fix = fmt.Sprintf("put the merchant's secret in %s: sudo install -m 0640 -g posterm /dev/stdin %s (type it, then Ctrl-D)", g.SecretFile, g.SecretFile)
			return c
		}
		if fi.Mode().Perm()&0o004 != 0 {
			c.Detail = fmt.Sprintf("%s is readable by everyone (mode %04o)", g.SecretFile, fi.Mode().Perm())
			c.Fix = fmt.Sprintf("sudo chmod 0640 %s && sudo chgrp posterm %s", g.SecretFile, g.SecretFile)
			return c
		}
		if fi.Size() == 0 || (d.cfgErr == nil && strings.TrimSpace(g.Secret) == "") {
			c.Detail = g.SecretFile + " is empty"
			c.Fix = fmt.Sprintf("write the merchant's secret into %s (one line)", g.SecretFile)
			return c
		}
		c.OK, c.Detail = true, fmt.Sprintf("in %s (mode %04o)", g.SecretFile, fi.Mode().Perm())
	case envValue(d.environ, envName) != "":
		c.OK, c.Detail = true, "from "+envName
	case g.Secret != "" && d.cfg.Path != "":
		fi, err := os.Stat(d.cfg.Path)
		if err == nil && fi.Mode().Perm()&0o004 != 0 {
			c.Detail = fmt.Sprintf("in %s, which is readable by everyone (mode %04o)", d.cfg.Path, fi.Mode().Perm())
			c.Fix = fmt.Sprintf("move it to /etc/posterm/secret (secret_file) or: sudo chmod 0640 %s", d.cfg.Path)
			return c
		}
		c.OK, c.Detail = true, "in "+d.cfg.Path
	case g.Secret != "" && d.cfg.Sandbox.Enabled:
		c.OK, c.Detail = true, "the sandbox's demo merchant"
	default:
		c.Detail = "no secret configured"
		c.Fix = "put the merchant's secret in /etc/posterm/secret and set [gateway] secret_file = \"/etc/posterm/secret\""
	}
	return c
}

func envValue(environ []string, name string) string {
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

// checkGateway asks for the merchant's channel list: an answer proves the
// gateway is reachable and accepts our signature (WIRE.md §4.8).
func (d *doctor) checkGateway(ctx context.Context, cfg config.Config) check {
	c := check{Name: "gateway"}
	if d.cfgErr != nil {
		c.Detail = "not checked: the configuration is not valid"
		c.Fix = "fix the config first"
		return c
	}
	client, err := newGatewayClient(cfg, d.log)
	if err != nil {
		c.Detail, c.Fix = err.Error(), "check [gateway] in the config"
		return c
	}
	ctx, cancel := context.WithTimeout(ctx, doctorGatewayTimeout)
	defer cancel()
	resp, st := client.Channels(ctx, gateway.ChannelListRequest{})
	switch {
	case st.Done():
		c.OK = true
		c.Detail = fmt.Sprintf("%s answers, signature accepted (%d channels, %d ms)", safeURL(cfg.Gateway.URL), len(resp.PayChannelList), st.Elapsed.Milliseconds())
	case st.Code == gateway.CodeInvalidSign || errors.Is(st.Err, gateway.ErrBadSign) || errors.Is(st.Err, gateway.ErrBadAnswer):
		c.Detail = fmt.Sprintf("%s refuses our signature (%s)", safeURL(cfg.Gateway.URL), pos.CleanText(st.String()))
		c.Fix = "the secret or busi_id is wrong: copy the merchant's secret again into /etc/posterm/secret; check [gateway] busi_id"
	case errors.Is(st.Err, gateway.ErrNoAnswer) || errors.Is(st.Err, gateway.ErrHTTPStatus):
		c.Detail = fmt.Sprintf("%s does not answer (%s)", safeURL(cfg.Gateway.URL), pos.CleanText(st.String()))
		c.Fix = "check the network cable/Wi-Fi and DNS (ping the gateway's host) and [gateway] url"
	default:
		c.Detail = fmt.Sprintf("%s: %s", safeURL(cfg.Gateway.URL), pos.CleanText(st.String()))
		c.Fix = "check [gateway] url, busi_id, format and encrypt against the merchant's settings"
	}
	return c
}

// safeURL drops the query of a URL, where a signature could sit.
func safeURL(u string) string {
	u, _, _ = strings.Cut(u, "?")
	return u
}

// checkClock compares the till's clock with the gateway's HTTP Date
// header, allowing for half the round trip.
func (d *doctor) checkClock(ctx context.Context, url string) check {
	c := check{Name: "clock"}
	if strings.TrimSpace(url) == "" {
		c.Detail, c.Fix = "not checked: no gateway URL", "set [gateway] url"
		return c
	}
	ctx, cancel := context.WithTimeout(ctx, doctorGatewayTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		c.Detail, c.Fix = "not checked: "+err.Error(), "check [gateway] url"
		return c
	}
	sent := d.now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.Detail = "not checked: the gateway does not answer"
		c.Fix = "fix the gateway check first"
		return c
	}
	resp.Body.Close()
	got := d.now()
	date, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		c.Detail = "not checked: the gateway's answer has no Date header"
		c.Fix = "compare the time by hand: date -u"
		return c
	}
	local := sent.Add(got.Sub(sent) / 2)
	skew := local.Sub(date).Round(time.Second)
	if skew < -doctorMaxSkew || skew > doctorMaxSkew {
		c.Detail = fmt.Sprintf("the till's clock is %s off the gateway's (%s UTC there)", skew, date.UTC().Format("2006-01-02 15:04:05"))
		c.Fix = "turn on time sync: sudo timedatectl set-ntp true (or set it: sudo timedatectl set-time 'YYYY-MM-DD HH:MM:SS')"
		return c
	}
	c.OK, c.Detail = true, fmt.Sprintf("within %s of the gateway's", max(skew, -skew)+time.Second)
	return c
}

// checkScanner checks that the configured scanner device is present and
// accessible; a keyboard-wedge scanner has nothing to check.
func (d *doctor) checkScanner() check {
	c := check{Name: "scanner"}
	path, kind := strings.TrimSpace(d.cfg.Scanner.Port), "serial scanner"
	if ev := strings.TrimSpace(d.cfg.Scanner.Evdev); ev != "" {
		path, kind = ev, "USB keyboard scanner (evdev)"
	}
	if path == "" {
		c.OK, c.Detail = true, "keyboard wedge (types into the register; nothing to check)"
		return c
	}
	if err := deviceAccess(path); err != nil {
		c.Detail = fmt.Sprintf("%s %s: %v", kind, path, err)
		c.Fix = "plug the scanner in (posterm devices lists what is there); a model the udev rules do not know: see /usr/lib/udev/rules.d/60-posterm.rules"
		return c
	}
	c.OK, c.Detail = true, fmt.Sprintf("%s %s present", kind, path)
	return c
}

// deviceAccess says whether path exists and this process may read and
// write it, without opening it (the register may hold it open).
func deviceAccess(path string) error {
	if _, err := os.Stat(path); err != nil {
		return errors.Unwrap(err)
	}
	if err := unix.Access(path, unix.R_OK|unix.W_OK); err != nil {
		return fmt.Errorf("%w (the posterm user must be in its group: dialout, lp or input)", err)
	}
	return nil
}

func (d *doctor) checkPrinter(ctx context.Context) check {
	c := check{Name: "printer"}
	tr := strings.TrimSpace(d.cfg.Printer.Transport)
	if tr == "" {
		c.OK, c.Detail = true, "none configured (receipts stay queued in the journal)"
		return c
	}
	target, opts, err := printerTarget(tr, d.cfg.Printer.WriteTimeout.Duration)
	if err != nil {
		c.Detail, c.Fix = "printer.transport: "+err.Error(), "see config.example.toml [printer] transport"
		return c
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	p, err := printer.Open(ctx, target, opts)
	if err != nil {
		c.Detail = fmt.Sprintf("%s: %v", target, err)
		c.Fix = "check the printer's power and cable; then: posterm print-test --transport " + target.String()
		return c
	}
	defer p.Close()
	st, err := p.Status(ctx)
	switch {
	case err != nil:
		c.Detail = fmt.Sprintf("%s: no status answer: %v", target, err)
		c.Fix = "switch the printer off and on; check the cable"
	case st.Blocked():
		c.Detail = fmt.Sprintf("%s: %s", target, st)
		c.Fix = "load paper, close the cover, clear the error; then: posterm print-test"
	case !st.Known:
		c.OK, c.Detail = true, fmt.Sprintf("%s opened (this transport cannot report paper or cover)", target)
	default:
		c.OK, c.Detail = true, fmt.Sprintf("%s: %s", target, st)
	}
	return c
}

// checkJournal checks the journal's integrity and its unsettled rows.
func (d *doctor) checkJournal(ctx context.Context) []check {
	j := check{Name: "journal"}
	u := check{Name: "unsettled"}
	path := d.cfg.Journal.Path
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		j.OK, j.Detail = true, path+" not created yet (the register creates it)"
		u.OK, u.Detail = true, "none"
		return []check{j, u}
	}
	h, err := offline.Inspect(ctx, path)
	if err != nil {
		j.Detail = err.Error()
		j.Fix = "stop the register (sudo systemctl stop posterm) and restore the last good backup: posterm restore FILE"
		u.Detail, u.Fix = "not checked", "fix the journal first"
		return []check{j, u}
	}
	j.OK = true
	j.Detail = fmt.Sprintf("%s: integrity ok, %d transactions, %d refunds, till %s", path,
		h.Report.Rows["transactions"], h.Report.Rows["refunds"], dash(h.TillID))
	u.OK = true
	switch {
	case h.Unsettled == 0:
		u.Detail = "none"
	case d.now().Sub(h.OldestUnsettled) > doctorMaxUnsettled:
		u.OK = false
		u.Detail = fmt.Sprintf("%d charges or refunds without a final outcome, the oldest from %s", h.Unsettled, h.OldestUnsettled.UTC().Format(time.RFC3339))
		u.Fix = "check the gateway, then: posterm reconcile --once"
	default:
		u.Detail = fmt.Sprintf("%d recent, being settled by the register", h.Unsettled)
	}
	return []check{j, u}
}

// checkDisk checks the free space where the journal lives.
func (d *doctor) checkDisk() check {
	c := check{Name: "disk"}
	dir := filepath.Dir(d.cfg.Journal.Path)
	for {
		if _, err := os.Stat(dir); err == nil || dir == filepath.Dir(dir) {
			break
		}
		dir = filepath.Dir(dir)
	}
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		c.Detail, c.Fix = fmt.Sprintf("%s: %v", dir, err), "check the disk: df -h"
		return c
	}
	free := uint64(st.Bavail) * uint64(st.Bsize)
	if free < doctorMinFreeBytes {
		c.Detail = fmt.Sprintf("only %d MiB free on %s", free>>20, dir)
		c.Fix = "free space: sudo journalctl --vacuum-size=100M; remove old files in /var/log; fewer backups (--keep)"
		return c
	}
	c.OK, c.Detail = true, fmt.Sprintf("%d MiB free on %s", free>>20, dir)
	return c
}

// checkBackup checks the age of the newest backup beside the journal.
func (d *doctor) checkBackup() check {
	c := check{Name: "backup"}
	dir := backupDir(d.cfg)
	all, err := offline.Backups(dir)
	var newest time.Time
	for _, p := range all {
		if t, ok := offline.BackupTime(p); ok && t.After(newest) {
			newest = t
		}
	}
	if err != nil || newest.IsZero() {
		c.Detail = "no backup in " + dir
		c.Fix = "sudo -u posterm posterm backup; and keep the nightly timer on: sudo systemctl enable --now posterm-backup.timer"
		return c
	}
	age := d.now().Sub(newest).Round(time.Minute)
	if age > doctorMaxBackupAge {
		c.Detail = fmt.Sprintf("the last backup is %s old (%s)", age, newest.Format(time.RFC3339))
		c.Fix = "check the timer: systemctl status posterm-backup.timer posterm-backup.service"
		return c
	}
	c.OK, c.Detail = true, fmt.Sprintf("last backup %s ago in %s", age, dir)
	return c
}
