package ui

import (
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"posterm/device"
	"posterm/pos"
)

type scanPhase int

const (
	scanWaiting    scanPhase = iota // waiting for the scanner or manual entry
	scanPaying                      // PayByCode running
	scanCancelling                  // the cashier aborted: cancel under way
)

// scanModel is the merchant-scan screen: it waits for the customer's
// payment code (scanner or typed), refuses anything that is not one, then
// shows the payment's progress against the vendor's 80 s bound. Esc aborts,
// which cancels the charge (a paid one is revoked).
type scanModel struct {
	e       *env
	cashier pos.Cashier
	draft   saleDraft
	input   textinput.Model
	phase   scanPhase

	attempt  int
	feed     progressFeed
	code     pos.ChargeCode // known from the first progress event
	kind     device.Kind
	masked   string
	started  time.Time // on the pos.Clock, when the request left
	prog     pos.Progress
	abortReq bool // Esc before the charge code was known
	aborted  bool
	refused  device.Reason
	note     string
	// fault: the gateway failed while this charge ran (sticky: the screen
	// keeps saying so until the outcome is known).
	fault bool
	// switchTo: the cashier chose another way to pay after a fault; the
	// charge is being given up (and, if its outcome stays unknown,
	// acknowledged as "revoked if it went through") before the next starts.
	switchTo  payHow
	switching bool
	acking    bool
	now       time.Time
}

func newScan(e *env, cashier pos.Cashier, d saleDraft, now time.Time) scanModel {
	in := newInput(e, e.t.T("scan.placeholder"), 32)
	in.Width = 26
	in.Focus()
	return scanModel{e: e, cashier: cashier, draft: d, input: in, now: now}
}

func (m scanModel) inFlight() bool { return m.phase != scanWaiting || m.acking }

func (m scanModel) tick(now time.Time) scanModel {
	m.now = now
	return m
}

// start begins the payment at once when a code was scanned on the sale
// screen; otherwise it waits for one.
func (m scanModel) start(sc scannedCode) (scanModel, tea.Cmd) {
	if sc.Code == "" {
		return m, nil
	}
	return m.scanned(sc)
}

// scanned takes a code from a scanner or from the manual entry.
func (m scanModel) scanned(sc scannedCode) (scanModel, tea.Cmd) {
	if m.phase != scanWaiting {
		return m, nil // one payment at a time: a second scan is ignored
	}
	code, c := sc.Code, sc.Classification
	if !c.Payable() {
		m.refused = c.Reason
		m.note = ""
		m.input.SetValue("")
		return m, nil
	}
	if err := pos.ValidWalletCode(code); err != nil {
		m.refused = device.ReasonTooLong
		m.input.SetValue("")
		return m, nil
	}
	m.refused, m.note = "", ""
	m.kind, m.masked = c.Kind, pos.MaskCode(code)
	m.input.SetValue("")
	m.attempt++
	m.phase = scanPaying
	m.code, m.prog, m.abortReq, m.aborted = "", pos.Progress{}, false, false
	m.started = m.now
	run, feed := m.e.payCmd(m.attempt, pos.PayInput{Cashier: m.cashier, SaleID: m.draft.SaleID,
		Amount: m.draft.Amount, Code: code, Subject: m.draft.Subject})
	m.feed = feed
	return m, tea.Batch(run, m.nextProgress())
}

func (m scanModel) nextProgress() tea.Cmd {
	attempt := m.attempt
	return m.feed.next(func(p pos.Progress) tea.Msg { return payProgressMsg{Attempt: attempt, P: p} })
}

