package gateway

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"posterm/pos"
)

func TestExactScaled(t *testing.T) {
	tests := []struct {
		in    string
		scale int
		want  int64
		bad   bool
	}{
		{"1234", 0, 1234, false},
		{"1234.0", 0, 1234, false},
		{"1.234E3", 0, 1234, false},
		{"1.234e+3", 0, 1234, false},
		{"123400e-2", 0, 1234, false},
		{"12.340", 2, 1234, false},
		{"5000.0000", 2, 500000, false},
		{"0.01", 2, 1, false},
		{"0", 2, 0, false},
		{"000", 0, 0, false},
		{"0e-99", 0, 0, false},
		{" 12 ", 0, 12, false},
		{"12.345", 2, 0, true},
		{"12.5", 0, 0, true},
		{"1e-1", 0, 0, true},
		{"-1", 0, 0, true},
		{"+1", 0, 0, true},
		{"1.", 0, 0, true},
		{".1", 2, 0, true},
		{"1e", 0, 0, true},
		{"1e+", 0, 0, true},
		{"1 2", 0, 0, true},
		{"1e999999", 0, 0, true},
		{"1e18", 0, 0, true},
		{"", 0, 0, true},
		{"NaN", 0, 0, true},
	}
	for _, tt := range tests {
		got, err := exactScaled(tt.in, tt.scale, maxMoneyFen)
		if (err != nil) != tt.bad || got != tt.want {
			t.Errorf("exactScaled(%q, %d): got %d %v, want %d bad=%v", tt.in, tt.scale, got, err, tt.want, tt.bad)
		}
	}
}

// TestPOS_SideFieldsDropped: a paid answer whose side fields are written in
// ways that cannot be read stays paid; the fields are dropped and logged
// (WIRE.md §2.4), and remote text reaches neither the Reply nor the log with
// its control characters (issue 8, case 9).
func TestPOS_SideFieldsDropped(t *testing.T) {
	answer := `{"RESULT":{"CODE":"SUCCESS","INFO":"declined\u001b[2K\rpaid ¥100.00 (ok)"},"CHARGE_CODE":"C1","AMT":"1.0E4",` +
		`"CHANNEL_TYPE":"1.0","FUND_BILL_LIST":"<TRADEFUNDBILL><FUND_CHANNEL>10</FUND_CHANNEL><AMOUNT>99.999</AMOUNT></TRADEFUNDBILL>",` +
		`"BEGIN_TIME":{"x":1},"CHARGE_DOWN_CODE":"D\u001b1"}`
	for _, format := range []Format{FormatJSON} {
		var logBuf bytes.Buffer
		g := newFakeGateway(t, fixed(answer))
		c := g.client(t, func(c *Config) {
			c.Format = format
			c.Logger = slog.New(slog.NewTextHandler(&logBuf, nil))
		})
		rep, err := ForPOS(c).Pay(context.Background(), pos.PayRequest{ChargeCode: "C1", Amount: 10000, DynamicID: "284214903060794755", Subject: "s"})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Outcome != pos.OutcomeDone || rep.Amount != 10000 || rep.Channel != pos.ChannelAlipay || len(rep.FundBills) != 0 {
			t.Errorf("got %+v, want done 100.00 alipay without fund bills", rep)
		}
		if rep.Info != "declined[2K paid ¥100.00 (ok)" || rep.ChargeDownCode != "D1" {
			t.Errorf("remote text not cleaned: Info %q ChargeDownCode %q", rep.Info, rep.ChargeDownCode)
		}
		log := logBuf.String()
		if !strings.Contains(log, "dropped") || !strings.Contains(log, "FUND_BILL_LIST") || !strings.Contains(log, "BEGIN_TIME") {
			t.Errorf("dropped fields not logged: %s", log)
		}
		if strings.ContainsAny(log, "\x1b\r") {
			t.Errorf("log carries control characters: %q", log)
		}
	}
}

