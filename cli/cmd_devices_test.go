package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"posterm/device"
	"posterm/pos"
)

// devicesEnv is an env whose port listing returns ports and err, and
// whose input-device listing returns nothing.
func devicesEnv(ports []device.PortInfo, err error, stdout, stderr *bytes.Buffer) *env {
	e := processEnv(stdout, stderr)
	e.ListPorts = func() ([]device.PortInfo, error) { return ports, err }
	e.ListInputs = func() ([]device.InputDevice, error) { return nil, nil }
	return e
}

var devicesFixture = []device.PortInfo{
	{Path: "/dev/serial/by-id/usb-Honeywell_Scanner_123-if00", Device: "/dev/ttyACM0", ByID: "/dev/serial/by-id/usb-Honeywell_Scanner_123-if00",
		Driver: "cdc_acm", USB: true, VID: "0c2e", PID: "0b61", Serial: "123", Manufacturer: "Honeywell", Product: "Scanner", Access: true},
	{Path: "/dev/ttyUSB0", Device: "/dev/ttyUSB0", Driver: "ch341-uart", USB: true, VID: "1a86", PID: "7523", Product: "USB Serial"},
}

func TestDevices_Table(t *testing.T) {
	var stdout, stderr bytes.Buffer
	e := devicesEnv(devicesFixture, nil, &stdout, &stderr)
	if code := runWith(e, []string{"devices"}); code != exitDone {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"PATH", "/dev/serial/by-id/usb-Honeywell_Scanner_123-if00  /dev/ttyACM0", "0c2e:0b61", "Honeywell Scanner", "1a86:7523", "denied", "dialout"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestDevices_JSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	e := devicesEnv(devicesFixture, nil, &stdout, &stderr)
	if code := runWith(e, []string{"devices", "--json"}); code != exitDone {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	var got []device.PortInfo
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout.String())
	}
	if len(got) != 2 || got[0] != devicesFixture[0] || got[1] != devicesFixture[1] {
		t.Errorf("got %+v, want %+v", got, devicesFixture)
	}
	if !strings.Contains(stdout.String(), `"vid": "0c2e"`) {
		t.Errorf("JSON keys not snake_case:\n%s", stdout.String())
	}
}

func TestDevices_None(t *testing.T) {
	var stdout, stderr bytes.Buffer
	e := devicesEnv(nil, nil, &stdout, &stderr)
	if code := runWith(e, []string{"devices"}); code != exitDone || !strings.Contains(stdout.String(), "No serial ports found") {
		t.Errorf("exit %d, stdout %q", code, stdout.String())
	}
	stdout.Reset()
	if code := runWith(e, []string{"devices", "--json"}); code != exitDone || strings.TrimSpace(stdout.String()) != "[]" {
		t.Errorf("--json with no ports: exit %d, stdout %q; want []", code, stdout.String())
	}
}

func TestDevices_Errors(t *testing.T) {
	var stdout, stderr bytes.Buffer
	e := devicesEnv(nil, errors.New("sysfs unreadable"), &stdout, &stderr)
	if code := runWith(e, []string{"devices"}); code != exitLocal || !strings.Contains(stderr.String(), "sysfs unreadable") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
	stderr.Reset()
	if code := runWith(e, []string{"devices", "extra"}); code != exitLocal {
		t.Errorf("extra argument: exit %d, want %d", code, exitLocal)
	}
}

func TestDevices_TillIdentity(t *testing.T) {
	dir := t.TempDir()
	show := func() tillInfo {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := run([]string{"devices", "--till", "--json", "--demo", "--data-dir", dir}, &stdout, &stderr); code != exitDone {
			t.Fatalf("exit %d, stderr %q", code, stderr.String())
		}
		var info tillInfo
		if err := json.Unmarshal(stdout.Bytes(), &info); err != nil {
			t.Fatalf("output is not JSON: %v\n%s", err, stdout.String())
		}
		return info
	}
	first := show()
	if err := pos.ValidTillID(first.TillID); err != nil || first.Register == "" || len(first.History) != 1 {
		t.Fatalf("got %+v (%v)", first, err)
	}
	if again := show(); again.TillID != first.TillID {
		t.Fatalf("identity changed between runs: %s, %s", first.TillID, again.TillID)
	}
	// The port table names it too.
	var stdout, stderr bytes.Buffer
	e := devicesEnv(nil, nil, &stdout, &stderr)
	if code := runWith(e, []string{"devices", "--demo", "--data-dir", dir}); code != exitDone {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "identity "+first.TillID) {
		t.Errorf("table lacks the till identity:\n%s", stdout.String())
	}
}
