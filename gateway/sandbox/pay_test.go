package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"posterm/gateway"
)

func TestPay_LastTwoDigits(t *testing.T) {
	run := startSandbox(t, Options{TimeScale: fastScale})
	c := newClient(t, run, "json", true)
	tests := []struct {
		last2     string
		prefix    string
		code      string // "" with status/dropped
		info      string
		status    int  // non-200 status, nothing recorded
		dropped   bool // connection closed before the answer
		state     int  // ledger STATE afterwards; -1 nothing recorded
		channel   string
		serialUse bool // the serial is used up
	}{
		{last2: "00", prefix: "28", code: "SUCCESS", state: 1, channel: "1", serialUse: true},
		{last2: "45", prefix: "13", code: "SUCCESS", state: 1, channel: "2", serialUse: true},
		{last2: "89", prefix: "10", code: "SUCCESS", state: 1, channel: "2", serialUse: true},
		{last2: "90", prefix: "16", code: "SUCCESS", state: 1, channel: "1", serialUse: true},
		{last2: "98", prefix: "25", code: "SUCCESS", state: 1, channel: "1", serialUse: true},
		{last2: "99", prefix: "15", code: "SUCCESS", state: 1, channel: "2", serialUse: true},
		{last2: "91", prefix: "28", code: "SUCCESS", state: 1, channel: "1", serialUse: true},
		{last2: "92", prefix: "28", code: "FAIL", info: "insufficient balance", state: 6, channel: "1", serialUse: true},
		{last2: "93", prefix: "13", code: "FAIL", state: 6, channel: "2", serialUse: true},
		{last2: "94", prefix: "28", dropped: true, state: 1, serialUse: true},
		{last2: "95", prefix: "28", status: 503, state: -1},
		{last2: "96", prefix: "28", code: "SUCCESS", state: 1, channel: "1", serialUse: true},
		{last2: "97", prefix: "28", code: "EXCEPTION", state: -1},
	}
	for _, tt := range tests {
		t.Run(tt.last2, func(t *testing.T) {
			cc := newSerial("p" + tt.last2)
			code := payCode(tt.prefix, tt.last2)
			plain, _ := json.Marshal(payBody(cc, code, "12.30"))
			resp, raw, err := c.send(c.query(gateway.MethodPay), plain)
			switch {
			case tt.dropped:
				if err == nil {
					t.Fatalf("got HTTP %d, want the connection dropped", resp.StatusCode)
				}
			case tt.status != 0:
				if err != nil || resp.StatusCode != tt.status {
					t.Fatalf("got %v %v, want HTTP %d", resp, err, tt.status)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				m := c.open(resp, raw)
				wantCode(t, m, tt.code)
				if !strings.Contains(m.info(), tt.info) {
					t.Errorf("INFO: got %q, want %q", m.info(), tt.info)
				}
				if tt.code == "SUCCESS" {
					for k, want := range map[string]string{"AMT": "1230", "CHANNEL_TYPE": tt.channel,
						"CHARGE_CODE": cc, "OPER_ID": "cashier01", "DEV_ID": "POS-01"} {
						if got := m.str(k); got != want {
							t.Errorf("%s: got %q, want %q", k, got, want)
						}
					}
					if m.str("CHARGE_DOWN_CODE") == "" || m.str("CHARGE_THIRD_CODE") == "" || m.str("BEGIN_TIME") == "" {
						t.Errorf("paid answer lacks serials or time: %v", m)
					}
					wantBills := 1 // codes ending 80–89 add a voucher
					if tt.last2[0] == '8' {
						wantBills = 2
					}
					if bills := m.list("FUND_BILL_LIST", "TRADEFUNDBILL"); len(bills) != wantBills {
						t.Errorf("FUND_BILL_LIST: got %v, want %d bills", bills, wantBills)
					}
				}
			}
			lt, found := ledgerTxn(t, run.Server, cc)
			if tt.state < 0 {
				if found {
					t.Fatalf("ledger recorded %+v, want nothing", lt)
				}
				q := c.call(gateway.MethodQuery, queryBody(cc))
				wantCode(t, q, gateway.CodeChargeNonexistent)
			} else if !found || lt.State != tt.state {
				t.Fatalf("ledger: got %+v (found %v), want STATE %d", lt, found, tt.state)
			}
			// the serial is used up, or still free
			again := c.call(gateway.MethodPay, payBody(cc, payCode("28", "00"), "1.00"))
			want := gateway.CodeSuccess
			if tt.serialUse {
				want = gateway.CodeSerialRepeat
			}
			wantCode(t, again, want)
		})
	}
}

func TestPay_PendingThenQuery(t *testing.T) {
	run := startSandbox(t, Options{TimeScale: 0.02}) // 96: 1.7 s
	c := newClient(t, run, "xml", false)
	cc := newSerial("pend")
	done := make(chan msg, 1)
	go func() { done <- c.call(gateway.MethodPay, payBody(cc, payCode("28", "96"), "8.00")) }()
	eventually(t, "the pay to be recorded", func() bool { _, ok := ledgerTxn(t, run.Server, cc); return ok })
	q := c.call(gateway.MethodQuery, queryBody(cc))
	wantCode(t, q, gateway.CodeSuccess)
	if q.str("STATE") != "0" || q.str("FUND_BILL_LIST") != "" {
		t.Errorf("query while waiting: STATE %q, FUND_BILL_LIST %v; want 0 and none", q.str("STATE"), q["FUND_BILL_LIST"])
	}
	wantCode(t, <-done, gateway.CodeSuccess)
	wantState(t, run.Server, cc, gateway.StatePaid)
}

func TestPay_CancelWhileWaiting(t *testing.T) {
	for _, last2 := range []string{"91", "93", "96"} {
		t.Run(last2, func(t *testing.T) {
			run := startSandbox(t, Options{TimeScale: 0.05}) // 400 ms, 4 s, 4.25 s
			c := newClient(t, run, "json", false)
			cc := newSerial("cw" + last2)
			done := make(chan msg, 1)
			go func() { done <- c.call(gateway.MethodPay, payBody(cc, payCode("28", last2), "8.00")) }()
			eventually(t, "the pay to be pending", func() bool {
				lt, ok := ledgerTxn(t, run.Server, cc)
				return ok && lt.State == gateway.StatePending
			})
			wantCode(t, c.call(gateway.MethodCancel, cancelBody(cc)), gateway.CodeSuccess)
			m := <-done
			wantCode(t, m, gateway.CodeFail)
			wantState(t, run.Server, cc, gateway.StateClosed)
			if last2 == "91" { // let the wallet's late confirmation come: it must not pay
				time.Sleep(run.Server.scaled(ConfirmDelay) + 100*time.Millisecond)
				wantState(t, run.Server, cc, gateway.StateClosed)
			}
		})
	}
}

func TestPay_Strictness(t *testing.T) {
	run := startSandbox(t, Options{TimeScale: fastScale})
	c := newClient(t, run, "json", false)
	base := func() map[string]any { return payBody(newSerial("s"), payCode("28", "00"), "12.30") }
	tests := []struct {
		name string
		body map[string]any
		code string
		info string
	}{
		{"AMT 12.3", with(base(), "AMT", "12.3"), gateway.CodeIllegalParameter, "AMT"},
		{"AMT 1230", with(base(), "AMT", "1230"), gateway.CodeIllegalParameter, "AMT"},
		{"AMT 12.300", with(base(), "AMT", "12.300"), gateway.CodeIllegalParameter, "AMT"},
		{"AMT -1.00", with(base(), "AMT", "-1.00"), gateway.CodeIllegalParameter, "AMT"},
		{"AMT ¥12.30", with(base(), "AMT", "¥12.30"), gateway.CodeIllegalParameter, "AMT"},
		{"AMT number 12.3", with(base(), "AMT", json.Number("12.3")), gateway.CodeIllegalParameter, "AMT"},
		{"AMT number 12.30", with(base(), "AMT", json.Number("12.30")), gateway.CodeSuccess, ""},
		{"AMT 0.00", with(base(), "AMT", "0.00"), gateway.CodeAmtError, "AMT"},
		{"AMT 5000.01", with(base(), "AMT", "5000.01"), gateway.CodeAmtError, "AMT"},
		{"AMT 5000.00", with(base(), "AMT", "5000.00"), gateway.CodeSuccess, ""},
		{"DYNAMIC_ID 15 digits", with(base(), "DYNAMIC_ID", "284214903060700"), gateway.CodeIllegalParameter, "DYNAMIC_ID"},
		{"DYNAMIC_ID 25 digits", with(base(), "DYNAMIC_ID", "2842149030607947550000000"), gateway.CodeIllegalParameter, "DYNAMIC_ID"},
		{"DYNAMIC_ID letters", with(base(), "DYNAMIC_ID", "28421490306079475X"), gateway.CodeIllegalParameter, "DYNAMIC_ID"},
		{"DYNAMIC_ID 16 digits", with(base(), "DYNAMIC_ID", "2842149030607900"), gateway.CodeSuccess, ""},
		{"DYNAMIC_ID 24 digits", with(base(), "DYNAMIC_ID", "284214903060794755000000"), gateway.CodeSuccess, ""},
		{"DYNAMIC_ID number", with(base(), "DYNAMIC_ID", json.Number("284214903060794755")), gateway.CodeSuccess, ""},
		{"goods price 1.5", with(base(), "goodsInfos", []any{map[string]any{"GOOD_ID": "1", "GOOD_NAME": "n",
			"GOOD_CLASS": "c", "GOOD_PRICE": "1.5", "GOOD_SUBJECT": "s", "GOOD_QUANTITY": "1"}}), gateway.CodeIllegalParameter, "GOOD_PRICE"},
		{"goods line incomplete", with(base(), "goodsInfos", []any{map[string]any{"GOOD_ID": "1"}}), gateway.CodeIllegalParameter, "GOOD_NAME"},
		{"goods not a list", with(base(), "goodsInfos", "x"), gateway.CodeIllegalParameter, "goodsInfos"},
		{"CHARGE_CODE too long", with(base(), "CHARGE_CODE", strings.Repeat("9", 65)), gateway.CodeIllegalParameter, "CHARGE_CODE"},
	}
	for _, name := range []string{"BUSI_ID", "OPER_ID", "DEV_ID", "AMT", "DYNAMIC_ID", "CHARGE_CODE", "PAY_SUBJECT"} {
		tests = append(tests, struct {
			name string
			body map[string]any
			code string
			info string
		}{"missing " + name, with(base(), name, nil), gateway.CodeIllegalParameter, name})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := c.call(gateway.MethodPay, tt.body)
			wantCode(t, m, tt.code)
			if !strings.Contains(m.info(), tt.info) {
				t.Errorf("INFO %q does not name %q", m.info(), tt.info)
			}
			cc, _ := tt.body["CHARGE_CODE"].(string)
			_, recorded := ledgerTxn(t, run.Server, cc)
			if recorded != (tt.code == gateway.CodeSuccess) {
				t.Errorf("recorded %v after %s", recorded, tt.code)
			}
		})
	}
}

