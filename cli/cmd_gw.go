package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"posterm/gateway"
	"posterm/pos"
)

func init() {
	register(command{
		name:    "gw",
		summary: "support tool: send one raw gateway call (gw call METHOD FIELD=VALUE…), list methods (gw methods)",
		runEnv:  runGw,
	})
}

// gwMethod describes one service of WIRE.md §4 for `gw methods` and for
// the short names `gw call` accepts.
type gwMethod struct {
	name, short, summary string
	fields               string // required fields; "[…]" optional; * filled from the config when absent
	// instead, when set, is the journaled command that does what this
	// method does: a support call must not move money behind the journal
	// (issue 8, case 6), so `gw call` refuses the method and names it.
	instead string
}

var gwMethods = []gwMethod{
	{gateway.MethodPay, "pay", "merchant scans the wallet code (§4.2)",
		"BUSI_ID* OPER_ID* DEV_ID* AMT(yuan) DYNAMIC_ID CHARGE_CODE PAY_SUBJECT [MERCHANTPARA REGISTER_ID goodsInfos]",
		"posterm pay --amount YUAN --code WALLET_CODE"},
	{gateway.MethodPrecreate, "precreate", "a QR for the customer to scan (§4.3)",
		"BUSI_ID* OPER_ID* DEV_ID* AMT(yuan) CHANNEL_TYPE CHARGE_CODE PAY_SUBJECT [NODIFY_URL TIME_EXPIRE MERCHANTPARA REGISTER_ID goodsInfos TRADE_TYPE subAppid subOpenid]",
		"posterm precreate --amount YUAN --channel alipay|wechat"},
	{gateway.MethodQuery, "query", "one transaction's STATE (§4.4)",
		"BUSI_ID* CHARGE_CODE [serType]", ""},
	{gateway.MethodCancel, "cancel", "revoke: close a pending one, refund a paid one in full (§4.5)",
		"BUSI_ID* CHARGE_CODE [opType=ACO]", "posterm cancel CHARGE_CODE"},
	{gateway.MethodRefund, "refund", "refund part or all of a paid transaction (§4.6)",
		"BUSI_ID* OPER_ID* DEV_ID* CHARGE_REFUND_FEE(yuan) REFUND_SUBJECT CHARGE_CODE [CHARGE_DOWN_CODE OUT_REFUND_NO]",
		"posterm refund CHARGE_CODE --amount YUAN --reason TEXT"},
	{gateway.MethodBatchQuery, "batchquery", "a page of transactions (§4.7)",
		"busiCode* pageNum pageSize [state beginDate endDate userId channelType chargeCode]", ""},
	{gateway.MethodChannels, "channels", "the merchant's payment channels (§4.8)",
		"BUSI_ID*", ""},
	{gateway.MethodLogin, "login", "cashier login and permissions (§4.9)",
		"username password [busiCode*]", ""},
}

// lookupGwMethod finds a method by its name or short name.
func lookupGwMethod(name string) (gwMethod, bool) {
	for _, m := range gwMethods {
		if name == m.name || name == m.short {
			return m, true
		}
	}
	return gwMethod{}, false
}

func gwUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage:")
	fmt.Fprintln(w, "  posterm gw call [flags] METHOD [FIELD=VALUE …]   send one call, print the answer as JSON")
	fmt.Fprintln(w, "  posterm gw methods                              list the methods and their fields")
	fmt.Fprintln(w, "Only read methods are sent (query, batchquery, channels, login); pay, precreate, refund and cancel")
	fmt.Fprintln(w, "move money and are refused: use the journaled command each names (posterm pay, refund, cancel …).")
	fmt.Fprintln(w, "Exit codes: 0 done, 1 usage or local error (a refused method too), 2 refused, 3 unknown (no readable answer or a gateway fault).")
}

func runGw(e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	if len(args) == 0 {
		gwUsage(stderr)
		return exitLocal
	}
	switch args[0] {
	case "call":
		return runGwCall(e, args[1:])
	case "methods":
		return runGwMethods(e, args[1:])
	case "-h", "--help", "help":
		gwUsage(stdout)
		return exitDone
	}
	fmt.Fprintf(stderr, "posterm gw: unknown subcommand %q\n", args[0])
	gwUsage(stderr)
	return exitLocal
}

func runGwMethods(e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	if len(args) > 0 && args[0] != "-h" && args[0] != "--help" {
		fmt.Fprintf(stderr, "posterm gw methods: unexpected argument %q\n", args[0])
		return exitLocal
	}
	printGwMethods(stdout, true)
	return exitDone
}

