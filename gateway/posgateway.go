package gateway

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"

	"posterm/pos"
)

// The adapter from the wire client to the domain's port, pos.Gateway
// (pos/ports.go). It converts the domain's requests into the vendor's
// (fen → yuan happens in the request types), and every answer — no answer
// included — into a pos.Reply whose Outcome is the Status's.

var _ pos.Gateway = (*POS)(nil)

// TimeLayout is the gateway's date-time format (BEGIN_TIME, END_TIME).
const TimeLayout = "2006-01-02 15:04:05"

// Shanghai is the gateway's clock: its times carry no zone and are China
// Standard Time (UTC+8, no daylight saving). A fixed zone, so posterm does
// not depend on tzdata being installed on the register.
var Shanghai = time.FixedZone("CST", 8*3600)

// POS is the gateway as package pos needs it: a pos.Gateway over a Client.
// Set its fields before the first call; it is then safe for concurrent use.
type POS struct {
	// Client makes the calls; its Config gives BUSI_ID, DEV_ID and OPER_ID
	// when a request has none.
	Client *Client
	// RegisterID is sent as REGISTER_ID on pay and precreate; optional.
	RegisterID string
	// NodifyURL (sic, WIRE.md §4.3) is sent on precreate so that the gateway
	// notifies payments there (§8); optional.
	NodifyURL string
}

// ForPOS returns the pos.Gateway adapter of c.
func ForPOS(c *Client) *POS { return &POS{Client: c} }

// Pay is sosopay.trade.pay (WIRE.md §4.2). Every answer, and no answer, is
// a Reply with err nil; err is non-nil only when nothing was sent (ctx
// already done, or a request the client refused to send).
func (p *POS) Pay(ctx context.Context, r pos.PayRequest) (pos.Reply, error) {
	if err := ctx.Err(); err != nil {
		return notSent("pay", err)
	}
	resp, st := p.Client.Pay(ctx, PayRequest{
		OperID:       r.OperID,
		MerchantPara: r.MerchantPara,
		RegisterID:   p.RegisterID,
		Amt:          r.Amount,
		DynamicID:    r.DynamicID,
		ChargeCode:   string(r.ChargeCode),
		PaySubject:   r.Subject,
		GoodsInfos:   goodsToWire(r.Goods),
	})
	rep := p.reply(st, r.DynamicID)
	if aboutThis(st) {
		rep.ChargeCode = pos.ChargeCode(clean(resp.ChargeCode))
		rep.ChargeDownCode = clean(resp.ChargeDownCode)
		rep.ChargeThirdCode = clean(resp.ChargeThirdCode)
		rep.Channel = channel(resp.ChannelType)
		rep.Amount = money(resp.Amt)
		rep.FundBills = fundBills(resp.FundBillList)
		rep.BeginTime = parseTime(&rep, "BEGIN_TIME", resp.BeginTime)
	}
	return rep, invalid("pay", st)
}

// Precreate is sosopay.trade.precreate (WIRE.md §4.3); Done carries BarCode.
// Error contract as Pay.
func (p *POS) Precreate(ctx context.Context, r pos.PrecreateRequest) (pos.Reply, error) {
	if err := ctx.Err(); err != nil {
		return notSent("precreate", err)
	}
	resp, st := p.Client.Precreate(ctx, PrecreateRequest{
		OperID:       r.OperID,
		MerchantPara: r.MerchantPara,
		RegisterID:   p.RegisterID,
		Amt:          r.Amount,
		ChannelType:  int(r.Channel),
		ChargeCode:   string(r.ChargeCode),
		NodifyURL:    p.NodifyURL,
		PaySubject:   r.Subject,
		GoodsInfos:   goodsToWire(r.Goods),
		TimeExpire:   r.Expire,
	})
	rep := p.reply(st, "")
	if aboutThis(st) {
		rep.ChargeCode = pos.ChargeCode(clean(resp.ChargeCode))
		rep.ChargeDownCode = clean(resp.ChargeDownCode)
		rep.ChargeThirdCode = clean(resp.ChargeThirdCode)
		rep.BarCode = clean(resp.BarCode)
	}
	return rep, invalid("precreate", st)
}

// Query is sosopay.trade.query (WIRE.md §4.4) by merchant serial. Error
// contract as Pay.
func (p *POS) Query(ctx context.Context, code pos.ChargeCode) (pos.Reply, error) {
	if err := ctx.Err(); err != nil {
		return notSent("query", err)
	}
	resp, st := p.Client.Query(ctx, QueryRequest{ChargeCode: string(code)})
	rep := p.reply(st, resp.DynamicID)
	if aboutThis(st) {
		fillTrade(&rep, resp.TradeInfo)
	}
	return rep, invalid("query", st)
}

