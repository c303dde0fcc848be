package sandbox

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"posterm/gateway"
	"posterm/pos"
)

// This file is the sandbox's own reading of requests and writing of
// answers (WIRE.md §2, §3). It deliberately shares nothing with the client
// in package gateway except the primitives of wire.go, so that the two
// implementations check each other.

// maxBody bounds a request body; a register's largest call is far smaller.
const maxBody = 1 << 20

// fault is an answer that ends a call early: a RESULT CODE and its INFO.
type fault struct {
	code string
	info string
}

func faultf(code, format string, args ...any) *fault {
	return &fault{code: code, info: fmt.Sprintf(format, args...)}
}

// missing is the ILLEGAL_PARAMETER of a required field that is absent.
func missing(name string) *fault {
	return faultf(gateway.CodeIllegalParameter, "%s: missing", name)
}

// merchant is one registered BUSI_ID with its secret.
type merchant struct {
	busiID string
	secret string
	name   string
}

// request is one decoded service call. Fields that the envelope could not
// establish keep their zero value (merchant nil: answer plain and unsigned).
type request struct {
	method   string
	format   gateway.Format
	encrypt  bool
	merchant *merchant
	p        params
}

// decodeRequest reads the envelope of WIRE.md §2: the query parameters and
// the (possibly 3DES) JSON body, checking the signature over the plaintext.
// lookup finds a merchant by busiCode. On a fault the returned request still
// carries what is needed to answer it (format, encryption, merchant, method).
func decodeRequest(q url.Values, body []byte, lookup func(string) *merchant, fallback *merchant) (*request, *fault) {
	req := &request{method: q.Get("method"), format: gateway.FormatXML}
	f, err := gateway.ParseFormat(q.Get("_type"))
	if err != nil {
		return req, faultf(gateway.CodeIllegalParameter, "_type: want json or xml, got %q", q.Get("_type"))
	}
	req.format = f
	busi := q.Get("busiCode")
	switch {
	case busi == "" && req.method == gateway.MethodLogin && fallback != nil:
		// The login's busiCode is optional (WIRE.md §4.9): the only merchant's
		// secret reads the body.
		req.merchant = fallback
	case busi == "":
		return req, missing("busiCode")
	default:
		req.merchant = lookup(busi)
		if req.merchant == nil {
			return req, faultf(gateway.CodeUnregisteredBusi, "busiCode: %q is not a registered merchant", busi)
		}
	}
	switch enc := q.Get("encrypt"); {
	case enc == "":
	case strings.EqualFold(enc, gateway.EncryptParam):
		req.encrypt = true
	default:
		return req, faultf(gateway.CodeIllegalParameter, "encrypt: want %s or empty, got %q", gateway.EncryptParam, enc)
	}
	plain := body
	if req.encrypt {
		plain, err = gateway.Decrypt(body, req.merchant.secret)
		if err != nil {
			return req, faultf(gateway.CodeInvalidSign, "body does not decrypt with the merchant's key")
		}
	}
	sign := q.Get("sign")
	if sign == "" {
		return req, faultf(gateway.CodeInvalidSign, "sign: missing")
	}
	if !gateway.VerifySign(plain, req.merchant.secret, sign) {
		return req, faultf(gateway.CodeInvalidSign, "sign: does not match the body")
	}
	if !knownMethod(req.method) {
		if req.method == "" {
			return req, missing("method")
		}
		return req, faultf(gateway.CodeIllegalParameter, "method: unknown service %q", req.method)
	}
	req.p, err = parseParams(plain)
	if err != nil {
		return req, faultf(gateway.CodeIllegalParameter, "body: %v", err)
	}
	return req, nil
}

func knownMethod(m string) bool {
	for _, k := range gateway.Methods {
		if m == k {
			return true
		}
	}
	return false
}

// params is a request body: a JSON object read leniently (WIRE.md §2.4).
type params map[string]any

// parseParams decodes a JSON object, keeping numbers as their literal text.
func parseParams(b []byte) (params, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	if m == nil {
		return nil, fmt.Errorf("not a JSON object: null")
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after the JSON object")
	}
	return params(m), nil
}

