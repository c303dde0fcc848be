package gateway

import (
	"crypto/md5"
	"unicode/utf8"

	"bytes"
	"errors"
	"fmt"
	"strconv"
	"time"

	"posterm/pos"
)

// Request bodies (WIRE.md §2, §4). Every request type marshals to the JSON
// object the gateway reads: the vendor's field names, in the order of the
// vendor's tables, optional fields left out when empty, every value a JSON
// string (the tables say String; where they say Integer the string of the
// number is sent, which §2.4 makes every reader accept). Money is pos.Money
// in fen and becomes a yuan string with two decimals only here (§4.1).

// Good is one goods line (WIRE.md §3, vendor Appendix 1): sent as
// `goodsInfos` (or `GOODS_DETAIL`) in requests and returned as GOODS_DETAIL.
type Good struct {
	GoodID       string
	GoodName     string
	GoodClass    string
	GoodPrice    pos.Money // fen; yuan on the wire
	GoodSubject  string
	GoodQuantity string // a String in the vendor table, e.g. "1"
	GoodShowURL  string // optional
}

// Trade types of a WeChat precreate, TRADE_TYPE (WIRE.md §4.3).
const (
	TradeTypeNative = "NATIVE"
	TradeTypeJSAPI  = "JSAPI"
	TradeTypeApp    = "APP"
)

// serType values of a query (WIRE.md §4.4).
const (
	SerTypeMerchant = "0" // CHARGE_CODE is the merchant's serial (the default)
	SerTypeGateway  = "1" // CHARGE_CODE is the gateway's CHARGE_DOWN_CODE
)

// OpTypeACO is the cancel opType that only submits the revocation (WIRE.md §4.5).
const OpTypeACO = "ACO"

// PayRequest is sosopay.trade.pay (WIRE.md §4.2). BusiID, OperID and DevID
// are taken from the client's Config when empty.
type PayRequest struct {
	BusiID       string
	OperID       string
	DevID        string
	MerchantPara string // optional, base64, echoed back
	RegisterID   string // optional store code
	Amt          pos.Money
	DynamicID    string // the wallet's payment code; never logged whole
	ChargeCode   string
	PaySubject   string
	GoodsInfos   []Good // optional
}

// MarshalJSON writes the request body of WIRE.md §4.2.
func (r PayRequest) MarshalJSON() ([]byte, error) { return r.wire().encode(), nil }

func (r PayRequest) wire() wireObject {
	o := make(wireObject, 0, 10)
	o.add("BUSI_ID", r.BusiID)
	o.add("OPER_ID", r.OperID)
	o.add("DEV_ID", r.DevID)
	o.opt("MERCHANTPARA", r.MerchantPara)
	o.opt("REGISTER_ID", r.RegisterID)
	o.add("AMT", yuanText(r.Amt))
	o.add("DYNAMIC_ID", r.DynamicID)
	o.add("CHARGE_CODE", r.ChargeCode)
	o.add("PAY_SUBJECT", r.PaySubject)
	o.goods("goodsInfos", r.GoodsInfos)
	return o
}

// PrecreateRequest is sosopay.trade.precreate (WIRE.md §4.3), including the
// WeChat Official Accounts fields of the vendor's §5 (TradeType, SubAppid,
// SubOpenid, GoodsDetail). BusiID, OperID and DevID are taken from the
// client's Config when empty.
type PrecreateRequest struct {
	BusiID       string
	OperID       string
	DevID        string
	MerchantPara string // optional
	RegisterID   string // optional
	Amt          pos.Money
	ChannelType  int    // ChannelAlipay, ChannelWeChat, … (§7); always sent
	TradeType    string // optional, WeChat: TradeTypeNative (default), JSAPI, APP
	SubAppid     string // optional, WeChat
	SubOpenid    string // WeChat, required by the gateway for JSAPI
	ChargeCode   string
	NodifyURL    string // optional, sic (§4.3); notifications go there (§8)
	PaySubject   string
	GoodsInfos   []Good // optional
	GoodsDetail  []Good // optional; the WeChat form sends GOODS_DETAIL instead
	// TimeExpire is TIME_EXPIRE, sent in whole seconds — not in the vendor's
	// document (WIRE.md §4.3): the Client drops it unless
	// Config.SendTimeExpire is set.
	TimeExpire time.Duration
}

