package ui

import "posterm/pos"

// This file is the one place that says, in words, where a customer's money
// stands after a charge: every screen and test that tells the cashier the
// outcome of a charge reads moneyWords.

// outcomeKind is where a charge's money stands, as the cashier must hear
// it. The zero value is outUnknown: unknown is never failure.
type outcomeKind int

const (
	outUnknown   outcomeKind = iota // not known yet: being checked
	outFault                        // the gateway failed: being checked
	outPaid                         // money taken
	outDeclined                     // refused by the gateway or the wallet: not charged
	outClosed                       // ended unpaid at the gateway (QR expired, never confirmed): not charged
	outCancelled                    // the cashier cancelled before any money moved: not charged
	outRevoked                      // charged, then revoked: the refund is on its way
)

// outcomeKinds lists every kind, for the tests that walk them all.
var outcomeKinds = []outcomeKind{outUnknown, outFault, outPaid, outDeclined, outClosed, outCancelled, outRevoked}

// moneyWording is what the cashier is told about one outcome: a headline,
// whether the customer's money moved, and what to do next. Each is in both
// languages, side by side, so neither can be forgotten.
type moneyWording struct {
	Head  text // the headline, in capitals in English
	Money text // did the customer's money move?
	Next  text // what the cashier does now
	// Charged: the customer's money moved or may have (the result screen
	// then never offers to charge again without the first being handled).
	Charged bool
}

// moneyWords is the table from outcome to the cashier's sentences.
var moneyWords = map[outcomeKind]moneyWording{
	outPaid: {
		Head:    text{"支付成功", "PAID"},
		Money:   text{"顾客已付款，款项已到账。", "The customer has paid; the money is in."},
		Next:    text{"请交付商品和小票。", "Hand over the goods and the receipt."},
		Charged: true,
	},
	outDeclined: {
		Head:  text{"支付失败——未扣款", "DECLINED — NOT CHARGED"},
		Money: text{"支付被拒绝，顾客未被扣款。", "The payment was declined. The customer was not charged."},
		Next:  text{"请顾客换一种支付方式。", "Ask the customer for another way to pay."},
	},
	outClosed: {
		Head:  text{"交易已关闭——未扣款", "CLOSED — NOT CHARGED"},
		Money: text{"网关已关闭这笔交易，顾客未被扣款。", "The gateway closed this payment. The customer was not charged."},
		Next:  text{"如顾客仍要购买，请重新收款。", "If the customer still wants to buy, take the payment again."},
	},
	outCancelled: {
		Head:  text{"已取消——未扣款", "CANCELLED — NOT CHARGED"},
		Money: text{"这笔支付已取消，网关确认顾客未被扣款。", "The payment was cancelled; the gateway confirms the customer was not charged."},
		Next:  text{"如顾客仍要购买，请重新收款。", "If the customer still wants to buy, take the payment again."},
	},
	outRevoked: {
		Head:    text{"已扣款后撤销——款项退回中", "CHARGED, THEN REVOKED"},
		Money:   text{"顾客曾被扣款，这笔已撤销，款项正在退回顾客账户。", "The customer was charged and the payment was revoked: the refund is on its way to the customer."},
		Next:    text{"请勿交付商品。如顾客仍要购买，请重新收款。", "Do not hand over the goods. If the customer still wants to buy, take the payment again."},
		Charged: true,
	},
	outUnknown: {
		Head:    text{"结果未确认", "NOT CONFIRMED"},
		Money:   text{"还不知道顾客是否已被扣款，收银机正在核查。", "It is not known yet whether the customer was charged. The register is checking."},
		Next:    text{"请勿交付商品，也不要让顾客再次付款。", "Do not hand over the goods, and do not let the customer pay again."},
		Charged: true,
	},
	outFault: {
		Head:    text{"网关故障——正在核查", "GATEWAY FAULT — BEING CHECKED"},
		Money:   text{"网关出了故障，不是顾客的问题。收银机正在核查这笔交易。", "The gateway failed; it is not the customer's doing. The register is checking this charge."},
		Next:    text{"请勿交付商品。可换一种方式收款，或稍候。", "Do not hand over the goods. Take the payment another way, or wait."},
		Charged: true,
	},
}

