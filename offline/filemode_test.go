package offline

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestOpen_FileModes: the journal, its WAL and SHM are 0600 inside a 0700
// directory whatever the umask, and an old 0644 journal is tightened.
func TestOpen_FileModes(t *testing.T) {
	old := syscall.Umask(0) // the loosest umask: nothing may depend on it
	t.Cleanup(func() { syscall.Umask(old) })

	tests := []struct {
		name     string
		existing fs.FileMode // mode of a database file made before Open; 0 for none
	}{
		{"new", 0},
		{"old 0644 journal", 0o644},
		{"old 0666 journal", 0o666},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data", "till")
			path := filepath.Join(dir, "posterm.db")
			if tt.existing != 0 {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, nil, tt.existing); err != nil {
					t.Fatal(err)
				}
				for _, p := range []string{path + "-wal", path + "-shm"} {
					if err := os.WriteFile(p, nil, tt.existing); err != nil {
						t.Fatal(err)
					}
				}
			}
			j := openAt(t, path, Options{})
			if err := j.IntegrityCheck(t.Context()); err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{path, path + "-wal", path + "-shm"} {
				fi, err := os.Stat(p)
				if err != nil {
					t.Fatalf("%s: %v (WAL mode keeps -wal and -shm while open)", filepath.Base(p), err)
				}
				if got := fi.Mode().Perm(); got != FileMode {
					t.Errorf("%s: mode %v, want %v", filepath.Base(p), got, FileMode)
				}
			}
			if tt.existing == 0 {
				fi, err := os.Stat(dir)
				if err != nil {
					t.Fatal(err)
				}
				if got := fi.Mode().Perm(); got != DirMode {
					t.Errorf("data directory: mode %v, want %v", got, DirMode)
				}
			}
		})
	}
}
