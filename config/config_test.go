package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const minimal = `[gateway]
url = "http://127.0.0.1:9/openGateway/openService/"
busi_id = "0010000001"
secret = "98SDKFUO432HNODS098EEE07U9DUOIUE"
`

func TestExampleDocumentsEveryDefault(t *testing.T) {
	data, err := os.ReadFile("../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	got := Default()
	if err := decode("config.example.toml", data, &got); err != nil {
		t.Fatalf("example does not decode: %v", err)
	}
	want := Default()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("config.example.toml and Default() disagree:\n got %+v\nwant %+v", got, want)
	}
	lines := keyLines(data)
	for sec, keys := range knownKeys() {
		for _, k := range keys {
			if lines[sec+"."+k] == 0 {
				t.Errorf("config.example.toml does not document %s.%s", sec, k)
			}
		}
	}
}

func TestLoad_Errors(t *testing.T) {
	tests := []struct {
		name string
		body string
		env  []string
		want []string // substrings of the error
	}{
		{"unknown key", minimal + "timout = \"5s\"\n", nil,
			[]string{"config.toml:5: gateway.timout: unknown key (did you mean gateway.timeout?)"}},
		{"unknown section", minimal + "[gatway]\nurl = \"x\"\n", nil,
			[]string{"config.toml:5: gatway: unknown section [gatway]"}},
		{"wrong type", minimal + "encrypt = \"yes\"\n", nil,
			[]string{"config.toml:5: gateway.encrypt: want true or false, got string"}},
		{"wrong int type", minimal + "[reconcile]\nconcurrency = \"4\"\n", nil,
			[]string{"config.toml:6: reconcile.concurrency: want an integer, got string"}},
		{"bad duration", minimal + "timeout = \"soon\"\n", nil,
			[]string{"config.toml:5: gateway.timeout:", "duration"}},
		{"missing required", "[gateway]\nformat = \"json\"\n", nil,
			[]string{"gateway.url: required", "gateway.busi_id: required", "gateway.secret: required"}},
		{"bad value names line", minimal + "format = \"yaml\"\n", nil,
			[]string{"config.toml:5: gateway.format: want json or xml"}},
		{"pay timeout under vendor bound", minimal + "pay_timeout = \"60s\"\n", nil,
			[]string{"config.toml:5: gateway.pay_timeout: must outlast the vendor's 80 s bound"}},
		{"no copies", minimal + "[printer]\ncustomer_copies = 0\n", nil,
			[]string{"config.toml:6: printer.customer_copies: want 1 to 5 copies in all"}},
		{"syntax", "[gateway\n", nil, []string{"config.toml:1:"}},
		{"env typo", minimal, []string{"POSTERM_GATEWAY_SECERT=x"},
			[]string{"environment: POSTERM_GATEWAY_SECERT: names no config key"}},
		{"env wrong type", minimal, []string{"POSTERM_RECONCILE_CONCURRENCY=many"},
			[]string{"environment: POSTERM_RECONCILE_CONCURRENCY: want an integer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeFile(t, tt.body), Default(), tt.env)
			if err == nil {
				t.Fatal("got no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "98SDKFUO432HNODS098EEE07U9DUOIUE") {
				t.Errorf("error leaks the secret: %v", err)
			}
		})
	}
}

func TestLoad_TypedErrorCarriesPlace(t *testing.T) {
	_, err := Load(writeFile(t, minimal+"encrypt = 1\n"), Default(), nil)
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("got %T, want *config.Error", err)
	}
	if ce.Line != 5 || ce.Key != "gateway.encrypt" || !strings.HasSuffix(ce.File, "config.toml") {
		t.Errorf("got %+v", ce)
	}
}

func TestLoad_EnvOverrides(t *testing.T) {
	env := []string{
		"POSTERM_GATEWAY_SECRET=fromenv",
		"POSTERM_GATEWAY_ENCRYPT=false",
		"POSTERM_CHECKOUT_QUERY_INTERVAL=2s",
		"POSTERM_RECONCILE_RATE_PER_SECOND=2.5",
		"POSTERM_PRINTER_WIDTH=80",
		"POSTERM_CONFIG=ignored",
		"HOME=/root",
	}
	cfg, err := Load(writeFile(t, minimal), Default(), env)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Gateway.Secret != "fromenv" || cfg.Gateway.Encrypt || cfg.Checkout.QueryInterval.Duration != 2*time.Second ||
		cfg.Reconcile.RatePerSecond != 2.5 || cfg.Printer.Width != 80 {
		t.Errorf("env not applied: %+v", cfg)
	}
}

func TestLoad_SecretFile(t *testing.T) {
	dir := t.TempDir()
	sf := filepath.Join(dir, "secret")
	if err := os.WriteFile(sf, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	body := "[gateway]\nurl = \"https://example.invalid/\"\nbusi_id = \"1\"\nsecret_file = \"" + sf + "\"\n"
	cfg, err := Load(writeFile(t, body), Default(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Gateway.Secret != "s3cret" {
		t.Errorf("got secret %q, want s3cret", cfg.Gateway.Secret)
	}
	_, err = Load(writeFile(t, minimal+"secret_file = \""+sf+"\"\n"), Default(), nil)
	if err == nil || !strings.Contains(err.Error(), "gateway.secret_file: set either secret or secret_file") {
		t.Errorf("got %v, want both-set error", err)
	}
}

func TestDemoIsValid(t *testing.T) {
	cfg := Demo(t.TempDir())
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestRegister_TimeZone(t *testing.T) {
	for _, tc := range []struct {
		zone string
		ok   bool
	}{{"Asia/Shanghai", true}, {"UTC", true}, {"Asia/Hong_Kong", true}, {"", false}, {"Local", false}, {"Mars/Olympus", false}} {
		c := Default()
		c.Register.TimeZone = tc.zone
		_, err := c.Register.Location()
		if (err == nil) != tc.ok {
			t.Errorf("Location(%q): got %v, want ok=%v", tc.zone, err, tc.ok)
		}
	}
	if Default().Register.TimeZone != "Asia/Shanghai" {
		t.Errorf("default time_zone: %q", Default().Register.TimeZone)
	}
}
