package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestLogSink_RotatesBySize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logs", "posterm.log")
	w, closeFn, err := logSink(path, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	line := []byte(strings.Repeat("x", 1023) + "\n")
	for range (logMaxSizeMB + 1) << 10 { // a little over one file's worth
		if _, err := w.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	closeFn()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > logMaxSizeMB<<20 {
		t.Errorf("log is %d bytes, over the %d MB cap", fi.Size(), logMaxSizeMB)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("log mode %04o, want 0600", fi.Mode().Perm())
	}
	// The rotated file is compressed in lumberjack's background goroutine:
	// wait for it to finish (the .gz there, the plain copy gone), so that
	// nothing writes into the directory while the test's cleanup removes it.
	dir := filepath.Dir(path)
	deadline := time.Now().Add(20 * time.Second)
	for {
		gz, _ := filepath.Glob(filepath.Join(dir, "posterm-*.log.gz"))
		plain, _ := filepath.Glob(filepath.Join(dir, "posterm-*.log"))
		if len(gz) > 0 && len(plain) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no compressed rotated file beside the log: %v %v", gz, plain)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestLogSink_JournalWhenStderrIsTheJournalStream(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "posterm.log")
	for _, c := range []struct {
		stream  string
		journal bool
	}{
		{fmt.Sprintf("%d:%d", st.Dev, st.Ino), true},
		{fmt.Sprintf("%d:%d", st.Dev, st.Ino+1), false}, // stdout to the journal, stderr elsewhere
		{"", false},
		{"garbage", false},
	} {
		if got := stderrIsJournal(f, c.stream); got != c.journal {
			t.Errorf("JOURNAL_STREAM=%q: got %v, want %v", c.stream, got, c.journal)
		}
	}
	if stderrIsJournal(&bytes.Buffer{}, "1:2") {
		t.Error("a buffer is not the journal")
	}
	t.Setenv("JOURNAL_STREAM", fmt.Sprintf("%d:%d", st.Dev, st.Ino))
	w, closeFn, err := logSink(path, f)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	if w != f {
		t.Errorf("under systemd the log went to %T, want stderr (the journal)", w)
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("the log file was created although the journal takes the log")
	}
}