// scalar reads one scalar field: a string, a number (its literal text) or a
// boolean. Absent, null and "" are all absent (ok false). An object or a list
// where a scalar belongs is a fault naming the field.
func scalar(v any, name string) (s string, ok bool, f *fault) {
	switch x := v.(type) {
	case nil:
		return "", false, nil
	case string:
		return x, x != "", nil
	case json.Number:
		return x.String(), true, nil
	case bool:
		return strconv.FormatBool(x), true, nil
	default:
		return "", false, faultf(gateway.CodeIllegalParameter, "%s: want a string", name)
	}
}

// opt reads an optional scalar field.
func (p params) opt(name string) (string, *fault) {
	s, _, f := scalar(p[name], name)
	return s, f
}

// req reads a required scalar field.
func (p params) req(name string) (string, *fault) {
	s, ok, f := scalar(p[name], name)
	if f != nil {
		return "", f
	}
	if !ok {
		return "", missing(name)
	}
	return s, nil
}

// strs reads required fields in order into dst; the first fault wins, so an
// INFO names the first missing field in the vendor table's order.
func (p params) strs(dst map[string]string, names ...string) *fault {
	for _, n := range names {
		s, f := p.req(n)
		if f != nil {
			return f
		}
		dst[n] = s
	}
	return nil
}

// yuanRE is the strict request amount of WIRE.md §9: yuan, exactly two decimals.
var yuanRE = regexp.MustCompile(`^(0|[1-9][0-9]{0,12})\.[0-9]{2}$`)

// parseAmount reads a request amount (yuan string, two decimals) into fen.
func parseAmount(s, name string) (pos.Money, *fault) {
	if !yuanRE.MatchString(s) {
		return 0, faultf(gateway.CodeIllegalParameter, "%s: want yuan with exactly two decimals such as \"12.30\", got %q", name, s)
	}
	m, err := pos.ParseYuan(s)
	if err != nil {
		return 0, faultf(gateway.CodeIllegalParameter, "%s: %v", name, err)
	}
	return m, nil
}

// intField reads an optional integer field within [lo, hi].
func (p params) intField(name string, lo, hi int) (v int, ok bool, f *fault) {
	s, f := p.opt(name)
	if f != nil || s == "" {
		return 0, false, f
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, false, faultf(gateway.CodeIllegalParameter, "%s: want an integer from %d to %d, got %q", name, lo, hi, s)
	}
	return n, true, nil
}

// goodsFields are the fields of a goods line (Appendix 1), in order; all
// but GOOD_SHOWURL are required.
var goodsFields = []string{"GOOD_ID", "GOOD_NAME", "GOOD_CLASS", "GOOD_PRICE", "GOOD_SUBJECT", "GOOD_QUANTITY", "GOOD_SHOWURL"}

// goodLine is one goods line (WIRE.md §3, Appendix 1), kept as sent.
type goodLine map[string]string

// goods reads the optional goods list from goodsInfos, or GOODS_DETAIL (the
// WeChat variant, §4.3), as a list of objects or a JSON text of one.
func (p params) goods() ([]goodLine, *fault) {
	name := "goodsInfos"
	v := p[name]
	if v == nil {
		name = "GOODS_DETAIL"
		v = p[name]
	}
	if s, ok := v.(string); ok {
		if s == "" {
			return nil, nil
		}
		var err error
		if v, err = parseAny(s); err != nil {
			return nil, faultf(gateway.CodeIllegalParameter, "%s: want a list of goods", name)
		}
	}
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, faultf(gateway.CodeIllegalParameter, "%s: want a list of goods", name)
	}
	out := make([]goodLine, 0, len(list))
	for i, e := range list {
		obj, ok := e.(map[string]any)
		if !ok {
			return nil, faultf(gateway.CodeIllegalParameter, "%s[%d]: want an object", name, i)
		}
		line := params(obj)
		g := goodLine{}
		for _, k := range goodsFields {
			fname := fmt.Sprintf("%s[%d].%s", name, i, k)
			s, ok, f := scalar(line[k], fname)
			if f != nil {
				return nil, f
			}
			if !ok {
				if k == "GOOD_SHOWURL" {
					continue
				}
				return nil, missing(fname)
			}
			if k == "GOOD_PRICE" {
				if _, f := parseAmount(s, fname); f != nil {
					return nil, f
				}
			}
			g[k] = s
		}
		out = append(out, g)
	}
	return out, nil
}

