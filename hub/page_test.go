package hub_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"posterm/gateway"
	"posterm/gateway/sandbox"
	"posterm/hub"
	"posterm/pos"
)

func newPage(t *testing.T, sb *sandbox.Running, h *hub.Hub) *httptest.Server {
	t.Helper()
	c, err := gateway.New(gateway.Config{URL: sb.ServiceURL(), BusiID: sandbox.DemoBusiID, Secret: sandbox.DemoSecret,
		OperID: "hub", DevID: "HUB", Format: gateway.FormatJSON, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	gw := gateway.ForPOS(c)
	p := &hub.Page{Store: h.Store(), BusiID: sandbox.DemoBusiID, Log: quiet, RefreshSeconds: 1,
		Login: func(ctx context.Context, user, pw string) (pos.Cashier, error) {
			return pos.Login(ctx, gw, quiet, user, pw)
		}}
	srv := httptest.NewServer(p.Handler())
	t.Cleanup(srv.Close)
	return srv
}

func browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}

func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func login(t *testing.T, c *http.Client, base, user, pw string) (int, string) {
	t.Helper()
	resp, err := c.PostForm(base+"/login", url.Values{"user": {user}, "password": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The manager's page: a manager logs in and sees today's takings by till
// change after a sale; a cashier is refused; nobody sees it without login.
func TestPage_ManagerSeesTakingsCashierRefused(t *testing.T) {
	dir := t.TempDir()
	sb := startSandbox(t)
	h := startHub(t, dir)
	srv := newPage(t, sb, h)

	anon := browser(t)
	if code, body := get(t, anon, srv.URL+"/"); code != http.StatusOK || !strings.Contains(body, "店长登录") {
		t.Fatalf("without login: %d\n%s", code, body)
	}
	cashier := browser(t)
	if code, body := login(t, cashier, srv.URL, "cashier01", "1234"); code != http.StatusForbidden || !strings.Contains(body, "仅限本商户店长登录") {
		t.Fatalf("cashier login: %d\n%s", code, body)
	}
	if _, body := get(t, cashier, srv.URL+"/"); strings.Contains(body, "今日营业额") {
		t.Fatal("a cashier sees the report")
	}
	if code, _ := login(t, browser(t), srv.URL, "manager01", "wrong"); code != http.StatusForbidden {
		t.Fatalf("wrong password: %d", code)
	}

	mgr := browser(t)
	code, body := login(t, mgr, srv.URL, "manager01", "8888")
	if code != http.StatusOK || !strings.Contains(body, "今日营业额") || !strings.Contains(body, `http-equiv="refresh"`) {
		t.Fatalf("manager login: %d\n%s", code, body)
	}
	tl := newTill(t, sb, dir, "a")
	tl.forward(t, h.ClientURL())
	sales := tl.sell(t, 2) // 1.00 and 1.37
	waitHub(t, h, map[string]int{tl.id: tl.outboxSize(t)})
	_, body = get(t, mgr, srv.URL+"/?lang=en")
	if !strings.Contains(body, "Takings today") || !strings.Contains(body, "<td>"+tl.id+"</td>") || !strings.HasSuffix(strings.TrimSpace(body), "</html>") ||
		!strings.Contains(body, `<td class="net">`+(sales[0].Amount+sales[1].Amount).String()+`</td>`) {
		t.Fatalf("after two sales:\n%s", body)
	}
	// The language sticks.
	if _, body = get(t, mgr, srv.URL+"/"); !strings.Contains(body, "Takings today") {
		t.Fatal("language not kept")
	}
}
