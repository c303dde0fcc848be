package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/x/term"

	"posterm/device"
)

// env is what a command takes from its process: the standard streams, the
// interrupt signals, the terminal (to ask on, to tell whether a stream is
// one), and the device listings. Main builds it from the process
// (processEnv); a test builds its own with fakes instead of swapping
// package variables. Every command is registered with runEnv and receives
// it.
type env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Interrupts subscribes to SIGINT and SIGTERM; the func unsubscribes.
	Interrupts func() (<-chan os.Signal, func())
	// IsTerminal reports whether a stream is a terminal.
	IsTerminal func(io.Writer) bool
	// HasScreen reports whether the register can draw: stdin and stdout
	// are both terminals.
	HasScreen func() bool
	// Ask asks for one line on the terminal, showing prompt, without echo
	// when secret; ok is false when there is no terminal to ask on.
	Ask func(prompt string, secret bool) (line string, ok bool, err error)
	// ListPorts and ListInputs list candidate scanners (posterm devices,
	// scan-test).
	ListPorts  func() ([]device.PortInfo, error)
	ListInputs func() ([]device.InputDevice, error)
}

// processEnv is the env of this process, writing to stdout and stderr.
func processEnv(stdout, stderr io.Writer) *env {
	return &env{
		Stdin: os.Stdin, Stdout: stdout, Stderr: stderr,
		Interrupts: notifyInterrupts,
		IsTerminal: isTerminal,
		HasScreen: func() bool {
			return term.IsTerminal(os.Stdin.Fd()) && term.IsTerminal(os.Stdout.Fd())
		},
		Ask: func(prompt string, secret bool) (string, bool, error) {
			return askTerminal(os.Stdin, stderr, prompt, secret)
		},
		ListPorts:  device.ListPorts,
		ListInputs: device.ListInputDevices,
	}
}

// isTerminal reports whether w is a terminal. It is the process's
// env.IsTerminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}

// askTerminal asks for one line on the controlling terminal (stdin), with
// no echo when secret, prompting on stderr. ok is false when stdin is not
// a terminal. It is the process's env.Ask.
func askTerminal(stdin *os.File, stderr io.Writer, prompt string, secret bool) (string, bool, error) {
	fd := stdin.Fd()
	if !term.IsTerminal(fd) {
		return "", false, nil
	}
	fmt.Fprint(stderr, prompt)
	if secret {
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(stderr)
		return string(b), err == nil, err
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", false, err
	}
	return strings.TrimRight(line, "\r\n"), true, nil
}
