// Command nfpmbuild builds posterm's Debian packages with the goreleaser
// nfpm library (github.com/goreleaser/nfpm/v2): the package layout is
// declared in nfpm.yaml, this program only fills in the architecture, the
// version, the binary and the appliance's config.toml, which it derives
// from ../config.example.toml (see applianceConfig).
//
// It lives in its own module so that the packager's dependencies never
// enter posterm's go.mod. The Makefile's release target runs it once per
// architecture:
//
//	go run . --arch arm64 --version 1.2.0 --bin ../dist/build/arm64/posterm --out ../dist
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the deb packager
)

func main() {
	arch := flag.String("arch", "amd64", "Debian architecture: amd64, arm64 or armhf")
	version := flag.String("version", "", "version (git describe); made Debian-safe")
	bin := flag.String("bin", "", "the posterm binary for --arch")
	out := flag.String("out", "../dist", "directory of the .deb")
	spec := flag.String("spec", "nfpm.yaml", "nfpm configuration")
	example := flag.String("config-example", "../config.example.toml", "config.example.toml to derive /etc/posterm/config.toml from")
	flag.Parse()
	path, err := build(*spec, *arch, *version, *bin, *out, *example)
	if err != nil {
		fmt.Fprintln(os.Stderr, "nfpmbuild:", err)
		os.Exit(1)
	}
	fmt.Println(path)
}

// DebVersion turns `git describe --tags --always --dirty` into a Debian
// version: v1.2.3 → 1.2.3; v1.2.3-4-gabc → 1.2.3+4.gabc; a bare hash abc123
// → 0.0.0+git.abc123 (a Debian version must start with a digit; a hash
// sorts below every release).
func DebVersion(v string) string {
	v = strings.TrimPrefix(strings.TrimSpace(v), "v")
	v = strings.ReplaceAll(v, "-", "+")
	if i := strings.IndexByte(v, '+'); i >= 0 {
		v = v[:i+1] + strings.ReplaceAll(v[i+1:], "+", ".")
	}
	// A release tag has a dot (1.2 or 1.2.3); a bare hash of digits must not
	// pass for version 5394793.
	if v == "" || v == "dev" || !regexp.MustCompile(`^[0-9]+(\.[0-9]+)+([+~].*)?$`).MatchString(v) {
		v = "0.0.0+git." + strings.Trim(regexp.MustCompile(`[^A-Za-z0-9.]+`).ReplaceAllString(v, "."), ".")
	}
	return v
}

func build(spec, arch, version, bin, out, example string) (string, error) {
	switch arch {
	case "amd64", "arm64", "armhf":
	default:
		return "", fmt.Errorf("--arch %q: want amd64, arm64 or armhf", arch)
	}
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("--bin: %w", err)
	}
	stage, err := os.MkdirTemp("", "posterm-stage-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(stage)
	ex, err := os.ReadFile(example)
	if err != nil {
		return "", err
	}
	conf, err := ApplianceConfig(string(ex))
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(stage, "config.toml"), []byte(conf), 0o640); err != nil {
		return "", err
	}
	absBin, _ := filepath.Abs(bin)
	absEx, _ := filepath.Abs(example)
	readme, _ := filepath.Abs(filepath.Join(filepath.Dir(example), "README.md"))
	vars := map[string]string{
		"ARCH": arch, "VERSION": DebVersion(version), "BIN": absBin, "STAGE": stage,
		"CONFIG_EXAMPLE": absEx, "README": readme,
	}
	cfg, err := nfpm.ParseFileWithEnvMapping(spec, func(k string) string { return vars[k] })
	if err != nil {
		return "", err
	}
	info, err := cfg.Get("deb")
	if err != nil {
		return "", err
	}
	info = nfpm.WithDefaults(info)
	if err := nfpm.PrepareForPackager(info, "deb"); err != nil {
		return "", err
	}
	pkg, err := nfpm.Get("deb")
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	target := filepath.Join(out, fmt.Sprintf("posterm_%s_%s.deb", info.Version, arch))
	f, err := os.Create(target)
	if err != nil {
		return "", err
	}
	info.Target = target
	if err := pkg.Package(info, f); err != nil {
		f.Close()
		os.Remove(target)
		return "", err
	}
	return target, f.Close()
}

// applianceEdits are the keys of config.example.toml that an installed
// till sets differently: absolute paths under /var/lib/posterm and
// /var/log/posterm, the secret in its own file, the printer and scanner
// under the names the udev rules give them.
var applianceEdits = []struct{ section, key, value string }{
	{"gateway", "secret_file", `"/etc/posterm/secret"`},
	{"journal", "path", `"/var/lib/posterm/posterm.db"`},
	{"log", "path", `"/var/log/posterm/posterm.log"`},
	{"printer", "transport", `"lp:/dev/posterm-printer"`},
}

// ApplianceConfig returns config.example.toml with applianceEdits applied.
// Every edited key must be found exactly once.
func ApplianceConfig(example string) (string, error) {
	lines := strings.Split(example, "\n")
	section := ""
	found := map[int]int{}
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]") {
			section = strings.Trim(t, "[]")
			continue
		}
		k, _, ok := strings.Cut(t, "=")
		if !ok || strings.HasPrefix(t, "#") {
			continue
		}
		for e, ed := range applianceEdits {
			if section == ed.section && strings.TrimSpace(k) == ed.key {
				lines[i] = ed.key + " = " + ed.value
				found[e]++
			}
		}
	}
	for e, ed := range applianceEdits {
		if found[e] != 1 {
			return "", fmt.Errorf("config example: [%s] %s found %d times, want once", ed.section, ed.key, found[e])
		}
	}
	head := "# posterm on an installed till (/etc/posterm/config.toml, a conffile:\n" +
		"# your edits survive upgrades). The merchant's secret goes in /etc/posterm/secret.\n" +
		"# Check everything with: sudo -u posterm posterm doctor\n"
	return head + strings.Join(lines, "\n"), nil
}
