package gateway

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"posterm/pos"
)

// Absent marks a numeric response field (STATE, CHANNEL_TYPE, an AMT,
// chargesSize, SORT_NO, amountLimit) that the answer did not carry or carried
// as an empty string (WIRE.md §2.4). Every decoder sets it, so an absent STATE
// is never read as 0, "pending payment".
const Absent = -1

// Result is RESULT (WIRE.md §3). Code is upper-cased and the document's
// SUCESS is spelled SUCCESS (§2.4).
type Result struct {
	Code string
	Info string
}

// FundBill is one TRADEFUNDBILL of FUND_BILL_LIST (WIRE.md §3): how much of
// the payment came through which fund channel (§7, Appendix 3).
type FundBill struct {
	FundChannel string
	Amount      pos.Money // fen; yuan on the wire (§4.1)
}

// PayResponse is the answer of sosopay.trade.pay (WIRE.md §4.2).
type PayResponse struct {
	Result          Result
	ChannelType     int // Absent when not given
	ChargeCode      string
	ChargeDownCode  string
	ChargeThirdCode string
	MerchantPara    string
	FundBillList    []FundBill
	OperID          string
	DevID           string
	BeginTime       string    // as sent, "2006-01-02 15:04:05", gateway local time
	Amt             pos.Money // fen on the wire (§4.1); Absent when not given
}

// PrecreateResponse is the answer of sosopay.trade.precreate (WIRE.md §4.3);
// the fields after BarCode come only with a WeChat JSAPI precreate.
type PrecreateResponse struct {
	Result          Result
	ChargeDownCode  string
	ChargeCode      string
	MerchantPara    string
	BarCode         string // the text to show as a QR code
	ChargeThirdCode string
	AppID           string // appId
	TimeStamp       string
	NonceStr        string
	PackageData     string
	SignType        string
	Sign            string // WeChat's signature for the web page, not ours
}

// TradeInfo is one transaction as sosopay.trade.query returns it (WIRE.md
// §4.4) and as each element of a batch query's tradeInfos (§4.7).
type TradeInfo struct {
	BusiID          string
	OperID          string
	DevID           string
	MerchantPara    string
	Amt             pos.Money // fen; Absent when not given
	ChannelType     int       // Absent when not given
	ChargeCode      string
	ChargeDownCode  string
	ChargeThirdCode string
	PaySubject      string
	State           int // §5; Absent when not given
	GoodsDetail     []Good
	BeginTime       string
	EndTime         string
	RegisterID      string
	DynamicID       string // the customer's payment code: mask it (MaskCode) before showing or logging
	FundBillList    []FundBill
}

// QueryResponse is the answer of sosopay.trade.query (WIRE.md §4.4).
type QueryResponse struct {
	Result Result
	TradeInfo
}

// CancelResponse is the answer of sosopay.trade.cancel (WIRE.md §4.5).
type CancelResponse struct {
	Result Result
}

// RefundResponse is the answer of sosopay.trade.refund (WIRE.md §4.6).
type RefundResponse struct {
	Result          Result
	Amt             pos.Money // fen, the amount refunded; Absent when not given
	ChargeCode      string
	ChargeDownCode  string
	ChargeThirdCode string
	FundBillList    []FundBill
	ChannelType     int // Absent when not given
}

// BatchQueryResponse is the answer of sosopay.trade.batchquery (WIRE.md §4.7).
type BatchQueryResponse struct {
	Result      Result
	ChargesSize int // Absent when not given
	TradeInfos  []TradeInfo
}

// PayChannel is one PAY_CHANNEL of PAY_CHANNEL_LIST (WIRE.md §4.8).
type PayChannel struct {
	ChannelName string
	ChannelType int // Absent when not given
	SortNo      int // Absent when not given
}

// ChannelListResponse is the answer of sosopay.channel.list (WIRE.md §4.8).
type ChannelListResponse struct {
	Result         Result
	PayChannelList []PayChannel
}

