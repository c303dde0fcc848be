package ui

import (
	"errors"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"posterm/pos"
)

// loginModel is the login screen: cashier ID and password, sent to the
// gateway's sosoauth.login through Checkout.Login; each refusal has its own
// message. After an idle lock it names who was logged in and the sale kept.
type loginModel struct {
	e      *env
	id, pw textinput.Model
	focus  int // 0 id, 1 password
	seq    int // the login request the screen waits for
	busy   bool
	errKey string

	isLocked   bool
	lockedUser string
	held       lockHeld
}

func newInput(e *env, placeholder string, limit int) textinput.Model {
	ti := textinput.New()
	ti.Prompt = ""
	ti.Placeholder = placeholder
	ti.CharLimit = limit
	ti.Width = 20
	ti.Cursor.SetMode(cursor.CursorStatic) // no blinking: the frame changes only when something does
	ti.PlaceholderStyle = e.st.Muted
	ti.Cursor.Style = e.st.FieldFocus
	return ti
}

func newLogin(e *env) loginModel {
	m := loginModel{e: e, id: newInput(e, "", 32), pw: newInput(e, "", 32)}
	m.pw.EchoMode = textinput.EchoPassword
	m.pw.EchoCharacter = '*'
	m.id.Focus()
	return m
}

// lockHeld is what waits under the lock, to be said truthfully: a sale
// being keyed, or the result of a charge (shown again after sign-in).
type lockHeld struct {
	sale      pos.Money
	hasResult bool
	result    outcomeKind
	amount    pos.Money
}

// locked prepares the screen shown by the lock.
func (m loginModel) locked(user string, held lockHeld) loginModel {
	m.isLocked, m.lockedUser, m.held = true, user, held
	m.id.SetValue(user)
	m.id.CursorEnd()
	m.focus = 1
	m.id.Blur()
	m.pw.Focus()
	return m
}

func (m loginModel) setFocus(i int) loginModel {
	m.focus = i
	if i == 0 {
		m.id.Focus()
		m.pw.Blur()
	} else {
		m.id.Blur()
		m.pw.Focus()
	}
	return m
}

func (m loginModel) update(msg tea.Msg) (loginModel, tea.Cmd) {
	switch msg := msg.(type) {
	case loginDoneMsg:
		if msg.Seq != m.seq {
			return m, nil
		}
		m.busy = false
		if msg.Err != nil {
			m.errKey = loginErrKey(msg.Err)
			m.pw.SetValue("")
			return m.setFocus(1), nil
		}
		return m, nil
	case tea.KeyMsg:
		k := m.e.keys
		switch {
		case m.busy:
			return m, nil
		case key.Matches(msg, k.Submit):
			if m.focus == 0 {
				if strings.TrimSpace(m.id.Value()) == "" {
					m.errKey = "login.need.id"
					return m, nil
				}
				return m.setFocus(1), nil
			}
			user := strings.TrimSpace(m.id.Value())
			if user == "" {
				m.errKey = "login.need.id"
				return m.setFocus(0), nil
			}
			if m.pw.Value() == "" {
				m.errKey = "login.need.pw"
				return m, nil
			}
			m.seq++
			m.busy, m.errKey = true, ""
			return m, m.e.loginCmd(m.seq, user, m.pw.Value())
		case key.Matches(msg, m.e.keys.NextField, m.e.keys.PrevField):
			return m.setFocus(1 - m.focus), nil
		}
		var cmd tea.Cmd
		if m.focus == 0 {
			m.id, cmd = m.id.Update(msg)
		} else {
			m.pw, cmd = m.pw.Update(msg)
		}
		return m, cmd
	}
	return m, nil
}

// loginErrKey picks the one message the cashier sees for a login failure.
func loginErrKey(err error) string {
	switch {
	case errors.Is(err, pos.ErrWrongPassword):
		return "login.err.wrong"
	case errors.Is(err, pos.ErrLoginDisabled):
		return "login.err.disabled"
	case errors.Is(err, pos.ErrUserDeleted):
		return "login.err.deleted"
	case errors.Is(err, pos.ErrMerchantUnapproved):
		return "login.err.merchant"
	case errors.Is(err, pos.ErrGatewayUnreachable):
		return "login.err.unreachable"
	}
	return "login.err.other"
}

func (m loginModel) bindings() []key.Binding {
	k := m.e.keys
	return []key.Binding{k.SignIn, k.NextField, k.Quit}
}

func (m loginModel) view(w, h int) string {
	st, t := m.e.st, m.e.t
	var b strings.Builder
	b.WriteString("\n")
	if m.isLocked {
		b.WriteString("   " + st.Title.Render(t.T("login.locked.title")) + "\n")
		b.WriteString("   " + t.T("login.locked.who", m.lockedUser) + "\n")
		switch h := m.held; {
		case h.hasResult:
			b.WriteString(paragraph(t.T("login.locked.result", t.pick(moneyWords[h.result].Head), yuan(h.amount)), st.Hint, 3, w))
		case h.sale > 0:
			b.WriteString("   " + st.Hint.Render(t.T("login.locked.sale", yuan(h.sale))) + "\n")
		default:
			b.WriteString("\n")
		}
	} else {
		b.WriteString("   " + st.Title.Render(t.T("login.title")) + "\n")
		b.WriteString("   " + st.Muted.Render(t.T("login.subtitle")) + "\n\n")
	}
	b.WriteString("\n")
	field := func(label string, in textinput.Model, focused bool) string {
		mark, s := "  ", st.Field
		if focused {
			mark, s = "▸ ", st.FieldFocus
		}
		return " " + s.Render(mark) + pad(st.Label.Render(label), 12) + s.Render("[") + pad(in.View(), 21) + s.Render("]")
	}
	b.WriteString(field(t.T("login.id"), m.id, m.focus == 0) + "\n\n")
	b.WriteString(field(t.T("login.pw"), m.pw, m.focus == 1) + "\n\n")
	switch {
	case m.busy:
		b.WriteString("   " + st.Hint.Render(t.T("login.busy")) + "\n")
	case m.errKey != "":
		b.WriteString("   " + st.Bad.Render(t.T(m.errKey)) + "\n")
	default:
		b.WriteString("   " + st.Muted.Render(t.T("login.hint")) + "\n")
	}
	left := b.String()
	if !m.e.demo() || len(m.e.deps.Demo.Users) == 0 {
		return left
	}
	var d []string
	d = append(d, st.PanelTitle.Render(t.T("login.demo.title")))
	for _, u := range m.e.deps.Demo.Users {
		role := map[DemoRole]string{DemoCashier: "login.demo.cashier", DemoManager: "login.demo.manager",
			DemoDisabled: "login.demo.disabled"}[u.Role]
		d = append(d, pad(u.Login+" / "+u.Password, 19)+" "+st.Muted.Render(t.T(role)))
	}
	panel := st.Panel.Render(strings.Join(d, "\n"))
	if leftW := w - width(panel) - 2; leftW >= 44 {
		return lipgloss.JoinHorizontal(lipgloss.Top, block(left, leftW, strings.Count(left, "\n")+1), "  ", "\n"+panel)
	}
	return left + "\n" + indent(panel, 3)
}
