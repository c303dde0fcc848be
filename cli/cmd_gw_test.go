package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"posterm/gateway"
	"posterm/gateway/sandbox"
	"posterm/pos"
)

// gwSandbox starts a fast sandbox on loopback and writes a config file
// pointing at it; it returns the sandbox and the config's path.
func gwSandbox(t testing.TB, extra string) (*sandbox.Running, string) {
	t.Helper()
	run, err := sandbox.Start("127.0.0.1:0", sandbox.Options{TimeScale: 0.001})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run.Close() })
	dir := t.TempDir()
	path := filepath.Join(dir, "posterm.toml")
	cfg := fmt.Sprintf(`[gateway]
url = %q
busi_id = %q
secret = %q
%s
[register]
oper_id = "cashier01"
dev_id = "POS-09"

[journal]
path = %q

[log]
path = %q
`, run.ServiceURL(), sandbox.DemoBusiID, sandbox.DemoSecret, extra, filepath.Join(dir, "posterm.db"), filepath.Join(dir, "posterm.log"))
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return run, path
}

// gwRun runs posterm with args and returns the exit code, stdout and stderr.
func gwRun(t testing.TB, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// answerOf decodes the JSON answer gw call printed.
func answerOf(t testing.TB, stdout string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(stdout), &m); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, stdout)
	}
	return m
}

func str(m map[string]any, path ...string) string {
	var v any = m
	for _, p := range path {
		o, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = o[p]
	}
	s, _ := v.(string)
	return s
}

var gwSerial atomic.Int64

func serial(prefix string) string { return fmt.Sprintf("%s-%d", prefix, gwSerial.Add(1)) }

