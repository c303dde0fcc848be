package sandbox

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"posterm/gateway"
	"posterm/pos"
)

// timeLayout is the gateway's date-time format (BEGIN_TIME, END_TIME, loginDate).
const timeLayout = "2006-01-02 15:04:05"

// maxSerial bounds CHARGE_CODE and OUT_REFUND_NO (a UUID is 36).
const maxSerial = 64

// ---- shared checks ----

// checkBusi refuses a body whose merchant field is not the call's busiCode.
func checkBusi(got string, req *request, name string) *fault {
	if got != req.merchant.busiID {
		return faultf(gateway.CodeUnregisteredBusi, "%s: %q is not the busiCode of this call", name, got)
	}
	return nil
}

func checkSerial(s, name string) *fault {
	if len(s) > maxSerial {
		return faultf(gateway.CodeIllegalParameter, "%s: longer than %d characters", name, maxSerial)
	}
	return nil
}

// checkAmt applies the merchant's limits to a payment amount.
func checkAmt(amt pos.Money, name string) *fault {
	if amt <= 0 {
		return faultf(gateway.CodeAmtError, "%s: must be more than 0.00", name)
	}
	if amt > DemoAmountLimit {
		return faultf(gateway.CodeAmtError, "%s: %s is above the merchant's limit of %s", name, amt.Yuan(), DemoAmountLimit.Yuan())
	}
	return nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// channelOf works out the wallet from a payment code (WIRE.md §9): prefix
// 10–15 is WeChat Pay, anything else Alipay.
func channelOf(dynamicID string) int {
	if p, err := strconv.Atoi(dynamicID[:2]); err == nil && p >= 10 && p <= 15 {
		return gateway.ChannelWeChat
	}
	return gateway.ChannelAlipay
}

// ---- serials and fund bills ----

func (s *Server) downCode(now time.Time) string {
	return now.Format("20060102") + fmt.Sprintf("%012d", s.l.nextSeq())
}

// thirdCode is a wallet serial in the style of each wallet (28 digits).
func (s *Server) thirdCode(channel int, now time.Time) string {
	seq := fmt.Sprintf("%012d", s.l.nextSeq())
	if channel == gateway.ChannelWeChat {
		return "42000000" + now.Format("20060102") + seq
	}
	return now.Format("20060102") + "21001004" + seq
}

// couponFen is the voucher part of a split payment.
const couponFen = pos.Money(100)

// bills is how the customer paid t (FUND_BILL_LIST). Deterministic: a pay
// whose code ends in 80–89, above 1.00, used a 1.00 voucher (Alipay red
// packet 00, WeChat cash coupon 41) and the wallet for the rest; anything
// else is all wallet (Alipay balance 10, WeChat Pay 11).
func bills(t *txn) []fundBill {
	main, coupon := "10", "00"
	if t.ChannelType == gateway.ChannelWeChat {
		main, coupon = "11", "41"
	}
	if t.Kind == KindPay && t.Amt > couponFen {
		if d := t.DynamicID[len(t.DynamicID)-2:]; d[0] == '8' {
			return []fundBill{{main, t.Amt - couponFen}, {coupon, couponFen}}
		}
	}
	return []fundBill{{main, t.Amt}}
}

// allocate splits a refund over the payment's fund bills in order, after
// what earlier refunds took.
func allocate(paid []fundBill, already, amt pos.Money) []fundBill {
	var out []fundBill
	lo, hi := already, already+amt
	var at pos.Money
	for _, b := range paid {
		start, end := max(lo, at), min(hi, at+b.Amount)
		if end > start {
			out = append(out, fundBill{b.Channel, end - start})
		}
		at += b.Amount
	}
	return out
}

// ---- state changes (s.mu held) ----

// setState moves t and wakes a pay call waiting on it.
func (s *Server) setState(t *txn, state int) {
	if t.State == gateway.StatePending && state != gateway.StatePending {
		if ch := s.waiters[t.ChargeCode]; ch != nil {
			close(ch)
			delete(s.waiters, t.ChargeCode)
		}
	}
	t.State = state
	t.Due, t.DueAction = time.Time{}, ""
}

func (s *Server) markPaid(t *txn, now time.Time) {
	s.setState(t, gateway.StatePaid)
	t.EndTime = now
	if t.ChargeThirdCode == "" {
		t.ChargeThirdCode = s.thirdCode(t.ChannelType, now)
	}
	t.Bills = bills(t)
}

// markClosed closes t; why becomes the INFO of a pay call waiting on it.
func (s *Server) markClosed(t *txn, now time.Time, why string) {
	s.setState(t, gateway.StateClosed)
	t.EndTime = now
	t.Info = why
}

// ---- answer shapes ----

func fundBillList(bs []fundBill) fields {
	l := list{}
	for _, b := range bs {
		l.elems = append(l.elems, fields{{"FUND_CHANNEL", b.Channel}, {"AMOUNT", b.Amount.Yuan()}})
	}
	return fields{{"TRADEFUNDBILL", l}}
}

func goodsDetail(gs []goodLine) list {
	l := list{item: "GOODSINFO"}
	for _, g := range gs {
		var f fields
		for _, k := range goodsFields {
			f.addOpt(k, g[k])
		}
		l.elems = append(l.elems, f)
	}
	return l
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(timeLayout)
}

// tradeFields are the return fields of a query (WIRE.md §4.4) without
// RESULT, in the vendor table's order; batch query rows use them too.
// DYNAMIC_ID is the whole code, as the gateway has it.
func tradeFields(t *txn) fields {
	f := fields{{"BUSI_ID", t.BusiID}, {"OPER_ID", t.OperID}, {"DEV_ID", t.DevID}}
	f.addOpt("MERCHANTPARA", t.MerchantPara)
	f.add("AMT", t.Amt.Fen())
	f.add("CHANNEL_TYPE", strconv.Itoa(t.ChannelType))
	f.add("CHARGE_CODE", t.ChargeCode)
	f.add("CHARGE_DOWN_CODE", t.ChargeDownCode)
	f.addOpt("CHARGE_THIRD_CODE", t.ChargeThirdCode)
	f.add("PAY_SUBJECT", t.PaySubject)
	f.add("STATE", strconv.Itoa(t.State))
	if len(t.Goods) > 0 {
		f.add("GOODS_DETAIL", goodsDetail(t.Goods))
	}
	f.add("BEGIN_TIME", stamp(t.BeginTime))
	f.addOpt("END_TIME", stamp(t.EndTime))
	f.addOpt("REGISTER_ID", t.RegisterID)
	f.addOpt("DYNAMIC_ID", t.DynamicID)
	if len(t.Bills) > 0 {
		f.add("FUND_BILL_LIST", fundBillList(t.Bills))
	}
	return f
}

func ok(f fields) fields {
	return append(fields{{"RESULT", resultFields(gateway.CodeSuccess, "ok")}}, f...)
}

// payAnswer is the pay return table (WIRE.md §4.2) for a recorded
// transaction: with the wallet's fields when paid, without when not.
func payAnswer(t *txn, code, info string) reply {
	f := fields{{"RESULT", resultFields(code, info)}}
	f.add("CHANNEL_TYPE", strconv.Itoa(t.ChannelType))
	f.add("CHARGE_CODE", t.ChargeCode)
	f.add("CHARGE_DOWN_CODE", t.ChargeDownCode)
	if code == gateway.CodeSuccess {
		f.add("CHARGE_THIRD_CODE", t.ChargeThirdCode)
	}
	f.addOpt("MERCHANTPARA", t.MerchantPara)
	if code == gateway.CodeSuccess {
		f.add("FUND_BILL_LIST", fundBillList(t.Bills))
	}
	f.add("OPER_ID", t.OperID)
	f.add("DEV_ID", t.DevID)
	f.add("BEGIN_TIME", stamp(t.BeginTime))
	f.add("AMT", t.Amt.Fen())
	return reply{msg: f, chargeCode: t.ChargeCode, code: code}
}

// ---- sosopay.trade.pay (§4.2, §9) ----

func (s *Server) pay(ctx context.Context, req *request) reply {
	p, v := req.p, map[string]string{}
	if f := p.strs(v, "BUSI_ID", "OPER_ID", "DEV_ID", "AMT", "DYNAMIC_ID", "CHARGE_CODE", "PAY_SUBJECT"); f != nil {
		return failReply(f)
	}
	if f := checkBusi(v["BUSI_ID"], req, "BUSI_ID"); f != nil {
		return failReply(f)
	}
	amt, f := parseAmount(v["AMT"], "AMT")
	if f != nil {
		return failReply(f)
	}
	code := v["DYNAMIC_ID"]
	if !isDigits(code) || len(code) < 16 || len(code) > 24 {
		return failReply(faultf(gateway.CodeIllegalParameter, "DYNAMIC_ID: want a payment code of 16 to 24 digits"))
	}
	cc := v["CHARGE_CODE"]
	if f := checkSerial(cc, "CHARGE_CODE"); f != nil {
		return failReply(f)
	}
	para, f1 := p.opt("MERCHANTPARA")
	reg, f2 := p.opt("REGISTER_ID")
	goods, f3 := p.goods()
	for _, f := range []*fault{f1, f2, f3, checkAmt(amt, "AMT")} {
		if f != nil {
			return failReply(f)
		}
	}

	last2 := code[len(code)-2:]
	log := s.log.With("op", gateway.MethodPay, "charge_code", cc, "dynamic_id", pos.MaskCode(code))
	switch last2 {
	case "95": // the gateway is down: nothing recorded, the serial stays free
		log.Info("simulating HTTP 503")
		return reply{status: http.StatusServiceUnavailable, chargeCode: cc}
	case "97": // a system fault: nothing recorded
		return reply{msg: fields{{"RESULT", resultFields(gateway.CodeException, "system fault")}}, chargeCode: cc, code: gateway.CodeException}
	}

	s.mu.Lock()
	if s.l.serialTaken(cc) {
		s.mu.Unlock()
		return reply{msg: fields{{"RESULT", resultFields(gateway.CodeSerialRepeat, "CHARGE_CODE: already used")}},
			chargeCode: cc, code: gateway.CodeSerialRepeat}
	}
	now := s.now()
	t := &txn{
		Kind: KindPay, BusiID: v["BUSI_ID"], ChargeCode: cc, ChargeDownCode: s.downCode(now),
		OperID: v["OPER_ID"], DevID: v["DEV_ID"], RegisterID: reg, MerchantPara: para,
		PaySubject: v["PAY_SUBJECT"], DynamicID: code, ChannelType: channelOf(code), Amt: amt,
		State: gateway.StatePending, Goods: goods, BeginTime: now,
	}
	var wait chan struct{}
	switch last2 {
	case "92":
		s.markClosed(t, now, "insufficient balance")
	case "91":
		t.Due, t.DueAction = now.Add(s.scaled(ConfirmDelay)), duePaySucceed
	case "93":
		t.Due, t.DueAction = now.Add(s.scaled(PayBound)), duePayFail
	case "96":
		t.Due, t.DueAction = now.Add(s.scaled(LateDelay)), duePaySucceed
	default: // 00–90, 94, 98, 99: paid at once
		s.markPaid(t, now)
	}
	if t.State == gateway.StatePending {
		wait = make(chan struct{})
		s.waiters[cc] = wait
	}
	s.l.add(t)
	due, action, state := t.Due, t.DueAction, t.State
	s.mu.Unlock()
	s.save()
	log.Info("pay recorded", "state", state, "amt", amt.Yuan())

	if last2 == "92" {
		c := s.copyTxn(t)
		return payAnswer(c, gateway.CodeFail, c.Info)
	}
	if last2 == "94" {
		return reply{drop: true, chargeCode: cc}
	}
	if wait != nil {
		s.schedule(cc, action, due)
		select {
		case <-wait:
		case <-s.closing:
			return reply{drop: true, chargeCode: cc}
		case <-ctx.Done():
			return reply{drop: true, chargeCode: cc} // the client is gone
		}
	}
	c := s.copyTxn(t)
	switch c.State {
	case gateway.StatePaid, gateway.StatePartiallyRefunded, gateway.StateRefunded:
		return payAnswer(c, gateway.CodeSuccess, "ok")
	case gateway.StateRevoked, gateway.StateRevocationApplied:
		return payAnswer(c, gateway.CodeFail, "transaction revoked")
	case gateway.StateClosed:
		return payAnswer(c, gateway.CodeFail, c.Info)
	}
	return payAnswer(c, gateway.CodeFail, fmt.Sprintf("transaction in state %d", c.State))
}

// copyTxn is a snapshot of t for building an answer outside the lock.
func (s *Server) copyTxn(t *txn) *txn {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *t
	c.Bills = append([]fundBill(nil), t.Bills...)
	c.Refunds = append([]refundRec(nil), t.Refunds...)
	return &c
}

// ---- sosopay.trade.precreate (§4.3) ----

func (s *Server) precreate(r *http.Request, req *request) reply {
	p, v := req.p, map[string]string{}
	if f := p.strs(v, "BUSI_ID", "OPER_ID", "DEV_ID", "AMT", "CHANNEL_TYPE", "CHARGE_CODE", "PAY_SUBJECT"); f != nil {
		return failReply(f)
	}
	if f := checkBusi(v["BUSI_ID"], req, "BUSI_ID"); f != nil {
		return failReply(f)
	}
	amt, f := parseAmount(v["AMT"], "AMT")
	if f != nil {
		return failReply(f)
	}
	channel, _, f := p.intField("CHANNEL_TYPE", 1, 31)
	if f != nil {
		return failReply(f)
	}
	cc := v["CHARGE_CODE"]
	if f := checkSerial(cc, "CHARGE_CODE"); f != nil {
		return failReply(f)
	}
	expiry := DefaultExpiry
	secs, has, f := p.intField("TIME_EXPIRE", 1, 7*24*3600)
	if f != nil {
		return failReply(f)
	}
	if has {
		expiry = time.Duration(secs) * time.Second
	}
	notify, f := p.opt("NODIFY_URL")
	if f != nil {
		return failReply(f)
	}
	if notify != "" {
		u, err := url.Parse(notify)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return failReply(faultf(gateway.CodeIllegalParameter, "NODIFY_URL: want an absolute http(s) URL"))
		}
	}
	tradeType, f := p.opt("TRADE_TYPE")
	if f != nil {
		return failReply(f)
	}
	switch tradeType {
	case "", "NATIVE", "APP":
	case "JSAPI":
		if channel != gateway.ChannelWeChat {
			return failReply(faultf(gateway.CodeIllegalParameter, "TRADE_TYPE: JSAPI needs CHANNEL_TYPE 2"))
		}
	default:
		return failReply(faultf(gateway.CodeIllegalParameter, "TRADE_TYPE: want NATIVE, JSAPI or APP, got %q", tradeType))
	}
	subAppid, f1 := p.opt("subAppid")
	subOpenid, f2 := p.opt("subOpenid")
	para, f3 := p.opt("MERCHANTPARA")
	reg, f4 := p.opt("REGISTER_ID")
	goods, f5 := p.goods()
	for _, f := range []*fault{f1, f2, f3, f4, f5} {
		if f != nil {
			return failReply(f)
		}
	}
	if tradeType == "JSAPI" && subOpenid == "" {
		return failReply(missing("subOpenid"))
	}
	if f := checkAmt(amt, "AMT"); f != nil {
		return failReply(f)
	}
	if channel != gateway.ChannelAlipay && channel != gateway.ChannelWeChat {
		return failReply(faultf(gateway.CodeInvalidContract, "CHANNEL_TYPE: channel %d is not enabled for this merchant", channel))
	}

	s.mu.Lock()
	if s.l.serialTaken(cc) {
		s.mu.Unlock()
		return reply{msg: fields{{"RESULT", resultFields(gateway.CodeSerialRepeat, "CHARGE_CODE: already used")}},
			chargeCode: cc, code: gateway.CodeSerialRepeat}
	}
	now := s.now()
	t := &txn{
		Kind: KindPrecreate, BusiID: v["BUSI_ID"], ChargeCode: cc, ChargeDownCode: s.downCode(now),
		OperID: v["OPER_ID"], DevID: v["DEV_ID"], RegisterID: reg, MerchantPara: para,
		PaySubject: v["PAY_SUBJECT"], ChannelType: channel, Amt: amt, State: gateway.StatePending,
		Goods: goods, BeginTime: now, NodifyURL: notify, TradeType: tradeType,
		SubAppid: subAppid, SubOpenid: subOpenid,
		Due: now.Add(s.scaled(expiry)), DueAction: dueExpire,
	}
	t.BarCode = s.baseURL(r) + QRPathPrefix + t.ChargeDownCode
	if tradeType == "JSAPI" {
		t.ChargeThirdCode = s.thirdCode(channel, now)
	}
	s.l.add(t)
	c := *t
	s.mu.Unlock()
	s.save()
	s.schedule(cc, dueExpire, c.Due)
	s.log.Info("precreate recorded", "charge_code", cc, "amt", amt.Yuan(), "channel_type", channel,
		"expiry", s.scaled(expiry).String())

	f0 := ok(fields{{"CHARGE_DOWN_CODE", c.ChargeDownCode}, {"CHARGE_CODE", cc}})
	f0.addOpt("MERCHANTPARA", para)
	f0.add("BAR_CODE", c.BarCode)
	if tradeType == "JSAPI" {
		nonce := md5.Sum([]byte(c.ChargeDownCode))
		ts := strconv.FormatInt(now.Unix(), 10)
		pkg := "prepay_id=wx" + c.ChargeDownCode
		f0.add("CHARGE_THIRD_CODE", c.ChargeThirdCode)
		f0.add("appId", "wx00000000sandbox")
		f0.add("timeStamp", ts)
		f0.add("nonceStr", hex.EncodeToString(nonce[:]))
		f0.add("packageData", pkg)
		f0.add("signType", "MD5")
		f0.add("sign", gateway.Sign([]byte("appId=wx00000000sandbox&nonceStr="+hex.EncodeToString(nonce[:])+"&package="+pkg+"&signType=MD5&timeStamp="+ts), DemoSecret))
	}
	return reply{msg: f0, chargeCode: cc, code: gateway.CodeSuccess}
}

