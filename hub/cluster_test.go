//go:build cluster

package hub_test

// The 3-node cluster test: `go test -tags cluster -run Cluster ./hub/`
// (make test-cluster; .ci/run runs it).

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"posterm/hub"
	"posterm/pos"
)

func port(t testing.TB) int {
	_, p, _ := net.SplitHostPort(freeAddr(t))
	n, _ := strconv.Atoi(p)
	return n
}

// startCluster starts three in-process NATS servers with JetStream that
// route to each other, and waits until JetStream has a meta leader.
func startCluster(t *testing.T, dir string) ([]*server.Server, []string) {
	t.Helper()
	cports := []int{port(t), port(t), port(t)}
	var routes []string
	for _, p := range cports {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", p))
	}
	var srvs []*server.Server
	var urls []string
	for i := range 3 {
		o := &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1), Host: "127.0.0.1", Port: port(t),
			JetStream: true, StoreDir: filepath.Join(dir, fmt.Sprintf("n%d", i+1)), NoSigs: true, NoLog: true,
			Cluster: server.ClusterOpts{Name: "posterm", Host: "127.0.0.1", Port: cports[i]},
			Routes:  server.RoutesFromStr(strings.Join(routes, ",")),
		}
		s, err := server.NewServer(o)
		if err != nil {
			t.Fatal(err)
		}
		go s.Start()
		t.Cleanup(s.Shutdown)
		if !s.ReadyForConnections(10 * time.Second) {
			t.Fatalf("n%d did not start", i+1)
		}
		srvs = append(srvs, s)
		urls = append(urls, s.ClientURL())
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		leader := false
		for _, s := range srvs {
			leader = leader || s.JetStreamIsLeader()
		}
		if leader {
			return srvs, urls
		}
		if time.Now().After(deadline) {
			t.Fatal("no JetStream meta leader")
		}
		time.Sleep(50 * time.Millisecond) // the cluster's election is not observable otherwise
	}
}

// Three tills publish to a 3-node cluster (stream replicas 3) while one
// node is shut down: afterwards every event is in the hub exactly once.
func TestCluster_NodeLostWhileTillsPublish(t *testing.T) {
	dir := t.TempDir()
	srvs, urls := startCluster(t, dir)
	all := strings.Join(urls, ",")
	h, err := hub.Start(context.Background(), hub.Config{NATSURL: all, Replicas: 3,
		DBPath: filepath.Join(dir, "hub.db"), Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	var tills []*journalTill
	for _, name := range []string{"a", "b", "c"} {
		jt := openJournalTill(t, dir, name)
		jt.forward(t, all)
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
	srvs[1].Shutdown() // a node is lost mid-stream
	sellAll(20)
	want := map[string]int{}
	for _, jt := range tills {
		want[jt.id] = outboxRows(t, jt.j)
	}
	waitHub(t, h, want)
	st, err := h.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if int(st.StreamMsgs) != 3*80 {
		t.Fatalf("stream holds %d events, want %d (none lost, none doubled)", st.StreamMsgs, 3*80)
	}
	totals, err := h.Store().Totals(context.Background(), time.Time{}, time.Time{})
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
}
