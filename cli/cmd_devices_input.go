package cli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"posterm/device"
)

// runInputDevices is `posterm devices --input`: every keyboard-like input
// device, those that look like barcode scanners first, as a table or JSON.
func runInputDevices(e *env, asJSON bool) int {
	stdout, stderr := e.Stdout, e.Stderr
	devs, err := e.ListInputs()
	if err != nil {
		fmt.Fprintf(stderr, "posterm devices: list input devices: %v\n", err)
		return exitLocal
	}
	if asJSON {
		if devs == nil {
			devs = []device.InputDevice{}
		}
		if err := writeJSON(stdout, devs); err != nil {
			return fail(stderr, "devices", err)
		}
		return exitDone
	}
	if len(devs) == 0 {
		fmt.Fprintln(stdout, "No keyboard-like input devices found (/proc/bus/input/devices).")
		return exitDone
	}
	printInputDevices(stdout, devs)
	return exitDone
}

// printScannerInputs adds, to the serial port list, the input devices that
// look like USB HID scanners, if any.
func printScannerInputs(e *env) {
	w := e.Stdout
	devs, err := e.ListInputs()
	if err != nil {
		return
	}
	var scanners []device.InputDevice
	for _, d := range devs {
		if d.Scanner {
			scanners = append(scanners, d)
		}
	}
	if len(scanners) > 0 {
		fmt.Fprintln(w, "\nUSB keyboard (HID) scanners, for [scanner] evdev (all input devices: posterm devices --input):")
		printInputDevices(w, scanners)
	}
}

func printInputDevices(w io.Writer, devs []device.InputDevice) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PATH\tEVENT\tUSB ID\tNAME\tSCANNER?\tACCESS")
	for _, d := range devs {
		id, scanner, access := "-", "-", "ok"
		if d.USB {
			id = d.VID + ":" + d.PID
		}
		if d.Scanner {
			scanner = "looks like one"
		}
		if !d.Access {
			access = "denied (input group)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", d.Path, d.Event, id, dash(d.Name), scanner, access)
	}
	tw.Flush()
}
