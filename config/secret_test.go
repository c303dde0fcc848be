package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A secret pasted where it does not belong, as the case 10 did.
const pasted = "Zq7PASTEDsecretVALUE93xK"

func TestLoad_SecretFileCap(t *testing.T) {
	dir := t.TempDir()
	exact := filepath.Join(dir, "exact")
	if err := os.WriteFile(exact, []byte(strings.Repeat("s", MaxSecretFile)), 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, []byte(strings.Repeat("s", MaxSecretFile+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		file string
		want string // substring of the error; "" for success
	}{
		{"at the cap", exact, ""},
		{"over the cap", big, "gateway.secret_file: " + big + " is larger than 4096 bytes"},
		{"endless device", "/dev/zero", "gateway.secret_file: /dev/zero is larger than 4096 bytes"},
		{"missing", filepath.Join(dir, "none"), "gateway.secret_file: cannot read the secret file " + filepath.Join(dir, "none") + ": no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := os.Stat(tt.file); tt.want != "" && strings.HasPrefix(tt.file, "/dev/") && err != nil {
				t.Skipf("%s: %v", tt.file, err)
			}
			body := "[gateway]\nurl = \"https://example.invalid/\"\nbusi_id = \"1\"\nsecret_file = \"" + tt.file + "\"\n"
			path := writeFile(t, body)
			cfg, err := Load(path, Default(), nil)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(cfg.Gateway.Secret) != MaxSecretFile {
					t.Errorf("got a secret of %d bytes, want %d", len(cfg.Gateway.Secret), MaxSecretFile)
				}
				return
			}
			if err == nil {
				t.Fatal("got no error")
			}
			if got := err.Error(); !strings.Contains(got, tt.want) || !strings.Contains(got, path+":4:") {
				t.Errorf("got %q, want it to contain %q and the place %s:4", got, tt.want, path)
			}
		})
	}
}

func TestLoad_ConfigFileCap(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip(err)
	}
	_, err := Load("/dev/zero", Default(), nil)
	if err == nil || !strings.Contains(err.Error(), "/dev/zero is larger than") {
		t.Errorf("got %v, want a size error", err)
	}
}

// TestLoad_NoSecretEcho: an error about a key that may hold a secret names
// the place (file:line:key or the variable) but never echoes the value.
func TestLoad_NoSecretEcho(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		env   []string
		place string
	}{
		{"env encrypt", minimal, []string{"POSTERM_GATEWAY_ENCRYPT=" + pasted}, "environment: POSTERM_GATEWAY_ENCRYPT: want true or false"},
		{"env require_sign is echoed", minimal, []string{"POSTERM_GATEWAY_REQUIRE_SIGN=" + pasted}, "environment: POSTERM_GATEWAY_REQUIRE_SIGN: want true or false, got \"" + pasted},
		{"file encrypt string", minimal + "encrypt = \"" + pasted + "\"\n", nil, "config.toml:5: gateway.encrypt: want true or false, got string"},
		{"file encrypt bare", minimal + "encrypt = " + pasted + "\n", nil, "config.toml:5:"},
		{"file secret bare", "[gateway]\nsecret = " + pasted + "\n", nil, "config.toml:2:"},
		{"file secret array", "[gateway]\nsecret = [\"" + pasted + "\"]\n", nil, "config.toml:2: gateway.secret: want a string, got array"},
		{"file secret twice", minimal + "secret = \"" + pasted + "\"\n", nil, "config.toml:5:"},
		{"file secret unterminated", "[gateway]\nsecret = \"" + pasted + "\n", nil, "config.toml:2:"},
		{"url with a password", minimal, []string{"POSTERM_GATEWAY_URL=ftp://u:" + pasted + "@host/"}, "gateway.url: want an http:// or https:// URL"},
		{"unknown variable", minimal, []string{"POSTERM_GATEWAY_SECRT=" + pasted}, "environment: POSTERM_GATEWAY_SECRT: names no config key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeFile(t, tt.body), Default(), tt.env)
			if err == nil {
				t.Fatal("got no error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.place) {
				t.Errorf("error %q does not contain %q", msg, tt.place)
			}
			if strings.Contains(tt.name, "is echoed") {
				return
			}
			if strings.Contains(msg, pasted) || strings.Contains(msg, pasted[:8]) {
				t.Errorf("error echoes the value: %q", msg)
			}
		})
	}
}

func TestMayHoldSecret(t *testing.T) {
	for key, want := range map[string]bool{
		"secret": true, "gateway.secret": true, "POSTERM_GATEWAY_SECRET": true, "POSTERM_GATEWAY_ENCRYPT": true,
		"encrypt": true, "POSTERM_PASSWORD": true, "api_token": true,
		"secret_file": false, "POSTERM_GATEWAY_SECRET_FILE": false, "timeout": false, "url": false, "busi_id": false,
	} {
		if got := MayHoldSecret(key); got != want {
			t.Errorf("MayHoldSecret(%q) = %v, want %v", key, got, want)
		}
	}
}
