package sandbox

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"posterm/gateway"
)

// The tests speak to the sandbox as raw bytes, built with gateway.Sign and
// gateway.Encrypt only, and decode answers with encoding/json and
// encoding/xml: an independent check of the sandbox's own envelope code.

// fastScale runs the 8 s / 80 s / 85 s paths in 8 / 80 / 85 ms.
const fastScale = 0.001

func startSandbox(t testing.TB, opts Options) *Running {
	t.Helper()
	run, err := Start("127.0.0.1:0", opts)
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() { run.Close() })
	return run
}

// tclient is a hand-rolled caller of the service path.
type tclient struct {
	t       testing.TB
	run     *Running
	format  string // "json", "xml"
	encrypt bool
	busi    string
	secret  string
}

func newClient(t testing.TB, run *Running, format string, encrypt bool) *tclient {
	return &tclient{t: t, run: run, format: format, encrypt: encrypt, busi: DemoBusiID, secret: DemoSecret}
}

// send posts a plaintext body with the given query (sign computed unless
// the query sets it) and returns the response with its raw body.
func (c *tclient) send(q url.Values, plain []byte) (*http.Response, []byte, error) {
	c.t.Helper()
	if !q.Has("sign") {
		q.Set("sign", gateway.Sign(plain, c.secret))
	}
	body := plain
	ctype := gateway.ContentTypePlain
	if q.Get("encrypt") != "" {
		enc, err := gateway.Encrypt(plain, c.secret)
		if err != nil {
			c.t.Fatal(err)
		}
		body, ctype = []byte(enc), gateway.ContentTypeEnc
	}
	resp, err := http.Post(c.run.ServiceURL()+"?"+q.Encode(), ctype, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp, raw, err
}

func (c *tclient) query(method string) url.Values {
	q := url.Values{"method": {method}, "busiCode": {c.busi}}
	if c.format != "" {
		q.Set("_type", c.format)
	}
	if c.encrypt {
		q.Set("encrypt", "3DES")
	}
	return q
}

// call sends one request and returns the answer, checked (HTTP 200,
// signature header, decryption) and normalised by decodeAnswer.
func (c *tclient) call(method string, body map[string]any) msg {
	c.t.Helper()
	plain, err := json.Marshal(body)
	if err != nil {
		c.t.Fatal(err)
	}
	resp, raw, err := c.send(c.query(method), plain)
	if err != nil {
		c.t.Fatalf("%s: %v", method, err)
	}
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("%s: HTTP %d, want 200", method, resp.StatusCode)
	}
	return c.open(resp, raw)
}

// open checks and decodes an answer.
func (c *tclient) open(resp *http.Response, raw []byte) msg {
	c.t.Helper()
	plain := raw
	if c.encrypt {
		if ct := resp.Header.Get("Content-Type"); ct != gateway.ContentTypeEnc {
			c.t.Errorf("content type: got %q, want %q", ct, gateway.ContentTypeEnc)
		}
		var err error
		if plain, err = gateway.Decrypt(raw, c.secret); err != nil {
			c.t.Fatalf("answer does not decrypt: %v (%q)", err, raw)
		}
	}
	if sig := resp.Header.Get(gateway.SignHeader); !gateway.VerifySign(plain, c.secret, sig) {
		c.t.Errorf("answer signature %q does not match %s", sig, plain)
	}
	m, err := decodeAnswer(plain, c.format)
	if err != nil {
		c.t.Fatalf("decode answer: %v\n%s", err, plain)
	}
	return m
}

// msg is a decoded answer: strings, maps and lists. Both formats decode to
// the same shape: lists are []any whatever the XML wrapper.
type msg map[string]any

func (m msg) str(path ...string) string {
	var v any = map[string]any(m)
	for _, p := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return fmt.Sprintf("<%T at %s>", v, p)
		}
		v = mm[p]
	}
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	default:
		return fmt.Sprintf("<%T>", v)
	}
}

func (m msg) code() string { return m.str("RESULT", "CODE") }
func (m msg) info() string { return m.str("RESULT", "INFO") }

func (m msg) list(path ...string) []any {
	var v any = map[string]any(m)
	for _, p := range path {
		mm, _ := v.(map[string]any)
		v = mm[p]
	}
	l, _ := v.([]any)
	return l
}

func decodeAnswer(plain []byte, format string) (msg, error) {
	if format == "json" {
		var m map[string]any
		if err := json.Unmarshal(plain, &m); err != nil {
			return nil, err
		}
		return msg(m), nil
	}
	if !bytes.HasPrefix(plain, []byte(`<?xml version="1.0" encoding="UTF-8"?><RESPONSE>`)) {
		return nil, fmt.Errorf("XML answer does not start with the declaration and <RESPONSE>")
	}
	name, v, err := parseXMLTree(plain)
	if err != nil {
		return nil, err
	}
	if name != "RESPONSE" {
		return nil, fmt.Errorf("root %s, want RESPONSE", name)
	}
	m, _ := v.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return msg(m), nil
}

