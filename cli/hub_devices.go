package cli

import (
	"context"
	"log/slog"
	"sync"

	"posterm/device"
	"posterm/pos"
	"posterm/ui"
)

// Device status for the store hub's page. The register's own status events
// (the spooler's, relayed to the screen, and the scanner's Connected /
// Disconnected) pass through teeDevices on their way to the UI; each change
// of the printer's or the scanner's word becomes one outbox event
// (Journal.ReportDevices), so it reaches the hub like a sale does — durably,
// in order, across hub outages — and not over a second connection.

// teeDevices forwards printer and scanner events to the returned channels
// unchanged and reports each change of state to rep, from one background
// goroutine (a journal write never delays the screen). A nil input gives a
// nil output. The outputs close when their input closes or ctx ends.
func teeDevices(ctx context.Context, rep pos.DeviceReporter, log *slog.Logger, printer <-chan ui.PrinterEvent,
	scanner <-chan device.Event, scannerPort string) (<-chan ui.PrinterEvent, <-chan device.Event) {
	d := &deviceTee{rep: rep, log: log, wake: make(chan struct{}, 1),
		cur: pos.DeviceStatus{Printer: pos.DeviceNone, Scanner: pos.DeviceNone, ScannerPort: scannerPort}}
	if scanner != nil {
		d.cur.Scanner = pos.DeviceUnknown
	}
	var pout chan ui.PrinterEvent
	var sout chan device.Event
	if printer != nil {
		d.cur.Printer = pos.DeviceUnknown
		pout = make(chan ui.PrinterEvent, cap(printer))
		go relay(ctx, printer, pout, func(ev ui.PrinterEvent) {
			d.set(func(s *pos.DeviceStatus) { s.Printer = printerWord(ev.Status) })
		})
	}
	if scanner != nil {
		sout = make(chan device.Event, cap(scanner))
		go relay(ctx, scanner, sout, func(ev device.Event) {
			switch ev.(type) {
			case device.Connected:
				d.set(func(s *pos.DeviceStatus) { s.Scanner = pos.DeviceOK })
			case device.Disconnected:
				d.set(func(s *pos.DeviceStatus) { s.Scanner = pos.DeviceUnreachable })
			}
		})
	}
	d.changed() // the first report: what is configured
	go d.run(ctx)
	var po <-chan ui.PrinterEvent
	if pout != nil {
		po = pout
	}
	var so <-chan device.Event
	if sout != nil {
		so = sout
	}
	return po, so
}

type deviceTee struct {
	rep  pos.DeviceReporter
	log  *slog.Logger
	wake chan struct{}

	mu       sync.Mutex
	cur      pos.DeviceStatus
	reported *pos.DeviceStatus
}

func relay[T any](ctx context.Context, in <-chan T, out chan<- T, see func(T)) {
	defer close(out)
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-in:
			if !ok {
				return
			}
			see(ev)
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		}
	}
}

func (d *deviceTee) set(f func(*pos.DeviceStatus)) {
	d.mu.Lock()
	f(&d.cur)
	d.mu.Unlock()
	d.changed()
}

func (d *deviceTee) changed() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// run reports the latest status whenever it differs from the last reported.
func (d *deviceTee) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.wake:
		}
		d.mu.Lock()
		cur := d.cur
		same := d.reported != nil && d.reported.Printer == cur.Printer && d.reported.Scanner == cur.Scanner
		d.mu.Unlock()
		if same {
			continue
		}
		if err := d.rep.ReportDevices(context.WithoutCancel(ctx), cur); err != nil {
			d.log.Warn("hub: device status not recorded", "err", err)
			continue
		}
		d.mu.Lock()
		d.reported = &cur
		d.mu.Unlock()
	}
}

// printerWord names the status bar's printer state for the hub.
func printerWord(s ui.PrinterStatus) string {
	switch s {
	case ui.PrinterOK:
		return pos.DeviceOK
	case ui.PrinterPaperOut:
		return pos.DevicePaperOut
	case ui.PrinterCoverOpen:
		return pos.DeviceCoverOpen
	case ui.PrinterOffline:
		return pos.DeviceOffline
	case ui.PrinterUnreachable:
		return pos.DeviceUnreachable
	case ui.PrinterPaperLow:
		return pos.DevicePaperLow
	}
	return pos.DeviceUnknown
}
