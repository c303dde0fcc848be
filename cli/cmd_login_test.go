package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLogin_RolesAndPermissions(t *testing.T) {
	sb := startTestSandbox(t, testScale)
	e := newPosEnv(t, sb, testCheckout)
	tests := []struct {
		user, password string
		exit           int
		role           string
		canRefund      bool
		stderr         string
	}{
		{"cashier01", "1234", exitDone, "cashier", false, ""},
		{"manager01", "8888", exitDone, "manager", true, ""},
		{"manager01", "xyzzy", exitRefused, "", false, "wrong user name or password"},
		{"disabled01", "0000", exitRefused, "", false, "login disabled"},
		{"nobody", "plugh", exitRefused, "", false, "wrong user name or password"},
	}
	for _, tt := range tests {
		t.Run(tt.user+"/"+tt.password, func(t *testing.T) {
			code, stdout, stderr := e.run(t, "login", "--user", tt.user, "--password", tt.password, "--json")
			if code != tt.exit {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tt.exit, stdout, stderr)
			}
			if strings.Contains(stdout+stderr, tt.password) {
				t.Errorf("the password was printed")
			}
			if tt.exit != exitDone {
				if !strings.Contains(stderr, tt.stderr) {
					t.Errorf("stderr %q, want %q", stderr, tt.stderr)
				}
				return
			}
			var v loginResult
			if err := json.Unmarshal([]byte(stdout), &v); err != nil {
				t.Fatal(err)
			}
			if v.LoginName != tt.user || v.Role != tt.role || v.CanRefund != tt.canRefund || !v.ConfiguredMerchant ||
				v.AmountLimitFen != 500000 || !v.RefundAtScene {
				t.Errorf("got %+v", v)
			}
			hasRefund := strings.Contains(strings.Join(v.Permissions, ","), "refund")
			if hasRefund != tt.canRefund {
				t.Errorf("permissions %v, refund %v want %v", v.Permissions, hasRefund, tt.canRefund)
			}
		})
	}
	b, err := os.ReadFile(filepath.Join(e.dir, "posterm.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{"1234", "8888", "xyzzy", "0000"} {
		if strings.Contains(string(b), `"`+pw+`"`) || strings.Contains(string(b), "password="+pw) {
			t.Errorf("password %q is in the log", pw)
		}
	}
}

func TestLogin_HumanOutputAndEnvironment(t *testing.T) {
	sb := startTestSandbox(t, testScale)
	e := newPosEnv(t, sb, testCheckout)
	t.Setenv("POSTERM_USER", "manager01")
	t.Setenv("POSTERM_PASSWORD", "8888")
	code, stdout, stderr := e.run(t, "login")
	if code != exitDone || !strings.HasPrefix(stdout, "manager01 (Manager 01): manager") ||
		!strings.Contains(stdout, "refund") || !strings.Contains(stdout, "5000.00 per transaction") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// TestLogin_Prompt: with no password anywhere, it is asked for on the
// terminal without echo; with no terminal, login is refused as a usage
// error.
func TestLogin_Prompt(t *testing.T) {
	sb := startTestSandbox(t, testScale)
	e := newPosEnv(t, sb, testCheckout)
	e.noTerminal()
	if code, _, stderr := e.run(t, "login", "--user", "cashier01"); code != exitLocal || !strings.Contains(stderr, "no password") {
		t.Fatalf("no terminal: exit %d %q", code, stderr)
	}

	var asked []string
	e.ask = func(prompt string, secret bool) (string, bool, error) {
		asked = append(asked, prompt)
		if secret {
			return "8888", true, nil
		}
		return "manager01", true, nil
	}
	code, stdout, stderr := e.run(t, "login", "--json")
	if code != exitDone || !strings.Contains(stdout, `"role": "manager"`) {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if len(asked) != 2 || asked[0] != "User: " || asked[1] != "Password for manager01: " {
		t.Errorf("prompts %q", asked)
	}
}

// noTerminal makes the commands e runs find no terminal to prompt on.
func (e *posEnv) noTerminal() {
	e.ask = func(string, bool) (string, bool, error) { return "", false, nil }
}
