package device_test

import (
	"slices"
	"testing"
	"time"

	"posterm/device"
)

// key is one key message at an offset from the start of a sequence.
type key struct {
	at    time.Duration
	runes string // "" with enter
	enter bool
}

// feedAll plays keys into d like a UI would: typed keys go to an input
// (Enter as '\n'), scans to a list; held keys are flushed at the end.
func feedAll(t testing.TB, d *device.BurstDetector, keys []key) (typed string, codes []string) {
	t.Helper()
	t0 := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	var out []rune
	apply := func(v device.Verdict) {
		out = append(out, v.Pass...)
		if v.PassEnter {
			out = append(out, '\n')
		}
		if v.Scanned() {
			codes = append(codes, v.Code)
		}
	}
	last := time.Duration(0)
	for _, k := range keys {
		var runes []rune
		if k.runes != "" {
			runes = []rune(k.runes)
		}
		apply(d.Feed(runes, k.enter, t0.Add(k.at)))
		last = k.at
	}
	apply(d.Flush(t0.Add(last + time.Second)))
	if d.Pending() != 0 {
		t.Fatalf("Pending() = %d after a late Flush, want 0", d.Pending())
	}
	return string(out), codes
}

// singles types s one rune at a time, gap apart, then Enter after gap.
func singles(s string, gap time.Duration) []key {
	var ks []key
	at := time.Duration(0)
	for _, r := range s {
		ks = append(ks, key{at: at, runes: string(r)})
		at += gap
	}
	return append(ks, key{at: at, enter: true})
}

func TestBurstDetector_Feed(t *testing.T) {
	const code = "281234567890123456"
	ms := time.Millisecond
	tests := []struct {
		name      string
		d         device.BurstDetector
		keys      []key
		wantTyped string
		wantCodes []string
	}{
		{"whole code in one message, Enter 3 ms later", device.BurstDetector{},
			[]key{{0, code, false}, {3 * ms, "", true}}, "", []string{code}},
		{"fast single keys 12 ms apart", device.BurstDetector{}, singles(code, 12*ms), "", []string{code}},
		{"slow typing 120 ms apart passes through", device.BurstDetector{}, singles("12345678", 120*ms), "12345678\n", nil},
		{"burst shorter than MinLen passes through", device.BurstDetector{},
			[]key{{0, "12345", false}, {3 * ms, "", true}}, "12345\n", nil},
		{"MinLen configurable", device.BurstDetector{MinLen: 4},
			[]key{{0, "1234", false}, {3 * ms, "", true}}, "", []string{"1234"}},
		{"MaxGap configurable for slow scanners", device.BurstDetector{MaxGap: 100 * ms},
			singles("96385074", 80*ms), "", []string{"96385074"}},
		{"default gap refuses 80 ms keys", device.BurstDetector{}, singles("96385074", 80*ms), "96385074\n", nil},
		{"burst without Enter is typed (a paste)", device.BurstDetector{},
			[]key{{0, code, false}}, code, nil},
		{"Enter too late after a burst", device.BurstDetector{},
			[]key{{0, code, false}, {500 * ms, "", true}}, code + "\n", nil},
		{"typing then a scan", device.BurstDetector{},
			[]key{{0, "a", false}, {150 * ms, "b", false}, {400 * ms, code, false}, {403 * ms, "", true}}, "ab", []string{code}},
		{"two quick keys then slow", device.BurstDetector{},
			[]key{{0, "a", false}, {20 * ms, "b", false}, {300 * ms, "c", false}, {600 * ms, "", true}}, "abc\n", nil},
		{"scan then typing", device.BurstDetector{},
			[]key{{0, code, false}, {2 * ms, "", true}, {500 * ms, "x", false}, {700 * ms, "", true}}, "x\n", []string{code}},
		{"two scans back to back", device.BurstDetector{},
			[]key{{0, code, false}, {2 * ms, "", true}, {30 * ms, "134567890123456789", false}, {32 * ms, "", true}}, "", []string{code, "134567890123456789"}},
		{"lone Enter", device.BurstDetector{}, []key{{0, "", true}}, "\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.d
			typed, codes := feedAll(t, &d, tt.keys)
			if typed != tt.wantTyped || !slices.Equal(codes, tt.wantCodes) {
				t.Errorf("typed %q, codes %q; want typed %q, codes %q", typed, codes, tt.wantTyped, tt.wantCodes)
			}
		})
	}
}

func TestBurstDetector_Flush(t *testing.T) {
	var d device.BurstDetector
	t0 := time.Now()
	v := d.Feed([]rune("7"), false, t0)
	if !v.Held || v.Wait <= 0 || v.Wait > device.DefaultMaxGap+time.Millisecond {
		t.Fatalf("after one key: %+v; want Held with Wait in (0, MaxGap]", v)
	}
	if v := d.Flush(t0.Add(10 * time.Millisecond)); !v.Held || len(v.Pass) != 0 || v.Wait != device.DefaultMaxGap-10*time.Millisecond+time.Millisecond {
		t.Fatalf("early Flush: %+v; want still held, Wait %v", v, device.DefaultMaxGap-9*time.Millisecond)
	}
	if v := d.Flush(t0.Add(device.DefaultMaxGap + time.Millisecond)); v.Held || string(v.Pass) != "7" {
		t.Fatalf("late Flush: %+v; want Pass \"7\"", v)
	}
	if v := d.Flush(t0.Add(time.Hour)); v.Held || v.Pass != nil {
		t.Fatalf("Flush with nothing held: %+v; want zero verdict", v)
	}
}

// TestBurstDetector_CodeIsInert: a wedge scanner's keys are outside text;
// an escape sequence in a scanned code never reaches the screen.
func TestBurstDetector_CodeIsInert(t *testing.T) {
	tests := []struct {
		name string
		keys []key
		want []string
	}{
		{"escape in one burst", []key{{runes: "\x1b[31m281234567890123456"}, {at: time.Millisecond, enter: true}}, []string{"[31m281234567890123456"}},
		{"C1 and bidi override dropped", []key{{runes: "2812\u009b3456\u202e7890123456"}, {at: time.Millisecond, enter: true}}, []string{"281234567890123456"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, codes := feedAll(t, &device.BurstDetector{}, tt.keys)
			if !slices.Equal(codes, tt.want) {
				t.Errorf("got %q, want %q", codes, tt.want)
			}
		})
	}
}