func parseAny(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

// ---- answers ----

// field is one member of an answer, in the order written.
type field struct {
	key string
	val any // string, fields or list
}

// fields is an ordered message: a JSON object or the children of an XML element.
type fields []field

// list is a repeated shape (WIRE.md §3). In JSON it is an array. In XML,
// with item set, it is <key><item>…</item>…</key> (tradeInfos, PAY_CHANNEL_LIST,
// GOODS_DETAIL); with item empty, the key element itself repeats
// (TRADEFUNDBILL inside FUND_BILL_LIST).
type list struct {
	item  string
	elems []fields
}

func (f *fields) add(key string, val any) { *f = append(*f, field{key, val}) }

// addOpt adds a string field only when it is not empty: an answer leaves out
// fields that have no value, as requests do (WIRE.md §2).
func (f *fields) addOpt(key, val string) {
	if val != "" {
		f.add(key, val)
	}
}

// resultFields is RESULT (WIRE.md §3).
func resultFields(code, info string) fields {
	return fields{{"CODE", code}, {"INFO", info}}
}

// appendJSON writes f as a compact JSON object.
func (f fields) appendJSON(b *bytes.Buffer) {
	b.WriteByte('{')
	for i, kv := range f {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(b, kv.key)
		b.WriteByte(':')
		switch v := kv.val.(type) {
		case string:
			writeJSONString(b, v)
		case fields:
			v.appendJSON(b)
		case list:
			b.WriteByte('[')
			for j, e := range v.elems {
				if j > 0 {
					b.WriteByte(',')
				}
				e.appendJSON(b)
			}
			b.WriteByte(']')
		default:
			panic(fmt.Sprintf("sandbox: field %s has type %T", kv.key, kv.val))
		}
	}
	b.WriteByte('}')
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)       // a string always encodes
	b.Truncate(b.Len() - 1) // Encode's newline
}

// appendXML writes f as a sequence of XML elements.
func (f fields) appendXML(b *bytes.Buffer) {
	for _, kv := range f {
		switch v := kv.val.(type) {
		case string:
			xmlElem(b, kv.key, func() { _ = xml.EscapeText(b, []byte(v)) })
		case fields:
			xmlElem(b, kv.key, func() { v.appendXML(b) })
		case list:
			if v.item == "" {
				for _, e := range v.elems {
					xmlElem(b, kv.key, func() { e.appendXML(b) })
				}
				continue
			}
			xmlElem(b, kv.key, func() {
				for _, e := range v.elems {
					xmlElem(b, v.item, func() { e.appendXML(b) })
				}
			})
		default:
			panic(fmt.Sprintf("sandbox: field %s has type %T", kv.key, kv.val))
		}
	}
}

func xmlElem(b *bytes.Buffer, name string, inner func()) {
	b.WriteByte('<')
	b.WriteString(name)
	b.WriteByte('>')
	inner()
	b.WriteString("</")
	b.WriteString(name)
	b.WriteByte('>')
}

// xmlHeader starts every XML answer (WIRE.md §2.3).
const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>`

// encodeMessage renders an answer in the asked format: a flat JSON object,
// or <RESPONSE>…</RESPONSE> after the XML declaration.
func encodeMessage(f fields, format gateway.Format) []byte {
	var b bytes.Buffer
	if format == gateway.FormatJSON {
		f.appendJSON(&b)
		return b.Bytes()
	}
	b.WriteString(xmlHeader)
	fields{{"RESPONSE", f}}.appendXML(&b)
	return b.Bytes()
}

// sealed is a message ready to send: the body bytes, their content type and
// the signature of the plaintext ("" when no merchant is known).
type sealed struct {
	body        []byte
	contentType string
	sign        string
}

// seal signs and, when asked, encrypts a plaintext message (WIRE.md §2.1–2.3).
func seal(plain []byte, format gateway.Format, encrypt bool, m *merchant) (sealed, error) {
	out := sealed{body: plain, contentType: gateway.ContentTypePlain}
	if format == gateway.FormatXML {
		out.contentType = gateway.ContentTypeXML
	}
	if m == nil {
		return out, nil
	}
	out.sign = gateway.Sign(plain, m.secret)
	if encrypt {
		enc, err := gateway.Encrypt(plain, m.secret)
		if err != nil {
			return sealed{}, fmt.Errorf("encrypt answer: %w", err)
		}
		out.body = []byte(enc)
		out.contentType = gateway.ContentTypeEnc
	}
	return out, nil
}