// MarshalJSON writes the request body of WIRE.md §4.3.
func (r PrecreateRequest) MarshalJSON() ([]byte, error) { return r.wire().encode(), nil }

func (r PrecreateRequest) wire() wireObject {
	o := make(wireObject, 0, 16)
	o.add("BUSI_ID", r.BusiID)
	o.add("OPER_ID", r.OperID)
	o.add("DEV_ID", r.DevID)
	o.opt("MERCHANTPARA", r.MerchantPara)
	o.opt("REGISTER_ID", r.RegisterID)
	o.add("AMT", yuanText(r.Amt))
	o.add("CHANNEL_TYPE", strconv.Itoa(r.ChannelType))
	o.opt("TRADE_TYPE", r.TradeType)
	o.opt("subAppid", r.SubAppid)
	o.opt("subOpenid", r.SubOpenid)
	o.add("CHARGE_CODE", r.ChargeCode)
	o.opt("NODIFY_URL", r.NodifyURL)
	o.add("PAY_SUBJECT", r.PaySubject)
	o.goods("goodsInfos", r.GoodsInfos)
	o.goods("GOODS_DETAIL", r.GoodsDetail)
	if r.TimeExpire > 0 {
		o.add("TIME_EXPIRE", strconv.FormatInt(int64((r.TimeExpire+time.Second-1)/time.Second), 10))
	}
	return o
}

// QueryRequest is sosopay.trade.query (WIRE.md §4.4).
type QueryRequest struct {
	BusiID     string
	ChargeCode string
	SerType    string // optional: SerTypeMerchant (default) or SerTypeGateway
}

// MarshalJSON writes the request body of WIRE.md §4.4.
func (r QueryRequest) MarshalJSON() ([]byte, error) { return r.wire().encode(), nil }

func (r QueryRequest) wire() wireObject {
	var o wireObject
	o.add("BUSI_ID", r.BusiID)
	o.add("CHARGE_CODE", r.ChargeCode)
	o.opt("serType", r.SerType)
	return o
}

// CancelRequest is sosopay.trade.cancel (WIRE.md §4.5).
type CancelRequest struct {
	BusiID     string
	ChargeCode string
	OpType     string // optional: OpTypeACO submits the revocation only
}

// MarshalJSON writes the request body of WIRE.md §4.5.
func (r CancelRequest) MarshalJSON() ([]byte, error) { return r.wire().encode(), nil }

func (r CancelRequest) wire() wireObject {
	var o wireObject
	o.add("BUSI_ID", r.BusiID)
	o.add("CHARGE_CODE", r.ChargeCode)
	o.opt("opType", r.OpType)
	return o
}

// RefundRequest is sosopay.trade.refund (WIRE.md §4.6). BusiID, OperID and
// DevID are taken from the client's Config when empty.
type RefundRequest struct {
	BusiID          string
	OperID          string
	DevID           string
	ChargeRefundFee pos.Money // fen; yuan on the wire
	RefundSubject   string
	ChargeCode      string
	ChargeDownCode  string // optional; wins over ChargeCode at the gateway
	OutRefundNo     string // optional, but send it: it makes a retry idempotent
}

// MarshalJSON writes the request body of WIRE.md §4.6.
func (r RefundRequest) MarshalJSON() ([]byte, error) { return r.wire().encode(), nil }

func (r RefundRequest) wire() wireObject {
	o := make(wireObject, 0, 8)
	o.add("BUSI_ID", r.BusiID)
	o.add("OPER_ID", r.OperID)
	o.add("DEV_ID", r.DevID)
	o.add("CHARGE_REFUND_FEE", yuanText(r.ChargeRefundFee))
	o.add("REFUND_SUBJECT", r.RefundSubject)
	o.add("CHARGE_CODE", r.ChargeCode)
	o.opt("CHARGE_DOWN_CODE", r.ChargeDownCode)
	o.opt("OUT_REFUND_NO", r.OutRefundNo)
	return o
}

