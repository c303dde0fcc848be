package gateway

import (
	"crypto/cipher"

	"crypto/tls"
	"crypto/x509"
	"net"

	"posterm/pos"

	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Default timeouts of a Client.
const (
	// DefaultTimeout bounds every call but pay.
	DefaultTimeout = 15 * time.Second
	// DefaultPayTimeout bounds a pay call. The vendor holds a pay for up to
	// 80 s while the customer confirms in the wallet (WIRE.md §4.2); giving up
	// sooner turns answers that were on their way into unknowns.
	DefaultPayTimeout = 95 * time.Second
	// VendorPayBound is the vendor's own bound on a pay call (WIRE.md §4.2).
	VendorPayBound = 80 * time.Second
)

// maxAnswer bounds the body read from the gateway; a batch query page of a
// hundred trades is far below it.
const maxAnswer = 4 << 20

// Config configures a Client. URL, BusiID and Secret are required; the zero
// value of every other field is a sane default.
type Config struct {
	// URL is the service URL (WIRE.md §1), used as given; its own query
	// parameters, if any, are kept before the envelope's.
	URL string
	// BusiID is the merchant ID: the `busiCode` of the envelope, and the
	// BUSI_ID (busiCode) of every request that does not carry one.
	BusiID string
	// Secret is the merchant key that signs (§2.2) and encrypts (§2.1). It is
	// never logged.
	Secret string
	// OperID and DevID fill OPER_ID and DEV_ID of requests that leave them empty.
	OperID string
	DevID  string
	// Format is the response format asked for with `_type`; FormatJSON when empty.
	Format Format
	// Encrypt sends `encrypt=3DES`: both bodies are 3DES+base64 (§2.1).
	Encrypt bool
	// RequireSign refuses (as unknown) an answer without X-Sosopay-Sign.
	// A signature that is present is always checked (§2.3).
	RequireSign bool
	// Timeout bounds each call but pay; DefaultTimeout when zero.
	Timeout time.Duration
	// PayTimeout bounds each pay call; DefaultPayTimeout when zero. It should
	// outlast VendorPayBound.
	PayTimeout time.Duration
	// Timeouts overrides the timeout of single methods (MethodQuery, …).
	Timeouts map[string]time.Duration
	// HTTPClient sends the requests; a client speaking HTTP/1.1 when nil.
	// The Client never follows redirects, whichever HTTPClient is given.
	HTTPClient *http.Client
	// AllowHTTP lets a plain http:// URL reach a host other than loopback.
	// Off, such a URL is refused by New: the money, the signature and the
	// login's password would cross the network in clear (issue 8).
	AllowHTTP bool
	// CAPEM holds PEM certificates added to the system's roots for an
	// https:// URL (config [gateway] ca_file, read by main). Certificates are
	// always verified.
	CAPEM []byte
	// BatchQueryKeys spells the batch query's PageNum, ChannelType and
	// ChargeCode: BatchKeysVendor (when empty) or BatchKeysCamel (§4.7).
	BatchQueryKeys string
	// SendTimeExpire sends a precreate's TIME_EXPIRE, which the vendor's
	// document does not list (§4.3); off by default.
	SendTimeExpire bool
	// Logger receives one record per call with the subsystem key "gateway";
	// nothing is logged when nil.
	Logger *slog.Logger
}

// Client calls the SOSOPAY gateway. It is safe for concurrent use; its
// configuration does not change after New (WithFormat and WithEncrypt make
// copies).
//
// Every call returns its typed answer and a Status; the Status's Outcome,
// not the error, says what happened to the money.
type Client struct {
	cfg   Config
	base  *url.URL
	hc    *http.Client
	log   *slog.Logger
	block cipher.Block // the 3DES cipher of cfg.Secret (§2.1), made once
}

// New checks cfg, fills its defaults and returns a Client.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.URL) == "" {
		return nil, errors.New("gateway: URL is empty: set the service URL of WIRE.md §1")
	}
	base, err := url.Parse(cfg.URL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("gateway: URL %q: want an http:// or https:// URL", cfg.URL)
	}
	if base.Scheme == "http" && !cfg.AllowHTTP && !isLoopback(base.Hostname()) {
		return nil, fmt.Errorf("gateway: URL %s: plain http to a host other than loopback sends payments, signatures and passwords in clear; use https://, or set [gateway] allow_http = true to accept that", base.Redacted())
	}
	switch cfg.BatchQueryKeys {
	case "":
		cfg.BatchQueryKeys = BatchKeysVendor
	case BatchKeysVendor, BatchKeysCamel:
	default:
		return nil, fmt.Errorf("gateway: BatchQueryKeys %q: want %s or %s", cfg.BatchQueryKeys, BatchKeysVendor, BatchKeysCamel)
	}
	if cfg.BusiID == "" {
		return nil, errors.New("gateway: BusiID is empty: set the merchant ID")
	}
	if cfg.Secret == "" {
		return nil, errors.New("gateway: Secret is empty: set the merchant key")
	}
	switch cfg.Format {
	case "":
		cfg.Format = FormatJSON
	case FormatJSON, FormatXML:
	default:
		return nil, fmt.Errorf("gateway: Format %q: want json or xml", cfg.Format)
	}
	if cfg.Timeout < 0 || cfg.PayTimeout < 0 {
		return nil, errors.New("gateway: negative timeout")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.PayTimeout == 0 {
		cfg.PayTimeout = DefaultPayTimeout
	}
	block, err := newBlock(cfg.Secret)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	c := &Client{cfg: cfg, base: base, block: block}
	if cfg.HTTPClient != nil {
		hc := *cfg.HTTPClient
		c.hc = &hc
	} else {
		t := http.DefaultTransport.(*http.Transport).Clone()
		var p http.Protocols
		p.SetHTTP1(true) // one HTTP/1.1 POST per call (§2)
		t.Protocols = &p
		tc, err := tlsConfig(cfg.CAPEM)
		if err != nil {
			return nil, err
		}
		t.TLSClientConfig = tc
		c.hc = &http.Client{Transport: t}
	}
	// A redirected POST would come back as a GET elsewhere: take the 3xx
	// itself, which is an unknown outcome like any non-200.
	c.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c.log = logger.With("subsystem", "gateway")
	if cfg.PayTimeout <= VendorPayBound {
		c.log.Warn("pay timeout does not outlast the vendor's 80 s bound: answers on their way will be unknowns",
			"pay_timeout_ms", cfg.PayTimeout.Milliseconds())
	}
	return c, nil
}

