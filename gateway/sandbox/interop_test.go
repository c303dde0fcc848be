package sandbox_test

// Interop: the real client (package gateway) against the real sandbox over
// loopback HTTP, in every envelope the profile allows (WIRE.md §2: json/xml
// answers × plain/3DES bodies), for every service of §4 and the
// notification of §8. The sandbox runs at a small TimeScale, so the 8 s,
// 80 s and 85 s paths take milliseconds.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"posterm/gateway"
	"posterm/gateway/sandbox"
	"posterm/pos"
)

const interopScale = 0.001 // 8 s → 8 ms, 80 s → 80 ms

type interopMode struct {
	name    string
	format  gateway.Format
	encrypt bool
}

var interopModes = []interopMode{
	{"json-plain", gateway.FormatJSON, false},
	{"json-3DES", gateway.FormatJSON, true},
	{"xml-plain", gateway.FormatXML, false},
	{"xml-3DES", gateway.FormatXML, true},
}

// interopSandbox starts a sandbox on loopback whose clock is Shanghai's.
func interopSandbox(t testing.TB) *sandbox.Running {
	t.Helper()
	run, err := sandbox.Start("127.0.0.1:0", sandbox.Options{TimeScale: interopScale,
		Now: func() time.Time { return time.Now().In(gateway.Shanghai) }})
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() { run.Close() })
	return run
}

