package cli

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"posterm/device"
	"posterm/offline"
	"posterm/pos"
	"posterm/ui"
)

// The register's printer and scanner events reach the screen unchanged, and
// each change of state (only a change) becomes one outbox event for the hub.
func TestHubDevices_TeeReportsChangesToTheOutbox(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	j, err := offline.Open(filepath.Join(t.TempDir(), "till.db"), offline.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	pin := make(chan ui.PrinterEvent, 4)
	sin := make(chan device.Event, 4)
	pout, sout := teeDevices(ctx, j, quiet, pin, sin, "/dev/ttyUSB0")

	steps := []struct {
		send          func()
		printer, scan string // the status the hub must then hold
	}{
		{func() { pin <- ui.PrinterEvent{Kind: ui.PrinterStatusChanged, Status: ui.PrinterOK} }, pos.DeviceOK, pos.DeviceUnknown},
		{func() { sin <- device.Connected{Port: "/dev/ttyUSB0"} }, pos.DeviceOK, pos.DeviceOK},
		{func() { pin <- ui.PrinterEvent{Kind: ui.PrinterFailed, ChargeCode: "C1", Status: ui.PrinterPaperOut} }, pos.DevicePaperOut, pos.DeviceOK},
		{func() { sin <- device.Disconnected{Port: "/dev/ttyUSB0"} }, pos.DevicePaperOut, pos.DeviceUnreachable},
	}
	for i, st := range steps {
		st.send()
		select { // the screen gets every event
		case <-pout:
		case <-sout:
		case <-time.After(10 * time.Second):
			t.Fatalf("step %d: the event did not reach the screen", i)
		}
		last := waitDevices(t, j, func(d pos.DeviceStatus) bool { return d.Printer == st.printer && d.Scanner == st.scan })
		if last.ScannerPort != "/dev/ttyUSB0" {
			t.Errorf("step %d: scanner port %q", i, last.ScannerPort)
		}
	}
	// The same state again is not reported again.
	before := countDevices(t, j)
	pin <- ui.PrinterEvent{Kind: ui.PrinterQueued, ChargeCode: "C2", Status: ui.PrinterPaperOut}
	<-pout
	sin <- device.Disconnected{Port: "/dev/ttyUSB0"}
	<-sout
	// A change after them shows the repeats were passed over.
	pin <- ui.PrinterEvent{Kind: ui.PrinterStatusChanged, Status: ui.PrinterOK}
	<-pout
	waitDevices(t, j, func(d pos.DeviceStatus) bool { return d.Printer == pos.DeviceOK })
	if after := countDevices(t, j); after != before+1 {
		t.Errorf("device events: %d after the repeats and a change, want %d", after, before+1)
	}
}

func devicesEvents(t *testing.T, j *offline.Journal) []pos.DeviceStatus {
	t.Helper()
	evs, err := j.PendingOutbox(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []pos.DeviceStatus
	for _, e := range evs {
		if e.Kind != pos.FeedDevices {
			continue
		}
		var d pos.DeviceStatus
		if err := json.Unmarshal(e.Payload, &d); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

func countDevices(t *testing.T, j *offline.Journal) int { return len(devicesEvents(t, j)) }

// waitDevices polls the outbox (with a deadline: the report is written by a
// background goroutine) until its last device event satisfies ok.
func waitDevices(t *testing.T, j *offline.Journal, ok func(pos.DeviceStatus) bool) pos.DeviceStatus {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if evs := devicesEvents(t, j); len(evs) > 0 && ok(evs[len(evs)-1]) {
			return evs[len(evs)-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("device events %+v", devicesEvents(t, j))
		}
		time.Sleep(5 * time.Millisecond)
	}
}
