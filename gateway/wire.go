// Package gateway is the SOSOPAY open gateway client: the envelope of
// WIRE.md §2 (MD5 signature, 3DES+base64, JSON/XML), the eight services of §4
// and the asynchronous notification of §8. Wire bytes live here and only here.
//
// Answers are read leniently, as the vendor's own text requires (§2.4:
// jsonread.go, lenient.go, response.go), and strictly where money is
// decided: only RESULT.CODE, STATE, the amount and the charge code can make
// an answer unknown. The vendor's words that the domain decides on (result
// codes, states, channels, masking) belong to package pos; gateway maps the
// wire onto them.
package gateway

import (
	"posterm/pos"

	"bytes"
	"crypto/cipher"
	"crypto/des"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Methods: the `method` query parameter of each service (WIRE.md §4).
const (
	MethodPay        = "sosopay.trade.pay"
	MethodPrecreate  = "sosopay.trade.precreate"
	MethodQuery      = "sosopay.trade.query"
	MethodCancel     = "sosopay.trade.cancel"
	MethodRefund     = "sosopay.trade.refund"
	MethodBatchQuery = "sosopay.trade.batchquery"
	MethodChannels   = "sosopay.channel.list"
	MethodLogin      = "sosoauth.login"
)

// Methods lists every service method, in the order of WIRE.md §4.
var Methods = []string{MethodPay, MethodPrecreate, MethodQuery, MethodCancel,
	MethodRefund, MethodBatchQuery, MethodChannels, MethodLogin}

// Result codes, RESULT.CODE, with the vendor's spelling (WIRE.md §6). The
// ones pos decides on are pos's words; gateway only adds the rest.
const (
	CodeSuccess                       = pos.CodeSuccess
	CodeSuccessMisspelt               = "SUCESS" // the document's table spelling, §2.4
	CodeFail                          = pos.CodeFail
	CodeIllegalParameter              = "ILLEGAL_PARAMETER"
	CodeInvalidSign                   = "INVALID_SIGN"
	CodeAmtError                      = pos.CodeAmtError
	CodeDatabaseError                 = "DATABASE_ERROR"
	CodeInvalidContract               = "INVALID_CONTRACT"
	CodeUnregisteredBusi              = "UNREGISTERED_BUSI"
	CodeException                     = "EXCEPTION"
	CodeChargeNonexistent             = pos.CodeChargeNonexistent
	CodeServiceUnavailable            = "SERVICE_UNAVAILABLE"
	CodeHTTPException                 = "HTTP_EXCEPTION"
	CodeIOException                   = "IO_EXCEPTION"
	CodeCreateSecurityConnectionError = "CREATE_SECURITY_CONNECTION_ERROR"
	CodeAreadyRevoked                 = pos.CodeAreadyRevoked // sic
	CodeSerialRepeat                  = pos.CodeSerialRepeat
)

// Order states, STATE (WIRE.md §5), as ints on the wire: pos.RemoteState
// owns them.
const (
	StatePending           = int(pos.RemotePending)
	StatePaid              = int(pos.RemotePaid)
	StateRevoked           = int(pos.RemoteRevoked)
	StateRevocationApplied = int(pos.RemoteRevocationApplied)
	StatePartiallyRefunded = int(pos.RemotePartiallyRefunded)
	StateRefunded          = int(pos.RemoteRefunded)
	StateClosed            = int(pos.RemoteClosed)
	StateRefunding         = int(pos.RemoteRefunding)
	StateRefundFailed      = int(pos.RemoteRefundFailed)
	StateToBeRefunded      = int(pos.RemoteToBeRefunded)
	StateRefundSucceeded   = int(pos.RemoteRefundSucceeded)
	StateRefundCancelled   = int(pos.RemoteRefundCancelled)
	StateRefundFailed2     = int(pos.RemoteRefundFailed2)
	StateOrderCancelled    = int(pos.RemoteOrderCancelled)
)

// Channel types, CHANNEL_TYPE (WIRE.md §7); the ones a register uses, owned
// by pos.Channel.
const (
	ChannelAuto   = int(pos.ChannelAuto)
	ChannelAlipay = int(pos.ChannelAlipay)
	ChannelWeChat = int(pos.ChannelWeChat)
)

// Outcome is what a call's answer means for the money. Its zero value is
// OutcomeUnknown, so an outcome that was never set is never taken for done.
type Outcome int

const (
	// OutcomeUnknown: no answer, non-200, bad signature, undecodable body or
	// a gateway-fault code. The money may or may not have moved (§6).
	OutcomeUnknown Outcome = iota
	// OutcomeDone: RESULT SUCCESS.
	OutcomeDone
	// OutcomeRefused: a final code; nothing happened.
	OutcomeRefused
)

func (o Outcome) String() string {
	switch o {
	case OutcomeDone:
		return "done"
	case OutcomeRefused:
		return "refused"
	default:
		return "unknown"
	}
}

// ClassifyCode maps a RESULT.CODE to an outcome (WIRE.md §6). SUCCESS and the
// document's SUCESS are done; the listed final codes, and CHARGE_NONEXISTENT
// and AREADY_REVOKED (answers about the serial, not faults), are refused;
// the gateway's own faults, an empty code and any code not in the document are
// unknown — a code we cannot read must never be taken as "not paid".
func ClassifyCode(code string) Outcome {
	switch strings.ToUpper(strings.TrimSpace(code)) {
	case CodeSuccess, CodeSuccessMisspelt:
		return OutcomeDone
	case CodeFail, CodeIllegalParameter, CodeAmtError, CodeInvalidContract,
		CodeUnregisteredBusi, CodeSerialRepeat, CodeInvalidSign,
		CodeChargeNonexistent, CodeAreadyRevoked:
		return OutcomeRefused
	default:
		return OutcomeUnknown
	}
}

// NormalizeCode upper-cases a RESULT.CODE and spells the success code as the
// gateway does (§2.4).
func NormalizeCode(code string) string {
	c := strings.ToUpper(strings.TrimSpace(code))
	if c == CodeSuccessMisspelt {
		return CodeSuccess
	}
	return c
}

// Format is the message format of responses and notifications (`_type`).
type Format string

const (
	FormatJSON Format = "json"
	FormatXML  Format = "xml"
)

// ParseFormat reads a `_type` value; the document says xml when absent.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "json":
		return FormatJSON, nil
	case "xml", "":
		return FormatXML, nil
	}
	return "", fmt.Errorf("format %q: want json or xml", s)
}

