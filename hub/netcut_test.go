package hub_test

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"
)

// cutProxy forwards TCP to target until cut; while cut it refuses and
// drops every connection; restore lets them through again.
type cutProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	cut    bool
	conns  map[net.Conn]bool
}

func newCutProxy(t testing.TB, target string) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.setCut(true) })
	go p.serve()
	return p
}

func (p *cutProxy) addr() string { return p.ln.Addr().String() }

func (p *cutProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c], p.conns[up] = true, true
		p.mu.Unlock()
		go func() { _, _ = io.Copy(up, c); up.Close(); c.Close() }()
		go func() { _, _ = io.Copy(c, up); up.Close(); c.Close() }()
	}
}

func (p *cutProxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.conns {
			c.Close()
		}
		p.conns = map[net.Conn]bool{}
	}
}

// The network between a till and the hub is cut while it sells, then
// restored: every event reaches the hub exactly once.
func TestHub_NetworkCutBetweenTillAndHub(t *testing.T) {
	dir := t.TempDir()
	h := startHub(t, dir)
	u := h.ClientURL()
	proxy := newCutProxy(t, u[len("nats://"):])
	jt := openJournalTill(t, dir, "a")
	other := openJournalTill(t, dir, "b")
	jt.forward(t, "nats://"+proxy.addr())
	other.forward(t, u)
	for range 10 {
		jt.sale(t)
		other.sale(t)
	}
	proxy.setCut(true)
	for range 30 { // sales go on without the hub
		jt.sale(t)
		other.sale(t)
	}
	st, err := jt.j.OutboxStatus(context.Background())
	if err != nil || st.Pending == 0 {
		t.Fatalf("nothing waits in the cut till's outbox: %+v, %v", st, err)
	}
	proxy.setCut(false)
	waitHub(t, h, map[string]int{jt.id: 80, other.id: 80})
	s, err := h.Status(context.Background())
	if err != nil || s.StreamMsgs != 160 {
		t.Fatalf("stream holds %d, want 160 (%v)", s.StreamMsgs, err)
	}
	(&till{id: jt.id, journal: jt.j}).waitOutboxSent(t)
}
