package printer

import "strings"

// Lang is the language of printed labels: "zh-CN" or "en". Anything else
// prints Chinese. On a printer without Chinese fonts (a code-page Charset)
// labels are always printed in English.
type Lang string

// Languages.
const (
	LangZH Lang = "zh-CN"
	LangEN Lang = "en"
)

func (l Lang) en() bool { return strings.HasPrefix(strings.ToLower(string(l)), "en") }

// label is one printed word in both languages. Labels contain no East-Asian
// ambiguous characters (— · ×), so they take the same columns on paper and
// on the screen preview (TestLabels_NoAmbiguousWidth).
type label struct{ zh, en string }

func (l label) in(en bool) string {
	if en {
		return l.en
	}
	return l.zh
}

var (
	lblSale      = label{"收款凭证", "PAYMENT RECEIPT"}
	lblRefund    = label{"退款凭证", "REFUND SLIP"}
	lblRevoke    = label{"撤销凭证", "REVOKE SLIP"}
	lblShift     = label{"班次报表", "SHIFT REPORT"}
	lblCustomer  = label{"顾客联", "CUSTOMER COPY"}
	lblMerchant  = label{"商户联", "MERCHANT COPY"}
	lblReprint   = label{"*** 重印 REPRINT ***", "*** REPRINT ***"}
	lblDemo      = label{"*** 演示 DEMO ***", "*** DEMO ***"}
	lblDemoNote  = label{"非真实支付 NOT A REAL PAYMENT", "NOT A REAL PAYMENT"}
	lblStore     = label{"门店", "Store"}
	lblRegister  = label{"收银台", "Register"}
	lblCashier   = label{"收银员", "Cashier"}
	lblTime      = label{"时间", "Time"}
	lblCharge    = label{"订单号", "Charge code"}
	lblDownCode  = label{"流水号", "Gateway serial"}
	lblChannel   = label{"支付方式", "Paid by"}
	lblPayCode   = label{"付款码", "Payment code"}
	lblFunds     = label{"资金明细", "Funds"}
	lblTotal     = label{"实收金额", "TOTAL"}
	lblState     = label{"状态", "State"}
	lblRefundNo  = label{"退款单号", "Refund no."}
	lblOrigAmt   = label{"原交易金额", "Original amount"}
	lblRefundAmt = label{"退款金额", "REFUND"}
	lblRevokeAmt = label{"撤销金额", "REVOKED"}
	lblReason    = label{"原因", "Reason"}
	lblApprover  = label{"授权人", "Approved by"}
	lblSignature = label{"顾客签名", "Customer signature"}
	lblThanks    = label{"谢谢惠顾", "Thank you"}
	lblCash      = label{"现金", "Cash"}
	lblTendered  = label{"实收", "Tendered"}
	lblChange    = label{"找零", "Change"}
	lblShiftID   = label{"班次", "Shift"}
	lblFrom      = label{"开始", "From"}
	lblTo        = label{"结束", "To"}
	lblPrinted   = label{"打印时间", "Printed"}
	lblByChannel = label{"按渠道", "By channel"}
	lblCount     = label{"笔数", "Count"}
	lblAmount    = label{"金额", "Amount"}
	lblSales     = label{"收款", "Sales"}
	lblRefunds   = label{"退款", "Refunds"}
	lblRevokes   = label{"撤销", "Revokes"}
	lblNet       = label{"净收", "NET"}
	lblUnsettled = label{"待处理", "Unsettled"}
	lblFinal     = label{"日结 (Z)", "END OF SHIFT (Z)"}
	lblInterim   = label{"中途 (X)", "INTERIM (X)"}
	lblZNumber   = label{"日结号", "Z no."}
	lblByCashier = label{"按收银员", "By cashier"}
	lblCashExp   = label{"应有现金", "Cash expected"}
	lblCashCnt   = label{"实点现金", "Cash counted"}
	lblCashDiff  = label{"差额", "Difference"}
	lblCarried   = label{"转下班", "Carried over"}
	lblNoTrade   = label{"无交易", "No transactions"}
)

// stateNames names the local transaction states (ARCHITECTURE.md) and the
// refund states; any other state text is printed as the caller gave it.
var stateNames = map[string]label{
	"sending":            {"处理中", "Sending"},
	"paid":               {"支付成功", "Paid"},
	"declined":           {"支付失败", "Declined"},
	"unknown":            {"结果未知", "Unknown"},
	"pending":            {"待支付", "Pending"},
	"closed":             {"已关闭", "Closed"},
	"revoked":            {"已撤销", "Revoked"},
	"voided":             {"已作废", "Voided"},
	"partially_refunded": {"部分退款", "Partly refunded"},
	"refunded":           {"已退款", "Refunded"},
	"refunding":          {"退款中", "Refunding"},
	"refund_failed":      {"退款失败", "Refund failed"},
}

