package postest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"posterm/pos"
)

// Method names of the fake gateway's script and call log.
const (
	MPay        = "pay"
	MPrecreate  = "precreate"
	MQuery      = "query"
	MCancel     = "cancel"
	MRefund     = "refund"
	MBatchQuery = "batchquery"
	MChannels   = "channels"
	MLogin      = "login"
)

// Action is what a scripted Step does.
type Action int

const (
	// Normal acts on the ledger and answers truthfully (the default).
	Normal Action = iota
	// Lost acts on the ledger but the answer is lost: OutcomeUnknown.
	Lost
	// Down does nothing and answers OutcomeUnknown (a 503, a reset).
	Down
	// Answer does nothing and answers Step.Reply as given.
	Answer
	// Decline (pay): records the trade closed (STATE 6) and answers FAIL
	// with Step.Reply.Info.
	Decline
	// Hold (pay): records the trade pending — the customer is still
	// confirming — and answers OutcomeUnknown; SetState settles it later.
	Hold
)

// Step is one scripted answer, consumed in order per method.
type Step struct {
	Act   Action
	Reply pos.Reply
	// Advance moves Gateway.Clock forward before answering (time the call took).
	Advance time.Duration
	// Before runs before the step acts, outside the gateway's lock.
	Before func()
	// After runs with the answer once the step has acted.
	After func(pos.Reply)
	// Edit, when set, rewrites the answer after the step has acted: a
	// hostile or broken gateway (an answer that does not match its request).
	Edit func(pos.Reply) pos.Reply
}

// Call is one recorded call.
type Call struct {
	Method      string
	ChargeCode  pos.ChargeCode
	OutRefundNo string
	OpType      string
	Amount      pos.Money
	DynamicID   string
	Goods       int // goods lines sent
}

// Trade is the fake gateway's record of one charge.
type Trade struct {
	Kind      pos.Kind
	State     pos.RemoteState
	Amount    pos.Money
	Refunded  pos.Money
	Channel   pos.Channel
	DownCode  string
	Refunds   map[string]pos.Money
	CancelOps int
	// MaskedCode is the pay's DYNAMIC_ID as pos.MaskCode masks it; the
	// query answers it (as the sandbox answers DYNAMIC_ID).
	MaskedCode string
}

// User is a login the fake gateway knows.
type User struct {
	Password string
	Reply    pos.LoginReply
}

// Gateway is a scriptable fake pos.Gateway backed by a small ledger with
// the semantics of WIRE.md §4 (cancel tombstones, idempotent OUT_REFUND_NO,
// SERIAL_REPEAT, AMT_ERROR). Safe for concurrent use.
type Gateway struct {
	// Clock, when set, is advanced by Step.Advance.
	Clock *Clock
	// OnCall, when set, runs at the start of every call, outside the lock.
	OnCall func(Call)
	// Users are the logins; Unreachable makes Login fail with an error.
	Users       map[string]User
	Unreachable bool

	mu         sync.Mutex
	trades     map[pos.ChargeCode]*Trade
	tombstones map[pos.ChargeCode]bool
	refundOf   map[string]pos.ChargeCode
	steps      map[string][]Step
	calls      []Call
	seq        int
}

var _ pos.Gateway = (*Gateway)(nil)

// NewGateway returns an empty fake gateway.
func NewGateway() *Gateway {
	return &Gateway{
		Users:      map[string]User{},
		trades:     map[pos.ChargeCode]*Trade{},
		tombstones: map[pos.ChargeCode]bool{},
		refundOf:   map[string]pos.ChargeCode{},
		steps:      map[string][]Step{},
	}
}

// Script queues steps for a method; unscripted calls act Normal.
func (g *Gateway) Script(method string, steps ...Step) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.steps[method] = append(g.steps[method], steps...)
}

// Calls returns the calls made so far.
func (g *Gateway) Calls() []Call {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.calls)
}

// Count returns how many calls of method were made for code ("" = any).
func (g *Gateway) Count(method string, code pos.ChargeCode) int {
	n := 0
	for _, c := range g.Calls() {
		if c.Method == method && (code == "" || c.ChargeCode == code) {
			n++
		}
	}
	return n
}

