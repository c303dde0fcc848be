// Package printer drives ESC/POS receipt printers: an encoder for the commands
// a receipt needs, receipt layouts at 58 mm and 80 mm (GB18030 or a
// single-byte code page), transports (serial, /dev/usb/lp*, raw TCP 9100,
// file) with write timeouts and DLE EOT status, a spooler that prints the
// jobs of the journal's print queue (pos.PrintQueue) and retries failed
// ones, and a decoder (the virtual printer) that turns ESC/POS bytes back
// into text for tests and previews.
//
// The package knows nothing of the gateway or the screen: a job carries a
// pos.Receipt snapshot (or ready bytes), which the spooler renders with a
// Header and a Layout at print time. A payment never waits for the printer:
// the job is written with the payment, Spooler.Wake makes the spooler look.
//
// Delivery: a job is printed once, or printed again whole and marked as a
// copy after an attempt that was cut off (the spooler finishes the command
// the printer was cut inside, waits for its answer and resets it first). A
// job is JobPrinted only when the printer answered a status request after
// its last byte; otherwise it is JobSent ("sent — not confirmed"). Serial
// ports are driven non-blocking: no write ever holds an OS thread.
//
// Text: in Chinese mode only ASCII and two-byte GBK characters go out; the
// rest is transliterated or printed as Marker (see codec.prepare).
//
// Byte sequences follow ../shared/HARDWARE.md, verified against a reference
// encoder. Logs use log/slog with subsystem "printer".
package printer