// Cancel is sosopay.trade.cancel (WIRE.md §4.5); opType is pos.OpTypeNow or
// pos.OpTypeACO. The answer carries RESULT only. Error contract as Pay.
func (p *POS) Cancel(ctx context.Context, code pos.ChargeCode, opType string) (pos.Reply, error) {
	if err := ctx.Err(); err != nil {
		return notSent("cancel", err)
	}
	_, st := p.Client.Cancel(ctx, CancelRequest{ChargeCode: string(code), OpType: opType})
	return p.reply(st, ""), invalid("cancel", st)
}

// Refund is sosopay.trade.refund (WIRE.md §4.6); Amount of a Done reply is
// the amount refunded. Error contract as Pay.
func (p *POS) Refund(ctx context.Context, r pos.RefundRequest) (pos.Reply, error) {
	if err := ctx.Err(); err != nil {
		return notSent("refund", err)
	}
	resp, st := p.Client.Refund(ctx, RefundRequest{
		OperID:          r.OperID,
		ChargeRefundFee: r.Amount,
		RefundSubject:   r.Subject,
		ChargeCode:      string(r.ChargeCode),
		ChargeDownCode:  r.ChargeDownCode,
		OutRefundNo:     r.OutRefundNo,
	})
	rep := p.reply(st, "")
	if aboutThis(st) {
		rep.ChargeCode = pos.ChargeCode(clean(resp.ChargeCode))
		rep.ChargeDownCode = clean(resp.ChargeDownCode)
		rep.ChargeThirdCode = clean(resp.ChargeThirdCode)
		rep.Channel = channel(resp.ChannelType)
		rep.Amount = money(resp.Amt)
		rep.FundBills = fundBills(resp.FundBillList)
	}
	return rep, invalid("refund", st)
}

// BatchQuery is sosopay.trade.batchquery (WIRE.md §4.7): one page. Each
// trade is a Reply with Outcome done (a fact the gateway reported). err is
// non-nil when no readable answer came (the page's Reply still says why);
// a readable refusal or fault code is a page with that Outcome and err nil.
// Dates are sent as the gateway's (Shanghai) calendar days of Begin and End.
func (p *POS) BatchQuery(ctx context.Context, r pos.BatchQueryRequest) (pos.BatchPage, error) {
	if err := ctx.Err(); err != nil {
		rep, err := notSent("batch query", err)
		return pos.BatchPage{Reply: rep}, err
	}
	req := BatchQueryRequest{PageNum: r.Page, PageSize: r.PageSize, UserID: r.UserID, ChargeCode: string(r.ChargeCode)}
	if r.State != nil {
		req.State = Int(int(*r.State))
	}
	if r.Channel != nil {
		req.ChannelType = Int(int(*r.Channel))
	}
	if !r.Begin.IsZero() {
		req.BeginDate = r.Begin.In(Shanghai).Format("2006-01-02")
	}
	if !r.End.IsZero() {
		req.EndDate = r.End.In(Shanghai).Format("2006-01-02")
	}
	resp, st := p.Client.BatchQuery(ctx, req)
	page := pos.BatchPage{Reply: p.reply(st, "")}
	if noAnswer(st) {
		return page, fmt.Errorf("batch query: %w", st.Err)
	}
	for _, ti := range resp.TradeInfos {
		row := pos.Reply{Outcome: pos.OutcomeDone}
		fillTrade(&row, ti)
		row.Info = redactCode(row.Info, ti.DynamicID)
		page.Trades = append(page.Trades, row)
	}
	return page, nil
}

// Channels is sosopay.channel.list (WIRE.md §4.8). err as BatchQuery.
func (p *POS) Channels(ctx context.Context) (pos.ChannelList, error) {
	if err := ctx.Err(); err != nil {
		rep, err := notSent("channel list", err)
		return pos.ChannelList{Reply: rep}, err
	}
	resp, st := p.Client.Channels(ctx, ChannelListRequest{})
	out := pos.ChannelList{Reply: p.reply(st, "")}
	if noAnswer(st) {
		return out, fmt.Errorf("channel list: %w", st.Err)
	}
	for _, ch := range resp.PayChannelList {
		out.Channels = append(out.Channels, pos.ChannelInfo{
			Name: clean(ch.ChannelName), Type: channel(ch.ChannelType), SortNo: max(ch.SortNo, 0)})
	}
	return out, nil
}

