package printer

import (
	"strconv"
	"strings"
	"time"

	"posterm/pos"
)

// Copy labels a printed copy of a receipt.
type Copy string

// Copies of a receipt.
const (
	CopyNone     Copy = ""
	CopyCustomer Copy = "customer"
	CopyMerchant Copy = "merchant"
)

// Layout turns receipts and reports into ESC/POS bytes for one printer.
// It is a plain value built once from config; its methods are safe for
// concurrent use.
type Layout struct {
	Profile Profile
	// Copies are printed one after another, each labelled and cut; nil
	// prints one copy labelled with Receipt.Copy.
	Copies []Copy
	// QR prints the charge code as a QR code at the foot of receipts and slips.
	QR bool
	// Footer is the shop's own closing line (wrapped); "" prints the thank-you line.
	Footer string
	// Drawer pulses the cash drawer before the first copy of a sale receipt.
	Drawer bool
}

// Copies lists the copies a receipt prints: customer copies first, then
// merchant copies (config's customer_copies and merchant_copies). Both
// zero gives one customer copy: a paid charge always gets its receipt.
func Copies(customer, merchant int) []Copy {
	var c []Copy
	for range max(customer, 0) {
		c = append(c, CopyCustomer)
	}
	for range max(merchant, 0) {
		c = append(c, CopyMerchant)
	}
	if len(c) == 0 {
		c = []Copy{CopyCustomer}
	}
	return c
}

// TimeFormat is how times are printed, in the time's own location.
const TimeFormat = "2006-01-02 15:04:05"

// page is one ticket being laid out: an Encoder, the column count and the
// label language (English when the printer cannot print Chinese).
type page struct {
	*Encoder
	cols int
	en   bool
}

func (l Layout) newPage(lang Lang) *page {
	e := NewEncoder(l.Profile)
	return &page{Encoder: e, cols: e.p.Columns, en: lang.en() || !e.c.chinese()}
}

func (p *page) lbl(l label) string { return l.in(p.en) }

// centre prints wrapped, centred lines. size 2 doubles width and height
// when the text fits one line that way, else only the height.
func (p *page) centre(s string, size int, bold bool) {
	s = p.c.prepare(strings.TrimSpace(s))
	if s == "" {
		return
	}
	p.Align(AlignCenter)
	if bold {
		p.Bold(true)
	}
	w := p.cols
	if size > 1 {
		if p.c.width(s) <= p.cols/size {
			p.Size(size, size)
			w = p.cols / size
		} else {
			p.Size(1, size)
		}
	}
	for _, ln := range p.c.wrap(s, w) {
		p.Line(ln)
	}
	if size > 1 {
		p.Size(1, 1)
	}
	if bold {
		p.Bold(false)
	}
	p.Align(AlignLeft)
}

// rule prints a line of dashes across the paper.
func (p *page) rule() { p.Line(strings.Repeat("-", p.cols)) }

// kv prints a label on the left and its value right-aligned on the same
// line when both fit, otherwise the value right-aligned below (wrapped if
// longer than a line).
func (p *page) kv(l label, value string) {
	value = p.c.prepare(strings.TrimSpace(value))
	if value == "" {
		return
	}
	name := p.c.prepare(p.lbl(l))
	if p.c.width(name)+1+p.c.width(value) <= p.cols {
		p.Line(name + p.c.padLeft(value, p.cols-p.c.width(name)))
		return
	}
	p.Line(name)
	for _, ln := range p.c.wrap(value, p.cols) {
		p.Line(p.c.padLeft(ln, p.cols))
	}
}

// amountLine prints a label and an amount right-aligned; big prints it bold
// and double height (double height keeps the column count).
func (p *page) amountLine(l label, m pos.Money, big bool) {
	if big {
		p.Bold(true).Size(1, 2)
	}
	p.kv(l, yuan(m))
	if big {
		p.Size(1, 1).Bold(false)
	}
}

// columns prints a name (wrapped) with up to two right-aligned columns
// (count, amount) on its first line.
func (p *page) columns(name, count, amount string, indent int) {
	// An amount takes up to 12 characters (-99999999.99 yuan) with at
	// least one space before it, so it never fuses with the count, on 58
	// mm paper too; the count has 4 digits and a space on 58 mm, 5 wider.
	amtW := max(13, p.cols/4)
	cntW := 6
	if p.cols < 40 {
		cntW = 5
	}
	nameW := p.cols - amtW - cntW - indent
	name = p.c.prepare(name)
	tail := p.c.padLeft(p.c.prepare(count), cntW) + p.c.padLeft(p.c.prepare(amount), amtW)
	for i, ln := range p.c.wrap(name, nameW) {
		ln = strings.Repeat(" ", indent) + ln
		if i == 0 {
			ln = p.c.padRight(ln, nameW+indent) + tail
		}
		p.Line(strings.TrimRight(ln, " "))
	}
}

// item prints an indented name and a right-aligned plain amount.
func (p *page) item(name string, m pos.Money) {
	amt := m.Yuan()
	name = p.c.prepare(name)
	w := p.cols - 2 - len(amt) - 1
	lines := p.c.wrap(name, w)
	for i, ln := range lines {
		if i == 0 {
			p.Line("  " + p.c.padRight(ln, w) + " " + amt)
			continue
		}
		p.Line("  " + ln)
	}
}

func (p *page) demo(on bool) {
	if on {
		p.centre(p.lbl(lblDemo), 1, true)
		p.centre(p.lbl(lblDemoNote), 1, true)
	}
}

// yuan formats money for paper: ¥158.00, -¥8.00 (¥ becomes ￥ in Chinese mode).
func yuan(m pos.Money) string {
	if m < 0 {
		return "-¥" + (-m).Yuan()
	}
	return "¥" + m.Yuan()
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(TimeFormat)
}

func itoa(n int) string { return strconv.Itoa(n) }
