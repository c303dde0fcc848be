package sandbox

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"posterm/gateway"
)

// startNotify sends a paid precreate's notification in the background
// (WIRE.md §8): at once, then every NotifyInterval (scaled) until the
// receiver answers HTTP 200 with body SUCCESS, NotifyAttempts times at most.
func (s *Server) startNotify(chargeCode string) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		s.notifyLoop(chargeCode)
	}()
}

func (s *Server) notifyLoop(chargeCode string) {
	for first := true; ; first = false {
		if !first {
			tm := time.NewTimer(s.scaled(NotifyInterval))
			select {
			case <-tm.C:
			case <-s.closing:
				tm.Stop()
				return
			}
		}
		s.mu.Lock()
		t := s.l.byCharge[chargeCode]
		if t == nil || !t.wantsNotify() {
			s.mu.Unlock()
			return
		}
		target, msg, err := notification(t, s.merchant)
		s.mu.Unlock()
		var done bool
		var status string
		if err == nil {
			done, status, err = s.sendNotify(target, msg)
		}
		s.mu.Lock()
		t.NotifyAttempts++
		t.Notified = done
		attempts := t.NotifyAttempts
		s.mu.Unlock()
		s.save()
		s.log.Info("notification", "charge_code", chargeCode, "attempt", attempts,
			"delivered", done, "status", status, "err", err)
		if done || attempts >= NotifyAttempts {
			return
		}
	}
}

// notification builds the request of WIRE.md §8 for t (s.mu held): the
// NODIFY_URL with _type, encrypt and sign set, and the sealed body. The URL's
// own _type and encrypt choose the format and encryption; absent, they are
// json and 3DES.
func notification(t *txn, m *merchant) (string, sealed, error) {
	u, err := url.Parse(t.NodifyURL)
	if err != nil {
		return "", sealed{}, fmt.Errorf("NODIFY_URL: %w", err)
	}
	q := u.Query()
	format := gateway.FormatJSON
	if q.Has("_type") {
		if f, err := gateway.ParseFormat(q.Get("_type")); err == nil {
			format = f
		}
	}
	encrypt := true
	if q.Has("encrypt") {
		encrypt = strings.EqualFold(q.Get("encrypt"), gateway.EncryptParam)
	}

	var inner fields
	inner.add("BUSI_ID", t.BusiID)
	inner.add("OPER_ID", t.OperID)
	inner.add("DEV_ID", t.DevID)
	inner.add("AMT", t.Amt.Fen())
	inner.add("CHANNEL_TYPE", strconv.Itoa(t.ChannelType))
	inner.add("CHARGE_CODE", t.ChargeCode)
	inner.add("CHARGE_DOWN_CODE", t.ChargeDownCode)
	inner.addOpt("CHARGE_THIRD_CODE", t.ChargeThirdCode)
	inner.add("PAY_SUBJECT", t.PaySubject)
	if len(t.Goods) > 0 {
		inner.add("GOODS_DETAIL", goodsDetail(t.Goods))
	}
	inner.add("STATE", strconv.Itoa(t.State))
	inner.addOpt("MERCHANTPARA", t.MerchantPara)
	inner.add("FUND_BILL_LIST", fundBillList(t.Bills))
	msg := fields{{"PAY_NODIFY", inner}}

	var b bytes.Buffer
	if format == gateway.FormatJSON {
		msg.appendJSON(&b)
	} else {
		msg.appendXML(&b)
	}
	out, err := seal(b.Bytes(), format, encrypt, m)
	if err != nil {
		return "", sealed{}, err
	}
	q.Set("_type", string(format))
	if encrypt {
		q.Set("encrypt", gateway.EncryptParam)
	} else {
		q.Set("encrypt", "")
	}
	q.Set("sign", out.sign)
	u.RawQuery = q.Encode()
	return u.String(), out, nil
}

// sendNotify makes one attempt; done is HTTP 200 with body SUCCESS.
func (s *Server) sendNotify(target string, msg sealed) (done bool, status string, err error) {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, target, bytes.NewReader(msg.body))
	if err != nil {
		return false, "", err
	}
	req.Header.Set("Content-Type", msg.contentType)
	resp, err := s.client.Do(req)
	if err != nil {
		return false, "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	ok := resp.StatusCode == http.StatusOK &&
		strings.EqualFold(strings.TrimSpace(string(body)), gateway.CodeSuccess)
	return ok, resp.Status, nil
}
