package printer

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"posterm/pos"
)

// Total is a count of transactions and their amount.
type Total struct {
	Count  int
	Amount pos.Money
}

// ChannelTotal is the paid total of one payment channel in a shift.
type ChannelTotal struct {
	ChannelType string // CHANNEL_TYPE code (WIRE.md §7)
	Name        string // overrides the name of ChannelType when set
	Total
}

// ShiftReport is a shift (X: interim, Z: final) report. The caller computes
// the totals (pos owns shift arithmetic); printer only lays them out.
type ShiftReport struct {
	Merchant  string
	Store     string
	Register  string
	Cashier   string
	Shift     string    // shift id
	Final     bool      // Z report (shift closed); false: X (interim)
	From, To  time.Time // the shift's span; a zero To is not printed
	Printed   time.Time
	Channels  []ChannelTotal // paid totals by channel
	Sales     Total          // paid charges
	Refunds   Total          // refunds (amount positive: money returned)
	Revokes   Total          // revoked charges
	Net       pos.Money      // sales − refunds − revokes, as pos computed it
	Unsettled int            // charges or refunds still unknown
	// A Z report's own lines (Final): its number per till, paid sales by
	// cashier, the cash count and the unsettled charges carried over.
	Number      int
	ByCashier   []CashierTotal
	Cash        bool // print the cash lines
	CashX       bool // an X report: print the cash expected only (nothing counted yet)
	CashExpect  pos.Money
	CashCounted pos.Money
	CarriedOver []string
	Reprint     bool
	Demo        bool
	Lang        Lang
}

// CashierTotal is one cashier's paid sales in a shift.
type CashierTotal struct {
	Cashier string
	Total
}

// ShiftReport renders s as one ticket ending in a cut. Copies do not apply.
func (l Layout) ShiftReport(s ShiftReport) ([]byte, error) {
	p := l.newPage(s.Lang)
	p.Start()
	p.demo(s.Demo)
	p.centre(s.Merchant, 2, true)
	p.centre(s.Store, 1, false)
	p.centre(p.lbl(lblShift), 1, true)
	if s.Final {
		p.centre(p.lbl(lblFinal), 1, false)
	} else {
		p.centre(p.lbl(lblInterim), 1, false)
	}
	if s.Reprint {
		p.centre(p.lbl(lblReprint), 1, true)
	}
	p.rule()
	p.kv(lblRegister, s.Register)
	p.kv(lblCashier, s.Cashier)
	p.kv(lblShiftID, s.Shift)
	if s.Number > 0 {
		p.kv(lblZNumber, itoa(s.Number))
	}
	p.kv(lblFrom, fmtTime(s.From))
	p.kv(lblTo, fmtTime(s.To))
	p.kv(lblPrinted, fmtTime(s.Printed))
	p.rule()
	p.Bold(true)
	p.columns(p.lbl(lblByChannel), p.lbl(lblCount), p.lbl(lblAmount), 0)
	p.Bold(false)
	if len(s.Channels) == 0 {
		p.Line("  " + p.lbl(lblNoTrade))
	}
	for _, c := range s.Channels {
		name := c.Name
		if name == "" {
			name = ChannelName(c.ChannelType, langOf(p))
		}
		p.columns(name, itoa(c.Count), c.Amount.Yuan(), 2)
	}
	p.rule()
	p.columns(p.lbl(lblSales), itoa(s.Sales.Count), s.Sales.Amount.Yuan(), 0)
	p.columns(p.lbl(lblRefunds), itoa(s.Refunds.Count), (-s.Refunds.Amount).Yuan(), 0)
	p.columns(p.lbl(lblRevokes), itoa(s.Revokes.Count), (-s.Revokes.Amount).Yuan(), 0)
	p.rule()
	p.amountLine(lblNet, s.Net, true)
	p.kv(lblUnsettled, itoa(s.Unsettled))
	if len(s.ByCashier) > 0 {
		p.rule()
		p.Bold(true)
		p.columns(p.lbl(lblByCashier), p.lbl(lblCount), p.lbl(lblAmount), 0)
		p.Bold(false)
		for _, c := range s.ByCashier {
			p.columns(c.Cashier, itoa(c.Count), c.Amount.Yuan(), 2)
		}
	}
	if s.Cash {
		p.rule()
		p.kv(lblCashExp, yuan(s.CashExpect))
		p.kv(lblCashCnt, yuan(s.CashCounted))
		p.amountLine(lblCashDiff, s.CashCounted-s.CashExpect, true)
	} else if s.CashX {
		p.rule()
		p.kv(lblCashExp, yuan(s.CashExpect))
	}
	if len(s.CarriedOver) > 0 {
		p.rule()
		p.Line(p.c.prepare(p.lbl(lblCarried) + ":"))
		for _, c := range s.CarriedOver {
			p.Line("  " + p.c.truncate(p.c.prepare(c), p.cols-2))
		}
	}
	p.rule()
	p.demo(s.Demo)
	p.Cut()
	return p.Result()
}

