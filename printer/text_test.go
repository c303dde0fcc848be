package printer

import (
	"reflect"
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"
)

func TestCodec_Width(t *testing.T) {
	gb, cp := newCodec(GB18030), newCodec(CP437)
	tests := []struct {
		s      string
		gb, cp int
	}{
		{"", 0, 0},
		{"abc", 3, 3},
		{"中文", 4, 2},
		{"收银员 张三", 11, 6},
		{"￥158.00", 8, 7},
		{"—", 2, 1}, // ambiguous: a double-byte GB character prints two columns
		// widths of the fallback, as printed (issue 11)
		{"ö", 1, 1}, {"ß", 2, 1}, {"😀", 1, 1}, {"€", 3, 3}, {"Köln 咖啡☕", 10, 8},
	}
	for _, tc := range tests {
		if got := gb.width(gb.prepare(tc.s)); got != tc.gb {
			t.Errorf("gb width(%q) = %d, want %d", tc.s, got, tc.gb)
		}
		if got := cp.width(cp.prepare(tc.s)); got != tc.cp {
			t.Errorf("cp width(%q) = %d, want %d", tc.s, got, tc.cp)
		}
	}
}

func TestCodec_Wrap(t *testing.T) {
	gb := newCodec(GB18030)
	tests := []struct {
		name string
		s    string
		w    int
		want []string
	}{
		{"fits", "好又多超市", 10, []string{"好又多超市"}},
		{"cjk breaks anywhere", "上海市徐汇区好又多连锁超市", 10, []string{"上海市徐汇", "区好又多连", "锁超市"}},
		{"cjk odd width", "上海市徐汇区", 5, []string{"上海", "市徐", "汇区"}},
		{"latin at spaces", "Alipay balance and more", 10, []string{"Alipay", "balance", "and more"}},
		{"long word cut", "SOSO2026031415040599", 8, []string{"SOSO2026", "03141504", "0599"}},
		{"mixed", "Demo演示商户 Shop", 8, []string{"Demo演示", "商户", "Shop"}},
		{"latin before cjk", "ab上海", 3, []string{"ab", "上", "海"}},
		{"spaces trimmed", "ab   cd  ", 3, []string{"ab", "cd"}},
		{"empty", "", 5, []string{""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := gb.wrap(tc.s, tc.w)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("wrap(%q, %d) = %q, want %q", tc.s, tc.w, got, tc.want)
			}
			for _, ln := range got {
				if gb.width(ln) > tc.w {
					t.Errorf("line %q is %d columns, max %d", ln, gb.width(ln), tc.w)
				}
			}
			if strings.Join(strings.Fields(strings.Join(got, "")), "") != strings.Join(strings.Fields(tc.s), "") {
				t.Errorf("wrap lost text: %q → %q", tc.s, got)
			}
		})
	}
}

func TestCodec_PadAndTruncate(t *testing.T) {
	gb := newCodec(GB18030)
	if got := gb.padLeft("￥8.00", 10); got != "    ￥8.00" {
		t.Errorf("padLeft = %q", got)
	}
	if got := gb.padRight("支付宝", 8); got != "支付宝  " {
		t.Errorf("padRight = %q", got)
	}
	if got := gb.truncate("支付宝余额", 5); got != "支付" {
		t.Errorf("truncate = %q", got)
	}
}

func TestMaskCode(t *testing.T) {
	tests := map[string]string{
		"281234567890123456":   "2812****3456",
		"2812****3456":         "2812****3456", // already masked: unchanged
		"12345678":             "12345678",
		"":                     "",
		" 134567890123456789 ": "1345****6789",
	}
	for in, want := range tests {
		if got := MaskCode(in); got != want {
			t.Errorf("MaskCode(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestLabels_NoAmbiguousWidth keeps labels and names free of East-Asian
// ambiguous characters, which the printer prints two columns wide but the
// screen preview shows one wide (HARDWARE.md).
func TestLabels_NoAmbiguousWidth(t *testing.T) {
	var all []label
	all = append(all, lblSale, lblRefund, lblRevoke, lblShift, lblCustomer, lblMerchant, lblReprint,
		lblDemo, lblDemoNote, lblRegister, lblCashier, lblTime, lblCharge, lblDownCode, lblChannel,
		lblPayCode, lblFunds, lblTotal, lblState, lblRefundNo, lblOrigAmt, lblRefundAmt, lblRevokeAmt,
		lblReason, lblApprover, lblSignature, lblThanks, lblShiftID, lblFrom, lblTo, lblPrinted,
		lblByChannel, lblCount, lblAmount, lblSales, lblRefunds, lblRevokes, lblNet, lblUnsettled,
		lblFinal, lblInterim, lblNoTrade, lblZNumber, lblByCashier, lblCashExp, lblCashCnt, lblCashDiff, lblCarried,
		lblCash, lblTendered, lblChange)
	for _, m := range []map[string]label{stateNames, channelNames, fundChannelNames} {
		for _, l := range m {
			all = append(all, l)
		}
	}
	for _, l := range all {
		for _, s := range []string{l.zh, l.en} {
			for _, r := range s {
				if runewidth.IsAmbiguousWidth(r) {
					t.Errorf("label %q has ambiguous-width %q", s, r)
				}
			}
		}
		if l.en == "" || l.zh == "" {
			t.Errorf("label %+v lacks a language", l)
		}
		for _, r := range l.en {
			if r >= 0x80 {
				t.Errorf("English label %q is not ASCII (code-page printers)", l.en)
				break
			}
		}
	}
}

func TestChannelNames_AllCodes(t *testing.T) {
	for i := 0; i <= 31; i++ {
		code := itoa(i)
		if _, ok := channelNames[code]; !ok {
			t.Errorf("CHANNEL_TYPE %s has no name", code)
		}
	}
	for _, code := range []string{"00", "10", "60", "30", "70", "40", "80", "90", "11", "41", "12", "42",
		"100", "101", "102", "103", "104", "9001", "9002", "9003", "9004"} {
		if _, ok := fundChannelNames[code]; !ok {
			t.Errorf("FUND_CHANNEL %s has no name", code)
		}
	}
	if got := ChannelName("99", LangEN); got != "Channel 99" {
		t.Errorf("unknown channel = %q", got)
	}
	if got := FundChannelName("10", LangZH); got != "支付宝余额" {
		t.Errorf("fund channel 10 = %q", got)
	}
}
