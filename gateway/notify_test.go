package gateway

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
)

const notifyJSON = `{"PAY_NODIFY":{"BUSI_ID":"0010000001","OPER_ID":"cashier01","DEV_ID":"POS-01","AMT":"15800","CHANNEL_TYPE":"2","CHARGE_CODE":"N-1","CHARGE_DOWN_CODE":"D-1","CHARGE_THIRD_CODE":"T-1","PAY_SUBJECT":"Store sale","GOODS_DETAIL":[{"GOOD_ID":"1","GOOD_NAME":"Tea","GOOD_CLASS":"Food","GOOD_PRICE":"158.00","GOOD_SUBJECT":"Food","GOOD_QUANTITY":"1"}],"STATE":"1","MERCHANTPARA":"","FUND_BILL_LIST":{"TRADEFUNDBILL":[{"FUND_CHANNEL":"11","AMOUNT":"158.00"}]}}}`

const notifyXML = `<?xml version="1.0" encoding="UTF-8"?><PAY_NODIFY><BUSI_ID>0010000001</BUSI_ID><OPER_ID>cashier01</OPER_ID><DEV_ID>POS-01</DEV_ID><AMT>15800</AMT><CHANNEL_TYPE>2</CHANNEL_TYPE><CHARGE_CODE>N-1</CHARGE_CODE><CHARGE_DOWN_CODE>D-1</CHARGE_DOWN_CODE><CHARGE_THIRD_CODE>T-1</CHARGE_THIRD_CODE><PAY_SUBJECT>Store sale</PAY_SUBJECT><GOODS_DETAIL><GOODSINFO><GOOD_ID>1</GOOD_ID><GOOD_NAME>Tea</GOOD_NAME><GOOD_CLASS>Food</GOOD_CLASS><GOOD_PRICE>158.00</GOOD_PRICE><GOOD_SUBJECT>Food</GOOD_SUBJECT><GOOD_QUANTITY>1</GOOD_QUANTITY></GOODSINFO></GOODS_DETAIL><STATE>1</STATE><MERCHANTPARA></MERCHANTPARA><FUND_BILL_LIST><TRADEFUNDBILL><FUND_CHANNEL>11</FUND_CHANNEL><AMOUNT>158.00</AMOUNT></TRADEFUNDBILL></FUND_BILL_LIST></PAY_NODIFY>`

var notifyWant = Notification{BusiID: testBusi, OperID: "cashier01", DevID: "POS-01", Amt: 15800, ChannelType: 2,
	ChargeCode: "N-1", ChargeDownCode: "D-1", ChargeThirdCode: "T-1", PaySubject: "Store sale",
	GoodsDetail: []Good{{GoodID: "1", GoodName: "Tea", GoodClass: "Food", GoodPrice: 15800, GoodSubject: "Food", GoodQuantity: "1"}},
	State:       StatePaid, FundBillList: []FundBill{{"11", 15800}}}

// notifyRequest builds the gateway's POST to NODIFY_URL (WIRE.md §8).
func notifyRequest(t testing.TB, method, typ string, encrypt bool, plain, sign string) *http.Request {
	t.Helper()
	body := plain
	q := url.Values{}
	if typ != "" {
		q.Set("_type", typ)
	}
	if encrypt {
		enc, err := Encrypt([]byte(plain), testSecret)
		if err != nil {
			t.Fatal(err)
		}
		body = enc
		q.Set("encrypt", EncryptParam)
	}
	if sign != "" {
		q.Set("sign", sign)
	}
	return httptest.NewRequest(method, "/notify?"+q.Encode(), strings.NewReader(body))
}

