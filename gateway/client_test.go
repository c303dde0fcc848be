package gateway

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"posterm/pos"
)

func isErr(err, target error) bool { return errors.Is(err, target) }

func TestStatus_ZeroIsUnknown(t *testing.T) {
	var st Status
	if st.Outcome != OutcomeUnknown || !st.Unknown() || st.Done() || st.Refused() {
		t.Errorf("zero Status: got %v, want unknown", st)
	}
}

func TestNew_Config(t *testing.T) {
	good := Config{URL: "https://www.sssyin.cn/openGateway/openService/", BusiID: testBusi, Secret: testSecret}
	tests := []struct {
		name string
		mod  func(*Config)
		want string // substring of the error; "" for none
	}{
		{"ok", func(*Config) {}, ""},
		{"no URL", func(c *Config) { c.URL = "" }, "URL"},
		{"bad URL", func(c *Config) { c.URL = "ftp://x" }, "URL"},
		{"no busi", func(c *Config) { c.BusiID = "" }, "BusiID"},
		{"no secret", func(c *Config) { c.Secret = "" }, "Secret"},
		{"bad format", func(c *Config) { c.Format = "yaml" }, "Format"},
		{"negative timeout", func(c *Config) { c.Timeout = -1 }, "timeout"},
		// Transport (issue 8): plain http only to loopback, unless allowed.
		{"plain http refused", func(c *Config) { c.URL = "http://uat.sssyin.cn:9000/openGateway/openService/" }, "[gateway] allow_http = true"},
		{"plain http allowed", func(c *Config) { c.URL = "http://uat.sssyin.cn:9000/x/"; c.AllowHTTP = true }, ""},
		{"plain http to 127.0.0.1", func(c *Config) { c.URL = "http://127.0.0.1:8080/x/" }, ""},
		{"plain http to localhost", func(c *Config) { c.URL = "http://localhost:8080/x/" }, ""},
		{"plain http to ::1", func(c *Config) { c.URL = "http://[::1]:8080/x/" }, ""},
		{"plain http to a name that looks local", func(c *Config) { c.URL = "http://127.0.0.1.example.com/x/" }, "allow_http"},
		{"CA file without a certificate", func(c *Config) { c.CAPEM = []byte("not PEM") }, "ca_file"},
		{"bad batch keys", func(c *Config) { c.BatchQueryKeys = "snake" }, "BatchQueryKeys"},
	}
	for _, tt := range tests {
		cfg := good
		tt.mod(&cfg)
		c, err := New(cfg)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: got %v, want no error", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: got %v, want an error naming %s", tt.name, err, tt.want)
		case tt.want == "":
			if c.cfg.Format != FormatJSON || c.timeout(MethodPay) != DefaultPayTimeout || c.timeout(MethodQuery) != DefaultTimeout {
				t.Errorf("defaults: got %+v", c.cfg)
			}
		}
	}
	c, _ := New(Config{URL: good.URL, BusiID: testBusi, Secret: testSecret,
		Timeouts: map[string]time.Duration{MethodQuery: 3 * time.Second}})
	if got := c.timeout(MethodQuery); got != 3*time.Second {
		t.Errorf("per-method timeout: got %v, want 3s", got)
	}
}

