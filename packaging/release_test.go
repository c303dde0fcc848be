package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	toml "github.com/pelletier/go-toml/v2"
)

// The release tests check the packages `make release` put in
// $RELEASE_DIST (make release-test sets it; not a POSTERM_ name, which
// posterm would read as a config key). Without it they skip; with
// CI=true a missing tool is a failure, not a skip (make cross-tools
// installs them).

func dist(t *testing.T) string {
	t.Helper()
	d := os.Getenv("RELEASE_DIST")
	if d == "" {
		t.Skip("RELEASE_DIST not set: run make release release-test")
	}
	return d
}

func need(t *testing.T, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s missing (make cross-tools installs it)", tool)
		}
		t.Skipf("%s missing: run make cross-tools", tool)
	}
	return p
}

var arches = []string{"amd64", "arm64", "armhf"}

func debOf(t *testing.T, arch string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dist(t), "posterm_*_"+arch+".deb"))
	if len(m) != 1 {
		t.Fatalf("want one posterm_*_%s.deb in %s, got %v", arch, dist(t), m)
	}
	return m[0]
}

func output(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestRelease_PackageInfoAndContents(t *testing.T) {
	need(t, "dpkg-deb")
	for _, arch := range arches {
		t.Run(arch, func(t *testing.T) {
			deb := debOf(t, arch)
			info := output(t, "dpkg-deb", "--info", deb)
			for _, want := range []string{"Package: posterm", "Architecture: " + arch, "Depends: passwd",
				" conffiles", " preinst", " postinst", " prerm", " postrm"} {
				if !strings.Contains(info, want) {
					t.Errorf("dpkg-deb --info lacks %q:\n%s", want, info)
				}
			}
			if conf := output(t, "dpkg-deb", "--field", deb, "Version"); !strings.HasPrefix(filepath.Base(deb), "posterm_"+strings.TrimSpace(conf)+"_") {
				t.Errorf("file name %s does not carry the version %s", deb, conf)
			}
			contents := output(t, "dpkg-deb", "--contents", deb)
			for _, want := range []string{
				"-rwxr-xr-x root/root", "./usr/bin/posterm",
				"-rw-r----- root/posterm", "./etc/posterm/config.toml",
				"drwxr-x--- root/posterm", "./etc/posterm/",
				"drwx------ posterm/posterm", "./var/lib/posterm/",
				"drwxr-x--- posterm/posterm", "./var/log/posterm/",
				"./usr/lib/systemd/system/posterm.service",
				"./usr/lib/systemd/system/posterm-reconcile.service",
				"./usr/lib/systemd/system/posterm-backup.service",
				"./usr/lib/systemd/system/posterm-backup.timer",
				"./usr/lib/udev/rules.d/60-posterm.rules",
				"./usr/share/doc/posterm/README.md",
			} {
				if !strings.Contains(contents, want) {
					t.Errorf("dpkg-deb --contents lacks %q:\n%s", want, contents)
				}
			}
			// conffiles names the config.
			dir := t.TempDir()
			output(t, "dpkg-deb", "--control", deb, dir)
			b, err := os.ReadFile(filepath.Join(dir, "conffiles"))
			if err != nil || strings.TrimSpace(string(b)) != "/etc/posterm/config.toml" {
				t.Errorf("conffiles: %q (%v), want /etc/posterm/config.toml", b, err)
			}
		})
	}
}

// extract unpacks the amd64 package into a scratch root.
func extract(t *testing.T, arch string) string {
	t.Helper()
	need(t, "dpkg-deb")
	root := t.TempDir()
	output(t, "dpkg-deb", "-x", debOf(t, arch), root)
	output(t, "dpkg-deb", "--control", debOf(t, arch), filepath.Join(root, "DEBIAN"))
	return root
}

func TestRelease_ScratchRootPathsAndModes(t *testing.T) {
	root := extract(t, "amd64")
	for _, c := range []struct {
		path string
		mode os.FileMode
		dir  bool
	}{
		{"usr/bin/posterm", 0o755, false},
		{"etc/posterm", 0o750, true},
		{"etc/posterm/config.toml", 0o640, false},
		{"var/lib/posterm", 0o700, true},
		{"var/log/posterm", 0o750, true},
		{"usr/lib/systemd/system/posterm.service", 0o644, false},
		{"usr/lib/udev/rules.d/60-posterm.rules", 0o644, false},
		{"DEBIAN/preinst", 0o755, false},
		{"DEBIAN/postinst", 0o755, false},
	} {
		fi, err := os.Stat(filepath.Join(root, c.path))
		if err != nil {
			t.Errorf("%s: %v", c.path, err)
			continue
		}
		if fi.Mode().Perm() != c.mode || fi.IsDir() != c.dir {
			t.Errorf("%s: mode %v dir %v, want %04o dir %v", c.path, fi.Mode(), fi.IsDir(), c.mode, c.dir)
		}
	}

	// The conffile is the appliance's config: absolute paths, the secret in its file.
	var cfg struct {
		Gateway struct {
			SecretFile string `toml:"secret_file"`
		} `toml:"gateway"`
		Journal struct{ Path string }      `toml:"journal"`
		Log     struct{ Path string }      `toml:"log"`
		Printer struct{ Transport string } `toml:"printer"`
	}
	b, err := os.ReadFile(filepath.Join(root, "etc/posterm/config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := toml.Unmarshal(b, &cfg); err != nil {
		t.Fatalf("config.toml: %v", err)
	}
	if cfg.Gateway.SecretFile != "/etc/posterm/secret" || cfg.Journal.Path != "/var/lib/posterm/posterm.db" ||
		cfg.Log.Path != "/var/log/posterm/posterm.log" || cfg.Printer.Transport != "lp:/dev/posterm-printer" {
		t.Errorf("config.toml: got %+v", cfg)
	}

	// The maintainer scripts, dry run: what they would do.
	for _, c := range []struct {
		script, arg string
		want        []string
	}{
		{"preinst", "install", []string{"groupadd --system posterm", "useradd --system --gid posterm --home-dir /var/lib/posterm",
			"usermod --append --groups dialout posterm", "usermod --append --groups lp posterm", "usermod --append --groups input posterm"}},
		{"postinst", "configure", []string{"chown posterm:posterm /var/lib/posterm /var/log/posterm", "chmod 0700 /var/lib/posterm",
			"install -m 0640 -o root -g posterm /dev/null /etc/posterm/secret", "udevadm control --reload-rules",
			"systemctl enable posterm.service posterm-backup.timer"}},
		{"prerm", "remove", []string{"systemctl disable posterm.service"}},
		{"postrm", "purge", []string{"rm -f /etc/posterm/secret"}},
	} {
		output(t, "sh", "-n", filepath.Join(root, "DEBIAN", c.script))
		cmd := exec.Command("sh", filepath.Join(root, "DEBIAN", c.script), c.arg)
		cmd.Env = append(os.Environ(), "POSTERM_DRYRUN=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%s %s: %v\n%s", c.script, c.arg, err, out)
		}
		for _, w := range c.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("%s %s would not run %q:\n%s", c.script, c.arg, w, out)
			}
		}
	}

	// The binary runs and knows its version.
	if runtime.GOARCH == "amd64" {
		if out := output(t, filepath.Join(root, "usr/bin/posterm"), "version"); !strings.HasPrefix(out, "posterm ") || strings.Contains(out, "dev") {
			t.Errorf("posterm version: %q, want the release's version", out)
		}
	}
}

