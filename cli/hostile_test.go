package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"posterm/gateway"
	"posterm/gateway/sandbox"
	"posterm/gateway/sandbox/hostile"
	"posterm/pos"
)

// The hostile-gateway tests (issue 8, cases 3, 4, 7, 9) run `posterm CMD`
// against the sandbox through hostile.Proxy, which re-signs (and
// re-encrypts) the answers it rewrites, so the client reads well-formed
// answers that lie. The sandbox's ledger is the truth they are held to.

// hostileEnv is a register whose gateway URL is a hostile proxy in front of
// a fresh sandbox; answers are JSON, encrypted with 3DES.
func hostileEnv(t *testing.T) (*posEnv, *hostile.Proxy) {
	t.Helper()
	sb := startTestSandbox(t, testScale)
	hp, err := hostile.New(sb.ServiceURL(), sandbox.DemoSecret)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hp.Close)
	e := newPosEnv(t, sb, testCheckout)
	b, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	cfg := regexp.MustCompile(`(?m)^url = ".*"$`).ReplaceAllString(string(b), `url = "`+hp.URL+`"`)
	cfg = strings.Replace(cfg, "[gateway]\n", "[gateway]\nformat = \"json\"\nencrypt = true\n", 1)
	if err := os.WriteFile(e.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	e.noTerminal()
	return e, hp
}

// setResult rewrites an answer's RESULT.
func setResult(ans map[string]any, code, info string) {
	ans["RESULT"] = map[string]any{"CODE": code, "INFO": info}
}

func (e *posEnv) logText(t *testing.T) string {
	t.Helper()
	b, _ := os.ReadFile(filepath.Join(e.dir, "posterm.log"))
	return string(b)
}

// Case 3: SUCCESS with AMT 1.00 for a ¥100.00 pay is never journaled or
// printed as paid on that answer.
func TestHostile_PayAnswerWithAnotherAmount(t *testing.T) {
	lie := func(req, ans map[string]any) map[string]any {
		if hostile.Str(ans, "AMT") != "" {
			ans["AMT"] = "100" // fen: ¥1.00
		}
		return ans
	}
	t.Run("QuerySettlesIt", func(t *testing.T) {
		e, hp := hostileEnv(t)
		hp.On(gateway.MethodPay, lie)
		code, stdout, stderr := e.run(t, "pay", "--amount", "100.00", "--code", walletCode("28", "11"), "--json")
		if code != exitDone {
			t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
		}
		tx := decodeTx(t, stdout)
		if tx.State != pos.StatePaid || tx.Amount != 10000 {
			t.Fatalf("row %s ¥%s; want paid ¥100.00 as the query (the truth) says", tx.State, tx.Amount.Yuan())
		}
		j := e.openJournal(t)
		evs, _ := j.Events(context.Background(), tx.ChargeCode)
		var distrusted bool
		for _, ev := range evs {
			distrusted = distrusted || (ev.To == string(pos.StateUnknown) && strings.Contains(ev.Note, "AMT"))
		}
		if !distrusted {
			t.Errorf("no audit event says the pay answer's AMT was not trusted: %+v", evs)
		}
		if !logField(e.logText(t), "AMT") {
			t.Errorf("the log does not say which field disagreed")
		}
	})
	t.Run("EveryAnswerLies", func(t *testing.T) {
		e, hp := hostileEnv(t)
		hp.On(gateway.MethodPay, lie)
		hp.On(gateway.MethodQuery, lie)
		code, stdout, stderr := e.run(t, "pay", "--amount", "100.00", "--code", walletCode("28", "12"), "--json")
		if code == exitDone {
			t.Fatalf("exit 0 on answers that say ¥1.00 for ¥100.00\n%s\n%s", stdout, stderr)
		}
		tx := decodeTx(t, stdout)
		if tx.State == pos.StatePaid {
			t.Fatalf("journaled paid")
		}
		if tx.Unsettled() && !strings.Contains(tx.LastError, "AMT") {
			t.Errorf("unsettled row's last error %q does not name AMT", tx.LastError)
		}
		// The register gave up and revoked: the money went back.
		if lt, ok := ledgerTxn(fetchLedger(t, e.sb), tx.ChargeCode); !ok || lt.State != 2 {
			t.Errorf("sandbox: %+v; want STATE 2 (revoked)", lt)
		}
	})
}