func (m scanModel) update(msg tea.Msg) (scanModel, tea.Cmd) {
	switch msg := msg.(type) {
	case payProgressMsg:
		if msg.Attempt != m.attempt || m.phase == scanWaiting {
			return m, nil
		}
		if m.code != "" && msg.P.ChargeCode != m.code {
			return m, nil // not about our charge
		}
		first := m.code == ""
		m.code, m.prog = msg.P.ChargeCode, msg.P
		m.fault = m.fault || msg.P.Fault
		if first {
			m.started = m.now.Add(-msg.P.Elapsed)
		}
		if msg.P.Phase == pos.PhaseCancelling {
			m.phase = scanCancelling
		}
		cmds := []tea.Cmd{m.nextProgress()}
		if first && m.abortReq {
			cmds = append(cmds, m.e.abortCmd(m.code))
		}
		return m, tea.Batch(cmds...)

	case payDoneMsg:
		if msg.Attempt != m.attempt || m.phase == scanWaiting || (m.code != "" && msg.Tx.ChargeCode != m.code) {
			return m, nil
		}
		m.phase = scanWaiting
		if m.switching && msg.Err == nil {
			return m.switched(msg.Tx)
		}
		if msg.Err != nil {
			if back, ok := startErr(msg.Err, msg.Tx, m.draft, m.cashier); ok {
				return m, func() tea.Msg { return back }
			}
			if msg.Tx.ChargeCode == "" { // shutting down
				return m, nil
			}
		}
		res := outcomeOf(msg.Tx, payScan, m.draft, m.aborted || m.abortReq, m.fault)
		return m, func() tea.Msg { return showResultMsg{Res: res} }

	case abortDoneMsg:
		if msg.Code != m.code || m.code == "" {
			return m, nil
		}
		return m, nil // the payment call returns the outcome

	case ackDoneMsg:
		if !m.acking || len(msg.Codes) != 1 || msg.Codes[0] != m.code {
			return m, nil
		}
		m.acking = false
		d := m.draft
		if msg.Err != nil { // it settled meanwhile (paid?) or the journal failed: show it as it stands
			res := outcomeOf(pos.Transaction{ChargeCode: m.code, Amount: d.Amount, State: pos.StateUnknown, SaleID: d.SaleID},
				payScan, d, true, m.fault)
			return m, func() tea.Msg { return showResultMsg{Res: res} }
		}
		how := m.switchTo
		return m, func() tea.Msg { return startPayMsg{Draft: d, How: how} }

	case tea.KeyMsg:
		k := m.e.keys
		if m.phase != scanWaiting {
			if m.fault && !m.aborted && m.phase == scanPaying && m.code != "" {
				// After a gateway fault: another way to pay, now.
				switch {
				case key.Matches(msg, k.QRPayFn):
					return m.switchPay(payQR)
				case key.Matches(msg, k.ScanPayFn):
					return m.switchPay(payScan)
				}
			}
			if key.Matches(msg, k.Abort) && !m.aborted {
				m.aborted = true
				m.phase = scanCancelling
				if m.code == "" {
					m.abortReq = true
					return m, nil
				}
				return m, m.e.abortCmd(m.code)
			}
			return m, nil
		}
		switch {
		case key.Matches(msg, k.Back):
			d := m.draft
			return m, func() tea.Msg { return backToSaleMsg{Keep: true, Draft: d} }
		case key.Matches(msg, k.Submit):
			if strings.TrimSpace(m.input.Value()) == "" {
				m.note = "scan.need.code"
				return m, nil
			}
			return m.scanned(classify(m.input.Value()))
		case msg.Type == tea.KeyRunes:
			// Manual entry takes digits only: a payment code has nothing else.
			digits := strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return r
				}
				return -1
			}, string(msg.Runes))
			if digits == "" {
				return m, nil
			}
			msg.Runes = []rune(digits)
		}
		m.refused, m.note = "", ""
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(msg)
		return m, cmd
	}
	return m, nil
}

// switchPay gives the charge up to take the payment another way: the
// charge is cancelled (a paid one is revoked) and the next way starts when
// the checkout has its outcome (switched).
func (m scanModel) switchPay(how payHow) (scanModel, tea.Cmd) {
	m.switchTo, m.switching, m.aborted = how, true, true
	m.phase = scanCancelling
	return m, m.e.abortCmd(m.code)
}

// switched: the charge given up for another way to pay has its outcome.
// Paid (it went through after all) or revoked: the result says so and
// nothing new starts. Not charged: the next way starts. Unknown: it is
// acknowledged as "revoked if it went through" (the screen said so), then
// the next way starts; the reconciler settles it under the existing rule.
func (m scanModel) switched(tx pos.Transaction) (scanModel, tea.Cmd) {
	res := outcomeOf(tx, payScan, m.draft, true, m.fault)
	if tx.SaleID != "" {
		m.draft.SaleID = tx.SaleID
	}
	d := m.draft
	switch res.Kind {
	case outClosed, outCancelled, outDeclined:
		how := m.switchTo
		return m, func() tea.Msg { return startPayMsg{Draft: d, How: how} }
	case outUnknown, outFault:
		m.acking = true
		return m, m.e.ackCmd([]pos.ChargeCode{tx.ChargeCode}, m.cashier)
	}
	return m, func() tea.Msg { return showResultMsg{Res: res} }
}

func (m scanModel) bindings() []key.Binding {
	k := m.e.keys
	if m.phase == scanPaying && m.fault && !m.aborted && m.code != "" {
		return []key.Binding{k.QRPayFn, k.ScanPayFn, k.Abort}
	}
	if m.phase == scanPaying {
		return []key.Binding{k.Abort}
	}
	if m.phase == scanCancelling {
		return nil
	}
	return []key.Binding{k.Submit, k.Back}
}

