package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"posterm/gateway"
	"posterm/pos"
)

// Kinds of transaction, the ledger's KIND.
const (
	KindPay       = "pay"
	KindPrecreate = "precreate"
)

// Timed steps a transaction may be waiting for (txn.DueAction).
const (
	duePaySucceed     = "pay_succeed"     // 91, 96: the wallet confirms
	duePayFail        = "pay_fail"        // 93: never confirmed, closed
	dueExpire         = "expire"          // precreate QR expiry
	dueRevokeComplete = "revoke_complete" // ACO: STATE 3 → 2
)

// fundBill is one TRADEFUNDBILL (WIRE.md §3); Amount in fen.
type fundBill struct {
	Channel string    `json:"channel"`
	Amount  pos.Money `json:"amount"`
}

// refundRec is one successful refund; its answer is rebuilt from it when
// the same OUT_REFUND_NO comes again (WIRE.md §4.6).
type refundRec struct {
	OutRefundNo string     `json:"outRefundNo"`
	Amount      pos.Money  `json:"amount"`
	Bills       []fundBill `json:"bills"`
	OperID      string     `json:"operId"`
	Subject     string     `json:"subject"`
	Time        time.Time  `json:"time"`
}

// txn is one transaction of the ledger. Guarded by Server.mu.
type txn struct {
	Kind            string      `json:"kind"`
	BusiID          string      `json:"busiId"`
	ChargeCode      string      `json:"chargeCode"`
	ChargeDownCode  string      `json:"chargeDownCode"`
	ChargeThirdCode string      `json:"chargeThirdCode,omitempty"`
	OperID          string      `json:"operId"`
	DevID           string      `json:"devId"`
	RegisterID      string      `json:"registerId,omitempty"`
	MerchantPara    string      `json:"merchantPara,omitempty"`
	PaySubject      string      `json:"paySubject"`
	DynamicID       string      `json:"dynamicId,omitempty"`
	ChannelType     int         `json:"channelType"`
	Amt             pos.Money   `json:"amt"`
	State           int         `json:"state"`
	Goods           []goodLine  `json:"goods,omitempty"`
	Bills           []fundBill  `json:"bills,omitempty"`
	Refunds         []refundRec `json:"refunds,omitempty"`
	BeginTime       time.Time   `json:"beginTime"`
	EndTime         time.Time   `json:"endTime,omitzero"`
	Info            string      `json:"info,omitempty"` // why it was closed
	// precreate only
	BarCode   string `json:"barCode,omitempty"`
	NodifyURL string `json:"nodifyUrl,omitempty"`
	TradeType string `json:"tradeType,omitempty"`
	SubAppid  string `json:"subAppid,omitempty"`
	SubOpenid string `json:"subOpenid,omitempty"`
	// the next timed step, so that a restart resumes it
	Due       time.Time `json:"due,omitzero"`
	DueAction string    `json:"dueAction,omitempty"`
	// notification progress (WIRE.md §8)
	NotifyAttempts int  `json:"notifyAttempts,omitempty"`
	Notified       bool `json:"notified,omitempty"`
}

func (t *txn) refunded() pos.Money {
	var sum pos.Money
	for _, r := range t.Refunds {
		sum += r.Amount
	}
	return sum
}

// everPaid reports whether the customer's money moved for t.
func (t *txn) everPaid() bool {
	switch t.State {
	case gateway.StatePaid, gateway.StateRevoked, gateway.StateRevocationApplied,
		gateway.StatePartiallyRefunded, gateway.StateRefunded:
		return true
	}
	return false
}

// wantsNotify reports whether t still owes its NODIFY_URL a notification.
func (t *txn) wantsNotify() bool {
	return t.Kind == KindPrecreate && t.NodifyURL != "" && t.everPaid() &&
		!t.Notified && t.NotifyAttempts < NotifyAttempts
}

// stateFile is the JSON of Options.StatePath.
type stateFile struct {
	Version        int      `json:"version"`
	BusiCode       string   `json:"busiCode"`
	Seq            int64    `json:"seq"`
	Transactions   []*txn   `json:"transactions"`
	RevokedSerials []string `json:"revokedSerials"`
}

const stateVersion = 1

// ledger is the in-memory state with its indexes. Guarded by Server.mu.
type ledger struct {
	seq       int64
	order     []*txn
	byCharge  map[string]*txn
	byDown    map[string]*txn
	refundTo  map[string]*txn // OUT_REFUND_NO → its transaction
	revoked   []string
	isRevoked map[string]bool
}

func newLedger() *ledger {
	return &ledger{
		byCharge:  map[string]*txn{},
		byDown:    map[string]*txn{},
		refundTo:  map[string]*txn{},
		isRevoked: map[string]bool{},
	}
}

