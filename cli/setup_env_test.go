package cli

import (
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"posterm/gateway/sandbox"
)

// TestConfig_EnvironmentOnly: with every key in POSTERM_<SECTION>_<KEY>
// variables, no config file is needed (a container, a test).
func TestConfig_EnvironmentOnly(t *testing.T) {
	run, err := sandbox.Start("127.0.0.1:0", sandbox.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run.Close() })
	dir := t.TempDir()
	t.Setenv("POSTERM_CONFIG", "")
	t.Setenv("POSTERM_GATEWAY_URL", run.ServiceURL())
	t.Setenv("POSTERM_GATEWAY_BUSI_ID", sandbox.DemoBusiID)
	t.Setenv("POSTERM_GATEWAY_SECRET", sandbox.DemoSecret)
	t.Setenv("POSTERM_JOURNAL_PATH", filepath.Join(dir, "posterm.db"))
	t.Setenv("POSTERM_LOG_PATH", filepath.Join(dir, "posterm.log"))
	t.Setenv("POSTERM_PRINTER_TRANSPORT", "")
	t.Setenv("POSTERM_REGISTER_OPER_ID", "cashier01")

	code, out, errs := runCmd(t, "pay", "--amount", "1.00", "--code", "284214903060794755", "--json")
	if code != exitDone {
		t.Fatalf("pay from the environment only: exit %d, stderr %q", code, errs)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("pay --json: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "posterm.db")); err != nil {
		t.Errorf("journal not where POSTERM_JOURNAL_PATH says: %v", err)
	}
	code, res := runDoctorJSON(t)
	for _, c := range res.Checks {
		if c.Name == "config" && !c.OK || c.Name == "secret" && !strings.Contains(c.Detail, "POSTERM_GATEWAY_SECRET") {
			t.Errorf("doctor from the environment: exit %d, %+v", code, c)
		}
	}

	// Missing a required key: named, not "no configuration".
	t.Setenv("POSTERM_GATEWAY_SECRET", "")
	code, _, errs = runCmd(t, "history")
	if code != exitLocal || !strings.Contains(errs, "gateway.secret") {
		t.Errorf("without a secret: exit %d, stderr %q", code, errs)
	}
}
