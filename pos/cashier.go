package pos

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Login errors, one per message the cashier must see (WIRE.md §4.9).
var (
	// ErrWrongPassword: the gateway refused the user name or password.
	ErrWrongPassword = errors.New("wrong user name or password")
	// ErrLoginDisabled: loginFlag 0, the account may not log in.
	ErrLoginDisabled = errors.New("login disabled for this account")
	// ErrUserDeleted: the user's delFlag is 1.
	ErrUserDeleted = errors.New("account deleted")
	// ErrMerchantUnapproved: the company is under audit (useable 0),
	// rejected (2) or deleted.
	ErrMerchantUnapproved = errors.New("merchant not approved")
	// ErrGatewayUnreachable: no readable answer from the gateway.
	ErrGatewayUnreachable = errors.New("gateway unreachable")
)

// Role is what a login may do at the register.
type Role int

const (
	// RoleCashier takes payments (userType 1).
	RoleCashier Role = iota + 1
	// RoleManager may also refund and revoke (userType 2).
	RoleManager
)

func (r Role) String() string {
	if r == RoleManager {
		return "manager"
	}
	return "cashier"
}

// Cashier is a logged-in user and the company flags of the login answer.
// The password is never kept.
type Cashier struct {
	ID        string
	LoginName string
	Name      string
	Role      Role
	// Company facts.
	CompanyID   string
	CompanyName string
	CompanyCode string // must equal the configured BUSI_ID before a refund
	// AmountLimit is the largest single transaction; 0 = no limit given.
	AmountLimit Money
	// RefundAtScene: refunds may be made at the store (refundAtScene 0).
	RefundAtScene bool
	// UploadGoods: the merchant must send goods lines (isUploadGoods 1).
	UploadGoods bool
	// TimeLimit is the company's timeLimit (0 = none given).
	TimeLimit time.Duration
}

// CanRefund reports whether the cashier's own login carries refund
// permission (userType 2).
func (c Cashier) CanRefund() bool { return c.Role == RoleManager }

// NewCashier reads a login answer into a Cashier, or the login error the
// cashier must be shown. Flags are read strictly: only loginFlag "1" (or
// absent) logs in, only useable "1" is an approved merchant.
func NewCashier(r LoginReply) (Cashier, error) {
	u := r.User
	if !r.Success {
		return Cashier{}, fmt.Errorf("%w: %s", ErrWrongPassword, r.Message)
	}
	switch strings.TrimSpace(u.DelFlag) {
	case "", "0":
	default:
		return Cashier{}, fmt.Errorf("%w: %s", ErrUserDeleted, u.LoginName)
	}
	switch strings.TrimSpace(u.LoginFlag) {
	case "", "1":
	default:
		return Cashier{}, fmt.Errorf("%w: %s (loginFlag %q)", ErrLoginDisabled, u.LoginName, u.LoginFlag)
	}
	co := u.Company
	if strings.TrimSpace(co.Useable) != "1" {
		return Cashier{}, fmt.Errorf("%w: company %s useable %q", ErrMerchantUnapproved, co.Code, co.Useable)
	}
	switch strings.TrimSpace(co.DelFlag) {
	case "", "0":
	default:
		return Cashier{}, fmt.Errorf("%w: company %s deleted", ErrMerchantUnapproved, co.Code)
	}
	c := Cashier{
		ID: u.ID, LoginName: u.LoginName, Name: u.Name, Role: RoleCashier,
		CompanyID: co.ID, CompanyName: co.Name, CompanyCode: strings.TrimSpace(co.Code),
		RefundAtScene: strings.TrimSpace(co.RefundAtScene) == "0",
		UploadGoods:   strings.TrimSpace(co.IsUploadGoods) == "1",
	}
	if strings.TrimSpace(u.UserType) == "2" {
		c.Role = RoleManager
	}
	if s := strings.TrimSpace(co.AmountLimit); s != "" {
		lim, err := parseLenientYuan(s)
		if err != nil {
			return Cashier{}, fmt.Errorf("login %s: company amountLimit: %w", u.LoginName, err)
		}
		c.AmountLimit = lim
	}
	if s := strings.TrimSpace(co.TimeLimit); s != "" {
		var m int
		if _, err := fmt.Sscanf(s, "%d", &m); err == nil && m > 0 {
			c.TimeLimit = time.Duration(m) * time.Minute
		}
	}
	return c, nil
}

// parseLenientYuan reads a yuan amount as the gateway may send it: "5000",
// "5000.0", "5000.00", or with trailing zero decimals beyond two.
func parseLenientYuan(s string) (Money, error) {
	if w, f, ok := strings.Cut(s, "."); ok && len(f) > 2 && strings.Trim(f[2:], "0") == "" {
		s = w + "." + f[:2]
	}
	return ParseYuan(s)
}

// Login authenticates user at the gateway and returns the Cashier, or one of
// ErrWrongPassword, ErrLoginDisabled, ErrUserDeleted, ErrMerchantUnapproved,
// ErrGatewayUnreachable, or ErrAnswerMismatch when the answer is about
// another user (CheckLogin). The password is not logged.
func Login(ctx context.Context, gw Gateway, log *slog.Logger, user, password string) (Cashier, error) {
	if log == nil {
		log = defaultLogger()
	}
	r, err := Inert(gw).Login(ctx, user, password)
	if err != nil {
		log.Warn("login failed", "op", "login", "user", user, "err", err)
		return Cashier{}, fmt.Errorf("login %s: %w: %v", user, ErrGatewayUnreachable, err)
	}
	if err := CheckLogin(user, r); err != nil {
		// A replayed or forged answer for someone else (a manager's, say)
		// must not grant that someone's rights (issue 8, case 7).
		log.Error("login answer is not about this user", "op", "login", "user", CleanText(user), "field", "loginName", "err", err)
		return Cashier{}, fmt.Errorf("login %s: %w", user, err)
	}
	c, err := NewCashier(r)
	if err != nil {
		log.Info("login refused", "op", "login", "user", user, "err", err)
		return Cashier{}, err
	}
	log.Info("login", "op", "login", "user", user, "role", c.Role.String())
	return c, nil
}
