package ui

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
)

// keyMap is every key of the register, in one place: key handling and the
// footer and help texts come from the same bindings, so they cannot drift.
// Each command has an F-key (cash-register keyboards) and a plain key
// (laptops); plain letters act only where no text field has the focus.
type keyMap struct {
	// Everywhere.
	Help, History, Devices, Unsettled, Demo, Lock, Logout, Quit, Back key.Binding

	// Sale.
	Amount, Clear, Subject, ScanPay, QRPay, Acknowledge key.Binding
	// CashPay takes the sale in cash; on the cash screen CashNotes add a
	// ¥10, ¥20, ¥50 or ¥100 note to the cash tendered.
	CashPay   key.Binding
	CashNotes []key.Binding
	// OpenDrawer opens the cash drawer outside a sale; ShiftClose closes
	// the shift (the Z report). Both on the sale screen.
	OpenDrawer, ShiftClose key.Binding

	// Scan, QR.
	Submit, Abort, SwitchChannel, CustomerPays, PickChannel key.Binding

	// Result.
	NextSale, Reprint, OtherMethod, Receipt key.Binding

	// Lists.
	Up, Down, Open, Filter, Search, Batch, NextPage, PrevPage key.Binding

	// Detail, refund.
	Refresh, Refund, Revoke, NextField, Confirm, Done key.Binding
	// PrintCopy reprints the receipt of the charge selected in history or
	// shown in detail (marked REPRINT).
	PrintCopy key.Binding

	// Unsettled, devices, login.
	Reconcile, TestPrint, SignIn, UseCode key.Binding

	// Where a text field has the focus only the F-keys act: F2, F3 pay
	// the sale without the letters (which the field takes).
	ScanPayFn, QRPayFn key.Binding
	// Editing: one digit back; the field before; leaving a text field.
	Erase, PrevField, EndSubject key.Binding
	// Scrolling a page (help, receipt); the filter before; ending a search.
	ScrollUp, ScrollDown, PrevFilter, EndSearch, CancelSearch key.Binding
}

func bind(t tr, helpKey, descKey string, keys ...string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(t.T(helpKey), t.T(descKey)))
}

