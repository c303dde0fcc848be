package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"posterm/config"
	"posterm/gateway/sandbox"
	"posterm/offline"
)

// doctorTill is an installed till in a temp dir: a config file pointing at
// a sandbox on loopback, a secret file, a journal and a fresh backup.
type doctorTill struct {
	dir, config, secret string
	url                 string
}

func newDoctorTill(t *testing.T) *doctorTill {
	t.Helper()
	run, err := sandbox.Start("127.0.0.1:0", sandbox.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run.Close() })
	dir := t.TempDir()
	td := &doctorTill{dir: dir, config: filepath.Join(dir, "config.toml"), secret: filepath.Join(dir, "secret"), url: run.ServiceURL()}
	if err := os.WriteFile(td.secret, []byte(sandbox.DemoSecret+"\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	journal := filepath.Join(dir, "posterm.db")
	j, err := offline.Open(journal, offline.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	if _, err := offline.Backup(context.Background(), journal, filepath.Join(dir, "backups", offline.BackupName(time.Now()))); err != nil {
		t.Fatal(err)
	}
	td.write(t, nil)
	return td
}

// write writes the config file with the given keys replaced.
func (td *doctorTill) write(t *testing.T, over map[string]string) {
	t.Helper()
	keys := map[string]string{
		"url": td.url, "secret_file": td.secret, "transport": "file:" + filepath.Join(td.dir, "receipts.bin"),
	}
	for k, v := range over {
		keys[k] = v
	}
	cfg := fmt.Sprintf(`[gateway]
url = %q
busi_id = %q
secret_file = %q
[journal]
path = %q
[log]
path = %q
[printer]
transport = %q
`, keys["url"], sandbox.DemoBusiID, keys["secret_file"], filepath.Join(td.dir, "posterm.db"), filepath.Join(td.dir, "posterm.log"), keys["transport"])
	if err := os.WriteFile(td.config, []byte(cfg), 0o640); err != nil {
		t.Fatal(err)
	}
}

type doctorResult struct {
	OK     bool    `json:"ok"`
	Checks []check `json:"checks"`
}

func runDoctorJSON(t *testing.T, args ...string) (int, doctorResult) {
	t.Helper()
	code, out, errs := runCmd(t, append([]string{"doctor", "--json"}, args...)...)
	var res doctorResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("doctor --json: %v\nstdout %s\nstderr %s", err, out, errs)
	}
	return code, res
}

func failed(res doctorResult) map[string]check {
	out := map[string]check{}
	for _, c := range res.Checks {
		if !c.OK {
			out[c.Name] = c
		}
	}
	return out
}

func TestDoctor_AllPassAgainstTheSandbox(t *testing.T) {
	td := newDoctorTill(t)
	code, res := runDoctorJSON(t, "--config", td.config)
	if code != exitDone || !res.OK {
		t.Fatalf("doctor: exit %d, failed %+v", code, failed(res))
	}
	want := []string{"config", "secret", "gateway", "clock", "scanner", "printer", "journal", "unsettled", "disk", "backup"}
	if len(res.Checks) != len(want) {
		t.Fatalf("got %d checks, want %v", len(res.Checks), want)
	}
	for i, c := range res.Checks {
		if c.Name != want[i] {
			t.Errorf("check %d: got %s, want %s", i, c.Name, want[i])
		}
	}
	// The journal's line names the till identity the support engineer
	// compares with the charge codes.
	j, err := offline.Open(filepath.Join(td.dir, "posterm.db"), offline.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	till, err := j.TillID(context.Background())
	j.Close()
	if err != nil || len(res.Checks) < 7 || !strings.Contains(res.Checks[6].Detail, "till "+till) {
		t.Errorf("journal check %+v does not name till %q (%v)", res.Checks[min(6, len(res.Checks)-1)], till, err)
	}
	// The table: a ✓ per line, no ✗.
	code, out, _ := runCmd(t, "doctor", "--config", td.config)
	if code != exitDone || strings.Count(out, "✓") != len(want) || strings.Contains(out, "✗") {
		t.Errorf("doctor table: exit %d\n%s", code, out)
	}
}

func TestDoctor_Failures(t *testing.T) {
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + dead.Addr().String() + "/openGateway/openService/"
	dead.Close()

	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, td *doctorTill)
		want  map[string]string // failed check → a word of its fix
	}{
		{"wrong secret", func(t *testing.T, td *doctorTill) {
			os.WriteFile(td.secret, []byte("00000000000000000000000000000000\n"), 0o640)
		}, map[string]string{"gateway": "secret"}},
		{"dead gateway", func(t *testing.T, td *doctorTill) {
			td.write(t, map[string]string{"url": deadURL})
		}, map[string]string{"gateway": "network", "clock": "gateway"}},
		{"missing printer", func(t *testing.T, td *doctorTill) {
			td.write(t, map[string]string{"transport": "lp:" + filepath.Join(td.dir, "no-such-lp0")})
		}, map[string]string{"printer": "power"}},
		{"secret readable by everyone", func(t *testing.T, td *doctorTill) {
			os.Chmod(td.secret, 0o644)
		}, map[string]string{"secret": "chmod 0640"}},
		{"secret missing", func(t *testing.T, td *doctorTill) {
			os.Remove(td.secret)
		}, map[string]string{"config": "edit", "secret": "install", "gateway": "config"}},
		{"no backup", func(t *testing.T, td *doctorTill) {
			os.RemoveAll(filepath.Join(td.dir, "backups"))
		}, map[string]string{"backup": "posterm-backup.timer"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			td := newDoctorTill(t)
			tc.setup(t, td)
			code, res := runDoctorJSON(t, "--config", td.config)
			if code != exitLocal || res.OK {
				t.Errorf("exit %d ok %v, want %d and false", code, res.OK, exitLocal)
			}
			got := failed(res)
			for name, word := range tc.want {
				c, ok := got[name]
				if !ok {
					t.Errorf("check %s passed, want ✗ (failed: %+v)", name, got)
					continue
				}
				if !strings.Contains(c.Fix, word) {
					t.Errorf("check %s: fix %q, want it to mention %q (detail %q)", name, c.Fix, word, c.Detail)
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("failed checks %v, want exactly %v", keysOf(got), keysOf(tc.want))
			}
		})
	}
}

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestDoctor_SkewedClock(t *testing.T) {
	td := newDoctorTill(t)
	for _, tc := range []struct {
		skew time.Duration
		ok   bool
	}{{0, true}, {30 * time.Second, true}, {5 * time.Minute, false}, {-2 * time.Minute, false}} {
		d := &doctor{now: func() time.Time { return time.Now().Add(tc.skew) }, cfg: config.Default()}
		c := d.checkClock(context.Background(), td.url)
		if c.OK != tc.ok {
			t.Errorf("skew %s: ok %v (%s), want %v", tc.skew, c.OK, c.Detail, tc.ok)
		}
		if !c.OK && !strings.Contains(c.Fix, "timedatectl") {
			t.Errorf("skew %s: fix %q, want timedatectl", tc.skew, c.Fix)
		}
	}
}

func TestDoctor_Demo(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := runCmd(t, "history", "--demo", "--data-dir", dir); code != exitDone {
		t.Fatalf("history: exit %d %s", code, errs)
	}
	if code, _, errs := runCmd(t, "backup", "--demo", "--data-dir", dir); code != exitDone {
		t.Fatalf("backup: exit %d %s", code, errs)
	}
	code, res := runDoctorJSON(t, "--demo", "--data-dir", dir)
	if code != exitDone {
		t.Errorf("doctor --demo: exit %d, failed %+v", code, failed(res))
	}
}
