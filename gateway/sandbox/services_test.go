package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"posterm/gateway"
	"posterm/pos"
)

func TestCancel(t *testing.T) {
	run := startSandbox(t, Options{TimeScale: fastScale})
	c := newClient(t, run, "json", true)
	s := run.Server
	paid := func() string {
		cc := newSerial("c")
		wantCode(t, c.call(gateway.MethodPay, payBody(cc, payCode("28", "10"), "20.00")), gateway.CodeSuccess)
		return cc
	}

	t.Run("paid is revoked, then AREADY_REVOKED", func(t *testing.T) {
		cc := paid()
		wantCode(t, c.call(gateway.MethodCancel, cancelBody(cc)), gateway.CodeSuccess)
		wantState(t, s, cc, gateway.StateRevoked)
		wantCode(t, c.call(gateway.MethodCancel, cancelBody(cc)), gateway.CodeAreadyRevoked)
		if lt, _ := ledgerTxn(t, s, cc); lt.RefundedFen != 0 {
			t.Errorf("REFUNDED_FEN after a revocation: got %d, want 0", lt.RefundedFen)
		}
	})
	t.Run("ACO goes through STATE 3 to 2", func(t *testing.T) {
		slow := startSandbox(t, Options{TimeScale: 0.1}) // the 3 s step takes 300 ms
		sc := newClient(t, slow, "json", false)
		cc := newSerial("aco")
		wantCode(t, sc.call(gateway.MethodPay, payBody(cc, payCode("28", "10"), "20.00")), gateway.CodeSuccess)
		wantCode(t, sc.call(gateway.MethodCancel, with(cancelBody(cc), "opType", "ACO")), gateway.CodeSuccess)
		if q := sc.call(gateway.MethodQuery, queryBody(cc)); q.str("STATE") != "3" {
			t.Errorf("STATE right after ACO: got %s, want 3", q.str("STATE"))
		}
		wantCode(t, sc.call(gateway.MethodCancel, with(cancelBody(cc), "opType", "ACO")), gateway.CodeAreadyRevoked)
		eventually(t, "STATE 2", func() bool {
			lt, _ := ledgerTxn(t, slow.Server, cc)
			return lt.State == gateway.StateRevoked
		})
	})
	t.Run("closed answers SUCCESS", func(t *testing.T) {
		cc := newSerial("closed")
		wantCode(t, c.call(gateway.MethodPay, payBody(cc, payCode("28", "92"), "20.00")), gateway.CodeFail)
		wantCode(t, c.call(gateway.MethodCancel, cancelBody(cc)), gateway.CodeSuccess)
		wantState(t, s, cc, gateway.StateClosed)
	})
	t.Run("pending precreate is closed", func(t *testing.T) {
		cc := newSerial("pc")
		wantCode(t, c.call(gateway.MethodPrecreate, precreateBody(cc, "5.00", 1)), gateway.CodeSuccess)
		wantCode(t, c.call(gateway.MethodCancel, with(cancelBody(cc), "opType", "ACO")), gateway.CodeSuccess)
		wantState(t, s, cc, gateway.StateClosed)
	})
	t.Run("refunded answers FAIL", func(t *testing.T) {
		cc := paid()
		wantCode(t, c.call(gateway.MethodRefund, refundBody(cc, "1.00", "")), gateway.CodeSuccess)
		wantCode(t, c.call(gateway.MethodCancel, cancelBody(cc)), gateway.CodeFail)
		wantState(t, s, cc, gateway.StatePartiallyRefunded)
	})
	t.Run("unknown serial is tombstoned", func(t *testing.T) {
		cc := newSerial("ghost")
		wantCode(t, c.call(gateway.MethodCancel, cancelBody(cc)), gateway.CodeChargeNonexistent)
		wantCode(t, c.call(gateway.MethodCancel, cancelBody(cc)), gateway.CodeChargeNonexistent)
		got := s.Ledger().RevokedSerials
		if n := len(slices.DeleteFunc(slices.Clone(got), func(x string) bool { return x != cc })); n != 1 {
			t.Errorf("revokedSerials %v: want %s once", got, cc)
		}
		wantCode(t, c.call(gateway.MethodPay, payBody(cc, payCode("28", "00"), "1.00")), gateway.CodeSerialRepeat)
		wantCode(t, c.call(gateway.MethodPrecreate, precreateBody(cc, "1.00", 2)), gateway.CodeSerialRepeat)
		wantCode(t, c.call(gateway.MethodQuery, queryBody(cc)), gateway.CodeChargeNonexistent)
	})
	t.Run("missing CHARGE_CODE", func(t *testing.T) {
		m := c.call(gateway.MethodCancel, map[string]any{"BUSI_ID": DemoBusiID})
		wantCode(t, m, gateway.CodeIllegalParameter)
		if !strings.Contains(m.info(), "CHARGE_CODE") {
			t.Errorf("INFO %q does not name CHARGE_CODE", m.info())
		}
	})
}