// TestGw_CallEveryMethod sends every read method through `posterm gw call`
// to a real sandbox on loopback and checks the exit codes 0/2/3; the
// methods that move money (pay, precreate, refund, cancel) are refused with
// the journaled command to use, and nothing reaches the gateway (issue 8,
// case 6).
func TestGw_CallEveryMethod(t *testing.T) {
	run, cfg := gwSandbox(t, "")
	ctx := context.Background()
	gw := sandboxGateway(t, run)
	paid, pre := pos.ChargeCode(serial("GW-PAY")), pos.ChargeCode(serial("GW-PRE"))
	if rep, err := gw.Pay(ctx, pos.PayRequest{ChargeCode: paid, Amount: 1230, DynamicID: "280000000000000012", Subject: "tea"}); err != nil || rep.Outcome != pos.OutcomeDone {
		t.Fatalf("set-up pay: %+v %v", rep, err)
	}
	if rep, err := gw.Precreate(ctx, pos.PrecreateRequest{ChargeCode: pre, Amount: 500, Channel: pos.ChannelWeChat, Subject: "QR"}); err != nil || rep.Outcome != pos.OutcomeDone {
		t.Fatalf("set-up precreate: %+v %v", rep, err)
	}
	steps := []struct {
		name    string
		args    []string
		want    int
		code    string // RESULT.CODE of the answer; "" none checked
		instead string // a refused method: the command named instead
		check   func(t *testing.T, ans map[string]any)
	}{
		{name: "pay refused", args: []string{"pay", "AMT=12.30", "DYNAMIC_ID=280000000000000012", "CHARGE_CODE=" + serial("GW-X"), "PAY_SUBJECT=tea"},
			want: exitLocal, instead: "posterm pay"},
		{name: "pay by full name refused", args: []string{"sosopay.trade.pay", "AMT=1.00", "DYNAMIC_ID=280000000000000012", "CHARGE_CODE=" + serial("GW-X"), "PAY_SUBJECT=tea"},
			want: exitLocal, instead: "posterm pay"},
		{name: "precreate refused", args: []string{"precreate", "AMT=5.00", "CHANNEL_TYPE=2", "CHARGE_CODE=" + serial("GW-X"), "PAY_SUBJECT=QR"},
			want: exitLocal, instead: "posterm precreate"},
		{name: "refund refused", args: []string{"refund", "CHARGE_REFUND_FEE=2.30", "REFUND_SUBJECT=damaged", "CHARGE_CODE=" + string(paid), "OUT_REFUND_NO=" + string(paid) + "-R1"},
			want: exitLocal, instead: "posterm refund " + "CHARGE_CODE"},
		{name: "cancel refused", args: []string{"cancel", "CHARGE_CODE=" + string(paid)}, want: exitLocal, instead: "posterm cancel CHARGE_CODE"},
		{name: "cancel unseen refused", args: []string{"sosopay.trade.cancel", "CHARGE_CODE=GW-UNSEEN"}, want: exitLocal, instead: "posterm cancel"},
		{name: "query pending", args: []string{"query", "CHARGE_CODE=" + string(pre)}, want: exitDone, code: "SUCCESS",
			check: func(t *testing.T, a map[string]any) {
				if str(a, "STATE") != "0" {
					t.Errorf("STATE %q, want 0", str(a, "STATE"))
				}
			}},
		{name: "query paid", args: []string{"sosopay.trade.query", "CHARGE_CODE=" + string(paid)}, want: exitDone, code: "SUCCESS",
			check: func(t *testing.T, a map[string]any) {
				if str(a, "STATE") != "1" || str(a, "AMT") != "1230" {
					t.Errorf("answer: %v", a)
				}
			}},
		{name: "query nonexistent", args: []string{"query", "CHARGE_CODE=GW-NONE"}, want: exitRefused, code: "CHARGE_NONEXISTENT"},
		{name: "batchquery", args: []string{"batchquery", "pageNum=1", "pageSize=2"}, want: exitDone, code: "SUCCESS",
			check: func(t *testing.T, a map[string]any) {
				if str(a, "chargesSize") != "2" {
					t.Errorf("chargesSize %q, want 2", str(a, "chargesSize"))
				}
			}},
		{name: "channels", args: []string{"sosopay.channel.list"}, want: exitDone, code: "SUCCESS"},
		{name: "login manager", args: []string{"login", "username=manager01", "password=8888"}, want: exitDone,
			check: func(t *testing.T, a map[string]any) {
				if str(a, "success") != "true" || str(a, "user", "userType") != "2" {
					t.Errorf("answer: %v", a)
				}
			}},
		{name: "login wrong password", args: []string{"sosoauth.login", "username=cashier01", "password=9999"}, want: exitRefused,
			check: func(t *testing.T, a map[string]any) {
				if str(a, "success") != "false" {
					t.Errorf("answer: %v", a)
				}
			}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			code, stdout, stderr := gwRun(t, append([]string{"gw", "call", "--config", cfg}, st.args...)...)
			if code != st.want {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", code, st.want, stdout, stderr)
			}
			if strings.Contains(stdout+stderr, sandbox.DemoSecret) {
				t.Errorf("the secret was printed")
			}
			if strings.Contains(stderr, "280000000000000012") || strings.Contains(stderr, "password=8888") {
				t.Errorf("stderr shows a whole payment code or a password:\n%s", stderr)
			}
			if st.instead != "" {
				if stdout != "" || !strings.Contains(stderr, "moves money") || !strings.Contains(stderr, st.instead) {
					t.Errorf("refusal: stdout %q, stderr %q; want the command %q named", stdout, stderr, st.instead)
				}
				return
			}
			if stdout == "" {
				if st.want != exitUnknown {
					t.Fatalf("no answer printed; stderr %s", stderr)
				}
				return
			}
			a := answerOf(t, stdout)
			if st.code != "" && str(a, "RESULT", "CODE") != st.code {
				t.Errorf("RESULT.CODE %q, want %q", str(a, "RESULT", "CODE"), st.code)
			}
			if st.check != nil {
				st.check(t, a)
			}
		})
	}
	// Nothing the refused calls asked for happened at the gateway.
	l := run.Server.Ledger()
	if len(l.RevokedSerials) != 0 {
		t.Errorf("revoked serials: got %v, want none", l.RevokedSerials)
	}
	if lt, ok := ledgerTxn(l, paid); !ok || lt.State != 1 || lt.RefundedFen != 0 {
		t.Errorf("the paid charge at the gateway: %+v; want STATE 1, nothing refunded", lt)
	}
	if n := len(l.Transactions); n != 2 {
		t.Errorf("%d transactions at the gateway, want the 2 of the set-up", n)
	}
}

