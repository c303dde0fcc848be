package hub_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"posterm/hub"
	"posterm/offline"
	"posterm/pos"
)

// journalTill is a till without a gateway: sales are written to its
// journal directly (created, then paid), which is all the hub sees.
type journalTill struct {
	id string
	j  *offline.Journal
	n  int
}

func openJournalTill(t testing.TB, dir, name string) *journalTill {
	t.Helper()
	j, err := offline.Open(filepath.Join(dir, name+".db"), offline.Options{Logger: quiet,
		Binding: func() (string, error) { return "machine " + name, nil }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	id, _ := j.TillID(context.Background())
	return &journalTill{id: id, j: j}
}

func (jt *journalTill) sale(t testing.TB) {
	ctx := context.Background()
	jt.n++
	now := time.Now()
	code := pos.ChargeCode(fmt.Sprintf("POS01%s%08d", jt.id, jt.n))
	tx := pos.Transaction{ChargeCode: code, Kind: pos.KindPay, State: pos.StateSending, SaleID: string(code),
		Register: "POS01", Amount: pos.Money(100 + jt.n), Channel: pos.Channel(1 + jt.n%2), MaskedCode: "2812**********3456",
		Cashier: "cashier01", CreatedAt: now, UpdatedAt: now, Queue: pos.Queue{NextAttemptAt: now}}
	if err := jt.j.CreateTransaction(ctx, tx, pos.Event{Op: "create"}); err != nil {
		t.Error(err)
		return
	}
	if _, err := jt.j.Transition(ctx, pos.Change{ChargeCode: code, From: pos.StateSending, To: pos.StatePaid, At: now}); err != nil {
		t.Error(err)
	}
}

func (jt *journalTill) forward(t testing.TB, url string) func() {
	nc, err := hub.Connect(hub.ConnOptions{URL: url, Name: "till-" + jt.id})
	if err != nil {
		t.Fatal(err)
	}
	js, err := hub.NewJetStream(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	f := &hub.Forwarder{Outbox: jt.j, Feed: jt.j, JS: js, Retry: 50 * time.Millisecond, Log: quiet}
	go func() { defer close(done); _ = f.Run(ctx) }()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done; nc.Close() }) }
	t.Cleanup(stop)
	return stop
}

func outboxRows(t testing.TB, j *offline.Journal) int {
	st, err := j.OutboxStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st.Pending + st.Sent
}