// Envelope constants (WIRE.md §2).
const (
	EncryptParam     = "3DES"
	SignHeader       = "X-Sosopay-Sign"
	ContentTypePlain = "application/json;charset=UTF-8"
	ContentTypeXML   = "application/xml;charset=UTF-8"
	ContentTypeEnc   = "text/plain;charset=UTF-8"
)

// Sign is the signature of WIRE.md §2.2:
// UPPER(HEX(MD5(plaintext ++ secret))).
func Sign(plaintext []byte, secret string) string {
	h := md5.New()
	h.Write(plaintext)
	h.Write([]byte(secret))
	var sum [md5.Size]byte
	h.Sum(sum[:0])
	return signHex(sum)
}

// signHex spells an MD5 sum as the signature's upper-case hex.
func signHex(sum [md5.Size]byte) string {
	const upper = "0123456789ABCDEF"
	var out [2 * md5.Size]byte
	for i, c := range sum {
		out[2*i], out[2*i+1] = upper[c>>4], upper[c&0xF]
	}
	return string(out[:])
}

// VerifySign reports whether sig is the signature of plaintext (case-insensitive hex).
func VerifySign(plaintext []byte, secret, sig string) bool {
	return sig != "" && strings.EqualFold(Sign(plaintext, secret), strings.TrimSpace(sig))
}

// tripleDESKey derives the 24-byte key of §2.1: the secret's first 24 bytes,
// right-padded with ASCII '0'.
func tripleDESKey(secret string) []byte {
	k := []byte(secret)
	if len(k) >= 24 {
		return k[:24:24]
	}
	return append(k, bytes.Repeat([]byte{'0'}, 24-len(k))...)
}

// newBlock is the 3DES cipher of a secret (§2.1). A Client makes it once;
// its key schedule is then not redone on every call.
func newBlock(secret string) (cipher.Block, error) {
	block, err := des.NewTripleDESCipher(tripleDESKey(secret))
	if err != nil {
		return nil, fmt.Errorf("3des key: %w", err)
	}
	return block, nil
}

// Encrypt is §2.1: 3DES-ECB with PKCS#7 padding, then standard base64.
func Encrypt(plaintext []byte, secret string) (string, error) {
	block, err := newBlock(secret)
	if err != nil {
		return "", err
	}
	return string(encryptWith(block, plaintext)), nil
}

// encryptWith is Encrypt with a ready cipher; it returns the base64 bytes.
func encryptWith(block cipher.Block, plaintext []byte) []byte {
	bs := block.BlockSize()
	pad := bs - len(plaintext)%bs
	buf := make([]byte, len(plaintext)+pad)
	copy(buf, plaintext)
	for i := len(plaintext); i < len(buf); i++ {
		buf[i] = byte(pad)
	}
	ecb(block, buf, block.Encrypt)
	out := make([]byte, base64.StdEncoding.EncodedLen(len(buf)))
	base64.StdEncoding.Encode(out, buf)
	return out
}

// ErrDecrypt is returned for a body that is not valid base64 3DES of §2.1.
var ErrDecrypt = errors.New("body does not decrypt")

// Decrypt reverses Encrypt. Surrounding whitespace (and line breaks a
// sender may have added) is ignored.
func Decrypt(body []byte, secret string) ([]byte, error) {
	block, err := newBlock(secret)
	if err != nil {
		return nil, err
	}
	return decryptWith(block, body)
}

// decryptWith is Decrypt with a ready cipher.
func decryptWith(block cipher.Block, body []byte) ([]byte, error) {
	clean := body
	if bytes.ContainsAny(body, "\r\n \t") {
		clean = bytes.Map(func(r rune) rune {
			if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
				return -1
			}
			return r
		}, body)
	}
	raw := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
	n, err := base64.StdEncoding.Decode(raw, clean)
	if err != nil {
		return nil, fmt.Errorf("%w: base64: %v", ErrDecrypt, err)
	}
	raw = raw[:n]
	bs := block.BlockSize()
	if len(raw) == 0 || len(raw)%bs != 0 {
		return nil, fmt.Errorf("%w: length %d is not a multiple of %d", ErrDecrypt, len(raw), bs)
	}
	ecb(block, raw, block.Decrypt)
	pad := int(raw[len(raw)-1])
	if pad < 1 || pad > bs {
		return nil, fmt.Errorf("%w: bad padding", ErrDecrypt)
	}
	for _, b := range raw[len(raw)-pad:] {
		if int(b) != pad {
			return nil, fmt.Errorf("%w: bad padding", ErrDecrypt)
		}
	}
	return raw[:len(raw)-pad], nil
}

// ecb applies fn block by block in place (ECB has no chaining).
func ecb(block cipher.Block, buf []byte, fn func(dst, src []byte)) {
	bs := block.BlockSize()
	for i := 0; i < len(buf); i += bs {
		fn(buf[i:i+bs], buf[i:i+bs])
	}
}