func TestGw_CallFormats(t *testing.T) {
	_, cfg := gwSandbox(t, "format = \"xml\"\nencrypt = false")
	for _, tt := range []struct {
		flags    []string
		wantEcho string
	}{
		{nil, "_type=xml, plain"},
		{[]string{"--format", "json"}, "_type=json, plain"},
		{[]string{"--encrypt"}, "_type=xml, 3DES"},
		{[]string{"--format", "json", "--encrypt"}, "_type=json, 3DES"},
		{[]string{"--format=xml", "--no-encrypt"}, "_type=xml, plain"},
	} {
		t.Run(strings.Join(tt.flags, " "), func(t *testing.T) {
			// Flags may also follow the method and its fields.
			args := append([]string{"gw", "call", "--config", cfg, "query", "CHARGE_CODE=GW-FMT"}, tt.flags...)
			code, stdout, stderr := gwRun(t, args...)
			if code != exitRefused {
				t.Fatalf("exit %d, want %d; stderr %s", code, exitRefused, stderr)
			}
			if !strings.Contains(stderr, tt.wantEcho) {
				t.Errorf("echo lacks %q:\n%s", tt.wantEcho, stderr)
			}
			if a := answerOf(t, stdout); str(a, "RESULT", "CODE") != "CHARGE_NONEXISTENT" {
				t.Errorf("answer %v", a)
			}
		})
	}
	code, _, stderr := gwRun(t, "gw", "call", "--config", cfg, "--encrypt", "--no-encrypt", "channels")
	if code != exitLocal || !strings.Contains(stderr, "not both") {
		t.Errorf("--encrypt --no-encrypt: exit %d, stderr %s", code, stderr)
	}
	code, _, stderr = gwRun(t, "gw", "call", "--config", cfg, "--format", "yaml", "channels")
	if code != exitLocal || !strings.Contains(stderr, "yaml") {
		t.Errorf("--format yaml: exit %d, stderr %s", code, stderr)
	}
}

func TestGw_CallMasksTheEcho(t *testing.T) {
	_, cfg := gwSandbox(t, "")
	code, stdout, stderr := gwRun(t, "gw", "call", "--config", cfg, "query", "CHARGE_CODE="+serial("GW-MASK"), "DYNAMIC_ID=134214903060794712")
	if code != exitRefused {
		t.Fatalf("exit %d; stderr %s", code, stderr)
	}
	if !strings.Contains(stderr, "DYNAMIC_ID="+pos.MaskCode("134214903060794712")) || strings.Contains(stderr, "134214903060794712") {
		t.Errorf("echo does not mask DYNAMIC_ID:\n%s", stderr)
	}
	if strings.Contains(stdout, sandbox.DemoSecret) || strings.Contains(stderr, sandbox.DemoSecret) {
		t.Error("the secret was printed")
	}
	code, _, stderr = gwRun(t, "gw", "call", "--config", cfg, "login", "username=cashier01", "password=1234")
	if code != exitDone || strings.Contains(stderr, "1234") || !strings.Contains(stderr, "password=********") {
		t.Errorf("login: exit %d, echo does not hide the password:\n%s", code, stderr)
	}
	code, stdout, stderr = gwRun(t, "gw", "call", "--config", cfg, "--quiet", "channels")
	if code != exitDone || stderr != "" || !strings.Contains(stdout, "PAY_CHANNEL_LIST") {
		t.Errorf("--quiet: exit %d, stderr %q, stdout %s", code, stderr, stdout)
	}
}

func TestGw_CallJSON(t *testing.T) {
	_, cfg := gwSandbox(t, "")
	code, stdout, stderr := gwRun(t, "gw", "call", "--config", cfg, "--json", "query", "CHARGE_CODE=GW-J")
	if code != exitRefused {
		t.Fatalf("exit %d; stderr %s", code, stderr)
	}
	var res gwResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if res.Method != gateway.MethodQuery || res.Outcome != "refused" || res.Code != "CHARGE_NONEXISTENT" || res.HTTPStatus != 200 ||
		!strings.Contains(string(res.Answer), "CHARGE_NONEXISTENT") {
		t.Errorf("got %+v", res)
	}
}

