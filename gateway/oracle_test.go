package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"testing"
)

// The answer reader before issue 9: encoding/json's Decoder.Token, one
// allocation per token. It stays here as the oracle of FuzzParseJSON_Oracle:
// the single-pass reader in jsonread.go must give the same tree for every
// input this one accepts.

func oracleParseJSON(b []byte) (*Node, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	n, err := oracleJSONValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if n.Kind != KindObject {
		return nil, errors.New("JSON root is not an object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return n, nil
}

func oracleJSONValue(dec *json.Decoder, depth int) (*Node, error) {
	if depth > maxDepth {
		return nil, errors.New("JSON nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &Node{Kind: KindObject}
			seen := map[string]bool{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, errors.New("JSON object key is not a string")
				}
				// A repeated key makes the message ambiguous (which RESULT?):
				// no honest sender writes one.
				if seen[key] {
					return nil, fmt.Errorf("JSON key %q repeated", key)
				}
				seen[key] = true
				v, err := oracleJSONValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.Fields = append(n.Fields, Field{Name: key, Value: v})
			}
			if _, err := dec.Token(); err != nil { // '}'
				return nil, err
			}
			return n, nil
		case '[':
			n := &Node{Kind: KindList}
			for dec.More() {
				v, err := oracleJSONValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.Items = append(n.Items, v)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return nil, err
			}
			return n, nil
		}
		return nil, fmt.Errorf("unexpected JSON %q", t)
	case string:
		return &Node{Kind: KindString, Text: t}, nil
	case json.Number:
		return &Node{Kind: KindNumber, Text: t.String()}, nil
	case bool:
		if t {
			return &Node{Kind: KindBool, Text: "true"}, nil
		}
		return &Node{Kind: KindBool, Text: "false"}, nil
	case nil:
		return &Node{Kind: KindNull}, nil
	}
	return nil, fmt.Errorf("unexpected JSON token %T", tok)
}

// FuzzParseJSON_Oracle: on every input the old reader accepts, the new one
// gives the same tree; on every input it refuses, the new one refuses too.
func FuzzParseJSON_Oracle(f *testing.F) {
	for _, s := range []string{
		`{"A":"1","B":2,"C":true,"D":null,"E":[1,"x"],"F":{}}`,
		`{"RESULT":{"CODE":"SUCCESS","INFO":"\u4e2d\ud83d\ude00\ud800x\n"},"AMT":1.234E3}`,
		"{\"A\":\"\xff\xfe\"}", `{"A":[[],{},[{"B":-0.5e-3}]]}`, `{"A":1,"A":2}`, `{"A":1,}`, `{"A":01}`,
		`{"A":"\x"}`, ` {"A" : [ 1 , 2 ] } `, `{"A":1}x`, `[1]`, `{"a\u0041":1,"aA":2}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		want, werr := oracleParseJSON(b)
		got, gerr := parseJSON(b)
		if werr != nil {
			if gerr == nil {
				t.Fatalf("new reader accepts what the old refused (%v): %q", werr, b)
			}
			return
		}
		if gerr != nil {
			t.Fatalf("new reader refuses (%v) what the old accepted: %q", gerr, b)
		}
		if !reflect.DeepEqual(sameShape(want), sameShape(got)) {
			w, _ := want.MarshalJSON()
			g, _ := got.MarshalJSON()
			t.Fatalf("trees differ for %q:\nold %s\nnew %s", b, w, g)
		}
	})
}

// sameShape normalises nil and empty slices, which mean the same.
func sameShape(n *Node) *Node {
	if n == nil {
		return nil
	}
	m := &Node{Kind: n.Kind, Text: n.Text}
	for _, f := range n.Fields {
		m.Fields = append(m.Fields, Field{Name: f.Name, Value: sameShape(f.Value)})
	}
	for _, it := range n.Items {
		m.Items = append(m.Items, sameShape(it))
	}
	return m
}

// FuzzAppendJSONString: the request encoder writes every string exactly as
// encoding/json does with SetEscapeHTML(false), so the vector bytes hold.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "a", "\"\\/\b\f\n\r\t\x00\x1f\x7f", "<&>", "中文\u2028\u2029", "\xff\xfe", "http://x/notify?_type=json&encrypt=3DES"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(s)
		w := bytes.TrimSuffix(want.Bytes(), []byte("\n"))
		if got := appendJSONString(nil, s); !bytes.Equal(got, w) {
			t.Fatalf("%q: got %s, want %s", s, got, w)
		}
	})
}

// TestEncodeSigned: the one-pass signature equals Sign over the body.
func TestEncodeSigned(t *testing.T) {
	body, sign := vectorPay.wire().encodeSigned(testSecret)
	if want := Sign(body, testSecret); sign != want {
		t.Errorf("got %s, want %s", sign, want)
	}
	if !bytes.Equal(body, vectorPay.wire().encode()) {
		t.Errorf("encodeSigned body differs from encode")
	}
}