// LoginResponse is the answer of sosoauth.login (WIRE.md §4.9). It has no
// RESULT: Success is true only for `success: "true"`. A user that is
// missing from the answer reads as the zero User, which has no permission.
type LoginResponse struct {
	Success bool
	Message string
	User    User
}

// User is the `user` object of a login answer (WIRE.md §4.9). The flags keep
// the vendor's string codes; the methods read them.
type User struct {
	ID          string
	CompanyID   string
	LoginName   string
	Name        string
	UserType    string // "1" no refund permission, "2" refund permission
	LoginDate   string
	LoginFlag   string // "0" login disabled, "1" allowed
	DelFlag     string // "0" live, "1" deleted
	IMEI        string
	TeType      string
	AppVer      string
	LoginStatus string
	Company     Company
}

// CanRefund reports whether the user may refund (userType 2).
func (u User) CanRefund() bool { return strings.TrimSpace(u.UserType) == "2" }

// LoginAllowed reports whether the user may log in: loginFlag 1 and not
// deleted. The gateway answers success "true" for a disabled user (WIRE.md
// §9); refusing it is the register's job.
func (u User) LoginAllowed() bool {
	return strings.TrimSpace(u.LoginFlag) == "1" && strings.TrimSpace(u.DelFlag) != "1"
}

// Company is the merchant of a login answer, user.company (WIRE.md §4.9).
type Company struct {
	ID            string
	Name          string
	Code          string // must equal the configured BUSI_ID before a refund
	Useable       string // "0" under audit, "1" approved, "2" rejected
	DelFlag       string
	AmountLimit   pos.Money // largest single transaction, yuan on the wire; Absent when not given
	RefundAtScene string    // "0" refunds allowed at the store, "1" not
	ChargeMode    string
	Profit        string
	TimeLimit     string // minutes
	IsUploadGoods string // "1": every sale must carry goods lines
	PrivateURL    string
}

// RefundAtSceneAllowed reports whether refunds may be made at the store
// (refundAtScene 0).
func (c Company) RefundAtSceneAllowed() bool { return strings.TrimSpace(c.RefundAtScene) == "0" }

// MustUploadGoods reports whether sales must carry goods lines (isUploadGoods 1).
func (c Company) MustUploadGoods() bool { return strings.TrimSpace(c.IsUploadGoods) == "1" }

// fieldReader reads typed fields from a decoded message leniently (WIRE.md
// §2.4): any scalar may come as a string, a number or a bool; an empty
// string or null is absent. It keeps the first error; a malformed amount or
// number is an error, so the call's outcome becomes unknown.
type fieldReader struct {
	err error
}

func (r *fieldReader) fail(name string, err error) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s: %w", ErrBadAnswer, name, err)
	}
}

func (r *fieldReader) str(n *Node, name string) string {
	v := n.Get(name)
	if v == nil || v.Kind == KindNull {
		return ""
	}
	s, ok := v.Scalar()
	if !ok {
		r.fail(name, errors.New("not a single value"))
	}
	return s
}

// fen reads an amount in fen (a response AMT, §4.1).
func (r *fieldReader) fen(n *Node, name string) pos.Money {
	s := strings.TrimSpace(r.str(n, name))
	if s == "" {
		return Absent
	}
	m, err := pos.ParseFen(s)
	if err != nil {
		r.fail(name, err)
		return Absent
	}
	return m
}

// yuan reads an amount in yuan (AMOUNT, GOOD_PRICE, amountLimit, §4.1).
func (r *fieldReader) yuan(n *Node, name string) pos.Money {
	s := strings.TrimSpace(r.str(n, name))
	if s == "" {
		return Absent
	}
	m, err := pos.ParseYuan(s)
	if err != nil {
		r.fail(name, err)
		return Absent
	}
	return m
}

// int reads a non-negative integer (STATE, CHANNEL_TYPE, …).
func (r *fieldReader) int(n *Node, name string) int {
	s := strings.TrimSpace(r.str(n, name))
	if s == "" {
		return Absent
	}
	v, err := strconv.Atoi(s)
	if err != nil || len(s) > 9 || strings.Trim(s, "0123456789") != "" {
		r.fail(name, fmt.Errorf("%q is not a count", s))
		return Absent
	}
	return v
}

