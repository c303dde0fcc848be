// Command posterm is the cashier register: the Bubble Tea screen, the headless
// commands for scripts and support, and the embedded sandbox gateway.
//
// main only calls the cli package, where every subcommand lives.
package main

import (
	"os"

	"posterm/cli"
)

// version is stamped by the Makefile with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(cli.Main(version, os.Args[1:], os.Stdout, os.Stderr))
}
