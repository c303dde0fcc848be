package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"posterm/pos"
)

// Exit codes and output shared by every subcommand: errors on stderr,
// usage errors, JSON on stdout.

// Exit codes shared by every subcommand.
const (
	exitDone    = 0 // done
	exitLocal   = 1 // usage or local error
	exitRefused = 2 // refused or declined by the gateway
	exitUnknown = 3 // outcome unknown; queued for the reconciler
)

// exitFor is the exit code a charge's journal row stands for: 0 paid (or
// refunded since), 2 final and not paid, 3 not settled yet (queued).
func exitFor(tx pos.Transaction) int {
	switch {
	case tx.Unsettled():
		return exitUnknown
	case tx.State.NotPaid():
		return exitRefused
	}
	return exitDone
}

// fail prints a one-line error for the command name and returns exitLocal.
func fail(stderr io.Writer, name string, err error) int {
	// The message may quote outside text (a gateway's answer, a journal
	// row): each line goes through pos.CleanText.
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		lines[i] = pos.CleanText(l)
	}
	msg := strings.Join(lines, "\n")
	if len(lines) > 1 {
		fmt.Fprintf(stderr, "posterm %s:\n  %s\n", name, strings.ReplaceAll(msg, "\n", "\n  "))
	} else {
		fmt.Fprintf(stderr, "posterm %s: %s\n", name, msg)
	}
	return exitLocal
}

// usageError prints msg and the command's usage and returns exitLocal.
func usageError(stderr io.Writer, name, msg string, usage func()) int {
	fmt.Fprintf(stderr, "posterm %s: %s\n", name, msg)
	if usage != nil {
		usage()
	}
	return exitLocal
}

// writeJSON prints v as indented JSON (no HTML escaping: BAR_CODE URLs).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// writeJSONLine prints v as one line of JSON (a stream of JSON lines).
func writeJSONLine(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
