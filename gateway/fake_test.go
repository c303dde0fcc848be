package gateway

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// The fake gateway of the client tests: an httptest server that checks the
// envelope of WIRE.md §2 the way the real gateway would (query, content
// type, decryption, signature), records the request and answers a fixture,
// re-encoded in the asked format and encryption and signed, unless the test
// asks for something broken.

const (
	testBusi   = "0010000001"
	testSecret = "98SDKFUO432HNODS098EEE07U9DUOIUE"
)

type fakeRequest struct {
	Method, BusiCode, Type, Encrypt, Sign, ContentType string
	Raw                                                []byte // the body as received
	Plain                                              []byte // decrypted
	Body                                               *Node
}

type fakeAnswer struct {
	status   int           // 200 when zero
	json     string        // the answer as JSON; sent as XML when _type=xml
	raw      []byte        // sent as is (no encoding, encryption or signing)
	sign     string        // X-Sosopay-Sign as given (raw answers)
	badSign  bool          // sign something else
	noSign   bool          // no X-Sosopay-Sign
	noCrypt  bool          // answer plain even when encryption was asked
	hijack   bool          // close the connection without an answer
	partial  bool          // send headers and part of the body, then close
	delay    time.Duration // before answering (ends early if the client leaves)
	redirect string        // answer 302 to this location
}

type fakeGateway struct {
	t      testing.TB
	secret string
	srv    *httptest.Server

	mu       sync.Mutex
	requests []fakeRequest
	answer   func(fakeRequest) fakeAnswer
}

func newFakeGateway(t testing.TB, answer func(fakeRequest) fakeAnswer) *fakeGateway {
	t.Helper()
	g := &fakeGateway{t: t, secret: testSecret, answer: answer}
	g.srv = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.srv.Close)
	return g
}

// fixed answers every request with the same JSON fixture.
func fixed(js string) func(fakeRequest) fakeAnswer {
	return func(fakeRequest) fakeAnswer { return fakeAnswer{json: js} }
}

func (g *fakeGateway) client(t testing.TB, mod func(*Config)) *Client {
	t.Helper()
	cfg := Config{URL: g.srv.URL + "/openGateway/openService/", BusiID: testBusi, Secret: g.secret,
		OperID: "cashier01", DevID: "POS-01", Timeout: 5 * time.Second, PayTimeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (g *fakeGateway) last() fakeRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.requests) == 0 {
		g.t.Fatal("the fake gateway got no request")
	}
	return g.requests[len(g.requests)-1]
}

func (g *fakeGateway) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.requests)
}

func (g *fakeGateway) serve(w http.ResponseWriter, r *http.Request) {
	t := g.t
	if r.Method != http.MethodPost || r.URL.Path != "/openGateway/openService/" {
		t.Errorf("fake gateway: %s %s, want POST /openGateway/openService/", r.Method, r.URL.Path)
	}
	q := r.URL.Query()
	fr := fakeRequest{Method: q.Get("method"), BusiCode: q.Get("busiCode"), Type: q.Get("_type"),
		Encrypt: q.Get("encrypt"), Sign: q.Get("sign"), ContentType: r.Header.Get("Content-Type")}
	fr.Raw, _ = io.ReadAll(r.Body)
	fr.Plain = fr.Raw
	wantCT := ContentTypePlain
	if fr.Encrypt == EncryptParam {
		wantCT = ContentTypeEnc
		pt, err := Decrypt(fr.Raw, g.secret)
		if err != nil {
			t.Errorf("fake gateway: request does not decrypt: %v", err)
		}
		fr.Plain = pt
	} else if fr.Encrypt != "" {
		t.Errorf("fake gateway: encrypt=%q", fr.Encrypt)
	}
	if fr.ContentType != wantCT {
		t.Errorf("fake gateway: Content-Type %q, want %q", fr.ContentType, wantCT)
	}
	if !VerifySign(fr.Plain, g.secret, fr.Sign) {
		t.Errorf("fake gateway: bad request sign %q", fr.Sign)
	}
	if fr.Type != "json" && fr.Type != "xml" {
		t.Errorf("fake gateway: _type=%q", fr.Type)
	}
	_, body, err := ParseMessage(fr.Plain)
	if err != nil {
		t.Errorf("fake gateway: request body: %v", err)
	}
	fr.Body = body
	g.mu.Lock()
	g.requests = append(g.requests, fr)
	g.mu.Unlock()

	a := g.answer(fr)
	if a.delay > 0 {
		select {
		case <-time.After(a.delay):
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case a.hijack || a.partial:
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		if a.partial {
			buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{\"RESULT\":")
			buf.Flush()
		}
		conn.Close()
		return
	case a.redirect != "":
		http.Redirect(w, r, a.redirect, http.StatusFound)
		return
	case a.status != 0 && a.status != http.StatusOK:
		w.WriteHeader(a.status)
		return
	case a.raw != nil:
		if a.sign != "" {
			w.Header().Set(SignHeader, a.sign)
		}
		w.Write(a.raw)
		return
	}
	plain := []byte(a.json)
	if fr.Type == "xml" {
		plain = jsonToXML(t, a.json)
	}
	sign := Sign(plain, g.secret)
	if a.badSign {
		sign = Sign(append(plain, ' '), g.secret)
	}
	out := plain
	if fr.Encrypt == EncryptParam && !a.noCrypt {
		enc, err := Encrypt(plain, g.secret)
		if err != nil {
			t.Fatal(err)
		}
		out = []byte(enc)
	}
	if !a.noSign {
		w.Header().Set(SignHeader, sign)
	}
	w.Write(out)
}

// xmlItem names the elements of lists that are bare JSON arrays (WIRE.md
// §3, §4.7, §4.8); FUND_BILL_LIST carries its TRADEFUNDBILL in JSON too.
var xmlItem = map[string]string{
	"GOODS_DETAIL": "GOODSINFO", "goodsInfos": "GOODSINFO",
	"tradeInfos": "tradeInfo", "PAY_CHANNEL_LIST": "PAY_CHANNEL",
}

// jsonToXML re-encodes a JSON answer as the XML answer of WIRE.md §2.3.
func jsonToXML(t testing.TB, js string) []byte {
	t.Helper()
	_, n, err := ParseMessage([]byte(js))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>`)
	writeXML(&b, "RESPONSE", n)
	return b.Bytes()
}

func writeXML(b *bytes.Buffer, name string, n *Node) {
	switch n.Kind {
	case KindObject:
		b.WriteString("<" + name + ">")
		for _, f := range n.Fields {
			if f.Value.Kind != KindList {
				writeXML(b, f.Name, f.Value)
				continue
			}
			if item, ok := xmlItem[f.Name]; ok {
				b.WriteString("<" + f.Name + ">")
				for _, it := range f.Value.Items {
					writeXML(b, item, it)
				}
				b.WriteString("</" + f.Name + ">")
				continue
			}
			for _, it := range f.Value.Items {
				writeXML(b, f.Name, it)
			}
		}
		b.WriteString("</" + name + ">")
	case KindNull:
		b.WriteString("<" + name + "/>")
	default:
		b.WriteString("<" + name + ">")
		xml.EscapeText(b, []byte(n.Text))
		b.WriteString("</" + name + ">")
	}
}

// fieldNames lists the member names of a request body, in order.
func fieldNames(n *Node) string {
	if n == nil {
		return ""
	}
	var names []string
	for _, f := range n.Fields {
		names = append(names, f.Name)
	}
	return strings.Join(names, ",")
}
