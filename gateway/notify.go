package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"posterm/pos"
)

// Notification is PAY_NODIFY (sic), the gateway's asynchronous message that
// a precreated transaction was paid (WIRE.md §8). The same notification may
// arrive many times: act on it once.
type Notification struct {
	BusiID          string
	OperID          string
	DevID           string
	Amt             pos.Money // fen (§4.1)
	ChannelType     int       // Absent when not given
	ChargeCode      string
	ChargeDownCode  string
	ChargeThirdCode string
	PaySubject      string
	GoodsDetail     []Good
	State           int // §5
	MerchantPara    string
	FundBillList    []FundBill
}

// DecodeNotification reads a notification's verified plaintext: JSON
// {"PAY_NODIFY":{…}} or XML <PAY_NODIFY>…</PAY_NODIFY> (WIRE.md §8). A
// notification without CHARGE_CODE, AMT or STATE, or with a malformed field,
// is an error wrapping ErrBadAnswer.
func DecodeNotification(plaintext []byte) (Notification, error) {
	root, n, err := ParseMessage(plaintext)
	if err != nil {
		return Notification{}, err
	}
	body := n
	if root != "PAY_NODIFY" {
		body = n.Get("PAY_NODIFY")
		if body == nil || body.Kind != KindObject {
			return Notification{}, fmt.Errorf("%w: no PAY_NODIFY object", ErrBadAnswer)
		}
	}
	var r fieldReader
	out := Notification{
		BusiID:          r.str(body, "BUSI_ID"),
		OperID:          r.str(body, "OPER_ID"),
		DevID:           r.str(body, "DEV_ID"),
		Amt:             r.fen(body, "AMT"),
		ChannelType:     r.sideInt(body, "CHANNEL_TYPE"),
		ChargeCode:      r.str(body, "CHARGE_CODE"),
		ChargeDownCode:  r.str(body, "CHARGE_DOWN_CODE"),
		ChargeThirdCode: r.str(body, "CHARGE_THIRD_CODE"),
		PaySubject:      r.text(body, "PAY_SUBJECT"),
		GoodsDetail:     r.goods(body, "GOODS_DETAIL"),
		State:           r.int(body, "STATE"),
		MerchantPara:    r.str(body, "MERCHANTPARA"),
		FundBillList:    r.fundBills(body),
	}
	if r.err != nil {
		return out, r.err
	}
	switch {
	case strings.TrimSpace(out.ChargeCode) == "":
		return out, fmt.Errorf("%w: notification without CHARGE_CODE", ErrBadAnswer)
	case out.Amt == Absent:
		return out, fmt.Errorf("%w: notification without AMT", ErrBadAnswer)
	case out.State == Absent:
		return out, fmt.Errorf("%w: notification without STATE", ErrBadAnswer)
	}
	return out, nil
}

// maxNotification bounds a notification body.
const maxNotification = 1 << 20

// NewNotifyHandler returns the http.Handler for NODIFY_URL (WIRE.md §8). It
// reads `_type`, `encrypt` and `sign` from the URL's query (the sign also
// from an X-Sosopay-Sign header when the query has none), decrypts when
// encrypt=3DES, checks the MD5 signature over the plaintext with secret,
// decodes the notification and hands it to accept. It answers 200 with the
// body SUCCESS only after accept returned nil, so the gateway retries until
// the notification is safely taken; otherwise: 405 not a POST, 403 a missing
// or wrong signature, 400 a body that does not decrypt or decode, 500 accept
// failed. accept may be called concurrently and with the same notification
// more than once. Each request is logged (subsystem "gateway", method
// "notify"); a nil logger logs nothing.
func NewNotifyHandler(secret string, accept func(context.Context, Notification) error, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &notifyHandler{secret: secret, accept: accept, log: logger.With("subsystem", "gateway")}
}

type notifyHandler struct {
	secret string
	accept func(context.Context, Notification) error
	log    *slog.Logger
}

func (h *notifyHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	code, n, err := h.serve(w, r)
	if code == http.StatusOK {
		w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, CodeSuccess)
	} else {
		if code == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", http.MethodPost)
		}
		http.Error(w, http.StatusText(code), code)
	}

	level, outcome := slog.LevelInfo, "accepted"
	if code != http.StatusOK {
		level, outcome = slog.LevelWarn, "refused"
	}
	attrs := []slog.Attr{slog.String("method", "notify")}
	if n.ChargeCode != "" {
		attrs = append(attrs, slog.String("charge_code", pos.CleanText(n.ChargeCode)), slog.Int("state", n.State),
			slog.String("amt", n.Amt.Yuan()))
	}
	attrs = append(attrs, slog.String("outcome", outcome), slog.Int("http_status", code),
		slog.Int64("elapsed_ms", time.Since(start).Milliseconds()), slog.String("remote", r.RemoteAddr),
		slog.String("format", pos.CleanText(r.URL.Query().Get("_type"))))
	if err != nil {
		msg := pos.CleanText(err.Error())
		if h.secret != "" {
			msg = strings.ReplaceAll(msg, h.secret, "[secret]")
		}
		attrs = append(attrs, slog.String("err", msg))
	}
	h.log.LogAttrs(r.Context(), level, "gateway notification", attrs...)
}

// serve does the work of ServeHTTP and returns the status to answer.
func (h *notifyHandler) serve(w http.ResponseWriter, r *http.Request) (int, Notification, error) {
	if r.Method != http.MethodPost {
		return http.StatusMethodNotAllowed, Notification{}, fmt.Errorf("method %s", r.Method)
	}
	q := r.URL.Query()
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxNotification))
	if err != nil {
		return http.StatusBadRequest, Notification{}, fmt.Errorf("reading the body: %w", err)
	}
	var encrypted bool
	switch e := strings.TrimSpace(q.Get("encrypt")); {
	case e == "":
	case strings.EqualFold(e, EncryptParam):
		encrypted = true
	default:
		return http.StatusBadRequest, Notification{}, fmt.Errorf("encrypt %q: want 3DES or none", e)
	}
	sig := strings.TrimSpace(q.Get("sign"))
	if sig == "" {
		sig = strings.TrimSpace(r.Header.Get(SignHeader))
	}
	if sig == "" {
		return http.StatusForbidden, Notification{}, ErrUnsigned
	}
	if h.secret == "" { // anyone can sign with an empty key
		return http.StatusForbidden, Notification{}, errors.New("no merchant key configured")
	}
	block, err := newBlock(h.secret)
	if err != nil {
		return http.StatusInternalServerError, Notification{}, err
	}
	text, err := openMessage(raw, block, h.secret, encrypted, sig, true)
	switch {
	case errors.Is(err, ErrBadSign), errors.Is(err, ErrUnsigned):
		return http.StatusForbidden, Notification{}, err
	case err != nil:
		return http.StatusBadRequest, Notification{}, err
	}
	n, err := DecodeNotification(text)
	if err != nil {
		return http.StatusBadRequest, Notification{}, err
	}
	if err := h.accept(r.Context(), n); err != nil {
		return http.StatusInternalServerError, n, fmt.Errorf("accept: %w", err)
	}
	return http.StatusOK, n, nil
}