func TestRefund(t *testing.T) {
	run := startSandbox(t, Options{TimeScale: fastScale})
	c := newClient(t, run, "xml", true)
	s := run.Server
	cc := newSerial("r")
	pay := c.call(gateway.MethodPay, payBody(cc, payCode("13", "81"), "10.00")) // WeChat 9.00 + coupon 1.00
	wantCode(t, pay, gateway.CodeSuccess)
	down := pay.str("CHARGE_DOWN_CODE")
	outNo := newSerial("rf")

	first := c.call(gateway.MethodRefund, refundBody(cc, "8.50", outNo))
	wantCode(t, first, gateway.CodeSuccess)
	for k, want := range map[string]string{"AMT": "850", "CHARGE_CODE": cc, "CHARGE_DOWN_CODE": down, "CHANNEL_TYPE": "2"} {
		if got := first.str(k); got != want {
			t.Errorf("refund %s: got %q, want %q", k, got, want)
		}
	}
	wantState(t, s, cc, gateway.StatePartiallyRefunded)

	t.Run("same OUT_REFUND_NO returns the first answer", func(t *testing.T) {
		again := c.call(gateway.MethodRefund, refundBody(cc, "1.50", outNo))
		if !reflect.DeepEqual(again, first) {
			t.Errorf("repeat:\n got %v\nwant %v", again, first)
		}
		if lt, _ := ledgerTxn(t, s, cc); lt.RefundedFen != 850 || len(lt.Refunds) != 1 {
			t.Errorf("ledger after a repeat: REFUNDED_FEN %d, %d refunds; want 850, 1", lt.RefundedFen, len(lt.Refunds))
		}
	})
	t.Run("OUT_REFUND_NO of another transaction", func(t *testing.T) {
		other := newSerial("o")
		wantCode(t, c.call(gateway.MethodPay, payBody(other, payCode("28", "00"), "10.00")), gateway.CodeSuccess)
		wantCode(t, c.call(gateway.MethodRefund, refundBody(other, "1.00", outNo)), gateway.CodeSerialRepeat)
		wantState(t, s, other, gateway.StatePaid)
	})
	t.Run("above what remains", func(t *testing.T) {
		m := c.call(gateway.MethodRefund, refundBody(cc, "1.51", newSerial("rf")))
		wantCode(t, m, gateway.CodeAmtError)
	})
	t.Run("bad amounts", func(t *testing.T) {
		for fee, code := range map[string]string{"1.5": gateway.CodeIllegalParameter, "150": gateway.CodeIllegalParameter, "0.00": gateway.CodeAmtError} {
			m := c.call(gateway.MethodRefund, refundBody(cc, fee, ""))
			wantCode(t, m, code)
			if !strings.Contains(m.info(), "CHARGE_REFUND_FEE") {
				t.Errorf("INFO %q does not name CHARGE_REFUND_FEE", m.info())
			}
		}
	})
	t.Run("CHARGE_DOWN_CODE wins", func(t *testing.T) {
		last := c.call(gateway.MethodRefund, with(refundBody("no-such-serial", "1.50", newSerial("rf")), "CHARGE_DOWN_CODE", down))
		wantCode(t, last, gateway.CodeSuccess)
		if last.str("CHARGE_CODE") != cc {
			t.Errorf("CHARGE_CODE: got %q, want %q", last.str("CHARGE_CODE"), cc)
		}
		// 8.50 came from the wallet's 9.00 first, so 0.50 wallet + 1.00 coupon
		want := []any{
			map[string]any{"FUND_CHANNEL": "11", "AMOUNT": "0.50"},
			map[string]any{"FUND_CHANNEL": "41", "AMOUNT": "1.00"},
		}
		if got := last.list("FUND_BILL_LIST", "TRADEFUNDBILL"); !reflect.DeepEqual(got, want) {
			t.Errorf("FUND_BILL_LIST: got %v, want %v", got, want)
		}
		wantState(t, s, cc, gateway.StateRefunded)
		wantCode(t, c.call(gateway.MethodRefund, refundBody(cc, "0.01", "")), gateway.CodeAmtError)
	})
	t.Run("unknown and unpaid", func(t *testing.T) {
		wantCode(t, c.call(gateway.MethodRefund, refundBody("no-such-serial", "1.00", "")), gateway.CodeChargeNonexistent)
		closed := newSerial("cl")
		wantCode(t, c.call(gateway.MethodPay, payBody(closed, payCode("28", "92"), "10.00")), gateway.CodeFail)
		wantCode(t, c.call(gateway.MethodRefund, refundBody(closed, "1.00", "")), gateway.CodeFail)
		revoked := newSerial("rv")
		wantCode(t, c.call(gateway.MethodPay, payBody(revoked, payCode("28", "00"), "10.00")), gateway.CodeSuccess)
		wantCode(t, c.call(gateway.MethodCancel, cancelBody(revoked)), gateway.CodeSuccess)
		wantCode(t, c.call(gateway.MethodRefund, refundBody(revoked, "1.00", "")), gateway.CodeAreadyRevoked)
	})
	t.Run("missing fields", func(t *testing.T) {
		for _, name := range []string{"BUSI_ID", "OPER_ID", "DEV_ID", "CHARGE_REFUND_FEE", "REFUND_SUBJECT", "CHARGE_CODE"} {
			m := c.call(gateway.MethodRefund, with(refundBody(cc, "1.00", ""), name, nil))
			wantCode(t, m, gateway.CodeIllegalParameter)
			if !strings.Contains(m.info(), name) {
				t.Errorf("INFO %q does not name %s", m.info(), name)
			}
		}
	})
}