// baseURL is where a phone reaches this sandbox: PublicURL, else the Host
// the request came to.
func (s *Server) baseURL(r *http.Request) string {
	if s.publicURL != "" {
		return s.publicURL
	}
	return "http://" + r.Host
}

// ---- sosopay.trade.query (§4.4) ----

func (s *Server) query(req *request) reply {
	p, v := req.p, map[string]string{}
	if f := p.strs(v, "BUSI_ID", "CHARGE_CODE"); f != nil {
		return failReply(f)
	}
	if f := checkBusi(v["BUSI_ID"], req, "BUSI_ID"); f != nil {
		return failReply(f)
	}
	serType, f := p.opt("serType")
	if f != nil {
		return failReply(f)
	}
	if serType != "" && serType != "0" && serType != "1" {
		return failReply(faultf(gateway.CodeIllegalParameter, "serType: want 0 or 1, got %q", serType))
	}
	cc := v["CHARGE_CODE"]
	s.mu.Lock()
	t := s.l.byCharge[cc]
	if serType == "1" {
		t = s.l.byDown[cc]
	}
	if t == nil {
		s.mu.Unlock()
		return reply{msg: fields{{"RESULT", resultFields(gateway.CodeChargeNonexistent, "no such transaction")}},
			chargeCode: cc, code: gateway.CodeChargeNonexistent}
	}
	f0 := ok(tradeFields(t))
	cc = t.ChargeCode
	s.mu.Unlock()
	return reply{msg: f0, chargeCode: cc, code: gateway.CodeSuccess}
}

