package ui

import (
	"strings"
	"testing"
	"time"
	"unicode"

	"posterm/pos"
)

// TestMoneyWords_EveryOutcome walks every outcome through the one table in
// both languages: each says plainly whether the money moved and what to do,
// "not charged" only where the customer was not charged, and the result
// screen shows it whole at 80×25.
func TestMoneyWords_EveryOutcome(t *testing.T) {
	notCharged := map[outcomeKind]bool{outDeclined: true, outClosed: true, outCancelled: true}
	must := map[outcomeKind][][2]string{ // (zh, en) phrases each must say
		outPaid:      {{"交付商品", "Hand over the goods"}},
		outDeclined:  {{"未被扣款", "not charged"}},
		outClosed:    {{"未被扣款", "not charged"}},
		outCancelled: {{"未被扣款", "not charged"}},
		outRevoked:   {{"曾被扣款", "was charged"}, {"退回", "refund is on its way"}, {"请勿交付商品", "Do not hand over the goods"}},
		outUnknown:   {{"请勿交付商品", "Do not hand over the goods"}, {"不要让顾客再次付款", "do not let the customer pay again"}, {"正在核查", "checking"}},
		outFault:     {{"网关", "gateway"}, {"不是顾客的问题", "not the customer's doing"}, {"正在核查", "checking"}, {"换一种方式", "another way"}},
	}
	for _, k := range outcomeKinds {
		w, ok := moneyWords[k]
		if !ok {
			t.Errorf("outcome %d has no wording", k)
			continue
		}
		for i, lang := range []string{"zh-CN", "en"} {
			tt := newTr(lang)
			all := tt.pick(w.Head) + " " + tt.pick(w.Money) + " " + tt.pick(w.Next)
			for _, part := range []text{w.Head, w.Money, w.Next} {
				if strings.TrimSpace(tt.pick(part)) == "" {
					t.Errorf("%s outcome %d: empty sentence", lang, k)
				}
			}
			says := strings.Contains(all, "未被扣款") || strings.Contains(all, "未扣款") || strings.Contains(strings.ToLower(all), "not charged")
			if says != notCharged[k] {
				t.Errorf("%s outcome %d says not charged: %v, want %v: %q", lang, k, says, notCharged[k], all)
			}
			for _, p := range must[k] {
				if !strings.Contains(strings.ToLower(all), strings.ToLower(p[i])) {
					t.Errorf("%s outcome %d: %q does not say %q", lang, k, all, p[i])
				}
			}
			for _, r := range all {
				if lang == "zh-CN" && unicode.IsLetter(r) && r < 0x80 {
					t.Errorf("zh outcome %d has English: %q", k, all)
					break
				}
				if lang == "en" && unicode.Is(unicode.Han, r) {
					t.Errorf("en outcome %d has Chinese: %q", k, all)
					break
				}
			}
			// On the result screen, whole, at 80×25.
			f := newFixture(t, lang)
			m := saleModelFor(t, f)
			tx := pos.Transaction{ChargeCode: "POS0120261121140237001", Amount: 1234, State: pos.StateUnknown}
			m.set(scrResult, newResult(m.e, m.cashier, outcome{Kind: k, Tx: tx}, 80, 25))
			m.screen = scrResult
			view := m.View()
			checkFrame(t, view, 80, 25)
			flat := strings.Join(strings.Fields(view), "")
			for _, part := range []text{w.Head, w.Money, w.Next} {
				if want := strings.Join(strings.Fields(tt.pick(part)), ""); !strings.Contains(flat, want) {
					t.Errorf("%s outcome %d: the result screen does not show %q whole:\n%s", lang, k, tt.pick(part), view)
				}
			}
			if strings.Contains(view, "…") {
				t.Errorf("%s outcome %d: the result screen cuts a line:\n%s", lang, k, view)
			}
		}
	}
}

