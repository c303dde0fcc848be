package sandbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"posterm/gateway"
)

func TestEnvelope_FormatsAgree(t *testing.T) {
	run := startSandbox(t, Options{TimeScale: fastScale})
	cc := newSerial("fmt")
	pay := newClient(t, run, "json", false).call(gateway.MethodPay,
		with(payBody(cc, payCode("13", "85"), "158.00"), "goodsInfos", []any{map[string]any{
			"GOOD_ID": "2010", "GOOD_NAME": "Tea", "GOOD_CLASS": "food", "GOOD_PRICE": "158.00",
			"GOOD_SUBJECT": "Store sale", "GOOD_QUANTITY": "1"}}))
	wantCode(t, pay, gateway.CodeSuccess)

	var answers []msg
	for _, format := range []string{"json", "xml"} {
		for _, enc := range []bool{false, true} {
			c := newClient(t, run, format, enc)
			for _, m := range []msg{
				c.call(gateway.MethodQuery, queryBody(cc)),
				c.call(gateway.MethodChannels, map[string]any{"BUSI_ID": DemoBusiID}),
				c.call(gateway.MethodBatchQuery, map[string]any{"busiCode": DemoBusiID, "pageNum": 1, "pageSize": 10}),
				c.call(gateway.MethodLogin, map[string]any{"username": "manager01", "password": "8888"}),
			} {
				if u, ok := m["user"].(map[string]any); ok {
					delete(u, "loginDate") // a clock reading
				}
				answers = append(answers, m)
			}
		}
	}
	for i := 4; i < len(answers); i++ {
		if !reflect.DeepEqual(answers[i], answers[i%4]) {
			t.Errorf("answer %d differs from the plain JSON one:\n got %v\nwant %v", i, answers[i], answers[i%4])
		}
	}
	q := answers[0]
	for k, want := range map[string]string{
		"AMT": "15800", "CHANNEL_TYPE": "2", "STATE": "1", "CHARGE_CODE": cc,
		"DYNAMIC_ID": payCode("13", "85"), "BUSI_ID": DemoBusiID,
	} {
		if got := q.str(k); got != want {
			t.Errorf("query %s: got %q, want %q", k, got, want)
		}
	}
	bills := q.list("FUND_BILL_LIST", "TRADEFUNDBILL")
	want := []any{
		map[string]any{"FUND_CHANNEL": "11", "AMOUNT": "157.00"},
		map[string]any{"FUND_CHANNEL": "41", "AMOUNT": "1.00"},
	}
	if !reflect.DeepEqual(bills, want) {
		t.Errorf("FUND_BILL_LIST: got %v, want %v", bills, want)
	}
	if g := q.list("GOODS_DETAIL"); len(g) != 1 || g[0].(map[string]any)["GOOD_PRICE"] != "158.00" {
		t.Errorf("GOODS_DETAIL: got %v", g)
	}
	if l := answers[1].list("PAY_CHANNEL_LIST"); len(l) < 2 {
		t.Errorf("PAY_CHANNEL_LIST: got %v, want Alipay and WeChat", l)
	}
	if answers[3]["RESULT"] != nil {
		t.Errorf("login answer carries RESULT: %v", answers[3])
	}
}