// ---- sosopay.trade.cancel (§4.5) ----

func (s *Server) cancelTrade(req *request) reply {
	p, v := req.p, map[string]string{}
	if f := p.strs(v, "BUSI_ID", "CHARGE_CODE"); f != nil {
		return failReply(f)
	}
	if f := checkBusi(v["BUSI_ID"], req, "BUSI_ID"); f != nil {
		return failReply(f)
	}
	opType, f := p.opt("opType")
	if f != nil {
		return failReply(f)
	}
	cc := v["CHARGE_CODE"]
	if f := checkSerial(cc, "CHARGE_CODE"); f != nil {
		return failReply(f)
	}
	answer := func(code, info string) reply {
		return reply{msg: fields{{"RESULT", resultFields(code, info)}}, chargeCode: cc, code: code}
	}
	s.mu.Lock()
	t := s.l.byCharge[cc]
	if t == nil {
		// Never seen: remember the serial so that a pay still on its way
		// is refused with SERIAL_REPEAT.
		s.l.tombstone(cc)
		s.mu.Unlock()
		s.save()
		return answer(gateway.CodeChargeNonexistent, "no such transaction; the serial is now revoked")
	}
	now := s.now()
	var rep reply
	var due time.Time
	switch t.State {
	case gateway.StatePending:
		s.markClosed(t, now, "closed by cancel")
		rep = answer(gateway.CodeSuccess, "closed")
	case gateway.StateClosed:
		rep = answer(gateway.CodeSuccess, "already closed")
	case gateway.StatePaid:
		if opType == "ACO" {
			s.setState(t, gateway.StateRevocationApplied)
			t.Due, t.DueAction = now.Add(s.scaled(RevokeStep)), dueRevokeComplete
			due = t.Due
			rep = answer(gateway.CodeSuccess, "revocation submitted")
		} else {
			s.setState(t, gateway.StateRevoked)
			rep = answer(gateway.CodeSuccess, "revoked")
		}
	case gateway.StateRevoked, gateway.StateRevocationApplied:
		rep = answer(gateway.CodeAreadyRevoked, "already revoked")
	default:
		rep = answer(gateway.CodeFail, "the transaction has refunds; refund the rest instead")
	}
	state := t.State
	s.mu.Unlock()
	if rep.code == gateway.CodeSuccess {
		s.save()
	}
	if !due.IsZero() {
		s.schedule(cc, dueRevokeComplete, due)
	}
	s.log.Info("cancel", "charge_code", cc, "op_type", opType, "state", state, "result_code", rep.code)
	return rep
}

