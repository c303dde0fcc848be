package offline

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// File modes of the journal. The journal holds who charged what, masked
// codes and the audit trail: only the register's own user may read it.
// The modes are set explicitly (open with the mode, then chmod), so they do
// not depend on the process's umask.
const (
	// FileMode is the mode of the database file and its -wal and -shm.
	FileMode fs.FileMode = 0o600
	// DirMode is the mode of a data directory Open creates. An existing
	// directory is left as it is (it may be shared, e.g. /var/lib).
	DirMode fs.FileMode = 0o700
)

// prepareFile makes sure the journal's directory exists (created with
// DirMode) and that the database file exists with FileMode before SQLite
// opens it: SQLite gives the -wal and -shm files it creates the mode of
// the database file. An existing file with a looser mode is tightened.
func prepareFile(path string, log *slog.Logger) error {
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, DirMode); err != nil {
			return fmt.Errorf("journal directory: %w", err)
		}
		if err := os.Chmod(dir, DirMode); err != nil {
			return fmt.Errorf("journal directory: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, FileMode)
	if err != nil {
		return err
	}
	defer f.Close()
	return tighten(f.Name(), f.Chmod, f.Stat, log)
}

// tightenModes sets FileMode on the database file's -wal and -shm when
// they exist with a looser mode (left by an older posterm, or created
// under another umask).
func tightenModes(path string, log *slog.Logger) {
	for _, p := range []string{path + "-wal", path + "-shm"} {
		_ = tighten(p, func(m fs.FileMode) error { return os.Chmod(p, m) },
			func() (fs.FileInfo, error) { return os.Stat(p) }, log)
	}
}

func tighten(name string, chmod func(fs.FileMode) error, stat func() (fs.FileInfo, error), log *slog.Logger) error {
	fi, err := stat()
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&^FileMode == 0 {
		return nil
	}
	if err := chmod(FileMode); err != nil {
		// Another user's file: readable by others, but ours to use.
		log.Warn("journal file readable by others; cannot tighten its mode", "path", name, "mode", fi.Mode().Perm().String(), "err", err)
		return nil
	}
	log.Info("journal file mode tightened", "path", name, "was", fi.Mode().Perm().String(), "now", FileMode.String())
	return nil
}
