package pos

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// This file is the one place where a gateway answer is checked against the
// request it answers (issue 8, WIRE.md §2.4 last point): the charge code it
// names, the amount it states (pay, precreate, query, refund), the wallet
// code and the till of a charge found after SERIAL_REPEAT, and the loginName
// of a login. A mismatch is never taken as success: the caller keeps the row
// unsettled (unknown, LastError saying which field disagreed) and logs it.

// ErrAnswerMismatch: a gateway answer disagrees with the request it answers
// (errors.As gives *AnswerMismatch with the field).
var ErrAnswerMismatch = errors.New("the gateway's answer does not match the request")

// AnswerMismatch names the first field of an answer that disagrees with its
// request. Want and Got are safe to log: amounts in fen, wallet codes masked.
type AnswerMismatch struct {
	Op    string // pay, precreate, query, refund, login
	Field string // the vendor's field name: CHARGE_CODE, AMT, DYNAMIC_ID, DEV_ID, OPER_ID, loginName
	Want  string
	Got   string
}

func (m *AnswerMismatch) Error() string {
	return fmt.Sprintf("%s answer does not match the request: %s is %q, asked %q", m.Op, m.Field, CleanText(m.Got), CleanText(m.Want))
}

func (m *AnswerMismatch) Unwrap() error { return ErrAnswerMismatch }

func mismatch(op, field, want, got string) error {
	return &AnswerMismatch{Op: op, Field: field, Want: want, Got: got}
}

// checkEcho checks the charge code an answer names, when it names one.
func checkEcho(op string, want ChargeCode, rep Reply) error {
	if rep.ChargeCode != "" && want != "" && rep.ChargeCode != want {
		return mismatch(op, "CHARGE_CODE", string(want), string(rep.ChargeCode))
	}
	return nil
}

// checkAmount checks an answer's AMT (fen), when it states one: only a
// SUCCESS carries an amount that decides money.
func checkAmount(op string, want Money, rep Reply) error {
	if rep.Outcome == OutcomeDone && rep.Amount != 0 && rep.Amount != want {
		return mismatch(op, "AMT", fmt.Sprintf("%d fen", want), fmt.Sprintf("%d fen", rep.Amount))
	}
	return nil
}

// CheckPay checks a sosopay.trade.pay answer against its request: the
// charge code it names and, on SUCCESS, the amount paid. nil: the answer
// may be acted on. An error wraps ErrAnswerMismatch.
func CheckPay(req PayRequest, rep Reply) error {
	if err := checkEcho("pay", req.ChargeCode, rep); err != nil {
		return err
	}
	return checkAmount("pay", req.Amount, rep)
}

// CheckPrecreate checks a sosopay.trade.precreate answer: the charge code
// and, when the answer states one, the amount.
func CheckPrecreate(req PrecreateRequest, rep Reply) error {
	if err := checkEcho("precreate", req.ChargeCode, rep); err != nil {
		return err
	}
	return checkAmount("precreate", req.Amount, rep)
}

// CheckQuery checks a query answer (or a notification, or a batch row)
// about tx: the charge code, the amount, and the wallet code (masked, when
// both sides have one). When tx was answered SERIAL_REPEAT — its serial was
// used before, perhaps by another till — the answer is taken as ours only
// if it also names our till (devID, when both are given) and our operator
// (tx.Cashier, when the answer gives OPER_ID): a serial alone proves
// nothing then (WIRE.md §6).
func CheckQuery(tx Transaction, devID string, rep Reply) error {
	if err := checkEcho("query", tx.ChargeCode, rep); err != nil {
		return err
	}
	if err := checkAmount("query", tx.Amount, rep); err != nil {
		return err
	}
	if rep.Outcome != OutcomeDone {
		return nil
	}
	if tx.MaskedCode != "" && rep.MaskedCode != "" && rep.MaskedCode != tx.MaskedCode {
		return mismatch("query", "DYNAMIC_ID", tx.MaskedCode, rep.MaskedCode)
	}
	if tx.ResultCode == CodeSerialRepeat {
		if devID != "" && rep.DevID != "" && !strings.EqualFold(strings.TrimSpace(rep.DevID), devID) {
			return mismatch("query", "DEV_ID", devID, rep.DevID)
		}
		if tx.Cashier != "" && rep.OperID != "" && strings.TrimSpace(rep.OperID) != tx.Cashier {
			return mismatch("query", "OPER_ID", tx.Cashier, rep.OperID)
		}
		if tx.Kind == KindPay && tx.MaskedCode != "" && rep.MaskedCode == "" {
			return mismatch("query", "DYNAMIC_ID", tx.MaskedCode, "")
		}
	}
	return nil
}

