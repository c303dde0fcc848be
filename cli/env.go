package cli

import (
	"context"
	"io"
	"os"

	"posterm/device"
)

// env is what a command takes from its process: the standard streams, the
// interrupt signals, whether a stream is a terminal, and the device
// listings. Main builds it from the process (processEnv); a test builds
// its own with fakes instead of swapping package variables. A command
// registered with runEnv receives it.
//
// MIGRATION: devices, doctor, backup and restore take an env; the other
// commands still take (args, stdout, stderr) and the process's signals
// through interruptContext. Moving one is: run → runEnv, stdout/stderr →
// e.Stdout/e.Stderr, interruptContext() → e.interruptContext(), and its
// tests' swapped variables (interrupts, askTerminal) → fields here.
type env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Interrupts subscribes to SIGINT and SIGTERM; the func unsubscribes.
	Interrupts func() (<-chan os.Signal, func())
	// IsTerminal reports whether a stream is a terminal.
	IsTerminal func(io.Writer) bool
	// ListPorts and ListInputs list candidate scanners (posterm devices).
	ListPorts  func() ([]device.PortInfo, error)
	ListInputs func() ([]device.InputDevice, error)
}

// processEnv is the env of this process, writing to stdout and stderr.
func processEnv(stdout, stderr io.Writer) *env {
	return &env{
		Stdin: os.Stdin, Stdout: stdout, Stderr: stderr,
		Interrupts: func() (<-chan os.Signal, func()) { return interrupts() },
		IsTerminal: isTerminal,
		ListPorts:  device.ListPorts,
		ListInputs: device.ListInputDevices,
	}
}

// interruptContext is the one way a command gets a signal-aware context:
// it ends at the first Ctrl-C or SIGTERM, or when the returned func is
// called (always call it).
func (e *env) interruptContext() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sig, stopSig := e.Interrupts()
	go func() {
		select {
		case <-sig:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, func() { cancel(); stopSig() }
}