// TestDecode_BatchRows reads rows in upper case and in lower camel case; a
// row without a charge code is an error (WIRE.md §4.7).
func TestDecode_BatchRows(t *testing.T) {
	tests := []struct {
		name, in string
		codes    []string
		amts     []pos.Money
		err      error
	}{
		{"upper", `{"RESULT":{"CODE":"SUCCESS"},"chargesSize":"2.0","tradeInfos":[{"CHARGE_CODE":"A","AMT":"100","STATE":"1"},{"CHARGE_CODE":"B","AMT":2E2,"STATE":5}]}`,
			[]string{"A", "B"}, []pos.Money{100, 200}, nil},
		{"camel", `{"RESULT":{"CODE":"SUCCESS"},"tradeInfos":{"tradeInfo":[{"chargeCode":"A","amt":"100","state":"1","chargeDownCode":"D","fundBillList":[{"FUND_CHANNEL":"10","AMOUNT":"1.00"}]}]}}`,
			[]string{"A"}, []pos.Money{100}, nil},
		{"string of XML", `{"RESULT":{"CODE":"SUCCESS"},"tradeInfos":"<tradeInfos><tradeInfo><CHARGE_CODE>A</CHARGE_CODE><AMT>100</AMT><STATE>1</STATE></tradeInfo></tradeInfos>"}`,
			[]string{"A"}, []pos.Money{100}, nil},
		{"row without a code", `{"RESULT":{"CODE":"SUCCESS"},"tradeInfos":[{"CHARGE_CODE":"A","AMT":"1"},{"AMT":"100","STATE":"1"}]}`,
			nil, nil, ErrRowWithoutCode},
		{"row with a bad amount", `{"RESULT":{"CODE":"SUCCESS"},"tradeInfos":[{"CHARGE_CODE":"A","AMT":"1.5"}]}`,
			nil, nil, pos.ErrBadAmount},
	}
	for _, tt := range tests {
		_, n, err := ParseMessage([]byte(tt.in))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got, err := DecodeBatchQueryResponse(n)
		if tt.err != nil {
			if !errors.Is(err, tt.err) || !errors.Is(err, ErrBadAnswer) {
				t.Errorf("%s: err %v, want %v", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || len(got.TradeInfos) != len(tt.codes) {
			t.Fatalf("%s: got %+v %v", tt.name, got, err)
		}
		for i, ti := range got.TradeInfos {
			if ti.ChargeCode != tt.codes[i] || ti.Amt != tt.amts[i] || ti.State == Absent {
				t.Errorf("%s: row %d: got %+v", tt.name, i, ti)
			}
		}
	}
}

// TestPOS_CodeNotMadeByCleaning: a RESULT CODE with a control character in
// it is unknown, and its cleaned spelling never reaches pos as a code.
func TestPOS_CodeNotMadeByCleaning(t *testing.T) {
	g := newFakeGateway(t, fixed(`{"RESULT":{"CODE":"AREADY\u001b_REVOKED","INFO":"x\u001b[1m"}}`))
	rep, err := ForPOS(g.client(t, nil)).Cancel(context.Background(), "C1", "")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Outcome != pos.OutcomeUnknown || rep.Code != "" || rep.Info != "x[1m" || strings.ContainsRune(rep.Detail, 0x1b) {
		t.Errorf("got %+v", rep)
	}
}

// FuzzParseParams: `posterm gw call` FIELD=VALUE arguments (outside bytes
// typed by a support engineer or pasted from a ticket) are split at the first
// '=' and never lose or change a byte; an argument without a name is refused.
func FuzzParseParams(f *testing.F) {
	for _, s := range []string{"CHARGE_CODE=C1", "A=", "=x", "noequals", "URL=http://x/?a=b&c=d", "\x00=\xff"} {
		f.Add(s, "PAGE=1")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ps, err := ParseParams([]string{a, b})
		if err != nil {
			return
		}
		for i, arg := range []string{a, b} {
			if ps[i].Name == "" || strings.Contains(ps[i].Name, "=") || ps[i].Name+"="+ps[i].Value != arg {
				t.Fatalf("%q read as %+v", arg, ps[i])
			}
		}
	})
}

// TestFlags_UnicodeSpaceIsNotBlank: U+0085 (a Unicode space, a C1 control)
// around a flag or a number never reads as the flag or the number.
func TestFlags_UnicodeSpaceIsNotBlank(t *testing.T) {
	if (User{UserType: "2\u0085"}).CanRefund() || (User{LoginFlag: "\u00851"}).LoginAllowed() {
		t.Error("a flag with U+0085 read as set")
	}
	_, n, _ := ParseMessage([]byte(`{"STATE":"\u0085","AMT":"1\u0085"}`))
	if _, err := DecodeQueryResponse(n); err == nil {
		t.Error("STATE/AMT with U+0085: want an error")
	}
}

func TestYuanText(t *testing.T) {
	for _, m := range []pos.Money{0, 1, 9, 10, 99, 100, 101, 15800, 123456789012, -1, -15800} {
		if got, want := yuanText(m), m.Yuan(); got != want {
			t.Errorf("yuanText(%d): got %q, want %q", m, got, want)
		}
	}
}