// pick returns x in the cashier's language.
func (t tr) pick(x text) string {
	if t.zh {
		return x.zh
	}
	return x.en
}

// outcomeOf reads the state a checkout call returned. aborted: the cashier
// gave the charge up; fault: the gateway failed while it ran. A charge the
// register gave up on that turns out paid is not kept: it is still
// unsettled (to be revoked), so it shows as not confirmed.
func outcomeOf(tx pos.Transaction, how payHow, d saleDraft, aborted, fault bool) outcome {
	if tx.SaleID != "" {
		d.SaleID = tx.SaleID
	}
	o := outcome{Tx: tx, How: how, Draft: d}
	switch {
	case tx.Unsettled() || tx.State == "" || !tx.State.Valid():
		o.Kind = outUnknown
		if fault {
			o.Kind = outFault
		}
	case tx.State == pos.StatePaid || tx.State == pos.StatePartiallyRefunded || tx.State == pos.StateRefunded:
		o.Kind = outPaid
	case tx.State == pos.StateDeclined:
		o.Kind = outDeclined
	case tx.State == pos.StateRevoked:
		// Revoked is only ever a charge that was paid (WIRE.md §4.5: a
		// pending one is closed): money moved and is on its way back.
		o.Kind = outRevoked
	case aborted:
		o.Kind = outCancelled
	default: // closed, voided
		o.Kind = outClosed
	}
	return o
}

// resultCodeWords is the catalogue text of every RESULT.CODE of the
// vendor's appendix (WIRE.md §6), for a gateway message shown to the
// cashier: the code is mapped here, the gateway's own words go to the log
// (and are shown beside, on an English screen or when written in Chinese).
var resultCodeWords = map[string]text{
	"SUCCESS":                          {"成功", "success"},
	"FAIL":                             {"支付被拒绝（如余额不足）", "refused (for example, not enough balance)"},
	"ILLEGAL_PARAMETER":                {"请求参数有误", "the request was not valid"},
	"INVALID_SIGN":                     {"签名校验失败", "the signature did not verify"},
	"AMT_ERROR":                        {"金额有误", "the amount is not valid"},
	"DATABASE_ERROR":                   {"网关数据库故障", "the gateway's database failed"},
	"INVALID_CONTRACT":                 {"商户签约无效", "the merchant contract is not valid"},
	"UNREGISTERED_BUSI":                {"商户未注册", "the merchant is not registered"},
	"EXCEPTION":                        {"网关内部故障", "the gateway failed"},
	"CHARGE_NONEXISTENT":               {"网关没有这笔交易", "the gateway has no such charge"},
	"SERVICE_UNAVAILABLE":              {"网关服务暂不可用", "the gateway service is unavailable"},
	"HTTP_EXCEPTION":                   {"网关通信故障", "the gateway's connection failed"},
	"IO_EXCEPTION":                     {"网关读写故障", "the gateway's input/output failed"},
	"CREATE_SECURITY_CONNECTION_ERROR": {"网关安全连接失败", "the gateway's secure connection failed"},
	"AREADY_REVOKED":                   {"这笔已撤销", "already revoked"},
	"SERIAL_REPEAT":                    {"单号重复", "the serial was used before"},
}

// gatewaySays is a gateway's answer as the cashier reads it: the catalogue
// text of its code, and the gateway's own words (made inert) when they can
// be shown — on a Chinese screen only when written in Chinese.
func gatewaySays(t tr, code, info string) string {
	info = pos.CleanText(info)
	var said string
	if w, ok := resultCodeWords[code]; ok {
		said = t.pick(w)
	} else if code != "" {
		said = t.T("gw.code.other", code)
	}
	if info == "" || (t.zh && !hasHan(info)) || info == code {
		return said
	}
	if said == "" {
		return info
	}
	return said + t.T("gw.quote", info)
}

// hasHan reports whether s has a Chinese character.
func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4E00 && r <= 0x9FFF {
			return true
		}
	}
	return false
}