// receiver is a NODIFY_URL endpoint that refuses the first `fail` deliveries.
type receiver struct {
	t      testing.TB
	fail   int
	got    chan delivery
	format string
}

type delivery struct {
	query  map[string][]string
	plain  []byte
	answer string
}

func (rv *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	q := r.URL.Query()
	plain := body
	if q.Get("encrypt") == "3DES" {
		var err error
		if plain, err = gateway.Decrypt(body, DemoSecret); err != nil {
			rv.t.Errorf("notification does not decrypt: %v", err)
		}
	}
	if !gateway.VerifySign(plain, DemoSecret, q.Get("sign")) {
		rv.t.Errorf("notification sign %q does not match %s", q.Get("sign"), plain)
	}
	d := delivery{query: q, plain: plain, answer: "SUCCESS"}
	if rv.fail > 0 {
		rv.fail--
		d.answer = "busy"
	}
	rv.got <- d
	if d.answer == "busy" {
		http.Error(w, "busy", http.StatusInternalServerError)
		return
	}
	io.WriteString(w, "SUCCESS")
}

func TestPrecreate_CustomerPayAndNotify(t *testing.T) {
	tests := []struct {
		name, query, format string
		encrypted           bool
	}{
		{"default json 3DES", "", "json", true},
		{"xml plain", "?_type=xml&encrypt=", "xml", false},
		{"json plain", "?_type=json&encrypt=", "json", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := startSandbox(t, Options{TimeScale: fastScale})
			rv := &receiver{t: t, fail: 2, got: make(chan delivery, 64)}
			hook := startHTTP(t, rv)
			c := newClient(t, run, "json", false)
			cc := newSerial("qr")
			pre := c.call(gateway.MethodPrecreate, with(precreateBody(cc, "23.45", 1),
				"NODIFY_URL", hook+"/notify"+tt.query, "MERCHANTPARA", "MDEwMDAwMDE=", "TIME_EXPIRE", 600))
			wantCode(t, pre, gateway.CodeSuccess)
			down := pre.str("CHARGE_DOWN_CODE")
			if want := run.URL + QRPathPrefix + down; pre.str("BAR_CODE") != want {
				t.Fatalf("BAR_CODE: got %q, want %q", pre.str("BAR_CODE"), want)
			}
			if pre.str("MERCHANTPARA") != "MDEwMDAwMDE=" || pre.str("CHARGE_CODE") != cc {
				t.Errorf("precreate echoes: got %v", pre)
			}
			wantState(t, run.Server, cc, gateway.StatePending)

			page := httpGet(t, pre.str("BAR_CODE"), http.StatusOK)
			if !strings.Contains(page, "23.45") || !strings.Contains(page, "<button") {
				t.Errorf("QR page lacks the amount or the Pay button:\n%s", page)
			}
			st, body := httpPost(t, run.URL+CustomerPayPath+"?barcode="+pre.str("BAR_CODE"))
			if st != http.StatusOK {
				t.Fatalf("customer pay: HTTP %d %s", st, body)
			}
			if st, _ := httpPost(t, run.URL+CustomerPayPath+"?barcode="+down); st != http.StatusConflict {
				t.Errorf("paying twice: HTTP %d, want 409", st)
			}
			q := c.call(gateway.MethodQuery, with(queryBody(down), "serType", "1"))
			if q.str("STATE") != "1" || q.str("CHARGE_CODE") != cc || q.str("CHARGE_THIRD_CODE") == "" {
				t.Errorf("query after the customer paid: %v", q)
			}

			var last delivery
			for i := 0; i < 3; i++ {
				select {
				case last = <-rv.got:
				case <-time.After(10 * time.Second):
					t.Fatalf("notification %d never came", i+1)
				}
			}
			if last.answer != "SUCCESS" {
				t.Fatalf("third delivery answered %q", last.answer)
			}
			if got := last.query["_type"]; len(got) != 1 || got[0] != tt.format {
				t.Errorf("_type: got %v, want %s", got, tt.format)
			}
			if enc := last.query["encrypt"]; tt.encrypted != (len(enc) == 1 && enc[0] == "3DES") {
				t.Errorf("encrypt: got %v, want encrypted %v", enc, tt.encrypted)
			}
			var n msg
			if tt.format == "json" {
				var wrap map[string]map[string]any
				if err := json.Unmarshal(last.plain, &wrap); err != nil {
					t.Fatalf("notification: %v: %s", err, last.plain)
				}
				n = msg(wrap["PAY_NODIFY"])
			} else {
				root, v, err := parseXMLTree(last.plain)
				if err != nil || root != "PAY_NODIFY" {
					t.Fatalf("notification: root %s, %v: %s", root, err, last.plain)
				}
				n = msg(v.(map[string]any))
			}
			for k, want := range map[string]string{"BUSI_ID": DemoBusiID, "AMT": "2345", "CHANNEL_TYPE": "1",
				"CHARGE_CODE": cc, "CHARGE_DOWN_CODE": down, "STATE": "1", "MERCHANTPARA": "MDEwMDAwMDE=",
				"OPER_ID": "cashier01", "DEV_ID": "POS-01", "PAY_SUBJECT": "Store sale"} {
				if got := n.str(k); got != want {
					t.Errorf("PAY_NODIFY %s: got %q, want %q", k, got, want)
				}
			}
			if b := n.list("FUND_BILL_LIST", "TRADEFUNDBILL"); len(b) != 1 || b[0].(map[string]any)["AMOUNT"] != "23.45" {
				t.Errorf("PAY_NODIFY FUND_BILL_LIST: got %v", n["FUND_BILL_LIST"])
			}
			eventually(t, "NOTIFIED in the ledger", func() bool {
				lt, _ := ledgerTxn(t, run.Server, cc)
				return lt.Notified && lt.NotifyAttempts == 3
			})
			select {
			case d := <-rv.got:
				t.Errorf("a delivery after SUCCESS: %s", d.plain)
			case <-time.After(run.Server.scaled(3 * NotifyInterval)):
			}
		})
	}
}

