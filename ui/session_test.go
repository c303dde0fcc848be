package ui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// TestFlow_Logout: x logs out to a fresh login; nothing of the session
// stays; signing in again starts a new sale.
func TestFlow_Logout(t *testing.T) {
	for _, lang := range []string{"en", "zh-CN"} {
		t.Run(lang, func(t *testing.T) {
			f := newFixture(t, lang)
			d := f.run(t)
			toSale(d)
			d.amount("12", 1200)
			d.runes("x")
			m := d.waitModel("logged out", func(m Model) bool { return !m.loggedIn && m.screen == scrLogin })
			if m.login().isLocked || m.cashier.LoginName != "" {
				t.Errorf("logout left a lock or a cashier: locked %v, cashier %q", m.login().isLocked, m.cashier.LoginName)
			}
			d.login("cashier01", "1234")
			m = d.waitScreen(scrSale)
			if m.sale().amt.Money() != 0 {
				t.Errorf("after logout and login the sale shows %d fen, want a new sale", m.sale().amt.Money())
			}
		})
	}
}

// TestFlow_LogoutRefusedWhileMoneyInFlight: the screen says why and stays.
func TestFlow_LogoutRefusedWhileMoneyInFlight(t *testing.T) {
	f := newFixture(t, "en")
	d := f.run(t)
	payingHeld(d)
	d.runes("x")
	m := d.waitModel("refused", func(m Model) bool { return m.refusal != "" })
	if !m.loggedIn || m.screen != scrScan || !strings.Contains(m.View(), "Money is in flight") {
		t.Fatalf("logout while paying: logged in %v, screen %s:\n%s", m.loggedIn, screenName(m.screen), m.View())
	}
}

// TestFlow_LockNeverCoversAnUnseenResult: a result that came back just now
// is not locked over however idle the register was; once seen, the lock
// says what waits under it — the result, not "the sale on screen".
func TestFlow_LockNeverCoversAnUnseenResult(t *testing.T) {
	f := newFixture(t, "en")
	d := f.run(t)
	paidSale(d)
	d.tm.Send(tickMsg{At: start.Add(time.Hour)})
	m := d.waitModel("the tick", func(m Model) bool { return m.now.Equal(start.Add(time.Hour)) })
	if !m.loggedIn || m.screen != scrResult {
		t.Fatalf("the idle lock covered a result not seen yet (screen %s)", screenName(m.screen))
	}
	d.key(tea.KeyDown) // the cashier looks at it
	d.waitModel("seen", func(m Model) bool { return m.resultSeen })
	d.tm.Send(tickMsg{At: start.Add(3 * time.Hour)})
	m = d.waitModel("locked", func(m Model) bool { return m.screen == scrLogin && m.login().isLocked })
	v := m.View()
	if strings.Contains(v, "sale on screen") || !strings.Contains(v, "PAID ¥158.00") {
		t.Errorf("the lock misstates what waits under it:\n%s", v)
	}
}
