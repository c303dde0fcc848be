package pos_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"posterm/pos"
	"posterm/pos/postest"
)

var t0 = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

// wallet codes as the sandbox's (18 digits; 28… Alipay, 13… WeChat).
const (
	alipayCode = "281234567890123456"
	wechatCode = "134567890123456789"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type env struct {
	t       testing.TB
	ctx     context.Context
	clock   *postest.Clock
	gw      *postest.Gateway
	j       *postest.Journal
	co      *pos.Checkout
	logs    *syncBuf
	log     *slog.Logger
	cashier pos.Cashier // userType 1
	manager pos.Cashier // userType 2
}

func newEnv(t testing.TB) *env {
	t.Helper()
	return newEnvClock(t, postest.NewAutoClock(t0))
}

func newEnvClock(t testing.TB, clock *postest.Clock) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), clock: clock, gw: postest.NewGateway().WithSandboxUsers(),
		j: postest.NewJournal(), logs: &syncBuf{}}
	e.gw.Clock = clock
	e.log = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})).With("subsystem", "pos")
	co, err := pos.NewCheckout(pos.CheckoutConfig{Register: "POS01", BusiID: postest.Merchant, Gateway: e.gw,
		Journal: e.j, Clock: clock, Logger: e.log})
	if err != nil {
		t.Fatalf("NewCheckout: %v", err)
	}
	e.co = co
	e.cashier = e.login("cashier01", "1234")
	e.manager = e.login("manager01", "8888")
	t.Cleanup(func() {
		if strings.Contains(e.logs.String(), alipayCode) || strings.Contains(e.logs.String(), wechatCode) {
			t.Errorf("a whole payment code reached the log")
		}
		for _, p := range []string{"1234\"", "8888"} {
			if strings.Contains(e.logs.String(), "password="+p) {
				t.Errorf("a password reached the log")
			}
		}
	})
	return e
}

func (e *env) login(user, pass string) pos.Cashier {
	e.t.Helper()
	c, err := e.co.Login(e.ctx, user, pass)
	if err != nil {
		e.t.Fatalf("login %s: %v", user, err)
	}
	return c
}

func (e *env) reconciler(owner string) *pos.Reconciler {
	e.t.Helper()
	r, err := pos.NewReconciler(pos.ReconcilerConfig{Gateway: e.gw, Journal: e.j, Clock: e.clock, Logger: e.log,
		Owner: owner, Seed: 7})
	if err != nil {
		e.t.Fatalf("NewReconciler: %v", err)
	}
	return r
}

func (e *env) pay(amount pos.Money, code string) (pos.Transaction, error) {
	return e.co.PayByCode(e.ctx, pos.PayInput{Cashier: e.cashier, Amount: amount, Code: code})
}

func (e *env) mustPay(amount pos.Money) pos.Transaction {
	e.t.Helper()
	tx, err := e.pay(amount, alipayCode)
	if err != nil || tx.State != pos.StatePaid {
		e.t.Fatalf("pay: got %s, %v; want paid", tx.State, err)
	}
	return tx
}

func (e *env) get(code pos.ChargeCode) pos.Transaction {
	e.t.Helper()
	tx, err := e.j.Get(e.ctx, code)
	if err != nil {
		e.t.Fatalf("Get %s: %v", code, err)
	}
	return tx
}

func (e *env) remote(code pos.ChargeCode) postest.Trade {
	e.t.Helper()
	tr, ok := e.gw.Trade(code)
	if !ok {
		e.t.Fatalf("gateway has no trade %s", code)
	}
	return tr
}

func (e *env) events(code pos.ChargeCode) []pos.Event {
	ev, _ := e.j.Events(e.ctx, code)
	return ev
}

// queries scripts n steps of the given action for query.
func steps(n int, s postest.Step) []postest.Step {
	out := make([]postest.Step, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func wantState(t testing.TB, tx pos.Transaction, want pos.State) {
	t.Helper()
	if tx.State != want {
		t.Fatalf("state of %s: got %s, want %s (last error %q, result %s %s)", tx.ChargeCode, tx.State, want,
			tx.LastError, tx.ResultCode, tx.ResultInfo)
	}
}
