package ui

import (
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// TestWedge_PersonThenScanner: a digit typed by a person stays typed when
// a scanner's write follows at once; the write with its Enter is the scan.
func TestWedge_PersonThenScanner(t *testing.T) {
	f := newFixture(t, "en")
	wall := start
	f.deps.Now = func() time.Time { return wall }
	m := saleModelFor(t, f)
	m, _ = update(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("5")})
	if m.sale().amt.Money() != 500 {
		t.Fatalf("a typed 5 is not shown at once: %d fen", m.sale().amt.Money())
	}
	wall = wall.Add(5 * time.Millisecond)
	m, _ = update(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(codePaid)})
	wall = wall.Add(2 * time.Millisecond)
	m, cmd := update(t, m, tea.KeyMsg{Type: tea.KeyEnter})
	if m.sale().amt.Money() != 500 {
		t.Errorf("after the scan the amount is %d fen, want the typed ¥5.00", m.sale().amt.Money())
	}
	if msg := findMsg[startPayMsg](cmd); msg == nil || msg.Scan.Code != codePaid {
		t.Errorf("the scanner's write was not a scan: %+v", msg)
	}
}

// bareModel is the least a Bubble Tea program does for a key: keep it and
// draw it. The baseline of BenchmarkKeystrokeToFrame.
type bareModel struct{ typed []rune }

func (b bareModel) Init() tea.Cmd { return nil }
func (b bareModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyMsg); ok {
		b.typed = append(b.typed[:0:0], k.Runes...)
	}
	return b, nil
}
func (b bareModel) View() string { return "amount: " + string(b.typed) }

// BenchmarkKeystrokeToFrame: a digit keyed on the sale screen until its
// frame is drawn (Update, then View at 80x25), against a bare Bubble Tea
// program doing the same in the same run; reports key/bare. No key waits
// for the wedge any more: the frame is drawn in the same Update.
func BenchmarkKeystrokeToFrame(b *testing.B) {
	f := newFixture(b, "en")
	m := New(f.ctx, f.deps)
	c, err := f.co.Login(f.ctx, "cashier01", "1234")
	if err != nil {
		b.Fatal(err)
	}
	m.cashier, m.loggedIn, m.screen = c, true, scrSale
	mm, _ := m.Update(tea.WindowSizeMsg{Width: 80, Height: 25})
	keys := []tea.KeyMsg{{Type: tea.KeyRunes, Runes: []rune("1")}, {Type: tea.KeyBackspace}}
	run := func(model tea.Model, n int) time.Duration {
		begin := time.Now()
		for i := range n {
			model, _ = model.Update(keys[i%2])
			_ = model.View()
		}
		return time.Since(begin)
	}
	bare := run(bareModel{}, b.N)
	b.ResetTimer()
	reg := run(mm, b.N)
	b.StopTimer()
	b.ReportMetric(float64(reg.Nanoseconds())/float64(b.N), "key-to-frame-ns")
	b.ReportMetric(float64(reg)/float64(max(bare, 1)), "key/bare")
}

// FuzzWedge feeds the sale screen any sequence of keys a scanner or a
// person could send, at any pace (the bytes of outside hardware): the
// wedge never panics, a scan never leaves its digits in the amount, and
// the frame always fits 80x25.
func FuzzWedge(f *testing.F) {
	f.Add([]byte{0x01, 0x02, 0x0c, 0x0a})
	f.Add([]byte{0x05, 0xf5, 0x0c, 0x0a, 0x0b, 0x0a})
	f.Add([]byte("\x01\x01\x01\x01\x01\x01\x01\x01\x01\x0a"))
	fx := newFixture(f, "en")
	base := New(fx.ctx, fx.deps)
	c, err := fx.co.Login(fx.ctx, "cashier01", "1234")
	if err != nil {
		f.Fatal(err)
	}
	base.cashier, base.loggedIn, base.screen = c, true, scrSale
	mm, _ := base.Update(tea.WindowSizeMsg{Width: 80, Height: 25})
	base = mm.(Model)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 200 {
			data = data[:200]
		}
		wall := start
		m := base
		m.e = &env{}
		*m.e = *base.e
		m.e.deps.Now = func() time.Time { return wall }
		for _, b := range data {
			wall = wall.Add(time.Duration(b>>4) * 10 * time.Millisecond)
			var k tea.KeyMsg
			switch v := b & 0x0f; {
			case v < 10:
				k = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{rune('0' + v)}}
			case v == 10:
				k = tea.KeyMsg{Type: tea.KeyEnter}
			case v == 11:
				k = tea.KeyMsg{Type: tea.KeyBackspace}
			default:
				k = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(codePaid)}
			}
			before := m.sale().amt.Money()
			mm, cmd := m.Update(k)
			m = mm.(Model)
			if msg := findMsg[startPayMsg](cmd); msg != nil && msg.Scan.Code != "" && m.sale().amt.Money() > before && m.screen == scrSale {
				t.Fatalf("a scan left digits in the amount: %d → %d fen", before, m.sale().amt.Money())
			}
			if m.screen != scrSale { // a payment would start: back to the sale for the next keys
				m.screen = scrSale
			}
		}
		checkFrame(t, m.View(), 80, 25)
	})
}
