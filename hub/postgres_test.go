//go:build postgres

package hub_test

// The hub's store on PostgreSQL: `POSTERM_TEST_DATABASE_URL=postgres://…
// go test -tags postgres -run Postgres ./hub/`. Each test makes a database
// of its own on that server and drops it afterwards.

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

func postgresDB(t *testing.T) string {
	t.Helper()
	base := os.Getenv("POSTERM_TEST_DATABASE_URL")
	if base == "" {
		t.Skip("POSTERM_TEST_DATABASE_URL is not set")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := fmt.Sprintf("posterm_hub_%d", time.Now().UnixNano())
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if a, err := sql.Open("pgx", base); err == nil {
			_, _ = a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
			a.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

func TestPostgres_ThreeTillsTotalsEqualTheirJournals(t *testing.T) {
	threeTills(t, t.TempDir(), postgresDB(t))
}

// The manager's page on PostgreSQL: settle results, Z reports, device
// status and every till's takings.
func TestPostgres_PageNews(t *testing.T) {
	pageNews(t, t.TempDir(), postgresDB(t))
}

func TestPostgres_EventsStoredOnce(t *testing.T) {
	dir := t.TempDir()
	h := startHubDB(t, dir, postgresDB(t))
	jt := openJournalTill(t, dir, "a")
	for range 10 {
		jt.sale(t)
	}
	sent, err := jt.j.PendingOutbox(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	stop := jt.forward(t, h.ClientURL())
	defer stop()
	waitHub(t, h, map[string]int{jt.id: 20})
	if n, err := h.Store().Ingest(context.Background(), sent, time.Now()); err != nil || n != 0 {
		t.Fatalf("re-ingest stored %d new, %v", n, err)
	}
	if _, _, found, err := h.Store().LookupCharge(context.Background(), sent[0].ChargeCode); err != nil || !found {
		t.Fatalf("lookup: %v %v", found, err)
	}
}
