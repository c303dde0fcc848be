package sandbox

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzParseState feeds the sandbox's state file reader arbitrary bytes: it
// never panics, and what it accepts survives a write and a read unchanged.
func FuzzParseState(f *testing.F) {
	f.Add([]byte(`{"version":1,"busiCode":"0010000001","seq":3,"transactions":[{"kind":"pay","chargeCode":"C1","chargeDownCode":"D1","amt":100,"state":4,"refunds":[{"outRefundNo":"R1","amount":50}],"bills":[{"channel":"10","amount":100}]}],"revokedSerials":["X"]}`))
	f.Add([]byte(`{"version":1,"transactions":[{"kind":"pay","chargeCode":"C1","chargeDownCode":"D1"},{"kind":"pay","chargeCode":"C1","chargeDownCode":"D2"}]}`))
	f.Add([]byte(`{"version":1,"transactions":[null]}`))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`{"version":1,"transactions":[{"kind":"precreate","chargeCode":"C","chargeDownCode":"D","amt":-1}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := parseState(b)
		if err != nil {
			return
		}
		snap := l.snapshot("B")
		js, err := json.Marshal(snap)
		if err != nil {
			t.Fatalf("snapshot does not marshal: %v", err)
		}
		l2, err := parseState(js)
		if err != nil {
			t.Fatalf("a written state does not read back: %v\n%s", err, js)
		}
		if js2, _ := json.Marshal(l2.snapshot("B")); !bytes.Equal(js, js2) {
			t.Fatalf("state changed on a round trip:\n%s\n%s", js, js2)
		}
	})
}

func TestParseState_Refuses(t *testing.T) {
	for name, in := range map[string]string{
		"not JSON":           `{`,
		"version":            `{"version":9}`,
		"no serials":         `{"version":1,"transactions":[{"kind":"pay"}]}`,
		"null transaction":   `{"version":1,"transactions":[null]}`,
		"serial twice":       `{"version":1,"transactions":[{"kind":"pay","chargeCode":"C","chargeDownCode":"D1"},{"kind":"pay","chargeCode":"C","chargeDownCode":"D2"}]}`,
		"bad kind":           `{"version":1,"transactions":[{"kind":"gift","chargeCode":"C","chargeDownCode":"D"}]}`,
		"bad state":          `{"version":1,"transactions":[{"kind":"pay","chargeCode":"C","chargeDownCode":"D","state":99}]}`,
		"negative amount":    `{"version":1,"transactions":[{"kind":"pay","chargeCode":"C","chargeDownCode":"D","amt":-5}]}`,
		"refunds above paid": `{"version":1,"transactions":[{"kind":"pay","chargeCode":"C","chargeDownCode":"D","amt":5,"refunds":[{"outRefundNo":"R","amount":3},{"outRefundNo":"S","amount":3}]}]}`,
		"refund no twice":    `{"version":1,"transactions":[{"kind":"pay","chargeCode":"C","chargeDownCode":"D","amt":5,"refunds":[{"outRefundNo":"R","amount":1},{"outRefundNo":"R","amount":1}]}]}`,
	} {
		if _, err := parseState([]byte(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
