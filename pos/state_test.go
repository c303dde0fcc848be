package pos_test

import (
	"encoding/json"
	"errors"
	"testing"

	"posterm/pos"
)

func TestState_Transitions(t *testing.T) {
	legal := map[[2]pos.State]bool{}
	for _, p := range [][2]pos.State{
		{"sending", "paid"}, {"sending", "declined"}, {"sending", "unknown"}, {"sending", "pending"},
		{"unknown", "paid"}, {"unknown", "closed"}, {"unknown", "revoked"}, {"unknown", "declined"}, {"unknown", "voided"},
		{"pending", "paid"}, {"pending", "closed"}, {"pending", "revoked"}, {"pending", "declined"}, {"pending", "voided"},
		{"paid", "partially_refunded"}, {"paid", "refunded"}, {"paid", "revoked"},
		{"partially_refunded", "refunded"},
	} {
		legal[p] = true
	}
	n := 0
	for _, from := range pos.States {
		for _, to := range pos.States {
			want := legal[[2]pos.State{from, to}]
			if got := pos.CanTransition(from, to); got != want {
				t.Errorf("CanTransition(%s, %s): got %v, want %v", from, to, got, want)
			}
			err := pos.CheckTransition(from, to)
			if want != (err == nil) || (!want && !errors.Is(err, pos.ErrIllegalTransition)) {
				t.Errorf("CheckTransition(%s, %s): got %v", from, to, err)
			}
			n++
		}
	}
	if n != 100 || len(legal) != 18 {
		t.Fatalf("checked %d pairs, %d legal", n, len(legal))
	}
	if pos.CanTransition("bogus", "paid") || pos.CanTransition("sending", "bogus") {
		t.Error("unknown states transition")
	}
	for _, s := range pos.States {
		final := s == "declined" || s == "closed" || s == "revoked" || s == "voided" || s == "refunded"
		if s.Final() != final {
			t.Errorf("%s.Final(): got %v", s, s.Final())
		}
	}
}

func TestState_Names(t *testing.T) {
	want := []string{"sending", "paid", "declined", "unknown", "pending", "closed", "revoked", "voided", "partially_refunded", "refunded"}
	for i, s := range pos.States {
		if string(s) != want[i] || !s.Valid() {
			t.Errorf("state %d: got %q, want %q", i, s, want[i])
		}
	}
	if pos.State("PAID").Valid() {
		t.Error("PAID is valid")
	}
}

func TestRemoteState_Local(t *testing.T) {
	tests := []struct {
		remote pos.RemoteState
		want   pos.State
		ok     bool
	}{
		{0, "", false}, {1, "paid", true}, {2, "revoked", true}, {3, "", false},
		{4, "partially_refunded", true}, {5, "refunded", true}, {6, "closed", true}, {7, "", false},
		{8, "paid", true}, {9, "paid", true}, {10, "paid", true}, {11, "paid", true}, {12, "paid", true},
		{13, "paid", true}, {14, "closed", true}, {15, "", false}, {-1, "", false},
	}
	for _, tc := range tests {
		got, ok := tc.remote.Local()
		if got != tc.want || ok != tc.ok {
			t.Errorf("RemoteState(%d).Local(): got %q, %v; want %q, %v", tc.remote, got, ok, tc.want, tc.ok)
		}
	}
}

func TestStateAfterRefund(t *testing.T) {
	for _, tc := range []struct {
		amount, refunded pos.Money
		want             pos.State
	}{{100, 0, "paid"}, {100, 1, "partially_refunded"}, {100, 99, "partially_refunded"}, {100, 100, "refunded"}} {
		if got := pos.StateAfterRefund(tc.amount, tc.refunded); got != tc.want {
			t.Errorf("StateAfterRefund(%d, %d): got %s, want %s", tc.amount, tc.refunded, got, tc.want)
		}
	}
}

func TestTransaction_Unsettled(t *testing.T) {
	for _, tc := range []struct {
		s      pos.State
		giveUp bool
		want   bool
	}{
		{"sending", false, true}, {"unknown", false, true}, {"pending", false, true}, {"paid", false, false},
		{"paid", true, true}, {"revoked", true, false}, {"declined", false, false}, {"partially_refunded", false, false},
	} {
		if got := (pos.Transaction{State: tc.s, GiveUp: tc.giveUp}).Unsettled(); got != tc.want {
			t.Errorf("Unsettled(%s, giveUp %v): got %v", tc.s, tc.giveUp, got)
		}
	}
}

