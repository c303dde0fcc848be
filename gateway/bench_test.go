package gateway

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkClientRoundTrip measures what the client adds to a call: N bare
// net/http POSTs of the same bytes to the same loopback server, then N
// client Pay calls (encode, sign, 3DES, POST, decrypt, verify, decode,
// classify, log), both in the same run. It reports the client's time per
// call as a ratio to the bare POST's ("x-bare-post"); the network dominates
// both, so the ratio is what the client's own work costs.
func BenchmarkClientRoundTrip(b *testing.B) {
	for _, encrypt := range []bool{false, true} {
		name := "plain"
		if encrypt {
			name = "3des"
		}
		b.Run(name, func(b *testing.B) {
			plain := []byte(fixturePay)
			sign := Sign(plain, testSecret)
			answer := plain
			if encrypt {
				enc, _ := Encrypt(plain, testSecret)
				answer = []byte(enc)
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.Header().Set(SignHeader, sign)
				_, _ = w.Write(answer)
			}))
			defer srv.Close()

			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
			defer hc.CloseIdleConnections()
			c, err := New(Config{URL: srv.URL + "/", BusiID: testBusi, Secret: testSecret, OperID: "cashier01",
				DevID: "POS-01", Encrypt: encrypt, RequireSign: true, HTTPClient: hc})
			if err != nil {
				b.Fatal(err)
			}
			req := vectorPay
			// The same bytes the client sends, for the bare POST.
			sent := req
			sent.BusiID = testBusi
			body := sent.wire().encode()
			ctype := ContentTypePlain
			if encrypt {
				enc, _ := Encrypt(body, testSecret)
				body, ctype = []byte(enc), ContentTypeEnc
			}
			bareURL := c.url(MethodPay, testBusi, Sign(body, testSecret))
			ctx := context.Background()

			b.ResetTimer()
			t0 := time.Now()
			for i := 0; i < b.N; i++ {
				resp, err := hc.Post(bareURL, ctype, bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			bare := time.Since(t0)
			t1 := time.Now()
			for i := 0; i < b.N; i++ {
				if _, st := c.Pay(ctx, req); !st.Done() {
					b.Fatal(st)
				}
			}
			client := time.Since(t1)
			b.StopTimer()
			b.ReportMetric(float64(client)/float64(bare), "x-bare-post")
			b.ReportMetric(float64(client.Nanoseconds())/float64(b.N), "client-ns/call")
			b.ReportMetric(float64(bare.Nanoseconds())/float64(b.N), "bare-ns/post")
		})
	}
}
