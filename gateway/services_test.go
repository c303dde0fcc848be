package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"posterm/pos"
)

// Fixtures: one answer per service, as the gateway would send it in JSON
// (numbers where the vendor's samples put numbers, §2.4). The fake gateway
// re-encodes them as XML when asked.
const (
	fixturePay = `{"RESULT":{"CODE":"SUCCESS","INFO":"ok"},"CHANNEL_TYPE":1,"CHARGE_CODE":"20150324001069125999","CHARGE_DOWN_CODE":"1435736619488","CHARGE_THIRD_CODE":"2088110245121545154","MERCHANTPARA":"MDEwMDAwMDE=","FUND_BILL_LIST":{"TRADEFUNDBILL":[{"FUND_CHANNEL":"10","AMOUNT":"150.00"},{"FUND_CHANNEL":"40","AMOUNT":8}]},"OPER_ID":"cashier01","DEV_ID":"POS-01","BEGIN_TIME":"2015-10-14 04:43:14","AMT":15800}`

	fixturePrecreate = `{"RESULT":{"CODE":"SUCCESS","INFO":""},"CHARGE_DOWN_CODE":"1435736619489","CHARGE_CODE":"C-PRE-1","MERCHANTPARA":"","BAR_CODE":"https://qr.alipay.com/baidecagzveqxn6oe7","CHARGE_THIRD_CODE":"4200000001","appId":"wx8888888888888888","timeStamp":"1447321442","nonceStr":"n0nce","packageData":"prepay_id=wx201511","signType":"MD5","sign":"C380BEC2BFD727A4B6845133519F3AD6"}`

	fixtureQuery = `{"RESULT":{"CODE":"SUCCESS","INFO":"ok"},"BUSI_ID":"0010000001","OPER_ID":"cashier01","DEV_ID":"POS-01","MERCHANTPARA":"","AMT":"15800","CHANNEL_TYPE":"2","CHARGE_CODE":"C-Q-1","CHARGE_DOWN_CODE":"1435736619490","CHARGE_THIRD_CODE":"4200000002","PAY_SUBJECT":"嗖嗖产品1","STATE":4,"GOODS_DETAIL":[{"GOOD_ID":"2010","GOOD_NAME":"IPhone","GOOD_CLASS":"Mobile phone","GOOD_PRICE":"100.00","GOOD_SUBJECT":"Digital products","GOOD_QUANTITY":"1"},{"GOOD_ID":"2011","GOOD_NAME":"Case","GOOD_CLASS":"Accessory","GOOD_PRICE":58,"GOOD_SUBJECT":"Digital products","GOOD_QUANTITY":"1","GOOD_SHOWURL":"www.sssyin.cn"}],"BEGIN_TIME":"2015-10-14 04:43:14","END_TIME":"2015-10-14 04:43:20","REGISTER_ID":"02016","DYNAMIC_ID":"134214903060794755","FUND_BILL_LIST":{"TRADEFUNDBILL":[{"FUND_CHANNEL":"11","AMOUNT":"100.00"},{"FUND_CHANNEL":"41","AMOUNT":"58.00"}]}}`

	fixtureCancel = `{"RESULT":{"CODE":"SUCCESS","INFO":""}}`

	fixtureRefund = `{"RESULT":{"CODE":"SUCCESS","INFO":"ok"},"AMT":"5800","CHARGE_CODE":"C-R-1","CHARGE_DOWN_CODE":"1435736619491","CHARGE_THIRD_CODE":"2088110245121545155","FUND_BILL_LIST":{"TRADEFUNDBILL":[{"FUND_CHANNEL":"10","AMOUNT":"58.00"}]},"CHANNEL_TYPE":"1"}`

	fixtureBatch = `{"RESULT":{"CODE":"SUCCESS","INFO":""},"chargesSize":2,"tradeInfos":[{"BUSI_ID":"0010000001","AMT":"100","CHANNEL_TYPE":"1","CHARGE_CODE":"B-1","CHARGE_DOWN_CODE":"D-1","STATE":"1","FUND_BILL_LIST":{"TRADEFUNDBILL":[{"FUND_CHANNEL":"10","AMOUNT":"1.00"}]}},{"BUSI_ID":"0010000001","AMT":250,"CHANNEL_TYPE":2,"CHARGE_CODE":"B-2","CHARGE_DOWN_CODE":"D-2","STATE":6}]}`

	fixtureChannels = `{"RESULT":{"CODE":"SUCCESS","INFO":""},"PAY_CHANNEL_LIST":[{"CHANNEL_NAME":"支付宝","CHANNEL_TYPE":"1","SORT_NO":"1"},{"CHANNEL_NAME":"微信支付","CHANNEL_TYPE":2,"SORT_NO":2}]}`

	fixtureLogin = `{"success":"true","message":"","user":{"id":"7","companyId":"3","loginName":"manager01","name":"Manager","userType":"2","loginDate":"2015-11-02 14:28:36","loginFlag":"1","delFlag":"0","IMEI":"860000000000001","teType":"1","appVer":"1.0.3","loginStatus":"1","company":{"id":"3","name":"Demo Store","code":"0010000001","useable":"1","delFlag":"0","amountLimit":"5000.00","refundAtScene":"0","chargeMode":"2","profit":"0.006","timeLimit":"30","isUploadGoods":"1","privateUrl":"http://example.invalid/"}}}`
)