// ---- sosopay.trade.refund (§4.6) ----

func (s *Server) refund(req *request) reply {
	p, v := req.p, map[string]string{}
	if f := p.strs(v, "BUSI_ID", "OPER_ID", "DEV_ID", "CHARGE_REFUND_FEE", "REFUND_SUBJECT"); f != nil {
		return failReply(f)
	}
	if f := checkBusi(v["BUSI_ID"], req, "BUSI_ID"); f != nil {
		return failReply(f)
	}
	cc, f1 := p.opt("CHARGE_CODE")
	down, f2 := p.opt("CHARGE_DOWN_CODE")
	orn, f3 := p.opt("OUT_REFUND_NO")
	for _, f := range []*fault{f1, f2, f3} {
		if f != nil {
			return failReply(f)
		}
	}
	if cc == "" && down == "" {
		return failReply(missing("CHARGE_CODE"))
	}
	fee, f := parseAmount(v["CHARGE_REFUND_FEE"], "CHARGE_REFUND_FEE")
	if f != nil {
		return failReply(f)
	}
	if f := checkSerial(orn, "OUT_REFUND_NO"); f != nil {
		return failReply(f)
	}
	if fee <= 0 {
		return failReply(faultf(gateway.CodeAmtError, "CHARGE_REFUND_FEE: must be more than 0.00"))
	}
	answer := func(code, info string) reply {
		return reply{msg: fields{{"RESULT", resultFields(code, info)}}, chargeCode: cc, code: code}
	}

	s.mu.Lock()
	t := s.l.byCharge[cc]
	if down != "" { // the gateway serial wins (§4.6)
		t = s.l.byDown[down]
	}
	if t == nil {
		s.mu.Unlock()
		return answer(gateway.CodeChargeNonexistent, "no such transaction")
	}
	cc = t.ChargeCode
	if orn != "" {
		if owner := s.l.refundTo[orn]; owner != nil {
			if owner != t {
				s.mu.Unlock()
				return answer(gateway.CodeSerialRepeat, "OUT_REFUND_NO: already used on another transaction")
			}
			for _, r := range t.Refunds {
				if r.OutRefundNo == orn {
					rep := refundAnswer(t, r)
					s.mu.Unlock()
					s.log.Info("refund repeated", "charge_code", cc, "out_refund_no", orn)
					return rep
				}
			}
		}
	}
	switch t.State {
	case gateway.StatePaid, gateway.StatePartiallyRefunded, gateway.StateRefunded:
	case gateway.StateRevoked, gateway.StateRevocationApplied:
		s.mu.Unlock()
		return answer(gateway.CodeAreadyRevoked, "the transaction is revoked")
	default:
		s.mu.Unlock()
		return answer(gateway.CodeFail, "the transaction is not paid")
	}
	refunded := t.refunded()
	remain := t.Amt - refunded
	if fee > remain {
		s.mu.Unlock()
		return answer(gateway.CodeAmtError, fmt.Sprintf("CHARGE_REFUND_FEE: %s is more than the %s that remains", fee.Yuan(), remain.Yuan()))
	}
	now := s.now()
	rec := refundRec{OutRefundNo: orn, Amount: fee, Bills: allocate(t.Bills, refunded, fee),
		OperID: v["OPER_ID"], Subject: v["REFUND_SUBJECT"], Time: now}
	t.Refunds = append(t.Refunds, rec)
	if orn != "" {
		s.l.refundTo[orn] = t
	}
	if fee == remain {
		s.setState(t, gateway.StateRefunded)
	} else {
		s.setState(t, gateway.StatePartiallyRefunded)
	}
	rep := refundAnswer(t, rec)
	state := t.State
	s.mu.Unlock()
	s.save()
	s.log.Info("refund", "charge_code", cc, "out_refund_no", orn, "amt", fee.Yuan(), "state", state)
	return rep
}