// list reads a list field in any of its shapes (WIRE.md §3, §4.7, §4.8): a
// JSON array; an object wrapping the items under item (FUND_BILL_LIST's
// TRADEFUNDBILL, XML's GOODSINFO, tradeInfo, PAY_CHANNEL), one or repeated;
// a single item object. Absent, null and "" are the empty list.
func (r *fieldReader) list(n *Node, name, item string) []*Node {
	v := n.Get(name)
	if v == nil {
		return nil
	}
	switch v.Kind {
	case KindNull:
		return nil
	case KindString:
		if strings.TrimSpace(v.Text) == "" {
			return nil
		}
	case KindList:
		return r.items(v, name)
	case KindObject:
		if len(v.Fields) == 0 {
			return nil
		}
		if w := v.Get(item); w != nil {
			if len(v.Fields) != 1 {
				r.fail(name, fmt.Errorf("%s beside other members", item))
				return nil
			}
			switch w.Kind {
			case KindList:
				return r.items(w, name)
			case KindObject:
				return []*Node{w}
			case KindNull:
				return nil
			case KindString:
				if strings.TrimSpace(w.Text) == "" {
					return nil
				}
			}
			r.fail(name, errors.New("not a list"))
			return nil
		}
		return []*Node{v}
	}
	r.fail(name, errors.New("not a list"))
	return nil
}

func (r *fieldReader) items(l *Node, name string) []*Node {
	for _, it := range l.Items {
		if it.Kind != KindObject {
			r.fail(name, errors.New("list item is not an object"))
			return nil
		}
	}
	return l.Items
}

func (r *fieldReader) result(n *Node) Result {
	v := n.Get("RESULT")
	if v == nil {
		return Result{}
	}
	if s, ok := v.Scalar(); ok {
		// The refund table types RESULT as String (vendor §7.3): take a bare
		// code as the CODE.
		return Result{Code: NormalizeCode(s)}
	}
	return Result{Code: NormalizeCode(r.str(v, "CODE")), Info: r.str(v, "INFO")}
}

func (r *fieldReader) fundBills(n *Node) []FundBill {
	var out []FundBill
	for _, it := range r.list(n, "FUND_BILL_LIST", "TRADEFUNDBILL") {
		out = append(out, FundBill{
			FundChannel: r.str(it, "FUND_CHANNEL"),
			Amount:      r.yuan(it, "AMOUNT"),
		})
	}
	return out
}

func (r *fieldReader) goods(n *Node, name string) []Good {
	var out []Good
	for _, it := range r.list(n, name, "GOODSINFO") {
		out = append(out, Good{
			GoodID:       r.str(it, "GOOD_ID"),
			GoodName:     r.str(it, "GOOD_NAME"),
			GoodClass:    r.str(it, "GOOD_CLASS"),
			GoodPrice:    r.yuan(it, "GOOD_PRICE"),
			GoodSubject:  r.str(it, "GOOD_SUBJECT"),
			GoodQuantity: r.str(it, "GOOD_QUANTITY"),
			GoodShowURL:  r.str(it, "GOOD_SHOWURL"),
		})
	}
	return out
}

func (r *fieldReader) tradeInfo(n *Node) TradeInfo {
	return TradeInfo{
		BusiID:          r.str(n, "BUSI_ID"),
		OperID:          r.str(n, "OPER_ID"),
		DevID:           r.str(n, "DEV_ID"),
		MerchantPara:    r.str(n, "MERCHANTPARA"),
		Amt:             r.fen(n, "AMT"),
		ChannelType:     r.int(n, "CHANNEL_TYPE"),
		ChargeCode:      r.str(n, "CHARGE_CODE"),
		ChargeDownCode:  r.str(n, "CHARGE_DOWN_CODE"),
		ChargeThirdCode: r.str(n, "CHARGE_THIRD_CODE"),
		PaySubject:      r.str(n, "PAY_SUBJECT"),
		State:           r.int(n, "STATE"),
		GoodsDetail:     r.goods(n, "GOODS_DETAIL"),
		BeginTime:       r.str(n, "BEGIN_TIME"),
		EndTime:         r.str(n, "END_TIME"),
		RegisterID:      r.str(n, "REGISTER_ID"),
		DynamicID:       r.str(n, "DYNAMIC_ID"),
		FundBillList:    r.fundBills(n),
	}
}

