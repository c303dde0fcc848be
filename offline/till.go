package offline

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"posterm/pos"
)

// The till identity (pos.Journal.TillID) is made here.
//
// Choice: the identity is random (4 base-36 characters, crypto/rand) and is
// stored in the journal together with a *binding*: a SHA-256 of this
// machine's /etc/machine-id and the MAC addresses of its physical network
// interfaces (those with a /sys/class/net/IF/device link). A journal copied
// to another machine — two tills restored from one disk image — finds a
// different binding when it is opened there and renews its identity: a new
// random one, never the old, logged at WARN and appended to till_history
// with the reason. (A restored image shares /etc/machine-id, which is why
// the MACs are part of it; a replaced or added network card therefore also
// renews the identity, which is harmless: the new identity starts a fresh
// charge-code series.) The raw machine id and MACs are never stored.
//
// Where neither can be read (a container without /etc/machine-id and only
// virtual interfaces), the binding is empty, copies cannot be told apart,
// and Open logs a warning saying so. Two tills whose random identities
// collide (1 in 36⁴ ≈ 1.7 million per pair) would still need the same
// register id and the same second to issue the same code.

// MachineBinding returns what binds a journal to this machine, read under
// root ("/" in production; a test directory otherwise): the contents of
// etc/machine-id and the addresses in sys/class/net/*/address of interfaces
// that have a device link. "" when none can be read.
func MachineBinding(root string) (string, error) {
	var parts []string
	if b, err := os.ReadFile(filepath.Join(root, "etc", "machine-id")); err == nil {
		if id := strings.TrimSpace(string(b)); id != "" {
			parts = append(parts, "machine-id="+id)
		}
	}
	ifaces, _ := filepath.Glob(filepath.Join(root, "sys", "class", "net", "*"))
	var macs []string
	for _, dir := range ifaces {
		if _, err := os.Stat(filepath.Join(dir, "device")); err != nil {
			continue // virtual: lo, bridges, veth, docker0 …
		}
		b, err := os.ReadFile(filepath.Join(dir, "address"))
		if err != nil {
			continue
		}
		if mac := strings.ToLower(strings.TrimSpace(string(b))); mac != "" && mac != "00:00:00:00:00:00" {
			macs = append(macs, mac)
		}
	}
	sort.Strings(macs)
	for _, m := range macs {
		parts = append(parts, "mac="+m)
	}
	return strings.Join(parts, "\n"), nil
}

func hashBinding(b string) string {
	if b == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("posterm till binding\n" + b))
	return hex.EncodeToString(sum[:])
}

const tillAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// newTillID returns a random identity other than old.
func newTillID(old string) (string, error) {
	for {
		var b [pos.TillIDLen]byte
		for i := range b {
			n, err := rand.Int(rand.Reader, big.NewInt(int64(len(tillAlphabet))))
			if err != nil {
				return "", fmt.Errorf("random till identity: %w", err)
			}
			b[i] = tillAlphabet[n.Int64()]
		}
		if id := string(b[:]); id != old {
			return id, nil
		}
	}
}

// initTill reads the till identity, making it on a new journal and renewing
// it when the machine binding changed, in one IMMEDIATE transaction (two
// processes opening a new file at once agree on one identity).
func (j *Journal) initTill(ctx context.Context, binding string) error {
	bound := hashBinding(binding)
	// The common case reads only: no write lock taken at every Open.
	var cur, stored string
	if err := j.db.QueryRowContext(ctx, "SELECT ident, binding FROM till WHERE id = 1").Scan(&cur, &stored); err == nil &&
		stored == bound && pos.ValidTillID(cur) == nil {
		j.till = cur
		return nil
	}
	var ident, reason, old string
	err := j.write(ctx, "till identity", func(tx *sql.Tx) error {
		ident, reason, old = "", "", ""
		var stored string
		err := tx.QueryRowContext(ctx, "SELECT ident, binding FROM till WHERE id = 1").Scan(&old, &stored)
		now := ts(j.now())
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if ident, err = newTillID(""); err != nil {
				return err
			}
			reason = "created"
			if _, err := tx.ExecContext(ctx, "INSERT INTO till (id, ident, binding, created_at, updated_at) VALUES (1, ?, ?, ?, ?)",
				ident, bound, now, now); err != nil {
				return fmt.Errorf("till identity: %w", err)
			}
		case err != nil:
			return fmt.Errorf("till identity: %w", err)
		case stored == bound && pos.ValidTillID(old) == nil:
			ident = old
			return nil
		default:
			if ident, err = newTillID(old); err != nil {
				return err
			}
			reason = "machine binding changed: the journal was copied or moved to another machine (or its network cards changed)"
			if pos.ValidTillID(old) != nil {
				reason = "stored identity unreadable"
			}
			if _, err := tx.ExecContext(ctx, "UPDATE till SET ident = ?, binding = ?, updated_at = ? WHERE id = 1",
				ident, bound, now); err != nil {
				return fmt.Errorf("till identity: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO till_history (at, ident, binding, reason) VALUES (?, ?, ?, ?)",
			now, ident, bound, reason); err != nil {
			return fmt.Errorf("till identity: history: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	j.till = ident
	switch {
	case reason == "created":
		j.log.Info("till identity created", "till_id", ident)
	case reason != "":
		j.log.Warn("till identity renewed", "till_id", ident, "previous_till_id", old, "reason", reason)
	}
	if binding == "" && reason != "" {
		j.log.Warn("till identity not bound to this machine: no /etc/machine-id and no physical network card found; a copy of this journal on another machine would keep the identity")
	}
	return nil
}

// TillID implements pos.Journal: the identity read (or made) at Open.
func (j *Journal) TillID(ctx context.Context) (string, error) { return j.till, nil }

// TillHistory is one identity the journal has had.
type TillHistory struct {
	At     string `json:"at"`
	TillID string `json:"till_id"`
	Reason string `json:"reason"`
}

// TillHistory returns every identity the journal has had, oldest first.
func (j *Journal) TillHistory(ctx context.Context) ([]TillHistory, error) {
	rows, err := j.db.QueryContext(ctx, "SELECT at, ident, reason FROM till_history ORDER BY seq")
	if err != nil {
		return nil, fmt.Errorf("till history: %w", err)
	}
	defer rows.Close()
	var out []TillHistory
	for rows.Next() {
		var h TillHistory
		if err := rows.Scan(&h.At, &h.TillID, &h.Reason); err != nil {
			return nil, fmt.Errorf("till history: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}
