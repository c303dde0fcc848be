package hub_test

import (
	"context"
	"path/filepath"
	"testing"

	"posterm/hub"
)

// With a token, the embedded NATS refuses a till that does not present it.
func TestHub_TokenRequired(t *testing.T) {
	dir := t.TempDir()
	h, err := hub.Start(context.Background(), hub.Config{Listen: "127.0.0.1:0", StoreDir: filepath.Join(dir, "js"),
		DBPath: filepath.Join(dir, "hub.db"), Log: quiet, Conn: hub.ConnOptions{Token: "s3cret-till-token"}})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	tests := []struct {
		name  string
		token string
		ok    bool
	}{
		{"no token", "", false},
		{"wrong token", "guess", false},
		{"the token", "s3cret-till-token", true},
	}
	for _, tt := range tests {
		nc, err := hub.Connect(hub.ConnOptions{URL: h.ClientURL(), Token: tt.token, Once: true})
		if (err == nil) != tt.ok {
			t.Errorf("%s: connect error %v", tt.name, err)
		}
		if err == nil {
			nc.Close()
		}
	}
	jt := openJournalTill(t, dir, "a")
	jt.sale(t)
	nc, err := hub.Connect(hub.ConnOptions{URL: h.ClientURL(), Token: "s3cret-till-token"})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := hub.NewJetStream(nc)
	if n, err := (&hub.Forwarder{Outbox: jt.j, JS: js}).Flush(context.Background()); err != nil || n != 2 {
		t.Fatalf("forward with the token: %d, %v", n, err)
	}
	waitHub(t, h, map[string]int{jt.id: 2})
}
