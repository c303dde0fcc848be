package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"posterm/pos"
)

// Credentials, shared by login, pay, precreate, cancel and refund: who
// operates a command, from flags, the environment or a prompt (env.Ask).

// credentials are a login given by flags, the environment or a prompt.
// The password is only ever passed to the gateway's login.
type credentials struct {
	user, password string
}

// addCredentials registers --user and --password on fs; whose names the
// person ("the manager's").
func addCredentials(fs *flag.FlagSet, whose string) *credentials {
	c := &credentials{}
	fs.StringVar(&c.user, "user", "", whose+" login name (default $POSTERM_USER)")
	fs.StringVar(&c.password, "password", "", "the password (default $POSTERM_PASSWORD, else a prompt on the terminal;\n"+
		"a flag is visible to other users of the machine: prefer the variable or the prompt)")
	return c
}

// resolve completes c from POSTERM_USER and POSTERM_PASSWORD, then — for
// what is still missing and only on a terminal — from a prompt: the user
// name when askUser, and the password of a known user, without echo.
func (c *credentials) resolve(askUser bool, ask func(prompt string, secret bool) (string, bool, error)) error {
	if c.user == "" {
		c.user = os.Getenv("POSTERM_USER")
	}
	if c.password == "" && (c.user == "" || c.user == os.Getenv("POSTERM_USER")) {
		c.password = os.Getenv("POSTERM_PASSWORD")
	}
	if c.user == "" && askUser {
		u, ok, err := ask("User: ", false)
		if err != nil {
			return fmt.Errorf("reading the user name: %w", err)
		}
		if ok {
			c.user = strings.TrimSpace(u)
		}
	}
	if c.user != "" && c.password == "" {
		p, ok, err := ask("Password for "+c.user+": ", true)
		if err != nil {
			return fmt.Errorf("reading the password: %w", err)
		}
		if !ok {
			return fmt.Errorf("no password for %s: give --password, set POSTERM_PASSWORD, or run it on a terminal", c.user)
		}
		c.password = p
	}
	return nil
}

// cashierFor is who operates a payment command: the login of c when a user
// name is given (flags or environment; the password prompted on a
// terminal), else [register] oper_id as a cashier who did not log in (no
// amount limit is then known locally: the gateway enforces its own).
// code is the exit code when err is not nil.
func cashierFor(ctx context.Context, a *app, c *credentials, e *env) (pos.Cashier, int, error) {
	if err := c.resolve(false, e.Ask); err != nil {
		return pos.Cashier{}, exitLocal, err
	}
	if c.user != "" {
		cash, err := a.checkout.Login(ctx, c.user, c.password)
		if err != nil {
			return pos.Cashier{}, loginExit(err), err
		}
		return cash, exitDone, nil
	}
	if op := strings.TrimSpace(a.cfg.Register.OperID); op != "" {
		return pos.Cashier{LoginName: op, Role: pos.RoleCashier, CompanyCode: a.cfg.Gateway.BusiID}, exitDone, nil
	}
	if a.sandbox != nil {
		return pos.Cashier{}, exitLocal, fmt.Errorf("%w (the sandbox's: cashier01 / 1234, manager01 / 8888)", errNoCashier)
	}
	return pos.Cashier{}, exitLocal, errNoCashier
}

// errNoCashier: a payment command has no one to record as cashier.
var errNoCashier = errors.New("no cashier: give --user (or POSTERM_USER), or set [register] oper_id")

// loginExit is the exit code of a failed login: 2 when the gateway
// refused it, 1 when it could not be asked.
func loginExit(err error) int {
	if errors.Is(err, pos.ErrGatewayUnreachable) || errors.Is(err, context.Canceled) {
		return exitLocal
	}
	return exitRefused
}

// managerApproval logs in the manager of creds (prompting on a terminal
// for what is missing) and returns who refunds: [register] oper_id as the
// cashier with the manager as approver, or — without oper_id, or when
// oper_id is the manager — the manager alone. code is the exit code when
// err is not nil. Whether the manager may approve is pos's to decide.
func managerApproval(ctx context.Context, a *app, creds *credentials, e *env) (cashier pos.Cashier, approver *pos.Cashier, code int, err error) {
	if err := creds.resolve(true, e.Ask); err != nil {
		return pos.Cashier{}, nil, exitLocal, err
	}
	if creds.user == "" {
		return pos.Cashier{}, nil, exitLocal, errors.New("a manager's login is required: give --user and --password, set POSTERM_USER and POSTERM_PASSWORD, or run it on a terminal")
	}
	mgr, err := a.checkout.Login(ctx, creds.user, creds.password)
	if err != nil {
		return pos.Cashier{}, nil, loginExit(err), err
	}
	if op := strings.TrimSpace(a.cfg.Register.OperID); op != "" && op != mgr.LoginName {
		return pos.Cashier{LoginName: op, Role: pos.RoleCashier, CompanyCode: a.cfg.Gateway.BusiID}, &mgr, exitDone, nil
	}
	return mgr, nil, exitDone, nil
}
