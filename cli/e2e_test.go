package cli

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"posterm/gateway/sandbox"
	"posterm/pos"
)

// End-to-end tests of the register: the real binary in tmux, a serial
// scanner on a pty, the sandbox on loopback, the file printer and the
// journal (helpers in e2e_helpers_test.go). They run one after the other.

// TestE2E_SaleByScanner: sign in, key the amount, scan-to-pay, a serial
// scanner reads an Alipay code → PAID on screen; the file printer holds a
// sale receipt with the amount and the masked code (never the whole
// code); the journal's row is paid; the sandbox holds it paid.
func TestE2E_SaleByScanner(t *testing.T) {
	w := newE2EWorld(t, e2eOptions{Scale: 0.01, Lang: "en", Scanner: true})
	term := w.startRegister(t)
	// The scanner is open before anything is scanned.
	term.waitFor("the scanner connected", func(s string) bool {
		bar := statusBar(s)
		return strings.Contains(bar, "usb-Scanner") && !strings.Contains(bar, "connecting")
	})
	term.login("cashier01", "1234")
	term.keyAmountThenScanPay("12.34", "¥12.34")

	code := walletCode("28", "00")
	w.scanner.Scan(code)
	screen := term.waitText("PAID", "Alipay", "Receipt printed")
	if strings.Contains(screen, code) {
		t.Errorf("the screen shows the whole payment code:\n%s", screen)
	}

	tx := w.only(t)
	if tx.State != pos.StatePaid || tx.Amount != 1234 || tx.Cashier != "cashier01" || tx.Kind != pos.KindPay {
		t.Errorf("journal row: %s %d fen by %q (%s); want paid 1234 fen by cashier01 (pay)", tx.State, tx.Amount, tx.Cashier, tx.Kind)
	}
	masked := pos.MaskCode(code)
	if tx.MaskedCode != masked {
		t.Errorf("journal masked code %q, want %q", tx.MaskedCode, masked)
	}
	if !strings.Contains(screen, string(tx.ChargeCode)) {
		t.Errorf("the result screen does not name charge %s:\n%s", tx.ChargeCode, screen)
	}

	receipt := w.receiptsText(t, string(tx.ChargeCode))
	if !strings.Contains(receipt, "PAYMENT RECEIPT") || !strings.Contains(receipt, "12.34") {
		t.Errorf("not a sale receipt for 12.34:\n%s", receipt)
	}
	// The receipt prints the code masked: its first and last four digits.
	printed := ""
	for _, l := range strings.Split(receipt, "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "Payment" && f[1] == "code" {
			printed = f[2]
		}
	}
	if !strings.HasPrefix(printed, code[:4]) || !strings.HasSuffix(printed, code[len(code)-4:]) ||
		!strings.Contains(printed, "****") || strings.Count(printed, "*")+8 != len(printed) {
		t.Errorf("the receipt's payment code is %q, want %s…%s masked:\n%s", printed, code[:4], code[len(code)-4:], receipt)
	}
	if strings.Contains(receipt, code) || strings.Contains(receipt, code[4:len(code)-4]) {
		t.Errorf("the receipt prints the payment code's hidden digits (%s):\n%s", code, receipt)
	}
	if lt, ok := ledgerTxn(fetchLedger(t, w.sb), tx.ChargeCode); !ok || lt.State != 1 || lt.AmtFen != 1234 {
		t.Errorf("sandbox: %+v (found %v); want STATE 1, 1234 fen", lt, ok)
	}
}