// isLoopback reports whether host is localhost or a loopback address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// tlsConfig verifies certificates against the system's roots plus the PEM
// certificates given (WIRE.md §1: the production URL is https).
func tlsConfig(caPEM []byte) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(caPEM) == 0 {
		return tc, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("gateway: the CA file holds no PEM certificate ([gateway] ca_file)")
	}
	tc.RootCAs = pool
	return tc, nil
}

// WithFormat returns a copy of c that asks for answers in format f, which
// must be FormatJSON or FormatXML (ParseFormat reads a flag). Answers are
// read in whichever format they come.
func (c *Client) WithFormat(f Format) *Client {
	c2 := *c
	c2.cfg.Format = f
	return &c2
}

// WithEncrypt returns a copy of c that encrypts (or not) both bodies.
func (c *Client) WithEncrypt(on bool) *Client {
	c2 := *c
	c2.cfg.Encrypt = on
	return &c2
}

// BusiID returns the configured merchant ID.
func (c *Client) BusiID() string { return c.cfg.BusiID }

// Errors that a Status's Err wraps; compare with errors.Is. ErrBadAnswer and
// ErrInvalidRequest are declared beside the code that returns them.
var (
	// ErrNoAnswer: the request failed or the answer was cut: timeout,
	// connection refused or reset, cancelled context. The outcome is unknown.
	ErrNoAnswer = errors.New("no answer from the gateway")
	// ErrHTTPStatus: an HTTP status other than 200 (§2.3); unknown.
	ErrHTTPStatus = errors.New("gateway answered a non-200 status")
	// ErrBadSign: X-Sosopay-Sign does not match the answer; unknown.
	ErrBadSign = errors.New("answer signature does not match")
	// ErrUnsigned: no X-Sosopay-Sign where one is required; unknown.
	ErrUnsigned = errors.New("answer is not signed")
	// ErrFaultCode: a RESULT code that leaves the outcome unknown, a gateway
	// fault such as EXCEPTION or a code not in the document (§6).
	ErrFaultCode = errors.New("gateway fault code")
	// ErrWrongCharge: the answer is about another CHARGE_CODE than the
	// request's; unknown.
	ErrWrongCharge = errors.New("answer is about another charge")
)