// interopClient is a client of run in mode m; the sandbox signs every
// answer, so the client requires it.
func interopClient(t testing.TB, run *sandbox.Running, m interopMode, mod func(*gateway.Config)) *gateway.Client {
	t.Helper()
	cfg := gateway.Config{URL: run.ServiceURL(), BusiID: sandbox.DemoBusiID, Secret: sandbox.DemoSecret,
		OperID: "cashier01", DevID: "POS-01", Format: m.format, Encrypt: m.encrypt, RequireSign: true,
		Timeout: 5 * time.Second, PayTimeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	c, err := gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var interopSeq atomic.Int64

func chargeCode(prefix string) string { return fmt.Sprintf("%s-%06d", prefix, interopSeq.Add(1)) }

// walletCode is an 18-digit payment code with the given prefix (28 Alipay,
// 13 WeChat Pay) whose last two digits choose the sandbox's behaviour (§9).
func walletCode(prefix, last2 string) string {
	return prefix + fmt.Sprintf("%014d", interopSeq.Add(1)%1e14) + last2
}

func payReq(cc, code string, amt pos.Money) gateway.PayRequest {
	return gateway.PayRequest{Amt: amt, DynamicID: code, ChargeCode: cc, PaySubject: "Interop sale"}
}

func wantStatus(t testing.TB, st gateway.Status, outcome gateway.Outcome, code string) {
	t.Helper()
	if st.Outcome != outcome || (code != "" && st.Code != code) {
		t.Fatalf("status: got %v, want %v %s", st, outcome, code)
	}
	if outcome == gateway.OutcomeUnknown && st.Err == nil {
		t.Fatalf("status: unknown without an Err: %v", st)
	}
	if outcome != gateway.OutcomeUnknown && st.Err != nil {
		t.Fatalf("status: got Err %v on a readable answer", st.Err)
	}
}

func queryState(t testing.TB, c *gateway.Client, cc string) int {
	t.Helper()
	q, st := c.Query(context.Background(), gateway.QueryRequest{ChargeCode: cc})
	wantStatus(t, st, gateway.OutcomeDone, gateway.CodeSuccess)
	return q.State
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestInterop_Services(t *testing.T) {
	for _, m := range interopModes {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			run := interopSandbox(t)
			c := interopClient(t, run, m, nil)
			ctx := context.Background()
			t.Run("pay", func(t *testing.T) { interopPay(t, ctx, run, m, c) })
			t.Run("precreate and notify", func(t *testing.T) { interopPrecreate(t, ctx, run, m, c) })
			t.Run("cancel", func(t *testing.T) { interopCancel(t, ctx, run, c) })
			t.Run("refund", func(t *testing.T) { interopRefund(t, ctx, run, c) })
			t.Run("batchquery", func(t *testing.T) { interopBatch(t, ctx, m, c) })
			t.Run("channels", func(t *testing.T) {
				out, st := c.Channels(ctx, gateway.ChannelListRequest{})
				wantStatus(t, st, gateway.OutcomeDone, gateway.CodeSuccess)
				if len(out.PayChannelList) != 2 || out.PayChannelList[0].ChannelType != gateway.ChannelAlipay ||
					out.PayChannelList[1].ChannelType != gateway.ChannelWeChat || out.PayChannelList[1].SortNo != 2 ||
					out.PayChannelList[0].ChannelName == "" {
					t.Errorf("channels: got %+v", out.PayChannelList)
				}
			})
			t.Run("login", func(t *testing.T) { interopLogin(t, ctx, c) })
		})
	}
}

func interopPay(t *testing.T, ctx context.Context, run *sandbox.Running, m interopMode, c *gateway.Client) {
	t.Run("paid at once", func(t *testing.T) {
		cc, code := chargeCode("PAY-"+m.name), walletCode("28", "12")
		before := time.Now()
		out, st := c.Pay(ctx, payReq(cc, code, 1230))
		wantStatus(t, st, gateway.OutcomeDone, gateway.CodeSuccess)
		if out.ChargeCode != cc || out.ChargeDownCode == "" || out.ChargeThirdCode == "" || out.Amt != 1230 ||
			out.ChannelType != gateway.ChannelAlipay || out.OperID != "cashier01" || out.DevID != "POS-01" {
			t.Errorf("answer: got %+v", out)
		}
		if len(out.FundBillList) != 1 || out.FundBillList[0] != (gateway.FundBill{FundChannel: "10", Amount: 1230}) {
			t.Errorf("fund bills: got %+v", out.FundBillList)
		}
		bt, err := time.ParseInLocation(gateway.TimeLayout, out.BeginTime, gateway.Shanghai)
		if err != nil || bt.Before(before.Add(-2*time.Second)) || bt.After(time.Now().Add(time.Second)) {
			t.Errorf("BEGIN_TIME %q: %v (now %s)", out.BeginTime, err, time.Now().In(gateway.Shanghai))
		}
		q, st := c.Query(ctx, gateway.QueryRequest{ChargeCode: cc})
		wantStatus(t, st, gateway.OutcomeDone, gateway.CodeSuccess)
		if q.State != gateway.StatePaid || q.Amt != 1230 || q.ChargeDownCode != out.ChargeDownCode || q.DynamicID != code {
			t.Errorf("query: got %+v", q)
		}
		// By the gateway's serial too.
		q2, st := c.Query(ctx, gateway.QueryRequest{ChargeCode: out.ChargeDownCode, SerType: gateway.SerTypeGateway})
		wantStatus(t, st, gateway.OutcomeDone, gateway.CodeSuccess)
		if q2.ChargeCode != cc {
			t.Errorf("query by CHARGE_DOWN_CODE: got %q, want %q", q2.ChargeCode, cc)
		}
	})
	t.Run("WeChat split with a voucher", func(t *testing.T) {
		out, st := c.Pay(ctx, payReq(chargeCode("WX-"+m.name), walletCode("13", "85"), 1000))
		wantStatus(t, st, gateway.OutcomeDone, gateway.CodeSuccess)
		want := []gateway.FundBill{{FundChannel: "11", Amount: 900}, {FundChannel: "41", Amount: 100}}
		if out.ChannelType != gateway.ChannelWeChat || len(out.FundBillList) != 2 || out.FundBillList[0] != want[0] || out.FundBillList[1] != want[1] {
			t.Errorf("got channel %d bills %+v, want 2 %+v", out.ChannelType, out.FundBillList, want)
		}
	})
	t.Run("with goods", func(t *testing.T) {
		r := payReq(chargeCode("GOODS-"+m.name), walletCode("28", "10"), 300)
		r.GoodsInfos = []gateway.Good{{GoodID: "1", GoodName: "Tea", GoodClass: "Food", GoodPrice: 150, GoodSubject: "Food", GoodQuantity: "2"}}
		_, st := c.Pay(ctx, r)
		wantStatus(t, st, gateway.OutcomeDone, gateway.CodeSuccess)
		q, _ := c.Query(ctx, gateway.QueryRequest{ChargeCode: r.ChargeCode})
		if len(q.GoodsDetail) != 1 || q.GoodsDetail[0].GoodPrice != 150 || q.GoodsDetail[0].GoodName != "Tea" {
			t.Errorf("GOODS_DETAIL: got %+v", q.GoodsDetail)
		}
	})
	t.Run("92 declined", func(t *testing.T) {
		cc := chargeCode("DECL-" + m.name)
		_, st := c.Pay(ctx, payReq(cc, walletCode("28", "92"), 100))
		wantStatus(t, st, gateway.OutcomeRefused, gateway.CodeFail)
		if st.Info != "insufficient balance" {
			t.Errorf("INFO %q", st.Info)
		}
		if s := queryState(t, c, cc); s != gateway.StateClosed {
			t.Errorf("STATE %d, want 6", s)
		}
		// The serial is used up.
		_, st = c.Pay(ctx, payReq(cc, walletCode("28", "12"), 100))
		wantStatus(t, st, gateway.OutcomeRefused, gateway.CodeSerialRepeat)
	})
	t.Run("97 fault is unknown", func(t *testing.T) {
		cc := chargeCode("F97-" + m.name)
		_, st := c.Pay(ctx, payReq(cc, walletCode("28", "97"), 100))
		wantStatus(t, st, gateway.OutcomeUnknown, gateway.CodeException)
		if !errors.Is(st.Err, gateway.ErrFaultCode) {
			t.Errorf("Err %v, want ErrFaultCode", st.Err)
		}
		_, st = c.Query(ctx, gateway.QueryRequest{ChargeCode: cc})
		wantStatus(t, st, gateway.OutcomeRefused, gateway.CodeChargeNonexistent)
	})
	t.Run("95 HTTP 503 is unknown", func(t *testing.T) {
		cc := chargeCode("F95-" + m.name)
		_, st := c.Pay(ctx, payReq(cc, walletCode("28", "95"), 100))
		wantStatus(t, st, gateway.OutcomeUnknown, "")
		if !errors.Is(st.Err, gateway.ErrHTTPStatus) || st.HTTPStatus != http.StatusServiceUnavailable {
			t.Errorf("got %v (HTTP %d), want ErrHTTPStatus 503", st, st.HTTPStatus)
		}
		// Nothing recorded: the serial is still free.
		_, st = c.Pay(ctx, payReq(cc, walletCode("28", "12"), 100))
		wantStatus(t, st, gateway.OutcomeDone, gateway.CodeSuccess)
	})
	t.Run("94 dropped after paying", func(t *testing.T) {
		cc := chargeCode("F94-" + m.name)
		_, st := c.Pay(ctx, payReq(cc, walletCode("28", "94"), 100))
		wantStatus(t, st, gateway.OutcomeUnknown, "")
		if !errors.Is(st.Err, gateway.ErrNoAnswer) {
			t.Errorf("Err %v, want ErrNoAnswer", st.Err)
		}
		if s := queryState(t, c, cc); s != gateway.StatePaid {
			t.Errorf("STATE %d, want 1", s)
		}
	})
	t.Run("short code", func(t *testing.T) {
		_, st := c.Pay(ctx, payReq(chargeCode("SHORT-"+m.name), "2800123", 100))
		wantStatus(t, st, gateway.OutcomeRefused, gateway.CodeIllegalParameter)
	})
	t.Run("91 confirmed in the wallet", func(t *testing.T) {
		start := time.Now()
		_, st := c.Pay(ctx, payReq(chargeCode("W91-"+m.name), walletCode("28", "91"), 100))
		wantStatus(t, st, gateway.OutcomeDone, gateway.CodeSuccess)
		if d := time.Since(start); d < time.Duration(float64(sandbox.ConfirmDelay)*interopScale) {
			t.Errorf("answered after %s, before the scaled confirmation delay", d)
		}
	})
	t.Run("93 never confirmed", func(t *testing.T) {
		cc := chargeCode("W93-" + m.name)
		_, st := c.Pay(ctx, payReq(cc, walletCode("28", "93"), 100))
		wantStatus(t, st, gateway.OutcomeRefused, gateway.CodeFail)
		if s := queryState(t, c, cc); s != gateway.StateClosed {
			t.Errorf("STATE %d, want 6", s)
		}
	})
	t.Run("96 paid past the client's patience", func(t *testing.T) {
		impatient := interopClient(t, run, m, func(cfg *gateway.Config) { cfg.PayTimeout = 30 * time.Millisecond })
		cc := chargeCode("W96-" + m.name)
		_, st := impatient.Pay(ctx, payReq(cc, walletCode("28", "96"), 100))
		wantStatus(t, st, gateway.OutcomeUnknown, "")
		if s := queryState(t, c, cc); s != gateway.StatePending && s != gateway.StatePaid {
			t.Errorf("STATE %d after the timeout, want 0 (or already 1)", s)
		}
		waitFor(t, "the late payment", func() bool { return queryState(t, c, cc) == gateway.StatePaid })
	})
}

// notifyLog is the register's side of §8: it acts on each charge once, however
// many times the notification comes.
type notifyLog struct {
	mu      sync.Mutex
	calls   int
	failFor int // refuse this many first deliveries, so the gateway retries
	acted   map[string]gateway.Notification
	raw     []capturedNotify
}

type capturedNotify struct {
	url  string
	body []byte
	ct   string
}

func (l *notifyLog) accept(_ context.Context, n gateway.Notification) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if l.failFor > 0 {
		l.failFor--
		return errors.New("journal busy")
	}
	if _, seen := l.acted[n.ChargeCode]; !seen {
		l.acted[n.ChargeCode] = n
	}
	return nil
}