// TestUnits_RegisterKeepsDevices: the register's unit must not restrict
// devices: tty1, the scanner and the printer are character devices, and
// any DeviceAllow (also implied by ProtectClock) denies every device not
// listed.
func TestUnits_RegisterKeepsDevices(t *testing.T) {
	b, err := os.ReadFile("systemd/posterm.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		key, _, _ := strings.Cut(strings.TrimSpace(line), "=")
		switch key {
		case "PrivateDevices", "DevicePolicy", "DeviceAllow", "ProtectClock":
			t.Errorf("posterm.service sets %s: the register would lose its devices", key)
		}
	}
	for _, want := range []string{"TTYPath=/dev/tty1", "Conflicts=getty@tty1.service", "Restart=always", "TERM=", "User=posterm",
		"SupplementaryGroups=dialout lp input"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("posterm.service lacks %q", want)
		}
	}
	// No arguments: the secret never reaches the command line.
	if !strings.Contains(string(b), "\nExecStart=/usr/bin/posterm register\n") {
		t.Error("posterm.service: want ExecStart=/usr/bin/posterm register, without arguments")
	}
}

func TestRelease_SystemdAnalyzeVerify(t *testing.T) {
	need(t, "systemd-analyze")
	root := extract(t, "amd64")
	// The units refer to targets of the host's systemd: copy them in
	// beside ours (without replacing ours).
	output(t, "cp", "-an", "/usr/lib/systemd/system/.", filepath.Join(root, "usr/lib/systemd/system/"))
	for _, u := range []string{"posterm.service", "posterm-reconcile.service", "posterm-backup.service", "posterm-backup.timer"} {
		cmd := exec.Command("systemd-analyze", "verify", "--root="+root, "/usr/lib/systemd/system/"+u)
		out, err := cmd.CombinedOutput()
		if err != nil || len(strings.TrimSpace(string(out))) > 0 {
			t.Errorf("systemd-analyze verify %s: %v\n%s", u, err, out)
		}
	}
}