// refundAnswer is the refund return table (WIRE.md §4.6) for one refund.
func refundAnswer(t *txn, r refundRec) reply {
	f := ok(fields{{"AMT", r.Amount.Fen()}, {"CHARGE_CODE", t.ChargeCode}, {"CHARGE_DOWN_CODE", t.ChargeDownCode}})
	f.addOpt("CHARGE_THIRD_CODE", t.ChargeThirdCode)
	f.add("FUND_BILL_LIST", fundBillList(r.Bills))
	f.add("CHANNEL_TYPE", strconv.Itoa(t.ChannelType))
	return reply{msg: f, chargeCode: t.ChargeCode, code: gateway.CodeSuccess}
}

// ---- sosopay.trade.batchquery (§4.7) ----

func (s *Server) batchQuery(req *request) reply {
	p, v := req.p, map[string]string{}
	// The vendor's table spells PageNum, ChannelType and ChargeCode with a
	// capital, the rest in lower camel case; clients send either (WIRE.md
	// §4.7). Both spellings of one field in one request are refused.
	for _, k := range [][2]string{{"PageNum", "pageNum"}, {"ChannelType", "channelType"}, {"ChargeCode", "chargeCode"}} {
		vendor, hasVendor := p[k[0]]
		if !hasVendor {
			continue
		}
		if _, hasCamel := p[k[1]]; hasCamel {
			return failReply(faultf(gateway.CodeIllegalParameter, "%s and %s both given", k[0], k[1]))
		}
		p[k[1]] = vendor
		delete(p, k[0])
	}
	if f := p.strs(v, "busiCode", "pageNum", "pageSize"); f != nil {
		return failReply(f)
	}
	if f := checkBusi(v["busiCode"], req, "busiCode"); f != nil {
		return failReply(f)
	}
	pageNum, _, f := p.intField("pageNum", 1, 1<<30)
	if f != nil {
		return failReply(f)
	}
	pageSize, _, f := p.intField("pageSize", 1, 1<<20)
	if f != nil {
		return failReply(f)
	}
	state, hasState, f := p.intField("state", 0, 14)
	if f != nil {
		return failReply(f)
	}
	channel, hasChannel, f := p.intField("channelType", 0, 31)
	if f != nil {
		return failReply(f)
	}
	userID, f1 := p.opt("userId")
	chargeCode, f2 := p.opt("chargeCode")
	begin, f3 := p.opt("beginDate")
	end, f4 := p.opt("endDate")
	for _, f := range []*fault{f1, f2, f3, f4} {
		if f != nil {
			return failReply(f)
		}
	}
	for name, d := range map[string]string{"beginDate": begin, "endDate": end} {
		if _, err := time.Parse("2006-01-02", d); d != "" && err != nil {
			return failReply(faultf(gateway.CodeIllegalParameter, "%s: want YYYY-MM-DD, got %q", name, d))
		}
	}
	rows := list{item: "tradeInfo"}
	skip := (pageNum - 1) * pageSize
	s.mu.Lock()
	for _, t := range s.l.order {
		day := t.BeginTime.Format("2006-01-02")
		switch {
		case hasState && t.State != state,
			hasChannel && t.ChannelType != channel,
			userID != "" && t.OperID != userID,
			chargeCode != "" && t.ChargeCode != chargeCode,
			begin != "" && day < begin,
			end != "" && day > end:
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		if len(rows.elems) == pageSize {
			break
		}
		rows.elems = append(rows.elems, tradeFields(t))
	}
	s.mu.Unlock()
	f0 := ok(fields{{"chargesSize", strconv.Itoa(len(rows.elems))}, {"tradeInfos", rows}})
	return reply{msg: f0, code: gateway.CodeSuccess}
}

// ---- sosopay.channel.list (§4.8) ----

func (s *Server) channels(req *request) reply {
	busi, f := req.p.req("BUSI_ID")
	if f == nil {
		f = checkBusi(busi, req, "BUSI_ID")
	}
	if f != nil {
		return failReply(f)
	}
	l := list{item: "PAY_CHANNEL", elems: []fields{
		{{"CHANNEL_NAME", "支付宝"}, {"CHANNEL_TYPE", "1"}, {"SORT_NO", "1"}},
		{{"CHANNEL_NAME", "微信支付"}, {"CHANNEL_TYPE", "2"}, {"SORT_NO", "2"}},
	}}
	return reply{msg: ok(fields{{"PAY_CHANNEL_LIST", l}}), code: gateway.CodeSuccess}
}

// ---- sosoauth.login (§4.9) ----

// loginFailure is a refused login: no RESULT, success "false" (WIRE.md §9).
func loginFailure(message string) reply {
	return reply{msg: fields{{"success", "false"}, {"message", message}}, code: "false"}
}

func (s *Server) login(req *request) reply {
	p := req.p
	name, f := p.req("username")
	if f != nil {
		return loginFailure(f.info)
	}
	pass, f := p.req("password")
	if f != nil {
		return loginFailure(f.info)
	}
	busi, f := p.opt("busiCode")
	if f != nil {
		return loginFailure(f.info)
	}
	if busi != "" && busi != req.merchant.busiID {
		return loginFailure("busiCode: unregistered merchant")
	}
	var u *DemoUser
	for i := range DemoUsers {
		if DemoUsers[i].LoginName == name && DemoUsers[i].Password == pass {
			u = &DemoUsers[i]
		}
	}
	if u == nil {
		s.log.Info("login refused", "username", name)
		return loginFailure("Account/password error")
	}
	company := fields{
		{"id", demoCompanyID}, {"name", req.merchant.name}, {"code", req.merchant.busiID},
		{"useable", "1"}, {"delFlag", "0"}, {"amountLimit", DemoAmountLimit.Yuan()},
		{"refundAtScene", "0"}, {"chargeMode", "2"}, {"profit", "0.38"},
		{"timeLimit", demoTimeLimitMin}, {"isUploadGoods", "0"}, {"privateUrl", s.publicURL},
	}
	user := fields{
		{"id", u.ID}, {"companyId", demoCompanyID}, {"loginName", u.LoginName}, {"name", u.Name},
		{"userType", u.UserType}, {"loginDate", s.now().Format(timeLayout)}, {"loginFlag", u.LoginFlag},
		{"delFlag", "0"}, {"IMEI", ""}, {"teType", "1"}, {"appVer", "1.1.0"}, {"loginStatus", "1"},
		{"company", company},
	}
	s.log.Info("login", "username", name, "user_type", u.UserType, "login_flag", u.LoginFlag)
	return reply{msg: fields{{"success", "true"}, {"message", "ok"}, {"user", user}}, code: "true"}
}
