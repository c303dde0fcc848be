package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"posterm/device"
	"posterm/offline"
)

func init() {
	register(command{
		name:    "devices",
		summary: "list candidate scanner ports (/dev/serial/by-id, ttyACM, ttyUSB) and this till's identity",
		runEnv:  runDevices,
	})
}

func runDevices(e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	fs := flag.NewFlagSet("posterm devices", flag.ContinueOnError)
	fs.SetOutput(stderr)
	com := addCommon(fs)
	tillOnly := fs.Bool("till", false, "show only this till's identity (with --json: as an object)")
	input := fs.Bool("input", false, "list keyboard-like input devices (USB HID scanners, for [scanner] evdev) instead")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: posterm devices [--json] [--till] [--input] [--config FILE | --demo]")
		fmt.Fprintln(stderr, "Lists serial ports a scanner may be on and USB keyboards that look like scanners,")
		fmt.Fprintln(stderr, "without opening them, and — when a")
		fmt.Fprintln(stderr, "configuration is given — this till's register id and install identity (the")
		fmt.Fprintln(stderr, "journal's, part of every charge code). --json prints the ports as a JSON array.")
		fs.PrintDefaults()
	}
	if code, failed := flagsFailed(fs.Parse(args)); failed {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "posterm devices: unexpected argument %q\n", fs.Arg(0))
		return exitLocal
	}
	asJSON := &com.jsonOut
	if *tillOnly {
		return runTill(com, stdout, stderr)
	}
	if *input {
		return runInputDevices(e, *asJSON)
	}
	ports, err := e.ListPorts()
	if err != nil {
		fmt.Fprintf(stderr, "posterm devices: list ports: %v\n", err)
		return exitLocal
	}
	if *asJSON {
		if ports == nil {
			ports = []device.PortInfo{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(ports); err != nil {
			fmt.Fprintf(stderr, "posterm devices: %v\n", err)
			return exitLocal
		}
		return exitDone
	}
	defer printTill(com, stdout)
	if len(ports) == 0 {
		fmt.Fprintln(stdout, "No serial ports found (looked for /dev/serial/by-id/*, /dev/ttyACM*, /dev/ttyUSB*).")
		fmt.Fprintln(stdout, "A keyboard-wedge (USB HID) scanner types into the terminal and needs no port.")
		printScannerInputs(e)
		return exitDone
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PATH\tDEVICE\tDRIVER\tUSB ID\tPRODUCT\tSERIAL\tACCESS")
	noAccess := false
	for _, p := range ports {
		id := "-"
		if p.USB {
			id = p.VID + ":" + p.PID
		}
		product := strings.TrimSpace(p.Manufacturer + " " + p.Product)
		access := "ok"
		if !p.Access {
			access, noAccess = "denied", true
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Path, p.Device, dash(p.Driver), id, dash(product), dash(p.Serial), access)
	}
	tw.Flush()
	fmt.Fprintln(stdout, "\nConfigure a /dev/serial/by-id name where there is one: it survives replugging.")
	fmt.Fprintln(stdout, "Try a port with: posterm scan-test --port PATH")
	if noAccess {
		fmt.Fprintln(stdout, "Access denied: add the user to the dialout group (then log in again).")
	}
	printScannerInputs(e)
	return exitDone
}

// tillInfo is this till's identity as `devices --till --json` prints it.
type tillInfo struct {
	Register string                `json:"register"`
	TillID   string                `json:"till_id"`
	Journal  string                `json:"journal"`
	History  []offline.TillHistory `json:"history"`
}

// readTill opens the configured journal (creating it if new, which makes
// the identity) and reads the till identity.
func readTill(com *common) (tillInfo, error) {
	cfg, err := com.load()
	if err != nil {
		return tillInfo{}, err
	}
	reg, err := registerPrefix(cfg.Register)
	if err != nil {
		return tillInfo{}, err
	}
	if dir := filepath.Dir(cfg.Journal.Path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return tillInfo{}, fmt.Errorf("journal directory: %w", err)
		}
	}
	j, err := offline.Open(cfg.Journal.Path, offline.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return tillInfo{}, err
	}
	defer j.Close()
	ctx := context.Background()
	id, err := j.TillID(ctx)
	if err != nil {
		return tillInfo{}, err
	}
	hist, err := j.TillHistory(ctx)
	if err != nil {
		return tillInfo{}, err
	}
	return tillInfo{Register: reg, TillID: id, Journal: cfg.Journal.Path, History: hist}, nil
}

func runTill(com *common, stdout, stderr io.Writer) int {
	info, err := readTill(com)
	if err != nil {
		return fail(stderr, "devices", err)
	}
	if com.jsonOut {
		if err := writeJSON(stdout, info); err != nil {
			return fail(stderr, "devices", err)
		}
		return exitDone
	}
	printTillInfo(stdout, info)
	return exitDone
}

func printTillInfo(w io.Writer, info tillInfo) {
	fmt.Fprintf(w, "Till: register %s, identity %s (journal %s)\n", info.Register, info.TillID, info.Journal)
	fmt.Fprintf(w, "Charge codes start %s%s, refund numbers %sR%s.\n", info.Register, info.TillID, info.Register, info.TillID)
	if n := len(info.History); n > 1 {
		last := info.History[n-1]
		fmt.Fprintf(w, "The identity was renewed %s: %s\n", last.At, last.Reason)
	}
}

// printTill adds the till's identity under the port table when a
// configuration is given; without one it says how to see it.
func printTill(com *common, stdout io.Writer) {
	if com.jsonOut {
		return
	}
	info, err := readTill(com)
	fmt.Fprintln(stdout)
	if err != nil {
		fmt.Fprintf(stdout, "Till identity not shown: %v\n", err)
		return
	}
	printTillInfo(stdout, info)
}