func TestNotify_GivesUpAfter30(t *testing.T) {
	run := startSandbox(t, Options{TimeScale: fastScale})
	rv := &receiver{t: t, fail: 1000, got: make(chan delivery, 64)}
	hook := startHTTP(t, rv)
	c := newClient(t, run, "json", false)
	cc := newSerial("qr")
	pre := c.call(gateway.MethodPrecreate, with(precreateBody(cc, "1.00", 2), "NODIFY_URL", hook))
	httpPost(t, run.URL+CustomerPayPath+"?barcode="+pre.str("CHARGE_DOWN_CODE"))
	eventually(t, "30 attempts", func() bool {
		lt, _ := ledgerTxn(t, run.Server, cc)
		return lt.NotifyAttempts == NotifyAttempts
	})
	time.Sleep(run.Server.scaled(3 * NotifyInterval))
	if n := len(rv.got); n != NotifyAttempts {
		t.Errorf("deliveries: got %d, want %d", n, NotifyAttempts)
	}
	if lt, _ := ledgerTxn(t, run.Server, cc); lt.Notified {
		t.Error("NOTIFIED though every delivery failed")
	}
}

func TestPrecreate_Expiry(t *testing.T) {
	run := startSandbox(t, Options{TimeScale: 0.01})
	c := newClient(t, run, "json", false)
	short, dflt := newSerial("e"), newSerial("d")
	wantCode(t, c.call(gateway.MethodPrecreate, with(precreateBody(short, "1.00", 1), "TIME_EXPIRE", "1")), gateway.CodeSuccess)
	wantCode(t, c.call(gateway.MethodPrecreate, precreateBody(dflt, "1.00", 2)), gateway.CodeSuccess) // 120 s: 1.2 s
	eventually(t, "expiry", func() bool {
		lt, _ := ledgerTxn(t, run.Server, short)
		return lt.State == gateway.StateClosed
	})
	lt, _ := ledgerTxn(t, run.Server, short)
	if st, _ := httpPost(t, run.URL+CustomerPayPath+"?barcode="+lt.ChargeDownCode); st != http.StatusConflict {
		t.Errorf("paying an expired QR: HTTP %d, want 409", st)
	}
	wantState(t, run.Server, dflt, gateway.StatePending) // 10 ms vs 1.2 s: far apart
	eventually(t, "default expiry", func() bool {
		lt, _ := ledgerTxn(t, run.Server, dflt)
		return lt.State == gateway.StateClosed
	})
}