// Trade returns a copy of the ledger entry of code.
func (g *Gateway) Trade(code pos.ChargeCode) (Trade, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	t, ok := g.trades[code]
	if !ok {
		return Trade{}, false
	}
	c := *t
	c.Refunds = make(map[string]pos.Money, len(t.Refunds))
	for k, v := range t.Refunds {
		c.Refunds[k] = v
	}
	return c, true
}

// Tombstoned reports whether a cancel of an unseen serial left a tombstone.
func (g *Gateway) Tombstoned(code pos.ChargeCode) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.tombstones[code]
}

// SetState sets a trade's STATE (e.g. a held pay confirmed, an ACO revoke
// completed), creating the trade if needed with amount.
func (g *Gateway) SetState(code pos.ChargeCode, s pos.RemoteState, amount pos.Money) {
	g.mu.Lock()
	defer g.mu.Unlock()
	t := g.trades[code]
	if t == nil {
		g.seq++
		t = &Trade{Kind: pos.KindPay, Amount: amount, Channel: pos.ChannelAlipay, DownCode: fmt.Sprintf("D%06d", g.seq), Refunds: map[string]pos.Money{}}
		g.trades[code] = t
	}
	t.State = s
}

// CustomerPays plays the customer paying a precreated QR and returns the
// notification the gateway would send. ok is false unless the trade was pending.
func (g *Gateway) CustomerPays(code pos.ChargeCode) (pos.Reply, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	t := g.trades[code]
	if t == nil || t.State != pos.RemotePending {
		return pos.Reply{}, false
	}
	t.State = pos.RemotePaid
	return g.replyLocked(code, t), true
}

func (g *Gateway) next(c Call) Step {
	if g.OnCall != nil {
		g.OnCall(c)
	}
	g.mu.Lock()
	g.calls = append(g.calls, c)
	var s Step
	if q := g.steps[c.Method]; len(q) > 0 {
		s, g.steps[c.Method] = q[0], q[1:]
	}
	g.mu.Unlock()
	if s.Before != nil {
		s.Before()
	}
	if s.Advance > 0 && g.Clock != nil {
		g.Clock.Advance(s.Advance)
	}
	return s
}

func unknown(detail string) pos.Reply {
	return pos.Reply{Outcome: pos.OutcomeUnknown, Detail: detail}
}

func refused(code, info string) pos.Reply {
	return pos.Reply{Outcome: pos.OutcomeRefused, Code: code, Info: info}
}

func (g *Gateway) replyLocked(code pos.ChargeCode, t *Trade) pos.Reply {
	return pos.Reply{Outcome: pos.OutcomeDone, Code: pos.CodeSuccess, HasState: true, State: t.State,
		ChargeCode: code, ChargeDownCode: t.DownCode, ChargeThirdCode: "T" + t.DownCode,
		Channel: t.Channel, Amount: t.Amount, MaskedCode: t.MaskedCode,
		FundBills: []pos.FundBill{{FundChannel: "10", Amount: t.Amount}}}
}

// settle runs a step: Answer and Down short-circuit; otherwise act (under
// the lock) and, for Lost/Hold, hide the answer.
func (g *Gateway) settle(s Step, act func() pos.Reply) (rep pos.Reply, err error) {
	if s.After != nil {
		defer func() { s.After(rep) }()
	}
	if s.Edit != nil {
		defer func() { rep = s.Edit(rep) }()
	}
	switch s.Act {
	case Answer:
		return s.Reply, nil
	case Down:
		r := unknown("HTTP 503")
		r.Fault = true
		return r, nil
	}
	g.mu.Lock()
	r := act()
	g.mu.Unlock()
	if s.Act == Lost || s.Act == Hold {
		return unknown("answer lost"), nil
	}
	return r, nil
}

func channelOf(dynamicID string) pos.Channel {
	if len(dynamicID) >= 2 && dynamicID[0] == '1' && dynamicID[1] >= '0' && dynamicID[1] <= '5' {
		return pos.ChannelWeChat
	}
	return pos.ChannelAlipay
}

