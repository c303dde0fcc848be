// Package hostile is a hostile gateway for tests: an HTTP proxy in front of
// the sandbox (or any gateway speaking WIRE.md) that forwards each call and
// can rewrite, replace, replay or drop its answer. A rewritten answer is
// signed again with the merchant secret (WIRE.md §2.2) and encrypted again
// when the call was (§2.1), so the client sees a well-formed answer that
// lies: it is what a compromised or buggy gateway, or a man in the middle on
// plain http who knows the secret, can send (issue 8, cases 3–5, 7, 9).
//
// Only JSON answers (`_type=json`) are rewritten; an XML answer passes
// through untouched. Used only by tests.
package hostile

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"

	"posterm/gateway"
)

// Rule rewrites one answer. req is the call's plaintext request body as a
// JSON object (nil if unreadable), ans the answer's; the Rule returns the
// answer to send (it may modify ans and return it, or return another).
// Numbers are json.Number, so they pass through as they came.
type Rule func(req, ans map[string]any) map[string]any

// Exchange is one call the proxy forwarded, as the gateway answered it.
type Exchange struct {
	Method string
	Req    map[string]any
	Ans    map[string]any // nil: not JSON, or no answer
	Status int
}

// Proxy is the hostile gateway. Safe for concurrent use.
type Proxy struct {
	// URL is the proxy's service URL: configure it as [gateway] url.
	URL string

	srv    *httptest.Server
	target *url.URL
	secret string

	mu    sync.Mutex
	rules map[string][]rule
	drops map[string]int
	log   []Exchange
}

type rule struct {
	fn    Rule
	times int // < 0: every call
}

// New starts a proxy in front of target (a service URL, e.g.
// sandbox.Running.ServiceURL()) for the merchant whose secret signs the
// answers. Close it when done.
func New(target, secret string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	p := &Proxy{target: u, secret: secret, rules: map[string][]rule{}, drops: map[string]int{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	p.URL = p.srv.URL + u.Path
	return p, nil
}

// Close stops the proxy.
func (p *Proxy) Close() { p.srv.Close() }

// On rewrites every answer of method (the full name, e.g.
// gateway.MethodPay) with fn, after the rules added before it.
func (p *Proxy) On(method string, fn Rule) { p.add(method, fn, -1) }

// Once rewrites the next answer of method with fn.
func (p *Proxy) Once(method string, fn Rule) { p.add(method, fn, 1) }

func (p *Proxy) add(method string, fn Rule, times int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules[method] = append(p.rules[method], rule{fn, times})
}

// Clear removes the rules and drops of method.
func (p *Proxy) Clear(method string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.rules, method)
	delete(p.drops, method)
}

// Drop forwards the next n calls of method to the gateway (which acts on
// them) and answers the client HTTP 502: the answer is lost on the way.
func (p *Proxy) Drop(method string, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drops[method] += n
}

// Exchanges returns the calls forwarded so far, in order.
func (p *Proxy) Exchanges() []Exchange {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Exchange(nil), p.log...)
}

// Last returns the gateway's last answer to method whose request has
// field == value ("" field: any), or nil.
func (p *Proxy) Last(method, field, value string) map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.log) - 1; i >= 0; i-- {
		x := p.log[i]
		if x.Method != method || x.Ans == nil {
			continue
		}
		if field == "" || Str(x.Req, field) == value {
			return clone(x.Ans)
		}
	}
	return nil
}

// Str reads a field of a decoded message as a string ("" when absent).
func Str(m map[string]any, field string) string {
	switch v := m[field].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case nil:
		return ""
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

func clone(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	return decode(b)
}

func decode(b []byte) map[string]any {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if d.Decode(&m) != nil {
		return nil
	}
	return m
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	method := q.Get("method")
	encrypted := strings.EqualFold(q.Get("encrypt"), gateway.EncryptParam)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	plainReq := body
	if encrypted {
		if plainReq, err = gateway.Decrypt(body, p.secret); err != nil {
			plainReq = nil
		}
	}
	u := *p.target
	u.RawQuery = r.URL.RawQuery
	out, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, "proxy", http.StatusBadGateway)
		return
	}
	out.Header = r.Header.Clone()
	resp, err := http.DefaultClient.Do(out)
	if err != nil {
		http.Error(w, "gateway unreachable", http.StatusBadGateway)
		return
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		http.Error(w, "gateway answer cut", http.StatusBadGateway)
		return
	}
	x := Exchange{Method: method, Req: decode(plainReq), Status: resp.StatusCode}
	plain := raw
	isJSON := strings.EqualFold(q.Get("_type"), "json")
	if resp.StatusCode == http.StatusOK && isJSON {
		if encrypted {
			plain, err = gateway.Decrypt(raw, p.secret)
		}
		if err == nil {
			x.Ans = decode(plain)
		}
	}

	p.mu.Lock()
	p.log = append(p.log, x)
	drop := p.drops[method] > 0
	if drop {
		p.drops[method]--
	}
	var fns []Rule
	if x.Ans != nil {
		kept := p.rules[method][:0]
		for _, ru := range p.rules[method] {
			fns = append(fns, ru.fn)
			if ru.times > 0 {
				ru.times--
			}
			if ru.times != 0 {
				kept = append(kept, ru)
			}
		}
		p.rules[method] = kept
	}
	p.mu.Unlock()

	if drop {
		http.Error(w, "answer lost on the way", http.StatusBadGateway)
		return
	}
	if len(fns) == 0 {
		for k, vs := range resp.Header {
			w.Header()[k] = vs
		}
		w.WriteHeader(resp.StatusCode)
		w.Write(raw)
		return
	}
	ans := clone(x.Ans)
	for _, fn := range fns {
		ans = fn(x.Req, ans)
	}
	newPlain, _ := json.Marshal(ans)
	send := newPlain
	if encrypted {
		enc, err := gateway.Encrypt(newPlain, p.secret)
		if err != nil {
			http.Error(w, "re-encrypt", http.StatusInternalServerError)
			return
		}
		send = []byte(enc)
	}
	w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
	w.Header().Set(gateway.SignHeader, gateway.Sign(newPlain, p.secret))
	w.WriteHeader(http.StatusOK)
	w.Write(send)
}
