package pos_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"posterm/pos"
	"posterm/pos/postest"
)

func TestNewCashier(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(r *pos.LoginReply)
		want  error
		check func(t *testing.T, c pos.Cashier)
	}{
		{"cashier", nil, nil, func(t *testing.T, c pos.Cashier) {
			if c.Role != pos.RoleCashier || c.CanRefund() || c.AmountLimit != 500000 || !c.RefundAtScene || c.UploadGoods ||
				c.CompanyCode != postest.Merchant || c.LoginName != "u" {
				t.Errorf("got %+v", c)
			}
		}},
		{"manager", func(r *pos.LoginReply) { r.User.UserType = "2" }, nil, func(t *testing.T, c pos.Cashier) {
			if c.Role != pos.RoleManager || !c.CanRefund() {
				t.Errorf("got %+v", c)
			}
		}},
		{"wrong password", func(r *pos.LoginReply) { r.Success = false }, pos.ErrWrongPassword, nil},
		{"loginFlag 0", func(r *pos.LoginReply) { r.User.LoginFlag = "0" }, pos.ErrLoginDisabled, nil},
		{"loginFlag odd", func(r *pos.LoginReply) { r.User.LoginFlag = "9" }, pos.ErrLoginDisabled, nil},
		{"loginFlag absent", func(r *pos.LoginReply) { r.User.LoginFlag = "" }, nil, nil},
		{"deleted", func(r *pos.LoginReply) { r.User.DelFlag = "1" }, pos.ErrUserDeleted, nil},
		{"under audit", func(r *pos.LoginReply) { r.User.Company.Useable = "0" }, pos.ErrMerchantUnapproved, nil},
		{"rejected", func(r *pos.LoginReply) { r.User.Company.Useable = "2" }, pos.ErrMerchantUnapproved, nil},
		{"useable absent", func(r *pos.LoginReply) { r.User.Company.Useable = "" }, pos.ErrMerchantUnapproved, nil},
		{"company deleted", func(r *pos.LoginReply) { r.User.Company.DelFlag = "1" }, pos.ErrMerchantUnapproved, nil},
		{"no refunds at scene", func(r *pos.LoginReply) { r.User.Company.RefundAtScene = "1" }, nil, func(t *testing.T, c pos.Cashier) {
			if c.RefundAtScene {
				t.Error("RefundAtScene with refundAtScene 1")
			}
		}},
		{"goods", func(r *pos.LoginReply) { r.User.Company.IsUploadGoods = "1" }, nil, func(t *testing.T, c pos.Cashier) {
			if !c.UploadGoods {
				t.Error("UploadGoods not set")
			}
		}},
		{"limit integer", func(r *pos.LoginReply) { r.User.Company.AmountLimit = "5000" }, nil, func(t *testing.T, c pos.Cashier) {
			if c.AmountLimit != 500000 {
				t.Errorf("limit %d", c.AmountLimit)
			}
		}},
		{"limit 3 decimals", func(r *pos.LoginReply) { r.User.Company.AmountLimit = "5000.000" }, nil, func(t *testing.T, c pos.Cashier) {
			if c.AmountLimit != 500000 {
				t.Errorf("limit %d", c.AmountLimit)
			}
		}},
		{"no limit", func(r *pos.LoginReply) { r.User.Company.AmountLimit = "" }, nil, func(t *testing.T, c pos.Cashier) {
			if c.AmountLimit != 0 {
				t.Errorf("limit %d", c.AmountLimit)
			}
		}},
		{"bad limit", func(r *pos.LoginReply) { r.User.Company.AmountLimit = "lots" }, pos.ErrBadAmount, nil},
		{"time limit", func(r *pos.LoginReply) { r.User.Company.TimeLimit = "30" }, nil, func(t *testing.T, c pos.Cashier) {
			if c.TimeLimit != 30*time.Minute {
				t.Errorf("time limit %s", c.TimeLimit)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := postest.LoginAs("u", "1")
			if tc.edit != nil {
				tc.edit(&r)
			}
			c, err := pos.NewCashier(r)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}

func TestLogin(t *testing.T) {
	gw := postest.NewGateway().WithSandboxUsers()
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tc := range []struct {
		user, pass string
		want       error
	}{
		{"cashier01", "1234", nil}, {"manager01", "8888", nil}, {"cashier01", "0000", pos.ErrWrongPassword},
		{"nobody", "x", pos.ErrWrongPassword}, {"disabled01", "0000", pos.ErrLoginDisabled},
	} {
		if _, err := pos.Login(ctx, gw, quiet, tc.user, tc.pass); !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
			t.Errorf("Login(%s): got %v, want %v", tc.user, err, tc.want)
		}
	}
	gw.Unreachable = true
	if _, err := pos.Login(ctx, gw, quiet, "cashier01", "1234"); !errors.Is(err, pos.ErrGatewayUnreachable) {
		t.Errorf("unreachable: got %v", err)
	}
}
