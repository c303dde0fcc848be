package ui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"posterm/pos"
)

// deliverAll runs cmd and hands every message of type T it yields to m.
func deliver[T any](t *testing.T, m Model, cmd tea.Cmd) Model {
	t.Helper()
	msg := findMsg[T](cmd)
	if msg == nil {
		t.Fatalf("no %T from the command", *new(T))
	}
	m, _ = update(t, m, *msg)
	return m
}

// paidCharge takes a payment of amount through the real checkout.
func paidCharge(t *testing.T, f *fixture, amount pos.Money) pos.Transaction {
	t.Helper()
	c, err := f.co.Login(f.ctx, "cashier01", "1234")
	if err != nil {
		t.Fatal(err)
	}
	tx, err := f.co.PayByCode(f.ctx, pos.PayInput{Cashier: c, Amount: amount, Code: codePaid})
	if err != nil || tx.State != pos.StatePaid {
		t.Fatalf("pay: %v %+v", err, tx)
	}
	return tx
}

// TestLive_RefundThenHistory: history, detail and the refund screen follow
// a full refund made while they are open, without being reopened.
func TestLive_RefundThenHistory(t *testing.T) {
	for _, lang := range []string{"en", "zh-CN"} {
		t.Run(lang, func(t *testing.T) {
			f := newFixture(t, lang)
			tx := paidCharge(t, f, 1234)
			m := saleModelFor(t, f)
			mm, cmd := m.openHistory()
			m = deliver[historyMsg](t, mm.(Model), cmd)
			if got := m.hist().shown; len(got) != 1 || got[0].State != pos.StatePaid {
				t.Fatalf("history before the refund: %+v", got)
			}

			mgr, err := f.co.Login(f.ctx, "manager01", "8888")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.co.Refund(f.ctx, pos.RefundInput{ChargeCode: tx.ChargeCode, Amount: 1234, Reason: "test",
				Cashier: mgr}); err != nil {
				t.Fatal(err)
			}
			m, cmd = update(t, m, journalChangedMsg{Code: tx.ChargeCode})
			m = deliver[historyMsg](t, m, cmd)
			if got := m.hist().shown; len(got) != 1 || got[0].State != pos.StateRefunded {
				t.Fatalf("history after the refund: %+v, want refunded", got)
			}
			for range 2 { // all → paid → refunded
				m, _ = update(t, m, tea.KeyMsg{Type: tea.KeyRight})
			}
			if got := m.hist().shown; len(got) != 1 {
				t.Errorf("the refunded filter finds %d rows, want 1", len(got))
			}
			if v := m.View(); !strings.Contains(v, stateText(m.e.t, pos.StateRefunded)) {
				t.Errorf("history does not say refunded:\n%s", v)
			}
		})
	}
}

// TestLive_RevokedHasNothingRemaining: a revoked charge's detail offers
// nothing to refund and says ¥0.00 remains.
func TestLive_RevokedHasNothingRemaining(t *testing.T) {
	f := newFixture(t, "en")
	tx := paidCharge(t, f, 1111)
	mgr, err := f.co.Login(f.ctx, "manager01", "8888")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.co.Revoke(f.ctx, tx.ChargeCode, mgr, nil); err != nil {
		t.Fatal(err)
	}
	m := saleModelFor(t, f)
	m, cmd := update(t, m, openDetailMsg{Code: tx.ChargeCode})
	m = deliver[detailMsg](t, m, cmd)
	d := m.detail()
	if d.tx.State != pos.StateRevoked || d.remaining() != 0 || d.canRefund() || d.canRevoke() {
		t.Errorf("revoked detail: state %s remaining %s refund %v revoke %v; want revoked, 0, no, no",
			d.tx.State, d.remaining(), d.canRefund(), d.canRevoke())
	}
	if v := m.View(); strings.Contains(v, "Remaining ¥11.11") {
		t.Errorf("a revoked charge shows money remaining:\n%s", v)
	}
}

// TestHistory_Search: by a part of the charge code, the last 4 digits of
// the payment code, and the amount.
func TestHistory_Search(t *testing.T) {
	tx := pos.Transaction{ChargeCode: "POS0120261121140237001", MaskedCode: pos.MaskCode(codePaid), Amount: 1234}
	for _, c := range []struct {
		q    string
		want bool
	}{
		{"", true}, {"0237001", true}, {"pos01", true}, {codePaid[len(codePaid)-4:], true},
		{"12.34", true}, {"¥12.34", true}, {"12.3", false}, {"1234", false}, {"9999", false}, {"12.345", false},
	} {
		if got := searchMatches(tx, c.q); got != c.want {
			t.Errorf("search %q: %v, want %v", c.q, got, c.want)
		}
	}
}

// TestUnsettled_SummarySaysWhatEachSettledTo: "Handled 2: 1 paid, 1
// closed", in both languages.
func TestUnsettled_SummarySaysWhatEachSettledTo(t *testing.T) {
	sum := pos.ReconcileSummary{Claimed: 3, Results: map[pos.ReconcileResult]int{pos.ResultPaid: 1, pos.ResultClosed: 1,
		pos.ResultRetry: 1}}
	for lang, want := range map[string]string{"en": "Handled 3: 1 paid, 1 closed; 1 still waiting.",
		"zh-CN": "本次处理 3 笔：1 笔支付成功，1 笔已关闭；仍待确认 1 笔。"} {
		if got := summaryText(newTr(lang), sum, 1); got != want {
			t.Errorf("%s: %q, want %q", lang, got, want)
		}
	}
}