func TestGw_CallURLOverrideAndNoAnswer(t *testing.T) {
	run, _ := gwSandbox(t, "")
	// A config pointing at a port nobody listens on.
	dead, deadCfg := gwSandbox(t, "")
	dead.Close()
	code, stdout, stderr := gwRun(t, "gw", "call", "--config", deadCfg, "channels")
	if code != exitUnknown || stdout != "" || !strings.Contains(stderr, "unknown") {
		t.Errorf("dead gateway: exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	code, _, stderr = gwRun(t, "gw", "call", "--config", deadCfg, "--url", run.ServiceURL(), "channels")
	if code != exitDone {
		t.Errorf("--url: exit %d, stderr %s", code, stderr)
	}
}

func TestGw_CallDemo(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := gwRun(t, "gw", "call", "--demo", "--data-dir", dir, "login", "username=disabled01", "password=0000")
	if code != exitDone {
		t.Fatalf("exit %d; stderr %s", code, stderr)
	}
	if a := answerOf(t, stdout); str(a, "user", "loginFlag") != "0" {
		t.Errorf("answer %v", a)
	}
	if _, err := os.Stat(filepath.Join(dir, "sandbox-demo.json")); err == nil {
		t.Error("gw call --demo wrote the demo's sandbox state file")
	}
}

func TestGw_Usage(t *testing.T) {
	code, _, stderr := gwRun(t, "gw", "call", "--config", "/nonexistent.toml", "sosopay.trade.nosuch")
	if code != exitLocal {
		t.Errorf("unknown method: exit %d, want %d", code, exitLocal)
	}
	for _, m := range gateway.Methods {
		if !strings.Contains(stderr, m) {
			t.Errorf("unknown method: the list lacks %s:\n%s", m, stderr)
		}
	}
	code, stdout, _ := gwRun(t, "gw", "methods")
	if code != exitDone || strings.Count(stdout, "sosopay.")+strings.Count(stdout, "sosoauth.") != 8 {
		t.Errorf("gw methods: exit %d\n%s", code, stdout)
	}
	if code, _, _ := gwRun(t, "gw"); code != exitLocal {
		t.Errorf("gw: exit %d, want %d", code, exitLocal)
	}
	if code, _, _ := gwRun(t, "gw", "call"); code != exitLocal {
		t.Errorf("gw call: exit %d, want %d", code, exitLocal)
	}
	code, _, stderr = gwRun(t, "gw", "call", "--config", "/nonexistent.toml", "query", "CHARGE_CODE")
	if code != exitLocal || !strings.Contains(stderr, "FIELD=VALUE") {
		t.Errorf("bad field: exit %d, stderr %s", code, stderr)
	}
	t.Setenv("POSTERM_CONFIG", "")
	code, _, stderr = gwRun(t, "gw", "call", "channels")
	if code != exitLocal || !strings.Contains(stderr, "no configuration") {
		t.Errorf("no config: exit %d, stderr %s", code, stderr)
	}
}

// FuzzGwCallParams feeds `gw call` arbitrary words: the FIELD=VALUE parser
// never panics, and a method that moves money is refused whatever follows
// it, before any configuration is read or anything is sent.
func FuzzGwCallParams(f *testing.F) {
	for _, s := range []string{"query CHARGE_CODE=A", "pay AMT=1.00 DYNAMIC_ID=280000000000000012 CHARGE_CODE=X PAY_SUBJECT=t",
		"sosopay.trade.refund CHARGE_REFUND_FEE=1 goodsInfos=[{\"a\":1}]", "cancel CHARGE_CODE==", "login username=a=b password="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Fields(s)
		if ps, err := gateway.ParseParams(args); err == nil {
			for _, p := range ps {
				if p.Name == "" {
					t.Fatalf("a field without a name from %q", s)
				}
			}
		}
		if len(args) == 0 {
			return
		}
		m, ok := lookupGwMethod(args[0])
		if !ok || m.instead == "" {
			return
		}
		for _, a := range args {
			if strings.HasPrefix(a, "-") {
				return // a flag (-h, --url …) is the flag parser's business
			}
		}
		code, stdout, stderr := gwRun(t, append([]string{"gw", "call", "--config", "/nonexistent.toml"}, args...)...)
		if code != exitLocal || stdout != "" || !strings.Contains(stderr, "moves money") {
			t.Fatalf("%q: exit %d, stdout %q, stderr %q; want the refusal", s, code, stdout, stderr)
		}
	})
}