// TestE2E_QRSale: F3, pick Alipay, the BAR_CODE's QR is on screen; the
// customer pays it through the sandbox's customer endpoint (the BAR_CODE
// taken from the journal's pending row) and PAID shows within seconds.
func TestE2E_QRSale(t *testing.T) {
	w := newE2EWorld(t, e2eOptions{Lang: "en"})
	term := w.startRegister(t)
	term.login("cashier01", "1234")
	term.typeKeys("8.8")
	term.keys("F3")
	term.waitFor("the channel list for ¥8.80", func(s string) bool {
		return strings.Contains(s, "Which app will the customer pay with?") && strings.Contains(s, "WeChat Pay") && bigShown(s, "¥8.80")
	})
	term.keys("Enter") // the first: Alipay
	term.waitText("Ask the customer to scan the code", "expires in", "█")

	tx := w.only(t)
	if tx.State != pos.StatePending || tx.Kind != pos.KindPrecreate || tx.BarCode == "" || tx.Channel != pos.ChannelAlipay {
		t.Fatalf("journal row %+v; want a pending Alipay QR with its BAR_CODE", tx)
	}
	paidAt := time.Now()
	resp, err := http.Post(w.sb.URL+sandbox.CustomerPayPath+"?barcode="+url.QueryEscape(tx.BarCode), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("customer pay: HTTP %d", resp.StatusCode)
	}
	term.waitText("PAID", "Alipay")
	took := time.Since(paidAt)
	t.Logf("PAID on screen %s after the customer paid (query interval 100 ms)", took.Round(time.Millisecond))
	if took > 5*time.Second {
		t.Errorf("PAID took %s to show after the customer paid; want a few seconds at most", took)
	}
	got := w.waitRow(t, tx.ChargeCode, "paid", func(tx pos.Transaction) bool { return tx.State == pos.StatePaid })
	if got.Amount != 880 {
		t.Errorf("paid %d fen, want 880", got.Amount)
	}
	w.receiptsText(t, string(tx.ChargeCode))
}

// TestE2E_Declined: a code the wallet declines (…92) shows DECLINED with
// the gateway's reason, and the journal's row is declined.
func TestE2E_Declined(t *testing.T) {
	w := newE2EWorld(t, e2eOptions{Scale: 0.01, Lang: "en", Scanner: true})
	term := w.startRegister(t)
	term.login("cashier01", "1234")
	term.keyAmountThenScanPay("20", "¥20.00")
	w.scanner.Scan(walletCode("28", "92"))
	term.waitText("DECLINED", "not charged", "insufficient", "Ask the customer for another way to pay")
	tx := w.only(t)
	if tx.State != pos.StateDeclined || !strings.Contains(tx.ResultInfo, "insufficient balance") {
		t.Errorf("journal row %s %q; want declined, insufficient balance", tx.State, tx.ResultInfo)
	}
}

// TestE2E_UnknownThenReconciled: the wallet pays (…94) but the answer is
// lost, and the queries and the cancel of the register giving up are
// answered 503: the screen says GATEWAY FAULT, the status bar counts it, Unsettled
// lists it. The gateway comes back; "reconcile now" (F9) finds it paid
// although given up, and revokes it: settled, revoked in the journal and
// at the sandbox.
func TestE2E_UnknownThenReconciled(t *testing.T) {
	w := newE2EWorld(t, e2eOptions{Scale: 0.01, Lang: "en", Scanner: true})
	term := w.startRegister(t)
	term.login("cashier01", "1234")
	term.keyAmountThenScanPay("30", "¥30.00")

	w.loseAnswers("sosopay.trade.query", "sosopay.trade.cancel")
	w.scanner.Scan(walletCode("28", "94"))
	// The queries and the cancel were answered 503: a gateway fault, said so.
	screen := term.waitText("GATEWAY FAULT", "not the customer's doing", "Do not hand over the goods", "gave up")
	tx := w.only(t)
	if !tx.Unsettled() || !tx.GiveUp {
		t.Fatalf("journal row %s give_up %v; want unsettled and given up", tx.State, tx.GiveUp)
	}
	if !strings.Contains(screen, string(tx.ChargeCode)) {
		t.Errorf("the result does not name %s:\n%s", tx.ChargeCode, screen)
	}
	// The sandbox took the money.
	waitLedgerState(t, w.sb, tx.ChargeCode, 1)
	term.waitFor("unsettled 1 in the status bar", func(s string) bool { return strings.Contains(statusBar(s), "unsettled 1") })

	term.keys("F8")
	short := string(tx.ChargeCode)[len(tx.ChargeCode)-8:]
	term.waitText("Unsettled", "1 waiting for the gateway", short, "¥30.00")

	w.loseAnswers() // the gateway is back
	term.keys("F9")
	term.waitText("Nothing is waiting.", "Handled 1: 1 revoked; 0 still waiting.")
	got := w.waitRow(t, tx.ChargeCode, "settled", func(tx pos.Transaction) bool { return !tx.Unsettled() })
	if got.State != pos.StateRevoked {
		t.Errorf("after reconcile: %s, want revoked (paid, but given up by the register)", got.State)
	}
	waitLedgerState(t, w.sb, tx.ChargeCode, 2)
	term.waitFor("unsettled 0 in the status bar", func(s string) bool { return strings.Contains(statusBar(s), "unsettled 0") })
}