// DecodePayResponse reads a decoded pay answer (WIRE.md §4.2). The Decode*
// functions read what they can and return the first malformed field as an
// error wrapping ErrBadAnswer (and pos.ErrBadAmount for an amount).
func DecodePayResponse(n *Node) (PayResponse, error) {
	var r fieldReader
	out := PayResponse{
		Result:          r.result(n),
		ChannelType:     r.int(n, "CHANNEL_TYPE"),
		ChargeCode:      r.str(n, "CHARGE_CODE"),
		ChargeDownCode:  r.str(n, "CHARGE_DOWN_CODE"),
		ChargeThirdCode: r.str(n, "CHARGE_THIRD_CODE"),
		MerchantPara:    r.str(n, "MERCHANTPARA"),
		FundBillList:    r.fundBills(n),
		OperID:          r.str(n, "OPER_ID"),
		DevID:           r.str(n, "DEV_ID"),
		BeginTime:       r.str(n, "BEGIN_TIME"),
		Amt:             r.fen(n, "AMT"),
	}
	return out, r.err
}

// DecodePrecreateResponse reads a decoded precreate answer (WIRE.md §4.3).
func DecodePrecreateResponse(n *Node) (PrecreateResponse, error) {
	var r fieldReader
	out := PrecreateResponse{
		Result:          r.result(n),
		ChargeDownCode:  r.str(n, "CHARGE_DOWN_CODE"),
		ChargeCode:      r.str(n, "CHARGE_CODE"),
		MerchantPara:    r.str(n, "MERCHANTPARA"),
		BarCode:         r.str(n, "BAR_CODE"),
		ChargeThirdCode: r.str(n, "CHARGE_THIRD_CODE"),
		AppID:           r.str(n, "appId"),
		TimeStamp:       r.str(n, "timeStamp"),
		NonceStr:        r.str(n, "nonceStr"),
		PackageData:     r.str(n, "packageData"),
		SignType:        r.str(n, "signType"),
		Sign:            r.str(n, "sign"),
	}
	return out, r.err
}

// DecodeQueryResponse reads a decoded query answer (WIRE.md §4.4).
func DecodeQueryResponse(n *Node) (QueryResponse, error) {
	var r fieldReader
	out := QueryResponse{Result: r.result(n), TradeInfo: r.tradeInfo(n)}
	return out, r.err
}

// DecodeCancelResponse reads a decoded cancel answer (WIRE.md §4.5).
func DecodeCancelResponse(n *Node) (CancelResponse, error) {
	var r fieldReader
	out := CancelResponse{Result: r.result(n)}
	return out, r.err
}

// DecodeRefundResponse reads a decoded refund answer (WIRE.md §4.6).
func DecodeRefundResponse(n *Node) (RefundResponse, error) {
	var r fieldReader
	out := RefundResponse{
		Result:          r.result(n),
		Amt:             r.fen(n, "AMT"),
		ChargeCode:      r.str(n, "CHARGE_CODE"),
		ChargeDownCode:  r.str(n, "CHARGE_DOWN_CODE"),
		ChargeThirdCode: r.str(n, "CHARGE_THIRD_CODE"),
		FundBillList:    r.fundBills(n),
		ChannelType:     r.int(n, "CHANNEL_TYPE"),
	}
	return out, r.err
}

// DecodeBatchQueryResponse reads a decoded batch query answer (WIRE.md §4.7).
func DecodeBatchQueryResponse(n *Node) (BatchQueryResponse, error) {
	var r fieldReader
	out := BatchQueryResponse{
		Result:      r.result(n),
		ChargesSize: r.int(n, "chargesSize"),
	}
	for _, it := range r.list(n, "tradeInfos", "tradeInfo") {
		out.TradeInfos = append(out.TradeInfos, r.tradeInfo(it))
	}
	return out, r.err
}