// logField reports whether a log line names field as the one that disagreed.
func logField(log, field string) bool {
	return strings.Contains(log, "field="+field) || strings.Contains(log, `"field":"`+field+`"`)
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// Case 3, refund: an answer with another amount leaves the refund unknown.
func TestHostile_RefundAnswerWithAnotherAmount(t *testing.T) {
	e, hp := hostileEnv(t)
	code, stdout, _ := e.run(t, "pay", "--amount", "100.00", "--code", walletCode("28", "13"), "--json")
	if code != exitDone {
		t.Fatal("pay failed")
	}
	cc := decodeTx(t, stdout).ChargeCode
	hp.On(gateway.MethodRefund, func(req, ans map[string]any) map[string]any { ans["AMT"] = "10000"; return ans })
	code, stdout, stderr := e.run(t, "refund", string(cc), "--amount", "30.00", "--reason", "damaged",
		"--user", "manager01", "--password", "8888", "--json")
	if code != exitUnknown {
		t.Fatalf("exit %d, want %d (unknown)\n%s\n%s", code, exitUnknown, stdout, stderr)
	}
	j := e.openJournal(t)
	rs, _ := j.ListRefunds(context.Background(), pos.RefundFilter{ChargeCode: cc})
	if len(rs) != 1 || rs[0].State != pos.RefundUnknown || !strings.Contains(rs[0].LastError, "AMT") {
		t.Fatalf("refunds %+v; want one unknown naming AMT", rs)
	}
	if tx, _ := j.Get(context.Background(), cc); tx.State != pos.StatePaid || tx.Refunded != 0 {
		t.Errorf("charge %s refunded %d; want paid, nothing counted refunded yet", tx.State, tx.Refunded)
	}
}

// Case 4: the first refund attempt refunded but its answer was lost; the
// retry is answered SERIAL_REPEAT. Unknown until the reconciler's query
// settles it as done — never refused, never refunded twice.
func TestHostile_RefundRetryAnsweredSerialRepeat(t *testing.T) {
	e, hp := hostileEnv(t)
	code, stdout, _ := e.run(t, "pay", "--amount", "100.00", "--code", walletCode("28", "14"), "--json")
	if code != exitDone {
		t.Fatal("pay failed")
	}
	cc := decodeTx(t, stdout).ChargeCode
	hp.Drop(gateway.MethodRefund, 1)
	code, stdout, stderr := e.run(t, "refund", string(cc), "--amount", "30.00", "--reason", "damaged",
		"--user", "manager01", "--password", "8888", "--json")
	if code != exitUnknown {
		t.Fatalf("refund with a lost answer: exit %d\n%s\n%s", code, stdout, stderr)
	}
	hp.On(gateway.MethodRefund, func(req, ans map[string]any) map[string]any {
		setResult(ans, "SERIAL_REPEAT", "OUT_REFUND_NO already used")
		delete(ans, "AMT")
		return ans
	})
	code, stdout, stderr = e.run(t, "reconcile", "--now", "--once")
	if code != exitDone {
		t.Logf("reconcile: exit %d\n%s\n%s", code, stdout, stderr)
	}
	j := e.openJournal(t)
	rs, _ := j.ListRefunds(context.Background(), pos.RefundFilter{ChargeCode: cc})
	if len(rs) != 1 || rs[0].State != pos.RefundDone {
		t.Fatalf("refunds %+v; want one done", rs)
	}
	if tx, _ := j.Get(context.Background(), cc); tx.State != pos.StatePartiallyRefunded || tx.Refunded != 3000 {
		t.Errorf("charge %s refunded %d; want partially_refunded 3000", tx.State, tx.Refunded)
	}
	if lt, _ := ledgerTxn(fetchLedger(t, e.sb), cc); lt.RefundedFen != 3000 || len(lt.Refunds) != 1 {
		t.Errorf("sandbox refunded %d in %d refunds; want 3000 in 1", lt.RefundedFen, len(lt.Refunds))
	}
}

// Case 7: manager01's login answer replayed to cashier01's login grants
// nothing: the refund is refused and nothing moves.
func TestHostile_ReplayedLoginAnswer(t *testing.T) {
	e, hp := hostileEnv(t)
	code, stdout, _ := e.run(t, "pay", "--amount", "100.00", "--code", walletCode("28", "15"), "--json")
	if code != exitDone {
		t.Fatal("pay failed")
	}
	cc := decodeTx(t, stdout).ChargeCode
	// Record a manager's login answer as it passed the proxy.
	c, err := gateway.New(gateway.Config{URL: hp.URL, BusiID: sandbox.DemoBusiID, Secret: sandbox.DemoSecret,
		OperID: "cashier01", DevID: "POS-T", Format: gateway.FormatJSON, Encrypt: true})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := gateway.ForPOS(c).Login(context.Background(), "manager01", "8888"); err != nil || !r.Success {
		t.Fatalf("manager login: %+v %v", r, err)
	}
	recorded := hp.Last(gateway.MethodLogin, "username", "manager01")
	if recorded == nil {
		t.Fatal("the proxy recorded no manager login answer")
	}
	hp.On(gateway.MethodLogin, func(req, ans map[string]any) map[string]any { return recorded })

	code, stdout, stderr := e.run(t, "refund", string(cc), "--amount", "30.00", "--reason", "x",
		"--user", "cashier01", "--password", "1234")
	if code == exitDone {
		t.Fatalf("refund authorised by a replayed manager answer\n%s\n%s", stdout, stderr)
	}
	if !strings.Contains(stderr, "does not match") {
		t.Errorf("stderr %q does not say the answer did not match", stderr)
	}
	if lt, _ := ledgerTxn(fetchLedger(t, e.sb), cc); lt.RefundedFen != 0 || lt.State != 1 {
		t.Errorf("sandbox: STATE %d refunded %d; want 1, 0", lt.State, lt.RefundedFen)
	}
	if !logField(e.logText(t), "loginName") {
		t.Errorf("the log does not name loginName")
	}
}

// Case 9: RESULT INFO with escape sequences reaches the CLI inert.
func TestHostile_ResultInfoIsInert(t *testing.T) {
	const evil = "\x1b[2K\r\x1b[32mpaid ¥100.00 (ok)\x1b[0m\x07\u202e"
	for _, jsonOut := range []bool{false, true} {
		name := "Plain"
		if jsonOut {
			name = "JSON"
		}
		t.Run(name, func(t *testing.T) {
			e, hp := hostileEnv(t)
			hp.On(gateway.MethodPay, func(req, ans map[string]any) map[string]any {
				setResult(ans, hostile.Str(ans["RESULT"].(map[string]any), "CODE"), evil)
				return ans
			})
			args := []string{"pay", "--amount", "100.00", "--code", walletCode("28", "92")}
			if jsonOut {
				args = append(args, "--json")
			}
			code, stdout, stderr := e.run(t, args...)
			if code != exitRefused {
				t.Fatalf("exit %d, want %d (declined)\n%q\n%q", code, exitRefused, stdout, stderr)
			}
			for _, bad := range []string{"\x1b", "\x07", "\u202e", `\u001b`, `\u0007`, `\u202e`} {
				if strings.Contains(stdout+stderr, bad) {
					t.Errorf("output holds %q:\n%q\n%q", bad, stdout, stderr)
				}
			}
			if jsonOut {
				var tx pos.Transaction
				if err := json.Unmarshal([]byte(lastLine(stdout)), &tx); err == nil && tx.State != pos.StateDeclined {
					t.Errorf("row %s, want declined", tx.State)
				}
			} else if !strings.Contains(stdout+stderr, "declined") {
				t.Errorf("the output does not say declined:\n%q", stdout+stderr)
			}
			if strings.Contains(e.logText(t), "\x1b") {
				t.Errorf("the log holds an escape sequence")
			}
		})
	}
}

// SERIAL_REPEAT on a pay (issue 8, cases 1 and 4's pay side): taken as ours
// only when the query's answer matches ours — amount, masked wallet code,
// DEV_ID and OPER_ID; otherwise left unsettled, with the reason, and never
// cancelled (the serial may hold another till's sale).
func TestHostile_PayAnsweredSerialRepeat(t *testing.T) {
	serialRepeat := func(req, ans map[string]any) map[string]any {
		return map[string]any{"RESULT": map[string]any{"CODE": "SERIAL_REPEAT", "INFO": "CHARGE_CODE already used"}}
	}
	for _, tt := range []struct {
		name  string
		query hostile.Rule // nil: the truth
		want  pos.State
		field string
	}{
		{"QueryMatchesOurs", nil, pos.StatePaid, ""},
		{"AnotherWalletCode", func(req, ans map[string]any) map[string]any {
			ans["DYNAMIC_ID"] = walletCode("28", "77")
			return ans
		}, pos.StateUnknown, "DYNAMIC_ID"},
		{"AnotherTill", func(req, ans map[string]any) map[string]any { ans["DEV_ID"] = "POS-99"; return ans }, pos.StateUnknown, "DEV_ID"},
		{"AnotherCashier", func(req, ans map[string]any) map[string]any { ans["OPER_ID"] = "cashier99"; return ans }, pos.StateUnknown, "OPER_ID"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e, hp := hostileEnv(t)
			hp.Once(gateway.MethodPay, serialRepeat) // the sandbox paid; the answer says the serial was used
			if tt.query != nil {
				hp.On(gateway.MethodQuery, tt.query)
			}
			code, stdout, stderr := e.run(t, "pay", "--amount", "12.00", "--code", walletCode("28", "41"), "--json")
			tx := decodeTx(t, stdout)
			if tx.State != tt.want {
				t.Fatalf("row %s (%q), want %s; exit %d\n%s", tx.State, tx.LastError, tt.want, code, stderr)
			}
			if tt.field == "" {
				return
			}
			if code != exitUnknown || !strings.Contains(tx.LastError, "SERIAL_REPEAT") || !strings.Contains(tx.LastError, tt.field) {
				t.Errorf("exit %d, last error %q; want 3 and the reason naming %s", code, tx.LastError, tt.field)
			}
			for _, x := range hp.Exchanges() {
				if x.Method == gateway.MethodCancel {
					t.Errorf("cancelled a serial whose charge is not ours")
				}
			}
			if lt, _ := ledgerTxn(fetchLedger(t, e.sb), tx.ChargeCode); lt.State != 1 {
				t.Errorf("sandbox STATE %d, want 1 (untouched)", lt.State)
			}
		})
	}
}