func (l *ledger) add(t *txn) {
	l.order = append(l.order, t)
	l.byCharge[t.ChargeCode] = t
	l.byDown[t.ChargeDownCode] = t
	for _, r := range t.Refunds {
		if r.OutRefundNo != "" {
			l.refundTo[r.OutRefundNo] = t
		}
	}
}

func (l *ledger) tombstone(chargeCode string) {
	if !l.isRevoked[chargeCode] {
		l.isRevoked[chargeCode] = true
		l.revoked = append(l.revoked, chargeCode)
	}
}

// serialTaken reports whether a CHARGE_CODE is used by a transaction or a
// cancel's tombstone (WIRE.md §4.5).
func (l *ledger) serialTaken(chargeCode string) bool {
	return l.byCharge[chargeCode] != nil || l.isRevoked[chargeCode]
}

// nextSeq numbers the gateway's own serials.
func (l *ledger) nextSeq() int64 {
	l.seq++
	return l.seq
}

// snapshot is the ledger as the state file keeps it. The file lies on the
// register's disk in the demo, so a payment code is kept masked there (first
// 4 + last 4): after a restart, query answers the masked DYNAMIC_ID.
func (l *ledger) snapshot(busi string) stateFile {
	txns := make([]*txn, len(l.order))
	for i, t := range l.order {
		c := *t
		c.DynamicID = pos.MaskCode(c.DynamicID)
		txns[i] = &c
	}
	return stateFile{
		Version:        stateVersion,
		BusiCode:       busi,
		Seq:            l.seq,
		Transactions:   txns,
		RevokedSerials: append([]string{}, l.revoked...),
	}
}

// loadLedger reads a state file; a file that does not exist is an empty ledger.
func loadLedger(path string) (*ledger, error) {
	l := newLedger()
	if path == "" {
		return l, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	l, err = parseState(b)
	if err != nil {
		return nil, fmt.Errorf("state file %s: %w (delete it to start over)", path, err)
	}
	return l, nil
}

// parseState reads the bytes of a state file into a ledger. The file is
// outside bytes (a disk that someone else may write; FuzzParseState): a
// ledger that the sandbox could not serve from — serials missing or used
// twice, an unknown kind or state, amounts below zero or refunds above
// what was paid — is an error, never a panic later.
func parseState(b []byte) (*ledger, error) {
	var sf stateFile
	if err := json.Unmarshal(b, &sf); err != nil {
		return nil, err
	}
	if sf.Version != stateVersion {
		return nil, fmt.Errorf("version %d, want %d", sf.Version, stateVersion)
	}
	if sf.Seq < 0 {
		return nil, errors.New("negative seq")
	}
	l := newLedger()
	l.seq = sf.Seq
	for i, t := range sf.Transactions {
		if err := checkTxn(t); err != nil {
			return nil, fmt.Errorf("transaction %d: %w", i, err)
		}
		if l.byCharge[t.ChargeCode] != nil || l.byDown[t.ChargeDownCode] != nil {
			return nil, fmt.Errorf("transaction %d: a serial used twice", i)
		}
		for j, r := range t.Refunds {
			dup := l.refundTo[r.OutRefundNo] != nil
			for _, r2 := range t.Refunds[:j] {
				dup = dup || r2.OutRefundNo == r.OutRefundNo
			}
			if r.OutRefundNo != "" && dup {
				return nil, fmt.Errorf("transaction %d: OUT_REFUND_NO used twice", i)
			}
		}
		l.add(t)
	}
	for _, c := range sf.RevokedSerials {
		l.tombstone(c)
	}
	return l, nil
}

func checkTxn(t *txn) error {
	switch {
	case t == nil || t.ChargeCode == "" || t.ChargeDownCode == "":
		return errors.New("a transaction without serials")
	case t.Kind != KindPay && t.Kind != KindPrecreate:
		return fmt.Errorf("kind %q", t.Kind)
	case t.State < gateway.StatePending || t.State > gateway.StateOrderCancelled:
		return fmt.Errorf("state %d", t.State)
	case t.Amt < 0:
		return errors.New("a negative amount")
	}
	var sum pos.Money
	for _, r := range t.Refunds {
		if r.Amount <= 0 || r.Amount > t.Amt {
			return errors.New("a refund of a bad amount")
		}
		sum += r.Amount
	}
	if sum > t.Amt {
		return errors.New("refunds above the amount paid")
	}
	for _, b := range t.Bills {
		if b.Amount < 0 {
			return errors.New("a fund bill below zero")
		}
	}
	return nil
}

// writeFileAtomic replaces path with data: a temporary file in the same
// directory, synced, then renamed over path, so a crash leaves the old or
// the new file, never half of one.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	// CreateTemp's 0600, set again so that no umask can matter: the state
	// file holds the sandbox's whole ledger.
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