func TestEnvelope_XMLBytes(t *testing.T) {
	run := startSandbox(t, Options{})
	c := newClient(t, run, "", false) // no _type: XML (WIRE.md §2)
	plain := []byte(`{"BUSI_ID":"0010000001","CHARGE_CODE":"nope<&>"}`)
	resp, raw, err := c.send(c.query(gateway.MethodQuery), plain)
	if err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?><RESPONSE><RESULT><CODE>CHARGE_NONEXISTENT</CODE><INFO>no such transaction</INFO></RESULT></RESPONSE>`
	if string(raw) != want {
		t.Errorf("body:\n got %s\nwant %s", raw, want)
	}
	if ct := resp.Header.Get("Content-Type"); ct != gateway.ContentTypeXML {
		t.Errorf("content type: got %q, want %q", ct, gateway.ContentTypeXML)
	}
	if got, want := resp.Header.Get(gateway.SignHeader), gateway.Sign([]byte(want), DemoSecret); got != want {
		t.Errorf("sign: got %s, want %s", got, want)
	}
}

func TestEnvelope_Faults(t *testing.T) {
	run := startSandbox(t, Options{})
	good := []byte(`{"BUSI_ID":"0010000001","CHARGE_CODE":"x"}`)
	tests := []struct {
		name     string
		query    func(q url.Values)
		body     []byte
		rawBody  string // sent as is, not encrypted
		code     string
		info     string // substring
		unsigned bool
	}{
		{name: "missing sign", query: func(q url.Values) { q.Set("sign", "") }, code: gateway.CodeInvalidSign},
		{name: "wrong sign", query: func(q url.Values) { q.Set("sign", strings.Repeat("A", 32)) }, code: gateway.CodeInvalidSign},
		{name: "sign of other bytes", query: func(q url.Values) { q.Set("sign", gateway.Sign([]byte("{}"), DemoSecret)) }, code: gateway.CodeInvalidSign},
		{name: "body does not decrypt", query: func(q url.Values) { q.Set("encrypt", "3DES"); q.Set("sign", gateway.Sign(good, DemoSecret)) },
			rawBody: "not base64!", code: gateway.CodeInvalidSign},
		{name: "plain body sent as 3DES", query: func(q url.Values) { q.Set("encrypt", "3DES"); q.Set("sign", gateway.Sign(good, DemoSecret)) },
			rawBody: string(good), code: gateway.CodeInvalidSign},
		{name: "unknown busiCode", query: func(q url.Values) { q.Set("busiCode", "0099999999") }, code: gateway.CodeUnregisteredBusi, unsigned: true},
		{name: "missing busiCode", query: func(q url.Values) { q.Del("busiCode") }, code: gateway.CodeIllegalParameter, info: "busiCode", unsigned: true},
		{name: "BUSI_ID differs", body: []byte(`{"BUSI_ID":"0099999999","CHARGE_CODE":"x"}`), code: gateway.CodeUnregisteredBusi, info: "BUSI_ID"},
		{name: "unknown method", query: func(q url.Values) { q.Set("method", "sosopay.trade.nope") }, code: gateway.CodeIllegalParameter, info: "method"},
		{name: "missing method", query: func(q url.Values) { q.Del("method") }, code: gateway.CodeIllegalParameter, info: "method"},
		{name: "bad encrypt", query: func(q url.Values) { q.Set("encrypt", "AES") }, code: gateway.CodeIllegalParameter, info: "encrypt"},
		{name: "body not JSON", body: []byte(`BUSI_ID=1`), code: gateway.CodeIllegalParameter, info: "body"},
		{name: "body a JSON list", body: []byte(`[1]`), code: gateway.CodeIllegalParameter, info: "body"},
		{name: "object for a scalar", body: []byte(`{"BUSI_ID":"0010000001","CHARGE_CODE":{"a":1}}`), code: gateway.CodeIllegalParameter, info: "CHARGE_CODE"},
		{name: "empty string is absent", body: []byte(`{"BUSI_ID":"0010000001","CHARGE_CODE":""}`), code: gateway.CodeIllegalParameter, info: "CHARGE_CODE"},
		{name: "number for a string", body: []byte(`{"BUSI_ID":"0010000001","CHARGE_CODE":12345}`), code: gateway.CodeChargeNonexistent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, run, "json", false)
			q := c.query(gateway.MethodQuery)
			body := good
			if tt.body != nil {
				body = tt.body
			}
			if tt.query != nil {
				tt.query(q)
			}
			if !q.Has("sign") {
				q.Set("sign", gateway.Sign(body, DemoSecret))
			}
			send := body
			if tt.rawBody != "" {
				send = []byte(tt.rawBody)
			} else if q.Get("encrypt") == "3DES" {
				enc, _ := gateway.Encrypt(body, DemoSecret)
				send = []byte(enc)
			}
			resp, err := http.Post(run.ServiceURL()+"?"+q.Encode(), gateway.ContentTypePlain, bytes.NewReader(send))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var raw bytes.Buffer
			raw.ReadFrom(resp.Body)
			plain := raw.Bytes()
			if q.Get("encrypt") == "3DES" {
				if plain, err = gateway.Decrypt(plain, DemoSecret); err != nil {
					t.Fatalf("answer does not decrypt: %v", err)
				}
			}
			sig := resp.Header.Get(gateway.SignHeader)
			if tt.unsigned && sig != "" {
				t.Errorf("answer signed (%s) though no merchant is known", sig)
			}
			if !tt.unsigned && !gateway.VerifySign(plain, DemoSecret, sig) {
				t.Errorf("answer signature %q does not match", sig)
			}
			m, err := decodeAnswer(plain, "json")
			if err != nil {
				t.Fatalf("decode: %v: %s", err, plain)
			}
			wantCode(t, m, tt.code)
			if !strings.Contains(m.info(), tt.info) {
				t.Errorf("INFO %q does not name %q", m.info(), tt.info)
			}
		})
	}

	t.Run("bad _type answers XML", func(t *testing.T) {
		c := newClient(t, run, "yaml", false)
		resp, raw, err := c.send(c.query(gateway.MethodQuery), good)
		if err != nil {
			t.Fatal(err)
		}
		m, err := decodeAnswer(raw, "xml")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("got %d %s (%v)", resp.StatusCode, raw, err)
		}
		wantCode(t, m, gateway.CodeIllegalParameter)
	})
	t.Run("GET is refused", func(t *testing.T) {
		resp, err := http.Get(run.ServiceURL())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("status: got %d, want 405", resp.StatusCode)
		}
	})
	t.Run("login fault has no RESULT", func(t *testing.T) {
		c := newClient(t, run, "json", false)
		q := c.query(gateway.MethodLogin)
		q.Set("sign", "BAD")
		resp, raw, err := c.send(q, []byte(`{"username":"cashier01","password":"1234"}`))
		if err != nil {
			t.Fatal(err)
		}
		m := c.open(resp, raw)
		if m["RESULT"] != nil || m.str("success") != "false" || !strings.Contains(m.str("message"), gateway.CodeInvalidSign) {
			t.Errorf("got %v, want success false naming INVALID_SIGN", m)
		}
	})
}

// FuzzDecodeRequest feeds arbitrary queries and bodies to the request
// parser: it must never panic, and must accept only signed JSON objects.
func FuzzDecodeRequest(f *testing.F) {
	f.Add("sosopay.trade.pay", "json", "", []byte(`{"BUSI_ID":"0010000001","AMT":"1.00"}`), true)
	f.Add("sosopay.trade.query", "xml", "3DES", []byte(`{"CHARGE_CODE":12}`), true)
	f.Add("sosoauth.login", "", "3des", []byte(`{"username":"a","password":null}`), false)
	f.Add("sosopay.trade.refund", "json", "", []byte(`{"goodsInfos":[{"GOOD_PRICE":1}]}`), true)
	f.Add("x", "JSON", "", []byte("\x00\xff"), true)
	lookup := func(b string) *merchant {
		if b == DemoBusiID {
			return &merchant{busiID: DemoBusiID, secret: DemoSecret}
		}
		return nil
	}
	f.Fuzz(func(t *testing.T, method, format, encrypt string, body []byte, signIt bool) {
		q := url.Values{"method": {method}, "_type": {format}, "encrypt": {encrypt}, "busiCode": {DemoBusiID}}
		plain := body
		if signIt {
			q.Set("sign", gateway.Sign(plain, DemoSecret))
			if strings.EqualFold(encrypt, "3DES") {
				enc, _ := gateway.Encrypt(plain, DemoSecret)
				body = []byte(enc)
			}
		}
		req, flt := decodeRequest(q, body, lookup, nil)
		if req == nil {
			t.Fatal("nil request")
		}
		if flt != nil {
			if flt.code == "" {
				t.Fatal("fault without a code")
			}
			return
		}
		if !signIt {
			t.Fatalf("unsigned body accepted: %q", body)
		}
		var m map[string]any
		if err := json.Unmarshal(plain, &m); err != nil || m == nil {
			t.Fatalf("accepted a body that is not a JSON object: %q", plain)
		}
		for k := range req.p {
			req.p.opt(k) // any field reads without panic
		}
		req.p.goods()
	})
}

// FuzzEncodeMessage checks the answer encoder against encoding/json and
// encoding/xml: any text survives the trip.
func FuzzEncodeMessage(f *testing.F) {
	f.Add("plain", "a<b>&\"c'")
	f.Add("CODE", "\u2028\x01\xff")
	f.Fuzz(func(t *testing.T, key, val string) {
		if !utf8.ValidString(val) || strings.ContainsFunc(val, func(r rune) bool {
			return r < 0x20 && r != '\t' && r != '\n' || r == '\r' || r == 0xFFFE || r == 0xFFFF
		}) {
			return // XML 1.0 cannot carry these; the encoder replaces them
		}
		f := fields{{"RESULT", resultFields("SUCCESS", val)},
			{"FUND_BILL_LIST", fundBillList([]fundBill{{val, 1}})},
			{"tradeInfos", list{item: "tradeInfo", elems: []fields{{{"X", val}}}}}}
		var j map[string]any
		if err := json.Unmarshal(encodeMessage(f, gateway.FormatJSON), &j); err != nil {
			t.Fatalf("JSON: %v", err)
		}
		if got := msg(j).info(); got != val {
			t.Fatalf("JSON INFO: got %q, want %q", got, val)
		}
		_, x, err := parseXMLTree(encodeMessage(f, gateway.FormatXML))
		if err != nil {
			t.Fatalf("XML: %v", err)
		}
		xm := msg(x.(map[string]any))
		if got := xm.info(); got != val {
			t.Fatalf("XML INFO: got %q, want %q", got, val)
		}
		if !reflect.DeepEqual(xm.list("tradeInfos"), msg(j).list("tradeInfos")) {
			t.Fatalf("tradeInfos differ: %v vs %v", xm["tradeInfos"], j["tradeInfos"])
		}
	})
}

// TestBatchQuery_BothSpellings: the sandbox takes the vendor table's
// PageNum/ChannelType/ChargeCode and their lower camel case, and refuses a
// request that gives one field in both (WIRE.md §4.7).
func TestBatchQuery_BothSpellings(t *testing.T) {
	run := startSandbox(t, Options{TimeScale: fastScale})
	cc := newSerial("bq")
	c := newClient(t, run, "json", false)
	wantCode(t, c.call(gateway.MethodPay, payBody(cc, payCode("28", "12"), "1.00")), gateway.CodeSuccess)
	tests := []struct {
		name string
		body map[string]any
		code string
		rows int
	}{
		{"vendor", map[string]any{"_type": "json", "busiCode": DemoBusiID, "PageNum": "1", "pageSize": "10", "ChannelType": "1", "ChargeCode": cc}, gateway.CodeSuccess, 1},
		{"camel", map[string]any{"busiCode": DemoBusiID, "pageNum": "1", "pageSize": "10", "channelType": "1", "chargeCode": cc}, gateway.CodeSuccess, 1},
		{"both", map[string]any{"busiCode": DemoBusiID, "PageNum": "1", "pageNum": "1", "pageSize": "10"}, gateway.CodeIllegalParameter, 0},
	}
	for _, tt := range tests {
		m := c.call(gateway.MethodBatchQuery, tt.body)
		wantCode(t, m, tt.code)
		if tt.code == gateway.CodeSuccess {
			if got := len(m.list("tradeInfos")); got != tt.rows {
				t.Errorf("%s: %d rows, want %d", tt.name, got, tt.rows)
			}
		}
	}
}