// Spellings of the batch query's request keys (WIRE.md §4.7).
const (
	// BatchKeysVendor spells PageNum, ChannelType and ChargeCode as the
	// vendor's table does (the default).
	BatchKeysVendor = "vendor"
	// BatchKeysCamel spells them pageNum, channelType and chargeCode.
	BatchKeysCamel = "camel"
)

// BatchQueryRequest is sosopay.trade.batchquery (WIRE.md §4.7). BusiCode is
// taken from the client's Config when empty; PageNum 0 is sent as 1 and
// PageSize 0 as 10 (the vendor's sample). The Client fills Type and Keys
// from its Config.
type BatchQueryRequest struct {
	Type        Format // `_type` in the body, as the vendor's table lists it; left out when empty
	Keys        string // BatchKeysVendor (when empty) or BatchKeysCamel
	State       *int   // optional: only transactions in this STATE (§5)
	BeginDate   string // optional, YYYY-MM-DD
	EndDate     string // optional, YYYY-MM-DD
	BusiCode    string
	UserID      string // optional operator
	ChannelType *int   // optional (§7)
	PageNum     int    // from 1
	PageSize    int
	ChargeCode  string // optional
}

// Int returns a pointer to n, for the optional numbers of BatchQueryRequest.
func Int(n int) *int { return &n }

// MarshalJSON writes the request body of WIRE.md §4.7.
func (r BatchQueryRequest) MarshalJSON() ([]byte, error) { return r.wire().encode(), nil }

func (r BatchQueryRequest) wire() wireObject {
	pageNum, channelType, chargeCode := "PageNum", "ChannelType", "ChargeCode"
	if r.Keys == BatchKeysCamel {
		pageNum, channelType, chargeCode = "pageNum", "channelType", "chargeCode"
	}
	var o wireObject
	o.opt("_type", string(r.Type))
	if r.State != nil {
		o.add("state", strconv.Itoa(*r.State))
	}
	o.opt("beginDate", r.BeginDate)
	o.opt("endDate", r.EndDate)
	o.add("busiCode", r.BusiCode)
	o.opt("userId", r.UserID)
	if r.ChannelType != nil {
		o.add(channelType, strconv.Itoa(*r.ChannelType))
	}
	o.add(pageNum, strconv.Itoa(orDefault(r.PageNum, 1)))
	o.add("pageSize", strconv.Itoa(orDefault(r.PageSize, 10)))
	o.opt(chargeCode, r.ChargeCode)
	return o
}

// yuanText is m.Yuan() — "158.00", two decimals — without fmt, which cost
// 6% of a call (issue 9). checkMoney refuses negative amounts before.
func yuanText(m pos.Money) string {
	if m < 0 {
		return m.Yuan()
	}
	var buf [24]byte
	b := strconv.AppendInt(buf[:0], int64(m/100), 10)
	f := int64(m % 100)
	b = append(b, '.', byte('0'+f/10), byte('0'+f%10))
	return string(b)
}

func orDefault(v, dflt int) int {
	if v == 0 {
		return dflt
	}
	return v
}

// ChannelListRequest is sosopay.channel.list (WIRE.md §4.8).
type ChannelListRequest struct {
	BusiID string
}

// MarshalJSON writes the request body of WIRE.md §4.8.
func (r ChannelListRequest) MarshalJSON() ([]byte, error) { return r.wire().encode(), nil }

func (r ChannelListRequest) wire() wireObject {
	var o wireObject
	o.add("BUSI_ID", r.BusiID)
	return o
}

// LoginRequest is sosoauth.login (WIRE.md §4.9). BusiCode is taken from the
// client's Config when empty. The password is never logged.
type LoginRequest struct {
	Username string
	Password string
	BusiCode string // optional
}

// MarshalJSON writes the request body of WIRE.md §4.9.
func (r LoginRequest) MarshalJSON() ([]byte, error) { return r.wire().encode(), nil }

func (r LoginRequest) wire() wireObject {
	var o wireObject
	o.add("username", r.Username)
	o.add("password", r.Password)
	o.opt("busiCode", r.BusiCode)
	return o
}

// ErrInvalidRequest is returned, with OutcomeRefused, for a request the
// client refused to send (a negative amount, say): nothing reached the gateway.
var ErrInvalidRequest = errors.New("invalid request, not sent")