func (m scanModel) elapsed() time.Duration {
	if m.code == "" {
		return 0
	}
	return max(m.now.Sub(m.started), 0)
}

// spinnerFrame picks the spinner's frame from the pos.Clock, so the screen
// is a function of its messages.
func spinnerFrame(now time.Time) string {
	f := spinner.Dot.Frames
	return strings.TrimSpace(f[int(now.UnixMilli()/100)%len(f)])
}

func (m scanModel) view(w, h int) string {
	st, t := m.e.st, m.e.t
	var b strings.Builder
	b.WriteString("\n" + indent(bigAmountFit(st.Amount, m.draft.Amount, w-6, amountRows(h)), 3) + "\n")
	if m.draft.Subject != "" {
		b.WriteString(paragraph(pos.CleanText(m.draft.Subject), st.Muted, 3, w))
	}
	b.WriteString("\n")
	if m.phase == scanWaiting && !m.acking {
		b.WriteString("   " + st.Title.Render(t.T("scan.title")) + "\n")
		b.WriteString("   " + st.Muted.Render(t.T("scan.manual")) + "\n\n")
		b.WriteString("   " + st.Label.Render(t.T("scan.code")) + "  " + st.FieldFocus.Render("[") +
			pad(m.input.View(), 27) + st.FieldFocus.Render("]") + "\n\n")
		switch {
		case m.refused != "":
			b.WriteString("   " + st.Bad.Render(m.refused.Text(t.lang())) + "\n")
		case m.note != "":
			b.WriteString("   " + st.Bad.Render(t.T(m.note)) + "\n")
		}
		return b.String()
	}
	wallet := m.kind.Text(t.lang())
	b.WriteString("   " + st.Title.Render(wallet) + "  " + st.Value.Render(m.masked) + "\n\n")
	if m.fault || m.switching {
		return b.String() + m.faultView(w)
	}
	var phase string
	switch {
	case m.phase == scanCancelling:
		phase = t.T("scan.phase.cancelling")
	case m.prog.Phase == pos.PhaseQuerying:
		phase = t.T("scan.phase.querying", m.prog.Queries+1)
	default:
		phase = t.T("scan.phase.sending", wallet)
	}
	bound := m.e.deps.Checkout.Timings().GiveUpAfter
	el := m.elapsed()
	right := t.T("scan.elapsed", int(el/time.Second), int(bound/time.Second))
	bw := min(w-6, 70)
	b.WriteString("   " + spread(st.Hint.Render(spinnerFrame(m.now))+" "+phase, st.Muted.Render(right), bw) + "\n")
	pct := 0.0
	if bound > 0 {
		pct = min(float64(el)/float64(bound), 1)
	}
	bar := progress.New(progress.WithSolidFill(string(cYellow)), progress.WithoutPercentage(), progress.WithWidth(bw),
		progress.WithColorProfile(m.e.profile))
	bar.EmptyColor = string(cGrey)
	b.WriteString("   " + bar.ViewAs(pct) + "\n\n")
	if m.phase == scanCancelling {
		b.WriteString("   " + st.Warn.Render(t.T("scan.cancelling.note")) + "\n")
	} else {
		b.WriteString("   " + st.KeyKey.Render(m.e.keys.Abort.Help().Key) + "  " + t.T("scan.abort.note") + "\n")
	}
	return b.String()
}

// faultView is the scan screen after a gateway fault: what happened, in the
// money table's words, and the ways on — another way to pay, or waiting.
func (m scanModel) faultView(w int) string {
	st, t, k := m.e.st, m.e.t, m.e.keys
	words := moneyWords[outFault]
	var b strings.Builder
	b.WriteString("   " + st.Bad.Render("✘ "+t.pick(words.Head)) + "  " + st.Hint.Render(spinnerFrame(m.now)) + "\n\n")
	b.WriteString(paragraph(t.pick(words.Money), st.Value, 3, w))
	b.WriteString(paragraph(t.pick(words.Next), st.Bad, 3, w))
	b.WriteString("\n")
	switch {
	case m.switching:
		how := t.T("scan.switch.qr")
		if m.switchTo == payScan {
			how = t.T("scan.switch.code")
		}
		b.WriteString(paragraph(t.T("scan.switching", how), st.Warn, 3, w))
	case m.aborted:
		b.WriteString(paragraph(t.T("scan.cancelling.note"), st.Warn, 3, w))
	default:
		b.WriteString(paragraph(t.T("scan.fault.options", k.QRPayFn.Help().Key, k.ScanPayFn.Help().Key,
			k.Abort.Help().Key), st.Value, 3, w))
	}
	return b.String()
}
