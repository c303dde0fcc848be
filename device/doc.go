// Package device talks to the barcode scanners on the counter.
//
// It reads serial scanners (USB-CDC /dev/ttyACM*, USB-serial /dev/ttyUSB*,
// /dev/serial/by-id/…) through go.bug.st/serial with automatic reconnection
// (Reader), reads USB HID (keyboard) scanners from their evdev node, grabbed,
// with the US layout (EvdevReader, KeyDecoder; ListInputDevices finds them),
// splits their byte stream into codes (Framer), tells a
// keyboard-wedge scanner's key bursts from a person typing (BurstDetector),
// classifies a scanned code as a wallet payment code or something the
// cashier must not charge (Classify), and lists candidate ports (ListPorts).
//
// Every code a scanner delivers (serial or keyboard-wedge) has been through
// pos.CleanText: no control character or escape sequence from the outside
// reaches a screen, a log or the gateway.
//
// The package imports only pos of the project (for CleanText): the UI consumes its events
// (Scan, Connected, Disconnected) as Bubble Tea messages, and main wires a
// SerialConfig from the config file. Logs go to log/slog with the attribute
// subsystem=device; a scanned code is never logged whole (see MaskCode).
//
// The facts this package relies on (pty behaviour, error values on unplug,
// key bursts in Bubble Tea) are recorded in ../shared/HARDWARE.md.
package device
