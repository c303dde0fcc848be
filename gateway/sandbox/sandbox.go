package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"posterm/gateway"
	"posterm/pos"
)

// The sandbox's fixed merchant (WIRE.md §9: the vendor's published demo values).
const (
	DemoBusiID       = "0010000001"
	DemoSecret       = "98SDKFUO432HNODS098EEE07U9DUOIUE"
	DemoCompanyName  = "Demo Store"
	DemoAmountLimit  = pos.Money(500000) // 5000.00 yuan, the company's amountLimit
	ServicePath      = "/openGateway/openService/"
	LedgerPath       = "/sandbox/ledger"
	QRPathPrefix     = "/sandbox/qr/"
	CustomerPayPath  = "/sandbox/customer/pay"
	demoCompanyID    = "1"
	demoTimeLimitMin = "2"
)

// Delays of the simulated world at TimeScale 1 (WIRE.md §4.2, §8, §9).
const (
	ConfirmDelay   = 8 * time.Second   // code …91: the customer confirms in the wallet
	PayBound       = 80 * time.Second  // code …93: never confirmed, closed
	LateDelay      = 85 * time.Second  // code …96: paid past the client's patience
	DefaultExpiry  = 120 * time.Second // precreate TIME_EXPIRE when absent
	RevokeStep     = 3 * time.Second   // opType ACO: STATE 3 lasts this long before 2
	NotifyInterval = 5 * time.Second   // between notification attempts
	NotifyAttempts = 30                // notification attempts at most
)

// DemoUser is one login of the sandbox merchant (WIRE.md §9).
type DemoUser struct {
	ID        string
	LoginName string
	Password  string
	Name      string
	UserType  string // "1" no refund permission, "2" refund permission
	LoginFlag string // "0" login disabled, "1" allowed
}

// DemoUsers are the sandbox's logins (WIRE.md §9).
var DemoUsers = []DemoUser{
	{ID: "101", LoginName: "cashier01", Password: "1234", Name: "Cashier 01", UserType: "1", LoginFlag: "1"},
	{ID: "102", LoginName: "manager01", Password: "8888", Name: "Manager 01", UserType: "2", LoginFlag: "1"},
	{ID: "103", LoginName: "disabled01", Password: "0000", Name: "Disabled 01", UserType: "1", LoginFlag: "0"},
}

// Options configures a sandbox. The zero value is a real-time, memory-only
// sandbox that logs nothing.
type Options struct {
	// TimeScale multiplies every delay: the 8 s / 80 s / 85 s pay paths, the
	// precreate expiry, the ACO revocation step and the notification retry
	// interval. 1 is real time; 0 means 1; 0.001 runs an 80 s path in 80 ms.
	TimeScale float64
	// StatePath, when set, is a JSON file loaded by New and rewritten
	// atomically after every change, so a restarted sandbox keeps its ledger.
	StatePath string
	// PublicURL is the base of BAR_CODE (e.g. "http://192.168.1.20:8089");
	// empty: the Host the precreate request reached.
	PublicURL string
	// Logger receives the sandbox's logs (subsystem "sandbox"); nil discards.
	Logger *slog.Logger
	// HTTPClient sends notifications; nil: a client with a 10 s timeout.
	HTTPClient *http.Client
	// Now gives the time of BEGIN_TIME, END_TIME and dates; nil: time.Now.
	// Delays always run on real (scaled) timers.
	Now func() time.Time
}

// Server is the simulated SOSOPAY gateway, an http.Handler. It is safe for
// concurrent use. Close stops its timers and notifications.
type Server struct {
	opts      Options
	scale     float64
	publicURL string
	log       *slog.Logger
	client    *http.Client
	now       func() time.Time
	merchant  *merchant
	mux       *http.ServeMux

	saveMu sync.Mutex // serialises state-file writes; taken before mu, never inside it

	mu      sync.Mutex
	l       *ledger
	waiters map[string]chan struct{} // CHARGE_CODE → closed when it leaves STATE 0
	closed  bool

	closing chan struct{}
	ctx     context.Context // cancelled by Close; bounds notifications
	cancel  context.CancelFunc
	wg      sync.WaitGroup // timers and notifications
}

