package pos

import (
	"fmt"
	"time"
)

// Timings are every timeout, interval and bound of the checkout and the
// reconciler. main fills them from config.toml ([checkout] pay_timeout,
// query_interval, give_up_after, precreate_expiry, call_timeout;
// [reconcile] interval, concurrency, rate_per_second, lease, retry_base,
// retry_max); a zero field takes its default (DefaultTimings).
type Timings struct {
	// PayTimeout is the client deadline of one sosopay.trade.pay call. It is
	// longer than the vendor's 80 s bound (WIRE.md §4.2) so that the gateway's
	// own answer at 80 s can still arrive. Default 95 s.
	PayTimeout time.Duration
	// QueryInterval is the pause between two queries while a charge's
	// outcome is unknown or a QR is awaited. Alipay asks for 5 s between
	// queries of a pay in progress, WeChat for a 5–10 s polling cadence on
	// a "USERPAYING"; 3 s keeps the cashier's wait short while staying far
	// below any rate limit. Default 3 s.
	QueryInterval time.Duration
	// GiveUpAfter bounds how long the register waits for an unknown pay,
	// counted from the send: the vendor bounds a pay at 80 s and cancels it
	// itself then. Past it the register cancels. Default 80 s.
	GiveUpAfter time.Duration
	// PrecreateExpiry is how long a QR stays payable (TIME_EXPIRE). Default 120 s.
	PrecreateExpiry time.Duration
	// CallTimeout is the client deadline of every other call (query,
	// cancel, refund, precreate). Default 15 s.
	CallTimeout time.Duration

	// ReconcileInterval is the pause between two reconciler passes. Default 30 s.
	ReconcileInterval time.Duration
	// Concurrency is how many rows the reconciler works on at once. Default 4.
	Concurrency int
	// RatePerSecond bounds the reconciler's gateway calls (token bucket,
	// bursts of up to one second's worth). Default 5; negative = unlimited.
	RatePerSecond float64
	// Lease is how long a claimed row is the reconciler's alone. It must
	// exceed the time one row takes (a query and a cancel). Default 2 min.
	Lease time.Duration
	// RetryBase and RetryMax bound the exponential backoff (with jitter) of
	// a row that stays unsettled. Defaults 5 s and 5 min.
	RetryBase time.Duration
	RetryMax  time.Duration
}

// DefaultTimings returns the defaults documented on Timings.
func DefaultTimings() Timings {
	return Timings{
		PayTimeout:        95 * time.Second,
		QueryInterval:     3 * time.Second,
		GiveUpAfter:       80 * time.Second,
		PrecreateExpiry:   120 * time.Second,
		CallTimeout:       15 * time.Second,
		ReconcileInterval: 30 * time.Second,
		Concurrency:       4,
		RatePerSecond:     5,
		Lease:             2 * time.Minute,
		RetryBase:         5 * time.Second,
		RetryMax:          5 * time.Minute,
	}
}

// WithDefaults returns t with every zero field set to its default.
func (t Timings) WithDefaults() Timings {
	d := DefaultTimings()
	def := func(v *time.Duration, dv time.Duration) {
		if *v == 0 {
			*v = dv
		}
	}
	def(&t.PayTimeout, d.PayTimeout)
	def(&t.QueryInterval, d.QueryInterval)
	def(&t.GiveUpAfter, d.GiveUpAfter)
	def(&t.PrecreateExpiry, d.PrecreateExpiry)
	def(&t.CallTimeout, d.CallTimeout)
	def(&t.ReconcileInterval, d.ReconcileInterval)
	def(&t.Lease, d.Lease)
	def(&t.RetryBase, d.RetryBase)
	def(&t.RetryMax, d.RetryMax)
	if t.Concurrency == 0 {
		t.Concurrency = d.Concurrency
	}
	if t.RatePerSecond == 0 {
		t.RatePerSecond = d.RatePerSecond
	}
	return t
}

// Validate reports the first nonsensical value, naming its config key.
func (t Timings) Validate() error {
	for _, f := range []struct {
		key string
		v   time.Duration
	}{
		{"checkout.pay_timeout", t.PayTimeout}, {"checkout.query_interval", t.QueryInterval},
		{"checkout.give_up_after", t.GiveUpAfter}, {"checkout.precreate_expiry", t.PrecreateExpiry},
		{"checkout.call_timeout", t.CallTimeout}, {"reconcile.interval", t.ReconcileInterval},
		{"reconcile.lease", t.Lease}, {"reconcile.retry_base", t.RetryBase}, {"reconcile.retry_max", t.RetryMax},
	} {
		if f.v < 0 {
			return fmt.Errorf("%s: %s is negative; use a duration such as \"5s\"", f.key, f.v)
		}
	}
	if t.Concurrency < 0 {
		return fmt.Errorf("reconcile.concurrency: %d is negative; use 1 or more", t.Concurrency)
	}
	if t.PrecreateExpiry > 0 && t.PrecreateExpiry < time.Second {
		return fmt.Errorf("checkout.precreate_expiry: %s is under the gateway's 1 s resolution", t.PrecreateExpiry)
	}
	if t.RetryMax > 0 && t.RetryBase > t.RetryMax {
		return fmt.Errorf("reconcile.retry_base %s exceeds reconcile.retry_max %s", t.RetryBase, t.RetryMax)
	}
	return nil
}
