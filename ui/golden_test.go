package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"posterm/pos"
	"posterm/pos/postest"
)

// Sandbox-style wallet codes (WIRE.md §9: the last two digits choose).
const (
	codePaid = "283456789012345600"
	eanCode  = "6901234567892" // a product's EAN-13: must be refused
)

// scenario drives the register to one screen.
type scenario struct {
	name string
	opts []fixtureOpt
	prep func(f *fixture)
	run  func(d *driver)
}

func toSale(d *driver) {
	d.t.Helper()
	d.login("cashier01", "1234")
	d.waitScreen(scrSale)
}

// paidSale takes ¥158.00 with a wallet code scanned on the sale screen.
func paidSale(d *driver) Model {
	d.t.Helper()
	toSale(d)
	d.amount("158", 15800)
	d.scanCode(codePaid)
	return d.waitModel("paid", func(m Model) bool { return m.screen == scrResult && m.result().res.Kind == outPaid })
}

// payingHeld starts a payment whose answer is lost while the customer is
// still confirming (the fake gateway's Hold): the register queries.
func payingHeld(d *driver) Model {
	d.t.Helper()
	d.f.gw.Script(postest.MPay, postest.Step{Act: postest.Hold})
	toSale(d)
	d.amount("158", 15800)
	d.key(tea.KeyF2)
	d.waitScreen(scrScan)
	d.scanCode(codePaid)
	return d.waitModel("querying", func(m Model) bool {
		return m.scan().phase == scanPaying && m.scan().code != "" && m.scan().prog.Phase == pos.PhaseQuerying
	})
}

// advanceQueries lets the checkout's query loop run n times on the fake clock.
func advanceQueries(d *driver, n int) {
	d.t.Helper()
	for range n {
		d.f.clock.BlockUntil(1)
		d.f.clock.Advance(d.f.co.Timings().QueryInterval)
	}
	d.f.clock.BlockUntil(1)
}

// unknownSale ends with a charge not confirmed: the gateway fails the pay
// (a 503), the cashier cancels, and the cancel fails too.
func unknownSale(d *driver) Model {
	d.t.Helper()
	d.f.gw.Script(postest.MPay, postest.Step{Act: postest.Down})
	d.f.gw.Script(postest.MCancel, postest.Step{Act: postest.Down})
	toSale(d)
	d.amount("88", 8800)
	d.scanCode("134567890123456794")
	d.waitModel("querying", func(m Model) bool { return m.scan().prog.Phase == pos.PhaseQuerying })
	d.key(tea.KeyEsc)
	return d.waitModel("not confirmed", func(m Model) bool { return m.screen == scrResult && m.result().res.Kind == outFault })
}

// faultSale: the gateway answers the pay with a fault; the screen says so
// at once (no countdown) and offers another way to pay.
func faultSale(d *driver) Model {
	d.t.Helper()
	d.f.gw.Script(postest.MPay, postest.Step{Act: postest.Down})
	toSale(d)
	d.amount("88", 8800)
	d.scanCode("134567890123456795")
	return d.waitModel("gateway fault", func(m Model) bool { return m.scan().fault && m.gw == gwFault })
}

func openDetail(d *driver) {
	d.t.Helper()
	d.key(tea.KeyF5)
	d.waitModel("history", func(m Model) bool { return m.screen == scrHistory && len(m.hist().shown) > 0 })
	d.key(tea.KeyEnter)
	d.waitModel("detail", func(m Model) bool { return m.screen == scrDetail && m.detail().loaded && !m.detail().liveBusy })
}

// refundForm fills a refund of ¥58.00 authorised by manager01.
func fillRefund(d *driver) {
	d.t.Helper()
	paidSale(d)
	d.key(tea.KeyEnter)
	d.waitScreen(scrSale)
	openDetail(d)
	d.typ("f")
	d.waitScreen(scrRefund)
	d.key(tea.KeyDelete)
	d.typ("58")
	d.key(tea.KeyTab)
	d.typ("item returned")
	d.key(tea.KeyTab)
	d.typ("manager01")
	d.key(tea.KeyTab)
	d.typ("8888")
	d.waitModel("form filled", func(m Model) bool { return m.refund().mgrPW.Value() == "8888" })
}