// New makes a sandbox, loading Options.StatePath when it exists and resuming
// the timed steps and notifications it records.
func New(opts Options) (*Server, error) {
	scale := opts.TimeScale
	if scale == 0 {
		scale = 1
	}
	if scale < 0 || math.IsNaN(scale) || math.IsInf(scale, 0) {
		return nil, fmt.Errorf("sandbox: TimeScale %v: want a positive number (1 is real time)", opts.TimeScale)
	}
	public := strings.TrimRight(opts.PublicURL, "/")
	if public != "" {
		u, err := url.Parse(public)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("sandbox: PublicURL %q: want an absolute http(s) URL such as http://192.168.1.20:8089", opts.PublicURL)
		}
	}
	l, err := loadLedger(opts.StatePath)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	s := &Server{
		opts:      opts,
		scale:     scale,
		publicURL: public,
		log:       opts.Logger,
		client:    opts.HTTPClient,
		now:       opts.Now,
		merchant:  &merchant{busiID: DemoBusiID, secret: DemoSecret, name: DemoCompanyName},
		l:         l,
		waiters:   map[string]chan struct{}{},
		closing:   make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("subsystem", "sandbox")
	if s.client == nil {
		s.client = &http.Client{Timeout: 10 * time.Second}
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())

	s.mux = http.NewServeMux()
	s.mux.HandleFunc(ServicePath, s.serveService)
	s.mux.HandleFunc(strings.TrimSuffix(ServicePath, "/"), s.serveService)
	s.mux.HandleFunc("GET "+LedgerPath, s.serveLedger)
	s.mux.HandleFunc("GET "+QRPathPrefix+"{code}", s.serveQR)
	s.mux.HandleFunc("POST "+CustomerPayPath, s.serveCustomerPay)

	s.resume()
	s.log.Info("sandbox ready", "busi_id", DemoBusiID, "time_scale", scale,
		"state_path", opts.StatePath, "transactions", len(l.order))
	return s, nil
}

// ServeHTTP serves the service path and the /sandbox/ pages.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Close stops the timers and notifications and waits for them. Steps not
// yet due stay in the state file and resume at the next New. Close is
// idempotent; calls after it answer 503.
func (s *Server) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.closing)
		s.cancel()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// scaled applies the time scale to a delay.
func (s *Server) scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) * s.scale)
}

func (s *Server) lookupMerchant(busi string) *merchant {
	if busi == s.merchant.busiID {
		return s.merchant
	}
	return nil
}

// reply is a service's answer: a message, or a transport-level behaviour.
type reply struct {
	msg    fields
	status int  // non-zero: this HTTP status with no message (§2.3)
	drop   bool // close the connection without answering (code …94)
	// for the log
	chargeCode string
	code       string
	info       string
}

func failReply(f *fault) reply {
	return reply{msg: fields{{"RESULT", resultFields(f.code, f.info)}}, code: f.code, info: f.info}
}

func (s *Server) serveService(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	start := time.Now()
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	var rep reply
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	req, flt := decodeRequest(r.URL.Query(), body, s.lookupMerchant, s.merchant)
	if err != nil {
		flt = faultf(gateway.CodeIllegalParameter, "body: %v", err)
	}
	switch {
	case flt != nil && req.method == gateway.MethodLogin:
		rep = loginFailure(flt.code + ": " + flt.info)
		rep.code, rep.info = flt.code, flt.info
	case flt != nil:
		rep = failReply(flt)
	default:
		rep = s.dispatch(r, req)
	}
	log := s.log.With("op", req.method, "result_code", rep.code,
		"elapsed_ms", time.Since(start).Milliseconds())
	if rep.chargeCode != "" {
		log = log.With("charge_code", rep.chargeCode)
	}
	switch {
	case rep.drop:
		log.Info("call answered by dropping the connection")
		dropConnection(w)
		return
	case rep.status != 0:
		log.Info("call answered without a message", "status", rep.status)
		w.WriteHeader(rep.status)
		return
	}
	if rep.info != "" {
		log = log.With("info", rep.info)
	}
	log.Info("call")
	plain := encodeMessage(rep.msg, req.format)
	out, err := seal(plain, req.format, req.encrypt, req.merchant)
	if err != nil {
		log.Error("seal answer", "err", err)
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", out.contentType)
	if out.sign != "" {
		w.Header().Set(gateway.SignHeader, out.sign)
	}
	w.WriteHeader(http.StatusOK)
	w.Write(out.body)
}

// dropConnection closes the client's connection without an answer: the
// request may have had its effect, the client cannot know (code …94).
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // HTTP/2 or a recorder: abort the stream instead
	}
	conn.Close()
}

