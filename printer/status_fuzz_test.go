package printer

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"
)

// replyPort is a statusPort whose printer answers with fixed bytes, then
// falls silent (ErrNoStatus).
type replyPort struct {
	out      int // requests not answered yet (statusPort.outstanding)
	in       []byte
	requests []byte // n of each DLE EOT n sent
	accepted []byte // the bytes that passed statusByteOK, in order
}

func (p *replyPort) send(b []byte) error {
	if len(b) == 3 && b[0] == dle && b[1] == eot {
		p.requests = append(p.requests, b[2])
	}
	return nil
}

func (p *replyPort) readByte(time.Time) (byte, error) {
	if len(p.in) == 0 {
		return 0, ErrNoStatus
	}
	b := p.in[0]
	p.in = p.in[1:]
	if statusByteOK(b) {
		p.accepted = append(p.accepted, b)
	}
	return b, nil
}

func (p *replyPort) discard() {}

func (p *replyPort) outstanding() *int { return &p.out }

// FuzzStatusReply feeds queryStatus whatever a printer (or line noise)
// sends back. It never panics or loops; it asks DLE EOT 1, 2, 4 (and 3
// only after an error) in that order; a failure is StatusUnknown; noise
// between answers changes nothing; a known status has a description, and
// the answers a printer in that status would give read back the same.
func FuzzStatusReply(f *testing.F) {
	ok := []byte{0x12, 0x12, 0x12}
	f.Add(ok)
	f.Add([]byte{0x12, 0x16, 0x12})             // cover open
	f.Add([]byte{0x12, 0x32, 0x72})             // paper out
	f.Add([]byte{0x12, 0x12, 0x1e})             // paper near end
	f.Add([]byte{0x1a, 0x52, 0x12, 0x1a})       // offline, error, then DLE EOT 3: cutter
	f.Add([]byte{0x00, 0xff, 0x12, 0x80, 0x12}) // noise, then a reply cut short
	f.Add(bytes.Repeat([]byte{0x14}, 64))       // automatic status back (ASB) chatter
	f.Fuzz(func(t *testing.T, data []byte) {
		p := &replyPort{in: slices.Clone(data)}
		s, err := queryStatus(context.Background(), p, time.Second)
		want := []byte{1, 2, 4}
		if s.Error {
			want = append(want, 3)
		}
		if err != nil {
			if s != StatusUnknown {
				t.Fatalf("failed with %v but status %+v", err, s)
			}
			if len(p.accepted) >= len(p.requests) {
				t.Fatalf("failed with %v after %d answers to %d requests", err, len(p.accepted), len(p.requests))
			}
			return
		}
		if !s.Known || s.String() == "" || s.Ready() == s.Blocked() {
			t.Fatalf("status %+v: Known %v, %q, Ready %v, Blocked %v", s, s.Known, s, s.Ready(), s.Blocked())
		}
		if !slices.Equal(p.requests, want) {
			t.Fatalf("requests %v, want %v", p.requests, want)
		}
		// Noise removed: the same status.
		clean := &replyPort{in: slices.Clone(p.accepted)}
		if s2, err := queryStatus(context.Background(), clean, time.Second); err != nil || s2 != s {
			t.Fatalf("without noise: %+v, %v; with noise %+v", s2, err, s)
		}
		// What a printer in s answers reads back as s (as far as the bits
		// can tell: an error with the cutter's bit is a cutter error).
		var echo []byte
		for _, n := range want {
			echo = append(echo, StatusByte(s, n))
		}
		back, err := queryStatus(context.Background(), &replyPort{in: echo}, time.Second)
		if err != nil || back.Blocked() != s.Blocked() || back.PaperOut != s.PaperOut || back.Online != s.Online ||
			back.CoverOpen != s.CoverOpen || back.PaperNearEnd != s.PaperNearEnd {
			t.Fatalf("status %+v answers %x, which reads back as %+v (%v)", s, echo, back, err)
		}
	})
}
