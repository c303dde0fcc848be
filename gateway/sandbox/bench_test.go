package sandbox

import (
	"fmt"
	"testing"

	"posterm/gateway"
)

// BenchmarkPayQuery measures one pay (paid at once) plus one query over
// loopback HTTP with 3DES JSON envelopes. It reports pay+query pairs per
// second; it asserts nothing about speed.
func BenchmarkPayQuery(b *testing.B) {
	run := startSandbox(b, Options{})
	c := newClient(b, run, "json", true)
	i := 0
	for b.Loop() {
		cc := fmt.Sprintf("bench-%d", i)
		i++
		if m := c.call(gateway.MethodPay, payBody(cc, payCode("28", "00"), "1.00")); m.code() != gateway.CodeSuccess {
			b.Fatalf("pay: %v", m)
		}
		if m := c.call(gateway.MethodQuery, queryBody(cc)); m.str("STATE") != "1" {
			b.Fatalf("query: %v", m)
		}
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "ops/s")
}