var queryGoods = []Good{
	{GoodID: "2010", GoodName: "IPhone", GoodClass: "Mobile phone", GoodPrice: 10000, GoodSubject: "Digital products", GoodQuantity: "1"},
	{GoodID: "2011", GoodName: "Case", GoodClass: "Accessory", GoodPrice: 5800, GoodSubject: "Digital products", GoodQuantity: "1", GoodShowURL: "www.sssyin.cn"},
}

// serviceCase is one service's round trip: the call, the request body the
// gateway must receive (exact bytes, defaults from the Config filled in) and
// the typed answer the client must return.
type serviceCase struct {
	name    string
	method  string
	fixture string
	call    func(context.Context, *Client) (any, Status)
	request string
	want    any
}

func serviceCases() []serviceCase {
	return []serviceCase{
		{
			name: "pay", method: MethodPay, fixture: fixturePay,
			call: func(ctx context.Context, c *Client) (any, Status) {
				return c.Pay(ctx, PayRequest{MerchantPara: "MDEwMDAwMDE=", RegisterID: "02016", Amt: 15800,
					DynamicID: "284214903060794755", ChargeCode: "20150324001069125999", PaySubject: "Store sale",
					GoodsInfos: []Good{{GoodID: "2010", GoodName: "Tea & cake", GoodClass: "Food", GoodPrice: 15800, GoodSubject: "Food", GoodQuantity: "2"}}})
			},
			request: `{"BUSI_ID":"0010000001","OPER_ID":"cashier01","DEV_ID":"POS-01","MERCHANTPARA":"MDEwMDAwMDE=","REGISTER_ID":"02016","AMT":"158.00","DYNAMIC_ID":"284214903060794755","CHARGE_CODE":"20150324001069125999","PAY_SUBJECT":"Store sale","goodsInfos":[{"GOOD_ID":"2010","GOOD_NAME":"Tea & cake","GOOD_CLASS":"Food","GOOD_PRICE":"158.00","GOOD_SUBJECT":"Food","GOOD_QUANTITY":"2"}]}`,
			want: PayResponse{Result: Result{"SUCCESS", "ok"}, ChannelType: 1, ChargeCode: "20150324001069125999",
				ChargeDownCode: "1435736619488", ChargeThirdCode: "2088110245121545154", MerchantPara: "MDEwMDAwMDE=",
				FundBillList: []FundBill{{"10", 15000}, {"40", 800}}, OperID: "cashier01", DevID: "POS-01",
				BeginTime: "2015-10-14 04:43:14", Amt: 15800},
		},
		{
			name: "precreate JSAPI", method: MethodPrecreate, fixture: fixturePrecreate,
			call: func(ctx context.Context, c *Client) (any, Status) {
				return c.Precreate(ctx, PrecreateRequest{OperID: "web", DevID: "H5", Amt: 1, ChannelType: ChannelWeChat,
					TradeType: TradeTypeJSAPI, SubAppid: "wx8888888888888888", SubOpenid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
					ChargeCode: "C-PRE-1", NodifyURL: "http://10.0.0.5:8081/notify?_type=json&encrypt=3DES", PaySubject: "QR Code to pay",
					GoodsDetail: []Good{{GoodID: "1", GoodName: "Tea", GoodClass: "Food", GoodPrice: 1, GoodSubject: "Food", GoodQuantity: "1"}},
					TimeExpire:  90 * time.Second})
			},
			request: `{"BUSI_ID":"0010000001","OPER_ID":"web","DEV_ID":"H5","AMT":"0.01","CHANNEL_TYPE":"2","TRADE_TYPE":"JSAPI","subAppid":"wx8888888888888888","subOpenid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o","CHARGE_CODE":"C-PRE-1","NODIFY_URL":"http://10.0.0.5:8081/notify?_type=json&encrypt=3DES","PAY_SUBJECT":"QR Code to pay","GOODS_DETAIL":[{"GOOD_ID":"1","GOOD_NAME":"Tea","GOOD_CLASS":"Food","GOOD_PRICE":"0.01","GOOD_SUBJECT":"Food","GOOD_QUANTITY":"1"}]}`, // TIME_EXPIRE only when configured (§4.3)
			want: PrecreateResponse{Result: Result{"SUCCESS", ""}, ChargeDownCode: "1435736619489", ChargeCode: "C-PRE-1",
				BarCode: "https://qr.alipay.com/baidecagzveqxn6oe7", ChargeThirdCode: "4200000001", AppID: "wx8888888888888888",
				TimeStamp: "1447321442", NonceStr: "n0nce", PackageData: "prepay_id=wx201511", SignType: "MD5",
				Sign: "C380BEC2BFD727A4B6845133519F3AD6"},
		},
		{
			name: "query", method: MethodQuery, fixture: fixtureQuery,
			call: func(ctx context.Context, c *Client) (any, Status) {
				return c.Query(ctx, QueryRequest{ChargeCode: "C-Q-1", SerType: SerTypeMerchant})
			},
			request: `{"BUSI_ID":"0010000001","CHARGE_CODE":"C-Q-1","serType":"0"}`,
			want: QueryResponse{Result: Result{"SUCCESS", "ok"}, TradeInfo: TradeInfo{BusiID: "0010000001", OperID: "cashier01",
				DevID: "POS-01", Amt: 15800, ChannelType: 2, ChargeCode: "C-Q-1", ChargeDownCode: "1435736619490",
				ChargeThirdCode: "4200000002", PaySubject: "嗖嗖产品1", State: StatePartiallyRefunded, GoodsDetail: queryGoods,
				BeginTime: "2015-10-14 04:43:14", EndTime: "2015-10-14 04:43:20", RegisterID: "02016",
				DynamicID: "134214903060794755", FundBillList: []FundBill{{"11", 10000}, {"41", 5800}}}},
		},
		{
			name: "cancel ACO", method: MethodCancel, fixture: fixtureCancel,
			call: func(ctx context.Context, c *Client) (any, Status) {
				return c.Cancel(ctx, CancelRequest{ChargeCode: "C-C-1", OpType: OpTypeACO})
			},
			request: `{"BUSI_ID":"0010000001","CHARGE_CODE":"C-C-1","opType":"ACO"}`,
			want:    CancelResponse{Result: Result{"SUCCESS", ""}},
		},
		{
			name: "refund", method: MethodRefund, fixture: fixtureRefund,
			call: func(ctx context.Context, c *Client) (any, Status) {
				return c.Refund(ctx, RefundRequest{ChargeRefundFee: 5800, RefundSubject: "Merchant refunds",
					ChargeCode: "C-R-1", OutRefundNo: "R-1"})
			},
			request: `{"BUSI_ID":"0010000001","OPER_ID":"cashier01","DEV_ID":"POS-01","CHARGE_REFUND_FEE":"58.00","REFUND_SUBJECT":"Merchant refunds","CHARGE_CODE":"C-R-1","OUT_REFUND_NO":"R-1"}`,
			want: RefundResponse{Result: Result{"SUCCESS", "ok"}, Amt: 5800, ChargeCode: "C-R-1", ChargeDownCode: "1435736619491",
				ChargeThirdCode: "2088110245121545155", FundBillList: []FundBill{{"10", 5800}}, ChannelType: 1},
		},
		{
			name: "batchquery", method: MethodBatchQuery, fixture: fixtureBatch,
			call: func(ctx context.Context, c *Client) (any, Status) {
				return c.BatchQuery(ctx, BatchQueryRequest{State: Int(0), BeginDate: "2016-01-01", EndDate: "2016-01-31",
					UserID: "cashier01", ChannelType: Int(1), PageNum: 2, PageSize: 50})
			},
			request: `{"_type":"FORMAT","state":"0","beginDate":"2016-01-01","endDate":"2016-01-31","busiCode":"0010000001","userId":"cashier01","ChannelType":"1","PageNum":"2","pageSize":"50"}`,
			want: BatchQueryResponse{Result: Result{"SUCCESS", ""}, ChargesSize: 2, TradeInfos: []TradeInfo{
				{BusiID: "0010000001", Amt: 100, ChannelType: 1, ChargeCode: "B-1", ChargeDownCode: "D-1", State: 1,
					FundBillList: []FundBill{{"10", 100}}},
				{BusiID: "0010000001", Amt: 250, ChannelType: 2, ChargeCode: "B-2", ChargeDownCode: "D-2", State: 6},
			}},
		},
		{
			name: "channel.list", method: MethodChannels, fixture: fixtureChannels,
			call: func(ctx context.Context, c *Client) (any, Status) {
				return c.Channels(ctx, ChannelListRequest{})
			},
			request: `{"BUSI_ID":"0010000001"}`,
			want: ChannelListResponse{Result: Result{"SUCCESS", ""}, PayChannelList: []PayChannel{
				{"支付宝", 1, 1}, {"微信支付", 2, 2}}},
		},
		{
			name: "sosoauth.login", method: MethodLogin, fixture: fixtureLogin,
			call: func(ctx context.Context, c *Client) (any, Status) {
				return c.Login(ctx, LoginRequest{Username: "manager01", Password: "8888"})
			},
			request: `{"username":"manager01","password":"8888","busiCode":"0010000001"}`,
			want: LoginResponse{Success: true, User: User{ID: "7", CompanyID: "3", LoginName: "manager01", Name: "Manager",
				UserType: "2", LoginDate: "2015-11-02 14:28:36", LoginFlag: "1", DelFlag: "0", IMEI: "860000000000001",
				TeType: "1", AppVer: "1.0.3", LoginStatus: "1", Company: Company{ID: "3", Name: "Demo Store",
					Code: "0010000001", Useable: "1", DelFlag: "0", AmountLimit: 500000, RefundAtScene: "0", ChargeMode: "2",
					Profit: "0.006", TimeLimit: "30", IsUploadGoods: "1", PrivateURL: "http://example.invalid/"}}},
		},
	}
}

