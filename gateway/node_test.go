package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"posterm/pos"
)

func TestParseMessage(t *testing.T) {
	tests := []struct {
		name, in string
		root     string
		json     string // the node marshalled; "" for an error
	}{
		{"json", `{"A":"1","B":2,"C":true,"D":null,"E":[1,"x"],"F":{}}`, "", `{"A":"1","B":2,"C":true,"D":null,"E":[1,"x"],"F":{}}`},
		{"json keeps big numbers", `{"AMT":123456789012345678901234567890}`, "", `{"AMT":123456789012345678901234567890}`},
		{"json with BOM and blanks", "\xef\xbb\xbf \n{\"A\":\"<&>\"}\n", "", `{"A":"<&>"}`},
		{"xml", `<?xml version="1.0" encoding="UTF-8"?><RESPONSE><A>1</A><L><I><X>1</X></I><I><X>2</X></I></L><E></E><S/></RESPONSE>`,
			"RESPONSE", `{"A":"1","L":{"I":[{"X":"1"},{"X":"2"}]},"E":"","S":""}`},
		{"xml pretty", "<RESPONSE>\n  <A> 1 </A>\n  <B><![CDATA[x<y]]></B>\n</RESPONSE>\n", "RESPONSE", `{"A":" 1 ","B":"x<y"}`},
		{"xml lower-case encoding", `<?xml version="1.0" encoding="utf-8"?><R><A>&amp;</A></R>`, "R", `{"A":"&"}`},
		{"xml empty root", `<RESPONSE/>`, "RESPONSE", `{}`},
		{"empty", ``, "", ""},
		{"text", `SUCCESS`, "", ""},
		{"json array", `[1]`, "", ""},
		{"json trailing", `{"A":1}x`, "", ""},
		{"json repeated key", `{"A":1,"A":2}`, "", ""},
		{"json cut", `{"A":`, "", ""},
		{"json deep", strings.Repeat(`{"A":`, 100) + "1" + strings.Repeat("}", 100), "", ""},
		{"xml two roots", `<A><B>1</B></A><C/>`, "", ""},
		{"xml text after root", `<A><B>1</B></A>x`, "", ""},
		{"xml scalar root", `<A>1</A>`, "", ""},
		{"xml unclosed", `<A><B>1</B>`, "", ""},
		{"xml mismatched", `<A><B>1</C></A>`, "", ""},
		{"xml GBK", "<?xml version=\"1.0\" encoding=\"GBK\"?><A><B>\xd6\xd0\xce\xc4</B></A>", "A", `{"B":"中文"}`},
		{"xml GB18030", "<?xml version=\"1.0\" encoding=\"gb18030\"?><A><B>\xd6\xd0</B></A>", "A", `{"B":"中"}`},
		{"xml HTML entity", `<A><B>a&nbsp;&amp;&#20013;</B></A>`, "A", "{\"B\":\"a\u00a0&中\"}"},
		{"xml other encoding", `<?xml version="1.0" encoding="Big5"?><A><B>1</B></A>`, "", ""},
		{"xml deep", strings.Repeat("<A>", 100) + "1" + strings.Repeat("</A>", 100), "", ""},
	}
	for _, tt := range tests {
		root, n, err := ParseMessage([]byte(tt.in))
		if tt.json == "" {
			if err == nil || !errors.Is(err, ErrBadAnswer) {
				t.Errorf("%s: got %v, want ErrBadAnswer", tt.name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		js, _ := n.MarshalJSON()
		if root != tt.root || string(js) != tt.json {
			t.Errorf("%s: got %q %s, want %q %s", tt.name, root, js, tt.root, tt.json)
		}
	}
}

// TestDecode_ListShapes reads FUND_BILL_LIST in every shape a gateway may
// send (WIRE.md §3).
func TestDecode_ListShapes(t *testing.T) {
	two := []FundBill{{"10", 1}, {"11", 200}}
	one := []FundBill{{"10", 1}}
	tests := []struct {
		name, in string
		want     []FundBill
		bad      bool
	}{
		{"json wrapper list", `{"FUND_BILL_LIST":{"TRADEFUNDBILL":[{"FUND_CHANNEL":"10","AMOUNT":"0.01"},{"FUND_CHANNEL":11,"AMOUNT":2}]}}`, two, false},
		{"json wrapper one", `{"FUND_BILL_LIST":{"TRADEFUNDBILL":{"FUND_CHANNEL":"10","AMOUNT":0.01}}}`, one, false},
		{"json bare list", `{"FUND_BILL_LIST":[{"FUND_CHANNEL":"10","AMOUNT":"0.01"},{"FUND_CHANNEL":"11","AMOUNT":"2.00"}]}`, two, false},
		{"json single item", `{"FUND_BILL_LIST":{"FUND_CHANNEL":"10","AMOUNT":"0.01"}}`, one, false},
		{"json empty string", `{"FUND_BILL_LIST":""}`, nil, false},
		{"json null", `{"FUND_BILL_LIST":null}`, nil, false},
		{"json empty wrapper", `{"FUND_BILL_LIST":{"TRADEFUNDBILL":[]}}`, nil, false},
		{"xml two", `<RESPONSE><FUND_BILL_LIST><TRADEFUNDBILL><FUND_CHANNEL>10</FUND_CHANNEL><AMOUNT>0.01</AMOUNT></TRADEFUNDBILL><TRADEFUNDBILL><FUND_CHANNEL>11</FUND_CHANNEL><AMOUNT>2</AMOUNT></TRADEFUNDBILL></FUND_BILL_LIST></RESPONSE>`, two, false},
		{"xml one", `<RESPONSE><FUND_BILL_LIST><TRADEFUNDBILL><FUND_CHANNEL>10</FUND_CHANNEL><AMOUNT>0.01</AMOUNT></TRADEFUNDBILL></FUND_BILL_LIST></RESPONSE>`, one, false},
		{"xml empty", `<RESPONSE><FUND_BILL_LIST/></RESPONSE>`, nil, false},
		// A string holding JSON or XML (WIRE.md §2.4: "in XML format").
		{"string holding a JSON list", `{"FUND_BILL_LIST":"[{\"FUND_CHANNEL\":\"10\",\"AMOUNT\":\"0.010\"},{\"FUND_CHANNEL\":11,\"AMOUNT\":2}]"}`, two, false},
		{"string holding a JSON wrapper", `{"FUND_BILL_LIST":"{\"TRADEFUNDBILL\":{\"FUND_CHANNEL\":\"10\",\"AMOUNT\":1E-2}}"}`, one, false},
		{"string holding XML list", `{"FUND_BILL_LIST":"<?xml version=\"1.0\"?><FUND_BILL_LIST><TRADEFUNDBILL><FUND_CHANNEL>10</FUND_CHANNEL><AMOUNT>0.01</AMOUNT></TRADEFUNDBILL><TRADEFUNDBILL><FUND_CHANNEL>11</FUND_CHANNEL><AMOUNT>2.000</AMOUNT></TRADEFUNDBILL></FUND_BILL_LIST>"}`, two, false},
		{"string holding XML items", `{"FUND_BILL_LIST":"<TRADEFUNDBILL><FUND_CHANNEL>10</FUND_CHANNEL><AMOUNT>0.01</AMOUNT></TRADEFUNDBILL>"}`, one, false},
		{"xml element holding escaped XML", `<RESPONSE><FUND_BILL_LIST>&lt;TRADEFUNDBILL&gt;&lt;FUND_CHANNEL&gt;10&lt;/FUND_CHANNEL&gt;&lt;AMOUNT&gt;0.01&lt;/AMOUNT&gt;&lt;/TRADEFUNDBILL&gt;</FUND_BILL_LIST></RESPONSE>`, one, false},
		// Side fields that cannot be read are dropped: no error (bad false), no bills.
		{"json scalar", `{"FUND_BILL_LIST":"10:0.01"}`, nil, false},
		{"json list of scalars", `{"FUND_BILL_LIST":["x"]}`, nil, false},
		{"json wrapper beside others", `{"FUND_BILL_LIST":{"TRADEFUNDBILL":[],"X":"1"}}`, nil, false},
		{"bad amount drops that bill", `{"FUND_BILL_LIST":[{"FUND_CHANNEL":"10","AMOUNT":"0.01"},{"AMOUNT":"-1"}]}`, one, false},
		{"inexact amount drops that bill", `{"FUND_BILL_LIST":[{"AMOUNT":"0.015"},{"FUND_CHANNEL":"10","AMOUNT":"0.01"}]}`, one, false},
		{"string of bad JSON", `{"FUND_BILL_LIST":"[{"}`, nil, false},
	}
	for _, tt := range tests {
		_, n, err := ParseMessage([]byte(tt.in))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got, err := DecodePayResponse(n)
		if tt.bad {
			if err == nil {
				t.Errorf("%s: want an error", tt.name)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got.FundBillList, tt.want) {
			t.Errorf("%s: got %+v %v, want %+v", tt.name, got.FundBillList, err, tt.want)
		}
	}
}

func TestDecode_Scalars(t *testing.T) {
	tests := []struct {
		in    string
		state int
		amt   pos.Money
		bad   bool
	}{
		{`{"STATE":1,"AMT":15800}`, 1, 15800, false},
		{`{"STATE":"1","AMT":"15800"}`, 1, 15800, false},
		{`{"STATE":"","AMT":""}`, Absent, Absent, false},
		{`{}`, Absent, Absent, false},
		{`{"STATE":" 4 ","AMT":"0"}`, 4, 0, false},
		// Any notation that denotes an exact count (WIRE.md §2.4).
		{`{"STATE":1.0,"AMT":1234.0}`, 1, 1234, false},
		{`{"STATE":"1.00","AMT":1.234E3}`, 1, 1234, false},
		{`{"STATE":10e-1,"AMT":"1.234e+3"}`, 1, 1234, false},
		{`{"AMT":158.00}`, Absent, 158, false},
		{`{"AMT":"1.58e4"}`, Absent, 15800, false},
		{`{"AMT":0.0e5}`, Absent, 0, false},
		{`{"STATE":1.5}`, Absent, Absent, true},
		{`{"AMT":12.5}`, Absent, Absent, true},
		{`{"AMT":"1e-1"}`, Absent, Absent, true},
		{`{"AMT":"1e999"}`, Absent, Absent, true},
		{`{"AMT":"1."}`, Absent, Absent, true},
		{`{"AMT":".5"}`, Absent, Absent, true},
		{`{"AMT":"0x10"}`, Absent, Absent, true},
		{`{"STATE":"-1"}`, Absent, Absent, true},
		{`{"STATE":"+1"}`, Absent, Absent, true},
		{`{"STATE":"99999999999"}`, Absent, Absent, true},
		{`{"STATE":true}`, Absent, Absent, true},
		{`{"STATE":[1]}`, Absent, Absent, true},
		{`{"AMT":"15,800"}`, Absent, Absent, true},
		{`{"AMT":99999999999999999999}`, Absent, Absent, true},
	}
	for _, tt := range tests {
		_, n, err := ParseMessage([]byte(tt.in))
		if err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		q, err := DecodeQueryResponse(n)
		if (err != nil) != tt.bad {
			t.Errorf("%s: err %v, want error %v", tt.in, err, tt.bad)
		}
		if !tt.bad && (q.State != tt.state || q.Amt != tt.amt) {
			t.Errorf("%s: got State %d Amt %d, want %d %d", tt.in, q.State, q.Amt, tt.state, tt.amt)
		}
	}
}

// answerStatus is the client's reading of a trusted plaintext answer,
// without the HTTP around it.
func answerStatus(method string, plain []byte) Status {
	_, n, err := ParseMessage(plain)
	if err != nil {
		return unknown(Status{}, err)
	}
	st := classify(method, n, Status{})
	_, err = decodeFor(method, n)
	return settle(st, err)
}

// mayBeDone reports whether an input could honestly say success: it spells
// SUC(C)ESS or true somewhere, possibly escaped.
func mayBeDone(b []byte) bool {
	u := bytes.ToUpper(b)
	return bytes.Contains(u, []byte("SUC")) || bytes.Contains(u, []byte("TRUE")) ||
		bytes.Contains(b, []byte(`\u`)) || bytes.Contains(b, []byte("&#"))
}

func FuzzParseMessage(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add([]byte(v.Plaintext))
	}
	for _, s := range []string{fixturePay, fixturePrecreate, fixtureQuery, fixtureCancel, fixtureRefund, fixtureBatch,
		fixtureChannels, fixtureLogin, notifyJSON, notifyXML} {
		f.Add([]byte(s))
		f.Add(jsonToXML(f, s))
	}
	f.Add([]byte(`{"RESULT":"SUCCESS","AMT":"1e3"}`))
	f.Add([]byte(`<RESPONSE><RESULT><CODE>SUCESS</CODE></RESULT><tradeInfos><tradeInfo><AMT>1</AMT></tradeInfo></tradeInfos></RESPONSE>`))
	f.Add([]byte(`{"success":true,"user":{"company":{"amountLimit":5000}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, n, err := ParseMessage(data)
		if err == nil {
			js, err := json.Marshal(n)
			if err != nil || !json.Valid(js) {
				t.Fatalf("the node does not marshal to JSON: %v %q", err, js)
			}
			_, n2, err := ParseMessage(js)
			if err != nil {
				t.Fatalf("the marshalled node does not parse: %v %s", err, js)
			}
			if js2, _ := json.Marshal(n2); !bytes.Equal(js, js2) {
				t.Fatalf("marshal is not stable:\n%s\n%s", js, js2)
			}
		}
		for _, m := range Methods {
			st := answerStatus(m, data)
			if st.Outcome == OutcomeDone && !mayBeDone(data) {
				t.Fatalf("%s: done for %q", m, data)
			}
			if st.Outcome == OutcomeUnknown && st.Err == nil {
				t.Fatalf("%s: unknown without an error for %q", m, data)
			}
			if st.Outcome != OutcomeUnknown && st.Err != nil {
				t.Fatalf("%s: %v with error %v", m, st.Outcome, st.Err)
			}
		}
		if nt, err := DecodeNotification(data); err == nil {
			if nt.ChargeCode == "" || nt.Amt < 0 || nt.State < 0 {
				t.Fatalf("an incomplete notification passed: %+v", nt)
			}
		}
	})
}

// FuzzNotifyHandler posts arbitrary bodies, signed with the right key or
// not, plain or encrypted: an unsigned body is never accepted, and what is
// accepted is a complete notification.
func FuzzNotifyHandler(f *testing.F) {
	f.Add([]byte(notifyJSON), true, true, "json")
	f.Add([]byte(notifyXML), true, false, "xml")
	f.Add([]byte(notifyJSON), false, true, "json")
	f.Add([]byte(`{"PAY_NODIFY":{"CHARGE_CODE":"x","AMT":"1.5","STATE":1}}`), true, false, "")
	f.Add([]byte("garbage"), true, true, "json")
	f.Fuzz(func(t *testing.T, body []byte, signIt, encrypt bool, typ string) {
		var accepted []Notification
		h := NewNotifyHandler(testSecret, func(_ context.Context, n Notification) error {
			accepted = append(accepted, n)
			return nil
		}, nil)
		q := url.Values{"_type": {typ}}
		payload := string(body)
		if encrypt {
			enc, err := Encrypt(body, testSecret)
			if err != nil {
				t.Fatal(err)
			}
			payload = enc
			q.Set("encrypt", EncryptParam)
		}
		if signIt {
			q.Set("sign", Sign(body, testSecret))
		} else {
			q.Set("sign", Sign(append([]byte("x"), body...), testSecret))
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/n?"+q.Encode(), strings.NewReader(payload)))
		if !signIt && (rec.Code == 200 || len(accepted) > 0) {
			t.Fatalf("a wrongly signed body was accepted: %q", body)
		}
		if rec.Code == 200 {
			if len(accepted) != 1 || rec.Body.String() != "SUCCESS" {
				t.Fatalf("200 with %d accepted, body %q", len(accepted), rec.Body.String())
			}
			n := accepted[0]
			if n.ChargeCode == "" || n.Amt < 0 || n.State < 0 {
				t.Fatalf("an incomplete notification was accepted: %+v", n)
			}
		} else if len(accepted) != 0 {
			t.Fatalf("status %d after accept", rec.Code)
		}
		if _, err := DecodeNotification(body); signIt && err == nil && rec.Code != 200 {
			t.Fatalf("a good signed notification was refused: %d %q", rec.Code, body)
		}
	})
}