// TestE2E_RefundWithManager: a cashier without refund rights refunds a
// paid charge from History → detail; manager01 authorises it at the
// register. The journal holds the charge refunded, the refund done with
// manager01 as approver, and the refund's event names the approver.
func TestE2E_RefundWithManager(t *testing.T) {
	w := newE2EWorld(t, e2eOptions{Scale: 0.01, Lang: "en", Scanner: true})
	term := w.startRegister(t)
	term.login("cashier01", "1234")
	term.keyAmountThenScanPay("15", "¥15.00")
	w.scanner.Scan(walletCode("28", "01"))
	term.waitText("PAID")
	tx := w.only(t)

	term.keys("Enter") // next sale
	term.waitText("Amount due")
	term.keys("F5")
	term.waitText("Today", "paid", "¥15.00")
	term.keys("Enter") // the newest row
	term.waitText("Charge "+string(tx.ChargeCode), "Gateway now", "F2/f refund")
	term.keys("F2")
	term.waitText("Refund", "This needs a manager", "Manager ID")
	// Amount: the remaining ¥15.00 is filled in. Reason, manager, password.
	term.keys("Tab")
	term.text("item returned")
	term.keys("Tab")
	term.text("manager01")
	term.keys("Tab")
	term.text("8888")
	term.keys("Enter")
	term.waitText("Refund ¥15.00 to the customer")
	term.keys("Enter")
	term.waitText("Refunded ¥15.00.")

	got := w.waitRow(t, tx.ChargeCode, "refunded", func(tx pos.Transaction) bool { return tx.State == pos.StateRefunded })
	if got.Refunded != 1500 {
		t.Errorf("refunded %d fen, want 1500", got.Refunded)
	}
	evs, refunds := w.events(t, tx.ChargeCode)
	if len(refunds) != 1 || refunds[0].State != pos.RefundDone || refunds[0].Approver != "manager01" ||
		refunds[0].Cashier != "cashier01" || refunds[0].Reason != "item returned" || refunds[0].Amount != 1500 {
		t.Errorf("refunds %+v; want one done, 1500 fen, by cashier01 approved by manager01, reason kept", refunds)
	}
	approved := false
	for _, e := range evs {
		if e.Op == "refund" && e.Approver == "manager01" {
			approved = true
		}
	}
	if !approved {
		t.Errorf("no refund event names manager01 as approver: %+v", evs)
	}
	if lt, _ := ledgerTxn(fetchLedger(t, w.sb), tx.ChargeCode); lt.RefundedFen != 1500 {
		t.Errorf("sandbox refunded %d fen, want 1500", lt.RefundedFen)
	}
	// Back on the detail, read again from the journal and the gateway.
	term.keys("Enter")
	term.waitText("State refunded", "Gateway now refunded")
	// And History, opened before the refund, says so without reopening.
	term.keys("Escape")
	term.waitText("Today", "refunded", "¥15.00")
}

