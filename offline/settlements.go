package offline

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"posterm/pos"
)

var _ pos.SettlementStore = (*Journal)(nil)

// SaveSettlement implements pos.SettlementStore: one append-only row per
// settlement, the result kept as JSON.
func (j *Journal) SaveSettlement(ctx context.Context, s pos.Settlement) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("save settlement %s: %w", s.Date, err)
	}
	return j.write(ctx, "save settlement "+s.Date, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO settlements (date, at, agree, differences, result) VALUES (?, ?, ?, ?, ?)`,
			s.Date, ts(s.At), s.Agree, len(s.Differences), string(b))
		if err != nil {
			return fmt.Errorf("save settlement %s: %w", s.Date, err)
		}
		return nil
	})
}

// LastSettlement implements pos.SettlementStore: the settlement stored
// last, pos.ErrNotFound if none.
func (j *Journal) LastSettlement(ctx context.Context) (pos.Settlement, error) {
	var raw string
	err := j.db.QueryRowContext(ctx, `SELECT result FROM settlements ORDER BY id DESC LIMIT 1`).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return pos.Settlement{}, pos.ErrNotFound
	}
	if err != nil {
		return pos.Settlement{}, fmt.Errorf("last settlement: %w", err)
	}
	var s pos.Settlement
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return pos.Settlement{}, fmt.Errorf("last settlement: %w", err)
	}
	return s, nil
}