// DecodeChannelListResponse reads a decoded channel list answer (WIRE.md §4.8).
func DecodeChannelListResponse(n *Node) (ChannelListResponse, error) {
	var r fieldReader
	out := ChannelListResponse{Result: r.result(n)}
	for _, it := range r.list(n, "PAY_CHANNEL_LIST", "PAY_CHANNEL") {
		out.PayChannelList = append(out.PayChannelList, PayChannel{
			ChannelName: r.str(it, "CHANNEL_NAME"),
			ChannelType: r.int(it, "CHANNEL_TYPE"),
			SortNo:      r.int(it, "SORT_NO"),
		})
	}
	return out, r.err
}

// DecodeLoginResponse reads a decoded login answer (WIRE.md §4.9).
func DecodeLoginResponse(n *Node) (LoginResponse, error) {
	var r fieldReader
	out := LoginResponse{
		Success: loginSuccess(r.str(n, "success")) == OutcomeDone,
		Message: r.str(n, "message"),
	}
	u := n.Get("user")
	if u != nil && u.Kind != KindNull && !(u.Kind == KindString && u.Text == "") && u.Kind != KindObject {
		r.fail("user", errors.New("not an object"))
	}
	c := u.Get("company")
	if c != nil && c.Kind != KindNull && !(c.Kind == KindString && c.Text == "") && c.Kind != KindObject {
		r.fail("user.company", errors.New("not an object"))
	}
	out.User = User{
		ID:          r.str(u, "id"),
		CompanyID:   r.str(u, "companyId"),
		LoginName:   r.str(u, "loginName"),
		Name:        r.str(u, "name"),
		UserType:    r.str(u, "userType"),
		LoginDate:   r.str(u, "loginDate"),
		LoginFlag:   r.str(u, "loginFlag"),
		DelFlag:     r.str(u, "delFlag"),
		IMEI:        r.str(u, "IMEI"),
		TeType:      r.str(u, "teType"),
		AppVer:      r.str(u, "appVer"),
		LoginStatus: r.str(u, "loginStatus"),
		Company: Company{
			ID:            r.str(c, "id"),
			Name:          r.str(c, "name"),
			Code:          r.str(c, "code"),
			Useable:       r.str(c, "useable"),
			DelFlag:       r.str(c, "delFlag"),
			AmountLimit:   r.yuan(c, "amountLimit"),
			RefundAtScene: r.str(c, "refundAtScene"),
			ChargeMode:    r.str(c, "chargeMode"),
			Profit:        r.str(c, "profit"),
			TimeLimit:     r.str(c, "timeLimit"),
			IsUploadGoods: r.str(c, "isUploadGoods"),
			PrivateURL:    r.str(c, "privateUrl"),
		},
	}
	return out, r.err
}

// loginSuccess classifies a login answer's `success` (WIRE.md §4.9): "true"
// done, "false" refused, anything else (absent included) unknown.
func loginSuccess(s string) Outcome {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return OutcomeDone
	case "false":
		return OutcomeRefused
	}
	return OutcomeUnknown
}

// decodeFor checks a decoded answer of a known method with its typed
// decoder, so that `gw call` finds a malformed amount as the typed calls do.
func decodeFor(method string, n *Node) error {
	var err error
	switch method {
	case MethodPay:
		_, err = DecodePayResponse(n)
	case MethodPrecreate:
		_, err = DecodePrecreateResponse(n)
	case MethodQuery:
		_, err = DecodeQueryResponse(n)
	case MethodCancel:
		_, err = DecodeCancelResponse(n)
	case MethodRefund:
		_, err = DecodeRefundResponse(n)
	case MethodBatchQuery:
		_, err = DecodeBatchQueryResponse(n)
	case MethodChannels:
		_, err = DecodeChannelListResponse(n)
	case MethodLogin:
		_, err = DecodeLoginResponse(n)
	}
	return err
}
