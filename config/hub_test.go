package config

import (
	"strings"
	"testing"
)

func TestLoad_HubSection(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string // "" for valid
	}{
		{"no hub", minimal, ""},
		{"till with a hub", minimal + "[hub]\nurl = \"nats://backoffice:4222\"\n", ""},
		{"chain cluster", minimal + "[hub]\nnats_url = \"nats://a:4222, tls://b:4222\"\nreplicas = 3\n", ""},
		{"http url", minimal + "[hub]\nurl = \"http://backoffice:4222\"\n", "config.toml:6: hub.url: want nats://HOST:PORT"},
		{"bad cluster member", minimal + "[hub]\nnats_url = \"nats://a:4222,b:4222\"\n", "hub.nats_url: want nats://"},
		{"replicas", minimal + "[hub]\nreplicas = 0\n", "config.toml:6: hub.replicas: want 1"},
		{"postgres", minimal + "[hub]\ndatabase_url = \"postgres://hub:pw@db/hub\"\n", ""},
		{"not postgres", minimal + "[hub]\ndatabase_url = \"mysql://db/hub\"\n", "hub.database_url: want a postgres:// URL"},
		{"cert without key", minimal + "[hub]\ncert_file = \"c.pem\"\n", "hub.cert_file: set both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load(writeFile(t, tt.body), Default(), nil)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if cfg.Hub.Listen == "" || cfg.Hub.Database == "" {
					t.Errorf("defaults lost: %+v", cfg.Hub)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}
