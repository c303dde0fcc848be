package ui

import (
	"context"
	"errors"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"posterm/device"
	"posterm/pos"
)

// Every gateway call, journal read, print and timer of the screen runs in a
// tea.Cmd below and comes back as a message; Update never waits for one.

// readTimeout bounds the calls the screen makes only to show something.
const readTimeout = 20 * time.Second

func (e *env) readCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(e.ctx, readTimeout)
}

func tickCmd(c pos.Clock) tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return tickMsg{At: c.Now()} })
}

// listenChanges waits for the journal's next change; nil without a feed.
// It is re-issued after each change, as the scanner's listener is.
func listenChanges(ch <-chan pos.ChargeCode) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		code, ok := <-ch
		if !ok {
			return nil
		}
		return journalChangedMsg{Code: code, Feed: true}
	}
}

// changedCmd reports a change the register made itself.
func changedCmd(code pos.ChargeCode) tea.Cmd {
	return func() tea.Msg { return journalChangedMsg{Code: code} }
}

func animCmd(c pos.Clock) tea.Cmd {
	return tea.Tick(100*time.Millisecond, func(time.Time) tea.Msg { return animMsg{At: c.Now()} })
}

func (e *env) loginCmd(seq int, user, password string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := e.readCtx()
		defer cancel()
		c, err := e.deps.Checkout.Login(ctx, user, password)
		return loginDoneMsg{Seq: seq, Cashier: c, Err: err}
	}
}

// progressFeed carries progress events from a running checkout call to the
// screen: the callback never blocks (a full buffer drops the event; the next
// one carries the same facts), and the channel closes when the call returns.
type progressFeed struct{ ch chan pos.Progress }

func newProgressFeed() progressFeed { return progressFeed{ch: make(chan pos.Progress, 32)} }

func (f progressFeed) send(p pos.Progress) {
	select {
	case f.ch <- p:
	default:
	}
}

// next waits for the next event and wraps it; nil once the call is over.
func (f progressFeed) next(wrap func(pos.Progress) tea.Msg) tea.Cmd {
	return func() tea.Msg {
		p, ok := <-f.ch
		if !ok {
			return nil
		}
		return wrap(p)
	}
}

func (e *env) payCmd(attempt int, in pos.PayInput) (run tea.Cmd, feed progressFeed) {
	feed = newProgressFeed()
	in.Progress = feed.send
	return func() tea.Msg {
		defer close(feed.ch)
		tx, err := e.deps.Checkout.PayByCode(e.ctx, in)
		if err != nil {
			e.log.Warn("pay failed", "op", "pay", "charge_code", string(tx.ChargeCode), "err", err)
		}
		return payDoneMsg{Attempt: attempt, Tx: tx, Err: err}
	}, feed
}

func (e *env) channelsCmd(attempt int) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := e.readCtx()
		defer cancel()
		l, err := e.deps.Gateway.Channels(ctx)
		if err == nil && l.Outcome != pos.OutcomeDone {
			err = errGatewayAnswer
		}
		if err != nil {
			e.log.Warn("channel list failed", "op", "channels", "result_code", l.Code, "err", err)
		}
		return channelsMsg{Attempt: attempt, Channels: l.Channels, Err: err}
	}
}

// errGatewayAnswer: the gateway answered, but not with success.
var errGatewayAnswer = errors.New("gateway did not answer with success")

func (e *env) precreateCmd(attempt int, in pos.PrecreateInput) tea.Cmd {
	return func() tea.Msg {
		tx, err := e.deps.Checkout.Precreate(e.ctx, in)
		if err != nil {
			e.log.Warn("precreate failed", "op", "precreate", "charge_code", string(tx.ChargeCode), "err", err)
		}
		return precreateDoneMsg{Attempt: attempt, Tx: tx, Err: err}
	}
}

func (e *env) awaitCmd(code pos.ChargeCode, who pos.Cashier) (run tea.Cmd, feed progressFeed) {
	feed = newProgressFeed()
	return func() tea.Msg {
		defer close(feed.ch)
		tx, err := e.deps.Checkout.Await(e.ctx, code, who, feed.send)
		if err != nil {
			e.log.Warn("await failed", "op", "await", "charge_code", string(code), "err", err)
		}
		return awaitDoneMsg{Code: code, Tx: tx, Err: err}
	}, feed
}

func (e *env) abortCmd(code pos.ChargeCode) tea.Cmd {
	return func() tea.Msg {
		err := e.deps.Checkout.Abort(code)
		if err != nil {
			e.log.Info("abort", "op", "abort", "charge_code", string(code), "err", err)
		}
		return abortDoneMsg{Code: code, Err: err}
	}
}

func (e *env) ackCmd(codes []pos.ChargeCode, who pos.Cashier) tea.Cmd {
	return func() tea.Msg {
		for _, c := range codes {
			if _, err := e.deps.Checkout.AcknowledgeRevoke(e.ctx, c, who); err != nil {
				e.log.Warn("acknowledge failed", "op", "ack", "charge_code", string(c), "err", err)
				return ackDoneMsg{Codes: codes, Err: err}
			}
		}
		return ackDoneMsg{Codes: codes}
	}
}