// Login is sosoauth.login (WIRE.md §4.9). A refusal (success "false") is
// Success false with err nil; a disabled user is Success true with its
// flags, for pos.NewCashier to refuse. err is non-nil only when no readable
// answer came. The password is never logged nor put in an error.
func (p *POS) Login(ctx context.Context, username, password string) (pos.LoginReply, error) {
	if err := ctx.Err(); err != nil {
		return pos.LoginReply{}, fmt.Errorf("login: %w", err)
	}
	resp, st := p.Client.Login(ctx, LoginRequest{Username: username, Password: password})
	if st.Outcome == OutcomeUnknown {
		return pos.LoginReply{}, fmt.Errorf("login: %s", p.detail(st, "", password))
	}
	u, c := resp.User, resp.User.Company
	limit := ""
	if c.AmountLimit != Absent {
		limit = c.AmountLimit.Yuan()
	}
	// Texts are cleaned (pos.CleanText). Values that carry a meaning —
	// loginName, which pos compares with the username, and the flags and
	// codes — are passed exactly as sent when they are clean, and as ""
	// (which grants nothing) when they are not: cleaning could turn
	// "manager\x1b01" into a name or "2\x00" into a flag that matches.
	return pos.LoginReply{
		Success: resp.Success,
		Message: clean(resp.Message),
		User: pos.LoginUser{
			ID: clean(u.ID), CompanyID: clean(u.CompanyID), LoginName: exact(u.LoginName), Name: clean(u.Name),
			UserType: exact(u.UserType), LoginFlag: exact(u.LoginFlag), DelFlag: exact(u.DelFlag),
			Company: pos.LoginCompany{
				ID: clean(c.ID), Name: clean(c.Name), Code: exact(c.Code), Useable: exact(c.Useable), DelFlag: exact(c.DelFlag),
				AmountLimit: limit, RefundAtScene: exact(c.RefundAtScene), TimeLimit: exact(c.TimeLimit),
				IsUploadGoods: exact(c.IsUploadGoods),
			},
		},
	}, nil
}

// NotificationReply is a verified notification (WIRE.md §8) as the Reply
// that pos.Checkout.Notify takes: Outcome done, its STATE, amounts in fen.
func NotificationReply(n Notification) pos.Reply {
	rep := pos.Reply{
		Outcome:         pos.OutcomeDone,
		ChargeCode:      pos.ChargeCode(clean(n.ChargeCode)),
		ChargeDownCode:  clean(n.ChargeDownCode),
		ChargeThirdCode: clean(n.ChargeThirdCode),
		Channel:         channel(n.ChannelType),
		Amount:          money(n.Amt),
		FundBills:       fundBills(n.FundBillList),
	}
	if n.State != Absent {
		rep.HasState, rep.State = true, pos.RemoteState(n.State)
	}
	return rep
}

// reply is the part of a Reply that every service shares: the outcome, the
// RESULT and, when something went wrong, the detail for the log. code is
// the payment code of the call (masked wherever the gateway quoted it).
func (p *POS) reply(st Status, code string) pos.Reply {
	// Code as sent when clean, "" when not: cleaning "AREADY\x1b_REVOKED"
	// must not make a code pos acts on.
	rep := pos.Reply{Outcome: outcome(st.Outcome), Code: exact(st.Code), Info: clean(redactCode(st.Info, code))}
	if st.Err != nil || st.Outcome == OutcomeUnknown {
		rep.Detail = p.detail(st, code, "")
	}
	rep.Fault = st.Outcome == OutcomeUnknown && (errors.Is(st.Err, ErrFaultCode) || errors.Is(st.Err, ErrHTTPStatus) ||
		errors.Is(st.Err, syscall.ECONNREFUSED))
	return rep
}

// detail is the log line of a failed call: the error (which already names
// the HTTP status or the transport failure) and the time it took, with the
// secret, a password and the payment code kept out.
func (p *POS) detail(st Status, code, password string) string {
	var b strings.Builder
	if st.Err != nil {
		b.WriteString(st.Err.Error())
	} else {
		b.WriteString("outcome unknown")
	}
	if st.Elapsed > 0 {
		fmt.Fprintf(&b, " (after %s)", st.Elapsed.Round(time.Millisecond))
	}
	s := clean(b.String())
	if p.Client != nil && p.Client.cfg.Secret != "" {
		s = strings.ReplaceAll(s, p.Client.cfg.Secret, "[secret]")
	}
	if password != "" {
		s = strings.ReplaceAll(s, password, "[password]")
	}
	return redactCode(s, code)
}

// clean makes remote text inert (pos.CleanText) before it enters a Reply,
// a LoginReply or a log line.
func clean(s string) string { return pos.CleanText(s) }

// exact passes a value that carries a meaning as it was sent when it is
// clean text, and as "" when it is not (see Login).
func exact(s string) string {
	if pos.CleanText(s) != s {
		return ""
	}
	return s
}