// TestClient_Outcomes checks that every way a call can fail leaves the
// outcome unknown, that final codes are refused, and that nothing unknown is
// ever called refused.
func TestClient_Outcomes(t *testing.T) {
	payOK := fixturePay
	tests := []struct {
		name    string
		mod     func(*Config)
		answer  fakeAnswer
		want    Outcome
		wantErr error
		code    string
	}{
		{name: "success", answer: fakeAnswer{json: payOK}, want: OutcomeDone},
		{name: "SUCESS", answer: fakeAnswer{json: `{"RESULT":{"CODE":"SUCESS","INFO":""}}`}, want: OutcomeDone, code: CodeSuccess},
		{name: "unsigned accepted when not required", answer: fakeAnswer{json: payOK, noSign: true}, want: OutcomeDone},
		{name: "timeout", mod: func(c *Config) { c.PayTimeout = 50 * time.Millisecond },
			answer: fakeAnswer{json: payOK, delay: 3 * time.Second}, want: OutcomeUnknown, wantErr: context.DeadlineExceeded},
		{name: "connection reset", answer: fakeAnswer{hijack: true}, want: OutcomeUnknown, wantErr: ErrNoAnswer},
		{name: "answer cut", answer: fakeAnswer{partial: true}, want: OutcomeUnknown, wantErr: ErrNoAnswer},
		{name: "503", answer: fakeAnswer{status: 503}, want: OutcomeUnknown, wantErr: ErrHTTPStatus},
		{name: "500", answer: fakeAnswer{status: 500}, want: OutcomeUnknown, wantErr: ErrHTTPStatus},
		{name: "redirect not followed", answer: fakeAnswer{redirect: "/elsewhere"}, want: OutcomeUnknown, wantErr: ErrHTTPStatus},
		{name: "wrong signature", answer: fakeAnswer{json: payOK, badSign: true}, want: OutcomeUnknown, wantErr: ErrBadSign},
		{name: "wrong signature on a refusal", answer: fakeAnswer{json: `{"RESULT":{"CODE":"FAIL"}}`, badSign: true},
			want: OutcomeUnknown, wantErr: ErrBadSign},
		{name: "missing signature when required", mod: func(c *Config) { c.RequireSign = true },
			answer: fakeAnswer{json: `{"RESULT":{"CODE":"FAIL","INFO":"x"}}`, noSign: true}, want: OutcomeUnknown, wantErr: ErrUnsigned},
		{name: "garbage body", answer: fakeAnswer{raw: []byte("<html>Bad Gateway")}, want: OutcomeUnknown, wantErr: ErrBadAnswer},
		{name: "empty body", answer: fakeAnswer{raw: []byte{}}, want: OutcomeUnknown, wantErr: ErrBadAnswer},
		{name: "JSON array", answer: fakeAnswer{raw: []byte(`[{"RESULT":{"CODE":"SUCCESS"}}]`)}, want: OutcomeUnknown, wantErr: ErrBadAnswer},
		{name: "trailing garbage", answer: fakeAnswer{raw: []byte(`{"RESULT":{"CODE":"SUCCESS"}} {}`)}, want: OutcomeUnknown, wantErr: ErrBadAnswer},
		{name: "repeated RESULT", answer: fakeAnswer{raw: []byte(`{"RESULT":{"CODE":"FAIL"},"RESULT":{"CODE":"SUCCESS"}}`)}, want: OutcomeUnknown, wantErr: ErrBadAnswer},
		{name: "bad AMT", answer: fakeAnswer{json: `{"RESULT":{"CODE":"SUCCESS"},"AMT":"158.01"}`}, want: OutcomeUnknown, wantErr: pos.ErrBadAmount},
		{name: "bad AMT on a refusal", answer: fakeAnswer{json: `{"RESULT":{"CODE":"FAIL"},"AMT":"1e-1"}`}, want: OutcomeUnknown, wantErr: pos.ErrBadAmount},
		{name: "negative AMT", answer: fakeAnswer{json: `{"RESULT":{"CODE":"SUCCESS"},"AMT":-15800}`}, want: OutcomeUnknown, wantErr: pos.ErrBadAmount},
		// Side fields that cannot be read are dropped, never unknown (WIRE.md §2.4).
		{name: "bad fund bill AMOUNT is dropped", answer: fakeAnswer{json: `{"RESULT":{"CODE":"SUCCESS"},"FUND_BILL_LIST":{"TRADEFUNDBILL":[{"AMOUNT":"1.005"}]}}`}, want: OutcomeDone, code: "SUCCESS"},
		{name: "bad CHANNEL_TYPE is dropped", answer: fakeAnswer{json: `{"RESULT":{"CODE":"SUCCESS"},"CHANNEL_TYPE":"alipay"}`}, want: OutcomeDone, code: "SUCCESS"},
		{name: "inexact AMT", answer: fakeAnswer{json: `{"RESULT":{"CODE":"SUCCESS"},"AMT":"158.5"}`}, want: OutcomeUnknown, wantErr: pos.ErrBadAmount},
		{name: "RESULT CODE not a string", answer: fakeAnswer{json: `{"RESULT":{"CODE":{"x":1}}}`}, want: OutcomeUnknown, wantErr: ErrBadAnswer},
		{name: "no RESULT", answer: fakeAnswer{json: `{"AMT":"15800"}`}, want: OutcomeUnknown, wantErr: ErrBadAnswer},
		{name: "unknown code", answer: fakeAnswer{json: `{"RESULT":{"CODE":"WAIT_BUYER_PAY"}}`}, want: OutcomeUnknown, wantErr: ErrFaultCode, code: "WAIT_BUYER_PAY"},
		{name: "another charge", answer: fakeAnswer{json: `{"RESULT":{"CODE":"SUCCESS"},"CHARGE_CODE":"OTHER"}`}, want: OutcomeUnknown, wantErr: ErrWrongCharge},
		{name: "encrypted answer that does not decrypt", mod: func(c *Config) { c.Encrypt = true },
			answer: fakeAnswer{raw: []byte("AAAA"), sign: "00"}, want: OutcomeUnknown, wantErr: ErrBadAnswer},
		{name: "plain unsigned answer to an encrypted request", mod: func(c *Config) { c.Encrypt = true },
			answer: fakeAnswer{json: `{"RESULT":{"CODE":"UNREGISTERED_BUSI"}}`, noCrypt: true, noSign: true}, want: OutcomeUnknown, wantErr: ErrUnsigned},
		{name: "plain signed answer to an encrypted request", mod: func(c *Config) { c.Encrypt = true },
			answer: fakeAnswer{json: `{"RESULT":{"CODE":"ILLEGAL_PARAMETER","INFO":"AMT"}}`, noCrypt: true}, want: OutcomeRefused, code: CodeIllegalParameter},
	}
	for _, code := range []string{CodeDatabaseError, CodeException, CodeServiceUnavailable, CodeHTTPException,
		CodeIOException, CodeCreateSecurityConnectionError} {
		tests = append(tests, struct {
			name    string
			mod     func(*Config)
			answer  fakeAnswer
			want    Outcome
			wantErr error
			code    string
		}{name: "fault " + code, answer: fakeAnswer{json: `{"RESULT":{"CODE":"` + code + `","INFO":"x"}}`},
			want: OutcomeUnknown, wantErr: ErrFaultCode, code: code})
	}
	for _, code := range []string{CodeFail, CodeIllegalParameter, CodeInvalidSign, CodeAmtError, CodeInvalidContract,
		CodeUnregisteredBusi, CodeChargeNonexistent, CodeAreadyRevoked, CodeSerialRepeat} {
		tests = append(tests, struct {
			name    string
			mod     func(*Config)
			answer  fakeAnswer
			want    Outcome
			wantErr error
			code    string
		}{name: "final " + code, answer: fakeAnswer{json: `{"RESULT":{"CODE":"` + code + `","INFO":"x"}}`},
			want: OutcomeRefused, code: code})
	}
	tests = append(tests, struct {
		name    string
		mod     func(*Config)
		answer  fakeAnswer
		want    Outcome
		wantErr error
		code    string
	}{name: "repeated RESULT element", answer: fakeAnswer{raw: []byte(`<RESPONSE><RESULT><CODE>FAIL</CODE></RESULT><RESULT><CODE>SUCCESS</CODE></RESULT></RESPONSE>`)},
		want: OutcomeUnknown, wantErr: ErrBadAnswer})
	for _, tt := range tests {
		for _, format := range []Format{FormatJSON, FormatXML} {
			t.Run(tt.name+"/"+string(format), func(t *testing.T) {
				g := newFakeGateway(t, func(fakeRequest) fakeAnswer { return tt.answer })
				c := g.client(t, func(cfg *Config) {
					cfg.Format = format
					if tt.mod != nil {
						tt.mod(cfg)
					}
				})
				_, st := c.Pay(context.Background(), PayRequest{Amt: 15800, DynamicID: "284214903060794755",
					ChargeCode: "20150324001069125999", PaySubject: "Store sale"})
				if st.Outcome != tt.want {
					t.Fatalf("outcome: got %v, want %v", st, tt.want)
				}
				if tt.wantErr != nil && !errors.Is(st.Err, tt.wantErr) {
					t.Errorf("err: got %v, want %v", st.Err, tt.wantErr)
				}
				if tt.wantErr == nil && st.Err != nil {
					t.Errorf("err: got %v, want nil", st.Err)
				}
				if st.Outcome == OutcomeUnknown && st.Err == nil {
					t.Error("an unknown outcome without an Err")
				}
				if tt.code != "" && st.Code != tt.code {
					t.Errorf("code: got %q, want %q", st.Code, tt.code)
				}
			})
		}
	}
}