func TestClient_RoundTrip(t *testing.T) {
	for _, sc := range serviceCases() {
		for _, format := range []Format{FormatJSON, FormatXML} {
			for _, encrypt := range []bool{false, true} {
				name := fmt.Sprintf("%s/%s/encrypt=%v", sc.name, format, encrypt)
				t.Run(name, func(t *testing.T) {
					g := newFakeGateway(t, fixed(sc.fixture))
					c := g.client(t, func(cfg *Config) {
						cfg.Format, cfg.Encrypt, cfg.RequireSign = format, encrypt, true
					})
					got, st := sc.call(context.Background(), c)
					if st.Outcome != OutcomeDone || st.Err != nil {
						t.Fatalf("status: got %v, want done", st)
					}
					if st.HTTPStatus != 200 {
						t.Errorf("HTTPStatus: got %d, want 200", st.HTTPStatus)
					}
					r := g.last()
					if r.Method != sc.method || r.BusiCode != testBusi || r.Type != string(format) {
						t.Errorf("query: got method=%s busiCode=%s _type=%s, want %s %s %s",
							r.Method, r.BusiCode, r.Type, sc.method, testBusi, format)
					}
					if (r.Encrypt == EncryptParam) != encrypt {
						t.Errorf("encrypt=%q, want encryption %v", r.Encrypt, encrypt)
					}
					if want := strings.ReplaceAll(sc.request, "FORMAT", string(format)); string(r.Plain) != want {
						t.Errorf("request body:\n got %s\nwant %s", r.Plain, want)
					}
					if want := sc.want; !reflect.DeepEqual(got, want) {
						t.Errorf("answer:\n got %+v\nwant %+v", got, want)
					}
				})
			}
		}
	}
}