func checkMoney(field string, m pos.Money) error {
	if m < 0 {
		return fmt.Errorf("%w: %s is negative (%s)", ErrInvalidRequest, field, m.Yuan())
	}
	return nil
}

func checkGoods(goods []Good) error {
	for _, g := range goods {
		if err := checkMoney("GOOD_PRICE", g.GoodPrice); err != nil {
			return err
		}
	}
	return nil
}

// Param is one FIELD=VALUE of a request sent with Client.Call.
type Param struct {
	Name, Value string
}

// ParseParams reads FIELD=VALUE arguments, as `posterm gw call` takes them,
// keeping their order. The value may be empty or contain '='.
func ParseParams(args []string) ([]Param, error) {
	ps := make([]Param, 0, len(args))
	for _, a := range args {
		name, value, ok := bytes.Cut([]byte(a), []byte("="))
		if !ok || len(name) == 0 {
			return nil, fmt.Errorf("argument %q: want FIELD=VALUE", a)
		}
		ps = append(ps, Param{Name: string(name), Value: string(value)})
	}
	return ps, nil
}

// wireObject is a request body under construction: ordered members whose
// values are strings or goods lists.
type wireObject []wireMember

type wireMember struct {
	name    string
	value   string
	goods   []Good
	isGoods bool
}

func (o *wireObject) add(name, value string) {
	*o = append(*o, wireMember{name: name, value: value})
}

func (o *wireObject) opt(name, value string) {
	if value != "" {
		o.add(name, value)
	}
}

func (o *wireObject) goods(name string, goods []Good) {
	if len(goods) > 0 {
		*o = append(*o, wireMember{name: name, goods: goods, isGoods: true})
	}
}

// get returns the value of the first member called name.
func (o wireObject) get(name string) string {
	for _, m := range o {
		if m.name == name {
			return m.value
		}
	}
	return ""
}

func (o wireObject) has(name string) bool {
	for _, m := range o {
		if m.name == name {
			return true
		}
	}
	return false
}

// encode writes the compact JSON object, members in order, without
// reflection (issue 9).
func (o wireObject) encode() []byte { return o.appendTo(make([]byte, 0, o.size()), "") }

// encodeSigned writes the body and returns it with its signature (WIRE.md
// §2.2), computed in one MD5 pass over the bytes just built with the secret
// appended in their spare capacity.
func (o wireObject) encodeSigned(secret string) (body []byte, sign string) {
	buf := o.appendTo(make([]byte, 0, o.size()+len(secret)), "")
	n := len(buf)
	signed := append(buf, secret...)
	return buf[:n:n], signHex(md5.Sum(signed))
}

// size estimates the encoded length, so that encode allocates once.
func (o wireObject) size() int {
	n := 2
	for _, m := range o {
		n += len(m.name) + len(m.value) + 6
		for _, g := range m.goods {
			n += 110 + len(g.GoodID) + len(g.GoodName) + len(g.GoodClass) + len(g.GoodSubject) +
				len(g.GoodQuantity) + len(g.GoodShowURL) + 16
		}
	}
	return n + n/8
}

func (o wireObject) appendTo(b []byte, _ string) []byte {
	b = append(b, '{')
	for i, m := range o {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, m.name)
		b = append(b, ':')
		if !m.isGoods {
			b = appendJSONString(b, m.value)
			continue
		}
		b = append(b, '[')
		for j, g := range m.goods {
			if j > 0 {
				b = append(b, ',')
			}
			g2 := wireObject{
				{name: "GOOD_ID", value: g.GoodID},
				{name: "GOOD_NAME", value: g.GoodName},
				{name: "GOOD_CLASS", value: g.GoodClass},
				{name: "GOOD_PRICE", value: yuanText(g.GoodPrice)},
				{name: "GOOD_SUBJECT", value: g.GoodSubject},
				{name: "GOOD_QUANTITY", value: g.GoodQuantity},
			}
			g2.opt("GOOD_SHOWURL", g.GoodShowURL)
			b = g2.appendTo(b, "")
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string exactly as encoding/json
// writes it with SetEscapeHTML(false): '"' and '\\' escaped, \b \f \n \r
// \t by name, other C0 controls as \u00XX, invalid UTF-8 as \ufffd, U+2028
// and U+2029 as escapes; everything else as it is.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
