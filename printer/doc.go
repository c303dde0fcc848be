// Package printer drives ESC/POS receipt printers: an encoder for the commands
// a receipt needs, receipt layouts at 58 mm and 80 mm (GB18030 or a
// single-byte code page), transports (serial, /dev/usb/lp*, raw TCP 9100,
// file) with write timeouts and DLE EOT status, a spooler that prints jobs
// kept in the journal and retries failed ones, and a decoder (the virtual
// printer) that turns ESC/POS bytes back into text for tests and previews.
//
// The package knows nothing of the gateway, the journal or the screen: the
// caller fills a Receipt or ShiftReport, renders it with a Profile, and hands
// the bytes to a Spooler as a Job. A payment never waits for the printer:
// Spooler.Enqueue returns at once and printing happens in the background.
//
// Byte sequences follow ../shared/HARDWARE.md, verified against a reference
// encoder. Logs use log/slog with subsystem "printer".
package printer
