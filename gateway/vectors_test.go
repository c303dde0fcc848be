package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// The vectors of testdata/vectors.json (made with openssl, not with this
// code) reproduced through the typed requests, the client and the handler.

func vectorNamed(t *testing.T, name string) vector {
	t.Helper()
	for _, v := range loadVectors(t) {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no vector %q", name)
	return vector{}
}

// vectorPay is the pay request of the vectors as a typed request; BUSI_ID
// comes from the client's Config.
var vectorPay = PayRequest{OperID: "cashier01", DevID: "POS-01", Amt: 15800,
	DynamicID: "284214903060794755", ChargeCode: "20150324001069125999", PaySubject: "Store sale"}

func TestVectors_PayRequest(t *testing.T) {
	for _, name := range []string{"pay request, plain", "pay request, 3DES"} {
		t.Run(name, func(t *testing.T) {
			v := vectorNamed(t, name)
			req := vectorPay
			req.BusiID = testBusi
			got, err := json.Marshal(req)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != v.Plaintext {
				t.Fatalf("typed request:\n got %s\nwant %s", got, v.Plaintext)
			}

			g := newFakeGateway(t, fixed(fixturePay))
			c := g.client(t, func(cfg *Config) { cfg.Secret = v.Secret; cfg.Encrypt = v.Body3DES != "" })
			if _, st := c.Pay(context.Background(), vectorPay); !st.Done() {
				t.Fatalf("status: got %v, want done", st)
			}
			r := g.last()
			if r.Method != v.Method || string(r.Plain) != v.Plaintext || r.Sign != v.Sign {
				t.Errorf("sent method=%s sign=%s body %s\nwant method=%s sign=%s body %s",
					r.Method, r.Sign, r.Plain, v.Method, v.Sign, v.Plaintext)
			}
			if v.Body3DES != "" && string(r.Raw) != v.Body3DES {
				t.Errorf("3DES body:\n got %s\nwant %s", r.Raw, v.Body3DES)
			}
		})
	}
}

func TestVectors_PayResponse3DES(t *testing.T) {
	v := vectorNamed(t, "pay response with numbers for strings, 3DES")
	g := newFakeGateway(t, func(fakeRequest) fakeAnswer {
		return fakeAnswer{raw: []byte(v.Body3DES), sign: v.Sign}
	})
	c := g.client(t, func(cfg *Config) { cfg.Encrypt, cfg.RequireSign = true, true })
	got, st := c.Pay(context.Background(), vectorPay)
	if !st.Done() || st.Err != nil {
		t.Fatalf("status: got %v, want done", st)
	}
	want := PayResponse{Result: Result{"SUCCESS", "ok"}, ChannelType: ChannelAlipay, ChargeCode: "20150324001069125999",
		ChargeDownCode: "1435736619488", ChargeThirdCode: "2088110245121545154",
		FundBillList: []FundBill{{"10", 15800}}, OperID: "cashier01", DevID: "POS-01",
		BeginTime: "2015-10-14 04:43:14", Amt: 15800}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("answer:\n got %+v\nwant %+v", got, want)
	}
}

func TestVectors_QueryXML(t *testing.T) {
	v := vectorNamed(t, "query response, XML, plain")
	g := newFakeGateway(t, func(fakeRequest) fakeAnswer {
		return fakeAnswer{raw: []byte(v.Plaintext), sign: v.Sign}
	})
	c := g.client(t, func(cfg *Config) { cfg.Format, cfg.RequireSign = FormatXML, true })
	got, st := c.Query(context.Background(), QueryRequest{ChargeCode: "20150324001069125999"})
	if !st.Done() {
		t.Fatalf("status: got %v, want done", st)
	}
	want := QueryResponse{Result: Result{"SUCCESS", "ok"}, TradeInfo: TradeInfo{BusiID: testBusi, Amt: 15800,
		ChannelType: ChannelWeChat, ChargeCode: "20150324001069125999", ChargeDownCode: "1435736619488",
		State: StatePartiallyRefunded, PaySubject: "嗖嗖产品1", FundBillList: []FundBill{{"11", 10000}, {"41", 5800}}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("answer:\n got %+v\nwant %+v", got, want)
	}
}

func TestVectors_ShortSecretSUCESS(t *testing.T) {
	v := vectorNamed(t, "short secret is padded with ASCII 0 to 24 bytes")
	g := newFakeGateway(t, func(fakeRequest) fakeAnswer {
		return fakeAnswer{raw: []byte(v.Body3DES), sign: v.Sign}
	})
	g.secret = v.Secret
	c := g.client(t, func(cfg *Config) { cfg.Encrypt, cfg.RequireSign = true, true })
	got, st := c.Cancel(context.Background(), CancelRequest{ChargeCode: "C"})
	if !st.Done() || st.Code != CodeSuccess || got.Result.Code != CodeSuccess {
		t.Errorf("got %v %+v, want done SUCCESS", st, got)
	}
}

func TestVectors_Notification(t *testing.T) {
	v := vectorNamed(t, "notification (vendor sample), 3DES")
	var got []Notification
	h := NewNotifyHandler(v.Secret, func(_ context.Context, n Notification) error {
		got = append(got, n)
		return nil
	}, nil)
	req := httptest.NewRequest(http.MethodPost, "/notify?_type=json&encrypt=3DES&sign="+v.Sign, strings.NewReader(v.Body3DES))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Body.String() != "SUCCESS" {
		t.Fatalf("answer: got %d %q, want 200 SUCCESS", rec.Code, rec.Body.String())
	}
	want := Notification{BusiID: testBusi, OperID: "TEST1", DevID: "QQQQ", Amt: 1, ChannelType: ChannelAlipay,
		ChargeCode: "1C88FADB-75D2-4517-9C38-F273D423FFF3", ChargeDownCode: "20151123100000095182",
		PaySubject: "嗖嗖产品1", State: StatePaid, MerchantPara: "111111111111111111111111",
		FundBillList: []FundBill{{"10", 1}}}
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Errorf("notification:\n got %+v\nwant %+v", got, want)
	}
	// The plaintext decodes alone too.
	n, err := DecodeNotification([]byte(v.Plaintext))
	if err != nil || !reflect.DeepEqual(n, want) {
		t.Errorf("DecodeNotification: got %+v, %v", n, err)
	}
}
