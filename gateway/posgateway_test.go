package gateway

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"posterm/pos"
)

// shanghai builds a gateway time as the adapter must read it.
func shanghai(s string) time.Time {
	t, err := time.ParseInLocation(TimeLayout, s, Shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

// checkReply compares a Reply field by field: times with Equal (and the
// +08:00 offset), Detail by the substrings it must hold.
func checkReply(t testing.TB, got, want pos.Reply, detailHas []string) {
	t.Helper()
	for _, tm := range []struct {
		name      string
		got, want time.Time
	}{{"BeginTime", got.BeginTime, want.BeginTime}, {"EndTime", got.EndTime, want.EndTime}} {
		if !tm.got.Equal(tm.want) {
			t.Errorf("%s: got %v, want %v", tm.name, tm.got, tm.want)
		}
		if _, off := tm.got.Zone(); !tm.got.IsZero() && off != 8*3600 {
			t.Errorf("%s: offset %d, want +08:00", tm.name, off)
		}
	}
	for _, s := range detailHas {
		if !strings.Contains(got.Detail, s) {
			t.Errorf("Detail %q lacks %q", got.Detail, s)
		}
	}
	if len(detailHas) == 0 && got.Detail != "" {
		t.Errorf("Detail: got %q, want none", got.Detail)
	}
	if strings.Contains(got.Detail, testSecret) || strings.Contains(got.Info, testSecret) {
		t.Errorf("the secret leaked: %+v", got)
	}
	got.BeginTime, got.EndTime, got.Detail = time.Time{}, time.Time{}, ""
	want.BeginTime, want.EndTime, want.Detail = time.Time{}, time.Time{}, ""
	if !reflect.DeepEqual(got, want) {
		t.Errorf("reply:\n got %+v\nwant %+v", got, want)
	}
}

const testCode = "284214903060794755" // a wallet code; never whole in a Reply

func TestPOS_Replies(t *testing.T) {
	payReq := pos.PayRequest{ChargeCode: "20150324001069125999", Amount: 15800, DynamicID: testCode,
		Subject: "Store sale", OperID: "cashier02", MerchantPara: "MDEwMDAwMDE=",
		Goods: []pos.GoodsLine{{ID: "1", Name: "Store sale", Price: 15800, Subject: "Store sale", Quantity: 1}}}
	pay := func(ctx context.Context, p *POS) (pos.Reply, error) { return p.Pay(ctx, payReq) }
	paid := pos.Reply{Outcome: pos.OutcomeDone, Code: "SUCCESS", Info: "ok", ChargeCode: "20150324001069125999",
		ChargeDownCode: "1435736619488", ChargeThirdCode: "2088110245121545154", Channel: pos.ChannelAlipay,
		Amount: 15800, FundBills: []pos.FundBill{{FundChannel: "10", Amount: 15000}, {FundChannel: "40", Amount: 800}},
		BeginTime: shanghai("2015-10-14 04:43:14")}

	tests := []struct {
		name      string
		answer    fakeAnswer
		call      func(context.Context, *POS) (pos.Reply, error)
		want      pos.Reply
		detailHas []string
		wantErr   error // nil: err must be nil
		request   func(t testing.TB, r fakeRequest)
	}{
		{name: "pay paid", answer: fakeAnswer{json: fixturePay}, call: pay, want: paid,
			request: func(t testing.TB, r fakeRequest) {
				want := `{"BUSI_ID":"0010000001","OPER_ID":"cashier02","DEV_ID":"POS-01","MERCHANTPARA":"MDEwMDAwMDE=","REGISTER_ID":"R-7","AMT":"158.00","DYNAMIC_ID":"284214903060794755","CHARGE_CODE":"20150324001069125999","PAY_SUBJECT":"Store sale","goodsInfos":[{"GOOD_ID":"1","GOOD_NAME":"Store sale","GOOD_CLASS":"Store sale","GOOD_PRICE":"158.00","GOOD_SUBJECT":"Store sale","GOOD_QUANTITY":"1"}]}`
				if string(r.Plain) != want {
					t.Errorf("request:\n got %s\nwant %s", r.Plain, want)
				}
			}},
		{name: "pay declined", call: pay,
			answer: fakeAnswer{json: `{"RESULT":{"CODE":"FAIL","INFO":"insufficient balance"},"CHANNEL_TYPE":"1","CHARGE_CODE":"20150324001069125999","CHARGE_DOWN_CODE":"D1","BEGIN_TIME":"2015-10-14 04:43:14","AMT":"15800"}`},
			want: pos.Reply{Outcome: pos.OutcomeRefused, Code: "FAIL", Info: "insufficient balance", ChargeCode: "20150324001069125999",
				ChargeDownCode: "D1", Channel: pos.ChannelAlipay, Amount: 15800, BeginTime: shanghai("2015-10-14 04:43:14")}},
		{name: "pay SUCESS spelling", call: pay, answer: fakeAnswer{json: `{"RESULT":{"CODE":"sucess"}}`},
			want: pos.Reply{Outcome: pos.OutcomeDone, Code: "SUCCESS"}},
		{name: "pay 503", call: pay, answer: fakeAnswer{status: 503},
			want: pos.Reply{Outcome: pos.OutcomeUnknown, Fault: true}, detailHas: []string{"503", "after"}},
		{name: "pay connection reset", call: pay, answer: fakeAnswer{hijack: true},
			want: pos.Reply{Outcome: pos.OutcomeUnknown}, detailHas: []string{"no answer"}},
		{name: "pay bad signature", call: pay, answer: fakeAnswer{json: fixturePay, badSign: true},
			want: pos.Reply{Outcome: pos.OutcomeUnknown}, detailHas: []string{"signature"}},
		{name: "pay gateway fault", call: pay, answer: fakeAnswer{json: `{"RESULT":{"CODE":"EXCEPTION","INFO":"system fault"}}`},
			want: pos.Reply{Outcome: pos.OutcomeUnknown, Code: "EXCEPTION", Info: "system fault", Fault: true}, detailHas: []string{"EXCEPTION"}},
		{name: "pay answer about another charge", call: pay,
			answer: fakeAnswer{json: `{"RESULT":{"CODE":"SUCCESS"},"CHARGE_CODE":"OTHER","CHARGE_DOWN_CODE":"D-OTHER","AMT":"1"}`},
			want:   pos.Reply{Outcome: pos.OutcomeUnknown, Code: "SUCCESS"}, detailHas: []string{"another charge"}},
		{name: "pay INFO quoting the wallet code", call: pay,
			answer: fakeAnswer{json: `{"RESULT":{"CODE":"ILLEGAL_PARAMETER","INFO":"DYNAMIC_ID 284214903060794755 expired"}}`},
			want:   pos.Reply{Outcome: pos.OutcomeRefused, Code: "ILLEGAL_PARAMETER", Info: "DYNAMIC_ID 2842**********4755 expired"}},
		{name: "pay bad amount in the answer", call: pay, answer: fakeAnswer{json: `{"RESULT":{"CODE":"SUCCESS"},"AMT":"158.01e1"}`},
			want: pos.Reply{Outcome: pos.OutcomeUnknown, Code: "SUCCESS"}, detailHas: []string{"AMT"}},
		{name: "pay bad BEGIN_TIME", call: pay,
			answer: fakeAnswer{json: `{"RESULT":{"CODE":"SUCCESS"},"CHARGE_CODE":"20150324001069125999","BEGIN_TIME":"14/10/2015"}`},
			want:   pos.Reply{Outcome: pos.OutcomeDone, Code: "SUCCESS", ChargeCode: "20150324001069125999"}, detailHas: []string{"BEGIN_TIME"}},
		{name: "pay negative amount is not sent",
			call: func(ctx context.Context, p *POS) (pos.Reply, error) {
				r := payReq
				r.Amount = -1
				return p.Pay(ctx, r)
			},
			want: pos.Reply{Outcome: pos.OutcomeRefused}, detailHas: []string{"negative"}, wantErr: ErrInvalidRequest},
		{name: "pay with ctx done is not sent",
			call: func(ctx context.Context, p *POS) (pos.Reply, error) {
				ctx, cancel := context.WithCancel(ctx)
				cancel()
				return p.Pay(ctx, payReq)
			},
			want: pos.Reply{Outcome: pos.OutcomeUnknown}, detailHas: []string{"not sent"}, wantErr: context.Canceled},
		{name: "precreate", answer: fakeAnswer{json: `{"RESULT":{"CODE":"SUCCESS","INFO":""},"CHARGE_DOWN_CODE":"D-P","CHARGE_CODE":"C-PRE-1","BAR_CODE":"https://qr.alipay.com/x"}`},
			call: func(ctx context.Context, p *POS) (pos.Reply, error) {
				return p.Precreate(ctx, pos.PrecreateRequest{ChargeCode: "C-PRE-1", Amount: 1, Channel: pos.ChannelWeChat,
					Subject: "Tea", OperID: "cashier01", Expire: 90 * time.Second,
					Goods: []pos.GoodsLine{{ID: "7", Name: "Tea", Class: "Food", Price: 1, Quantity: 2}}})
			},
			want: pos.Reply{Outcome: pos.OutcomeDone, Code: "SUCCESS", ChargeCode: "C-PRE-1", ChargeDownCode: "D-P", BarCode: "https://qr.alipay.com/x"},
			request: func(t testing.TB, r fakeRequest) {
				want := `{"BUSI_ID":"0010000001","OPER_ID":"cashier01","DEV_ID":"POS-01","REGISTER_ID":"R-7","AMT":"0.01","CHANNEL_TYPE":"2","CHARGE_CODE":"C-PRE-1","NODIFY_URL":"http://10.0.0.5/notify?_type=json&encrypt=3DES","PAY_SUBJECT":"Tea","goodsInfos":[{"GOOD_ID":"7","GOOD_NAME":"Tea","GOOD_CLASS":"Food","GOOD_PRICE":"0.01","GOOD_SUBJECT":"Food","GOOD_QUANTITY":"2"}]}` // no TIME_EXPIRE unless configured (§4.3)
				if string(r.Plain) != want {
					t.Errorf("request:\n got %s\nwant %s", r.Plain, want)
				}
			}},
		{name: "query refunded in part", answer: fakeAnswer{json: fixtureQuery},
			call: func(ctx context.Context, p *POS) (pos.Reply, error) { return p.Query(ctx, "C-Q-1") },
			want: pos.Reply{Outcome: pos.OutcomeDone, Code: "SUCCESS", Info: "ok", HasState: true, State: pos.RemotePartiallyRefunded,
				ChargeCode: "C-Q-1", ChargeDownCode: "1435736619490", ChargeThirdCode: "4200000002", Channel: pos.ChannelWeChat,
				Amount: 15800, FundBills: []pos.FundBill{{FundChannel: "11", Amount: 10000}, {FundChannel: "41", Amount: 5800}},
				BeginTime: shanghai("2015-10-14 04:43:14"), EndTime: shanghai("2015-10-14 04:43:20"),
				MaskedCode: "1342**********4755", DevID: "POS-01", OperID: "cashier01"},
			request: func(t testing.TB, r fakeRequest) {
				if want := `{"BUSI_ID":"0010000001","CHARGE_CODE":"C-Q-1"}`; string(r.Plain) != want {
					t.Errorf("request: got %s, want %s", r.Plain, want)
				}
			}},
		{name: "query pending is state 0", answer: fakeAnswer{json: `{"RESULT":{"CODE":"SUCCESS"},"CHARGE_CODE":"C","STATE":0}`},
			call: func(ctx context.Context, p *POS) (pos.Reply, error) { return p.Query(ctx, "C") },
			want: pos.Reply{Outcome: pos.OutcomeDone, Code: "SUCCESS", HasState: true, State: pos.RemotePending, ChargeCode: "C"}},
		{name: "query without STATE", answer: fakeAnswer{json: `{"RESULT":{"CODE":"SUCCESS"},"CHARGE_CODE":"C","STATE":""}`},
			call: func(ctx context.Context, p *POS) (pos.Reply, error) { return p.Query(ctx, "C") },
			want: pos.Reply{Outcome: pos.OutcomeDone, Code: "SUCCESS", ChargeCode: "C"}},
		{name: "query nonexistent", answer: fakeAnswer{json: `{"RESULT":{"CODE":"CHARGE_NONEXISTENT","INFO":"no such transaction"}}`},
			call: func(ctx context.Context, p *POS) (pos.Reply, error) { return p.Query(ctx, "C") },
			want: pos.Reply{Outcome: pos.OutcomeRefused, Code: "CHARGE_NONEXISTENT", Info: "no such transaction"}},
		{name: "query masks a wallet code quoted in INFO",
			answer: fakeAnswer{json: `{"RESULT":{"CODE":"SUCCESS","INFO":"code 134214903060794755"},"CHARGE_CODE":"C","DYNAMIC_ID":"134214903060794755"}`},
			call:   func(ctx context.Context, p *POS) (pos.Reply, error) { return p.Query(ctx, "C") },
			want: pos.Reply{Outcome: pos.OutcomeDone, Code: "SUCCESS", Info: "code 1342**********4755", ChargeCode: "C",
				MaskedCode: "1342**********4755"}},
		{name: "cancel ACO already revoked", answer: fakeAnswer{json: `{"RESULT":{"CODE":"AREADY_REVOKED","INFO":"already revoked"}}`},
			call: func(ctx context.Context, p *POS) (pos.Reply, error) { return p.Cancel(ctx, "C-9", pos.OpTypeACO) },
			want: pos.Reply{Outcome: pos.OutcomeRefused, Code: "AREADY_REVOKED", Info: "already revoked"},
			request: func(t testing.TB, r fakeRequest) {
				if want := `{"BUSI_ID":"0010000001","CHARGE_CODE":"C-9","opType":"ACO"}`; string(r.Plain) != want {
					t.Errorf("request: got %s, want %s", r.Plain, want)
				}
			}},
		{name: "cancel now", answer: fakeAnswer{json: fixtureCancel},
			call: func(ctx context.Context, p *POS) (pos.Reply, error) { return p.Cancel(ctx, "C-9", pos.OpTypeNow) },
			want: pos.Reply{Outcome: pos.OutcomeDone, Code: "SUCCESS"},
			request: func(t testing.TB, r fakeRequest) {
				if want := `{"BUSI_ID":"0010000001","CHARGE_CODE":"C-9"}`; string(r.Plain) != want {
					t.Errorf("request: got %s, want %s", r.Plain, want)
				}
			}},
		{name: "cancel timeout", answer: fakeAnswer{json: fixtureCancel, delay: 3 * time.Second},
			call: func(ctx context.Context, p *POS) (pos.Reply, error) {
				ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
				defer cancel()
				return p.Cancel(ctx, "C-9", "")
			},
			want: pos.Reply{Outcome: pos.OutcomeUnknown}, detailHas: []string{"deadline"}},
		{name: "refund", answer: fakeAnswer{json: fixtureRefund},
			call: func(ctx context.Context, p *POS) (pos.Reply, error) {
				return p.Refund(ctx, pos.RefundRequest{ChargeCode: "C-R-1", OutRefundNo: "RF-1", Amount: 5800, Subject: "damaged", OperID: "manager01"})
			},
			want: pos.Reply{Outcome: pos.OutcomeDone, Code: "SUCCESS", Info: "ok", ChargeCode: "C-R-1", ChargeDownCode: "1435736619491",
				ChargeThirdCode: "2088110245121545155", Channel: pos.ChannelAlipay, Amount: 5800,
				FundBills: []pos.FundBill{{FundChannel: "10", Amount: 5800}}},
			request: func(t testing.TB, r fakeRequest) {
				want := `{"BUSI_ID":"0010000001","OPER_ID":"manager01","DEV_ID":"POS-01","CHARGE_REFUND_FEE":"58.00","REFUND_SUBJECT":"damaged","CHARGE_CODE":"C-R-1","OUT_REFUND_NO":"RF-1"}`
				if string(r.Plain) != want {
					t.Errorf("request:\n got %s\nwant %s", r.Plain, want)
				}
			}},
		{name: "refund too much", answer: fakeAnswer{json: `{"RESULT":{"CODE":"AMT_ERROR","INFO":"more than remains"}}`},
			call: func(ctx context.Context, p *POS) (pos.Reply, error) {
				return p.Refund(ctx, pos.RefundRequest{ChargeCode: "C-R-1", OutRefundNo: "RF-2", Amount: 99999})
			},
			want: pos.Reply{Outcome: pos.OutcomeRefused, Code: "AMT_ERROR", Info: "more than remains"}},
	}
	for _, tt := range tests {
		for _, mode := range []struct {
			name    string
			format  Format
			encrypt bool
		}{{"json", FormatJSON, false}, {"xml+3DES", FormatXML, true}} {
			t.Run(tt.name+"/"+mode.name, func(t *testing.T) {
				g := newFakeGateway(t, func(fakeRequest) fakeAnswer { return tt.answer })
				p := ForPOS(g.client(t, func(c *Config) { c.Format, c.Encrypt = mode.format, mode.encrypt }))
				p.RegisterID = "R-7"
				p.NodifyURL = "http://10.0.0.5/notify?_type=json&encrypt=3DES"
				got, err := tt.call(context.Background(), p)
				switch {
				case tt.wantErr == nil && err != nil:
					t.Fatalf("err: got %v, want nil (every answer is a Reply)", err)
				case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
					t.Fatalf("err: got %v, want %v", err, tt.wantErr)
				}
				checkReply(t, got, tt.want, tt.detailHas)
				if strings.Contains(got.Detail, testCode) || strings.Contains(got.Info, testCode) {
					t.Errorf("the wallet code leaked: %+v", got)
				}
				if tt.wantErr != nil {
					if n := g.count(); n != 0 {
						t.Errorf("%d requests sent, want none", n)
					}
					return
				}
				if tt.request != nil {
					tt.request(t, g.last())
				}
			})
		}
	}
}

func TestPOS_BatchQuery(t *testing.T) {
	g := newFakeGateway(t, fixed(fixtureBatch))
	p := ForPOS(g.client(t, nil))
	state, ch := pos.RemotePaid, pos.ChannelWeChat
	// 20:00 UTC on the 20th is already the 21st in Shanghai.
	page, err := p.BatchQuery(context.Background(), pos.BatchQueryRequest{Page: 2, PageSize: 50, State: &state, Channel: &ch,
		Begin: time.Date(2026, 11, 20, 20, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 22, 0, 0, 0, 0, Shanghai),
		UserID: "cashier01", ChargeCode: "B-1"})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"_type":"json","state":"1","beginDate":"2026-11-21","endDate":"2026-11-22","busiCode":"0010000001","userId":"cashier01","ChannelType":"2","PageNum":"2","pageSize":"50","ChargeCode":"B-1"}`
	if got := string(g.last().Plain); got != want {
		t.Errorf("request:\n got %s\nwant %s", got, want)
	}
	if page.Outcome != pos.OutcomeDone || page.Code != "SUCCESS" || len(page.Trades) != 2 {
		t.Fatalf("page: got %+v", page)
	}
	checkReply(t, page.Trades[0], pos.Reply{Outcome: pos.OutcomeDone, HasState: true, State: pos.RemotePaid, ChargeCode: "B-1",
		ChargeDownCode: "D-1", Channel: pos.ChannelAlipay, Amount: 100, FundBills: []pos.FundBill{{FundChannel: "10", Amount: 100}}}, nil)
	checkReply(t, page.Trades[1], pos.Reply{Outcome: pos.OutcomeDone, HasState: true, State: pos.RemoteClosed, ChargeCode: "B-2",
		ChargeDownCode: "D-2", Channel: pos.ChannelWeChat, Amount: 250}, nil)

	// A readable refusal is a page with err nil; no readable answer is err.
	g2 := newFakeGateway(t, fixed(`{"RESULT":{"CODE":"ILLEGAL_PARAMETER","INFO":"pageNum"}}`))
	page, err = ForPOS(g2.client(t, nil)).BatchQuery(context.Background(), pos.BatchQueryRequest{})
	if err != nil || page.Outcome != pos.OutcomeRefused || page.Code != "ILLEGAL_PARAMETER" {
		t.Errorf("refusal: got %+v, %v", page, err)
	}
	if want := `{"_type":"json","busiCode":"0010000001","PageNum":"1","pageSize":"10"}`; string(g2.last().Plain) != want {
		t.Errorf("defaults: got %s, want %s", g2.last().Plain, want)
	}
	g3 := newFakeGateway(t, func(fakeRequest) fakeAnswer { return fakeAnswer{status: 502} })
	page, err = ForPOS(g3.client(t, nil)).BatchQuery(context.Background(), pos.BatchQueryRequest{Page: 1})
	if !errors.Is(err, ErrHTTPStatus) || page.Outcome != pos.OutcomeUnknown || page.Detail == "" {
		t.Errorf("no answer: got %+v, %v; want unknown and an error", page, err)
	}
}

func TestPOS_Channels(t *testing.T) {
	g := newFakeGateway(t, fixed(fixtureChannels))
	got, err := ForPOS(g.client(t, func(c *Config) { c.Format = FormatXML })).Channels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []pos.ChannelInfo{{Name: "支付宝", Type: pos.ChannelAlipay, SortNo: 1}, {Name: "微信支付", Type: pos.ChannelWeChat, SortNo: 2}}
	if got.Outcome != pos.OutcomeDone || !reflect.DeepEqual(got.Channels, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	g2 := newFakeGateway(t, func(fakeRequest) fakeAnswer { return fakeAnswer{hijack: true} })
	if got, err := ForPOS(g2.client(t, nil)).Channels(context.Background()); !errors.Is(err, ErrNoAnswer) || got.Outcome != pos.OutcomeUnknown {
		t.Errorf("no answer: got %+v, %v", got, err)
	}
	g3 := newFakeGateway(t, fixed(`{"RESULT":{"CODE":"SERVICE_UNAVAILABLE"}}`))
	if got, err := ForPOS(g3.client(t, nil)).Channels(context.Background()); err != nil || got.Outcome != pos.OutcomeUnknown || got.Code != "SERVICE_UNAVAILABLE" {
		t.Errorf("fault code: got %+v, %v; want a readable unknown", got, err)
	}
}

func TestPOS_Login(t *testing.T) {
	manager := pos.LoginReply{Success: true, User: pos.LoginUser{ID: "7", CompanyID: "3", LoginName: "manager01", Name: "Manager",
		UserType: "2", LoginFlag: "1", DelFlag: "0", Company: pos.LoginCompany{ID: "3", Name: "Demo Store", Code: "0010000001",
			Useable: "1", DelFlag: "0", AmountLimit: "5000.00", RefundAtScene: "0", TimeLimit: "30", IsUploadGoods: "1"}}}
	tests := []struct {
		name    string
		answer  fakeAnswer
		want    pos.LoginReply
		wantErr error
	}{
		{name: "manager", answer: fakeAnswer{json: fixtureLogin}, want: manager},
		{name: "wrong password", answer: fakeAnswer{json: `{"success":"false","message":"Account/password error"}`},
			want: pos.LoginReply{Message: "Account/password error"}},
		{name: "disabled is answered true", answer: fakeAnswer{json: `{"success":true,"message":"ok","user":{"loginName":"d","userType":"1","loginFlag":"0","company":{"amountLimit":"12.5"}}}`},
			want: pos.LoginReply{Success: true, Message: "ok", User: pos.LoginUser{LoginName: "d", UserType: "1", LoginFlag: "0",
				Company: pos.LoginCompany{AmountLimit: "12.50"}}}},
		{name: "no limit given", answer: fakeAnswer{json: `{"success":"true","user":{"loginName":"x","company":{"amountLimit":""}}}`},
			want: pos.LoginReply{Success: true, User: pos.LoginUser{LoginName: "x"}}},
		// amountLimit in the notations of WIRE.md §2.4: no longer "unreachable".
		{name: "amountLimit 5000.0000", answer: fakeAnswer{json: `{"success":"true","user":{"loginName":"manager01","company":{"amountLimit":"5000.0000"}}}`},
			want: pos.LoginReply{Success: true, User: pos.LoginUser{LoginName: "manager01", Company: pos.LoginCompany{AmountLimit: "5000.00"}}}},
		{name: "amountLimit number 5E3", answer: fakeAnswer{json: `{"success":true,"user":{"loginName":"manager01","company":{"amountLimit":5E3}}}`},
			want: pos.LoginReply{Success: true, User: pos.LoginUser{LoginName: "manager01", Company: pos.LoginCompany{AmountLimit: "5000.00"}}}},
		// loginName reaches pos as sent, for pos to compare with the username.
		{name: "loginName unaltered", answer: fakeAnswer{json: `{"success":"true","user":{"loginName":"Manager01 ","userType":2.0}}`},
			want: pos.LoginReply{Success: true, User: pos.LoginUser{LoginName: "Manager01 ", UserType: "2"}}},
		{name: "flags in number notation", answer: fakeAnswer{json: `{"success":"true","user":{"loginName":"m","userType":2.0,"loginFlag":"1.00","delFlag":0,"company":{"refundAtScene":0E0,"isUploadGoods":"1","useable":"x"}}}`},
			want: pos.LoginReply{Success: true, User: pos.LoginUser{LoginName: "m", UserType: "2", LoginFlag: "1", DelFlag: "0",
				Company: pos.LoginCompany{RefundAtScene: "0", IsUploadGoods: "1", Useable: "x"}}}},
		// (XML 1.0 cannot carry C0 controls, so they are tested as C1 and bidi.)
		{name: "text cleaned", answer: fakeAnswer{json: `{"success":"true","message":"ok\u009b2J","user":{"loginName":"m","name":"Ma&amp;nager\u202e","userType":"2\u0085","company":{"name":"Shop\u009b31m"}}}`},
			want: pos.LoginReply{Success: true, Message: "ok2J", User: pos.LoginUser{LoginName: "m", Name: "Ma&nager", Company: pos.LoginCompany{Name: "Shop31m"}}}},
		{name: "unreachable", answer: fakeAnswer{status: 503}, wantErr: ErrHTTPStatus},
		{name: "unreadable success", answer: fakeAnswer{json: `{"success":"maybe"}`}, wantErr: ErrBadAnswer},
		{name: "bad amountLimit", answer: fakeAnswer{json: `{"success":"true","user":{"company":{"amountLimit":"lots"}}}`}, wantErr: ErrBadAnswer},
	}
	for _, tt := range tests {
		for _, format := range []Format{FormatJSON, FormatXML} {
			t.Run(tt.name+"/"+string(format), func(t *testing.T) {
				g := newFakeGateway(t, func(fakeRequest) fakeAnswer { return tt.answer })
				got, err := ForPOS(g.client(t, func(c *Config) { c.Format = format })).Login(context.Background(), "manager01", "s3cret-pw")
				if tt.wantErr != nil {
					if err == nil {
						t.Fatalf("got %+v, err nil; want an error", got)
					}
					if strings.Contains(err.Error(), "s3cret-pw") || strings.Contains(err.Error(), testSecret) {
						t.Errorf("error leaks a secret: %v", err)
					}
					return
				}
				if err != nil {
					t.Fatalf("err: got %v, want nil", err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("got  %+v\nwant %+v", got, tt.want)
				}
				if want := `{"username":"manager01","password":"s3cret-pw","busiCode":"0010000001"}`; string(g.last().Plain) != want {
					t.Errorf("request: got %s, want %s", g.last().Plain, want)
				}
			})
		}
	}
}

func TestPOS_Login_DomainReadsIt(t *testing.T) {
	g := newFakeGateway(t, fixed(fixtureLogin))
	c, err := pos.Login(context.Background(), ForPOS(g.client(t, nil)), nil, "manager01", "8888")
	if err != nil {
		t.Fatal(err)
	}
	if c.Role != pos.RoleManager || c.AmountLimit != 500000 || !c.RefundAtScene || !c.UploadGoods {
		t.Errorf("got %+v", c)
	}
}

func TestNotificationReply(t *testing.T) {
	n := Notification{BusiID: "0010000001", Amt: 100, ChannelType: 2, ChargeCode: "C-N", ChargeDownCode: "D-N",
		ChargeThirdCode: "T-N", State: StatePaid, FundBillList: []FundBill{{"11", 100}}}
	want := pos.Reply{Outcome: pos.OutcomeDone, HasState: true, State: pos.RemotePaid, ChargeCode: "C-N", ChargeDownCode: "D-N",
		ChargeThirdCode: "T-N", Channel: pos.ChannelWeChat, Amount: 100, FundBills: []pos.FundBill{{FundChannel: "11", Amount: 100}}}
	if got := NotificationReply(n); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	n.State, n.ChannelType = Absent, Absent
	if got := NotificationReply(n); got.HasState || got.Channel != pos.ChannelAuto {
		t.Errorf("absent: got %+v", got)
	}
}

func TestGoodsToWire_FillsRequiredFields(t *testing.T) {
	got := goodsToWire([]pos.GoodsLine{{ID: "1", Name: "Sale", Price: 100, Quantity: 1}, {ID: "2", Name: "Tea", Class: "Food", Price: 5, Quantity: 3}})
	want := []Good{{GoodID: "1", GoodName: "Sale", GoodClass: "Sale", GoodPrice: 100, GoodSubject: "Sale", GoodQuantity: "1"},
		{GoodID: "2", GoodName: "Tea", GoodClass: "Food", GoodPrice: 5, GoodSubject: "Food", GoodQuantity: "3"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// TestPOS_FaultWhenUnreachable: a gateway that refuses the connection is a
// fault (the screen says so at once); one that drops the answer is not.
func TestPOS_FaultWhenUnreachable(t *testing.T) {
	g := newFakeGateway(t, func(fakeRequest) fakeAnswer { return fakeAnswer{hijack: true} })
	c := g.client(t, nil)
	dropped, _ := ForPOS(c).Query(context.Background(), "C1")
	if dropped.Outcome != pos.OutcomeUnknown || dropped.Fault {
		t.Errorf("answer dropped: %+v, want unknown, not a fault", dropped)
	}
	g.srv.Close() // nothing listens on the port any more
	refused, _ := ForPOS(c).Query(context.Background(), "C1")
	if refused.Outcome != pos.OutcomeUnknown || !refused.Fault {
		t.Errorf("connection refused: %+v, want unknown and a fault", refused)
	}
}