var scenarios = []scenario{
	{name: "login", run: func(d *driver) { d.waitScreen(scrLogin) }},
	{name: "login_disabled", run: func(d *driver) {
		d.typ("disabled01")
		d.key(tea.KeyEnter)
		d.typ("0000")
		d.key(tea.KeyEnter)
		d.waitModel("refused", func(m Model) bool { return m.login().errKey == "login.err.disabled" })
	}},
	{name: "login_unreachable", prep: func(f *fixture) { f.gw.Unreachable = true }, run: func(d *driver) {
		d.typ("cashier01")
		d.key(tea.KeyEnter)
		d.typ("1234")
		d.key(tea.KeyEnter)
		d.waitModel("unreachable", func(m Model) bool { return m.login().errKey == "login.err.unreachable" })
		d.tm.Send(probeMsg{OK: false})
		d.waitModel("offline", func(m Model) bool { return m.gw == gwOffline })
	}},
	{name: "locked", run: func(d *driver) {
		toSale(d)
		d.amount("158", 15800)
		d.f.clock.Advance(5 * time.Minute)
		d.tm.Send(tickMsg{At: d.f.clock.Now()})
		d.waitModel("locked", func(m Model) bool { return m.screen == scrLogin && m.login().isLocked })
	}},
	{name: "sale", run: func(d *driver) {
		toSale(d)
		d.amount("158.5", 15850)
		d.key(tea.KeyTab)
		d.typ("Fruit")
		d.key(tea.KeyTab)
		d.waitModel("subject", func(m Model) bool { return m.sale().subject.Value() == "Fruit" && !m.sale().subjectFocus })
	}},
	{name: "sale_product_barcode", run: func(d *driver) {
		toSale(d)
		d.amount("158", 15800)
		d.scanCode(eanCode)
		d.waitModel("refused", func(m Model) bool { return m.sale().note == "scan.refused" })
	}},
	{name: "scan_waiting", run: func(d *driver) {
		toSale(d)
		d.amount("158", 15800)
		d.key(tea.KeyF2)
		d.waitScreen(scrScan)
		d.scanCode(eanCode)
		d.waitModel("refused", func(m Model) bool { return m.scan().refused != "" })
	}},
	{name: "scan_paying", run: func(d *driver) {
		payingHeld(d)
		advanceQueries(d, 4)
		d.waitModel("12 s", func(m Model) bool {
			return m.scan().prog.Queries == 4 && m.now.Equal(start.Add(12*time.Second))
		})
	}},
	{name: "qr_pick", run: func(d *driver) {
		toSale(d)
		d.amount("158", 15800)
		d.key(tea.KeyF3)
		d.waitModel("pick", func(m Model) bool { return m.qr().phase == qrPick })
	}},
	{name: "qr", run: func(d *driver) {
		toSale(d)
		d.amount("158", 15800)
		d.key(tea.KeyF3)
		d.waitModel("pick", func(m Model) bool { return m.qr().phase == qrPick })
		d.key(tea.KeyEnter)
		d.waitModel("showing", func(m Model) bool { return m.qr().phase == qrShowing })
		d.f.clock.Advance(13 * time.Second) // the countdown moves with the clock
		d.tm.Send(tickMsg{At: d.f.clock.Now()})
		d.waitModel("countdown", func(m Model) bool { return m.qr().now.Equal(start.Add(13 * time.Second)) })
	}},
	{name: "result_paid", run: func(d *driver) {
		m := paidSale(d)
		d.f.printer <- PrinterEvent{Kind: PrinterPrinted, ChargeCode: m.result().res.Tx.ChargeCode}
		d.waitModel("printed, preview", func(m Model) bool { return m.result().receipt == receiptPrinted && len(m.result().preview) > 0 })
	}},
	{name: "cash", run: func(d *driver) {
		toSale(d)
		d.amount("158", 15800)
		d.runes("c")
		d.waitScreen(scrCash)
		d.runes("e")
		d.runes("r")
		d.runes("w")
		d.waitModel("¥170 tendered", func(m Model) bool { return m.cash().tendered.Money() == 17000 })
	}},
	{name: "cash_short", run: func(d *driver) {
		toSale(d)
		d.amount("158", 15800)
		d.runes("c")
		d.waitScreen(scrCash)
		d.typ("100")
		d.key(tea.KeyEnter)
		d.waitModel("short", func(m Model) bool { return m.cash().note == "cash.short" })
	}},
	{name: "result_cash", run: func(d *driver) {
		toSale(d)
		d.amount("158", 15800)
		d.runes("c")
		d.waitScreen(scrCash)
		d.typ("200")
		d.key(tea.KeyEnter)
		m := d.waitModel("paid in cash, preview", func(m Model) bool {
			return m.screen == scrResult && m.result().res.Kind == outPaid && len(m.result().preview) > 0
		})
		tx := m.result().res.Tx
		if tx.Kind != pos.KindCash || tx.Tendered != 20000 || tx.CashChange() != 4200 {
			d.t.Errorf("cash sale journaled as %+v", tx)
		}
		if n := len(d.f.gw.Calls()); n > 1 { // the login only
			d.t.Errorf("a cash sale called the gateway: %+v", d.f.gw.Calls())
		}
	}},
	{name: "drawer_reason", run: func(d *driver) {
		toSale(d)
		d.runes("o")
		d.waitScreen(scrTill)
		d.key(tea.KeyEnter)
		d.waitModel("reason needed", func(m Model) bool { return m.till().note == "till.reason.need" })
		if d.f.drawer.count() != 0 {
			d.t.Error("the drawer opened without a reason")
		}
	}},
	{name: "drawer_opened", run: func(d *driver) {
		toSale(d)
		d.runes("o")
		d.waitScreen(scrTill)
		d.typ("change for the float")
		d.key(tea.KeyEnter)
		d.waitModel("opened", func(m Model) bool { return m.till().note == "till.drawer.done" })
		log, _ := d.f.drawer.DrawerOpenings(context.Background(), time.Time{}, time.Time{})
		if len(log) != 1 || log[0].Who != "cashier01" || log[0].Reason != "change for the float" {
			d.t.Errorf("drawer log: %+v", log)
		}
	}},
	{name: "shift_close_busy", run: func(d *driver) {
		unknownSale(d)
		d.key(tea.KeyEnter)
		d.waitScreen(scrSale)
		d.key(tea.KeyF9)
		d.waitScreen(scrTill)
		d.typ("100")
		d.key(tea.KeyEnter)
		d.waitModel("refused", func(m Model) bool { return m.till().note == "till.close.busy" && len(m.till().open) == 1 })
	}},
	{name: "shift_close_z", run: func(d *driver) {
		toSale(d)
		d.amount("158", 15800)
		d.runes("c")
		d.waitScreen(scrCash)
		d.typ("200")
		d.key(tea.KeyEnter)
		d.waitModel("paid in cash", func(m Model) bool { return m.screen == scrResult })
		d.key(tea.KeyEnter)
		d.waitScreen(scrSale)
		d.f.clock.Advance(time.Minute)
		d.runes("z")
		d.waitScreen(scrTill)
		d.typ("150")
		d.key(tea.KeyEnter)
		m := d.waitModel("Z", func(m Model) bool { return m.till().z != nil })
		if z := m.till().z; z.Number != 1 || z.CashExpected != 15800 || z.CashCounted != 15000 || z.Difference != -800 {
			d.t.Errorf("Z: %+v", z)
		}
	}},
	{name: "result_declined", run: func(d *driver) {
		d.f.gw.Script(postest.MPay, postest.Step{Act: postest.Decline})
		toSale(d)
		d.amount("158", 15800)
		d.scanCode("283456789012345692")
		d.waitModel("declined", func(m Model) bool { return m.screen == scrResult && m.result().res.Kind == outDeclined })
	}},
	{name: "result_cancelled", run: func(d *driver) {
		payingHeld(d)
		d.key(tea.KeyEsc)
		d.waitModel("cancelled", func(m Model) bool { return m.screen == scrResult && m.result().res.Kind == outCancelled })
	}},
	{name: "result_unknown", run: func(d *driver) { unknownSale(d) }},
	// The answer is lost while the customer confirms; Esc; the cancel gets
	// no answer: not confirmed (no fault was seen).
	{name: "result_unknown_lost", run: func(d *driver) {
		d.f.gw.Script(postest.MCancel, postest.Step{Act: postest.Lost, Reply: pos.Reply{}})
		payingHeld(d)
		d.f.gw.Script(postest.MQuery, postest.Step{Act: postest.Answer, Reply: pos.Reply{Outcome: pos.OutcomeUnknown}})
		d.key(tea.KeyEsc)
		d.waitModel("not confirmed", func(m Model) bool { return m.screen == scrResult })
	}},
	{name: "scan_fault", run: func(d *driver) { faultSale(d) }},
	// Gateway fault, then the cashier takes the payment by QR: the charge
	// is given up and acknowledged, and the QR screen opens for the sale.
	{name: "fault_then_qr", run: func(d *driver) {
		d.f.gw.Script(postest.MCancel, postest.Step{Act: postest.Down})
		faultSale(d)
		d.key(tea.KeyF3)
		m := d.waitModel("QR", func(m Model) bool { return m.screen == scrQR && m.qr().phase == qrPick })
		if m.qr().draft.Amount != 8800 {
			d.t.Errorf("the QR charges %s, want ¥88.00", m.qr().draft.Amount)
		}
		txs, _ := d.f.j.List(context.Background(), pos.Filter{})
		if len(txs) != 1 || !txs[0].GiveUp || txs[0].AckedBy == "" {
			d.t.Errorf("the faulted charge is %+v; want given up and acknowledged", txs)
		}
	}},
	// The first bug: the answer of a payment that went through is
	// lost, the cashier presses Esc, the cancel revokes the charge. The
	// screen must say the customer was charged and the refund is on its
	// way — never "not charged".
	{name: "result_revoked", run: func(d *driver) {
		d.f.gw.Script(postest.MPay, postest.Step{Act: postest.Lost})
		toSale(d)
		d.amount("12.34", 1234)
		d.scanCode("283456789012345694")
		d.waitModel("querying", func(m Model) bool { return m.scan().prog.Phase == pos.PhaseQuerying })
		d.key(tea.KeyEsc)
		m := d.waitModel("revoked", func(m Model) bool { return m.screen == scrResult })
		if k := m.result().res.Kind; k != outRevoked {
			d.t.Fatalf("lost answer then Esc ends %v, want revoked", k)
		}
		if v := m.View(); strings.Contains(v, "not charged") || strings.Contains(v, "未被扣款") || strings.Contains(v, "未扣款") {
			d.t.Errorf("a charged-then-revoked payment says not charged:\n%s", v)
		}
	}},
	{name: "history", run: func(d *driver) {
		paidSale(d)
		d.key(tea.KeyEnter)
		d.waitScreen(scrSale)
		d.f.gw.Script(postest.MPay, postest.Step{Act: postest.Decline})
		d.amount("20", 2000)
		d.scanCode("134567890123456792")
		d.waitModel("declined", func(m Model) bool { return m.screen == scrResult && m.result().res.Kind == outDeclined })
		d.key(tea.KeyF5)
		d.waitModel("history", func(m Model) bool { return m.screen == scrHistory && len(m.hist().shown) == 2 })
	}},
	// Reprint from history: the selected paid charge's receipt goes to the
	// printer again, marked REPRINT; the screen says so.
	{name: "history_reprint", run: func(d *driver) {
		paidSale(d)
		d.key(tea.KeyEnter)
		d.waitScreen(scrSale)
		d.key(tea.KeyF5)
		d.waitModel("history", func(m Model) bool { return m.screen == scrHistory && len(m.hist().shown) == 1 })
		d.runes("p")
		d.waitModel("reprinted", func(m Model) bool { return m.hist().reprint.key == "result.reprint.queued" })
		if n := d.f.reprint.Load(); n != 1 {
			d.t.Errorf("%d reprints asked, want 1", n)
		}
	}},
	{name: "detail_reprint", run: func(d *driver) {
		paidSale(d)
		d.key(tea.KeyEnter)
		d.waitScreen(scrSale)
		openDetail(d)
		d.runes("p")
		d.waitModel("reprinted", func(m Model) bool { return m.detail().reprint.key == "result.reprint.queued" })
		if n := d.f.reprint.Load(); n != 1 {
			d.t.Errorf("%d reprints asked, want 1", n)
		}
	}},
	{name: "history_gateway", run: func(d *driver) {
		paidSale(d)
		d.key(tea.KeyF5)
		d.waitModel("history", func(m Model) bool { return m.screen == scrHistory && len(m.hist().shown) == 1 })
		d.typ("g")
		d.waitModel("batch", func(m Model) bool { return m.hist().gateway && !m.hist().batchBusy })
	}},
	{name: "detail", run: func(d *driver) {
		paidSale(d)
		d.key(tea.KeyEnter)
		d.waitScreen(scrSale)
		openDetail(d)
	}},
	{name: "refund_form", run: fillRefund},
	{name: "refund_confirm", run: func(d *driver) {
		fillRefund(d)
		d.key(tea.KeyEnter)
		d.waitModel("confirm", func(m Model) bool { return m.refund().step == refundConfirm })
	}},
	{name: "refund_done", run: func(d *driver) {
		fillRefund(d)
		d.key(tea.KeyEnter)
		d.waitModel("confirm", func(m Model) bool { return m.refund().step == refundConfirm })
		d.key(tea.KeyEnter)
		d.waitModel("done", func(m Model) bool { return m.refund().step == refundDone && len(m.refund().slip) > 0 })
		rs, _ := d.f.j.ListRefunds(context.Background(), pos.RefundFilter{})
		if len(rs) != 1 || rs[0].Approver != "manager01" || rs[0].Cashier != "cashier01" || rs[0].Amount != 5800 {
			d.t.Errorf("refund journaled as %+v; want ¥58.00 by cashier01 approved by manager01", rs)
		}
	}},
	{name: "unsettled", run: func(d *driver) {
		unknownSale(d)
		d.key(tea.KeyF8)
		d.waitModel("unsettled", func(m Model) bool { return m.screen == scrUnsettled && m.unset().count() == 1 })
	}},
	{name: "unsettled_reconciled", run: func(d *driver) {
		unknownSale(d)
		d.key(tea.KeyF8)
		d.waitModel("unsettled", func(m Model) bool { return m.screen == scrUnsettled && m.unset().count() == 1 })
		d.key(tea.KeyF9)
		d.waitModel("reconciled", func(m Model) bool { return m.unset().sum != nil && !m.unset().loading && m.unset().count() == 0 })
	}},
	{name: "devices", run: func(d *driver) {
		toSale(d)
		d.amount("1", 100)
		d.scanCode(eanCode)
		d.waitModel("refused", func(m Model) bool { return m.sale().note == "scan.refused" })
		d.key(tea.KeyF7)
		d.waitScreen(scrDevices)
	}},
	{name: "help", run: func(d *driver) {
		toSale(d)
		d.key(tea.KeyF1)
		d.waitScreen(scrHelp)
	}},
	{name: "demo", run: func(d *driver) {
		toSale(d)
		d.key(tea.KeyF6)
		d.waitScreen(scrDemo)
		d.key(tea.KeyDown)
		d.waitModel("second code", func(m Model) bool { return m.demoPanel().sel == 1 })
	}},
}

// TestScreens drives every screen through the real program at 80×25 and
// compares the frame with testdata/TestScreens/<screen>_<lang>.golden.
func TestScreens(t *testing.T) {
	for _, sc := range scenarios {
		for _, lang := range []string{"en", "zh-CN"} {
			t.Run(sc.name+"_"+lang, func(t *testing.T) {
				t.Parallel()
				f := newFixture(t, lang, sc.opts...)
				if sc.prep != nil {
					sc.prep(f)
				}
				d := f.run(t)
				sc.run(d)
				d.golden()
			})
		}
	}
}
