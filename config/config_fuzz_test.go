package config

import (
	"os"
	"strings"
	"testing"
	"unicode"
)

// FuzzLoad feeds the loader arbitrary file bytes and one environment
// value for a key that may hold a secret. It must never panic; a config it
// accepts must validate; every error line names its place (the file or the
// environment); and the secret-bearing value is never echoed.
func FuzzLoad(f *testing.F) {
	example, err := os.ReadFile("../config.example.toml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(example), "true")
	f.Add(minimal, "false")
	f.Add(minimal+"timout = \"5s\"\n", "yes please")
	f.Add(minimal+"encrypt = \"yes\"\n", pasted)
	f.Add("[gateway\n", "1")
	f.Add("[gateway]\nsecret = abc\n", "")
	f.Add(minimal+"[reconcile]\nconcurrency = \"4\"\n[printer]\ncustomer_copies = 0\n", "0")
	f.Add(minimal+"[scanner]\nprefix = \"\\u001b[2J\"\nterminator = \"tab\"\n", "T")
	f.Add("[sandbox]\nenabled = true\ntime_scale = -1\n[ui]\nlang = \"fr\"\n", "Secret9XYZ")
	f.Fuzz(func(t *testing.T, data, envVal string) {
		env := []string{"POSTERM_GATEWAY_ENCRYPT=" + envVal}
		cfg, err := parse("config.toml", []byte(data), Default(), env)
		if err == nil {
			if verr := cfg.Validate(); verr != nil {
				t.Fatalf("accepted a config that does not validate: %v", verr)
			}
			return
		}
		msg := err.Error()
		for _, line := range strings.Split(msg, "\n") {
			if !strings.HasPrefix(line, "config.toml") && !strings.HasPrefix(line, "environment") && !strings.HasPrefix(line, "config:") {
				t.Fatalf("error line names no place: %q", line)
			}
		}
		if secretLike(envVal) && strings.Contains(msg, envVal) {
			t.Fatalf("error echoes POSTERM_GATEWAY_ENCRYPT's value: %q", msg)
		}
	})
}

// secretLike reports whether s looks like a pasted secret (letters and
// digits, both cases and a digit, 8 or more), which no message can contain
// by chance.
func secretLike(s string) bool {
	if len(s) < 8 {
		return false
	}
	var up, low, dig bool
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			up = true
		case r >= 'a' && r <= 'z':
			low = true
		case unicode.IsDigit(r) && r < 0x80:
			dig = true
		default:
			return false
		}
	}
	return up && low && dig
}