// Status is how a call ended. Its zero value is OutcomeUnknown.
//
//   - OutcomeDone: RESULT SUCCESS (login: success "true").
//   - OutcomeRefused: a final code (FAIL, AREADY_REVOKED, …; login:
//     success "false"), Err nil; or a request the client did not send,
//     Err wrapping ErrInvalidRequest.
//   - OutcomeUnknown: everything else, Err saying why. The money may have
//     moved: find out with a query, never by sending again blindly.
type Status struct {
	Outcome    Outcome
	Code       string // RESULT.CODE as NormalizeCode spells it; "" without one
	Info       string // RESULT.INFO (login: message), as the gateway wrote it
	HTTPStatus int    // 0 when no HTTP answer arrived
	Err        error
	Elapsed    time.Duration
	// Dropped names the side fields of the answer that could not be read and
	// were dropped (WIRE.md §2.4), each with why; they are logged and never
	// change the Outcome.
	Dropped []string
}

// Done reports whether the call succeeded.
func (s Status) Done() bool { return s.Outcome == OutcomeDone }

// Refused reports whether the gateway gave a final refusal (or the request
// was not sent).
func (s Status) Refused() bool { return s.Outcome == OutcomeRefused }

// Unknown reports whether the outcome is unknown.
func (s Status) Unknown() bool { return s.Outcome == OutcomeUnknown }

// String is a one-line summary for logs and the support tool; the
// gateway's text in it is made inert (pos.CleanText).
func (s Status) String() string {
	var b strings.Builder
	b.WriteString(s.Outcome.String())
	if s.Code != "" {
		b.WriteString(" " + s.Code)
	}
	if s.Info != "" {
		fmt.Fprintf(&b, " (%s)", s.Info)
	}
	if s.Err != nil {
		b.WriteString(": " + s.Err.Error())
	}
	return pos.CleanText(b.String())
}

func unknown(st Status, err error) Status {
	st.Outcome = OutcomeUnknown
	if st.Err == nil {
		st.Err = err
	}
	return st
}

// exchange is one call being made.
type exchange struct {
	method     string
	body       wireObject
	busiCode   string // the envelope's busiCode
	chargeCode string // for the log
	dynamicID  string // masked in the log
	password   string // never in the log
}

// do sends one request and reads, checks and classifies its answer. The
// node is returned only for an answer that decrypted, verified and decoded.
func (c *Client) do(ctx context.Context, ex exchange) (*Node, Status) {
	start := time.Now()
	st, n := c.send(ctx, ex)
	st.Elapsed = time.Since(start)
	return n, st
}

func (c *Client) send(ctx context.Context, ex exchange) (Status, *Node) {
	var st Status
	ctx, cancel := context.WithTimeout(ctx, c.timeout(ex.method))
	defer cancel()

	plain, sign := ex.body.encodeSigned(c.cfg.Secret)
	payload, ctype := plain, ContentTypePlain
	if c.cfg.Encrypt {
		payload, ctype = encryptWith(c.block, plain), ContentTypeEnc
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "", bytes.NewReader(payload))
	if err != nil {
		return Status{Outcome: OutcomeRefused, Err: fmt.Errorf("%w: %w", ErrInvalidRequest, err)}, nil
	}
	req.URL = c.endpoint(ex.method, ex.busiCode, sign)
	req.Host = req.URL.Host
	req.Header.Set("Content-Type", ctype)

	resp, err := c.hc.Do(req)
	if err != nil {
		return unknown(st, fmt.Errorf("%w: %w", ErrNoAnswer, stripURL(err))), nil
	}
	defer resp.Body.Close()
	st.HTTPStatus = resp.StatusCode
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
		return unknown(st, fmt.Errorf("%w: %s", ErrHTTPStatus, resp.Status)), nil
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return unknown(st, fmt.Errorf("%w: reading the answer: %w", ErrNoAnswer, stripURL(err))), nil
	}
	if len(raw) > maxAnswer {
		return unknown(st, fmt.Errorf("%w: answer larger than %d bytes", ErrBadAnswer, maxAnswer)), nil
	}
	text, err := openMessage(raw, c.block, c.cfg.Secret, c.cfg.Encrypt, resp.Header.Get(SignHeader), c.cfg.RequireSign)
	if err != nil {
		return unknown(st, err), nil
	}
	_, n, err := ParseMessage(text)
	if err != nil {
		return unknown(st, err), nil
	}
	return classify(ex.method, n, st), n
}

