package cli

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"posterm/offline"
	"posterm/pos"
)

// drawerKicks counts the drawer pulses (ESC p 0 25 250) the file printer got.
func (w *e2eWorld) drawerKicks(t testing.TB) int {
	t.Helper()
	b, _ := os.ReadFile(w.receipts)
	return bytes.Count(b, []byte{0x1b, 'p', 0, 25, 250})
}

// TestE2E_CashSaleRefundAndShiftClose: c takes ¥23.50 in cash, ¥50 tendered:
// PAID IN CASH with ¥26.50 change, the receipt (tendered, change) opens the
// drawer, the gateway never hears of it. A manager-approved cash refund of
// ¥10 is done at once and its slip opens the drawer again. z closes the
// shift with ¥13.00 counted against ¥13.50 expected: Z 1, difference −¥0.50.
func TestE2E_CashSaleRefundAndShiftClose(t *testing.T) {
	w := newE2EWorld(t, e2eOptions{Scale: 0.01, Lang: "en", Drawer: true})
	term := w.startRegister(t)
	term.login("cashier01", "1234")
	term.typeKeys("23.5")
	term.keys("c")
	term.waitText("Cash tendered", "Change to give")
	term.typeKeys("50")
	term.keys("Enter")
	screen := term.waitText("PAID IN CASH", "tendered ¥50.00", "Change to give the customer")
	if !bigShown(screen, "¥26.50") {
		t.Errorf("the change is not shown in block digits:\n%s", screen)
	}
	tx := w.only(t)
	if tx.Kind != pos.KindCash || tx.State != pos.StatePaid || tx.Amount != 2350 || tx.Tendered != 5000 || tx.Cashier != "cashier01" {
		t.Fatalf("journal row: %+v", tx)
	}
	receipt := w.receiptsText(t, string(tx.ChargeCode))
	for _, want := range []string{"PAYMENT RECEIPT", "Cash", "Tendered", "50.00", "Change", "26.50"} {
		if !strings.Contains(receipt, want) {
			t.Errorf("the receipt lacks %q:\n%s", want, receipt)
		}
	}
	if n := w.drawerKicks(t); n != 1 {
		t.Errorf("%d drawer kicks after the cash sale, want 1", n)
	}
	if _, ok := ledgerTxn(fetchLedger(t, w.sb), tx.ChargeCode); ok {
		t.Errorf("the gateway knows the cash sale %s", tx.ChargeCode)
	}

	// A cash refund, approved by a manager at the register.
	term.keys("Enter")
	term.waitText("Amount due")
	term.keys("F5")
	term.waitText("Today", "paid", "¥23.50")
	term.keys("Enter")
	term.waitText("Charge "+string(tx.ChargeCode), "not at the gateway", "F2/f refund")
	term.keys("F2")
	term.waitText("Refund", "This needs a manager", "Manager ID")
	term.keys("DC")
	term.text("10")
	term.keys("Tab")
	term.text("item returned")
	term.keys("Tab")
	term.text("manager01")
	term.keys("Tab")
	term.text("8888")
	term.keys("Enter")
	term.waitText("Refund ¥10.00 to the customer")
	term.keys("Enter")
	term.waitText("Refunded ¥10.00.")
	got := w.waitRow(t, tx.ChargeCode, "partially refunded", func(tx pos.Transaction) bool { return tx.State == pos.StatePartiallyRefunded })
	if got.Refunded != 1000 {
		t.Errorf("refunded %d fen, want 1000", got.Refunded)
	}
	_, refunds := w.events(t, tx.ChargeCode)
	if len(refunds) != 1 || refunds[0].State != pos.RefundDone || refunds[0].Approver != "manager01" {
		t.Errorf("refunds %+v; want one done, approved by manager01", refunds)
	}
	w.receiptsText(t, "REFUND SLIP")
	if n := w.drawerKicks(t); n != 2 {
		t.Errorf("%d drawer kicks after the cash refund, want 2", n)
	}
	if _, ok := ledgerTxn(fetchLedger(t, w.sb), tx.ChargeCode); ok {
		t.Errorf("the gateway knows the cash sale %s after its refund", tx.ChargeCode)
	}

	// Close the shift: ¥13.00 counted, ¥13.50 expected.
	term.keys("Enter")
	term.keys("Escape")
	term.keys("Escape")
	term.waitText("Amount due")
	term.keys("z")
	term.waitText("Close the shift", "Cash counted")
	term.typeKeys("13")
	term.keys("Enter")
	term.waitText("Shift closed: Z report no. 1", "Cash expected", "¥13.50", "¥13.00", "-¥0.50")

	j, err := offline.Open(w.journal, offline.Options{Logger: discardLog})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	z, err := j.LastZ(context.Background(), w.register)
	if err != nil || z.Number != 1 || z.CashExpected != 1350 || z.CashCounted != 1300 || z.Difference != -50 || z.ClosedBy != "cashier01" {
		t.Fatalf("Z: %+v, %v", z, err)
	}
}

// TestE2E_OpenDrawer: o on the sale screen asks a cashier why; with no
// reason nothing opens; with one the opening is logged (who, why) and the
// printer gets only the drawer kick.
func TestE2E_OpenDrawer(t *testing.T) {
	w := newE2EWorld(t, e2eOptions{Scale: 0.01, Lang: "en", Drawer: true})
	term := w.startRegister(t)
	term.login("cashier01", "1234")
	term.keys("o")
	term.waitText("Open the cash drawer", "Reason (required)")
	term.keys("Enter")
	term.waitText("Say why the drawer is opened.")
	term.text("change for the float")
	term.keys("Enter")
	term.waitText("The drawer is opening (logged).")
	j, err := offline.Open(w.journal, offline.Options{Logger: discardLog})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	log, err := j.DrawerOpenings(context.Background(), time.Time{}, time.Time{})
	if err != nil || len(log) != 1 || log[0].Who != "cashier01" || log[0].Reason != "change for the float" || log[0].Role != "cashier" {
		t.Fatalf("drawer log: %+v, %v", log, err)
	}
	deadline := time.Now().Add(e2eDeadline)
	for w.drawerKicks(t) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the printer never got the drawer kick")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(w.rows(t)) != 0 {
		t.Errorf("opening the drawer made a charge")
	}
}