func printGwMethods(w io.Writer, withFields bool) {
	for _, m := range gwMethods {
		fmt.Fprintf(w, "  %-25s %-11s %s\n", m.name, m.short, m.summary)
		if m.instead != "" {
			fmt.Fprintf(w, "  %-25s %-11s not sent by gw call (it moves money): use `%s`\n", "", "", m.instead)
		} else if withFields {
			fmt.Fprintf(w, "  %-25s %-11s %s\n", "", "", m.fields)
		}
	}
	if withFields {
		fmt.Fprintln(w, "\n* filled from the config when absent; [optional]. Amounts sent are yuan (\"12.30\"), amounts answered fen (WIRE.md §4.1).")
	}
}

// parseInterspersed parses flags found anywhere among args, so that
// `gw call METHOD F=V --format xml` works too; after "--" everything is an
// argument.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		left := fs.Args()
		if len(left) == 0 {
			return rest, nil
		}
		if i := len(args) - len(left) - 1; i >= 0 && args[i] == "--" {
			return append(rest, left...), nil
		}
		rest = append(rest, left[0])
		args = left[1:]
	}
}

// gwResult is the --json form of a call's outcome.
type gwResult struct {
	Method     string          `json:"method"`
	Outcome    string          `json:"outcome"`
	Code       string          `json:"code,omitempty"`
	Info       string          `json:"info,omitempty"`
	HTTPStatus int             `json:"http_status,omitempty"`
	ElapsedMS  int64           `json:"elapsed_ms"`
	Error      string          `json:"error,omitempty"`
	Answer     json.RawMessage `json:"answer"`
}

