package cli

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"posterm/pos"
	"posterm/printer"
)

func init() {
	register(command{
		name:    "drawer",
		summary: "open the cash drawer outside a sale (audited: who, when, why)",
		runEnv:  runDrawer,
	})
}

// drawerKick is the print job of an explicit drawer opening: the printer
// initialised, then the drawer pulse (ESC p 0 25 250); nothing printed.
func drawerKick(l printer.Layout) []byte {
	return printer.NewEncoder(l.Profile).Init().Drawer().Bytes()
}

func runDrawer(e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	fs := flag.NewFlagSet("posterm drawer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	com := addCommon(fs)
	creds := addCredentials(fs, "who opens the drawer (a manager may omit --reason)")
	reason := fs.String("reason", "", "why the drawer is opened (required for a cashier)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: posterm drawer --reason TEXT [--user NAME] [--password PW] [--json]

Opens the cash drawer outside a sale: the opening is written to the
journal's drawer log (who, when, why) and a print job that is only the
drawer kick is queued in the same transaction; the register's printer
carries it out. A cashier must give a reason; a manager (a login with refund
permission) may leave it out. Who: --user/POSTERM_USER (logged in), else
[register] oper_id as a cashier. Refused when [printer] drawer is off.

Flags:
`)
		fs.PrintDefaults()
	}
	if code, failed := flagsFailed(fs.Parse(args)); failed {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(stderr, "drawer", fmt.Sprintf("unexpected argument %q", fs.Arg(0)), fs.Usage)
	}
	ctx, stop := e.interruptContext()
	defer stop()
	a, done, err := openApp(ctx, com, stderr, noNotify)
	if err != nil {
		return fail(stderr, "drawer", err)
	}
	defer done()
	if !a.layout.Drawer {
		return fail(stderr, "drawer", errors.New("no cash drawer: [printer] drawer is off"))
	}
	who, rc, err := cashierFor(ctx, a, creds, e)
	if err != nil {
		fmt.Fprintf(stderr, "posterm drawer: %v\n", err)
		return rc
	}
	o, err := pos.OpenDrawer(ctx, a.journal, a.register, who, *reason, drawerKick(a.layout), time.Now())
	if errors.Is(err, pos.ErrNeedReason) {
		return usageError(stderr, "drawer", "--reason is required: say why the drawer is opened", fs.Usage)
	}
	if err != nil {
		return fail(stderr, "drawer", err)
	}
	if com.jsonOut {
		if err := writeJSON(stdout, o); err != nil {
			return fail(stderr, "drawer", err)
		}
		return exitDone
	}
	fmt.Fprintf(stdout, "drawer opening %d by %s (%s) queued for the printer (job %d)\n", o.ID, pos.CleanText(o.Who), o.Role, o.JobID)
	return exitDone
}
