package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"posterm/device/devicetest"
	"posterm/pos"
)

// dirty is gateway text as the case 9 had it: a declined pay whose
// RESULT INFO draws "paid ¥100.00 (ok)" in green, then more tricks (a C1
// CSI, a bidi override, a bell, a line break to forge a second row).
const dirty = "\x1b[32mpaid ¥100.00 (ok)\x1b[0m\u009b2J\u202e\a\nforged row"

// controlIn reports the first control character, escape or bidi override in
// s (line breaks, the output's own layout, aside), or "" when s is inert.
func controlIn(s string) string {
	for _, r := range s {
		switch {
		case r == '\n':
		case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return fmt.Sprintf("%U", r)
		}
	}
	return ""
}

// TestHistory_RemoteTextInert (issue 8, case 9 at the CLI): rows journaled
// with the gateway's text as it came are printed inert by `posterm history`,
// as a table and as JSON.
func TestHistory_RemoteTextInert(t *testing.T) {
	sb := startTestSandbox(t, testScale)
	e := newPosEnv(t, sb, testCheckout)
	j := e.openJournal(t)
	ctx := context.Background()
	at := time.Now().Add(-time.Minute)
	mk := func(code pos.ChargeCode, to pos.State, p pos.Patch) {
		t.Helper()
		tx := pos.Transaction{ChargeCode: code, Kind: pos.KindPay, State: pos.StateSending, SaleID: string(code), Register: "DIRTY",
			Amount: 10000, Subject: "sale\u202etxt.exe", Cashier: "cashier01", CreatedAt: at, UpdatedAt: at}
		tx.NextAttemptAt = at
		if err := j.CreateTransaction(ctx, tx, pos.Event{Op: "pay", Who: "cashier01", At: at}); err != nil {
			t.Fatal(err)
		}
		if _, err := j.Transition(ctx, pos.Change{ChargeCode: code, From: pos.StateSending, To: to, Patch: p, At: at,
			NextAttemptAt: at, Event: pos.Event{Op: "pay", Who: "cashier01", Info: dirty}}); err != nil {
			t.Fatal(err)
		}
	}
	mk("DIRTY0000000001", pos.StateDeclined, pos.Patch{ResultCode: "PAY_FAIL\x1b[2K", ResultInfo: dirty})
	mk("DIRTY0000000002", pos.StateUnknown, pos.Patch{LastError: "gateway said " + dirty})

	tests := []struct {
		name  string
		args  []string
		want  []string // inert substrings that must be there
		lines int      // lines of output: a line break in the text forges none
	}{
		{"table", []string{"history"}, []string{"[32mpaid ¥100.00 (ok)[0m2J forged row", "gateway said [32mpaid"}, 3},
		{"unsettled table", []string{"history", "--unsettled"}, []string{"gateway said [32mpaid ¥100.00 (ok)"}, 2},
		{"json", []string{"history", "--json"}, []string{`"result_info": "[32mpaid ¥100.00 (ok)[0m2J forged row"`}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := e.run(t, tt.args...)
			if code != exitDone {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if h := controlIn(stdout + stderr); h != "" {
				t.Errorf("output holds %q:\n%q", h, stdout)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, stdout)
				}
			}
			if n := strings.Count(stdout, "\n"); tt.lines > 0 && n != tt.lines {
				t.Errorf("%d lines, want %d: a line break in the text forged a row:\n%s", n, tt.lines, stdout)
			}
			if tt.lines == 0 {
				var rows []historyRow
				if err := json.Unmarshal([]byte(stdout), &rows); err != nil || len(rows) != 2 {
					t.Fatalf("%d rows, %v", len(rows), err)
				}
				for _, r := range rows {
					if h := controlIn(r.ResultInfo + r.ResultCode + r.LastError + r.Subject); h != "" {
						t.Errorf("%s: JSON field holds %q after decoding", r.ChargeCode, h)
					}
				}
			}
		})
	}
}