func newKeyMap(t tr) keyMap {
	return keyMap{
		Help:      bind(t, "key.f1", "key.help", "f1", "?"),
		History:   bind(t, "key.f5", "key.history", "f5", "h"),
		Demo:      bind(t, "key.f6", "key.demo", "f6", "t"),
		Devices:   bind(t, "key.f7", "key.devices", "f7", "d"),
		Unsettled: bind(t, "key.f8", "key.unsettled", "f8", "u"),
		Lock:      bind(t, "key.f12", "key.lock", "f12", "l"),
		Logout:    bind(t, "key.x", "key.logout", "ctrl+x", "x"),
		Quit:      bind(t, "key.quit", "key.quit.desc", "ctrl+c", "f10"),
		Back:      bind(t, "key.esc", "key.back", "esc"),

		Amount:      bind(t, "key.digits", "key.amount", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", ".", "backspace"),
		Clear:       bind(t, "key.del", "key.clear", "delete", "ctrl+u", "esc"),
		Subject:     bind(t, "key.tab", "key.subject", "tab"),
		ScanPay:     bind(t, "key.f2", "key.scanpay", "f2", "s", "enter"),
		QRPay:       bind(t, "key.f3", "key.qrpay", "f3", "q"),
		Acknowledge: bind(t, "key.a", "key.ack", "a", "f4"),
		CashPay:     bind(t, "key.f11c", "key.cashpay", "f11", "c"),
		OpenDrawer:  bind(t, "key.o", "key.drawer", "ctrl+o", "o"),
		ShiftClose:  bind(t, "key.f9z", "key.shiftclose", "f9", "z"),
		CashNotes: []key.Binding{
			bind(t, "key.q", "key.note10", "q"),
			bind(t, "key.w", "key.note20", "w"),
			bind(t, "key.e", "key.note50", "e"),
			bind(t, "key.r1", "key.note100", "r"),
		},

		Submit:        bind(t, "key.enter", "key.submit", "enter"),
		Abort:         bind(t, "key.esc", "key.abort", "esc"),
		SwitchChannel: bind(t, "key.f4", "key.switch", "f4", "c"),
		CustomerPays:  bind(t, "key.f11", "key.custpays", "f11", "p"),
		PickChannel:   bind(t, "key.pick", "key.pick.desc", "enter"),

		NextSale:    bind(t, "key.enter", "key.nextsale", "enter"),
		Reprint:     bind(t, "key.r", "key.reprint", "r", "R", "f9"),
		OtherMethod: bind(t, "key.enter", "key.othermethod", "enter"),
		Receipt:     bind(t, "key.updown", "key.receipt", "up", "down", "pgup", "pgdown"),

		Up:       bind(t, "key.up", "key.up.desc", "up", "k"),
		Down:     bind(t, "key.down", "key.down.desc", "down", "j"),
		Open:     bind(t, "key.enter", "key.open", "enter"),
		Filter:   bind(t, "key.leftright", "key.filter", "left", "right"), // PrevFilter is matched first
		Search:   bind(t, "key.slash", "key.search", "/"),
		Batch:    bind(t, "key.f9g", "key.batch", "f9", "g"),
		NextPage: bind(t, "key.pgdn", "key.nextpage", "pgdown", "n"),
		PrevPage: bind(t, "key.pgup", "key.prevpage", "pgup", "b"),

		Refresh:   bind(t, "key.f9r", "key.refresh", "f9", "r"),
		PrintCopy: bind(t, "key.p", "key.reprint", "ctrl+p", "p"),
		Refund:    bind(t, "key.f2f", "key.refund", "f2", "f"),
		Revoke:    bind(t, "key.f3v", "key.revoke", "f3", "v"),
		NextField: bind(t, "key.tab", "key.nextfield", "tab", "down"),
		Confirm:   bind(t, "key.enter", "key.confirm", "enter"),
		Done:      bind(t, "key.enter", "key.done", "enter", "esc"),

		Reconcile: bind(t, "key.f9r", "key.reconcile", "f9", "r"),
		TestPrint: bind(t, "key.f9p", "key.testprint", "f9", "p"),
		SignIn:    bind(t, "key.enter", "key.signin", "enter"),
		UseCode:   bind(t, "key.enter", "key.usecode", "enter"),

		ScanPayFn:    bind(t, "key.f2only", "key.scanpay", "f2"),
		QRPayFn:      bind(t, "key.f3only", "key.qrpay", "f3"),
		Erase:        bind(t, "key.bksp", "key.erase", "backspace"),
		PrevField:    bind(t, "key.tab", "key.prevfield", "shift+tab", "up"),
		EndSubject:   bind(t, "key.tab", "key.endsubject", "tab", "shift+tab", "enter", "esc"),
		ScrollUp:     bind(t, "key.scrollup", "key.scrollup.desc", "up", "k", "pgup"),
		ScrollDown:   bind(t, "key.scrolldown", "key.scrolldown.desc", "down", "j", "pgdown"),
		PrevFilter:   bind(t, "key.left", "key.prevfilter", "left"),
		EndSearch:    bind(t, "key.enter", "key.endsearch", "enter"),
		CancelSearch: bind(t, "key.esc", "key.cancelsearch", "esc"),
	}
}

// helpGroup is one titled group of the help screen.
type helpGroup struct {
	title string // catalogue key
	keys  []key.Binding
}

// helpGroups is every binding of the key map, grouped as the help screen
// shows them (the demo keys only in demo mode). TestKeyMap_HelpHasEveryKey
// checks that no binding is left out, so the help cannot drift.
func (k keyMap) helpGroups(demo bool) []helpGroup {
	global := []key.Binding{k.Help, k.History, k.Unsettled, k.Devices}
	if demo {
		global = append(global, k.Demo)
	}
	global = append(global, k.Lock, k.Logout, k.Quit, k.Back)
	qr := []key.Binding{k.PickChannel, k.SwitchChannel, k.Abort}
	if demo {
		qr = append(qr, k.CustomerPays)
	}
	other := []key.Binding{k.Reconcile, k.TestPrint, k.SignIn}
	if demo {
		other = append(other, k.UseCode)
	}
	return []helpGroup{
		{"help.g.global", global},
		{"help.g.sale", []key.Binding{k.Amount, k.Erase, k.Clear, k.Subject, k.EndSubject, k.ScanPay, k.QRPay,
			k.Acknowledge, k.CashPay, k.OpenDrawer, k.ShiftClose}},
		{"help.g.cash", append([]key.Binding{k.Submit, k.Amount}, k.CashNotes...)},
		{"help.g.scan", []key.Binding{k.Submit, k.Abort}},
		{"help.g.qr", qr},
		{"help.g.result", []key.Binding{k.NextSale, k.Reprint, k.Receipt, k.OtherMethod, k.ScanPayFn, k.QRPayFn,
			k.Acknowledge}},
		{"help.g.history", []key.Binding{k.Up, k.Down, k.ScrollUp, k.ScrollDown, k.Open, k.Filter, k.PrevFilter,
			k.Search, k.EndSearch, k.CancelSearch, k.Batch, k.NextPage, k.PrevPage}},
		{"help.g.detail", []key.Binding{k.Refresh, k.PrintCopy, k.Refund, k.Revoke, k.NextField, k.PrevField, k.Confirm, k.Done}},
		{"help.g.other", other},
	}
}

// ShortHelp implements help.KeyMap: the keys that work everywhere.
func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Help, k.History, k.Unsettled, k.Devices, k.Lock, k.Logout, k.Quit, k.Back}
}

// FullHelp implements help.KeyMap: the help screen's groups, one column
// each, demo keys included.
func (k keyMap) FullHelp() [][]key.Binding {
	var out [][]key.Binding
	for _, g := range k.helpGroups(true) {
		out = append(out, g.keys)
	}
	return out
}

var _ help.KeyMap = keyMap{}

// letterKey reports whether a key string is a plain printable key, which a
// focused text field takes for itself.
func letterKey(s string) bool {
	r := []rune(s)
	return len(r) == 1 && r[0] >= ' ' && r[0] != 0x7f
}