// CheckRefund checks a sosopay.trade.refund answer: the charge code and, on
// SUCCESS, the amount refunded (AMT, fen), which must be the amount asked.
func CheckRefund(req RefundRequest, rep Reply) error {
	if err := checkEcho("refund", req.ChargeCode, rep); err != nil {
		return err
	}
	return checkAmount("refund", req.Amount, rep)
}

// CheckLogin checks that a successful login answer is about the user who
// logged in: its user.loginName must be the user name typed (compared
// without surrounding blanks; case is the gateway's, so compared as is, then
// case-folded only for ASCII). A replayed answer for another user — a
// manager's, say — is refused (issue 8, case 7).
func CheckLogin(username string, r LoginReply) error {
	if !r.Success {
		return nil
	}
	want, got := strings.TrimSpace(username), strings.TrimSpace(r.User.LoginName)
	if got == "" || !strings.EqualFold(got, want) {
		return mismatch("login", "loginName", want, got)
	}
	return nil
}

// inert wraps a Gateway so that every text of every answer is made inert
// (CleanText) before pos journals, logs or returns it: RESULT INFO, the
// serials, BAR_CODE, the login's names and message (issue 8, case 9). The
// checkout and the reconciler only ever see the gateway through it.
type inert struct{ Gateway }

// Inert returns gw with every text of its answers passed through CleanText
// (gw itself when it is already wrapped). Commands that ask the gateway
// directly (query, settle) use it too.
func Inert(gw Gateway) Gateway {
	if _, ok := gw.(inert); ok {
		return gw
	}
	return inert{gw}
}

func cleanReply(r Reply) Reply {
	r.Code = CleanText(r.Code)
	r.Info = CleanText(r.Info)
	r.Detail = CleanText(r.Detail)
	r.ChargeCode = ChargeCode(CleanText(string(r.ChargeCode)))
	r.ChargeDownCode = CleanText(r.ChargeDownCode)
	r.ChargeThirdCode = CleanText(r.ChargeThirdCode)
	r.BarCode = CleanText(r.BarCode)
	r.MaskedCode = CleanText(r.MaskedCode)
	r.DevID = CleanText(r.DevID)
	r.OperID = CleanText(r.OperID)
	if len(r.FundBills) > 0 { // a copy: the caller's slice may be shared
		bills := make([]FundBill, len(r.FundBills))
		for i, b := range r.FundBills {
			b.FundChannel = CleanText(b.FundChannel)
			bills[i] = b
		}
		r.FundBills = bills
	}
	return r
}

func (g inert) Pay(ctx context.Context, r PayRequest) (Reply, error) {
	rep, err := g.Gateway.Pay(ctx, r)
	return cleanReply(rep), err
}

func (g inert) Precreate(ctx context.Context, r PrecreateRequest) (Reply, error) {
	rep, err := g.Gateway.Precreate(ctx, r)
	return cleanReply(rep), err
}

func (g inert) Query(ctx context.Context, code ChargeCode) (Reply, error) {
	rep, err := g.Gateway.Query(ctx, code)
	return cleanReply(rep), err
}

func (g inert) Cancel(ctx context.Context, code ChargeCode, opType string) (Reply, error) {
	rep, err := g.Gateway.Cancel(ctx, code, opType)
	return cleanReply(rep), err
}

func (g inert) Refund(ctx context.Context, r RefundRequest) (Reply, error) {
	rep, err := g.Gateway.Refund(ctx, r)
	return cleanReply(rep), err
}

func (g inert) BatchQuery(ctx context.Context, r BatchQueryRequest) (BatchPage, error) {
	p, err := g.Gateway.BatchQuery(ctx, r)
	p.Reply = cleanReply(p.Reply)
	trades := make([]Reply, len(p.Trades))
	for i, t := range p.Trades {
		trades[i] = cleanReply(t)
	}
	p.Trades = trades
	return p, err
}

func (g inert) Channels(ctx context.Context) (ChannelList, error) {
	l, err := g.Gateway.Channels(ctx)
	l.Reply = cleanReply(l.Reply)
	chans := make([]ChannelInfo, len(l.Channels))
	for i, c := range l.Channels {
		c.Name = CleanText(c.Name)
		chans[i] = c
	}
	l.Channels = chans
	return l, err
}

func (g inert) Login(ctx context.Context, username, password string) (LoginReply, error) {
	r, err := g.Gateway.Login(ctx, username, password)
	r.Message = CleanText(r.Message)
	u := &r.User
	for _, s := range []*string{&u.ID, &u.CompanyID, &u.LoginName, &u.Name, &u.UserType, &u.LoginFlag, &u.DelFlag,
		&u.Company.ID, &u.Company.Name, &u.Company.Code, &u.Company.Useable, &u.Company.DelFlag, &u.Company.AmountLimit,
		&u.Company.RefundAtScene, &u.Company.TimeLimit, &u.Company.IsUploadGoods} {
		*s = CleanText(*s)
	}
	return r, err
}
