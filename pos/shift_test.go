package pos_test

import (
	"context"
	"testing"
	"time"

	"posterm/pos"
	"posterm/pos/postest"
)

func TestShift(t *testing.T) {
	e := newEnv(t)
	// Before the shift: a WeChat charge, refunded during it.
	old, _ := e.pay(3000, wechatCode)
	e.clock.Advance(time.Hour)
	start := e.clock.Now()
	a := e.mustPay(1000)            // alipay, kept
	b, _ := e.pay(2000, wechatCode) // wechat, half refunded
	c := e.mustPay(500)             // alipay, revoked
	e.gw.Script(postest.MPay, postest.Step{Act: postest.Decline})
	d, _ := e.pay(700, alipayCode) // declined
	e.gw.Script(postest.MPay, postest.Step{Act: postest.Hold})
	e.gw.Script(postest.MCancel, postest.Step{Act: postest.Down})
	u, _ := e.pay(900, alipayCode) // unknown, given up
	wantState(t, d, pos.StateDeclined)
	wantState(t, u, pos.StateUnknown)
	if _, err := e.co.Refund(e.ctx, pos.RefundInput{ChargeCode: b.ChargeCode, Amount: 1000, Cashier: e.manager}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.co.Refund(e.ctx, pos.RefundInput{ChargeCode: old.ChargeCode, Amount: 3000, Cashier: e.manager}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.co.Revoke(e.ctx, c.ChargeCode, e.manager, nil); err != nil {
		t.Fatal(err)
	}
	_ = a
	s, err := pos.Shift(e.ctx, e.j, start, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Attempts != 5 {
		t.Errorf("attempts: got %d, want 5", s.Attempts)
	}
	want := pos.ChannelTotals{Sales: pos.Tally{Count: 3, Amount: 3500}, Refunds: pos.Tally{Count: 2, Amount: 4000},
		Revokes: pos.Tally{Count: 1, Amount: 500}, Net: -1000}
	if s.Total != want {
		t.Errorf("total: got %+v, want %+v", s.Total, want)
	}
	ali := pos.ChannelTotals{Sales: pos.Tally{Count: 2, Amount: 1500}, Revokes: pos.Tally{Count: 1, Amount: 500}, Net: 1000}
	if got := s.ByChannel[pos.ChannelAlipay]; got != ali {
		t.Errorf("alipay: got %+v, want %+v", got, ali)
	}
	wx := pos.ChannelTotals{Sales: pos.Tally{Count: 1, Amount: 2000}, Refunds: pos.Tally{Count: 2, Amount: 4000}, Net: -2000}
	if got := s.ByChannel[pos.ChannelWeChat]; got != wx {
		t.Errorf("wechat: got %+v, want %+v", got, wx)
	}
	if s.Declined != (pos.Tally{Count: 1, Amount: 700}) || s.Unsettled != (pos.Tally{Count: 1, Amount: 900}) {
		t.Errorf("declined %+v, unsettled %+v", s.Declined, s.Unsettled)
	}
	if _, ok := s.ByChannel[pos.ChannelAuto]; ok {
		t.Errorf("a channel-less bucket: %+v", s.ByChannel)
	}
}

// TestShift_Cash: the X report's drawer line is cash sales less cash
// refunds, a cash sale of an earlier shift refunded in this one included,
// wallet money never.
func TestShift_Cash(t *testing.T) {
	e := newEnv(t)
	cash := func(amount pos.Money) pos.Transaction {
		t.Helper()
		tx, err := e.co.PayCash(e.ctx, pos.CashInput{Cashier: e.cashier, Amount: amount, Tendered: amount + 50})
		if err != nil {
			t.Fatal(err)
		}
		return tx
	}
	refund := func(code pos.ChargeCode, amount pos.Money) {
		t.Helper()
		if _, err := e.co.Refund(e.ctx, pos.RefundInput{ChargeCode: code, Amount: amount, Cashier: e.manager}); err != nil {
			t.Fatal(err)
		}
	}
	before := cash(800)
	e.clock.Advance(time.Hour)
	start := e.clock.Now()
	a := cash(1000)
	cash(2500)
	w := e.mustPay(4000)
	refund(a.ChargeCode, 300)
	refund(before.ChargeCode, 800)
	refund(w.ChargeCode, 1000)
	s, err := pos.Shift(e.ctx, e.j, start, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	want := pos.CashTotals{Sales: pos.Tally{Count: 2, Amount: 3500}, Refunds: pos.Tally{Count: 2, Amount: 1100}, Expected: 2400}
	if s.Cash != want {
		t.Fatalf("cash: got %+v, want %+v", s.Cash, want)
	}
	z, err := pos.CloseShift(e.ctx, e.j, zstore{}, "R1", "manager01", 2300, e.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if z.Difference != 2300-z.CashExpected {
		t.Fatalf("Z: %+v", z)
	}
}

// zstore is a ZStore with no Z yet.
type zstore struct{}

func (zstore) CloseZ(context.Context, pos.ZReport, *pos.PrintJob) error { return nil }
func (zstore) LastZ(context.Context, string) (pos.ZReport, error) {
	return pos.ZReport{}, pos.ErrNotFound
}
func (zstore) GetZ(context.Context, string, int) (pos.ZReport, error) {
	return pos.ZReport{}, pos.ErrNotFound
}