// TestRequests_MarshalJSON checks that the typed requests marshal through
// encoding/json to the same bytes the client sends (json.Marshal would
// also escape <, > and & as \u003c…, which is the same JSON).
func TestRequests_MarshalJSON(t *testing.T) {
	tests := []struct {
		req  any
		want string
	}{
		{PayRequest{BusiID: "B", OperID: "O", DevID: "D", Amt: 5, DynamicID: "1", ChargeCode: "C", PaySubject: "S"},
			`{"BUSI_ID":"B","OPER_ID":"O","DEV_ID":"D","AMT":"0.05","DYNAMIC_ID":"1","CHARGE_CODE":"C","PAY_SUBJECT":"S"}`},
		{PrecreateRequest{BusiID: "B", Amt: 100, ChargeCode: "C", PaySubject: "S", TimeExpire: 1500 * time.Millisecond},
			`{"BUSI_ID":"B","OPER_ID":"","DEV_ID":"","AMT":"1.00","CHANNEL_TYPE":"0","CHARGE_CODE":"C","PAY_SUBJECT":"S","TIME_EXPIRE":"2"}`},
		{QueryRequest{BusiID: "B", ChargeCode: "C"}, `{"BUSI_ID":"B","CHARGE_CODE":"C"}`},
		{CancelRequest{BusiID: "B", ChargeCode: "C"}, `{"BUSI_ID":"B","CHARGE_CODE":"C"}`},
		{RefundRequest{BusiID: "B", ChargeRefundFee: 1, ChargeCode: "C", ChargeDownCode: "D"},
			`{"BUSI_ID":"B","OPER_ID":"","DEV_ID":"","CHARGE_REFUND_FEE":"0.01","REFUND_SUBJECT":"","CHARGE_CODE":"C","CHARGE_DOWN_CODE":"D"}`},
		{BatchQueryRequest{BusiCode: "B", ChargeCode: "C"}, `{"busiCode":"B","PageNum":"1","pageSize":"10","ChargeCode":"C"}`},
		{ChannelListRequest{BusiID: "B"}, `{"BUSI_ID":"B"}`},
		{LoginRequest{Username: "u\"<x>", Password: "p"}, `{"username":"u\"<x>","password":"p"}`},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(tt.req); err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSuffix(buf.String(), "\n"); got != tt.want {
			t.Errorf("%T:\n got %s\nwant %s", tt.req, got, tt.want)
		}
	}
}