// waitStore polls the hub's store file (another process writes it) until
// it holds want events per till, with a deadline.
func waitStore(t testing.TB, dbPath string, want map[string]int) *hub.Store {
	t.Helper()
	s, err := hub.OpenStore(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		got, err := s.EventCount(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if equalCounts(got, want) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("hub store holds %v, want %v", got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestHubChildProcess is the hub run as a child process by the kill tests.
func TestHubChildProcess(t *testing.T) {
	if os.Getenv("POSTERM_HUB_CHILD") != "1" {
		t.Skip("run by the kill tests")
	}
	h, err := hub.Start(context.Background(), hub.Config{Listen: os.Getenv("HUB_LISTEN"),
		StoreDir: os.Getenv("HUB_STORE_DIR"), DBPath: os.Getenv("HUB_DB"), Log: quiet})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	defer h.Close()
	fmt.Println("ready")
	select {} // until killed
}

type hubProcess struct{ cmd *exec.Cmd }

func startHubProcess(t testing.TB, listen, dir string) *hubProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHubChildProcess$", "-test.v")
	cmd.Env = append(os.Environ(), "POSTERM_HUB_CHILD=1", "HUB_LISTEN="+listen,
		"HUB_STORE_DIR="+filepath.Join(dir, "js"), "HUB_DB="+filepath.Join(dir, "hub.db"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &hubProcess{cmd: cmd}
	t.Cleanup(p.kill)
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if line == "ready" {
			go func() {
				for sc.Scan() {
				}
			}()
			return p
		}
		if strings.HasPrefix(line, "error:") {
			t.Fatal("hub child:", line)
		}
	}
	t.Fatal("hub child ended before it was ready")
	return nil
}

func (p *hubProcess) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		_ = p.cmd.Wait()
	}
}

// The hub is SIGKILLed and restarted while three tills sell; a till's
// forwarder is stopped mid-way and replaced. Afterwards every event is in
// the hub exactly once, and each till's totals match its journal.
func TestHub_SIGKILLWhileTillsSell(t *testing.T) {
	dir := t.TempDir()
	listen := freeAddr(t)
	url := "nats://" + listen
	h := startHubProcess(t, listen, dir)
	var tills []*journalTill
	stops := map[string]func(){}
	for _, name := range []string{"a", "b", "c"} {
		jt := openJournalTill(t, dir, name)
		stops[jt.id] = jt.forward(t, url)
		tills = append(tills, jt)
	}
	sellAll := func(rounds int) {
		var wg sync.WaitGroup
		for _, jt := range tills {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range rounds {
					jt.sale(t)
				}
			}()
		}
		wg.Wait()
	}
	sellAll(20)
	h.kill() // mid-stream: some events acked, some in flight, some waiting
	sellAll(20)
	// A till's forwarder dies too and a new one takes over.
	stops[tills[0].id]()
	sellAll(5)
	tills[0].forward(t, url)
	h = startHubProcess(t, listen, dir)
	sellAll(20)
	h.kill()
	h = startHubProcess(t, listen, dir)
	sellAll(10)

	want := map[string]int{}
	for _, jt := range tills {
		want[jt.id] = outboxRows(t, jt.j)
		if want[jt.id] != 2*75 {
			t.Fatalf("till %s wrote %d outbox rows, want %d", jt.id, want[jt.id], 2*75)
		}
	}
	s := waitStore(t, filepath.Join(dir, "hub.db"), want)
	totals, err := s.Totals(context.Background(), time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, jt := range tills {
		local, err := pos.Shift(context.Background(), jt.j, time.Time{}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if describe(totals[jt.id]) != describe(local) {
			t.Errorf("till %s:\n hub  %s\n till %s", jt.id, describe(totals[jt.id]), describe(local))
		}
	}
	h.kill()
}

// A till killed between JetStream's ack and marking the rows sent
// publishes them again: the stream drops them (message id), and an event
// that reaches the hub twice anyway (outside the window) is stored once.
func TestHub_RepublishedEventsStoredOnce(t *testing.T) {
	dir := t.TempDir()
	h := startHub(t, dir)
	jt := openJournalTill(t, dir, "a")
	for range 10 {
		jt.sale(t)
	}
	nc, err := hub.Connect(hub.ConnOptions{URL: h.ClientURL()})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := hub.NewJetStream(nc)
	sent, err := jt.j.PendingOutbox(context.Background(), 0)
	if err != nil || len(sent) != 20 {
		t.Fatalf("pending %d, %v", len(sent), err)
	}
	killed := &hub.Forwarder{Outbox: forgetfulOutbox{jt.j}, JS: js}
	if n, err := killed.Flush(context.Background()); err != nil || n != 20 {
		t.Fatalf("first pass: %d, %v", n, err)
	}
	again := &hub.Forwarder{Outbox: jt.j, JS: js}
	if n, err := again.Flush(context.Background()); err != nil || n != 20 {
		t.Fatalf("second pass: %d, %v", n, err)
	}
	waitHub(t, h, map[string]int{jt.id: 20})
	st, err := h.Status(context.Background())
	if err != nil || st.StreamMsgs != 20 {
		t.Fatalf("stream holds %d messages, want 20 (%v)", st.StreamMsgs, err)
	}
	// Outside the window: the same events again, straight into the store.
	evs, _ := jt.j.PendingOutbox(context.Background(), 0)
	if len(evs) != 0 {
		t.Fatalf("still pending: %d", len(evs))
	}
	n, err := h.Store().Ingest(context.Background(), sent, time.Now())
	if err != nil || n != 0 {
		t.Fatalf("re-ingest stored %d new, %v", n, err)
	}
}

// forgetfulOutbox loses its MarkOutboxSent, as a till killed right after the acks.
type forgetfulOutbox struct{ *offline.Journal }

func (forgetfulOutbox) MarkOutboxSent(context.Context, []int64, time.Time) error { return nil }