func TestPrecreate_Strictness(t *testing.T) {
	run := startSandbox(t, Options{PublicURL: "http://192.0.2.7:8089/"})
	c := newClient(t, run, "json", false)
	base := func() map[string]any { return precreateBody(newSerial("ps"), "9.99", 2) }
	tests := []struct {
		name string
		body map[string]any
		code string
		info string
	}{
		{"missing CHANNEL_TYPE", with(base(), "CHANNEL_TYPE", nil), gateway.CodeIllegalParameter, "CHANNEL_TYPE"},
		{"CHANNEL_TYPE x", with(base(), "CHANNEL_TYPE", "x"), gateway.CodeIllegalParameter, "CHANNEL_TYPE"},
		{"CHANNEL_TYPE 0", with(base(), "CHANNEL_TYPE", 0), gateway.CodeIllegalParameter, "CHANNEL_TYPE"},
		{"CHANNEL_TYPE 3", with(base(), "CHANNEL_TYPE", "3"), gateway.CodeInvalidContract, "CHANNEL_TYPE"},
		{"AMT 9.9", with(base(), "AMT", "9.9"), gateway.CodeIllegalParameter, "AMT"},
		{"AMT 5000.01", with(base(), "AMT", "5000.01"), gateway.CodeAmtError, "AMT"},
		{"TIME_EXPIRE 0", with(base(), "TIME_EXPIRE", "0"), gateway.CodeIllegalParameter, "TIME_EXPIRE"},
		{"NODIFY_URL relative", with(base(), "NODIFY_URL", "/notify"), gateway.CodeIllegalParameter, "NODIFY_URL"},
		{"TRADE_TYPE bad", with(base(), "TRADE_TYPE", "MWEB"), gateway.CodeIllegalParameter, "TRADE_TYPE"},
		{"JSAPI without subOpenid", with(base(), "TRADE_TYPE", "JSAPI"), gateway.CodeIllegalParameter, "subOpenid"},
		{"JSAPI", with(base(), "TRADE_TYPE", "JSAPI", "subOpenid", "o123"), gateway.CodeSuccess, ""},
		{"NATIVE", with(base(), "TRADE_TYPE", "NATIVE"), gateway.CodeSuccess, ""},
	}
	for _, name := range []string{"BUSI_ID", "OPER_ID", "DEV_ID", "AMT", "CHARGE_CODE", "PAY_SUBJECT"} {
		tests = append(tests, struct {
			name string
			body map[string]any
			code string
			info string
		}{"missing " + name, with(base(), name, nil), gateway.CodeIllegalParameter, name})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := c.call(gateway.MethodPrecreate, tt.body)
			wantCode(t, m, tt.code)
			if !strings.Contains(m.info(), tt.info) {
				t.Errorf("INFO %q does not name %q", m.info(), tt.info)
			}
			if tt.code != gateway.CodeSuccess {
				return
			}
			if want := "http://192.0.2.7:8089" + QRPathPrefix + m.str("CHARGE_DOWN_CODE"); m.str("BAR_CODE") != want {
				t.Errorf("BAR_CODE: got %q, want %q", m.str("BAR_CODE"), want)
			}
			if tt.name == "JSAPI" {
				for _, k := range []string{"CHARGE_THIRD_CODE", "appId", "timeStamp", "nonceStr", "packageData", "signType", "sign"} {
					if m.str(k) == "" {
						t.Errorf("JSAPI answer lacks %s", k)
					}
				}
			}
		})
	}
}

