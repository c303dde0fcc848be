package device

import (
	"strconv"
	"strings"
)

// Kind is what a scanned code looks like. It is a hint for the screen
// (the wallet's name and colour); the gateway decides the channel.
type Kind int

// The kinds of scanned code.
const (
	KindUnknown  Kind = iota // digits of a plausible length, no known wallet prefix: let the gateway try
	KindAlipay               // 25–30, 16–24 digits
	KindWeChat               // 10–15, 18 digits
	KindUnionPay             // 62, 19 digits
	KindRefused              // not a payment code: do not send it (Reason says why)
)

// String returns a stable lowercase name for logs and JSON.
func (k Kind) String() string {
	switch k {
	case KindUnknown:
		return "unknown"
	case KindAlipay:
		return "alipay"
	case KindWeChat:
		return "wechat"
	case KindUnionPay:
		return "unionpay"
	case KindRefused:
		return "refused"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Text returns the kind's name for the cashier in lang ("zh…" for
// Chinese, anything else English).
func (k Kind) Text(lang string) string {
	zh := isZh(lang)
	switch k {
	case KindAlipay:
		return pick(zh, "支付宝", "Alipay")
	case KindWeChat:
		return pick(zh, "微信支付", "WeChat Pay")
	case KindUnionPay:
		return pick(zh, "银联", "UnionPay")
	case KindRefused:
		return pick(zh, "不是付款码", "Not a payment code")
	}
	return pick(zh, "其他付款码", "Other payment code")
}

// Reason is a stable code for why a code was refused or not recognised.
// The UI translates it (Text offers zh-CN and English); logs print it.
type Reason string

// The reasons. ReasonNone goes with a recognised wallet.
const (
	ReasonNone          Reason = ""
	ReasonEmpty         Reason = "empty"          // nothing but spaces
	ReasonNotDigits     Reason = "not_digits"     // text, a URL, a collection QR…
	ReasonTooShort      Reason = "too_short"      // fewer than 16 digits and not a product code
	ReasonTooLong       Reason = "too_long"       // more than 24 digits
	ReasonProductEAN13  Reason = "product_ean13"  // EAN-13 with a valid check digit
	ReasonProductEAN8   Reason = "product_ean8"   // EAN-8 with a valid check digit
	ReasonProductUPC    Reason = "product_upc"    // UPC-A (12 digits) with a valid check digit
	ReasonProductISBN   Reason = "product_isbn"   // EAN-13 starting 978/979: a book
	ReasonProductGTIN14 Reason = "product_gtin14" // ITF-14/GTIN-14 carton code
	ReasonUnrecognised  Reason = "unrecognised"   // digits of a payment code's length, no known prefix
)

// Text returns one short sentence for the cashier in lang ("zh…" for
// Chinese, anything else English) that says what to do next.
func (r Reason) Text(lang string) string {
	zh := isZh(lang)
	switch r {
	case ReasonNone:
		return ""
	case ReasonEmpty:
		return pick(zh, "没有读到条码，请重新扫描。", "Nothing was read. Scan again.")
	case ReasonNotDigits:
		return pick(zh, "这不是付款码，请顾客打开支付宝或微信的付款码。", "This is not a payment code. Ask the customer to open the Alipay or WeChat payment code.")
	case ReasonTooShort, ReasonTooLong:
		return pick(zh, "条码长度不对，请重新扫描顾客的付款码。", "The code has the wrong length. Scan the customer's payment code again.")
	case ReasonProductEAN13, ReasonProductEAN8, ReasonProductUPC, ReasonProductGTIN14:
		return pick(zh, "这是商品条码，请扫描顾客的付款码。", "This is a product barcode. Scan the customer's payment code.")
	case ReasonProductISBN:
		return pick(zh, "这是图书条码，请扫描顾客的付款码。", "This is a book's barcode. Scan the customer's payment code.")
	case ReasonUnrecognised:
		return pick(zh, "未识别的付款码，将由支付网关确认。", "Unrecognised payment code; the gateway will check it.")
	}
	return string(r)
}

// Classification is the result of Classify.
type Classification struct {
	Kind   Kind
	Reason Reason // ReasonNone for a recognised wallet
}

// Payable reports whether the code may be sent to the gateway (every kind
// but KindRefused).
func (c Classification) Payable() bool { return c.Kind != KindRefused }

// Lengths of a wallet payment code (auth code), in digits.
const (
	minPayCodeLen = 16
	maxPayCodeLen = 24
)

// Classify tells what a scanned code looks like. Wallet codes: Alipay
// starts 25–30 with 16–24 digits, WeChat Pay 10–15 with 18 digits,
// UnionPay 62 with 19 digits; other digit strings of 16–24 digits are
// KindUnknown. Product barcodes (EAN-8, UPC-A, EAN-13 incl. ISBN, GTIN-14
// with a valid check digit), text and wrong lengths are KindRefused with a
// Reason. Surrounding spaces are ignored. Safe for concurrent use.
func Classify(code string) Classification {
	code = strings.TrimSpace(code)
	if code == "" {
		return refused(ReasonEmpty)
	}
	for i := 0; i < len(code); i++ {
		if code[i] < '0' || code[i] > '9' {
			return refused(ReasonNotDigits)
		}
	}
	n := len(code)
	if n < minPayCodeLen {
		if r := productReason(code); r != ReasonNone {
			return refused(r)
		}
		return refused(ReasonTooShort)
	}
	if n > maxPayCodeLen {
		return refused(ReasonTooLong)
	}
	p := int(code[0]-'0')*10 + int(code[1]-'0')
	switch {
	case p >= 25 && p <= 30:
		return Classification{Kind: KindAlipay}
	case p >= 10 && p <= 15 && n == 18:
		return Classification{Kind: KindWeChat}
	case p == 62 && n == 19:
		return Classification{Kind: KindUnionPay}
	}
	return Classification{Kind: KindUnknown, Reason: ReasonUnrecognised}
}

func refused(r Reason) Classification { return Classification{Kind: KindRefused, Reason: r} }

// productReason returns the product-code reason for an all-digit code
// shorter than a payment code, or ReasonNone.
func productReason(d string) Reason {
	if !gtinCheckOK(d) {
		return ReasonNone
	}
	switch len(d) {
	case 8:
		return ReasonProductEAN8
	case 12:
		return ReasonProductUPC
	case 13:
		if strings.HasPrefix(d, "978") || strings.HasPrefix(d, "979") {
			return ReasonProductISBN
		}
		return ReasonProductEAN13
	case 14:
		return ReasonProductGTIN14
	}
	return ReasonNone
}

// gtinCheckOK verifies the GS1 mod-10 check digit of an all-digit string:
// from the right, excluding the check digit, weights 3,1,3,1…
func gtinCheckOK(d string) bool {
	if len(d) < 2 {
		return false
	}
	sum := 0
	w := 3
	for i := len(d) - 2; i >= 0; i-- {
		sum += int(d[i]-'0') * w
		w = 4 - w
	}
	return (10-sum%10)%10 == int(d[len(d)-1]-'0')
}

func isZh(lang string) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(lang)), "zh")
}

func pick(zh bool, chinese, english string) string {
	if zh {
		return chinese
	}
	return english
}