// TestE2E_LostAnswerThenEsc: the wallet pays (…94) but the answer is lost
// and the queries are answered 503; the cashier presses Esc; the cancel
// revokes the charge. The screen says the customer was charged and the
// refund is on its way — never "not charged".
func TestE2E_LostAnswerThenEsc(t *testing.T) {
	w := newE2EWorld(t, e2eOptions{Scale: 0.01, Lang: "en", Scanner: true})
	term := w.startRegister(t)
	term.login("cashier01", "1234")
	term.keyAmountThenScanPay("12.34", "¥12.34")
	w.loseAnswers("sosopay.trade.query")
	w.scanner.Scan(walletCode("28", "94"))
	term.waitText("GATEWAY FAULT", "Esc to cancel")
	w.loseAnswers() // the gateway answers again: the cancel and its query go through
	term.keys("Escape")
	screen := term.waitText("CHARGED, THEN REVOKED", "the refund is on its", "Do not hand over the goods")
	if strings.Contains(screen, "not charged") {
		t.Errorf("a charged-then-revoked payment says not charged:\n%s", screen)
	}
	got := w.waitRow(t, w.only(t).ChargeCode, "revoked", func(tx pos.Transaction) bool { return tx.State == pos.StateRevoked })
	waitLedgerState(t, w.sb, got.ChargeCode, 2)
}

// TestE2E_GatewayFaultThenQR: the gateway answers the pay with HTTP 503
// (…95): within seconds the screen says "gateway fault", the status bar
// is red; F3 gives the charge up and opens the QR for the same sale.
func TestE2E_GatewayFaultThenQR(t *testing.T) {
	w := newE2EWorld(t, e2eOptions{Scale: 0.01, Lang: "en", Scanner: true})
	term := w.startRegister(t)
	term.login("cashier01", "1234")
	term.keyAmountThenScanPay("8.8", "¥8.80")
	start := time.Now()
	w.scanner.Scan(walletCode("28", "95"))
	term.waitText("GATEWAY FAULT", "not the customer's doing", "F3")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the fault showed after %s; want within 5 s", took)
	}
	term.waitFor("the gateway red in the status bar", func(s string) bool { return strings.Contains(statusBar(s), "gateway ● fault") })
	term.keys("F3")
	term.waitText("Which app will the customer pay with?", "Alipay")
}

// TestE2E_LogoutAndReprintFromHistory: a paid sale, its receipt reprinted
// from History (marked REPRINT), then logout back to the sign-in screen.
func TestE2E_LogoutAndReprintFromHistory(t *testing.T) {
	w := newE2EWorld(t, e2eOptions{Scale: 0.01, Lang: "en", Scanner: true})
	term := w.startRegister(t)
	term.login("cashier01", "1234")
	term.keyAmountThenScanPay("15", "¥15.00")
	w.scanner.Scan(walletCode("28", "01"))
	term.waitText("PAID", "Receipt printed")
	term.keys("Enter")
	term.waitText("Amount due")
	term.keys("F5")
	term.waitText("Today", "paid", "¥15.00")
	term.text("p")
	term.waitText("Reprint sent to the printer (marked REPRINT)")
	term.keys("Escape")
	term.waitText("Amount due")
	term.text("x")
	term.waitText("Cashier sign-in")
}

// TestE2E_WedgeScan: with no serial scanner, a keyboard-wedge scanner
// types the whole code in one write and then Enter, on the sale screen:
// the payment starts at once for the amount keyed.
func TestE2E_WedgeScan(t *testing.T) {
	w := newE2EWorld(t, e2eOptions{Scale: 0.01, Lang: "en"})
	term := w.startRegister(t)
	term.waitFor("a keyboard scanner", func(s string) bool { return strings.Contains(statusBar(s), "scanner ● keyboard") })
	term.login("cashier01", "1234")
	term.typeKeys("7.5") // then the customer's code, scanned (wedge)
	code := walletCode("13", "00")
	term.text(code)
	term.keys("Enter")
	screen := term.waitText("PAID", "WeChat Pay")
	if strings.Contains(screen, code) {
		t.Errorf("the screen shows the whole code:\n%s", screen)
	}
	tx := w.only(t)
	if tx.State != pos.StatePaid || tx.Amount != 750 || tx.MaskedCode != pos.MaskCode(code) {
		t.Errorf("journal row %s %d fen %q; want paid 750 fen %q", tx.State, tx.Amount, tx.MaskedCode, pos.MaskCode(code))
	}
}
