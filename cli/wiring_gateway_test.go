package cli

import (
	"context"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"posterm/config"
	"posterm/gateway"
)

// TestNewGatewayClient_Transport: the [gateway] keys allow_http, ca_file,
// batch_query_keys and send_time_expire reach the client (issue 8).
func TestNewGatewayClient_Transport(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, `{"RESULT":{"CODE":"SUCCESS"},"CHARGE_CODE":"C1","STATE":"1","AMT":"1.0E2"}`)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	base := config.Default()
	base.Gateway.BusiID, base.Gateway.Secret, base.Gateway.Encrypt = "0010000001", "98SDKFUO432HNODS098EEE07U9DUOIUE", false

	tests := []struct {
		name    string
		mod     func(*config.Gateway)
		wantErr string
	}{
		{"plain http off loopback", func(g *config.Gateway) { g.URL = "http://uat.sssyin.cn:9000/openGateway/openService/" }, "allow_http = true"},
		{"plain http allowed", func(g *config.Gateway) { g.URL = "http://uat.sssyin.cn:9000/x/"; g.AllowHTTP = true }, ""},
		{"missing CA file", func(g *config.Gateway) { g.URL = srv.URL + "/"; g.CAFile = filepath.Join(dir, "none.pem") }, "gateway.ca_file"},
		{"CA file", func(g *config.Gateway) { g.URL = srv.URL + "/"; g.CAFile = caFile }, ""},
	}
	for _, tt := range tests {
		cfg := base
		tt.mod(&cfg.Gateway)
		c, err := newGatewayClient(cfg, logger)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: got %v, want an error naming %s", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if cfg.Gateway.CAFile != "" {
			q, st := c.Query(context.Background(), gateway.QueryRequest{ChargeCode: "C1"})
			if !st.Done() || q.Amt != 100 {
				t.Errorf("%s: got %v %+v", tt.name, st, q)
			}
		}
	}
}