func TestBatchQuery(t *testing.T) {
	day := time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)
	var clock atomic.Int64 // days after `day`
	now := func() time.Time { return day.Add(time.Duration(clock.Load()) * 24 * time.Hour) }
	run := startSandbox(t, Options{TimeScale: fastScale, Now: now})
	c := newClient(t, run, "json", false)
	var serials []string
	for i := range 5 {
		clock.Store(int64(i)) // the 14th … 18th
		cc := fmt.Sprintf("b%d-%s", i, newSerial(""))
		serials = append(serials, cc)
		body := payBody(cc, payCode([]string{"28", "13"}[i%2], "00"), "1.00")
		if i == 4 {
			body["OPER_ID"] = "manager01"
		}
		wantCode(t, c.call(gateway.MethodPay, body), gateway.CodeSuccess)
	}
	wantCode(t, c.call(gateway.MethodCancel, cancelBody(serials[1])), gateway.CodeSuccess)
	page := func(extra ...any) (n string, got []string) {
		t.Helper()
		m := c.call(gateway.MethodBatchQuery, with(map[string]any{"busiCode": DemoBusiID, "pageNum": "1", "pageSize": "10"}, extra...))
		wantCode(t, m, gateway.CodeSuccess)
		for _, r := range m.list("tradeInfos") {
			got = append(got, r.(map[string]any)["CHARGE_CODE"].(string))
		}
		return m.str("chargesSize"), got
	}
	tests := []struct {
		name  string
		extra []any
		want  []string
	}{
		{"page 1", []any{"pageSize", 2}, serials[0:2]},
		{"page 2", []any{"pageSize", 2, "pageNum", 2}, serials[2:4]},
		{"page 3", []any{"pageSize", 2, "pageNum", 3}, serials[4:5]},
		{"page 4 is empty", []any{"pageSize", 2, "pageNum", 4}, nil},
		{"state 2", []any{"state", 2}, serials[1:2]},
		{"channelType 2", []any{"channelType", "2"}, []string{serials[1], serials[3]}},
		{"userId", []any{"userId", "manager01"}, serials[4:5]},
		{"chargeCode", []any{"chargeCode", serials[2]}, serials[2:3]},
		{"dates", []any{"beginDate", "2026-03-15", "endDate", "2026-03-16"}, serials[1:3]},
		{"beginDate only", []any{"beginDate", "2026-03-18"}, serials[4:5]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, got := page(tt.extra...)
			if !slices.Equal(got, tt.want) || n != fmt.Sprint(len(tt.want)) {
				t.Errorf("got %s rows %v, want %v", n, got, tt.want)
			}
		})
	}
	t.Run("rows carry the query fields", func(t *testing.T) {
		m := c.call(gateway.MethodBatchQuery, map[string]any{"busiCode": DemoBusiID, "pageNum": 1, "pageSize": 1})
		row := msg(m.list("tradeInfos")[0].(map[string]any))
		q := c.call(gateway.MethodQuery, queryBody(serials[0]))
		delete(q, "RESULT")
		if !reflect.DeepEqual(row, q) {
			t.Errorf("row %v\nquery %v", row, q)
		}
		if row.str("BEGIN_TIME") != "2026-03-14 09:30:00" {
			t.Errorf("BEGIN_TIME: got %q", row.str("BEGIN_TIME"))
		}
	})
	for name, body := range map[string]map[string]any{
		"pageNum 0":        {"busiCode": DemoBusiID, "pageNum": 0, "pageSize": 10},
		"missing pageSize": {"busiCode": DemoBusiID, "pageNum": 1},
		"bad beginDate":    {"busiCode": DemoBusiID, "pageNum": 1, "pageSize": 10, "beginDate": "2026/03/14"},
		"missing busiCode": {"pageNum": 1, "pageSize": 10},
	} {
		t.Run(name, func(t *testing.T) {
			wantCode(t, c.call(gateway.MethodBatchQuery, body), gateway.CodeIllegalParameter)
		})
	}
}

func TestChannelList(t *testing.T) {
	run := startSandbox(t, Options{})
	m := newClient(t, run, "xml", false).call(gateway.MethodChannels, map[string]any{"BUSI_ID": DemoBusiID})
	wantCode(t, m, gateway.CodeSuccess)
	var types []string
	for _, ch := range m.list("PAY_CHANNEL_LIST") {
		e := ch.(map[string]any)
		if e["CHANNEL_NAME"] == "" || e["SORT_NO"] == "" {
			t.Errorf("channel without name or order: %v", e)
		}
		types = append(types, e["CHANNEL_TYPE"].(string))
	}
	if !slices.Contains(types, "1") || !slices.Contains(types, "2") {
		t.Errorf("CHANNEL_TYPEs %v: want 1 and 2", types)
	}
}

