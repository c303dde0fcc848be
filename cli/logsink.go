package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
	"gopkg.in/natefinch/lumberjack.v2"
)

// Log rotation: a log that cannot fill the disk.
const (
	logMaxSizeMB  = 20 // a log file is rotated at this size
	logMaxBackups = 5  // rotated files kept (compressed)
)

// logSink is where the JSON log goes:
//   - the systemd journal, when stderr is connected to it (JOURNAL_STREAM
//     names stderr's device and inode: posterm.service sets
//     StandardError=journal), whatever [log] path says — journald caps its
//     own size;
//   - else path ("" or "-": stderr), rotated by size with lumberjack:
//     logMaxSizeMB per file, logMaxBackups old files kept, gzip-compressed;
//     created 0600 in a 0700 directory.
func logSink(path string, stderr io.Writer) (io.Writer, func(), error) {
	if stderrIsJournal(stderr, os.Getenv("JOURNAL_STREAM")) || path == "" || path == "-" {
		return stderr, func() {}, nil
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, nil, fmt.Errorf("log directory: %w", err)
		}
	}
	// Open once now, so that a path that cannot be written fails at start
	// and not at the first log line.
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open log: %w", err)
	}
	// An older log created 0644 is tightened: logs name cashiers and
	// charges. Another user's file (EPERM) stays as it is.
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o077 != 0 {
		f.Chmod(0o600)
	}
	f.Close()
	lj := &lumberjack.Logger{Filename: path, MaxSize: logMaxSizeMB, MaxBackups: logMaxBackups, Compress: true}
	return lj, func() { lj.Close() }, nil
}

// stderrIsJournal reports whether stderr is the stream systemd connected to
// the journal: JOURNAL_STREAM is "DEVICE:INODE" of that stream (systemd.exec(5)).
func stderrIsJournal(stderr io.Writer, journalStream string) bool {
	f, ok := stderr.(*os.File)
	if !ok || journalStream == "" {
		return false
	}
	dev, ino, ok := strings.Cut(journalStream, ":")
	if !ok {
		return false
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return false
	}
	return fmt.Sprint(st.Dev) == dev && fmt.Sprint(st.Ino) == ino
}
