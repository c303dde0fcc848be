package device

import (
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// PortInfo is what is known of a candidate scanner port without opening
// it (opening could disturb a device, and takes the port exclusively).
type PortInfo struct {
	// Path is the name to configure: /dev/serial/by-id/… (stable across
	// renumbering, preferred), /dev/ttyACM* or /dev/ttyUSB*.
	Path string `json:"path"`
	// Device is the tty Path resolves to (Path itself when not a symlink).
	Device string `json:"device"`
	// ByID is the stable /dev/serial/by-id name of the same device, if any.
	ByID string `json:"by_id,omitempty"`
	// Driver is the kernel driver: cdc_acm (USB-CDC scanners), ch341,
	// cp210x, pl2303, ftdi_sio (USB-serial adapters)…
	Driver string `json:"driver,omitempty"`
	// USB identity, read from sysfs when the port is a USB device.
	USB          bool   `json:"usb"`
	VID          string `json:"vid,omitempty"`
	PID          string `json:"pid,omitempty"`
	Serial       string `json:"serial,omitempty"`
	Manufacturer string `json:"manufacturer,omitempty"`
	Product      string `json:"product,omitempty"`
	// Access reports whether this process may open the port read-write;
	// when false, the user probably needs the dialout group.
	Access bool `json:"access"`
}

// ListPorts returns the candidate scanner ports: every /dev/serial/by-id
// entry first (the names to prefer in config), then /dev/ttyACM* and
// /dev/ttyUSB*. USB details come from sysfs. It opens no port. An empty
// list is not an error.
//
// go.bug.st/serial/enumerator is not used: its port list opens every
// /dev/ttyS* to probe it, and it drops the name of non-USB ports.
func ListPorts() ([]PortInfo, error) {
	return listPorts("/dev", "/sys")
}

// listPorts is ListPorts with the /dev and /sys roots as parameters, so it
// can be tested on a fake tree.
func listPorts(devRoot, sysRoot string) ([]PortInfo, error) {
	var ids, ttys []string
	byID := filepath.Join(devRoot, "serial", "by-id")
	if ents, err := os.ReadDir(byID); err == nil {
		for _, e := range ents {
			ids = append(ids, filepath.Join(byID, e.Name()))
		}
	} else if !os.IsNotExist(err) {
		return nil, err
	}
	for _, pat := range []string{"ttyACM*", "ttyUSB*"} {
		m, err := filepath.Glob(filepath.Join(devRoot, pat))
		if err != nil {
			return nil, err
		}
		ttys = append(ttys, m...)
	}
	sort.Strings(ids)
	sort.Slice(ttys, func(i, j int) bool { return ttyLess(ttys[i], ttys[j]) })

	alias := map[string]string{} // resolved tty → by-id name
	var out []PortInfo
	for _, p := range ids {
		dev, err := filepath.EvalSymlinks(p)
		if err != nil {
			continue // a dangling link: the device just left
		}
		alias[dev] = p
		info := describe(p, dev, sysRoot)
		info.ByID = p
		out = append(out, info)
	}
	for _, p := range ttys {
		dev, err := filepath.EvalSymlinks(p)
		if err != nil {
			continue
		}
		info := describe(p, dev, sysRoot)
		info.ByID = alias[dev]
		out = append(out, info)
	}
	return out, nil
}

// ttyLess orders ttyACM2 before ttyACM10.
func ttyLess(a, b string) bool {
	ta, na := splitNum(filepath.Base(a))
	tb, nb := splitNum(filepath.Base(b))
	if ta != tb {
		return ta < tb
	}
	if len(na) != len(nb) {
		return len(na) < len(nb)
	}
	return na < nb
}

func splitNum(s string) (string, string) {
	i := len(s)
	for i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
		i--
	}
	return s[:i], s[i:]
}

func describe(path, dev, sysRoot string) PortInfo {
	info := PortInfo{Path: path, Device: dev, Access: unix.Access(path, unix.R_OK|unix.W_OK) == nil}
	devDir, err := filepath.EvalSymlinks(filepath.Join(sysRoot, "class", "tty", filepath.Base(dev), "device"))
	if err != nil {
		return info
	}
	if drv, err := filepath.EvalSymlinks(filepath.Join(devDir, "driver")); err == nil {
		info.Driver = filepath.Base(drv)
	}
	// Walk up from the tty's device (a USB interface for ttyACM, a
	// usb-serial port for ttyUSB) to the USB device that has idVendor.
	dir := devDir
	for range 4 {
		if vid := readAttr(dir, "idVendor"); vid != "" {
			info.USB = true
			info.VID = vid
			info.PID = readAttr(dir, "idProduct")
			info.Serial = readAttr(dir, "serial")
			info.Manufacturer = readAttr(dir, "manufacturer")
			info.Product = readAttr(dir, "product")
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return info
}

func readAttr(dir, name string) string {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
