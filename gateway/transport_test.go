package gateway

import (
	"context"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestClient_TLS: an https:// gateway's certificate is verified; a CA given
// as [gateway] ca_file (Config.CAPEM) makes a private one trusted (issue 8).
func TestClient_TLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, `{"RESULT":{"CODE":"SUCCESS"},"CHARGE_CODE":"C1","STATE":"1","AMT":"100"}`)
	}))
	t.Cleanup(srv.Close)
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})

	tests := []struct {
		name string
		ca   []byte
		want Outcome
	}{
		{"CA file trusts the server", caPEM, OutcomeDone},
		{"no CA file: unknown certificate refused", nil, OutcomeUnknown},
	}
	for _, tt := range tests {
		c, err := New(Config{URL: srv.URL + "/openGateway/openService/", BusiID: testBusi, Secret: testSecret, CAPEM: tt.ca})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		q, st := c.Query(context.Background(), QueryRequest{ChargeCode: "C1"})
		if st.Outcome != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, st, tt.want)
		}
		if tt.want == OutcomeDone && q.State != StatePaid {
			t.Errorf("%s: got %+v", tt.name, q)
		}
		if tt.want == OutcomeUnknown && !errors.Is(st.Err, ErrNoAnswer) {
			t.Errorf("%s: err %v, want ErrNoAnswer", tt.name, st.Err)
		}
	}
}

// TestClient_BatchQueryKeys: the vendor's spelling by default, lower camel
// case when configured; _type in the body (WIRE.md §4.7).
func TestClient_BatchQueryKeys(t *testing.T) {
	tests := []struct {
		keys string
		want string
	}{
		{"", `{"_type":"json","busiCode":"0010000001","ChannelType":"1","PageNum":"2","pageSize":"5","ChargeCode":"C"}`},
		{BatchKeysVendor, `{"_type":"json","busiCode":"0010000001","ChannelType":"1","PageNum":"2","pageSize":"5","ChargeCode":"C"}`},
		{BatchKeysCamel, `{"_type":"json","busiCode":"0010000001","channelType":"1","pageNum":"2","pageSize":"5","chargeCode":"C"}`},
	}
	for _, tt := range tests {
		g := newFakeGateway(t, fixed(`{"RESULT":{"CODE":"SUCCESS"},"chargesSize":0}`))
		c := g.client(t, func(c *Config) { c.BatchQueryKeys = tt.keys })
		_, st := c.BatchQuery(context.Background(), BatchQueryRequest{ChannelType: Int(1), PageNum: 2, PageSize: 5, ChargeCode: "C"})
		if !st.Done() {
			t.Fatalf("%q: %v", tt.keys, st)
		}
		if got := string(g.last().Plain); got != tt.want {
			t.Errorf("%q: sent %s\nwant %s", tt.keys, got, tt.want)
		}
	}
}

// TestClient_TimeExpire: TIME_EXPIRE, not in the vendor's document, is sent
// only when configured (WIRE.md §4.3).
func TestClient_TimeExpire(t *testing.T) {
	for _, send := range []bool{false, true} {
		g := newFakeGateway(t, fixed(`{"RESULT":{"CODE":"SUCCESS"},"CHARGE_CODE":"C","BAR_CODE":"https://qr/x"}`))
		c := g.client(t, func(c *Config) { c.SendTimeExpire = send })
		_, st := c.Precreate(context.Background(), PrecreateRequest{Amt: 100, ChannelType: ChannelAlipay, ChargeCode: "C", PaySubject: "s", TimeExpire: 90e9})
		if !st.Done() {
			t.Fatal(st)
		}
		_, n, err := ParseMessage(g.last().Plain)
		if err != nil {
			t.Fatal(err)
		}
		if got := n.Get("TIME_EXPIRE"); (got != nil) != send || (send && got.Text != "90") {
			t.Errorf("send %v: TIME_EXPIRE %+v", send, got)
		}
	}
}
