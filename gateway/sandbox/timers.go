package sandbox

import (
	"encoding/json"
	"time"

	"posterm/gateway"
)

// schedule runs a transaction's timed step at `at` (a time of s.now), on a
// real timer scaled already by the caller. The step checks the transaction
// is still waiting for it, so a cancel that came first wins.
func (s *Server) schedule(chargeCode, action string, at time.Time) {
	d := max(at.Sub(s.now()), 0)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		tm := time.NewTimer(d)
		defer tm.Stop()
		select {
		case <-tm.C:
			s.fire(chargeCode, action)
		case <-s.closing:
		}
	}()
}

// fire applies a due step.
func (s *Server) fire(chargeCode, action string) {
	s.mu.Lock()
	t := s.l.byCharge[chargeCode]
	if t == nil || t.DueAction != action {
		s.mu.Unlock()
		return
	}
	now := s.now()
	switch action {
	case duePaySucceed:
		s.markPaid(t, now)
	case duePayFail:
		s.markClosed(t, now, "payment not confirmed in time; transaction closed")
	case dueExpire:
		s.markClosed(t, now, "QR code expired; transaction closed")
	case dueRevokeComplete:
		s.setState(t, gateway.StateRevoked)
	}
	state, notify := t.State, t.wantsNotify()
	s.mu.Unlock()
	s.save()
	s.log.Info("timed step", "charge_code", chargeCode, "step", action, "state", state)
	if notify {
		s.startNotify(chargeCode)
	}
}

// resume restarts, after a load, the timed steps and notifications that the
// state file records as unfinished. A step already past due fires at once.
func (s *Server) resume() {
	type step struct {
		cc, action string
		at         time.Time
	}
	var steps []step
	var notify []string
	s.mu.Lock()
	for _, t := range s.l.order {
		if t.DueAction != "" {
			steps = append(steps, step{t.ChargeCode, t.DueAction, t.Due})
		}
		if t.wantsNotify() {
			notify = append(notify, t.ChargeCode)
		}
	}
	s.mu.Unlock()
	for _, st := range steps {
		s.schedule(st.cc, st.action, st.at)
	}
	for _, cc := range notify {
		s.startNotify(cc)
	}
}

// save writes the state file, if any, with the ledger as it is now. Writes
// are serialised and each takes its snapshot inside saveMu, so the file
// never goes back to an older state. A failure is logged: the sandbox keeps
// serving from memory.
func (s *Server) save() {
	if s.opts.StatePath == "" {
		return
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	s.mu.Lock()
	data, err := json.MarshalIndent(s.l.snapshot(s.merchant.busiID), "", "  ")
	s.mu.Unlock()
	if err == nil {
		err = writeFileAtomic(s.opts.StatePath, append(data, '\n'))
	}
	if err != nil {
		s.log.Error("save state", "path", s.opts.StatePath, "err", err)
	}
}