func TestInert(t *testing.T) {
	type inner struct {
		Text  string
		Bytes []byte
	}
	type outer struct {
		Name  string
		Ptr   *inner
		List  []inner
		Map   map[string]string
		Any   any
		When  time.Time
		Money pos.Money
		State pos.State
		priv  string
	}
	orig := outer{
		Name: "a\x1bb", Ptr: &inner{Text: "c\u009bd", Bytes: []byte("\x1b")}, List: []inner{{Text: "e\x07f"}},
		Map: map[string]string{"k\x1b": "v\x1b"}, Any: "g\x1bh", When: time.Unix(1, 0), Money: 5, State: pos.StatePaid, priv: "\x1b",
	}
	got := inert(orig)
	want := outer{Name: "ab", Ptr: &inner{Text: "cd", Bytes: []byte("\x1b")}, List: []inner{{Text: "ef"}},
		Map: map[string]string{"k": "v"}, Any: "gh", When: time.Unix(1, 0), Money: 5, State: pos.StatePaid, priv: "\x1b"}
	if got.Name != want.Name || got.Ptr.Text != want.Ptr.Text || got.List[0].Text != "ef" ||
		got.Map["k"] != "v" || got.Any != "gh" || !got.When.Equal(want.When) || got.Money != 5 || got.State != pos.StatePaid {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if string(got.Ptr.Bytes) != "\x1b" {
		t.Errorf("bytes changed: %q", got.Ptr.Bytes)
	}
	// The caller's value is untouched.
	if orig.Name != "a\x1bb" || orig.Ptr.Text != "c\u009bd" || orig.List[0].Text != "e\x07f" || orig.Map["k\x1b"] != "v\x1b" || orig.Any != "g\x1bh" {
		t.Errorf("inert changed its argument: %+v", orig)
	}
}

// TestCLI_ConfigErrors (issue 8, case 10 at the command line): a secret
// pasted into POSTERM_GATEWAY_ENCRYPT is not echoed, and secret_file =
// /dev/zero is refused with the key and the limit instead of exhausting
// memory.
func TestCLI_ConfigErrors(t *testing.T) {
	const secret = "Zq7PASTEDsecretVALUE93xK"
	sb := startTestSandbox(t, testScale)
	tests := []struct {
		name    string
		env     map[string]string
		section string
		want    []string
	}{
		{"secret in the wrong variable", map[string]string{"POSTERM_GATEWAY_ENCRYPT": secret}, "",
			[]string{"environment: POSTERM_GATEWAY_ENCRYPT: want true or false", "not shown"}},
		{"secret_file is /dev/zero", nil, "",
			[]string{"gateway.secret_file: /dev/zero is larger than 4096 bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newPosEnv(t, sb, tt.section)
			if strings.Contains(tt.name, "/dev/zero") {
				// The env's config has a secret; this one reads it from a file.
				b, err := os.ReadFile(e.config)
				if err != nil {
					t.Fatal(err)
				}
				cfg := strings.Replace(string(b), "secret = ", "secret_file = \"/dev/zero\"\n# ", 1)
				if err := os.WriteFile(e.config, []byte(cfg), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			code, stdout, stderr := e.run(t, "history")
			if code != exitLocal {
				t.Fatalf("exit %d, want %d\n%s%s", code, exitLocal, stdout, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if strings.Contains(stdout+stderr, secret) {
				t.Errorf("the secret is echoed:\n%s", stderr)
			}
		})
	}
}

// TestScanTest_NotesDroppedControls: scan-test shows a scanned code inert
// and says that control characters were dropped (an unconfigured prefix).
func TestScanTest_NotesDroppedControls(t *testing.T) {
	p := devicetest.NewPTY(t)
	stdout, stderr, done := startScanTest(t, "--port", p.Path, "--count", "1", "--reconnect", "50ms")
	waitOutput(t, stdout, "connected", 1)
	p.Write([]byte("\x02\x1b[2J281234567890123456\x03\r"))
	if code := waitExit(t, done, stdout, stderr); code != exitDone {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
	}
	out := stdout.String()
	if !strings.Contains(out, "(control characters dropped: set --prefix/--suffix?)") || controlIn(out) != "" {
		t.Errorf("output:\n%q", out)
	}
}