// TestOutcomeOf: the journal's state (with how the charge ended) picks the
// outcome; revoked is always "charged, then revoked", aborted or not.
func TestOutcomeOf(t *testing.T) {
	for _, c := range []struct {
		state          pos.State
		giveUp         bool
		aborted, fault bool
		want           outcomeKind
	}{
		{pos.StatePaid, false, false, false, outPaid},
		{pos.StatePaid, true, true, false, outUnknown}, // given up, found paid: to be revoked
		{pos.StateDeclined, false, false, false, outDeclined},
		{pos.StateClosed, false, false, false, outClosed},
		{pos.StateClosed, true, true, false, outCancelled},
		{pos.StateVoided, true, true, false, outCancelled},
		{pos.StateRevoked, true, true, false, outRevoked},
		{pos.StateRevoked, true, false, false, outRevoked},
		{pos.StateUnknown, false, false, false, outUnknown},
		{pos.StateUnknown, false, false, true, outFault},
		{pos.StateUnknown, true, true, true, outFault},
		{"", false, false, false, outUnknown},
	} {
		tx := pos.Transaction{State: c.state, GiveUp: c.giveUp}
		if got := outcomeOf(tx, payScan, saleDraft{}, c.aborted, c.fault).Kind; got != c.want {
			t.Errorf("%s give-up %v aborted %v fault %v: %d, want %d", c.state, c.giveUp, c.aborted, c.fault, got, c.want)
		}
	}
}

// TestGatewaySays: every result code of the appendix has catalogue text;
// a zh screen never shows the gateway's English.
func TestGatewaySays(t *testing.T) {
	codes := []string{"SUCCESS", "FAIL", "ILLEGAL_PARAMETER", "INVALID_SIGN", "AMT_ERROR", "DATABASE_ERROR",
		"INVALID_CONTRACT", "UNREGISTERED_BUSI", "EXCEPTION", "CHARGE_NONEXISTENT", "SERVICE_UNAVAILABLE",
		"HTTP_EXCEPTION", "IO_EXCEPTION", "CREATE_SECURITY_CONNECTION_ERROR", "AREADY_REVOKED", "SERIAL_REPEAT"}
	for _, c := range codes {
		if _, ok := resultCodeWords[c]; !ok {
			t.Errorf("%s has no catalogue text", c)
		}
	}
	zh, en := newTr("zh-CN"), newTr("en")
	if got := gatewaySays(zh, "FAIL", "insufficient balance"); strings.Contains(got, "insufficient") || got == "" {
		t.Errorf("zh: %q", got)
	}
	if got := gatewaySays(zh, "FAIL", "余额不足"); !strings.Contains(got, "余额不足") {
		t.Errorf("zh with Chinese info: %q", got)
	}
	if got := gatewaySays(en, "FAIL", "insufficient balance\x1b[31m"); !strings.Contains(got, "insufficient balance") || strings.Contains(got, "\x1b") {
		t.Errorf("en: %q", got)
	}
}

// TestQR_GatewayFault: a fault while the QR is shown is said at once, on
// the QR screen, and the outcome after it is "gateway fault".
func TestQR_GatewayFault(t *testing.T) {
	for _, lang := range []string{"en", "zh-CN"} {
		f := newFixture(t, lang)
		m := saleModelFor(t, f)
		q := newQR(m.e, m.cashier, saleDraft{Amount: 880}, start)
		q.phase, q.channels = qrShowing, []pos.ChannelInfo{{Type: pos.ChannelAlipay}}
		q.tx = pos.Transaction{ChargeCode: "C1", Channel: pos.ChannelAlipay, BarCode: "http://x/qr/1", ExpiresAt: start.Add(time.Minute)}
		q, _ = q.update(awaitProgressMsg{Code: "C1", P: pos.Progress{ChargeCode: "C1", Phase: pos.PhaseWaiting, Fault: true}})
		if !q.fault || q.note != "qr.fault" {
			t.Fatalf("%s: fault %v note %q", lang, q.fault, q.note)
		}
		m.set(scrQR, q)
		m.screen = scrQR
		view := m.View()
		checkFrame(t, view, 80, 25)
		if want := string([]rune(m.e.t.T("qr.fault"))[:4]); !strings.Contains(view, want) {
			t.Errorf("%s: the QR screen does not say the gateway failed:\n%s", lang, view)
		}
		_, cmd := q.update(awaitDoneMsg{Code: "C1", Tx: pos.Transaction{ChargeCode: "C1", State: pos.StateUnknown}})
		if msg := findMsg[showResultMsg](cmd); msg == nil || msg.Res.Kind != outFault {
			t.Errorf("%s: after a fault the outcome is %+v, want gateway fault", lang, msg)
		}
	}
}
