package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"posterm/device"
)

func TestDevices_InputScanners(t *testing.T) {
	var stdout, stderr bytes.Buffer
	e := devicesEnv(nil, nil, &stdout, &stderr)
	devs := []device.InputDevice{
		{Path: "/dev/input/by-id/usb-Honeywell-event-kbd", Event: "/dev/input/event5", Name: "Honeywell 1900", USB: true, VID: "0c2e", PID: "0b61", Access: true, Scanner: true},
		{Path: "/dev/input/event0", Event: "/dev/input/event0", Name: "AT keyboard", Access: false},
	}
	e.ListInputs = func() ([]device.InputDevice, error) { return devs, nil }
	runE := func(args ...string) (int, string, string) {
		stdout.Reset()
		stderr.Reset()
		code := runWith(e, args)
		return code, stdout.String(), stderr.String()
	}

	code, out, errs := runE("devices")
	if code != exitDone || !strings.Contains(out, "usb-Honeywell-event-kbd") || strings.Contains(out, "AT keyboard") {
		t.Errorf("devices: exit %d, stderr %q, want only the scanner-like input device:\n%s", code, errs, out)
	}
	code, out, _ = runE("devices", "--input")
	if code != exitDone || !strings.Contains(out, "looks like one") || !strings.Contains(out, "denied (input group)") {
		t.Errorf("devices --input:\n%s", out)
	}
	code, out, _ = runE("devices", "--input", "--json")
	var got []device.InputDevice
	if err := json.Unmarshal([]byte(out), &got); code != exitDone || err != nil || len(got) != 2 || !got[0].Scanner {
		t.Errorf("devices --input --json: exit %d, %v\n%s", code, err, out)
	}
}