func TestClient_Timeouts(t *testing.T) {
	g := newFakeGateway(t, func(fakeRequest) fakeAnswer {
		return fakeAnswer{json: fixtureCancel, delay: 3 * time.Second}
	})
	c := g.client(t, func(cfg *Config) {
		cfg.Timeouts = map[string]time.Duration{MethodCancel: 40 * time.Millisecond}
	})
	start := time.Now()
	_, st := c.Cancel(context.Background(), CancelRequest{ChargeCode: "C"})
	if st.Outcome != OutcomeUnknown || !errors.Is(st.Err, ErrNoAnswer) || !errors.Is(st.Err, context.DeadlineExceeded) {
		t.Errorf("per-method timeout: got %v, want unknown, deadline exceeded", st)
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("the per-method timeout was not applied")
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, st = c.Query(ctx, QueryRequest{ChargeCode: "C"})
	if st.Outcome != OutcomeUnknown || !errors.Is(st.Err, context.Canceled) {
		t.Errorf("cancelled context: got %v, want unknown, canceled", st)
	}
	if strings.Contains(st.Err.Error(), "sign=") {
		t.Errorf("the error repeats the URL: %v", st.Err)
	}
}

func TestClient_ConnectionRefused(t *testing.T) {
	g := newFakeGateway(t, fixed(fixtureCancel))
	c := g.client(t, nil)
	g.srv.Close()
	_, st := c.Cancel(context.Background(), CancelRequest{ChargeCode: "C"})
	if st.Outcome != OutcomeUnknown || !errors.Is(st.Err, ErrNoAnswer) || st.HTTPStatus != 0 {
		t.Errorf("got %v, want unknown, no answer", st)
	}
}

func TestClient_Login(t *testing.T) {
	tests := []struct {
		answer  string
		want    Outcome
		allowed bool
	}{
		{fixtureLogin, OutcomeDone, true},
		{`{"success":"false","message":"Account/password error"}`, OutcomeRefused, false},
		{`{"success":true,"user":{"loginFlag":"0","userType":"1"}}`, OutcomeDone, false},
		{`{"success":"maybe"}`, OutcomeUnknown, false},
		{`{"message":"no success"}`, OutcomeUnknown, false},
		{`{"success":"true","user":"x"}`, OutcomeUnknown, false},
		{`{"success":"true","user":{"company":{"amountLimit":"lots"}}}`, OutcomeUnknown, false},
	}
	for _, tt := range tests {
		for _, format := range []Format{FormatJSON, FormatXML} {
			g := newFakeGateway(t, fixed(tt.answer))
			c := g.client(t, func(cfg *Config) { cfg.Format = format })
			got, st := c.Login(context.Background(), LoginRequest{Username: "u", Password: "p"})
			if st.Outcome != tt.want {
				t.Errorf("%s %s: got %v, want %v", format, tt.answer, st, tt.want)
			}
			if got.User.LoginAllowed() != tt.allowed {
				t.Errorf("%s %s: LoginAllowed %v, want %v", format, tt.answer, got.User.LoginAllowed(), tt.allowed)
			}
			if tt.want == OutcomeRefused && st.Info != "Account/password error" {
				t.Errorf("message: got %q", st.Info)
			}
		}
	}
}

func TestUser_Flags(t *testing.T) {
	var u LoginResponse
	if u.User.CanRefund() || u.User.LoginAllowed() || u.User.Company.RefundAtSceneAllowed() || u.User.Company.MustUploadGoods() {
		t.Error("the zero user must have no permission")
	}
	u2 := User{UserType: "2", LoginFlag: "1", DelFlag: "0", Company: Company{RefundAtScene: "0", IsUploadGoods: "1"}}
	if !u2.CanRefund() || !u2.LoginAllowed() || !u2.Company.RefundAtSceneAllowed() || !u2.Company.MustUploadGoods() {
		t.Error("flags not read")
	}
	if (User{LoginFlag: "1", DelFlag: "1"}).LoginAllowed() {
		t.Error("a deleted user may not log in")
	}
}

func TestClient_QueryByGatewaySerial(t *testing.T) {
	g := newFakeGateway(t, fixed(`{"RESULT":{"CODE":"SUCCESS"},"CHARGE_CODE":"MERCHANT-1","CHARGE_DOWN_CODE":"D-9","STATE":"1","AMT":"1"}`))
	c := g.client(t, nil)
	q, st := c.Query(context.Background(), QueryRequest{ChargeCode: "D-9", SerType: SerTypeGateway})
	if !st.Done() || q.State != StatePaid || q.ChargeCode != "MERCHANT-1" {
		t.Errorf("got %v %+v, want done, paid", st, q)
	}
	_, st = c.Query(context.Background(), QueryRequest{ChargeCode: "D-8", SerType: SerTypeGateway})
	if !errors.Is(st.Err, ErrWrongCharge) || st.Outcome != OutcomeUnknown {
		t.Errorf("another serial: got %v, want unknown", st)
	}
}

func TestClient_AbsentFields(t *testing.T) {
	g := newFakeGateway(t, fixed(`{"RESULT":{"CODE":"CHARGE_NONEXISTENT","INFO":"no such charge"},"STATE":"","AMT":null}`))
	c := g.client(t, nil)
	q, st := c.Query(context.Background(), QueryRequest{ChargeCode: "C"})
	if !st.Refused() || st.Code != CodeChargeNonexistent || st.Info != "no such charge" {
		t.Errorf("status: got %v", st)
	}
	if q.State != Absent || q.Amt != Absent || q.ChannelType != Absent {
		t.Errorf("absent fields: got State %d Amt %d ChannelType %d, want %d", q.State, q.Amt, q.ChannelType, Absent)
	}
	// No answer at all: the typed answer is empty, its numbers Absent.
	g2 := newFakeGateway(t, func(fakeRequest) fakeAnswer { return fakeAnswer{status: http.StatusBadGateway} })
	q, st = g2.client(t, nil).Query(context.Background(), QueryRequest{ChargeCode: "C"})
	if st.Outcome != OutcomeUnknown || q.State != Absent || st.HTTPStatus != http.StatusBadGateway {
		t.Errorf("no answer: got %v State %d", st, q.State)
	}
}