func TestRelease_ArmBinariesUnderQemu(t *testing.T) {
	for _, c := range []struct{ arch, qemu, sysroot string }{
		{"arm64", "qemu-aarch64-static", "/usr/aarch64-linux-gnu"},
		{"armhf", "qemu-arm-static", "/usr/arm-linux-gnueabihf"},
	} {
		t.Run(c.arch, func(t *testing.T) {
			qemu := need(t, c.qemu)
			root := extract(t, c.arch)
			bin := filepath.Join(root, "usr/bin/posterm")
			out := output(t, qemu, "-L", c.sysroot, bin, "version")
			if !strings.HasPrefix(out, "posterm ") {
				t.Errorf("version: %q", out)
			}
			data := t.TempDir()
			cmd := exec.Command(qemu, "-L", c.sysroot, bin, "history", "--demo", "--data-dir", data, "--json")
			var stderr strings.Builder
			cmd.Stderr = &stderr
			b, err := cmd.Output()
			if err != nil {
				t.Fatalf("history --demo --json under %s: %v\n%s%s", c.qemu, err, b, stderr.String())
			}
			var rows []json.RawMessage
			if err := json.Unmarshal(b, &rows); err != nil {
				t.Errorf("history --json: %v\n%s", err, b)
			}
			// cgo worked: the SQLite journal was created.
			if _, err := os.Stat(filepath.Join(data, "posterm-demo.db")); err != nil {
				t.Errorf("no journal written under qemu: %v", err)
			}
		})
	}
}

func TestDebVersion(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"v1.2.3", "1.2.3"},
		{"v1.2.3-4-gabc1234", "1.2.3+4.gabc1234"},
		{"v1.2.3-4-gabc1234-dirty", "1.2.3+4.gabc1234.dirty"},
		{"9bfed60", "0.0.0+git.9bfed60"},
		{"5394793-dirty", "0.0.0+git.5394793.dirty"},
		{"v2.0", "2.0"},
		{"abc1234-dirty", "0.0.0+git.abc1234.dirty"},
		{"dev", "0.0.0+git.dev"},
	} {
		if got := DebVersion(c.in); got != c.want {
			t.Errorf("DebVersion(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestApplianceConfig(t *testing.T) {
	ex, err := os.ReadFile("../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ApplianceConfig(string(ex))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, `secret_file = "/etc/posterm/secret"`) || strings.Count(got, "\n") < strings.Count(string(ex), "\n") {
		t.Errorf("appliance config:\n%s", got)
	}
	if _, err := ApplianceConfig("[gateway]\nurl = \"\"\n"); err == nil {
		t.Error("an example without the edited keys was accepted")
	}
}
