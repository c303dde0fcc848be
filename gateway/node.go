package gateway

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Kind is the kind of a Node.
type Kind int

const (
	KindNull   Kind = iota // JSON null, or a missing value
	KindString             // a JSON string or an XML element's text
	KindNumber             // a JSON number, kept as its literal text (never float64)
	KindBool               // a JSON true or false
	KindObject             // a JSON object or an XML element with child elements
	KindList               // a JSON array, or repeated XML elements of one name
)

// Node is a decoded gateway message, JSON or XML alike, in the order it was
// received. The typed responses are read from it; `posterm gw call` prints
// it as it is. Scalars keep their text (numbers their literal), so no amount
// ever passes through float64 (WIRE.md §2.4).
//
// XML maps onto the same shape as the JSON form: an element with child
// elements is an object, one without is a string, and child elements that
// repeat a name become a list under that name, so
// <FUND_BILL_LIST><TRADEFUNDBILL>…</TRADEFUNDBILL><TRADEFUNDBILL>…</TRADEFUNDBILL></FUND_BILL_LIST>
// reads as {"FUND_BILL_LIST":{"TRADEFUNDBILL":[{…},{…}]}} (§3).
//
// A Node is not safe for concurrent modification; reading it is.
type Node struct {
	Kind   Kind
	Text   string  // KindString, KindNumber, KindBool: the value as text
	Fields []Field // KindObject: the members in order
	Items  []*Node // KindList
}

// Field is one member of an object Node.
type Field struct {
	Name  string
	Value *Node
}

// Get returns the member called name of an object node: the exact name
// first, else the first whose name matches ignoring case. It returns nil
// when n is nil, not an object, or has no such member.
func (n *Node) Get(name string) *Node {
	if n == nil || n.Kind != KindObject {
		return nil
	}
	for _, f := range n.Fields {
		if f.Name == name {
			return f.Value
		}
	}
	for _, f := range n.Fields {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return nil
}

// Scalar reports the text of a string, number or bool node; ok is false for
// nil, null, objects and lists.
func (n *Node) Scalar() (text string, ok bool) {
	if n == nil {
		return "", false
	}
	switch n.Kind {
	case KindString, KindNumber, KindBool:
		return n.Text, true
	}
	return "", false
}

// MarshalJSON writes the node as JSON, members in their received order.
// XML text becomes JSON strings.
func (n *Node) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	n.writeJSON(&b)
	return b.Bytes(), nil
}

func (n *Node) writeJSON(b *bytes.Buffer) {
	if n == nil {
		b.WriteString("null")
		return
	}
	switch n.Kind {
	case KindString:
		writeJSONString(b, n.Text)
	case KindNumber, KindBool:
		b.WriteString(n.Text)
	case KindObject:
		b.WriteByte('{')
		for i, f := range n.Fields {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, f.Name)
			b.WriteByte(':')
			f.Value.writeJSON(b)
		}
		b.WriteByte('}')
	case KindList:
		b.WriteByte('[')
		for i, it := range n.Items {
			if i > 0 {
				b.WriteByte(',')
			}
			it.writeJSON(b)
		}
		b.WriteByte(']')
	default:
		b.WriteString("null")
	}
}

// writeJSONString writes s as a JSON string without HTML escaping, so a
// NODIFY_URL keeps its '&' readable.
func writeJSONString(b *bytes.Buffer, s string) {
	var tmp [64]byte
	b.Write(appendJSONString(tmp[:0], s))
}

// maxDepth bounds the nesting of a decoded message; the deepest real one
// (batch query → tradeInfos → trade → FUND_BILL_LIST → bill) is 5 levels.
const maxDepth = 32

// ErrBadAnswer is wrapped by every error about an answer that could not be
// read: not JSON or XML, not decryptable, a malformed field. The outcome of
// such a call is unknown.
var ErrBadAnswer = errors.New("undecodable answer")

// ParseMessage decodes a gateway message, JSON or XML: the format is taken
// from the first non-blank byte ('{' JSON, '<' XML), not from `_type`, so a
// gateway that answers the other format is still read. It returns the root
// element's name for XML ("" for JSON) and the root node, which is always an
// object. Errors wrap ErrBadAnswer.
func ParseMessage(b []byte) (root string, n *Node, err error) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // a UTF-8 BOM
	t := bytes.TrimLeft(b, " \t\r\n")
	if len(t) == 0 {
		return "", nil, fmt.Errorf("%w: empty body", ErrBadAnswer)
	}
	switch t[0] {
	case '{':
		n, err = parseJSON(t)
	case '<':
		root, n, err = parseXML(t)
	default:
		return "", nil, fmt.Errorf("%w: neither JSON nor XML", ErrBadAnswer)
	}
	if err != nil {
		return "", nil, fmt.Errorf("%w: %w", ErrBadAnswer, err)
	}
	return root, n, nil
}

func parseXML(b []byte) (string, *Node, error) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = true
	// HTML character entities in text (&nbsp;, &copy;) and a GBK/GB18030
	// declaration are what the vendor's text allows (WIRE.md §2.4).
	dec.Entity = xml.HTMLEntity
	dec.CharsetReader = charsetReader
	var root string
	var n *Node
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if n != nil {
				return "", nil, errors.New("XML has more than one root element")
			}
			root = t.Name.Local
			if n, err = xmlElement(dec, 0); err != nil {
				return "", nil, err
			}
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return "", nil, errors.New("XML text outside the root element")
			}
		}
	}
	if n == nil {
		return "", nil, errors.New("XML has no root element")
	}
	if n.Kind == KindString && n.Text == "" {
		n = &Node{Kind: KindObject} // <RESPONSE/>: an empty message
	}
	if n.Kind != KindObject {
		return "", nil, errors.New("XML root has no child elements")
	}
	return root, n, nil
}

// charsetReader decodes the encodings an XML declaration may name: UTF-8
// (which encoding/xml reads itself), GBK and GB18030 (§2.4).
func charsetReader(label string, input io.Reader) (io.Reader, error) {
	switch strings.ToUpper(strings.TrimSpace(label)) {
	case "GBK", "CP936", "GB2312":
		return transform.NewReader(input, simplifiedchinese.GBK.NewDecoder()), nil
	case "GB18030":
		return transform.NewReader(input, simplifiedchinese.GB18030.NewDecoder()), nil
	}
	return nil, fmt.Errorf("XML encoding %q: want UTF-8, GBK or GB18030", label)
}

// xmlElement reads the content of an element whose start tag was just read,
// through its end tag.
func xmlElement(dec *xml.Decoder, depth int) (*Node, error) {
	if depth > maxDepth {
		return nil, errors.New("XML nested too deeply")
	}
	var text strings.Builder
	obj := &Node{Kind: KindObject}
	index := map[string]int{}
	for {
		tok, err := dec.Token()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			child, err := xmlElement(dec, depth+1)
			if err != nil {
				return nil, err
			}
			name := t.Name.Local
			if i, ok := index[name]; ok {
				// A repeated element: gather its occurrences into a list (§3).
				prev := obj.Fields[i].Value
				if prev.Kind != KindList {
					prev = &Node{Kind: KindList, Items: []*Node{prev}}
					obj.Fields[i].Value = prev
				}
				prev.Items = append(prev.Items, child)
				continue
			}
			index[name] = len(obj.Fields)
			obj.Fields = append(obj.Fields, Field{Name: name, Value: child})
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			if len(obj.Fields) > 0 {
				return obj, nil // text between child elements is layout
			}
			return &Node{Kind: KindString, Text: text.String()}, nil
		}
	}
}
