package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"posterm/pos"
)

// TestClient_LogsKeepSecrets drives calls whose answers and errors quote
// what must not be logged, and checks the log: never the secret, a password
// or a whole payment code; always the subsystem and the call's attributes.
func TestClient_LogsKeepSecrets(t *testing.T) {
	const (
		code     = "284214903060794755"
		password = "Pa55word-7731"
	)
	g := newFakeGateway(t, func(r fakeRequest) fakeAnswer {
		switch r.Method {
		case MethodPay:
			// An INFO that quotes the code and the key, as a careless gateway might.
			return fakeAnswer{json: `{"RESULT":{"CODE":"ILLEGAL_PARAMETER","INFO":"DYNAMIC_ID ` + code + ` bad for key ` + testSecret + `"}}`}
		case MethodLogin:
			return fakeAnswer{json: `{"success":"false","message":"password ` + password + ` is wrong"}`}
		case MethodQuery:
			return fakeAnswer{json: `{"RESULT":{"CODE":"SUCCESS"},"DYNAMIC_ID":"` + code + `"}`, badSign: true}
		}
		return fakeAnswer{status: 503}
	})
	var logs bytes.Buffer
	c := g.client(t, func(cfg *Config) {
		cfg.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		cfg.Encrypt = true
	})
	ctx := context.Background()
	c.Pay(ctx, PayRequest{Amt: 100, DynamicID: code, ChargeCode: "C-LOG-1", PaySubject: "x"})
	c.Login(ctx, LoginRequest{Username: "cashier01", Password: password})
	c.Query(ctx, QueryRequest{ChargeCode: "C-LOG-1"})
	c.Cancel(ctx, CancelRequest{ChargeCode: "C-LOG-1"})
	c.Call(ctx, MethodPay, []Param{{"DYNAMIC_ID", code}, {"CHARGE_CODE", "C-LOG-2"}, {"AMT", "1.00"}})
	c.Call(ctx, MethodLogin, []Param{{"username", "u"}, {"password", password}})

	out := logs.String()
	for _, secret := range []string{testSecret, password, code} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds %q:\n%s", secret, out)
		}
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.Contains(l, `"msg":"gateway call"`) {
			lines = append(lines, l)
		}
	}
	if len(lines) != 6 {
		t.Fatalf("got %d log records, want 6:\n%s", len(lines), out)
	}
	var pay map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &pay); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"subsystem": "gateway", "method": MethodPay, "charge_code": "C-LOG-1",
		"result_code": CodeIllegalParameter, "outcome": "refused", "dynamic_id": pos.MaskCode(code)} {
		if pay[k] != want {
			t.Errorf("pay record %s: got %v, want %v", k, pay[k], want)
		}
	}
	if _, ok := pay["elapsed_ms"]; !ok {
		t.Error("pay record without elapsed_ms")
	}
	if !strings.Contains(out, `"outcome":"unknown"`) || !strings.Contains(out, `"level":"WARN"`) {
		t.Errorf("unknown outcomes should be logged as warnings:\n%s", out)
	}
}