// openMessage turns a received body into its verified plaintext (WIRE.md
// §2.1–2.3): decrypt when encrypted, then check the signature over the
// plaintext when one is given, or refuse the body when one is required.
// A body that came back plain although encryption was asked (as an error
// answer from a gateway that could not find the key might) is accepted only
// with a valid signature.
func openMessage(raw []byte, block cipher.Block, secret string, encrypted bool, sig string, requireSign bool) ([]byte, error) {
	text := raw
	plainAnswer := false
	if encrypted {
		if looksPlain(raw) {
			plainAnswer = true
		} else {
			pt, err := decryptWith(block, raw)
			if err != nil {
				return nil, fmt.Errorf("%w: %w", ErrBadAnswer, err)
			}
			text = pt
		}
	}
	sig = strings.TrimSpace(sig)
	switch {
	case sig != "":
		if !VerifySign(text, secret, sig) {
			return nil, ErrBadSign
		}
	case plainAnswer:
		return nil, fmt.Errorf("%w: a plain answer to an encrypted request%s", ErrUnsigned, peekCode(text))
	case requireSign:
		return nil, fmt.Errorf("%w%s", ErrUnsigned, peekCode(text))
	}
	return text, nil
}

// looksPlain reports whether a body is JSON or XML rather than base64
// (whose alphabet has neither '{' nor '<').
func looksPlain(b []byte) bool {
	t := bytes.TrimLeft(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")), " \t\r\n")
	return len(t) > 0 && (t[0] == '{' || t[0] == '<')
}

// peekCode names the RESULT code of an answer that is not trusted, for
// the support engineer reading the error; it is never acted upon.
func peekCode(text []byte) string {
	_, n, err := ParseMessage(text)
	if err != nil {
		return ""
	}
	var r fieldReader
	if res := r.result(n); res.Code != "" && len(res.Code) <= 40 {
		return " (its RESULT says " + res.Code + ")"
	}
	return ""
}

// classify reads the outcome of a trusted answer: RESULT.CODE through
// ClassifyCode, or `success` for a login (WIRE.md §4.9, §6).
func classify(method string, n *Node, st Status) Status {
	var r fieldReader
	if method == MethodLogin || (n.Get("RESULT") == nil && n.Get("success") != nil) {
		s := r.str(n, "success")
		st.Info = r.text(n, "message") // a side field (§2.4)
		st.Outcome = loginSuccess(s)
		if r.err != nil {
			return unknown(st, r.err)
		}
		if st.Outcome == OutcomeUnknown {
			st.Err = fmt.Errorf("%w: login success is %q, want \"true\" or \"false\"", ErrBadAnswer, s)
		}
		return st
	}
	res := r.result(n)
	st.Code, st.Info = res.Code, res.Info
	if r.err != nil {
		return unknown(st, r.err)
	}
	st.Outcome = ClassifyCode(res.Code)
	if st.Outcome == OutcomeUnknown {
		if res.Code == "" {
			st.Err = fmt.Errorf("%w: no RESULT CODE", ErrBadAnswer)
		} else {
			st.Err = fmt.Errorf("%w: %s", ErrFaultCode, res.Code)
		}
	}
	return st
}

// settle folds the typed decoder's error into st: a malformed field of an
// answer makes its outcome unknown.
func settle(st Status, err error) Status {
	if err != nil {
		return unknown(st, err)
	}
	return st
}

// matchCharge makes the outcome unknown when the answer names another
// charge than the one asked about.
func matchCharge(st Status, field, want, got string) Status {
	if want != "" && got != "" && got != want && st.Outcome != OutcomeUnknown {
		return unknown(st, fmt.Errorf("%w: %s %q, asked %q", ErrWrongCharge, field, got, want))
	}
	return st
}

func (c *Client) timeout(method string) time.Duration {
	if d := c.cfg.Timeouts[method]; d > 0 {
		return d
	}
	if method == MethodPay {
		return c.cfg.PayTimeout
	}
	return c.cfg.Timeout
}

// url is the service URL with the envelope's query (WIRE.md §2), in the
// table's order: method, busiCode, _type, encrypt (only when encrypting), sign.
func (c *Client) url(method, busiCode, sign string) string {
	return c.endpoint(method, busiCode, sign).String()
}

// endpoint is url as a *url.URL, built without formatting and parsing it
// again for the request.
func (c *Client) endpoint(method, busiCode, sign string) *url.URL {
	if busiCode == "" {
		busiCode = c.cfg.BusiID
	}
	q := make([]byte, 0, 96+len(busiCode))
	if c.base.RawQuery != "" {
		q = append(q, c.base.RawQuery...)
		q = append(q, '&')
	}
	q = append(q, "method="...)
	q = append(q, url.QueryEscape(method)...)
	q = append(q, "&busiCode="...)
	q = append(q, url.QueryEscape(busiCode)...)
	q = append(q, "&_type="...)
	q = append(q, url.QueryEscape(string(c.cfg.Format))...)
	if c.cfg.Encrypt {
		q = append(q, "&encrypt="+EncryptParam...)
	}
	q = append(q, "&sign="...)
	q = append(q, sign...)
	u := *c.base
	u.RawQuery = string(q)
	return &u
}

// stripURL drops the *url.Error wrapper, whose text repeats the whole URL
// with its sign; the cause (and errors.Is on it) stays.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// finish logs a call and returns its status. The record carries the method,
// the charge code, the result code, the outcome and the time taken; never
// the secret, a password or a whole payment code, nor any body.
func (c *Client) finish(ctx context.Context, ex exchange, st Status) Status {
	level := slog.LevelInfo
	if st.Outcome == OutcomeUnknown || len(st.Dropped) > 0 {
		level = slog.LevelWarn
	}
	if !c.log.Enabled(ctx, level) {
		return st
	}
	attrs := []slog.Attr{slog.String("method", ex.method)}
	if ex.chargeCode != "" {
		attrs = append(attrs, slog.String("charge_code", ex.chargeCode))
	}
	if ex.dynamicID != "" {
		attrs = append(attrs, slog.String("dynamic_id", pos.MaskCode(ex.dynamicID)))
	}
	attrs = append(attrs,
		slog.String("result_code", pos.CleanText(st.Code)),
		slog.String("outcome", st.Outcome.String()),
		slog.Int64("elapsed_ms", st.Elapsed.Milliseconds()))
	if st.Info != "" {
		attrs = append(attrs, slog.String("info", c.redact(ex, st.Info)))
	}
	if st.HTTPStatus != 0 {
		attrs = append(attrs, slog.Int("http_status", st.HTTPStatus))
	}
	if st.Err != nil {
		attrs = append(attrs, slog.String("err", c.redact(ex, st.Err.Error())))
	}
	if len(st.Dropped) > 0 {
		attrs = append(attrs, slog.String("dropped", c.redact(ex, strings.Join(st.Dropped, "; "))))
	}
	c.log.LogAttrs(ctx, level, "gateway call", attrs...)
	return st
}

// redact hides what must not reach a log from text that the gateway or an
// error wrote (an INFO may quote a field), and makes it inert
// (pos.CleanText).
func (c *Client) redact(ex exchange, s string) string {
	s = pos.CleanText(s)
	s = strings.ReplaceAll(s, c.cfg.Secret, "[secret]")
	if ex.password != "" {
		s = strings.ReplaceAll(s, ex.password, "[password]")
	}
	if ex.dynamicID != "" {
		s = strings.ReplaceAll(s, ex.dynamicID, pos.MaskCode(ex.dynamicID))
	}
	return s
}