func (e *env) historyCmd(seq int, since time.Time) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := e.readCtx()
		defer cancel()
		txs, err := e.deps.Journal.List(ctx, pos.Filter{Since: since})
		if err != nil {
			e.log.Error("history", "op", "history", "err", err)
		}
		return historyMsg{Seq: seq, Txs: txs, Err: err}
	}
}

func (e *env) detailCmd(code pos.ChargeCode) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := e.readCtx()
		defer cancel()
		m := detailMsg{Code: code}
		m.Tx, m.Err = e.deps.Journal.Get(ctx, code)
		if errors.Is(m.Err, pos.ErrNotFound) && e.deps.LookupCharge != nil {
			// another till's charge: copied here from the store hub
			if _, found, err := e.deps.LookupCharge(ctx, code); err != nil {
				m.Err = err
			} else if found {
				m.Tx, m.Err = e.deps.Journal.Get(ctx, code)
			}
		}
		if m.Err == nil {
			if m.Events, m.Err = e.deps.Journal.Events(ctx, code); m.Err == nil {
				m.Refunds, m.Err = e.deps.Journal.ListRefunds(ctx, pos.RefundFilter{ChargeCode: code})
			}
		}
		if m.Err != nil {
			e.log.Error("detail", "op", "detail", "charge_code", string(code), "err", m.Err)
		}
		return m
	}
}

func (e *env) liveQueryCmd(code pos.ChargeCode) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := e.readCtx()
		defer cancel()
		if tx, err := e.deps.Journal.Get(ctx, code); err == nil && tx.Kind == pos.KindCash {
			return liveQueryMsg{Code: code, Cash: true} // the gateway never saw it
		}
		rep, err := e.deps.Gateway.Query(ctx, code)
		if err != nil {
			e.log.Warn("live query", "op", "query", "charge_code", string(code), "err", err)
		}
		return liveQueryMsg{Code: code, Rep: rep, Err: err}
	}
}

// batchPageSize is how many gateway rows one page of the batch query shows.
const batchPageSize = 10

func (e *env) batchCmd(page int, day time.Time) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := e.readCtx()
		defer cancel()
		p, err := e.deps.Gateway.BatchQuery(ctx, pos.BatchQueryRequest{Page: page, PageSize: batchPageSize, Begin: day, End: day})
		if err == nil && p.Outcome != pos.OutcomeDone {
			err = errGatewayAnswer
		}
		if err != nil {
			e.log.Warn("batch query", "op", "batchquery", "page", page, "result_code", p.Code, "err", err)
		}
		return batchMsg{Page: page, P: p, Err: err}
	}
}

// refundCmd logs the manager in when one authorises, then refunds (or
// revokes) the charge.
func (e *env) refundCmd(code pos.ChargeCode, revoke bool, amount pos.Money, reason string, cashier pos.Cashier, mgrUser, mgrPass string) tea.Cmd {
	return func() tea.Msg {
		m := refundDoneMsg{Code: code, Revoke: revoke}
		var approver *pos.Cashier
		if mgrUser != "" {
			ctx, cancel := e.readCtx()
			mgr, err := e.deps.Checkout.Login(ctx, mgrUser, mgrPass)
			cancel()
			if err != nil {
				e.log.Info("manager login refused", "op", "refund", "charge_code", string(code), "user", mgrUser, "err", err)
				m.ManagerErr = err
				return m
			}
			approver = &mgr
		}
		if revoke {
			m.Tx, m.Err = e.deps.Checkout.Revoke(e.ctx, code, cashier, approver)
		} else {
			m.Refund, m.Err = e.deps.Checkout.Refund(e.ctx, pos.RefundInput{ChargeCode: code, Amount: amount,
				Reason: reason, Cashier: cashier, Approver: approver})
			if m.Err == nil { // the charge as it is now, for the screen's header
				ctx, cancel := e.readCtx()
				m.Tx, _ = e.deps.Journal.Get(ctx, code)
				cancel()
			}
		}
		if m.Err != nil {
			e.log.Warn("refund failed", "op", "refund", "charge_code", string(code), "revoke", revoke, "err", m.Err)
		}
		return m
	}
}

func (e *env) unsettledCmd() tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := e.readCtx()
		defer cancel()
		var m unsettledMsg
		if m.Txs, m.Err = e.deps.Journal.List(ctx, pos.Filter{Unsettled: true}); m.Err == nil {
			m.Refunds, m.Err = e.deps.Journal.ListRefunds(ctx, pos.RefundFilter{Unsettled: true})
		}
		if m.Err != nil {
			e.log.Error("unsettled list", "op", "unsettled", "err", m.Err)
		}
		if e.deps.LastSettlement != nil {
			if s, ok, err := e.deps.LastSettlement(ctx); err != nil {
				e.log.Warn("last settlement", "op", "unsettled", "err", err)
			} else if ok {
				m.Settlement = &s
			}
		}
		return m
	}
}

