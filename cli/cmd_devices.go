package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"posterm/device"
)

func init() {
	register(command{
		name:    "devices",
		summary: "list candidate scanner ports (/dev/serial/by-id, ttyACM, ttyUSB)",
		runEnv:  runDevices,
	})
}

func runDevices(e *env, args []string) int {
	stdout, stderr := e.Stdout, e.Stderr
	fs := flag.NewFlagSet("posterm devices", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the ports as a JSON array")
	input := fs.Bool("input", false, "list keyboard-like input devices (USB HID scanners, for [scanner] evdev) instead")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: posterm devices [--json]")
		fmt.Fprintln(stderr, "Lists serial ports a scanner may be on, and USB keyboards that look like scanners, without opening them.")
		fs.PrintDefaults()
	}
	if code, failed := flagsFailed(fs.Parse(args)); failed {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "posterm devices: unexpected argument %q\n", fs.Arg(0))
		return exitLocal
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

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