// xmlWrappers hold a list of items; xmlRepeated repeat themselves (WIRE.md §3).
var (
	xmlWrappers = map[string]bool{"tradeInfos": true, "PAY_CHANNEL_LIST": true, "GOODS_DETAIL": true}
	xmlRepeated = map[string]bool{"TRADEFUNDBILL": true}
)

func parseXMLTree(b []byte) (string, any, error) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", nil, err
		}
		if se, ok := tok.(xml.StartElement); ok {
			v, err := parseXMLElem(dec, se.Name.Local)
			if err != nil {
				return "", nil, err
			}
			// nothing may follow the root element
			for {
				tok, err := dec.Token()
				if err == io.EOF {
					return se.Name.Local, v, nil
				}
				if err != nil {
					return "", nil, err
				}
				if cd, ok := tok.(xml.CharData); !ok || len(bytes.TrimSpace(cd)) > 0 {
					return "", nil, fmt.Errorf("data after the root element: %v", tok)
				}
			}
		}
	}
}

func parseXMLElem(dec *xml.Decoder, name string) (any, error) {
	children := map[string]any{}
	var items []any
	var text strings.Builder
	hasChild := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			hasChild = true
			v, err := parseXMLElem(dec, tk.Name.Local)
			if err != nil {
				return nil, err
			}
			switch {
			case xmlWrappers[name]:
				items = append(items, v)
			case xmlRepeated[tk.Name.Local]:
				l, _ := children[tk.Name.Local].([]any)
				children[tk.Name.Local] = append(l, v)
			default:
				if _, dup := children[tk.Name.Local]; dup {
					return nil, fmt.Errorf("element %s repeated in %s", tk.Name.Local, name)
				}
				children[tk.Name.Local] = v
			}
		case xml.CharData:
			text.Write(tk)
		case xml.EndElement:
			switch {
			case xmlWrappers[name]:
				if items == nil {
					items = []any{}
				}
				return items, nil
			case hasChild:
				return children, nil
			default:
				return text.String(), nil
			}
		}
	}
}

// serial makes a fresh CHARGE_CODE per test call.
var serialSeq atomic.Int64

func newSerial(prefix string) string {
	return fmt.Sprintf("%s%d-%d", prefix, time.Now().UnixNano()%1e9, serialSeq.Add(1))
}

// payCode makes an 18-digit payment code with a wallet prefix and the last
// two digits that choose the behaviour.
func payCode(prefix, last2 string) string {
	return prefix + "42149030607947" + last2
}

func payBody(cc, code, amt string) map[string]any {
	return map[string]any{
		"BUSI_ID": DemoBusiID, "OPER_ID": "cashier01", "DEV_ID": "POS-01", "AMT": amt,
		"DYNAMIC_ID": code, "CHARGE_CODE": cc, "PAY_SUBJECT": "Store sale",
	}
}

func precreateBody(cc, amt string, channel int) map[string]any {
	return map[string]any{
		"BUSI_ID": DemoBusiID, "OPER_ID": "cashier01", "DEV_ID": "POS-01", "AMT": amt,
		"CHANNEL_TYPE": channel, "CHARGE_CODE": cc, "PAY_SUBJECT": "Store sale",
	}
}

func queryBody(cc string) map[string]any {
	return map[string]any{"BUSI_ID": DemoBusiID, "CHARGE_CODE": cc}
}

func cancelBody(cc string) map[string]any {
	return map[string]any{"BUSI_ID": DemoBusiID, "CHARGE_CODE": cc}
}

func refundBody(cc, fee, outNo string) map[string]any {
	b := map[string]any{
		"BUSI_ID": DemoBusiID, "OPER_ID": "manager01", "DEV_ID": "POS-01",
		"CHARGE_REFUND_FEE": fee, "REFUND_SUBJECT": "return", "CHARGE_CODE": cc,
	}
	if outNo != "" {
		b["OUT_REFUND_NO"] = outNo
	}
	return b
}

// with returns a copy of b with k set (or removed when v is nil).
func with(b map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range b {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

// ledgerTxn finds a transaction in the ledger.
func ledgerTxn(t testing.TB, s *Server, cc string) (LedgerTransaction, bool) {
	t.Helper()
	for _, lt := range s.Ledger().Transactions {
		if lt.ChargeCode == cc {
			return lt, true
		}
	}
	return LedgerTransaction{}, false
}

// eventually polls cond until it holds or 10 s pass (a bound for slow CI,
// not a timing assertion).
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func wantCode(t testing.TB, m msg, want string) {
	t.Helper()
	if got := m.code(); got != want {
		t.Fatalf("RESULT.CODE: got %q (INFO %q), want %q", got, m.info(), want)
	}
}

func wantState(t testing.TB, s *Server, cc string, want int) {
	t.Helper()
	lt, ok := ledgerTxn(t, s, cc)
	if !ok {
		t.Fatalf("ledger: %s missing", cc)
	}
	if lt.State != want {
		t.Fatalf("ledger STATE of %s: got %d, want %d", cc, lt.State, want)
	}
}
