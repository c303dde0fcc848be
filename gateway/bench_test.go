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
// both, so the ratio is what the client's own work costs. Goals (issue 9):
// plain ≤ 1.2×, 3des ≤ 2×.
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

			// Interleaved, one bare POST then one client Pay, so that the
			// load of a busy machine falls on both alike.
			b.ResetTimer()
			var bare, client time.Duration
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				resp, err := hc.Post(bareURL, ctype, bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.ReadAll(resp.Body)
				resp.Body.Close()
				t1 := time.Now()
				if _, st := c.Pay(ctx, req); !st.Done() {
					b.Fatal(st)
				}
				bare += t1.Sub(t0)
				client += time.Since(t1)
			}
			b.StopTimer()
			b.ReportMetric(float64(client)/float64(bare), "x-bare-post")
			b.ReportMetric(float64(client.Nanoseconds())/float64(b.N), "client-ns/call")
			b.ReportMetric(float64(bare.Nanoseconds())/float64(b.N), "bare-ns/post")
		})
	}
}

// BenchmarkParseAnswer: the single-pass reader against the encoding/json
// Decoder.Token reader it replaced (oracle_test.go), on the same pay answer,
// interleaved; "x-old-reader" is new/old (below 1 is faster).
func BenchmarkParseAnswer(b *testing.B) {
	answer := []byte(fixturePay)
	b.ReportAllocs()
	var newT, oldT time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := parseJSON(answer); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := oracleParseJSON(answer); err != nil {
			b.Fatal(err)
		}
		newT += t1.Sub(t0)
		oldT += time.Since(t1)
	}
	b.ReportMetric(float64(newT)/float64(oldT), "x-old-reader")
	b.ReportMetric(float64(newT.Nanoseconds())/float64(b.N), "new-ns/op")
	b.ReportMetric(float64(oldT.Nanoseconds())/float64(b.N), "old-ns/op")
	allocs := testing.AllocsPerRun(100, func() { _, _ = parseJSON(answer) })
	oldAllocs := testing.AllocsPerRun(100, func() { _, _ = oracleParseJSON(answer) })
	b.ReportMetric(allocs, "new-allocs/op")
	b.ReportMetric(oldAllocs, "old-allocs/op")
}

// Benchmark3DES measures the 3DES of §2.1 on the same blocks (a pay answer,
// encrypted then decrypted): crypto/des with the key schedule redone per
// message (Encrypt/Decrypt, the baseline) against the Client's way, one
// cipher made in New and reused. "x-per-call-key" is reused/per-call.
// crypto/des stays: it is already table-driven (its S-box/permutation
// tables are precomputed), and a local implementation would have to be 3×
// faster to be worth its risk (issue 9).
func Benchmark3DES(b *testing.B) {
	plain := []byte(fixturePay)
	block, err := newBlock(testSecret)
	if err != nil {
		b.Fatal(err)
	}
	var perCall, reused time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		enc, _ := Encrypt(plain, testSecret)
		if _, err := Decrypt([]byte(enc), testSecret); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := decryptWith(block, encryptWith(block, plain)); err != nil {
			b.Fatal(err)
		}
		perCall += t1.Sub(t0)
		reused += time.Since(t1)
	}
	b.ReportMetric(float64(reused)/float64(perCall), "x-per-call-key")
	b.ReportMetric(float64(reused.Nanoseconds())/float64(b.N), "reused-ns/op")
	b.ReportMetric(float64(perCall.Nanoseconds())/float64(b.N), "per-call-ns/op")
	b.ReportMetric(float64(len(plain)), "bytes")
}

// cannedTransport answers every request with the same signed body, without
// a network: what is left is the client's own work.
type cannedTransport struct {
	body []byte
	sign string
}

func (t cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	h := http.Header{}
	h.Set(SignHeader, t.sign)
	return &http.Response{StatusCode: 200, Status: "200 OK", Header: h, Request: r,
		Body: io.NopCloser(bytes.NewReader(t.body)), ContentLength: int64(len(t.body))}, nil
}

// BenchmarkClientOverhead: a client Pay against a bare http.Client POST of
// the same bytes through a transport that answers at once, interleaved. It
// isolates what BenchmarkClientRoundTrip's ratio is made of: "client-ns"
// minus "bare-ns" is the client's own cost per call (encode, sign, parse,
// verify, decode, classify).
func BenchmarkClientOverhead(b *testing.B) {
	plain := []byte(fixturePay)
	hc := &http.Client{Transport: cannedTransport{body: plain, sign: Sign(plain, testSecret)}}
	c, err := New(Config{URL: "http://127.0.0.1:1/", BusiID: testBusi, Secret: testSecret, OperID: "cashier01",
		DevID: "POS-01", RequireSign: true, HTTPClient: hc})
	if err != nil {
		b.Fatal(err)
	}
	sent := vectorPay
	sent.BusiID = testBusi
	body := sent.wire().encode()
	bareURL := c.url(MethodPay, testBusi, Sign(body, testSecret))
	ctx := context.Background()
	b.ReportAllocs()
	var bare, client time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		resp, err := hc.Post(bareURL, ContentTypePlain, bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		t1 := time.Now()
		if _, st := c.Pay(ctx, vectorPay); !st.Done() {
			b.Fatal(st)
		}
		bare += t1.Sub(t0)
		client += time.Since(t1)
	}
	b.ReportMetric(float64(bare.Nanoseconds())/float64(b.N), "bare-ns")
	b.ReportMetric(float64(client.Nanoseconds())/float64(b.N), "client-ns")
}