func (l *notifyLog) snapshot() (calls int, acted map[string]gateway.Notification) {
	l.mu.Lock()
	defer l.mu.Unlock()
	acted = map[string]gateway.Notification{}
	for k, v := range l.acted {
		acted[k] = v
	}
	return l.calls, acted
}

// startNotifyReceiver serves gateway.NewNotifyHandler on loopback, keeping
// each delivery so that a test can replay it.
func startNotifyReceiver(t testing.TB, l *notifyLog) *httptest.Server {
	h := gateway.NewNotifyHandler(sandbox.DemoSecret, l.accept, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		l.mu.Lock()
		l.raw = append(l.raw, capturedNotify{url: r.URL.String(), body: body, ct: r.Header.Get("Content-Type")})
		l.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func interopPrecreate(t *testing.T, ctx context.Context, run *sandbox.Running, m interopMode, c *gateway.Client) {
	l := &notifyLog{failFor: 1, acted: map[string]gateway.Notification{}}
	srv := startNotifyReceiver(t, l)
	enc := ""
	if m.encrypt {
		enc = gateway.EncryptParam
	}
	cc := chargeCode("QR-" + m.name)
	pre, st := c.Precreate(ctx, gateway.PrecreateRequest{Amt: 2345, ChannelType: gateway.ChannelWeChat, ChargeCode: cc,
		NodifyURL: srv.URL + "/notify?_type=" + string(m.format) + "&encrypt=" + enc, PaySubject: "QR sale",
		TimeExpire: 10 * time.Minute, MerchantPara: "MDEwMDAwMDE="})
	wantStatus(t, st, gateway.OutcomeDone, gateway.CodeSuccess)
	if pre.ChargeCode != cc || pre.ChargeDownCode == "" || pre.MerchantPara != "MDEwMDAwMDE=" ||
		pre.BarCode != run.URL+sandbox.QRPathPrefix+pre.ChargeDownCode {
		t.Fatalf("precreate: got %+v", pre)
	}
	if s := queryState(t, c, cc); s != gateway.StatePending {
		t.Fatalf("STATE %d before paying, want 0", s)
	}

	// The customer scans and pays.
	resp, err := http.Post(run.URL+sandbox.CustomerPayPath+"?barcode="+url.QueryEscape(pre.BarCode), "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("customer pay: HTTP %d", resp.StatusCode)
	}
	q, st := c.Query(ctx, gateway.QueryRequest{ChargeCode: cc})
	wantStatus(t, st, gateway.OutcomeDone, gateway.CodeSuccess)
	if q.State != gateway.StatePaid || q.Amt != 2345 || q.ChannelType != gateway.ChannelWeChat || q.EndTime == "" {
		t.Errorf("query after paying: got %+v", q)
	}

	// The notification: refused once (the register was busy), then
	// retried by the gateway and accepted.
	waitFor(t, "the notification", func() bool {
		_, acted := l.snapshot()
		_, ok := acted[cc]
		return ok
	})
	waitFor(t, "NOTIFIED in the ledger", func() bool {
		for _, lt := range run.Server.Ledger().Transactions {
			if lt.ChargeCode == cc {
				return lt.Notified
			}
		}
		return false
	})
	calls, acted := l.snapshot()
	if calls != 2 {
		t.Errorf("accept called %d times, want 2 (one refusal, one retry)", calls)
	}
	n := acted[cc]
	if n.Amt != 2345 || n.State != gateway.StatePaid || n.ChargeDownCode != pre.ChargeDownCode ||
		n.ChannelType != gateway.ChannelWeChat || n.MerchantPara != "MDEwMDAwMDE=" || n.BusiID != sandbox.DemoBusiID ||
		len(n.FundBillList) != 1 || n.FundBillList[0].Amount != 2345 {
		t.Errorf("notification: got %+v", n)
	}
	if rep := gateway.NotificationReply(n); !rep.HasState || rep.State != pos.RemotePaid || rep.Amount != 2345 {
		t.Errorf("as a pos.Reply: got %+v", rep)
	}

	// A duplicate (the gateway may send one many times) is answered
	// SUCCESS again and acted on no more.
	l.mu.Lock()
	last := l.raw[len(l.raw)-1]
	l.mu.Unlock()
	for i := 0; i < 2; i++ {
		resp, err := http.Post(srv.URL+last.url, last.ct, bytes.NewReader(last.body))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(body) != "SUCCESS" {
			t.Errorf("duplicate: HTTP %d %q, want 200 SUCCESS", resp.StatusCode, body)
		}
	}
	if calls, acted := l.snapshot(); calls != 4 || len(acted) != 1 {
		t.Errorf("after duplicates: %d calls, %d acted; want 4 calls, 1 acted", calls, len(acted))
	}
	// A tampered body is refused.
	resp, err = http.Post(srv.URL+last.url, last.ct, bytes.NewReader(append(last.body[:len(last.body)-4:len(last.body)-4], "AAA="...)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Error("a tampered notification was accepted")
	}

	// An unpaid QR expires, and cancelling a pending one closes it.
	cc2 := chargeCode("QR2-" + m.name)
	_, st = c.Precreate(ctx, gateway.PrecreateRequest{Amt: 100, ChannelType: gateway.ChannelAlipay, ChargeCode: cc2,
		PaySubject: "QR sale", TimeExpire: 10 * time.Second}) // 10 ms at this scale
	wantStatus(t, st, gateway.OutcomeDone, gateway.CodeSuccess)
	waitFor(t, "the QR to expire", func() bool { return queryState(t, c, cc2) == gateway.StateClosed })
}

func interopCancel(t *testing.T, ctx context.Context, run *sandbox.Running, c *gateway.Client) {
	t.Run("revoke a paid charge", func(t *testing.T) {
		cc := chargeCode("REV")
		_, st := c.Pay(ctx, payReq(cc, walletCode("28", "12"), 500))
		wantStatus(t, st, gateway.OutcomeDone, gateway.CodeSuccess)
		_, st = c.Cancel(ctx, gateway.CancelRequest{ChargeCode: cc})
		wantStatus(t, st, gateway.OutcomeDone, gateway.CodeSuccess)
		if s := queryState(t, c, cc); s != gateway.StateRevoked {
			t.Errorf("STATE %d, want 2", s)
		}
		_, st = c.Cancel(ctx, gateway.CancelRequest{ChargeCode: cc})
		wantStatus(t, st, gateway.OutcomeRefused, gateway.CodeAreadyRevoked)
	})
	t.Run("ACO revocation", func(t *testing.T) {
		cc := chargeCode("ACO")
		_, st := c.Pay(ctx, payReq(cc, walletCode("28", "12"), 500))
		wantStatus(t, st, gateway.OutcomeDone, gateway.CodeSuccess)
		_, st = c.Cancel(ctx, gateway.CancelRequest{ChargeCode: cc, OpType: gateway.OpTypeACO})
		wantStatus(t, st, gateway.OutcomeDone, gateway.CodeSuccess)
		if s := queryState(t, c, cc); s != gateway.StateRevocationApplied && s != gateway.StateRevoked {
			t.Errorf("STATE %d, want 3 then 2", s)
		}
		waitFor(t, "STATE 2", func() bool { return queryState(t, c, cc) == gateway.StateRevoked })
	})
	t.Run("tombstone", func(t *testing.T) {
		cc := chargeCode("TOMB")
		_, st := c.Cancel(ctx, gateway.CancelRequest{ChargeCode: cc})
		wantStatus(t, st, gateway.OutcomeRefused, gateway.CodeChargeNonexistent)
		// The pay that was on its way arrives later: refused.
		_, st = c.Pay(ctx, payReq(cc, walletCode("28", "12"), 500))
		wantStatus(t, st, gateway.OutcomeRefused, gateway.CodeSerialRepeat)
		found := false
		for _, s := range run.Server.Ledger().RevokedSerials {
			found = found || s == cc
		}
		if !found {
			t.Errorf("%s not among the revoked serials", cc)
		}
	})
}

func interopRefund(t *testing.T, ctx context.Context, run *sandbox.Running, c *gateway.Client) {
	cc := chargeCode("RF")
	pay, st := c.Pay(ctx, payReq(cc, walletCode("28", "85"), 1000)) // 9.00 wallet + 1.00 voucher
	wantStatus(t, st, gateway.OutcomeDone, gateway.CodeSuccess)
	refund := func(fee pos.Money, outNo string) (gateway.RefundResponse, gateway.Status) {
		return c.Refund(ctx, gateway.RefundRequest{ChargeRefundFee: fee, RefundSubject: "damaged", ChargeCode: cc, OutRefundNo: outNo})
	}

	r1, st := refund(300, cc+"-R1")
	wantStatus(t, st, gateway.OutcomeDone, gateway.CodeSuccess)
	if r1.Amt != 300 || r1.ChargeCode != cc || r1.ChargeDownCode != pay.ChargeDownCode || r1.ChannelType != gateway.ChannelAlipay ||
		len(r1.FundBillList) != 1 || r1.FundBillList[0].Amount != 300 {
		t.Errorf("partial refund: got %+v", r1)
	}
	if s := queryState(t, c, cc); s != gateway.StatePartiallyRefunded {
		t.Errorf("STATE %d, want 4", s)
	}
	// The same OUT_REFUND_NO again: the first answer, nothing more refunded.
	again, st := refund(300, cc+"-R1")
	wantStatus(t, st, gateway.OutcomeDone, gateway.CodeSuccess)
	if again.Amt != 300 {
		t.Errorf("repeated refund: AMT %d, want 300", again.Amt)
	}
	_, st = refund(701, cc+"-R2")
	wantStatus(t, st, gateway.OutcomeRefused, gateway.CodeAmtError)
	// The rest, through the gateway's serial; it takes the wallet's last
	// 6.00 and the voucher.
	r3, st := c.Refund(ctx, gateway.RefundRequest{ChargeRefundFee: 700, RefundSubject: "rest", ChargeDownCode: pay.ChargeDownCode, OutRefundNo: cc + "-R3"})
	wantStatus(t, st, gateway.OutcomeDone, gateway.CodeSuccess)
	if r3.Amt != 700 || len(r3.FundBillList) != 2 {
		t.Errorf("full refund: got %+v", r3)
	}
	if s := queryState(t, c, cc); s != gateway.StateRefunded {
		t.Errorf("STATE %d, want 5", s)
	}
	for _, lt := range run.Server.Ledger().Transactions {
		if lt.ChargeCode == cc && (lt.RefundedFen != 1000 || len(lt.Refunds) != 2) {
			t.Errorf("ledger: refunded %d in %d refunds, want 1000 in 2", lt.RefundedFen, len(lt.Refunds))
		}
	}
	// A refund of nothing left, and of a charge that does not exist.
	_, st = refund(1, cc+"-R4")
	wantStatus(t, st, gateway.OutcomeRefused, gateway.CodeAmtError)
	_, st = c.Refund(ctx, gateway.RefundRequest{ChargeRefundFee: 1, RefundSubject: "x", ChargeCode: "NO-SUCH", OutRefundNo: cc + "-R5"})
	wantStatus(t, st, gateway.OutcomeRefused, gateway.CodeChargeNonexistent)
}

func interopBatch(t *testing.T, ctx context.Context, m interopMode, c *gateway.Client) {
	oper := "pager-" + m.name
	var codes []string
	for i := 0; i < 5; i++ {
		r := payReq(chargeCode("BQ"), walletCode("28", "12"), pos.Money(100+i))
		r.OperID = oper
		_, st := c.Pay(ctx, r)
		wantStatus(t, st, gateway.OutcomeDone, gateway.CodeSuccess)
		codes = append(codes, r.ChargeCode)
	}
	var got []string
	for page, want := range []int{2, 2, 1, 0} {
		out, st := c.BatchQuery(ctx, gateway.BatchQueryRequest{UserID: oper, PageNum: page + 1, PageSize: 2})
		wantStatus(t, st, gateway.OutcomeDone, gateway.CodeSuccess)
		if out.ChargesSize != want || len(out.TradeInfos) != want {
			t.Fatalf("page %d: chargesSize %d, %d rows; want %d", page+1, out.ChargesSize, len(out.TradeInfos), want)
		}
		for _, ti := range out.TradeInfos {
			if ti.State != gateway.StatePaid || ti.OperID != oper || ti.Amt < 100 {
				t.Errorf("row: got %+v", ti)
			}
			got = append(got, ti.ChargeCode)
		}
	}
	if strings.Join(got, ",") != strings.Join(codes, ",") {
		t.Errorf("rows: got %v, want %v in creation order", got, codes)
	}
	today := time.Now().In(gateway.Shanghai).Format("2006-01-02")
	out, st := c.BatchQuery(ctx, gateway.BatchQueryRequest{UserID: oper, State: gateway.Int(gateway.StatePaid),
		ChannelType: gateway.Int(gateway.ChannelAlipay), BeginDate: today, EndDate: today, ChargeCode: codes[3], PageNum: 1, PageSize: 10})
	wantStatus(t, st, gateway.OutcomeDone, gateway.CodeSuccess)
	if len(out.TradeInfos) != 1 || out.TradeInfos[0].ChargeCode != codes[3] || out.TradeInfos[0].Amt != 103 {
		t.Errorf("filtered: got %+v", out.TradeInfos)
	}
}

func interopLogin(t *testing.T, ctx context.Context, c *gateway.Client) {
	tests := []struct {
		user, password string
		want           gateway.Outcome
		canRefund      bool
		allowed        bool
	}{
		{"cashier01", "1234", gateway.OutcomeDone, false, true},
		{"manager01", "8888", gateway.OutcomeDone, true, true},
		{"disabled01", "0000", gateway.OutcomeDone, false, false}, // success "true", loginFlag 0 (§9)
		{"cashier01", "wrong", gateway.OutcomeRefused, false, false},
	}
	for _, tt := range tests {
		out, st := c.Login(ctx, gateway.LoginRequest{Username: tt.user, Password: tt.password})
		if st.Outcome != tt.want {
			t.Errorf("%s: got %v, want %v", tt.user, st, tt.want)
			continue
		}
		if tt.want == gateway.OutcomeRefused {
			if out.Success || st.Info != "Account/password error" {
				t.Errorf("%s wrong password: got %+v %v", tt.user, out, st)
			}
			continue
		}
		u := out.User
		if !out.Success || u.LoginName != tt.user || u.CanRefund() != tt.canRefund || u.LoginAllowed() != tt.allowed ||
			u.Company.Code != sandbox.DemoBusiID || u.Company.AmountLimit != sandbox.DemoAmountLimit ||
			!u.Company.RefundAtSceneAllowed() {
			t.Errorf("%s: got %+v", tt.user, out)
		}
	}
}

// TestInterop_POSGateway drives the domain's port over the sandbox: the
// adapter and the simulator agree on what pos needs.
func TestInterop_POSGateway(t *testing.T) {
	for _, m := range []interopMode{interopModes[1], interopModes[2]} {
		t.Run(m.name, func(t *testing.T) {
			run := interopSandbox(t)
			g := gateway.ForPOS(interopClient(t, run, m, nil))
			g.RegisterID = "STORE-1"
			ctx := context.Background()
			before := time.Now()

			cc := pos.ChargeCode(chargeCode("POS-" + m.name))
			rep, err := g.Pay(ctx, pos.PayRequest{ChargeCode: cc, Amount: 1230, DynamicID: walletCode("28", "12"), Subject: "Sale",
				OperID: "cashier01", Goods: []pos.GoodsLine{{ID: "1", Name: "Sale", Price: 1230, Subject: "Sale", Quantity: 1}}})
			if err != nil || rep.Outcome != pos.OutcomeDone || rep.ChargeCode != cc || rep.Amount != 1230 || rep.Channel != pos.ChannelAlipay ||
				rep.ChargeDownCode == "" || len(rep.FundBills) != 1 || rep.HasState {
				t.Fatalf("pay: got %+v, %v", rep, err)
			}
			if rep.BeginTime.Before(before.Add(-2*time.Second)) || rep.BeginTime.After(time.Now().Add(time.Second)) {
				t.Errorf("BeginTime %v, want about now", rep.BeginTime)
			}
			q, err := g.Query(ctx, cc)
			if err != nil || q.Outcome != pos.OutcomeDone || !q.HasState || q.State != pos.RemotePaid || q.EndTime.IsZero() {
				t.Errorf("query: got %+v, %v", q, err)
			}
			if q, _ := g.Query(ctx, "POS-NONE"); q.Outcome != pos.OutcomeRefused || q.Code != pos.CodeChargeNonexistent || q.HasState {
				t.Errorf("query unseen: got %+v", q)
			}
			rf, err := g.Refund(ctx, pos.RefundRequest{ChargeCode: cc, OutRefundNo: string(cc) + "-R", Amount: 230, Subject: "x", OperID: "manager01"})
			if err != nil || rf.Outcome != pos.OutcomeDone || rf.Amount != 230 {
				t.Errorf("refund: got %+v, %v", rf, err)
			}
			if c, _ := g.Cancel(ctx, cc, pos.OpTypeNow); c.Outcome != pos.OutcomeRefused || c.Code != pos.CodeFail {
				t.Errorf("cancel after a refund: got %+v", c)
			}
			unknown, err := g.Pay(ctx, pos.PayRequest{ChargeCode: pos.ChargeCode(chargeCode("POS95")), Amount: 100, DynamicID: walletCode("28", "95"), Subject: "x"})
			if err != nil || unknown.Outcome != pos.OutcomeUnknown || !strings.Contains(unknown.Detail, "503") {
				t.Errorf("503: got %+v, %v", unknown, err)
			}
			declined, err := g.Pay(ctx, pos.PayRequest{ChargeCode: pos.ChargeCode(chargeCode("POS92")), Amount: 100, DynamicID: walletCode("28", "92"), Subject: "x"})
			if err != nil || declined.Outcome != pos.OutcomeRefused || declined.Code != pos.CodeFail || declined.Info != "insufficient balance" {
				t.Errorf("92: got %+v, %v", declined, err)
			}

			pre, err := g.Precreate(ctx, pos.PrecreateRequest{ChargeCode: pos.ChargeCode(chargeCode("POSQR")), Amount: 500,
				Channel: pos.ChannelWeChat, Subject: "QR", Expire: time.Minute})
			if err != nil || pre.Outcome != pos.OutcomeDone || !strings.HasPrefix(pre.BarCode, run.URL) {
				t.Errorf("precreate: got %+v, %v", pre, err)
			}
			page, err := g.BatchQuery(ctx, pos.BatchQueryRequest{Page: 1, PageSize: 10, Begin: time.Now(), End: time.Now()})
			if err != nil || page.Outcome != pos.OutcomeDone || len(page.Trades) != 3 {
				t.Errorf("batch query: got %d trades, %+v, %v", len(page.Trades), page.Reply, err)
			}
			chs, err := g.Channels(ctx)
			if err != nil || len(chs.Channels) != 2 {
				t.Errorf("channels: got %+v, %v", chs, err)
			}

			for _, tt := range []struct {
				user, password string
				role           pos.Role
				err            error
			}{
				{"cashier01", "1234", pos.RoleCashier, nil},
				{"manager01", "8888", pos.RoleManager, nil},
				{"disabled01", "0000", 0, pos.ErrLoginDisabled},
				{"manager01", "1234", 0, pos.ErrWrongPassword},
			} {
				c, err := pos.Login(ctx, g, nil, tt.user, tt.password)
				if !errors.Is(err, tt.err) || (tt.err == nil && (c.Role != tt.role || c.AmountLimit != sandbox.DemoAmountLimit || c.CompanyCode != sandbox.DemoBusiID)) {
					t.Errorf("login %s: got %+v, %v; want %v %v", tt.user, c, err, tt.role, tt.err)
				}
			}
		})
	}
	// No gateway at all: login says unreachable, the charge calls unknown.
	run := interopSandbox(t)
	g := gateway.ForPOS(interopClient(t, run, interopModes[0], nil))
	run.Close()
	if _, err := pos.Login(context.Background(), g, nil, "cashier01", "1234"); !errors.Is(err, pos.ErrGatewayUnreachable) {
		t.Errorf("login without a gateway: %v, want ErrGatewayUnreachable", err)
	}
	if rep, err := g.Query(context.Background(), "X"); err != nil || rep.Outcome != pos.OutcomeUnknown || rep.Detail == "" {
		t.Errorf("query without a gateway: got %+v, %v", rep, err)
	}
}