func countOf(m unsettledMsg) unsettledCountMsg {
	c := unsettledCountMsg{Refunds: len(m.Refunds), Err: m.Err}
	for _, tx := range m.Txs {
		c.Codes = append(c.Codes, tx.ChargeCode)
	}
	return c
}

func (e *env) countUnsettledCmd() tea.Cmd {
	return func() tea.Msg {
		m := e.unsettledCmd()().(unsettledMsg)
		return countOf(m)
	}
}

// reconcileFeed carries the reconciler's per-row events to the screen.
type reconcileFeed struct{ ch chan pos.ReconcileProgress }

func (e *env) reconcileCmd(run int) (tea.Cmd, reconcileFeed) {
	feed := reconcileFeed{ch: make(chan pos.ReconcileProgress, 64)}
	return func() tea.Msg {
		defer close(feed.ch)
		sum, err := e.deps.ReconcileNow(e.ctx, func(p pos.ReconcileProgress) {
			select {
			case feed.ch <- p:
			default:
			}
		})
		if err != nil {
			e.log.Warn("reconcile now", "op", "reconcile", "err", err)
		}
		return reconcileDoneMsg{Run: run, Sum: sum, Err: err}
	}, feed
}

func (f reconcileFeed) next(run int) tea.Cmd {
	return func() tea.Msg {
		p, ok := <-f.ch
		if !ok {
			return nil
		}
		return reconcileProgressMsg{Run: run, P: p}
	}
}

func (e *env) probeCmd(after time.Duration) tea.Cmd {
	probe := func() tea.Msg {
		ctx, cancel := e.readCtx()
		defer cancel()
		l, err := e.deps.Gateway.Channels(ctx)
		return probeMsg{OK: err == nil && l.Outcome == pos.OutcomeDone}
	}
	if after <= 0 {
		return probe
	}
	return tea.Tick(after, func(time.Time) tea.Msg { return probe() })
}

func listenScanner(ch <-chan device.Event) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		ev, ok := <-ch
		if !ok {
			return scannerClosedMsg{}
		}
		return scannerMsg{Ev: ev}
	}
}

func listenPrinter(ch <-chan PrinterEvent) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		ev, ok := <-ch
		if !ok {
			return nil
		}
		return printerMsg{Ev: ev}
	}
}

// wakePrinterCmd tells the printer side a receipt is waiting in the journal.
func (e *env) wakePrinterCmd() tea.Cmd {
	if e.deps.ReceiptQueued == nil {
		return nil
	}
	return func() tea.Msg {
		e.deps.ReceiptQueued()
		return nil
	}
}

func (e *env) reprintCmd(code pos.ChargeCode) tea.Cmd {
	if e.deps.Reprint == nil {
		return nil
	}
	return func() tea.Msg {
		ctx, cancel := e.readCtx()
		defer cancel()
		err := e.deps.Reprint(ctx, code)
		if err != nil {
			e.log.Warn("reprint", "op", "reprint", "charge_code", string(code), "err", err)
		}
		return printDoneMsg{Code: code, Err: err}
	}
}

func (e *env) testPrintCmd() tea.Cmd {
	if e.deps.TestPrint == nil {
		return nil
	}
	return func() tea.Msg {
		ctx, cancel := e.readCtx()
		defer cancel()
		err := e.deps.TestPrint(ctx)
		if err != nil {
			e.log.Warn("test print", "op", "testprint", "err", err)
		}
		return printDoneMsg{Err: err}
	}
}

func (e *env) receiptTextCmd(code pos.ChargeCode) tea.Cmd {
	if e.deps.ReceiptText == nil {
		return nil
	}
	return func() tea.Msg {
		ctx, cancel := e.readCtx()
		defer cancel()
		s, err := e.deps.ReceiptText(ctx, code)
		if err != nil {
			e.log.Warn("receipt preview", "op", "receipt", "charge_code", string(code), "err", err)
		}
		return receiptTextMsg{Code: code, Text: s, Err: err}
	}
}

func (e *env) slipTextCmd(code pos.ChargeCode, outRefundNo string) tea.Cmd {
	if e.deps.SlipText == nil {
		return nil
	}
	return func() tea.Msg {
		ctx, cancel := e.readCtx()
		defer cancel()
		text, err := e.deps.SlipText(ctx, code, outRefundNo)
		if err != nil {
			e.log.Warn("slip preview", "op", "slip", "charge_code", string(code), "err", err)
		}
		return slipTextMsg{Code: code, OutRefundNo: outRefundNo, Text: text, Err: err}
	}
}

func (e *env) customerPaysCmd(code pos.ChargeCode, barCode string) tea.Cmd {
	if e.deps.Demo == nil || e.deps.Demo.CustomerPays == nil {
		return nil
	}
	return func() tea.Msg {
		ctx, cancel := e.readCtx()
		defer cancel()
		err := e.deps.Demo.CustomerPays(ctx, barCode)
		if err != nil {
			e.log.Warn("demo customer pays", "op", "demo", "charge_code", string(code), "err", err)
		}
		return customerPaidMsg{Code: code, Err: err}
	}
}
