package device

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// InputDevice is a keyboard-like input device, as /proc/bus/input/devices
// describes it: a candidate USB HID scanner for [scanner] evdev.
type InputDevice struct {
	// Path is the name to configure: /dev/input/by-id/…-event-kbd when
	// there is one (stable across replugging), else /dev/input/eventN.
	Path   string `json:"path"`
	Event  string `json:"event"` // /dev/input/eventN
	Name   string `json:"name"`
	USB    bool   `json:"usb"`
	VID    string `json:"vid,omitempty"`
	PID    string `json:"pid,omitempty"`
	Access bool   `json:"access"` // this process may read it (else: the input group)
	// Scanner reports whether it looks like a barcode scanner: a USB
	// keyboard whose name says so or whose vendor makes scanners.
	Scanner bool `json:"scanner"`
}

// scannerVendors are USB vendors whose keyboards are barcode scanners
// (the same list as packaging/udev/60-posterm.rules).
var scannerVendors = map[string]string{
	"0c2e": "Honeywell", "05e0": "Zebra/Symbol", "05f9": "Datalogic", "1eab": "Newland",
}

// ListInputDevices lists the keyboard-like input devices (those with a
// kbd handler and an event node), scanners first as ParseInputDevices
// decides. It reads /proc/bus/input/devices and /dev/input/by-id; it
// opens no device.
func ListInputDevices() ([]InputDevice, error) {
	f, err := os.Open("/proc/bus/input/devices")
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	defer f.Close()
	devs, err := ParseInputDevices(f, "/dev/input")
	for i := range devs {
		devs[i].Access = unix.Access(devs[i].Event, unix.R_OK) == nil
	}
	return devs, err
}

// ParseInputDevices reads the /proc/bus/input/devices format from r and
// returns its keyboard-like devices, with stable names from dir/by-id.
func ParseInputDevices(r io.Reader, dir string) ([]InputDevice, error) {
	byID := map[string]string{} // eventN → by-id path
	if m, _ := filepath.Glob(filepath.Join(dir, "by-id", "*-event-kbd")); m != nil {
		for _, p := range m {
			if t, err := os.Readlink(p); err == nil {
				byID[filepath.Base(t)] = p
			}
		}
	}
	var out []InputDevice
	var cur InputDevice
	var kbd bool
	flush := func() {
		if kbd && cur.Event != "" {
			if p, ok := byID[filepath.Base(cur.Event)]; ok {
				cur.Path = p
			} else {
				cur.Path = cur.Event
			}
			name := strings.ToLower(cur.Name)
			_, vendor := scannerVendors[cur.VID]
			cur.Scanner = cur.USB && (vendor || strings.Contains(name, "scan") || strings.Contains(name, "barcode") || strings.Contains(name, "bar code"))
			out = append(out, cur)
		}
		cur, kbd = InputDevice{}, false
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		kind, rest, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		switch kind {
		case "I":
			for _, f := range strings.Fields(rest) {
				k, v, _ := strings.Cut(f, "=")
				switch k {
				case "Bus":
					cur.USB = v == "0003"
				case "Vendor":
					cur.VID = strings.ToLower(v)
				case "Product":
					cur.PID = strings.ToLower(v)
				}
			}
		case "N":
			cur.Name = strings.Trim(strings.TrimPrefix(rest, "Name="), `"`)
		case "H":
			for _, h := range strings.Fields(strings.TrimPrefix(rest, "Handlers=")) {
				if h == "kbd" {
					kbd = true
				}
				if strings.HasPrefix(h, "event") {
					cur.Event = filepath.Join(dir, h)
				}
			}
		}
	}
	flush()
	// Scanners first, keeping the kernel's order otherwise.
	var scanners, others []InputDevice
	for _, d := range out {
		if d.Scanner {
			scanners = append(scanners, d)
		} else {
			others = append(others, d)
		}
	}
	return append(scanners, others...), sc.Err()
}
