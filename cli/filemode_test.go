package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"posterm/config"
	"posterm/printer"
)

// TestFileModes_Demo runs a demo pay with the loosest umask and finds
// every file posterm made — journal, WAL, SHM, log, receipts, the sandbox's
// state file — 0600 inside the 0700 data directory it created (issue 8,
// case 10).
func TestFileModes_Demo(t *testing.T) {
	old := syscall.Umask(0)
	t.Cleanup(func() { syscall.Umask(old) })
	dir := filepath.Join(t.TempDir(), "shop", "data")
	var stdout, stderr bytes.Buffer
	code := run([]string{"pay", "--demo", "--data-dir", dir, "--amount", "1.00", "--code", walletCode("28", "00")}, &stdout, &stderr)
	if code != exitDone {
		t.Fatalf("demo pay: exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o700 {
		t.Errorf("data directory: mode %v, want 0700", got)
	}
	want := []string{"posterm-demo.db", "posterm-demo.log", "sandbox-demo.json"}
	seen := map[string]bool{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		seen[e.Name()] = true
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("%s: mode %v, want 0600", e.Name(), got)
		}
	}
	for _, name := range want {
		if !seen[name] {
			t.Errorf("%s was not made (made: %v)", name, seen)
		}
	}
	t.Logf("files: %v", seen)
}

// TestFileModes_Tightened: a receipts file and a log made 0644 by an older
// posterm are 0600 once opened; new ones are 0600 whatever the umask.
func TestFileModes_Tightened(t *testing.T) {
	old := syscall.Umask(0)
	t.Cleanup(func() { syscall.Umask(old) })
	for _, existing := range []os.FileMode{0, 0o644} {
		dir := t.TempDir()
		receipts, logPath := filepath.Join(dir, "receipts.bin"), filepath.Join(dir, "posterm.log")
		if existing != 0 {
			for _, p := range []string{receipts, logPath} {
				if err := os.WriteFile(p, nil, existing); err != nil {
					t.Fatal(err)
				}
			}
		}
		tr, err := printer.Open(context.Background(), printer.Target{Kind: "file", Addr: receipts}, printer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		tr.Close()
		_, closeLog, err := openLog(config.Log{Path: logPath, Level: "info"}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		closeLog()
		for _, p := range []string{receipts, logPath} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != 0o600 {
				t.Errorf("%s (was %v): mode %v, want 0600", filepath.Base(p), existing, got)
			}
		}
	}
}

// TestOpenLog_Inert: the log file's lines hold no control character,
// escape or bidi override, whatever the message, a value or an error quote.
func TestOpenLog_Inert(t *testing.T) {
	path := filepath.Join(t.TempDir(), "posterm.log")
	logger, closeLog, err := openLog(config.Log{Path: path, Level: "debug"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	logger.Info("answer "+dirty, "result_info", dirty, "err", errors.New("query: "+dirty),
		slog.Group("g", "info", dirty), "n", 3)
	closeLog()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	line := string(b)
	if strings.Count(line, "\n") != 1 {
		t.Fatalf("want one line, got %q", line)
	}
	if h := controlIn(strings.TrimSuffix(line, "\n")); h != "" || strings.Contains(line, `\u00`) || strings.Contains(line, `\n`) {
		t.Errorf("log line holds %q: %s", h, line)
	}
	for _, w := range []string{`"msg":"answer [32mpaid ¥100.00 (ok)`, `"result_info":"[32mpaid`, `"err":"query: [32mpaid`, `"g":{"info":"[32mpaid`, `"n":3`} {
		if !strings.Contains(line, w) {
			t.Errorf("log line lacks %s: %s", w, line)
		}
	}
}
