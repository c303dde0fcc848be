package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"

	"posterm/pos"
)

// Lookups: a till asks the hub (NATS request/reply on LookupSubject) for a
// charge made at another till of the store, to refund or reprint it there.
// The till copies the answer into its journal (offline ImportCharge) with
// the original till named; the refund is then journaled at the till that
// makes it, and the hub sees both.

// LookupSubject is where the hub answers lookups (queue group "hub").
const LookupSubject = "posterm.lookup.charge"

// LookupRequest asks for one charge.
type LookupRequest struct {
	ChargeCode pos.ChargeCode `json:"charge_code"`
}

// LookupReply is the hub's answer.
type LookupReply struct {
	Found       bool            `json:"found"`
	Till        string          `json:"till,omitempty"` // the till that made it
	Transaction pos.Transaction `json:"transaction"`
	Error       string          `json:"error,omitempty"`
}

// ErrNotInHub: no till of the store has reported the charge.
var ErrNotInHub = errors.New("no till of the store has reported this charge to the hub")

func (h *Hub) serveLookups() error {
	_, err := h.nc.QueueSubscribe(LookupSubject, "hub", func(m *nats.Msg) {
		var req LookupRequest
		var rep LookupReply
		if err := json.Unmarshal(m.Data, &req); err != nil {
			rep.Error = "bad request"
		} else if t, till, found, err := h.store.LookupCharge(context.Background(), req.ChargeCode); err != nil {
			h.log.Error("hub: lookup", "err", err)
			rep.Error = "hub store error"
		} else {
			rep.Found, rep.Till, rep.Transaction = found, till, t
		}
		b, _ := json.Marshal(rep)
		_ = m.Respond(b)
	})
	if err != nil {
		return fmt.Errorf("hub: lookups: %w", err)
	}
	return nil
}

// LookupCharge asks the hub for code. ErrNotInHub when no till reported it.
func LookupCharge(ctx context.Context, nc *nats.Conn, code pos.ChargeCode) (pos.Transaction, string, error) {
	b, _ := json.Marshal(LookupRequest{ChargeCode: code})
	m, err := nc.RequestWithContext(ctx, LookupSubject, b)
	if err != nil {
		return pos.Transaction{}, "", fmt.Errorf("hub lookup %s: %w", code, err)
	}
	var rep LookupReply
	if err := json.Unmarshal(m.Data, &rep); err != nil {
		return pos.Transaction{}, "", fmt.Errorf("hub lookup %s: %w", code, err)
	}
	switch {
	case rep.Error != "":
		return pos.Transaction{}, "", fmt.Errorf("hub lookup %s: %s", code, pos.CleanText(rep.Error))
	case !rep.Found:
		return pos.Transaction{}, "", fmt.Errorf("hub lookup %s: %w", code, ErrNotInHub)
	}
	return rep.Transaction, rep.Till, nil
}
