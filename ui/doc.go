// Package ui is the register's cashier screen, a Bubble Tea program.
//
// A root model (Model) is a router: it holds one screen per id (login,
// sale, scan to pay, QR to pay, result, history and its detail,
// refund/revoke, unsettled, devices, help, the demo panel), each behind the
// screen interface (screen.go: route a message, draw at a size, its keys),
// and draws the frame around the current one — header, status bar, key
// line (frame.go). Screens never reach into each other: they ask the
// router for a change of screen with a message, and learn about the frame
// only through the frame value it passes. Keys come from one key map
// (keys.go), which also generates the help; the keyboard wedge (wedge.go)
// shows every key at once and takes a scanner's burst back when its Enter
// makes it a scan.
//
// What the screen says about a charge's money comes from one table
// (wording.go), in Simplified Chinese and English side by side; all other
// cashier text from one catalogue (i18n.go). An error's own text goes to
// the log, never to the screen; gateway words are mapped to catalogue text.
// Times are shown in the shop's zone (Deps.Location).
//
// Nothing in Update blocks: every gateway call, journal read, scan, print
// and timer arrives as a tea.Msg from a tea.Cmd, and every message about a
// charge carries its charge code, so a screen ignores what is not about the
// charge it shows. Journal changes arrive as one journalChangedMsg (from
// Deps.Changes, the register's own actions, or a re-read every other second
// without a feed), on which the screens on view re-read. View is pure: time
// comes from tick messages read from the pos.Clock.
//
// The package talks to the domain (pos) and to scanners (device) only; the
// gateway, the journal (read-only, JournalReader) and the printer reach it
// through Deps as interfaces, functions and channels.
package ui