// Pay implements pos.Gateway.
func (g *Gateway) Pay(ctx context.Context, r pos.PayRequest) (pos.Reply, error) {
	s := g.next(Call{Method: MPay, ChargeCode: r.ChargeCode, Amount: r.Amount, DynamicID: r.DynamicID, Goods: len(r.Goods)})
	return g.settle(s, func() pos.Reply {
		if g.tombstones[r.ChargeCode] || g.trades[r.ChargeCode] != nil {
			return refused(pos.CodeSerialRepeat, "serial used")
		}
		g.seq++
		t := &Trade{Kind: pos.KindPay, State: pos.RemotePaid, Amount: r.Amount, Channel: channelOf(r.DynamicID),
			DownCode: fmt.Sprintf("D%06d", g.seq), Refunds: map[string]pos.Money{}, MaskedCode: pos.MaskCode(r.DynamicID)}
		g.trades[r.ChargeCode] = t
		switch s.Act {
		case Decline:
			t.State = pos.RemoteClosed
			info := s.Reply.Info
			if info == "" {
				info = "insufficient balance"
			}
			return refused(pos.CodeFail, info)
		case Hold:
			t.State = pos.RemotePending
		}
		return g.replyLocked(r.ChargeCode, t)
	})
}

// Precreate implements pos.Gateway.
func (g *Gateway) Precreate(ctx context.Context, r pos.PrecreateRequest) (pos.Reply, error) {
	s := g.next(Call{Method: MPrecreate, ChargeCode: r.ChargeCode, Amount: r.Amount, Goods: len(r.Goods)})
	return g.settle(s, func() pos.Reply {
		if g.tombstones[r.ChargeCode] || g.trades[r.ChargeCode] != nil {
			return refused(pos.CodeSerialRepeat, "serial used")
		}
		g.seq++
		t := &Trade{Kind: pos.KindPrecreate, State: pos.RemotePending, Amount: r.Amount, Channel: r.Channel,
			DownCode: fmt.Sprintf("D%06d", g.seq), Refunds: map[string]pos.Money{}}
		g.trades[r.ChargeCode] = t
		rep := g.replyLocked(r.ChargeCode, t)
		rep.HasState, rep.BarCode = false, "https://qr.test/"+t.DownCode
		return rep
	})
}

// Query implements pos.Gateway.
func (g *Gateway) Query(ctx context.Context, code pos.ChargeCode) (pos.Reply, error) {
	s := g.next(Call{Method: MQuery, ChargeCode: code})
	return g.settle(s, func() pos.Reply {
		t := g.trades[code]
		if t == nil {
			return refused(pos.CodeChargeNonexistent, "no such charge")
		}
		return g.replyLocked(code, t)
	})
}

// Cancel implements pos.Gateway.
func (g *Gateway) Cancel(ctx context.Context, code pos.ChargeCode, opType string) (pos.Reply, error) {
	s := g.next(Call{Method: MCancel, ChargeCode: code, OpType: opType})
	return g.settle(s, func() pos.Reply {
		t := g.trades[code]
		if t == nil {
			g.tombstones[code] = true
			return refused(pos.CodeChargeNonexistent, "no such charge")
		}
		t.CancelOps++
		switch t.State {
		case pos.RemotePending:
			t.State = pos.RemoteClosed
		case pos.RemotePaid:
			t.State = pos.RemoteRevoked
			if strings.EqualFold(opType, pos.OpTypeACO) {
				t.State = pos.RemoteRevocationApplied
			}
		case pos.RemoteRevoked, pos.RemoteRevocationApplied:
			return refused(pos.CodeAreadyRevoked, "already revoked")
		case pos.RemoteClosed:
		default:
			return refused(pos.CodeFail, "refunded")
		}
		return pos.Reply{Outcome: pos.OutcomeDone, Code: pos.CodeSuccess}
	})
}

