package cli

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"

	"posterm/gateway/sandbox"
)

func init() {
	register(command{
		name:    "sandbox",
		summary: "run the simulated SOSOPAY gateway (demo merchant, test codes) until Ctrl-C",
		runEnv:  runSandbox,
	})
}

func runSandbox(e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8089", "address to listen on (use 0.0.0.0:PORT for a phone on the LAN)")
	scale := fs.Float64("time-scale", 0, "multiply every delay (default $SANDBOX_TIME_SCALE, else 1)")
	state := fs.String("state", "", "keep the ledger in this JSON file across restarts")
	public := fs.String("public-url", "", "base URL of BAR_CODE links (default: the address requests reach)")
	verbose := fs.Bool("v", false, "log every request to stderr")
	if err := fs.Parse(args); err != nil {
		return exitLocal
	}
	if *scale == 0 {
		*scale = 1
		if v := os.Getenv("SANDBOX_TIME_SCALE"); v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f <= 0 {
				return fail(stderr, "sandbox", fmt.Errorf("SANDBOX_TIME_SCALE=%q: want a positive number", v))
			}
			*scale = f
		}
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level, ReplaceAttr: inertAttr}))
	run, err := sandbox.Start(*listen, sandbox.Options{
		TimeScale: *scale, StatePath: *state, PublicURL: *public, Logger: logger,
	})
	if err != nil {
		return fail(stderr, "sandbox", err)
	}
	defer run.Close()
	fmt.Fprintf(stdout, "sandbox gateway at %s (time scale %g)\n", run.ServiceURL(), *scale)
	fmt.Fprintf(stdout, "  merchant  busi_id %s  secret %s (the vendor's published demo values)\n", sandbox.DemoBusiID, sandbox.DemoSecret)
	for _, u := range sandbox.DemoUsers {
		fmt.Fprintf(stdout, "  login     %-10s / %s  userType %s loginFlag %s\n", u.LoginName, u.Password, u.UserType, u.LoginFlag)
	}
	fmt.Fprintf(stdout, "  ledger    %s%s\n", run.URL, sandbox.LedgerPath)
	fmt.Fprintln(stdout, "  pay codes 18 digits, prefix 28 Alipay / 13 WeChat; last two digits: 00-89 paid,")
	fmt.Fprintln(stdout, "            91 paid after 8 s, 92 declined, 93 closed after 80 s, 94 paid but connection dropped,")
	fmt.Fprintln(stdout, "            95 HTTP 503, 96 paid after 85 s, 97 EXCEPTION")
	fmt.Fprintln(stdout, "Ctrl-C stops it.")
	ctx, stop := e.interruptContext()
	defer stop()
	<-ctx.Done()
	fmt.Fprintln(stdout, "stopping")
	return exitDone
}
