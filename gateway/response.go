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
	DynamicID       string // the customer's payment code: mask it (pos.MaskCode) before showing or logging
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
func (u User) CanRefund() bool { return trimASCII(u.UserType) == "2" }

// LoginAllowed reports whether the user may log in: loginFlag 1 and not
// deleted. The gateway answers success "true" for a disabled user (WIRE.md
// §9); refusing it is the register's job.
func (u User) LoginAllowed() bool {
	return trimASCII(u.LoginFlag) == "1" && trimASCII(u.DelFlag) != "1"
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
func (c Company) RefundAtSceneAllowed() bool { return trimASCII(c.RefundAtScene) == "0" }

// MustUploadGoods reports whether sales must carry goods lines (isUploadGoods 1).
func (c Company) MustUploadGoods() bool { return trimASCII(c.IsUploadGoods) == "1" }

// fieldReader reads typed fields from a decoded message leniently (WIRE.md
// §2.4): any scalar may come as a string, a number or a bool; an empty
// string or null is absent; amounts and codes in any exact notation; lists
// in any shape, strings holding JSON or XML included.
//
// Only the fields that decide money (RESULT.CODE, STATE, the amount, the
// charge code) decide the outcome: a malformed one is kept in err, and the
// call's outcome becomes unknown. A malformed side field (read while side
// > 0: fund bills, goods, times, names) is dropped — read as absent — and
// noted in dropped, for the log; it never makes an answer unknown.
type fieldReader struct {
	err     error
	side    int
	dropped []string
}

// maxDropped bounds the notes kept about dropped side fields.
const maxDropped = 8

func (r *fieldReader) fail(name string, err error) {
	if r.side > 0 {
		if len(r.dropped) < maxDropped {
			r.dropped = append(r.dropped, name+": "+err.Error())
		}
		return
	}
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s: %w", ErrBadAnswer, name, err)
	}
}