func TestNotifyHandler(t *testing.T) {
	good := Sign([]byte(notifyJSON), testSecret)
	goodXML := Sign([]byte(notifyXML), testSecret)
	tests := []struct {
		name      string
		req       func(testing.TB) *http.Request
		acceptErr error
		want      int
		accepted  bool
	}{
		{"json 3DES", func(t testing.TB) *http.Request {
			return notifyRequest(t, "POST", "json", true, notifyJSON, good)
		}, nil, 200, true},
		{"json plain", func(t testing.TB) *http.Request {
			return notifyRequest(t, "POST", "json", false, notifyJSON, good)
		}, nil, 200, true},
		{"xml 3DES", func(t testing.TB) *http.Request {
			return notifyRequest(t, "POST", "xml", true, notifyXML, goodXML)
		}, nil, 200, true},
		{"xml plain, no _type", func(t testing.TB) *http.Request {
			return notifyRequest(t, "POST", "", false, notifyXML, goodXML)
		}, nil, 200, true},
		{"sign in the header", func(t testing.TB) *http.Request {
			r := notifyRequest(t, "POST", "json", true, notifyJSON, "")
			r.Header.Set(SignHeader, good)
			return r
		}, nil, 200, true},
		{"lower-case sign", func(t testing.TB) *http.Request {
			return notifyRequest(t, "POST", "json", true, notifyJSON, strings.ToLower(good))
		}, nil, 200, true},
		{"missing sign", func(t testing.TB) *http.Request {
			return notifyRequest(t, "POST", "json", true, notifyJSON, "")
		}, nil, 403, false},
		{"wrong sign", func(t testing.TB) *http.Request {
			return notifyRequest(t, "POST", "json", true, notifyJSON, Sign([]byte(notifyJSON), "another key"))
		}, nil, 403, false},
		{"sign of the ciphertext", func(t testing.TB) *http.Request {
			enc, _ := Encrypt([]byte(notifyJSON), testSecret)
			return notifyRequest(t, "POST", "json", true, notifyJSON, Sign([]byte(enc), testSecret))
		}, nil, 403, false},
		{"plain body marked 3DES, unsigned", func(t testing.TB) *http.Request {
			return httptest.NewRequest("POST", "/notify?encrypt=3DES", strings.NewReader(notifyJSON))
		}, nil, 403, false},
		{"does not decrypt", func(t testing.TB) *http.Request {
			return httptest.NewRequest("POST", "/notify?encrypt=3DES&sign="+good, strings.NewReader("AAAAAAAA"))
		}, nil, 400, false},
		{"unknown encryption", func(t testing.TB) *http.Request {
			return httptest.NewRequest("POST", "/notify?encrypt=AES&sign="+good, strings.NewReader(notifyJSON))
		}, nil, 400, false},
		{"GET", func(t testing.TB) *http.Request {
			return notifyRequest(t, "GET", "json", false, notifyJSON, good)
		}, nil, 405, false},
		{"accept fails", func(t testing.TB) *http.Request {
			return notifyRequest(t, "POST", "json", true, notifyJSON, good)
		}, errors.New("journal is locked"), 500, true},
	}
	bad := []struct{ name, body string }{
		{"no PAY_NODIFY", `{"BUSI_ID":"0010000001","CHARGE_CODE":"N-1","AMT":"1","STATE":"1"}`},
		{"no CHARGE_CODE", `{"PAY_NODIFY":{"AMT":"1","STATE":"1"}}`},
		{"no AMT", `{"PAY_NODIFY":{"CHARGE_CODE":"N-1","STATE":"1"}}`},
		{"no STATE", `{"PAY_NODIFY":{"CHARGE_CODE":"N-1","AMT":"1"}}`},
		{"yuan AMT", `{"PAY_NODIFY":{"CHARGE_CODE":"N-1","AMT":"0.01","STATE":"1"}}`},
		{"garbage", `garbage`},
	}
	for _, b := range bad {
		sign := Sign([]byte(b.body), testSecret)
		tests = append(tests, struct {
			name      string
			req       func(testing.TB) *http.Request
			acceptErr error
			want      int
			accepted  bool
		}{"signed but " + b.name, func(t testing.TB) *http.Request {
			return notifyRequest(t, "POST", "json", true, b.body, sign)
		}, nil, 400, false})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []Notification
			var logs bytes.Buffer
			h := NewNotifyHandler(testSecret, func(_ context.Context, n Notification) error {
				got = append(got, n)
				return tt.acceptErr
			}, slog.New(slog.NewJSONHandler(&logs, nil)))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, tt.req(t))
			if rec.Code != tt.want {
				t.Fatalf("status: got %d, want %d (%s)", rec.Code, tt.want, logs.String())
			}
			if (rec.Code == 200) != (rec.Body.String() == "SUCCESS") {
				t.Errorf("body: got %q with status %d", rec.Body.String(), rec.Code)
			}
			if tt.accepted != (len(got) == 1) {
				t.Fatalf("accept called %d times, want accepted=%v", len(got), tt.accepted)
			}
			if tt.accepted {
				if w := notifyWant; !reflect.DeepEqual(got[0], w) {
					t.Errorf("notification:\n got %+v\nwant %+v", got[0], w)
				}
			}
			if !strings.Contains(logs.String(), `"subsystem":"gateway"`) || !strings.Contains(logs.String(), `"method":"notify"`) {
				t.Errorf("log: %s", logs.String())
			}
			if strings.Contains(logs.String(), testSecret) {
				t.Errorf("the log holds the secret: %s", logs.String())
			}
		})
	}
}

// TestNotifyHandler_Server posts through a real server, repeatedly, as the
// gateway retries (§8): every delivery is handed over, the receiver dedupes.
func TestNotifyHandler_Server(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(NewNotifyHandler(testSecret, func(_ context.Context, n Notification) error {
		mu.Lock()
		defer mu.Unlock()
		seen[n.ChargeCode]++
		return nil
	}, nil))
	defer srv.Close()
	enc, _ := Encrypt([]byte(notifyJSON), testSecret)
	u := srv.URL + "/notify?_type=json&encrypt=3DES&sign=" + Sign([]byte(notifyJSON), testSecret)
	for range 3 {
		resp, err := http.Post(u, ContentTypeEnc, strings.NewReader(enc))
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || b.String() != "SUCCESS" {
			t.Errorf("got %d %q, want 200 SUCCESS", resp.StatusCode, b.String())
		}
	}
	if seen["N-1"] != 3 {
		t.Errorf("deliveries: got %d, want 3", seen["N-1"])
	}
}

func TestNotifyHandler_NoSecret(t *testing.T) {
	h := NewNotifyHandler("", func(context.Context, Notification) error { return nil }, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/n?sign="+Sign([]byte(notifyJSON), ""), strings.NewReader(notifyJSON)))
	if rec.Code != http.StatusForbidden {
		t.Errorf("empty key: got %d, want 403", rec.Code)
	}
}
