package cli

import (
	"flag"
	"fmt"
	"strings"

	"posterm/pos"
)

func init() {
	register(command{
		name:    "login",
		summary: "log a cashier or manager in at the gateway and print their role and permissions",
		runEnv:  runLogin,
	})
}

func runLogin(e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	fs := flag.NewFlagSet("posterm login", flag.ContinueOnError)
	fs.SetOutput(stderr)
	com := addCommon(fs)
	creds := addCredentials(fs, "the cashier's or manager's")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: posterm login [--user NAME] [--password PW] [--json]

Logs in at the gateway (sosoauth.login, WIRE.md §4.9) and prints the role
(cashier: userType 1; manager: userType 2, may refund and revoke) and the
merchant's flags that decide what the register allows. Nothing is journaled.

Credentials: --user/--password, else POSTERM_USER/POSTERM_PASSWORD, else a
prompt on the terminal (the password is not echoed). The password is never
printed or logged.

Exit codes: 0 logged in, 2 refused (wrong password, disabled, deleted, merchant
not approved), 1 usage error or gateway unreachable.

Flags:
`)
		fs.PrintDefaults()
	}
	if code, failed := flagsFailed(fs.Parse(args)); failed {
		return code
	}
	if fs.NArg() > 0 {
		return usageError(stderr, "login", fmt.Sprintf("unexpected argument %q", fs.Arg(0)), fs.Usage)
	}
	ctx, stop := e.interruptContext()
	defer stop()
	a, done, err := openApp(ctx, com, stderr, noNotify)
	if err != nil {
		return fail(stderr, "login", err)
	}
	defer done()
	if err := creds.resolve(true, e.Ask); err != nil {
		return fail(stderr, "login", err)
	}
	if creds.user == "" {
		return usageError(stderr, "login", "no user: give --user, set POSTERM_USER, or run it on a terminal", nil)
	}
	c, err := a.checkout.Login(ctx, creds.user, creds.password)
	if err != nil {
		fmt.Fprintf(stderr, "posterm login: %v\n", err)
		return loginExit(err)
	}
	v := loginView(c, a.cfg.Gateway.BusiID)
	if com.jsonOut {
		if err := writeJSON(stdout, v); err != nil {
			return fail(stderr, "login", err)
		}
		return exitDone
	}
	fmt.Fprintf(stdout, "%s (%s): %s\n", v.LoginName, v.Name, v.Role)
	fmt.Fprintf(stdout, "  permissions:          %s\n", strings.Join(v.Permissions, ", "))
	fmt.Fprintf(stdout, "  merchant:             %s %s\n", v.CompanyCode, v.CompanyName)
	if !v.ConfiguredMerchant {
		fmt.Fprintf(stdout, "                        (not the configured busi_id %s: refunds are refused)\n", a.cfg.Gateway.BusiID)
	}
	limit := "none given"
	if v.AmountLimitFen > 0 {
		limit = pos.Money(v.AmountLimitFen).Yuan() + " per transaction"
	}
	fmt.Fprintf(stdout, "  amount limit:         %s\n", limit)
	fmt.Fprintf(stdout, "  refunds at the store: %s\n", yesNo(v.RefundAtScene, "allowed", "not allowed (refundAtScene 1)"))
	fmt.Fprintf(stdout, "  goods lines required: %s\n", yesNo(v.UploadGoods, "yes", "no"))
	return exitDone
}

// loginResult is the --json form of a login.
type loginResult struct {
	LoginName          string   `json:"login_name"`
	Name               string   `json:"name"`
	Role               string   `json:"role"` // cashier or manager
	Permissions        []string `json:"permissions"`
	CanRefund          bool     `json:"can_refund"` // userType 2
	CompanyCode        string   `json:"company_code"`
	CompanyName        string   `json:"company_name"`
	ConfiguredMerchant bool     `json:"configured_merchant"` // company code == busi_id
	AmountLimitFen     int64    `json:"amount_limit_fen"`    // 0: none given
	RefundAtScene      bool     `json:"refund_at_scene"`
	UploadGoods        bool     `json:"upload_goods"`
	TimeLimitSeconds   int64    `json:"time_limit_s,omitempty"`
}

// loginView says what c may do at a register of merchant busiID: pay and
// precreate always; refund and revoke with userType 2 at a merchant that
// allows refunds at the store and is the configured one.
func loginView(c pos.Cashier, busiID string) loginResult {
	v := loginResult{
		LoginName: c.LoginName, Name: c.Name, Role: c.Role.String(), CanRefund: c.CanRefund(),
		CompanyCode: c.CompanyCode, CompanyName: c.CompanyName, ConfiguredMerchant: c.CompanyCode == busiID,
		AmountLimitFen: int64(c.AmountLimit), RefundAtScene: c.RefundAtScene, UploadGoods: c.UploadGoods,
		TimeLimitSeconds: int64(c.TimeLimit.Seconds()),
		Permissions:      []string{"pay", "precreate", "query", "cancel"},
	}
	if c.CanRefund() && c.RefundAtScene && v.ConfiguredMerchant {
		v.Permissions = append(v.Permissions, "refund", "revoke", "approve refunds")
	}
	return v
}

func yesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}