func TestClient_LocalRefusal(t *testing.T) {
	g := newFakeGateway(t, fixed(fixturePay))
	c := g.client(t, nil)
	ctx := context.Background()
	_, st := c.Pay(ctx, PayRequest{Amt: -1, ChargeCode: "C"})
	if st.Outcome != OutcomeRefused || !isErr(st.Err, ErrInvalidRequest) {
		t.Errorf("negative pay: got %v, want refused ErrInvalidRequest", st)
	}
	_, st = c.Refund(ctx, RefundRequest{ChargeRefundFee: -100, ChargeCode: "C"})
	if st.Outcome != OutcomeRefused || !isErr(st.Err, ErrInvalidRequest) {
		t.Errorf("negative refund: got %v, want refused ErrInvalidRequest", st)
	}
	_, st = c.Precreate(ctx, PrecreateRequest{Amt: 1, GoodsInfos: []Good{{GoodPrice: -1}}})
	if st.Outcome != OutcomeRefused || !isErr(st.Err, ErrInvalidRequest) {
		t.Errorf("negative good: got %v, want refused ErrInvalidRequest", st)
	}
	if n := g.count(); n != 0 {
		t.Errorf("the gateway got %d requests, want 0", n)
	}
}

func TestClient_Call(t *testing.T) {
	for _, format := range []Format{FormatJSON, FormatXML} {
		for _, encrypt := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/encrypt=%v", format, encrypt), func(t *testing.T) {
				g := newFakeGateway(t, func(r fakeRequest) fakeAnswer {
					if r.Method == MethodLogin {
						return fakeAnswer{json: fixtureLogin}
					}
					return fakeAnswer{json: fixtureQuery}
				})
				// The Client is configured otherwise; the tool's flags override.
				c := g.client(t, nil).WithFormat(format).WithEncrypt(encrypt)
				ps, err := ParseParams([]string{"CHARGE_CODE=C-Q-1", "serType=0", "NOTE=a=b"})
				if err != nil {
					t.Fatal(err)
				}
				n, st := c.Call(context.Background(), MethodQuery, ps)
				if st.Outcome != OutcomeDone {
					t.Fatalf("status: got %v, want done", st)
				}
				if got, want := string(g.last().Plain), `{"BUSI_ID":"0010000001","CHARGE_CODE":"C-Q-1","serType":"0","NOTE":"a=b"}`; got != want {
					t.Errorf("request:\n got %s\nwant %s", got, want)
				}
				if g.last().Type != string(format) || (g.last().Encrypt != "") != encrypt {
					t.Errorf("envelope: _type=%s encrypt=%s", g.last().Type, g.last().Encrypt)
				}
				js, err := json.Marshal(n)
				if err != nil || !json.Valid(js) {
					t.Fatalf("answer does not marshal: %v %s", err, js)
				}
				var back struct {
					FUND_BILL_LIST struct{ TRADEFUNDBILL []struct{ AMOUNT string } }
					PAY_SUBJECT    string
				}
				if err := json.Unmarshal(js, &back); err != nil || len(back.FUND_BILL_LIST.TRADEFUNDBILL) != 2 ||
					back.PAY_SUBJECT != "嗖嗖产品1" {
					t.Errorf("answer JSON: %s (%v)", js, err)
				}

				_, st = c.Call(context.Background(), MethodLogin, []Param{{"username", "manager01"}, {"password", "8888"}})
				if st.Outcome != OutcomeDone {
					t.Errorf("login: got %v, want done", st)
				}
				if got, want := string(g.last().Plain), `{"username":"manager01","password":"8888","busiCode":"0010000001"}`; got != want {
					t.Errorf("login request:\n got %s\nwant %s", got, want)
				}
			})
		}
	}
	if _, err := ParseParams([]string{"=x"}); err == nil {
		t.Error("ParseParams(=x): want an error")
	}
}

func TestClient_CallBadAmount(t *testing.T) {
	g := newFakeGateway(t, fixed(`{"RESULT":{"CODE":"SUCCESS"},"AMT":"158.50"}`))
	_, st := g.client(t, nil).Call(context.Background(), MethodPay, []Param{{"CHARGE_CODE", "C"}})
	if st.Outcome != OutcomeUnknown || !isErr(st.Err, pos.ErrBadAmount) {
		t.Errorf("got %v, want unknown with a bad amount", st)
	}
}