func TestLogin(t *testing.T) {
	run := startSandbox(t, Options{})
	for _, format := range []string{"json", "xml"} {
		c := newClient(t, run, format, true)
		tests := []struct {
			user, pass, busi        string
			success, userType, flag string
		}{
			{"cashier01", "1234", "", "true", "1", "1"},
			{"manager01", "8888", DemoBusiID, "true", "2", "1"},
			{"disabled01", "0000", "", "true", "1", "0"},
			{"cashier01", "8888", "", "false", "", ""},
			{"nobody", "1234", "", "false", "", ""},
			{"cashier01", "1234", "0099999999", "false", "", ""},
			{"", "1234", "", "false", "", ""},
			{"cashier01", "", "", "false", "", ""},
		}
		for _, tt := range tests {
			t.Run(format+"/"+tt.user+"/"+tt.pass, func(t *testing.T) {
				body := map[string]any{"username": tt.user, "password": tt.pass}
				if tt.busi != "" {
					body["busiCode"] = tt.busi
				}
				m := c.call(gateway.MethodLogin, body)
				if m["RESULT"] != nil {
					t.Errorf("login answer carries RESULT")
				}
				if m.str("success") != tt.success {
					t.Fatalf("success: got %q, want %q (%v)", m.str("success"), tt.success, m)
				}
				if tt.success == "false" {
					if m.str("message") == "" || m["user"] != nil {
						t.Errorf("refusal: got %v, want a message and no user", m)
					}
					return
				}
				if got := m.str("user", "userType"); got != tt.userType {
					t.Errorf("userType: got %q, want %q", got, tt.userType)
				}
				if got := m.str("user", "loginFlag"); got != tt.flag {
					t.Errorf("loginFlag: got %q, want %q", got, tt.flag)
				}
				user := m["user"].(map[string]any)
				for _, k := range []string{"id", "companyId", "loginName", "name", "userType", "loginDate",
					"loginFlag", "delFlag", "IMEI", "teType", "appVer", "loginStatus", "company"} {
					if _, ok := user[k]; !ok {
						t.Errorf("user lacks %s", k)
					}
				}
				company := user["company"].(map[string]any)
				for k, want := range map[string]string{"code": DemoBusiID, "useable": "1", "delFlag": "0",
					"amountLimit": "5000.00", "refundAtScene": "0", "isUploadGoods": "0"} {
					if company[k] != want {
						t.Errorf("company %s: got %v, want %q", k, company[k], want)
					}
				}
				for _, k := range []string{"id", "name", "chargeMode", "profit", "timeLimit", "privateUrl"} {
					if _, ok := company[k]; !ok {
						t.Errorf("company lacks %s", k)
					}
				}
			})
		}
	}
	t.Run("without busiCode in the query", func(t *testing.T) {
		c := newClient(t, run, "json", false)
		q := c.query(gateway.MethodLogin)
		q.Del("busiCode")
		resp, raw, err := c.send(q, []byte(`{"username":"cashier01","password":"1234"}`))
		if err != nil {
			t.Fatal(err)
		}
		if m := c.open(resp, raw); m.str("success") != "true" {
			t.Errorf("got %v, want success", m)
		}
	})
}

func TestLedger_Shape(t *testing.T) {
	run := startSandbox(t, Options{TimeScale: fastScale})
	c := newClient(t, run, "json", false)
	cc := newSerial("l")
	wantCode(t, c.call(gateway.MethodPay, payBody(cc, payCode("28", "00"), "10.00")), gateway.CodeSuccess)
	wantCode(t, c.call(gateway.MethodRefund, refundBody(cc, "2.50", "R1-"+cc)), gateway.CodeSuccess)
	wantCode(t, c.call(gateway.MethodCancel, cancelBody("ghost-"+cc)), gateway.CodeChargeNonexistent)

	body := httpGet(t, run.URL+LedgerPath, http.StatusOK)
	var l map[string]any
	if err := json.Unmarshal([]byte(body), &l); err != nil {
		t.Fatalf("ledger: %v\n%s", err, body)
	}
	if l["busiCode"] != DemoBusiID {
		t.Errorf("busiCode: got %v", l["busiCode"])
	}
	if rs, _ := l["revokedSerials"].([]any); len(rs) != 1 || rs[0] != "ghost-"+cc {
		t.Errorf("revokedSerials: got %v", l["revokedSerials"])
	}
	txs, _ := l["transactions"].([]any)
	if len(txs) != 1 {
		t.Fatalf("transactions: got %v", l["transactions"])
	}
	tx := txs[0].(map[string]any)
	for k, want := range map[string]any{"KIND": "pay", "CHARGE_CODE": cc, "STATE": 4.0, "AMT_FEN": 1000.0,
		"REFUNDED_FEN": 250.0} {
		if tx[k] != want {
			t.Errorf("%s: got %#v, want %#v", k, tx[k], want)
		}
	}
	if tx["CHARGE_DOWN_CODE"] == "" {
		t.Error("CHARGE_DOWN_CODE empty")
	}
	want := []any{map[string]any{"OUT_REFUND_NO": "R1-" + cc, "AMT_FEN": 250.0}}
	if !reflect.DeepEqual(tx["REFUNDS"], want) {
		t.Errorf("REFUNDS: got %v, want %v", tx["REFUNDS"], want)
	}
	if strings.Contains(body, payCode("28", "00")) {
		t.Error("the ledger shows a whole payment code")
	}

	empty := startSandbox(t, Options{})
	if got := httpGet(t, empty.URL+LedgerPath, http.StatusOK); !strings.Contains(got, `"transactions": []`) ||
		!strings.Contains(got, `"revokedSerials": []`) {
		t.Errorf("an empty ledger has null lists: %s", got)
	}
}

