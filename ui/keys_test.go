package ui

import (
	"reflect"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// TestKeyMap_HelpHasEveryKey: every binding of the key map is on the help
// screen (FullHelp), so a key added to the map cannot be missing from help.
func TestKeyMap_HelpHasEveryKey(t *testing.T) {
	for _, lang := range []string{"zh-CN", "en"} {
		k := newKeyMap(newTr(lang))
		inHelp := map[string]bool{}
		for _, col := range k.FullHelp() {
			for _, b := range col {
				inHelp[b.Help().Key+"\x00"+b.Help().Desc] = true
			}
		}
		v := reflect.ValueOf(k)
		for i := range v.NumField() {
			b, ok := v.Field(i).Interface().(key.Binding)
			if !ok {
				continue
			}
			if b.Help().Key == "" || b.Help().Desc == "" {
				t.Errorf("%s: %s has no help text", lang, v.Type().Field(i).Name)
			}
			if !inHelp[b.Help().Key+"\x00"+b.Help().Desc] {
				t.Errorf("%s: %s (%s %s) is not on the help screen", lang, v.Type().Field(i).Name, b.Help().Key, b.Help().Desc)
			}
		}
	}
}

// TestHelp_ReachesItsEnd: scrolled down far enough, the help shows its last
// entry whole, at 80×25 in both languages, and never a cut sentence.
func TestHelp_ReachesItsEnd(t *testing.T) {
	for _, lang := range []string{"zh-CN", "en"} {
		t.Run(lang, func(t *testing.T) {
			f := newFixture(t, lang)
			f.deps.Demo = &Demo{}
			m := saleModelFor(t, f)
			m.screen = scrHelp
			groups := m.e.keys.helpGroups(true)
			last := groups[len(groups)-1].keys
			want := last[len(last)-1].Help().Desc
			for range 40 {
				m, _ = update(t, m, tea.KeyMsg{Type: tea.KeyPgDown})
			}
			view := m.View()
			checkFrame(t, view, 80, 25)
			if !strings.Contains(view, want) {
				t.Errorf("scrolled to the end, the help does not show its last entry %q:\n%s", want, view)
			}
			if strings.Contains(view, "…") {
				t.Errorf("the help cuts a line:\n%s", view)
			}
		})
	}
}
