package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"posterm/gateway"
	"posterm/gateway/sandbox"
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

// TestGw_CallEveryMethod sends every method through `posterm gw call` to a
// real sandbox on loopback and checks the exit codes 0/2/3.
func TestGw_CallEveryMethod(t *testing.T) {
	run, cfg := gwSandbox(t, "")
	paid, pre, declined := serial("GW-PAY"), serial("GW-PRE"), serial("GW-DECL")
	steps := []struct {
		name   string
		args   []string
		want   int
		code   string // RESULT.CODE of the answer; "" none checked
		check  func(t *testing.T, ans map[string]any)
		before func(t *testing.T)
	}{
		{name: "pay paid", args: []string{"pay", "AMT=12.30", "DYNAMIC_ID=280000000000000012", "CHARGE_CODE=" + paid, "PAY_SUBJECT=tea"},
			want: exitDone, code: "SUCCESS", check: func(t *testing.T, a map[string]any) {
				if str(a, "AMT") != "1230" || str(a, "OPER_ID") != "cashier01" || str(a, "DEV_ID") != "POS-09" {
					t.Errorf("answer: %v", a)
				}
			}},
		{name: "pay declined", args: []string{"sosopay.trade.pay", "AMT=1.00", "DYNAMIC_ID=280000000000000092", "CHARGE_CODE=" + declined, "PAY_SUBJECT=tea"},
			want: exitRefused, code: "FAIL"},
		{name: "pay system fault", args: []string{"pay", "AMT=1.00", "DYNAMIC_ID=280000000000000097", "CHARGE_CODE=" + serial("GW-97"), "PAY_SUBJECT=tea"},
			want: exitUnknown, code: "EXCEPTION"},
		{name: "pay HTTP 503", args: []string{"pay", "AMT=1.00", "DYNAMIC_ID=280000000000000095", "CHARGE_CODE=" + serial("GW-95"), "PAY_SUBJECT=tea"},
			want: exitUnknown},
		{name: "pay connection dropped", args: []string{"pay", "AMT=1.00", "DYNAMIC_ID=280000000000000094", "CHARGE_CODE=" + serial("GW-94"), "PAY_SUBJECT=tea"},
			want: exitUnknown},
		{name: "pay short code", args: []string{"pay", "AMT=1.00", "DYNAMIC_ID=2800", "CHARGE_CODE=" + serial("GW-S"), "PAY_SUBJECT=tea"},
			want: exitRefused, code: "ILLEGAL_PARAMETER"},
		{name: "precreate", args: []string{"precreate", "AMT=5.00", "CHANNEL_TYPE=2", "CHARGE_CODE=" + pre, "PAY_SUBJECT=QR", "TIME_EXPIRE=600"},
			want: exitDone, code: "SUCCESS", check: func(t *testing.T, a map[string]any) {
				if !strings.Contains(str(a, "BAR_CODE"), sandbox.QRPathPrefix) {
					t.Errorf("BAR_CODE %q", str(a, "BAR_CODE"))
				}
			}},
		{name: "query pending", args: []string{"query", "CHARGE_CODE=" + pre}, want: exitDone, code: "SUCCESS",
			check: func(t *testing.T, a map[string]any) {
				if str(a, "STATE") != "0" {
					t.Errorf("STATE %q, want 0", str(a, "STATE"))
				}
			}},
		{name: "query paid", args: []string{"sosopay.trade.query", "CHARGE_CODE=" + paid}, want: exitDone, code: "SUCCESS",
			check: func(t *testing.T, a map[string]any) {
				if str(a, "STATE") != "1" || str(a, "AMT") != "1230" {
					t.Errorf("answer: %v", a)
				}
			}},
		{name: "query nonexistent", args: []string{"query", "CHARGE_CODE=GW-NONE"}, want: exitRefused, code: "CHARGE_NONEXISTENT"},
		{name: "refund part", args: []string{"refund", "CHARGE_REFUND_FEE=2.30", "REFUND_SUBJECT=damaged", "CHARGE_CODE=" + paid, "OUT_REFUND_NO=" + paid + "-R1"},
			want: exitDone, code: "SUCCESS", check: func(t *testing.T, a map[string]any) {
				if str(a, "AMT") != "230" {
					t.Errorf("AMT %q, want 230", str(a, "AMT"))
				}
			}},
		{name: "refund too much", args: []string{"refund", "CHARGE_REFUND_FEE=100.00", "REFUND_SUBJECT=x", "CHARGE_CODE=" + paid, "OUT_REFUND_NO=" + paid + "-R2"},
			want: exitRefused, code: "AMT_ERROR"},
		{name: "cancel pending", args: []string{"cancel", "CHARGE_CODE=" + pre}, want: exitDone, code: "SUCCESS"},
		{name: "cancel refunded", args: []string{"cancel", "CHARGE_CODE=" + paid}, want: exitRefused, code: "FAIL"},
		{name: "cancel unseen", args: []string{"cancel", "CHARGE_CODE=GW-UNSEEN"}, want: exitRefused, code: "CHARGE_NONEXISTENT"},
		{name: "pay after tombstone", args: []string{"pay", "AMT=1.00", "DYNAMIC_ID=280000000000000012", "CHARGE_CODE=GW-UNSEEN", "PAY_SUBJECT=tea"},
			want: exitRefused, code: "SERIAL_REPEAT"},
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
	if l := run.Server.Ledger(); len(l.RevokedSerials) != 1 || l.RevokedSerials[0] != "GW-UNSEEN" {
		t.Errorf("revoked serials: got %v, want [GW-UNSEEN]", l.RevokedSerials)
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
	code, stdout, stderr := gwRun(t, "gw", "call", "--config", cfg, "pay", "AMT=1.00", "DYNAMIC_ID=134214903060794712",
		"CHARGE_CODE="+serial("GW-MASK"), "PAY_SUBJECT=tea")
	if code != exitDone {
		t.Fatalf("exit %d; stderr %s", code, stderr)
	}
	if !strings.Contains(stderr, "DYNAMIC_ID="+gateway.MaskCode("134214903060794712")) || strings.Contains(stderr, "134214903060794712") {
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
