package gateway

import (
	"encoding/json"
	"os"
	"testing"
)

type vector struct {
	Name      string `json:"name"`
	Secret    string `json:"secret"`
	Plaintext string `json:"plaintext"`
	Sign      string `json:"sign"`
	Method    string `json:"method"`
	Body3DES  string `json:"body_3des_base64"`
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Vectors []vector `json:"vectors"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	return f.Vectors
}

func TestWire_Vectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			if got := Sign([]byte(v.Plaintext), v.Secret); got != v.Sign {
				t.Errorf("sign: got %s, want %s", got, v.Sign)
			}
			if v.Body3DES == "" {
				return
			}
			enc, err := Encrypt([]byte(v.Plaintext), v.Secret)
			if err != nil {
				t.Fatal(err)
			}
			if enc != v.Body3DES {
				t.Errorf("encrypt: got %s, want %s", enc, v.Body3DES)
			}
			dec, err := Decrypt([]byte(v.Body3DES), v.Secret)
			if err != nil {
				t.Fatal(err)
			}
			if string(dec) != v.Plaintext {
				t.Errorf("decrypt: got %q, want %q", dec, v.Plaintext)
			}
		})
	}
}

func TestClassifyCode(t *testing.T) {
	tests := []struct {
		code string
		want Outcome
	}{
		{"SUCCESS", OutcomeDone}, {"SUCESS", OutcomeDone}, {"success", OutcomeDone},
		{"FAIL", OutcomeRefused}, {"ILLEGAL_PARAMETER", OutcomeRefused}, {"AMT_ERROR", OutcomeRefused},
		{"INVALID_CONTRACT", OutcomeRefused}, {"UNREGISTERED_BUSI", OutcomeRefused},
		{"SERIAL_REPEAT", OutcomeRefused}, {"INVALID_SIGN", OutcomeRefused},
		{"CHARGE_NONEXISTENT", OutcomeRefused}, {"AREADY_REVOKED", OutcomeRefused},
		{"DATABASE_ERROR", OutcomeUnknown}, {"EXCEPTION", OutcomeUnknown},
		{"SERVICE_UNAVAILABLE", OutcomeUnknown}, {"HTTP_EXCEPTION", OutcomeUnknown},
		{"IO_EXCEPTION", OutcomeUnknown}, {"CREATE_SECURITY_CONNECTION_ERROR", OutcomeUnknown},
		{"", OutcomeUnknown}, {"SOMETHING_NEW", OutcomeUnknown},
	}
	for _, tt := range tests {
		if got := ClassifyCode(tt.code); got != tt.want {
			t.Errorf("ClassifyCode(%q): got %v, want %v", tt.code, got, tt.want)
		}
	}
}

func FuzzDecrypt(f *testing.F) {
	f.Add([]byte("bLYlJuIFAbUhITrVy+e8kfVLBjO1NbGzESQ0jfOiSFH1aiYNMIZlBQ=="))
	f.Add([]byte("not base64"))
	f.Fuzz(func(t *testing.T, body []byte) {
		pt, err := Decrypt(body, "98SDKFUO432HNODS098EEE07U9DUOIUE")
		if err != nil {
			return
		}
		enc, err := Encrypt(pt, "98SDKFUO432HNODS098EEE07U9DUOIUE")
		if err != nil {
			t.Fatal(err)
		}
		back, err := Decrypt([]byte(enc), "98SDKFUO432HNODS098EEE07U9DUOIUE")
		if err != nil || string(back) != string(pt) {
			t.Fatalf("round trip: %q vs %q (%v)", back, pt, err)
		}
	})
}