// StateName returns the printed name of a state in lang ("paid" → "支付成功").
func StateName(state string, lang Lang) string {
	if l, ok := stateNames[strings.ToLower(strings.TrimSpace(state))]; ok {
		return l.in(lang.en())
	}
	return state
}

// channelNames are the CHANNEL_TYPE codes of WIRE.md §7 (Appendix 2).
var channelNames = map[string]label{
	"0": {"网关自选", "Gateway choice"}, "1": {"支付宝", "Alipay"}, "2": {"微信支付", "WeChat Pay"},
	"3": {"招商银行", "China Merchants Bank"}, "4": {"工商银行", "ICBC"}, "5": {"建设银行", "CCB"},
	"6": {"交通银行", "Bank of Communications"}, "7": {"光大银行", "Everbright"}, "8": {"华夏银行", "Huaxia"},
	"9": {"农业银行", "Agricultural Bank"}, "10": {"浦发银行", "SPD Bank"}, "11": {"民生银行", "Minsheng"},
	"12": {"兴业银行", "Industrial Bank"}, "13": {"中国银行", "Bank of China"}, "14": {"中信银行", "CITIC"},
	"15": {"广发银行", "Guangfa"}, "16": {"平安银行", "Ping An"}, "17": {"保留", "reserved"},
	"18": {"深圳发展银行", "Shenzhen Development Bank"}, "19": {"汇丰银行", "HSBC"},
	"20": {"东亚银行", "Bank of East Asia"}, "21": {"恒生银行", "Hang Seng"}, "22": {"花旗银行", "Citibank"},
	"23": {"渣打银行", "Standard Chartered"}, "24": {"百度钱包", "Baidu Wallet"},
	"25": {"中国移动和包", "China Mobile HeBao"}, "26": {"联通沃支付", "Unicom Pay"},
	"27": {"翼支付", "China Telecom Yipay"}, "28": {"小米钱包", "Mi Wallet"}, "29": {"Apple Pay", "Apple Pay"},
	"30": {"Samsung Pay", "Samsung Pay"}, "31": {"QQ钱包", "QQ Wallet"},
}

// fundChannelNames are the FUND_CHANNEL codes of WIRE.md §7 (Appendix 3).
var fundChannelNames = map[string]label{
	"00": {"支付宝红包", "Alipay red packet"}, "10": {"支付宝余额", "Alipay balance"},
	"60": {"支付宝预付卡", "Alipay prepaid card"}, "30": {"集分宝", "Alipay Jifenbao"},
	"70": {"支付宝信用", "Alipay credit"}, "40": {"折扣券", "Discount voucher"},
	"80": {"预付卡", "Prepaid card"}, "90": {"消费信贷", "Consumer credit"},
	"11": {"微信支付", "WeChat Pay"}, "41": {"微信现金券", "WeChat cash coupon"},
	"12": {"QQ钱包", "QQ Wallet"}, "42": {"QQ钱包现金券", "QQ Wallet cash coupon"},
	"100": {"余额宝", "Alipay financial account"}, "101": {"商户储值卡", "Merchant store card"},
	"102": {"商户优惠券", "Merchant coupon"}, "103": {"银行卡(支付宝)", "Bank card via Alipay"},
	"104": {"商户红包", "Merchant red packet"}, "9001": {"银行卡", "Bank card"},
	"9002": {"随机立减", "Random discount"}, "9003": {"免单", "Free of charge"},
	"9004": {"满减", "Threshold discount"},
}

// ChannelName names a CHANNEL_TYPE code ("1" → "支付宝" / "Alipay");
// an unknown code prints as "渠道 99" / "Channel 99".
func ChannelName(code string, lang Lang) string {
	code = strings.TrimSpace(code)
	if l, ok := channelNames[code]; ok {
		return l.in(lang.en())
	}
	return label{"渠道 " + code, "Channel " + code}.in(lang.en())
}

// FundChannelName names a FUND_CHANNEL code ("10" → "支付宝余额" / "Alipay
// balance"); an unknown code prints as "资金渠道 99" / "Fund channel 99".
func FundChannelName(code string, lang Lang) string {
	code = strings.TrimSpace(code)
	if l, ok := fundChannelNames[code]; ok {
		return l.in(lang.en())
	}
	return label{"资金渠道 " + code, "Fund channel " + code}.in(lang.en())
}
