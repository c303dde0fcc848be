package device

import (
	"os"
	"path/filepath"
	"testing"
)

// fakeTree builds a /dev and /sys with a USB-CDC scanner (ttyACM0, with a
// by-id link), a CH340 USB-serial adapter (ttyUSB0) and two ttyACM without
// sysfs entries.
func fakeTree(t *testing.T) (dev, sys string) {
	t.Helper()
	root := t.TempDir()
	dev, sys = filepath.Join(root, "dev"), filepath.Join(root, "sys")
	mkdir := func(p string) {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		mkdir(filepath.Dir(p))
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, p string) {
		mkdir(filepath.Dir(p))
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"ttyACM0", "ttyACM10", "ttyACM2", "ttyUSB0", "ttyS0"} {
		write(filepath.Join(dev, n), "")
	}
	link("../../ttyACM0", filepath.Join(dev, "serial", "by-id", "usb-Honeywell_Scanner_123-if00"))
	link("../../ttyACM9", filepath.Join(dev, "serial", "by-id", "usb-Gone-if00")) // dangling

	usb1 := filepath.Join(sys, "devices", "pci0000:00", "usb1", "1-1")
	write(filepath.Join(usb1, "idVendor"), "0c2e\n")
	write(filepath.Join(usb1, "idProduct"), "0b61\n")
	write(filepath.Join(usb1, "manufacturer"), "Honeywell\n")
	write(filepath.Join(usb1, "product"), "Scanner\n")
	write(filepath.Join(usb1, "serial"), "123\n")
	mkdir(filepath.Join(usb1, "1-1:1.0"))
	mkdir(filepath.Join(sys, "bus", "usb", "drivers", "cdc_acm"))
	link(filepath.Join(sys, "bus", "usb", "drivers", "cdc_acm"), filepath.Join(usb1, "1-1:1.0", "driver"))
	link(filepath.Join(usb1, "1-1:1.0"), filepath.Join(sys, "class", "tty", "ttyACM0", "device"))

	usb2 := filepath.Join(sys, "devices", "pci0000:00", "usb1", "1-2")
	write(filepath.Join(usb2, "idVendor"), "1a86\n")
	write(filepath.Join(usb2, "idProduct"), "7523\n")
	write(filepath.Join(usb2, "product"), "USB Serial\n")
	port := filepath.Join(usb2, "1-2:1.0", "ttyUSB0")
	mkdir(port)
	mkdir(filepath.Join(sys, "bus", "usb-serial", "drivers", "ch341-uart"))
	link(filepath.Join(sys, "bus", "usb-serial", "drivers", "ch341-uart"), filepath.Join(port, "driver"))
	link(port, filepath.Join(sys, "class", "tty", "ttyUSB0", "device"))
	return dev, sys
}

func TestListPorts_FakeTree(t *testing.T) {
	dev, sys := fakeTree(t)
	got, err := listPorts(dev, sys)
	if err != nil {
		t.Fatal(err)
	}
	byID := filepath.Join(dev, "serial", "by-id", "usb-Honeywell_Scanner_123-if00")
	want := []PortInfo{
		{Path: byID, Device: filepath.Join(dev, "ttyACM0"), ByID: byID, Driver: "cdc_acm", USB: true, VID: "0c2e", PID: "0b61", Serial: "123", Manufacturer: "Honeywell", Product: "Scanner", Access: true},
		{Path: filepath.Join(dev, "ttyACM0"), Device: filepath.Join(dev, "ttyACM0"), ByID: byID, Driver: "cdc_acm", USB: true, VID: "0c2e", PID: "0b61", Serial: "123", Manufacturer: "Honeywell", Product: "Scanner", Access: true},
		{Path: filepath.Join(dev, "ttyACM2"), Device: filepath.Join(dev, "ttyACM2"), Access: true},
		{Path: filepath.Join(dev, "ttyACM10"), Device: filepath.Join(dev, "ttyACM10"), Access: true},
		{Path: filepath.Join(dev, "ttyUSB0"), Device: filepath.Join(dev, "ttyUSB0"), Driver: "ch341-uart", USB: true, VID: "1a86", PID: "7523", Product: "USB Serial", Access: true},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d ports %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("port %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestListPorts_Empty(t *testing.T) {
	root := t.TempDir()
	got, err := listPorts(filepath.Join(root, "dev"), filepath.Join(root, "sys"))
	if err != nil || len(got) != 0 {
		t.Fatalf("listPorts on an empty tree = %v, %v; want nothing, nil", got, err)
	}
}

func TestListPorts_System(t *testing.T) {
	// Whatever this machine has: it must not fail or open anything.
	if _, err := ListPorts(); err != nil {
		t.Fatalf("ListPorts: %v", err)
	}
}