func TestPay_Parallel(t *testing.T) {
	run := startSandbox(t, Options{TimeScale: fastScale})
	c := newClient(t, run, "json", true)
	const distinct, same = 48, 16
	shared := newSerial("shared")
	codes := make([]string, distinct+same)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cc := shared
			if i < distinct {
				cc = fmt.Sprintf("%s-%d", shared, i)
			}
			codes[i] = c.call(gateway.MethodPay, payBody(cc, payCode("28", fmt.Sprintf("%02d", i%90)), "1.00")).code()
		}()
	}
	wg.Wait()
	success := 0
	for i, code := range codes {
		switch {
		case i < distinct && code != gateway.CodeSuccess:
			t.Errorf("pay %d: got %s, want SUCCESS", i, code)
		case i >= distinct && code == gateway.CodeSuccess:
			success++
		case i >= distinct && code != gateway.CodeSerialRepeat:
			t.Errorf("pay %d on the shared serial: got %s, want SERIAL_REPEAT", i, code)
		}
	}
	if success != 1 {
		t.Errorf("pays on one serial that succeeded: got %d, want 1", success)
	}
	if n := len(run.Server.Ledger().Transactions); n != distinct+1 {
		t.Errorf("ledger: got %d transactions, want %d", n, distinct+1)
	}
}

func TestPay_DropKeepsPaid(t *testing.T) {
	run := startSandbox(t, Options{})
	c := newClient(t, run, "json", false)
	cc := newSerial("drop")
	plain, _ := json.Marshal(payBody(cc, payCode("28", "94"), "3.00"))
	if resp, _, err := c.send(c.query(gateway.MethodPay), plain); err == nil {
		t.Fatalf("got HTTP %d, want no answer", resp.StatusCode)
	}
	q := c.call(gateway.MethodQuery, queryBody(cc))
	wantCode(t, q, gateway.CodeSuccess)
	if q.str("STATE") != "1" {
		t.Errorf("STATE: got %s, want 1", q.str("STATE"))
	}
	// the service stays up for the next call
	if resp, err := http.Get(run.URL + LedgerPath); err != nil || resp.StatusCode != 200 {
		t.Fatalf("ledger after a drop: %v %v", resp, err)
	}
}
