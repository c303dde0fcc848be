package cli

import (
	"flag"
	"io"
	"slices"
	"strings"
	"testing"

	"posterm/gateway"
)

// FuzzGwCallArgs feeds `posterm gw call`'s argument parsing whatever a
// support person (or a script) may type: flags anywhere (parseInterspersed),
// FIELD=VALUE pairs (gateway.ParseParams), the fields filled from the
// config (fillGwParams) and the request echo (echoValue). Arguments are
// the fuzz string split at NUL. It never panics; every pair round-trips; the filled fields only come first and only
// when absent; the echo never shows a whole payment code or a password.
//
// The flag set mirrors runGwCall's (its flags are declared inside it).
func FuzzGwCallArgs(f *testing.F) {
	for _, s := range []string{
		"sosopay.trade.query\x00CHARGE_CODE=POS01-20260101-000001",
		"pay\x00AMT=12.30\x00DYNAMIC_ID=281234567890123456\x00--format\x00xml\x00PAY_SUBJECT=a=b",
		"login\x00userName=manager01\x00password=8888\x00--no-encrypt",
		"refund\x00--timeout=5s\x00CHARGE_CODE=C\x00AMT=1.00\x00REFUND_AMT=0.50\x00OPER_ID=x",
		"query\x00--\x00--format=xml\x00=x",
		"batchquery\x00PageNum=1\x00ChannelType=1\x00_type=json\x00\x00",
		"precreate\x00AMT=1\x00SUBJECT=\x1b[32mpaid\x00--quiet",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		args := strings.Split(in, "\x00")
		fs := flag.NewFlagSet("posterm gw call", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		addCommon(fs)
		fs.String("format", "", "")
		fs.Bool("encrypt", false, "")
		fs.Bool("no-encrypt", false, "")
		fs.String("url", "", "")
		fs.Duration("timeout", 0, "")
		fs.Bool("quiet", false, "")
		rest, err := parseInterspersed(fs, args)
		if err != nil || len(rest) == 0 {
			return
		}
		method := rest[0]
		ps, err := gateway.ParseParams(rest[1:])
		if err != nil {
			if !strings.Contains(err.Error(), "want FIELD=VALUE") {
				t.Fatalf("error %q does not say what is wanted", err)
			}
			return
		}
		if len(ps) != len(rest)-1 {
			t.Fatalf("%d params from %d arguments", len(ps), len(rest)-1)
		}
		for i, p := range ps {
			if p.Name == "" || p.Name+"="+p.Value != rest[i+1] {
				t.Fatalf("param %d %q=%q does not round-trip %q", i, p.Name, p.Value, rest[i+1])
			}
		}
		for _, m := range []string{method, gateway.MethodPay, gateway.MethodRefund, gateway.MethodQuery} {
			filled := fillGwParams(m, slices.Clone(ps), "cashier01", "POS-01")
			head := len(filled) - len(ps)
			if head < 0 || head > 2 || !slices.Equal(filled[head:], ps) {
				t.Fatalf("%s: fillGwParams changed the given fields: %v → %v", m, ps, filled)
			}
			for _, p := range filled[:head] {
				if slices.ContainsFunc(ps, func(q gateway.Param) bool { return q.Name == p.Name }) {
					t.Fatalf("%s: %s filled although given", m, p.Name)
				}
			}
		}
		for _, p := range ps {
			shown := echoValue(p)
			switch {
			case strings.EqualFold(p.Name, "password") && p.Value != "" && strings.Contains(shown, p.Value) && strings.Trim(p.Value, "*") != "":
				t.Fatalf("echo shows the password: %q", shown)
			case strings.EqualFold(p.Name, "DYNAMIC_ID") && len([]rune(p.Value)) > 8 && shown == p.Value:
				t.Fatalf("echo shows the whole payment code: %q", shown)
			}
		}
	})
}
