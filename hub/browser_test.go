//go:build browser

package hub_test

// The manager's page in a real browser: headless Chromium driven by
// chromedp. `go test -tags browser -run Browser ./hub/` (make test-browser;
// .ci/run installs Debian's chromium when missing and runs it).

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func chromium(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no chromium: .ci/run installs Debian's chromium")
		}
		t.Skip("no chromium installed (apt-get install chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("headless", true), chromedp.Flag("disable-gpu", true))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelA)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelT)
	return ctx
}

func TestBrowser_ManagerSeesTotalsChangeCashierRefused(t *testing.T) {
	dir := t.TempDir()
	sb := startSandbox(t)
	h := startHub(t, dir)
	srv := newPage(t, sb, h)
	ctx := chromium(t)

	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), "cashier01"),
		chromedp.SendKeys(chromedp.ID("password"), "1234"),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("error")),
	); err != nil {
		t.Fatal(err)
	}
	msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("error")))
	if err != nil || !strings.Contains(msg, "仅限本商户店长登录") {
		t.Fatalf("cashier01: %q, %v", msg, err)
	}

	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/login?lang=en"),
		chromedp.WaitVisible(chromedp.ID("user")),
		chromedp.SendKeys(chromedp.ID("user"), "manager01"),
		chromedp.SendKeys(chromedp.ID("password"), "8888"),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("store")),
	); err != nil {
		t.Fatal(err)
	}
	before, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#store .net")))
	if err != nil || strings.TrimSpace(before) != "0.00" {
		t.Fatalf("net before any sale: %q, %v", before, err)
	}
	tl := newTill(t, sb, dir, "a")
	tl.forward(t, h.ClientURL())
	sales := tl.sell(t, 1)
	want := sales[0].Amount.String()
	// The page refreshes itself (every second here): read the total until
	// it shows the sale. A read that meets a reload is simply repeated.
	deadline := time.Now().Add(60 * time.Second)
	for {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		now, err := chromedp.Run(rctx, chromedp.Text(chromedp.CSS("#store .net")))
		cancel()
		if err == nil && strings.TrimSpace(now) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("store net stays %q, want %q (%v)", now, want, err)
		}
		time.Sleep(100 * time.Millisecond) // the browser's reload is not observable otherwise
	}
}
