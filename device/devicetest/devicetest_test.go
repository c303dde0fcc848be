package devicetest_test

import (
	"errors"
	"testing"
	"time"

	"posterm/device"
	"posterm/device/devicetest"
)

func TestSource_Events(t *testing.T) {
	s := devicetest.NewSource("/dev/ttyACM0")
	s.Connect()
	s.Scan("281234567890123456")
	s.Disconnect(errors.New("unplugged"))
	if _, ok := (<-s.Events()).(device.Connected); !ok {
		t.Fatal("first event is not Connected")
	}
	if sc, ok := (<-s.Events()).(device.Scan); !ok || sc.Code != "281234567890123456" || sc.Port != "/dev/ttyACM0" {
		t.Fatalf("second event %+v, want the scan", sc)
	}
	if d, ok := (<-s.Events()).(device.Disconnected); !ok || d.Err == nil {
		t.Fatalf("third event %+v, want Disconnected with an error", d)
	}
}

func TestSource_CloseUnblocksSend(t *testing.T) {
	s := devicetest.NewSource("p")
	sent := make(chan struct{})
	go func() {
		for range 20 { // more than the buffer: the last sends block
			s.Scan("1234567890123456")
		}
		close(sent)
	}()
	time.Sleep(20 * time.Millisecond)
	s.Close()
	select {
	case <-sent:
	case <-time.After(2 * time.Second):
		t.Fatal("Send still blocked after Close")
	}
	s.Scan("dropped") // after Close: no panic
	n := 0
	for range s.Events() {
		n++
	}
	if n > 16 {
		t.Errorf("drained %d events, want at most the 16 buffered", n)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestPTY_Path(t *testing.T) {
	p := devicetest.NewPTY(t)
	first := p.Device()
	if first == "" {
		t.Fatal("Device() empty after NewPTY")
	}
	p.Unplug()
	if p.Device() != "" {
		t.Errorf("Device() = %q after Unplug, want empty", p.Device())
	}
	p.Replug()
	if p.Device() == "" {
		t.Error("Device() empty after Replug")
	}
}
