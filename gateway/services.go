package gateway

import (
	"context"
)

// The eight services of WIRE.md §4. Each sends its request, reads the answer
// and returns it typed with a Status. The typed answer is filled only from
// an answer that decrypted, verified and decoded; otherwise its numeric
// fields are Absent and its strings empty. Read it only after looking at the
// Status's Outcome.

// Pay is sosopay.trade.pay (WIRE.md §4.2): charge the customer's payment code.
// It may take up to the vendor's 80 s; its timeout is Config.PayTimeout.
// Done means paid; Refused means not paid; Unknown means the charge must be
// settled with Query and, if not paid, Cancel.
func (c *Client) Pay(ctx context.Context, req PayRequest) (PayResponse, Status) {
	req.BusiID = orConfig(req.BusiID, c.cfg.BusiID)
	req.OperID = orConfig(req.OperID, c.cfg.OperID)
	req.DevID = orConfig(req.DevID, c.cfg.DevID)
	ex := exchange{method: MethodPay, body: req.wire(), busiCode: req.BusiID,
		chargeCode: req.ChargeCode, dynamicID: req.DynamicID}
	if err := firstErr(checkMoney("AMT", req.Amt), checkGoods(req.GoodsInfos)); err != nil {
		out, _ := DecodePayResponse(nil)
		return out, c.finish(ctx, ex, Status{Outcome: OutcomeRefused, Err: err})
	}
	n, st := c.do(ctx, ex)
	var r fieldReader
	out := r.pay(n)
	err := r.err
	st.Dropped = r.dropped
	st = settle(st, err)
	st = matchCharge(st, "CHARGE_CODE", req.ChargeCode, out.ChargeCode)
	return out, c.finish(ctx, ex, st)
}

// Precreate is sosopay.trade.precreate (WIRE.md §4.3): create a transaction
// the customer pays by scanning BarCode. Done means the QR is ready and the
// transaction pending; Unknown means it may exist: cancel it.
func (c *Client) Precreate(ctx context.Context, req PrecreateRequest) (PrecreateResponse, Status) {
	req.BusiID = orConfig(req.BusiID, c.cfg.BusiID)
	req.OperID = orConfig(req.OperID, c.cfg.OperID)
	req.DevID = orConfig(req.DevID, c.cfg.DevID)
	if !c.cfg.SendTimeExpire {
		req.TimeExpire = 0 // not in the vendor's document (WIRE.md §4.3)
	}
	ex := exchange{method: MethodPrecreate, body: req.wire(), busiCode: req.BusiID, chargeCode: req.ChargeCode}
	if err := firstErr(checkMoney("AMT", req.Amt), checkGoods(req.GoodsInfos), checkGoods(req.GoodsDetail)); err != nil {
		out, _ := DecodePrecreateResponse(nil)
		return out, c.finish(ctx, ex, Status{Outcome: OutcomeRefused, Err: err})
	}
	n, st := c.do(ctx, ex)
	var r fieldReader
	out := r.precreate(n)
	err := r.err
	st.Dropped = r.dropped
	st = settle(st, err)
	st = matchCharge(st, "CHARGE_CODE", req.ChargeCode, out.ChargeCode)
	return out, c.finish(ctx, ex, st)
}

// Query is sosopay.trade.query (WIRE.md §4.4). Done carries the STATE;
// Refused with CodeChargeNonexistent means the gateway has no such serial.
func (c *Client) Query(ctx context.Context, req QueryRequest) (QueryResponse, Status) {
	req.BusiID = orConfig(req.BusiID, c.cfg.BusiID)
	ex := exchange{method: MethodQuery, body: req.wire(), busiCode: req.BusiID, chargeCode: req.ChargeCode}
	n, st := c.do(ctx, ex)
	var r fieldReader
	out := r.query(n)
	err := r.err
	st.Dropped = r.dropped
	st = settle(st, err)
	if req.SerType == SerTypeGateway {
		st = matchCharge(st, "CHARGE_DOWN_CODE", req.ChargeCode, out.ChargeDownCode)
	} else {
		st = matchCharge(st, "CHARGE_CODE", req.ChargeCode, out.ChargeCode)
	}
	return out, c.finish(ctx, ex, st)
}

// Cancel is sosopay.trade.cancel (WIRE.md §4.5): close a pending charge or
// revoke (refund in full) a paid one. Refused with CodeAreadyRevoked means it
// was revoked before; with CodeChargeNonexistent, that the gateway never saw
// the serial and now keeps it as revoked.
func (c *Client) Cancel(ctx context.Context, req CancelRequest) (CancelResponse, Status) {
	req.BusiID = orConfig(req.BusiID, c.cfg.BusiID)
	ex := exchange{method: MethodCancel, body: req.wire(), busiCode: req.BusiID, chargeCode: req.ChargeCode}
	n, st := c.do(ctx, ex)
	out, err := DecodeCancelResponse(n)
	return out, c.finish(ctx, ex, settle(st, err))
}