func (s *Server) dispatch(r *http.Request, req *request) reply {
	switch req.method {
	case gateway.MethodPay:
		return s.pay(r.Context(), req)
	case gateway.MethodPrecreate:
		return s.precreate(r, req)
	case gateway.MethodQuery:
		return s.query(req)
	case gateway.MethodCancel:
		return s.cancelTrade(req)
	case gateway.MethodRefund:
		return s.refund(req)
	case gateway.MethodBatchQuery:
		return s.batchQuery(req)
	case gateway.MethodChannels:
		return s.channels(req)
	case gateway.MethodLogin:
		return s.login(req)
	}
	// decodeRequest refused unknown methods already.
	return failReply(faultf(gateway.CodeIllegalParameter, "method: unknown service %q", req.method))
}

// Running is a sandbox listening on a TCP address.
type Running struct {
	// URL is the base URL, e.g. "http://127.0.0.1:41234" (no trailing slash).
	URL string
	// Server is the sandbox itself, for Ledger and the like.
	Server *Server

	http *http.Server
	done chan struct{}

	connMu sync.Mutex
	fresh  map[net.Conn]bool // connections that have not sent a request yet
}

// trackConn remembers connections in http.StateNew: Shutdown would wait
// 5 s for each before calling it idle, and a client's transport often
// dials one it then does not use.
func (r *Running) trackConn(c net.Conn, st http.ConnState) {
	r.connMu.Lock()
	defer r.connMu.Unlock()
	if st == http.StateNew {
		r.fresh[c] = true
	} else {
		delete(r.fresh, c)
	}
}

func (r *Running) closeFreshConns() {
	r.connMu.Lock()
	defer r.connMu.Unlock()
	for c := range r.fresh {
		c.Close()
		delete(r.fresh, c)
	}
}

// ServiceURL is the gateway service URL to configure a client with.
func (r *Running) ServiceURL() string { return r.URL + ServicePath }

// Start makes a sandbox with opts and serves it on addr ("127.0.0.1:0" picks
// a free port). It is what `posterm sandbox --listen ADDR`, the demo and the
// tests use.
func Start(addr string, opts Options) (*Running, error) {
	s, err := New(opts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("sandbox: listen %s: %w", addr, err)
	}
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	run := &Running{URL: "http://" + displayAddr(ln.Addr()), Server: s, http: hs,
		done: make(chan struct{}), fresh: map[net.Conn]bool{}}
	hs.ConnState = run.trackConn
	go func() {
		defer close(run.done)
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serve", "err", err)
		}
	}()
	s.log.Info("sandbox listening", "url", run.URL)
	return run, nil
}

// displayAddr turns a listener address into a host:port a client can dial.
func displayAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
}

// Close stops the sandbox (waking calls that wait on the simulated wallet)
// and then the listener, waiting up to 5 s for calls in progress.
func (r *Running) Close() error {
	r.Server.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- r.http.Shutdown(ctx) }()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	var err error
wait:
	for {
		r.closeFreshConns()
		select {
		case err = <-shut:
			break wait
		case <-tick.C:
		}
	}
	if err != nil {
		err = r.http.Close()
	}
	<-r.done
	return err
}