func runGwCall(e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	fs := flag.NewFlagSet("posterm gw call", flag.ContinueOnError)
	fs.SetOutput(stderr)
	com := addCommon(fs)
	format := fs.String("format", "", "answer format: json or xml (default: gateway.format)")
	encrypt := fs.Bool("encrypt", false, "encrypt both bodies with 3DES (overrides gateway.encrypt)")
	noEncrypt := fs.Bool("no-encrypt", false, "send and ask for plain bodies (overrides gateway.encrypt)")
	rawURL := fs.String("url", "", "service URL to call instead of gateway.url (no embedded sandbox then)")
	timeout := fs.Duration("timeout", 0, "bound the call (default: gateway.timeout, gateway.pay_timeout for pay)")
	quiet := fs.Bool("quiet", false, "print only the answer: no request echo, no summary")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: posterm gw call [flags] METHOD [FIELD=VALUE …]")
		fmt.Fprintln(stderr, "Sends one call with the configured merchant and prints the decoded answer as JSON.")
		fmt.Fprintln(stderr, "With --demo the call goes to an embedded in-memory sandbox. Methods:")
		printGwMethods(stderr, false)
		fmt.Fprintln(stderr, "Flags:")
		fs.PrintDefaults()
	}
	rest, err := parseInterspersed(fs, args)
	if code, failed := flagsFailed(err); failed {
		return code
	}
	if len(rest) == 0 {
		fs.Usage()
		return exitLocal
	}
	m, ok := lookupGwMethod(rest[0])
	if !ok {
		fmt.Fprintf(stderr, "posterm gw call: unknown method %q; the methods are:\n", rest[0])
		printGwMethods(stderr, false)
		return exitLocal
	}
	if m.instead != "" {
		// Nothing is parsed, echoed or sent: the journal must see every
		// movement of money (issue 8, case 6).
		fmt.Fprintf(stderr, "posterm gw call: %s moves money and is not sent by a support call; use `%s`, which journals it\n",
			m.name, m.instead)
		return exitLocal
	}
	params, err := gateway.ParseParams(rest[1:])
	if err != nil {
		return fail(stderr, "gw call", err)
	}
	if *encrypt && *noEncrypt {
		return fail(stderr, "gw call", errors.New("give --encrypt or --no-encrypt, not both"))
	}

	cfg, err := com.load()
	if err != nil {
		return fail(stderr, "gw call", err)
	}
	logger, closeLog, err := openLog(cfg.Log, stderr)
	if err != nil {
		return fail(stderr, "gw call", err)
	}
	defer closeLog()
	if *rawURL != "" {
		cfg.Gateway.URL = *rawURL
	} else if cfg.Sandbox.Enabled {
		// In memory: a support call must not rewrite the demo's state file
		// under a register that may be running on it.
		cfg.Sandbox.StateFile = ""
		run, c2, err := startSandbox(cfg, "127.0.0.1:0", logger)
		if err != nil {
			return fail(stderr, "gw call", err)
		}
		defer run.Close()
		cfg = c2
	}
	if *format != "" {
		cfg.Gateway.Format = *format
	}
	if *encrypt {
		cfg.Gateway.Encrypt = true
	}
	if *noEncrypt {
		cfg.Gateway.Encrypt = false
	}
	if *timeout > 0 {
		cfg.Gateway.Timeout.Duration = *timeout
		cfg.Gateway.PayTimeout.Duration = *timeout
	}
	client, err := newGatewayClient(cfg, logger)
	if err != nil {
		return fail(stderr, "gw call", err)
	}
	params = fillGwParams(m.name, params, cfg.Register.OperID, cfg.Register.DevID)
	secret := cfg.Gateway.Secret

	if !*quiet {
		enc := "plain"
		if cfg.Gateway.Encrypt {
			enc = gateway.EncryptParam
		}
		fmt.Fprintf(stderr, "→ %s %s (busiCode %s, _type=%s, %s)\n", m.name, redactURL(cfg.Gateway.URL),
			client.BusiID(), strings.ToLower(cfg.Gateway.Format), enc)
		for _, p := range params {
			fmt.Fprintf(stderr, "    %s=%s\n", p.Name, redact(echoValue(p), secret))
		}
	}

	// hide keeps what must not be printed out of our own text (the
	// summary, the --json status); the answer is printed as it came.
	hide := func(s string) string {
		s = redact(s, secret)
		for _, p := range params {
			if v := echoValue(p); v != p.Value && p.Value != "" {
				s = strings.ReplaceAll(s, p.Value, v)
			}
		}
		return s
	}

	ctx, stop := e.interruptContext()
	defer stop()
	n, st := client.Call(ctx, m.name, params)

	var answer []byte
	if n != nil {
		raw, _ := n.MarshalJSON()
		var b bytes.Buffer
		if err := json.Indent(&b, raw, "", "  "); err == nil {
			answer = b.Bytes()
			if secret != "" {
				answer = bytes.ReplaceAll(answer, []byte(secret), []byte("[secret]"))
			}
		}
	}
	if com.jsonOut {
		res := gwResult{Method: m.name, Outcome: st.Outcome.String(), Code: st.Code, Info: hide(st.Info),
			HTTPStatus: st.HTTPStatus, ElapsedMS: st.Elapsed.Milliseconds(), Answer: json.RawMessage("null")}
		if st.Err != nil {
			res.Error = hide(st.Err.Error())
		}
		if answer != nil {
			res.Answer = answer
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(res); err != nil {
			return fail(stderr, "gw call", err)
		}
	} else if answer != nil {
		stdout.Write(answer)
		fmt.Fprintln(stdout)
	}
	if !*quiet {
		fmt.Fprintf(stderr, "← %s in %s\n", hide(st.String()), st.Elapsed.Round(time.Millisecond))
	}
	switch st.Outcome {
	case gateway.OutcomeDone:
		return exitDone
	case gateway.OutcomeRefused:
		return exitRefused
	}
	return exitUnknown
}

// fillGwParams adds OPER_ID and DEV_ID from [register] to the methods that
// carry them, when the command line gave none (BUSI_ID the client adds).
func fillGwParams(method string, ps []gateway.Param, operID, devID string) []gateway.Param {
	switch method {
	case gateway.MethodPay, gateway.MethodPrecreate, gateway.MethodRefund:
	default:
		return ps
	}
	has := func(name string) bool {
		for _, p := range ps {
			if p.Name == name {
				return true
			}
		}
		return false
	}
	var head []gateway.Param
	if operID != "" && !has("OPER_ID") {
		head = append(head, gateway.Param{Name: "OPER_ID", Value: operID})
	}
	if devID != "" && !has("DEV_ID") {
		head = append(head, gateway.Param{Name: "DEV_ID", Value: devID})
	}
	return append(head, ps...)
}

// echoValue is a field as the request echo shows it: a payment code masked,
// a password hidden.
func echoValue(p gateway.Param) string {
	switch {
	case strings.EqualFold(p.Name, "DYNAMIC_ID"):
		return pos.MaskCode(p.Value)
	case strings.EqualFold(p.Name, "password"):
		return "********"
	}
	return p.Value
}

func redact(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "[secret]")
}

// redactURL hides a password in a URL's user info.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	return u.Redacted()
}