// prefix names the list of the notes dropped since before.
func (r *fieldReader) prefix(before int, list string) {
	for i := before; i < len(r.dropped); i++ {
		r.dropped[i] = list + "." + r.dropped[i]
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

// flag reads a login flag or code (userType, loginFlag, …): a number in any
// exact notation (2, "2", 2.0, "2.00") is spelt as its integer, so that the
// vendor's notations mean what they say (WIRE.md §2.4); anything else is
// kept as sent.
func (r *fieldReader) flag(n *Node, name string) string {
	s := r.str(n, name)
	if t := trimASCII(s); t != "" {
		if v, err := parseCode(t); err == nil {
			return strconv.Itoa(v)
		}
	}
	return s
}

// sideStr reads a side string field: one that is not a single value is
// dropped, never an error.
func (r *fieldReader) sideStr(n *Node, name string) string {
	r.side++
	defer func() { r.side-- }()
	return r.str(n, name)
}

// text reads a side text field (INFO, names, subjects) with its HTML
// entities resolved (§2.4).
func (r *fieldReader) text(n *Node, name string) string {
	return unescapeHTML(r.sideStr(n, name))
}

// fen reads an amount in fen (a response AMT, §4.1) in any exact notation.
func (r *fieldReader) fen(n *Node, name string) pos.Money {
	s := trimASCII(r.str(n, name))
	if s == "" {
		return Absent
	}
	m, err := parseFen(s)
	if err != nil {
		r.fail(name, err)
		return Absent
	}
	return m
}

// yuan reads an amount in yuan (AMOUNT, GOOD_PRICE, amountLimit, §4.1).
func (r *fieldReader) yuan(n *Node, name string) pos.Money {
	s := trimASCII(r.str(n, name))
	if s == "" {
		return Absent
	}
	m, err := parseYuan(s)
	if err != nil {
		r.fail(name, err)
		return Absent
	}
	return m
}

// int reads a non-negative integer code (STATE, CHANNEL_TYPE, …): 1, "1", 1.0.
func (r *fieldReader) int(n *Node, name string) int {
	s := trimASCII(r.str(n, name))
	if s == "" {
		return Absent
	}
	v, err := parseCode(s)
	if err != nil {
		r.fail(name, err)
		return Absent
	}
	return v
}

// sideInt reads a side integer (CHANNEL_TYPE, SORT_NO, chargesSize).
func (r *fieldReader) sideInt(n *Node, name string) int {
	r.side++
	defer func() { r.side-- }()
	return r.int(n, name)
}

// list reads a list field in any of its shapes (WIRE.md §2.4, §3, §4.7,
// §4.8): a JSON array; an object wrapping the items under item
// (FUND_BILL_LIST's TRADEFUNDBILL, XML's GOODSINFO, tradeInfo,
// PAY_CHANNEL), one or repeated; a single item object; a string holding
// JSON or XML of any of these. Absent, null and "" are the empty list.
func (r *fieldReader) list(n *Node, name, item string) []*Node {
	return r.listOf(n.Get(name), name, item, true)
}

func (r *fieldReader) listOf(v *Node, name, item string, mayEmbed bool) []*Node {
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
		if mayEmbed {
			e, err := embedded(v.Text, name)
			if err != nil {
				r.fail(name, fmt.Errorf("a string that is not a list: %w", err))
				return nil
			}
			return r.listOf(e, name, item, false)
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
	return Result{Code: NormalizeCode(r.str(v, "CODE")), Info: r.text(v, "INFO")}
}

// fundBills reads FUND_BILL_LIST, a side field: a bill that cannot be read
// is dropped (and noted), the others kept.
func (r *fieldReader) fundBills(n *Node) []FundBill {
	return r.fundBillsAt(n, "FUND_BILL_LIST")
}

func (r *fieldReader) fundBillsAt(n *Node, name string) []FundBill {
	r.side++
	defer func() { r.side-- }()
	var out []FundBill
	for _, it := range r.list(n, name, "TRADEFUNDBILL") {
		before := len(r.dropped)
		b := FundBill{
			FundChannel: r.str(it, "FUND_CHANNEL"),
			Amount:      r.yuan(it, "AMOUNT"),
		}
		if len(r.dropped) == before {
			out = append(out, b)
		}
		r.prefix(before, name)
	}
	return out
}

// goods reads a goods list, a side field: a line that cannot be read is
// dropped (and noted).
func (r *fieldReader) goods(n *Node, name string) []Good {
	r.side++
	defer func() { r.side-- }()
	var out []Good
	for _, it := range r.list(n, name, "GOODSINFO") {
		before := len(r.dropped)
		g := Good{
			GoodID:       r.str(it, "GOOD_ID"),
			GoodName:     r.text(it, "GOOD_NAME"),
			GoodClass:    r.text(it, "GOOD_CLASS"),
			GoodPrice:    r.yuan(it, "GOOD_PRICE"),
			GoodSubject:  r.text(it, "GOOD_SUBJECT"),
			GoodQuantity: r.str(it, "GOOD_QUANTITY"),
			GoodShowURL:  r.str(it, "GOOD_SHOWURL"),
		}
		if len(r.dropped) == before {
			out = append(out, g)
		}
		r.prefix(before, name)
	}
	return out
}

// tradeInfo reads one transaction of a query answer or a batch row. Its
// fields are read in the vendor's upper case (CHARGE_CODE) or in lower camel
// case (chargeCode), as a batch row may come (WIRE.md §4.7). AMT, STATE and
// CHARGE_CODE decide money; the rest are side fields.
func (r *fieldReader) tradeInfo(n *Node) TradeInfo {
	k := func(name string) string { return keyIn(n, name) }
	t := TradeInfo{
		Amt:        r.fen(n, k("AMT")),
		State:      r.int(n, k("STATE")),
		ChargeCode: r.str(n, k("CHARGE_CODE")),
	}
	r.side++
	defer func() { r.side-- }()
	t.BusiID = r.str(n, k("BUSI_ID"))
	t.OperID = r.str(n, k("OPER_ID"))
	t.DevID = r.str(n, k("DEV_ID"))
	t.MerchantPara = r.str(n, k("MERCHANTPARA"))
	t.ChannelType = r.int(n, k("CHANNEL_TYPE"))
	t.ChargeDownCode = r.str(n, k("CHARGE_DOWN_CODE"))
	t.ChargeThirdCode = r.str(n, k("CHARGE_THIRD_CODE"))
	t.PaySubject = r.text(n, k("PAY_SUBJECT"))
	t.GoodsDetail = r.goods(n, k("GOODS_DETAIL"))
	t.BeginTime = r.str(n, k("BEGIN_TIME"))
	t.EndTime = r.str(n, k("END_TIME"))
	t.RegisterID = r.str(n, k("REGISTER_ID"))
	t.DynamicID = r.str(n, k("DYNAMIC_ID"))
	if fk := k("FUND_BILL_LIST"); fk != "FUND_BILL_LIST" {
		t.FundBillList = r.fundBillsAt(n, fk)
	} else {
		t.FundBillList = r.fundBills(n)
	}
	return t
}

// keyIn returns the name under which n carries the vendor field upper (an
// upper snake case name): upper itself, or its lower camel case form
// (CHARGE_CODE → chargeCode) when only that is present.
func keyIn(n *Node, upper string) string {
	if n.Get(upper) != nil {
		return upper
	}
	if c := camel(upper); n.Get(c) != nil {
		return c
	}
	return upper
}

// camel spells an upper snake case name in lower camel case.
func camel(upper string) string {
	parts := strings.Split(strings.ToLower(upper), "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// DecodePayResponse reads a decoded pay answer (WIRE.md §4.2). The Decode*
// functions read what they can and return the first malformed field that
// decides money (RESULT.CODE, STATE, an amount, the charge code) as an error
// wrapping ErrBadAnswer (and pos.ErrBadAmount for an amount); a malformed
// side field is dropped (§2.4).
func DecodePayResponse(n *Node) (PayResponse, error) {
	var r fieldReader
	out := r.pay(n)
	return out, r.err
}

func (r *fieldReader) pay(n *Node) PayResponse {
	out := PayResponse{
		Result:     r.result(n),
		ChargeCode: r.str(n, "CHARGE_CODE"),
		Amt:        r.fen(n, "AMT"),
	}
	r.side++
	defer func() { r.side-- }()
	out.ChannelType = r.int(n, "CHANNEL_TYPE")
	out.ChargeDownCode = r.str(n, "CHARGE_DOWN_CODE")
	out.ChargeThirdCode = r.str(n, "CHARGE_THIRD_CODE")
	out.MerchantPara = r.str(n, "MERCHANTPARA")
	out.FundBillList = r.fundBills(n)
	out.OperID = r.str(n, "OPER_ID")
	out.DevID = r.str(n, "DEV_ID")
	out.BeginTime = r.str(n, "BEGIN_TIME")
	return out
}

// DecodePrecreateResponse reads a decoded precreate answer (WIRE.md §4.3).
func DecodePrecreateResponse(n *Node) (PrecreateResponse, error) {
	var r fieldReader
	out := r.precreate(n)
	return out, r.err
}

func (r *fieldReader) precreate(n *Node) PrecreateResponse {
	out := PrecreateResponse{
		Result:     r.result(n),
		ChargeCode: r.str(n, "CHARGE_CODE"),
		// BAR_CODE is what the customer pays through: not a side field.
		BarCode: r.str(n, "BAR_CODE"),
	}
	r.side++
	defer func() { r.side-- }()
	out.ChargeDownCode = r.str(n, "CHARGE_DOWN_CODE")
	out.MerchantPara = r.str(n, "MERCHANTPARA")
	out.ChargeThirdCode = r.str(n, "CHARGE_THIRD_CODE")
	out.AppID = r.str(n, "appId")
	out.TimeStamp = r.str(n, "timeStamp")
	out.NonceStr = r.str(n, "nonceStr")
	out.PackageData = r.str(n, "packageData")
	out.SignType = r.str(n, "signType")
	out.Sign = r.str(n, "sign")
	return out
}

// DecodeQueryResponse reads a decoded query answer (WIRE.md §4.4).
func DecodeQueryResponse(n *Node) (QueryResponse, error) {
	var r fieldReader
	out := r.query(n)
	return out, r.err
}

func (r *fieldReader) query(n *Node) QueryResponse {
	return QueryResponse{Result: r.result(n), TradeInfo: r.tradeInfo(n)}
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
	out := r.refund(n)
	return out, r.err
}

func (r *fieldReader) refund(n *Node) RefundResponse {
	out := RefundResponse{
		Result:     r.result(n),
		Amt:        r.fen(n, "AMT"),
		ChargeCode: r.str(n, "CHARGE_CODE"),
	}
	r.side++
	defer func() { r.side-- }()
	out.ChargeDownCode = r.str(n, "CHARGE_DOWN_CODE")
	out.ChargeThirdCode = r.str(n, "CHARGE_THIRD_CODE")
	out.FundBillList = r.fundBills(n)
	out.ChannelType = r.int(n, "CHANNEL_TYPE")
	return out
}

// ErrRowWithoutCode is wrapped for a batch query row that names no charge
// (WIRE.md §4.7): an error, not an empty row.
var ErrRowWithoutCode = errors.New("batch query row without a charge code")

// DecodeBatchQueryResponse reads a decoded batch query answer (WIRE.md
// §4.7). A row without a charge code, or with an unreadable AMT or STATE,
// is an error.
func DecodeBatchQueryResponse(n *Node) (BatchQueryResponse, error) {
	var r fieldReader
	out := r.batchQuery(n)
	return out, r.err
}

func (r *fieldReader) batchQuery(n *Node) BatchQueryResponse {
	out := BatchQueryResponse{
		Result:      r.result(n),
		ChargesSize: r.sideInt(n, "chargesSize"),
	}
	for i, it := range r.list(n, "tradeInfos", "tradeInfo") {
		ti := r.tradeInfo(it)
		if strings.TrimSpace(ti.ChargeCode) == "" && r.err == nil {
			r.err = fmt.Errorf("%w: tradeInfos[%d]: %w", ErrBadAnswer, i, ErrRowWithoutCode)
		}
		out.TradeInfos = append(out.TradeInfos, ti)
	}
	return out
}

// DecodeChannelListResponse reads a decoded channel list answer (WIRE.md
// §4.8). A channel whose CHANNEL_TYPE cannot be read is dropped.
func DecodeChannelListResponse(n *Node) (ChannelListResponse, error) {
	var r fieldReader
	out := r.channels(n)
	return out, r.err
}

func (r *fieldReader) channels(n *Node) ChannelListResponse {
	out := ChannelListResponse{Result: r.result(n)}
	r.side++
	defer func() { r.side-- }()
	for _, it := range r.list(n, "PAY_CHANNEL_LIST", "PAY_CHANNEL") {
		before := len(r.dropped)
		ch := PayChannel{
			ChannelName: r.text(it, "CHANNEL_NAME"),
			ChannelType: r.int(it, "CHANNEL_TYPE"),
			SortNo:      r.int(it, "SORT_NO"),
		}
		if len(r.dropped) == before {
			out.PayChannelList = append(out.PayChannelList, ch)
		}
	}
	return out
}

// DecodeLoginResponse reads a decoded login answer (WIRE.md §4.9). success
// and amountLimit decide (an unreadable limit must not lift the limit); the
// other members are side fields, whose dropping can only take a right away
// (an empty userType has no refund permission, an empty loginFlag no login).
// loginName is kept exactly as sent: pos compares it with the username.
func DecodeLoginResponse(n *Node) (LoginResponse, error) {
	var r fieldReader
	out := r.login(n)
	return out, r.err
}

func (r *fieldReader) login(n *Node) LoginResponse {
	out := LoginResponse{
		Success: loginSuccess(r.str(n, "success")) == OutcomeDone,
		Message: r.text(n, "message"),
	}
	u := n.Get("user")
	if u != nil && u.Kind != KindNull && !(u.Kind == KindString && u.Text == "") && u.Kind != KindObject {
		r.fail("user", errors.New("not an object"))
	}
	c := u.Get("company")
	if c != nil && c.Kind != KindNull && !(c.Kind == KindString && c.Text == "") && c.Kind != KindObject {
		r.fail("user.company", errors.New("not an object"))
	}
	out.User.Company.AmountLimit = r.yuan(c, "amountLimit")
	r.side++
	defer func() { r.side-- }()
	limit := out.User.Company.AmountLimit
	out.User = User{
		ID:          r.str(u, "id"),
		CompanyID:   r.str(u, "companyId"),
		LoginName:   r.str(u, "loginName"),
		Name:        r.text(u, "name"),
		UserType:    r.flag(u, "userType"),
		LoginDate:   r.str(u, "loginDate"),
		LoginFlag:   r.flag(u, "loginFlag"),
		DelFlag:     r.flag(u, "delFlag"),
		IMEI:        r.str(u, "IMEI"),
		TeType:      r.str(u, "teType"),
		AppVer:      r.str(u, "appVer"),
		LoginStatus: r.str(u, "loginStatus"),
		Company: Company{
			ID:            r.str(c, "id"),
			Name:          r.text(c, "name"),
			Code:          r.str(c, "code"),
			Useable:       r.flag(c, "useable"),
			DelFlag:       r.flag(c, "delFlag"),
			AmountLimit:   limit,
			RefundAtScene: r.flag(c, "refundAtScene"),
			ChargeMode:    r.str(c, "chargeMode"),
			Profit:        r.str(c, "profit"),
			TimeLimit:     r.flag(c, "timeLimit"),
			IsUploadGoods: r.flag(c, "isUploadGoods"),
			PrivateURL:    r.str(c, "privateUrl"),
		},
	}
	return out
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
// It returns the notes about dropped side fields and the deciding error.
func decodeFor(method string, n *Node) ([]string, error) {
	var r fieldReader
	switch method {
	case MethodPay:
		r.pay(n)
	case MethodPrecreate:
		r.precreate(n)
	case MethodQuery:
		r.query(n)
	case MethodCancel:
		r.result(n)
	case MethodRefund:
		r.refund(n)
	case MethodBatchQuery:
		r.batchQuery(n)
	case MethodChannels:
		r.channels(n)
	case MethodLogin:
		r.login(n)
	}
	return r.dropped, r.err
}
