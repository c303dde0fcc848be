// Package cli is posterm's command line: the Bubble Tea register, the
// headless commands for scripts and support, and the embedded sandbox
// gateway. main (at the module's root) only calls Main.
//
// cli wires the packages together; it holds no business rules. Each
// subcommand lives in its own file (cmd_*.go) and registers itself in init;
// the helpers they share live one concern to a file (setup, credentials,
// console, signals, output, charge, wiring). A command runs in an env
// (env.go): its streams, signals, terminal and device listings, which
// tests fake instead of swapping package variables.
package cli

import (
	"fmt"
	"io"
	"sort"
)

// version is the program's version, handed in by main (which the Makefile
// stamps with -ldflags "-X main.version=…").
var version = "dev"

// command is one subcommand of posterm.
type command struct {
	name    string
	summary string
	// runEnv executes the command in e with the arguments after its name
	// and returns the process exit code.
	runEnv func(e *env, args []string) int
}

var commands = map[string]command{}

// register adds a subcommand; called from init in each cmd_*.go.
func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("duplicate command " + c.name)
	}
	commands[c.name] = c
}

// Main runs the command in args (os.Args[1:]) as posterm version v and
// returns the process exit code.
func Main(v string, args []string, stdout, stderr io.Writer) int {
	if v != "" {
		version = v
	}
	return run(args, stdout, stderr)
}

// run runs args in the process's env (processEnv).
func run(args []string, stdout, stderr io.Writer) int {
	return runWith(processEnv(stdout, stderr), args)
}

// runWith runs the command in args with e.
func runWith(e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	if len(args) == 0 {
		args = []string{"register"}
		if _, ok := commands["register"]; !ok {
			args = []string{"help"}
		}
	}
	name := args[0]
	switch name {
	case "help", "-h", "--help":
		usage(stdout)
		return exitDone
	case "version", "--version":
		fmt.Fprintln(stdout, "posterm", version)
		return exitDone
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "posterm: unknown command %q\n\n", name)
		usage(stderr)
		return exitLocal
	}
	return c.runEnv(e, args[1:])
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "posterm %s — the cashier register for the SOSOPAY gateway\n\n", version)
	fmt.Fprintln(w, "Usage: posterm COMMAND [flags]   (posterm COMMAND -h for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	for _, n := range names {
		fmt.Fprintf(w, "  %-*s  %s\n", width, n, commands[n].summary)
	}
	fmt.Fprintf(w, "  %-*s  %s\n", width, "help", "this list")
	fmt.Fprintf(w, "  %-*s  %s\n", width, "version", "print the version")
	fmt.Fprintln(w, "\nConfig: --config FILE or POSTERM_CONFIG; every key also as POSTERM_<SECTION>_<KEY>.")
	fmt.Fprintln(w, "Exit codes: 0 done, 1 usage or local error, 2 refused/declined, 3 unknown and queued.")
}