// Refund is sosopay.trade.refund (WIRE.md §4.6). Send an OutRefundNo: an
// unknown outcome is then retried safely with the same serial.
func (c *Client) Refund(ctx context.Context, req RefundRequest) (RefundResponse, Status) {
	req.BusiID = orConfig(req.BusiID, c.cfg.BusiID)
	req.OperID = orConfig(req.OperID, c.cfg.OperID)
	req.DevID = orConfig(req.DevID, c.cfg.DevID)
	ex := exchange{method: MethodRefund, body: req.wire(), busiCode: req.BusiID, chargeCode: req.ChargeCode}
	if err := checkMoney("CHARGE_REFUND_FEE", req.ChargeRefundFee); err != nil {
		out, _ := DecodeRefundResponse(nil)
		return out, c.finish(ctx, ex, Status{Outcome: OutcomeRefused, Err: err})
	}
	n, st := c.do(ctx, ex)
	var r fieldReader
	out := r.refund(n)
	err := r.err
	st.Dropped = r.dropped
	st = settle(st, err)
	if req.ChargeDownCode != "" {
		st = matchCharge(st, "CHARGE_DOWN_CODE", req.ChargeDownCode, out.ChargeDownCode)
	} else {
		st = matchCharge(st, "CHARGE_CODE", req.ChargeCode, out.ChargeCode)
	}
	return out, c.finish(ctx, ex, st)
}

// BatchQuery is sosopay.trade.batchquery (WIRE.md §4.7): one page of
// transactions.
func (c *Client) BatchQuery(ctx context.Context, req BatchQueryRequest) (BatchQueryResponse, Status) {
	req.BusiCode = orConfig(req.BusiCode, c.cfg.BusiID)
	if req.Type == "" {
		req.Type = c.cfg.Format
	}
	if req.Keys == "" {
		req.Keys = c.cfg.BatchQueryKeys
	}
	ex := exchange{method: MethodBatchQuery, body: req.wire(), busiCode: req.BusiCode, chargeCode: req.ChargeCode}
	n, st := c.do(ctx, ex)
	var r fieldReader
	out := r.batchQuery(n)
	err := r.err
	st.Dropped = r.dropped
	return out, c.finish(ctx, ex, settle(st, err))
}

// Channels is sosopay.channel.list (WIRE.md §4.8): the merchant's payment
// channels.
func (c *Client) Channels(ctx context.Context, req ChannelListRequest) (ChannelListResponse, Status) {
	req.BusiID = orConfig(req.BusiID, c.cfg.BusiID)
	ex := exchange{method: MethodChannels, body: req.wire(), busiCode: req.BusiID}
	n, st := c.do(ctx, ex)
	var r fieldReader
	out := r.channels(n)
	err := r.err
	st.Dropped = r.dropped
	return out, c.finish(ctx, ex, settle(st, err))
}

// Login is sosoauth.login (WIRE.md §4.9). Done means success "true" — which
// the gateway also answers for a disabled user: check User.LoginAllowed.
// Refused means success "false" (Status.Info has the message).
func (c *Client) Login(ctx context.Context, req LoginRequest) (LoginResponse, Status) {
	req.BusiCode = orConfig(req.BusiCode, c.cfg.BusiID)
	ex := exchange{method: MethodLogin, body: req.wire(), busiCode: req.BusiCode, password: req.Password}
	n, st := c.do(ctx, ex)
	var r fieldReader
	out := r.login(n)
	err := r.err
	st.Dropped = r.dropped
	return out, c.finish(ctx, ex, settle(st, err))
}

// Call sends any method with the given fields, in their order, as JSON
// strings, for the support tool `posterm gw call METHOD FIELD=VALUE…`.
// BUSI_ID (busiCode for batchquery and login) is added from the Config when
// absent. It returns the decoded answer (nil unless it decrypted, verified and
// decoded), which marshals to JSON in its received order, and its Status,
// classified as the typed calls do. Use WithFormat and WithEncrypt for other
// envelopes.
func (c *Client) Call(ctx context.Context, method string, params []Param) (*Node, Status) {
	var body wireObject
	for _, p := range params {
		body.add(p.Name, p.Value)
	}
	idField := "BUSI_ID"
	if method == MethodBatchQuery || method == MethodLogin {
		idField = "busiCode"
	}
	if !body.has(idField) {
		if idField == "BUSI_ID" {
			body = append(wireObject{{name: idField, value: c.cfg.BusiID}}, body...)
		} else {
			body.add(idField, c.cfg.BusiID)
		}
	}
	ex := exchange{method: method, body: body, busiCode: body.get(idField),
		chargeCode: body.get("CHARGE_CODE"), dynamicID: body.get("DYNAMIC_ID"), password: body.get("password")}
	if ex.chargeCode == "" {
		ex.chargeCode = body.get("ChargeCode")
	}
	if ex.chargeCode == "" {
		ex.chargeCode = body.get("chargeCode")
	}
	n, st := c.do(ctx, ex)
	if n != nil {
		var err error
		st.Dropped, err = decodeFor(method, n)
		st = settle(st, err)
	}
	return n, c.finish(ctx, ex, st)
}

func orConfig(v, dflt string) string {
	if v == "" {
		return dflt
	}
	return v
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