func TestStateFile_SurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.json")
	opts := Options{TimeScale: 0.01, StatePath: path}
	run := startSandbox(t, opts)
	c := newClient(t, run, "json", true)
	paid, ghost, pending := newSerial("sp"), newSerial("sg"), newSerial("sq")
	wantCode(t, c.call(gateway.MethodPay, payBody(paid, payCode("13", "20"), "30.00")), gateway.CodeSuccess)
	first := c.call(gateway.MethodRefund, refundBody(paid, "5.00", "RF-"+paid))
	wantCode(t, first, gateway.CodeSuccess)
	wantCode(t, c.call(gateway.MethodCancel, cancelBody(ghost)), gateway.CodeChargeNonexistent)
	wantCode(t, c.call(gateway.MethodPrecreate, with(precreateBody(pending, "1.00", 1), "TIME_EXPIRE", 100)), gateway.CodeSuccess) // 1 s
	before := run.Server.Ledger()
	run.Close()

	again := startSandbox(t, opts)
	c = newClient(t, again, "json", true)
	if after := again.Server.Ledger(); !reflect.DeepEqual(after, before) {
		t.Errorf("ledger after restart:\n got %+v\nwant %+v", after, before)
	}
	if m := c.call(gateway.MethodRefund, refundBody(paid, "9.00", "RF-"+paid)); !reflect.DeepEqual(m, first) {
		t.Errorf("repeated refund after restart: got %v, want %v", m, first)
	}
	wantCode(t, c.call(gateway.MethodPay, payBody(ghost, payCode("28", "00"), "1.00")), gateway.CodeSerialRepeat)
	wantCode(t, c.call(gateway.MethodPay, payBody(paid, payCode("28", "00"), "1.00")), gateway.CodeSerialRepeat)
	q := c.call(gateway.MethodQuery, queryBody(paid))
	if q.str("STATE") != "4" || q.str("DYNAMIC_ID") != pos.MaskCode(payCode("13", "20")) {
		t.Errorf("query after restart: %v (the state file keeps payment codes masked)", q)
	}
	if b, err := os.ReadFile(path); err != nil || strings.Contains(string(b), payCode("13", "20")) {
		t.Errorf("the state file holds a whole payment code (err %v)", err)
	}
	// the expiry timer resumed
	eventually(t, "the precreate to expire after the restart", func() bool {
		lt, _ := ledgerTxn(t, again.Server, pending)
		return lt.State == gateway.StateClosed
	})
	// new serials do not collide with old ones
	fresh := newSerial("sf")
	m := c.call(gateway.MethodPay, payBody(fresh, payCode("28", "00"), "1.00"))
	for _, lt := range before.Transactions {
		if lt.ChargeDownCode == m.str("CHARGE_DOWN_CODE") {
			t.Errorf("CHARGE_DOWN_CODE %s reused after restart", lt.ChargeDownCode)
		}
	}
	if matches, _ := filepath.Glob(path + ".tmp*"); len(matches) > 0 {
		t.Errorf("temporary files left: %v", matches)
	}
}

func TestNew_Options(t *testing.T) {
	for _, o := range []Options{{TimeScale: -1}, {PublicURL: "192.0.2.7:8089"}} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v): no error", o)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	writeFileAtomic(bad, []byte("{not json"))
	if _, err := New(Options{StatePath: bad}); err == nil {
		t.Error("a corrupt state file was accepted")
	}
}

// ---- small HTTP helpers ----

func startHTTP(t testing.TB, h http.Handler) string {
	t.Helper()
	run := &http.Server{Handler: h}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go run.Serve(ln)
	t.Cleanup(func() { run.Close() })
	return "http://" + ln.Addr().String()
}

func httpGet(t testing.TB, u string, want int) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: HTTP %d, want %d: %s", u, resp.StatusCode, want, b)
	}
	return string(b)
}

func httpPost(t testing.TB, u string) (int, string) {
	t.Helper()
	resp, err := http.Post(u, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