// TestPage renders the print-test page: the profile in words, a column
// ruler, the code page (printable ASCII and, for a single-byte page, its
// upper half), a Chinese line, bold and double-size samples, a QR code and
// a cut. now is printed so two test pages can be told apart.
func (l Layout) TestPage(now time.Time) ([]byte, error) {
	p := l.newPage(LangEN)
	prof := p.Profile()
	p.Start()
	p.centre("posterm", 2, true)
	p.centre("打印测试 PRINT TEST", 1, true)
	p.rule()
	p.Line(fmt.Sprintf("Paper %d mm, %d columns", prof.Paper, prof.Columns))
	if p.c.chinese() {
		p.Line(fmt.Sprintf("Charset %s (FS &)", prof.Charset))
	} else {
		p.Line(fmt.Sprintf("Charset %s (ESC t %d)", prof.Charset, codePages[prof.Charset].n))
	}
	p.Line(fmt.Sprintf("QR %s, module %d, level %c", prof.QR, prof.QRModule, prof.QRLevel))
	p.Line(fmtTime(now))
	p.rule()
	ruler := strings.Repeat("1234567890", p.cols/10+1)[:p.cols]
	p.Line(ruler)
	var ascii strings.Builder
	for c := rune(0x20); c < 0x7f; c++ {
		ascii.WriteRune(c)
	}
	for _, ln := range chunk(ascii.String(), p.cols) {
		p.Line(ln)
	}
	if !p.c.chinese() && !p.c.asciiOnly() {
		cm := codePages[prof.Charset].cm
		var high strings.Builder
		for b := 0x80; b <= 0xff; b++ {
			r := cm.DecodeByte(byte(b))
			if r == utf8.RuneError || r < 0x20 || (r >= 0x7f && r < 0xa0) {
				r = '?'
			}
			high.WriteRune(r)
		}
		for _, ln := range chunk(high.String(), p.cols) {
			p.Line(ln)
		}
	}
	p.rule()
	p.Line("中文：收款成功 ¥158.00")
	p.Line("商户联，谢谢惠顾！")
	p.Bold(true).Line("Bold 粗体").Bold(false)
	p.Size(2, 2).Line("x2 双倍").Size(1, 1)
	p.Underline(1).Line("Underline 下划线").Underline(0)
	p.kv(lblTotal, yuan(15800))
	p.rule()
	if prof.QR != QRNone {
		p.QR("posterm print-test")
		p.centre("posterm print-test", 1, false)
	}
	p.Cut()
	return p.Result()
}

// chunk splits s into pieces of n runes.
func chunk(s string, n int) []string {
	var out []string
	r := []rune(s)
	for len(r) > n {
		out = append(out, string(r[:n]))
		r = r[n:]
	}
	return append(out, string(r))
}