func redactCode(s, code string) string {
	if code == "" {
		return s
	}
	return strings.ReplaceAll(s, code, pos.MaskCode(code))
}

// noAnswer reports whether a call got no readable answer: unknown for any
// reason but a fault code the gateway wrote in a RESULT.
func noAnswer(st Status) bool {
	return st.Outcome == OutcomeUnknown && !errors.Is(st.Err, ErrFaultCode)
}

// aboutThis reports whether an answer's facts may be copied into the Reply:
// not when the answer names another charge (ErrWrongCharge), whose serials
// and amounts must never be journaled against this one.
func aboutThis(st Status) bool { return !errors.Is(st.Err, ErrWrongCharge) }

// invalid is the error of a request the client refused to send: nothing
// reached the gateway, which is certain, so it may be an error (pos.Gateway).
func invalid(op string, st Status) error {
	if st.Outcome == OutcomeRefused && errors.Is(st.Err, ErrInvalidRequest) {
		return fmt.Errorf("%s: %w", op, st.Err)
	}
	return nil
}

func notSent(op string, err error) (pos.Reply, error) {
	return pos.Reply{Outcome: pos.OutcomeUnknown, Detail: op + " not sent: " + err.Error()},
		fmt.Errorf("%s: %w", op, err)
}

func outcome(o Outcome) pos.Outcome {
	switch o {
	case OutcomeDone:
		return pos.OutcomeDone
	case OutcomeRefused:
		return pos.OutcomeRefused
	}
	return pos.OutcomeUnknown
}

// fillTrade copies a query answer or batch row into rep.
func fillTrade(rep *pos.Reply, t TradeInfo) {
	if t.State != Absent {
		rep.HasState, rep.State = true, pos.RemoteState(t.State)
	}
	rep.ChargeCode = pos.ChargeCode(clean(t.ChargeCode))
	rep.ChargeDownCode = clean(t.ChargeDownCode)
	rep.ChargeThirdCode = clean(t.ChargeThirdCode)
	rep.Channel = channel(t.ChannelType)
	rep.Amount = money(t.Amt)
	if t.DynamicID != "" {
		rep.MaskedCode = pos.MaskCode(t.DynamicID)
	}
	rep.DevID, rep.OperID = t.DevID, t.OperID
	rep.FundBills = fundBills(t.FundBillList)
	rep.BeginTime = parseTime(rep, "BEGIN_TIME", t.BeginTime)
	rep.EndTime = parseTime(rep, "END_TIME", t.EndTime)
}

// parseTime reads a gateway time in Shanghai time. An unreadable time is
// left zero and noted in the Detail: it does not change what happened to
// the money.
func parseTime(rep *pos.Reply, field, s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	t, err := time.ParseInLocation(TimeLayout, s, Shanghai)
	if err != nil {
		note := fmt.Sprintf("%s %q is not %s", field, clean(s), TimeLayout)
		if rep.Detail != "" {
			note = rep.Detail + "; " + note
		}
		rep.Detail = note
		return time.Time{}
	}
	return t
}

// channel is CHANNEL_TYPE; absent reads as pos.ChannelAuto (0).
func channel(v int) pos.Channel {
	if v == Absent {
		return pos.ChannelAuto
	}
	return pos.Channel(v)
}

// money is an answer's amount; absent reads as 0, which pos takes as "not
// given" (it compares amounts only when non-zero).
func money(m pos.Money) pos.Money {
	if m == Absent {
		return 0
	}
	return m
}

func fundBills(bs []FundBill) []pos.FundBill {
	if len(bs) == 0 {
		return nil
	}
	out := make([]pos.FundBill, len(bs))
	for i, b := range bs {
		out[i] = pos.FundBill{FundChannel: clean(b.FundChannel), Amount: money(b.Amount)}
	}
	return out
}

// goodsToWire turns the domain's goods lines into the vendor's. Every field
// but GOOD_SHOWURL is required by the vendor (Appendix 1): an empty class
// or subject is filled from the other, then from the name, so a line the
// register made up from the sale's subject is not refused.
func goodsToWire(gs []pos.GoodsLine) []Good {
	if len(gs) == 0 {
		return nil
	}
	out := make([]Good, len(gs))
	for i, g := range gs {
		class, subject := g.Class, g.Subject
		if class == "" {
			class = firstNonEmpty(subject, g.Name)
		}
		if subject == "" {
			subject = firstNonEmpty(class, g.Name)
		}
		out[i] = Good{
			GoodID: g.ID, GoodName: g.Name, GoodClass: class, GoodPrice: g.Price,
			GoodSubject: subject, GoodQuantity: strconv.Itoa(g.Quantity), GoodShowURL: g.ShowURL,
		}
	}
	return out
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