func TestParseChannel(t *testing.T) {
	for in, want := range map[string]pos.Channel{"alipay": 1, "WeChat": 2, "1": 1, "2": 2, "31": 31} {
		if got, err := pos.ParseChannel(in); err != nil || got != want {
			t.Errorf("ParseChannel(%q): got %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "paypal", "32", "-1"} {
		if _, err := pos.ParseChannel(in); err == nil {
			t.Errorf("ParseChannel(%q): no error", in)
		}
	}
	if pos.ChannelAlipay.String() != "alipay" || pos.ChannelWeChat.String() != "wechat" || pos.Channel(5).String() != "5" {
		t.Error("Channel.String")
	}
}

func TestTransaction_JSON(t *testing.T) {
	tx := pos.Transaction{ChargeCode: "POS01202603140926530001", Kind: pos.KindPay, State: pos.StatePartiallyRefunded,
		Amount: 1234, Refunded: 234, Channel: pos.ChannelWeChat, CreatedAt: t0}
	b, err := json.Marshal(tx)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"charge_code": "POS01202603140926530001", "kind": "pay", "state": "partially_refunded",
		"amount_fen": 1234.0, "refunded_fen": 234.0, "created_at": "2026-03-14T09:26:53Z", "channel": "wechat"} {
		if m[k] != want {
			t.Errorf("%s: got %v, want %v", k, m[k], want)
		}
	}
	var back pos.Transaction
	if err := json.Unmarshal(b, &back); err != nil || back.Channel != pos.ChannelWeChat || back.State != tx.State {
		t.Errorf("round trip: %+v, %v", back, err)
	}
}

func TestTransaction_VerdictAndCancelAction(t *testing.T) {
	tests := []struct {
		name    string
		tx      pos.Transaction
		verdict pos.Verdict
		cancel  pos.CancelAction
		refund  bool
	}{
		{"Unknown", pos.Transaction{State: pos.StateUnknown, Amount: 100}, pos.VerdictUnknown, pos.CancelGiveUp, false},
		{"Pending", pos.Transaction{State: pos.StatePending, Amount: 100}, pos.VerdictUnknown, pos.CancelGiveUp, false},
		{"Paid", pos.Transaction{State: pos.StatePaid, Amount: 100}, pos.VerdictPaid, pos.CancelRevoke, true},
		{"PaidBeingRevoked", pos.Transaction{State: pos.StatePaid, Amount: 100, GiveUp: true}, pos.VerdictUnknown, pos.CancelGiveUp, false},
		{"PartlyRefunded", pos.Transaction{State: pos.StatePartiallyRefunded, Amount: 100, Refunded: 10}, pos.VerdictPaid, pos.CancelRefuse, true},
		{"Refunded", pos.Transaction{State: pos.StateRefunded, Amount: 100, Refunded: 100}, pos.VerdictPaid, pos.CancelRefuse, false},
		{"Revoked", pos.Transaction{State: pos.StateRevoked, Amount: 100}, pos.VerdictNotPaid, pos.CancelNothing, false},
		{"Declined", pos.Transaction{State: pos.StateDeclined, Amount: 100}, pos.VerdictNotPaid, pos.CancelNothing, false},
		{"Voided", pos.Transaction{State: pos.StateVoided, Amount: 100}, pos.VerdictNotPaid, pos.CancelNothing, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.tx.Verdict(); got != tt.verdict {
				t.Errorf("Verdict: got %d, want %d", got, tt.verdict)
			}
			if got := pos.CancelActionFor(tt.tx); got != tt.cancel {
				t.Errorf("CancelActionFor: got %d, want %d", got, tt.cancel)
			}
			if got := tt.tx.Refundable(); got != tt.refund {
				t.Errorf("Refundable: got %v, want %v", got, tt.refund)
			}
		})
	}
	if s := pos.RemoteState(4).String(); s != "partially refunded" {
		t.Errorf("STATE 4: %q", s)
	}
	if s := pos.RemoteState(7).String(); s != "STATE 7" {
		t.Errorf("STATE 7: %q", s)
	}
}
