package cli

import (
	"encoding/json"
	"testing"

	"posterm/gateway"
	"posterm/gateway/sandbox/hostile"
	"posterm/pos"
)

// Case 5 (issue 8): notations the vendor's document allows must not turn a
// paid sale into "unknown" (and then revoked): a proxy rewrites the
// sandbox's answers into each notation, and the sale must end paid, at the
// gateway as in the journal.
func TestHostile_OddNotations(t *testing.T) {
	set := func(field string, v any) hostile.Rule {
		return func(req, ans map[string]any) map[string]any {
			if _, ok := ans[field]; ok {
				ans[field] = v
			}
			return ans
		}
	}
	for _, tt := range []struct {
		name string
		rule hostile.Rule
	}{
		{"AmtAsString", set("AMT", "10000")},
		{"AmtWithDecimalZero", set("AMT", json.Number("10000.0"))},
		{"AmtWithExponent", set("AMT", json.Number("1.0E4"))},
		{"AmtStringTrailingZeros", set("AMT", "10000.00")},
		{"ChannelTypeDecimal", set("CHANNEL_TYPE", json.Number("1.0"))},
		{"FundBillsAsJSONString", set("FUND_BILL_LIST", `{"TRADEFUNDBILL":[{"FUND_CHANNEL":"10","AMOUNT":"100.00"}]}`)},
		{"GoodsDetailAsJSONString", set("GOODS_DETAIL", `[{"GOOD_ID":"1","GOOD_NAME":"x","GOOD_PRICE":"100.00","GOOD_QUANTITY":"1"}]`)},
		{"FundBillsAsXMLString", set("FUND_BILL_LIST", `<FUND_BILL_LIST><TRADEFUNDBILL><FUND_CHANNEL>10</FUND_CHANNEL><AMOUNT>100.00</AMOUNT></TRADEFUNDBILL></FUND_BILL_LIST>`)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e, hp := hostileEnv(t)
			hp.On(gateway.MethodPay, tt.rule)
			hp.On(gateway.MethodQuery, tt.rule)
			code, stdout, stderr := e.run(t, "pay", "--amount", "100.00", "--code", walletCode("28", "51"), "--json")
			tx := decodeTx(t, stdout)
			if code != exitDone || tx.State != pos.StatePaid || tx.Amount != 10000 {
				t.Fatalf("exit %d, %s (%q)\n%s", code, tx.State, tx.LastError, stderr)
			}
			if lt, _ := ledgerTxn(fetchLedger(t, e.sb), tx.ChargeCode); lt.State != 1 {
				t.Errorf("sandbox STATE %d, want 1 (paid, not revoked)", lt.State)
			}
		})
	}
	t.Run("AmountLimitFourDecimals", func(t *testing.T) {
		e, hp := hostileEnv(t)
		hp.On(gateway.MethodLogin, func(req, ans map[string]any) map[string]any {
			if u, ok := ans["user"].(map[string]any); ok {
				if c, ok := u["company"].(map[string]any); ok {
					c["amountLimit"] = "5000.0000"
				}
			}
			return ans
		})
		code, stdout, stderr := e.run(t, "login", "--user", "cashier01", "--password", "1234")
		if code != exitDone {
			t.Fatalf("login: exit %d\n%s\n%s", code, stdout, stderr)
		}
	})
}
