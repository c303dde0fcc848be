// Package sandbox is an in-memory SOSOPAY open gateway served over real
// HTTP: the demo's and the tests' counterpart of package gateway. It speaks
// the wire profile of WIRE.md (§2 envelope, the eight services of §4, the
// notifications of §8) and behaves as §9 describes: its fixed merchant
// DemoBusiID/DemoSecret, its DemoUsers, and pay behaviour chosen by the last
// two digits of the payment code. Every delay is multiplied by
// Options.TimeScale, so tests run the 80-second paths in milliseconds.
//
// The sandbox reads requests and writes answers with its own code, sharing
// only the primitives of gateway/wire.go with the client, so the two check
// each other.
//
// Use Start("127.0.0.1:0", Options{TimeScale: 0.001}) in tests and the demo
// (Running.ServiceURL is the URL to configure the client with), or New for
// an http.Handler. GET /sandbox/ledger (or Server.Ledger) shows the state;
// BAR_CODE pages under /sandbox/qr/ and POST /sandbox/customer/pay play the
// customer of a precreated QR.
//
// Choices where WIRE.md is silent (NOTES.md has the full list):
//   - Answers carry every scalar as a JSON string ("AMT":"15800",
//     "STATE":"1"); fields with no value are left out; an error answer
//     carries RESULT only.
//   - Envelope checks run _type, busiCode, encrypt, decryption and sign,
//     method, body. Missing or unknown busiCode is answered plain and
//     unsigned (no key is known). A body BUSI_ID other than busiCode is
//     UNREGISTERED_BUSI. Login may omit busiCode; its envelope faults are
//     success "false" with the code in message (login never has RESULT).
//   - Pay codes …95 and …97 fail before the serial is checked. A pay call
//     waiting on the wallet that a cancel closes answers FAIL. Codes ending
//     80–89 above 1.00 pay 1.00 by voucher (Alipay 00, WeChat 41), the rest
//     by wallet (10, 11).
//   - Precreate enables CHANNEL_TYPE 1 and 2; 3–31 are INVALID_CONTRACT.
//   - Query returns the whole DYNAMIC_ID; the ledger and logs mask it.
//   - Cancel with opType ACO affects a paid transaction only (STATE 3, then
//     2 after RevokeStep); STATE 3 answers AREADY_REVOKED.
//   - Refund may name only CHARGE_DOWN_CODE; only a successful refund uses
//     up its OUT_REFUND_NO; a revoked transaction answers AREADY_REVOKED, an
//     unpaid one FAIL.
//   - Notifications: at once, then every NotifyInterval (scaled), 30 in all;
//     XML bodies have no declaration. Timed steps and notifications resume
//     after a restart from the state file.
package sandbox
