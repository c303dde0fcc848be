package device

import (
	"strings"
	"time"

	"posterm/pos"
)

// Defaults for a BurstDetector's zero fields.
const (
	// DefaultMaxGap is the widest gap between two single keys of a scan.
	// Measured (HARDWARE.md): scanner keys 8 ms apart arrive ~12 ms apart;
	// a person types 100 ms and more apart.
	DefaultMaxGap = 40 * time.Millisecond
	// DefaultMinLen is the shortest scan, in runes (EAN-8 has 8).
	DefaultMinLen = 8
	// maxHeld bounds the keys held as a possible scan.
	maxHeld = 512
)

// BurstDetector tells a keyboard-wedge scanner from a person typing. The
// UI feeds it every rune key and Enter; it holds keys that may belong to a
// scan and says, for each key, what the UI should do:
//
//   - A key message holding several runes is a burst: a scanner typed
//     them in one write (HARDWARE.md, "Keyboard-wedge scanners").
//   - Single runes are a burst when each follows the previous one within
//     MaxGap.
//   - A burst of at least MinLen runes followed by Enter (within MaxGap)
//     is a scan: Verdict.Code.
//   - Anything else was typed (or pasted) by a person: the held keys come
//     back in Verdict.Pass, in order, to be given to the focused input.
//
// Because the first key of a scan looks like any key, every rune is held
// until the next key or until MaxGap has passed; when Verdict.Held is set
// the UI calls Flush after Verdict.Wait (the Bubble Tea adapter, Update,
// schedules that). A person's keys are thus delayed by about MaxGap.
//
// The zero value is ready to use with the defaults. A BurstDetector is not
// safe for concurrent use: it belongs to the UI's Update.
type BurstDetector struct {
	// MaxGap is the widest gap between two keys of a scan (default 40 ms).
	// Scanners have a configurable inter-character delay: keep this above it.
	MaxGap time.Duration
	// MinLen is the shortest code accepted as a scan, in runes (default 8).
	MinLen int

	held  []rune
	last  time.Time // when the last held key arrived
	burst bool      // the held keys came faster than a person types
}

// Verdict says what the UI should do after a key.
type Verdict struct {
	// Code is a complete scan (the Enter that ended it is consumed).
	Code string
	// Pass holds keys typed by a person: deliver them to the focused
	// input now, in order, before anything else in this Verdict.
	Pass []rune
	// PassEnter is an Enter typed by a person, to deliver after Pass.
	PassEnter bool
	// Held reports that keys are held as a possible scan; call Flush
	// after Wait unless another key arrives first.
	Held bool
	Wait time.Duration
}

// Scanned reports whether the verdict carries a scanned code.
func (v Verdict) Scanned() bool { return v.Code != "" }

func (d *BurstDetector) gap() time.Duration {
	if d.MaxGap > 0 {
		return d.MaxGap
	}
	return DefaultMaxGap
}

func (d *BurstDetector) minLen() int {
	if d.MinLen > 0 {
		return d.MinLen
	}
	return DefaultMinLen
}

// Feed takes one key message at time at: its runes (nil for Enter) and
// whether it is Enter. See the type's documentation for the verdict.
func (d *BurstDetector) Feed(runes []rune, isEnter bool, at time.Time) Verdict {
	var v Verdict
	if len(d.held) > 0 && at.Sub(d.last) > d.gap() {
		// The held keys were not followed in time: typed by a person (or a
		// burst that did not end with Enter, such as a paste).
		v.Pass = d.release()
	}
	if isEnter {
		if d.burst && len(d.held) >= d.minLen() {
			// Keys are outside text too: no control character in a code.
			v.Code = strings.TrimSpace(pos.CleanText(string(d.held)))
			d.reset()
			return v
		}
		v.Pass = append(v.Pass, d.release()...)
		v.PassEnter = true
		return v
	}
	if len(runes) == 0 {
		return d.holding(v, at)
	}
	if len(runes) > 1 || len(d.held) > 0 {
		d.burst = true
	}
	if len(d.held)+len(runes) > maxHeld {
		// Too long for any code: a paste or a stuck key.
		v.Pass = append(v.Pass, d.release()...)
		v.Pass = append(v.Pass, runes...)
		return v
	}
	d.held = append(d.held, runes...)
	d.last = at
	return d.holding(v, at)
}

// Flush releases the held keys as typed when MaxGap has passed since the
// last one; otherwise it reports them still held and how long to wait.
func (d *BurstDetector) Flush(at time.Time) Verdict {
	var v Verdict
	if len(d.held) > 0 && at.Sub(d.last) > d.gap() {
		v.Pass = d.release()
		return v
	}
	return d.holding(v, at)
}

// Release returns the held keys as typed, e.g. because a key that cannot
// be part of a scan (an arrow, Backspace) arrived: deliver Pass first,
// then handle that key.
func (d *BurstDetector) Release() Verdict {
	return Verdict{Pass: d.release()}
}

// Pending returns how many keys are held.
func (d *BurstDetector) Pending() int { return len(d.held) }

func (d *BurstDetector) holding(v Verdict, at time.Time) Verdict {
	if len(d.held) > 0 {
		v.Held = true
		v.Wait = max(d.last.Add(d.gap()).Sub(at), 0) + time.Millisecond
	}
	return v
}

func (d *BurstDetector) release() []rune {
	if len(d.held) == 0 {
		d.reset()
		return nil
	}
	out := append([]rune(nil), d.held...)
	d.reset()
	return out
}

func (d *BurstDetector) reset() {
	d.held = d.held[:0]
	d.burst = false
}