// Refund implements pos.Gateway.
func (g *Gateway) Refund(ctx context.Context, r pos.RefundRequest) (pos.Reply, error) {
	s := g.next(Call{Method: MRefund, ChargeCode: r.ChargeCode, OutRefundNo: r.OutRefundNo, Amount: r.Amount})
	return g.settle(s, func() pos.Reply {
		t := g.trades[r.ChargeCode]
		if t == nil {
			return refused(pos.CodeChargeNonexistent, "no such charge")
		}
		if owner, ok := g.refundOf[r.OutRefundNo]; ok {
			if owner != r.ChargeCode {
				return refused(pos.CodeSerialRepeat, "refund serial used")
			}
			rep := g.replyLocked(r.ChargeCode, t)
			rep.HasState, rep.Amount = false, t.Refunds[r.OutRefundNo]
			return rep
		}
		if t.State != pos.RemotePaid && t.State != pos.RemotePartiallyRefunded {
			return refused(pos.CodeFail, "not refundable")
		}
		if r.Amount <= 0 || r.Amount > t.Amount-t.Refunded {
			return refused(pos.CodeAmtError, "CHARGE_REFUND_FEE above what remains")
		}
		t.Refunded += r.Amount
		t.Refunds[r.OutRefundNo] = r.Amount
		g.refundOf[r.OutRefundNo] = r.ChargeCode
		t.State = pos.RemotePartiallyRefunded
		if t.Refunded == t.Amount {
			t.State = pos.RemoteRefunded
		}
		rep := g.replyLocked(r.ChargeCode, t)
		rep.HasState, rep.Amount = false, r.Amount
		return rep
	})
}

// BatchQuery implements pos.Gateway: every trade, ordered by charge code.
func (g *Gateway) BatchQuery(ctx context.Context, r pos.BatchQueryRequest) (pos.BatchPage, error) {
	g.next(Call{Method: MBatchQuery})
	g.mu.Lock()
	defer g.mu.Unlock()
	codes := make([]pos.ChargeCode, 0, len(g.trades))
	for c := range g.trades {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	page := pos.BatchPage{Reply: pos.Reply{Outcome: pos.OutcomeDone, Code: pos.CodeSuccess}}
	size := max(r.PageSize, 1)
	from := max(r.Page-1, 0) * size
	for i := from; i < len(codes) && i < from+size; i++ {
		page.Trades = append(page.Trades, g.replyLocked(codes[i], g.trades[codes[i]]))
	}
	return page, nil
}

// Channels implements pos.Gateway.
func (g *Gateway) Channels(ctx context.Context) (pos.ChannelList, error) {
	g.next(Call{Method: MChannels})
	return pos.ChannelList{Reply: pos.Reply{Outcome: pos.OutcomeDone, Code: pos.CodeSuccess},
		Channels: []pos.ChannelInfo{{Name: "支付宝", Type: pos.ChannelAlipay, SortNo: 1}, {Name: "微信支付", Type: pos.ChannelWeChat, SortNo: 2}}}, nil
}

// Login implements pos.Gateway.
func (g *Gateway) Login(ctx context.Context, username, password string) (pos.LoginReply, error) {
	g.next(Call{Method: MLogin})
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.Unreachable {
		return pos.LoginReply{}, fmt.Errorf("login: dial tcp: connection refused")
	}
	u, ok := g.Users[username]
	if !ok || u.Password != password {
		return pos.LoginReply{Success: false, Message: "用户名或密码错误"}, nil
	}
	return u.Reply, nil
}

// Merchant is the fake merchant's BUSI_ID.
const Merchant = "0010000001"

// LoginAs builds a login answer for a live user of an approved merchant
// with code Merchant and amount limit 5000.00; userType "1" or "2".
func LoginAs(name, userType string) pos.LoginReply {
	return pos.LoginReply{Success: true, Message: "ok", User: pos.LoginUser{
		ID: "u-" + name, CompanyID: "c1", LoginName: name, Name: name,
		UserType: userType, LoginFlag: "1", DelFlag: "0",
		Company: pos.LoginCompany{ID: "c1", Name: "Test shop", Code: Merchant, Useable: "1",
			DelFlag: "0", AmountLimit: "5000.00", RefundAtScene: "0", IsUploadGoods: "0"},
	}}
}

// WithSandboxUsers adds the users of the sandbox (WIRE.md §9):
// cashier01/1234 (userType 1), manager01/8888 (userType 2),
// disabled01/0000 (loginFlag 0).
func (g *Gateway) WithSandboxUsers() *Gateway {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.Users["cashier01"] = User{"1234", LoginAs("cashier01", "1")}
	g.Users["manager01"] = User{"8888", LoginAs("manager01", "2")}
	d := LoginAs("disabled01", "1")
	d.User.LoginFlag = "0"
	g.Users["disabled01"] = User{"0000", d}
	return g
}
