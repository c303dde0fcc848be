// Package config loads posterm's config.toml: defaults, the file, then
// POSTERM_<SECTION>_<KEY> environment variables, then validation. Errors name
// the file, the line and the key, and say how to fix it; they never echo
// the value of a key that may hold a secret (MayHoldSecret). Files are
// read with a size cap (MaxConfigFile, MaxSecretFile for secret_file), so
// a wrong path such as /dev/zero is an error, not an exhausted memory.
//
// Only package main calls Load; the other packages receive plain structs.
package config

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // [register] time_zone must load on a register without a zone database

	toml "github.com/pelletier/go-toml/v2"
)

// Duration is a time.Duration written as a Go duration string ("5s", "1m30s").
type Duration struct{ time.Duration }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("want a duration such as \"5s\" or \"1m30s\", got %q", b)
	}
	if v < 0 {
		return fmt.Errorf("want a positive duration, got %q", b)
	}
	d.Duration = v
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// D is shorthand for a Duration literal.
func D(v time.Duration) Duration { return Duration{v} }

// Config is the whole file. Each section is a struct; the toml tag is the
// key's name in the file and, upper-cased, in POSTERM_<SECTION>_<KEY>.
type Config struct {
	Gateway   Gateway   `toml:"gateway"`
	Register  Register  `toml:"register"`
	Journal   Journal   `toml:"journal"`
	Log       Log       `toml:"log"`
	UI        UI        `toml:"ui"`
	Checkout  Checkout  `toml:"checkout"`
	Reconcile Reconcile `toml:"reconcile"`
	Scanner   Scanner   `toml:"scanner"`
	Printer   Printer   `toml:"printer"`
	Sandbox   Sandbox   `toml:"sandbox"`
	Hub       Hub       `toml:"hub"`

	// Path is the file the config was read from ("" for defaults only).
	Path string `toml:"-"`

	// lines maps "section.key" to its line in Path, for error messages.
	lines map[string]int
}

// Gateway is the SOSOPAY connection (WIRE.md §1–§2).
type Gateway struct {
	URL          string   `toml:"url"`
	BusiID       string   `toml:"busi_id"`
	Secret       string   `toml:"secret"`
	SecretFile   string   `toml:"secret_file"`
	Format       string   `toml:"format"`
	Encrypt      bool     `toml:"encrypt"`
	RequireSign  bool     `toml:"require_sign"`
	Timeout      Duration `toml:"timeout"`
	PayTimeout   Duration `toml:"pay_timeout"`
	NotifyURL    string   `toml:"notify_url"`
	NotifyListen string   `toml:"notify_listen"`
	// AllowHTTP accepts a plain http:// url to a host other than loopback.
	AllowHTTP bool `toml:"allow_http"`
	// CAFile is a PEM file of certificates trusted for an https:// url,
	// besides the system's.
	CAFile string `toml:"ca_file"`
	// BatchQueryKeys spells the batch query's PageNum, ChannelType and
	// ChargeCode: "vendor" (the vendor's table) or "camel" (WIRE.md §4.7).
	BatchQueryKeys string `toml:"batch_query_keys"`
	// SendTimeExpire sends TIME_EXPIRE with a precreate (not in the vendor's
	// document, WIRE.md §4.3).
	SendTimeExpire bool `toml:"send_time_expire"`
}

// Register identifies this till to the gateway.
type Register struct {
	DevID      string `toml:"dev_id"`
	RegisterID string `toml:"register_id"`
	OperID     string `toml:"oper_id"`
	Merchant   string `toml:"merchant_name"`
	Store      string `toml:"store_name"`
	// TimeZone is the shop's zone (IANA name): charge-code stamps are
	// written in it, never in the process's TZ. Default Asia/Shanghai.
	TimeZone string `toml:"time_zone"`
}

// Location returns the shop's zone named by TimeZone.
func (r Register) Location() (*time.Location, error) {
	if r.TimeZone == "" {
		return nil, fmt.Errorf("register.time_zone is empty")
	}
	if strings.EqualFold(r.TimeZone, "local") {
		return nil, fmt.Errorf("register.time_zone: name the shop's zone (e.g. Asia/Shanghai), not Local")
	}
	loc, err := time.LoadLocation(r.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("register.time_zone %q: not a zone name (e.g. Asia/Shanghai)", r.TimeZone)
	}
	return loc, nil
}

// Journal is the SQLite file where every transaction is kept.
type Journal struct {
	Path string `toml:"path"`
}

// Log is where and how much posterm logs.
type Log struct {
	Path  string `toml:"path"`
	Level string `toml:"level"`
}

// UI is the cashier screen.
type UI struct {
	Lang     string   `toml:"lang"`
	IdleLock Duration `toml:"idle_lock"`
}

// Checkout holds the payment timings (ARCHITECTURE.md "Time and configuration").
type Checkout struct {
	PayTimeout      Duration `toml:"pay_timeout"`
	QueryInterval   Duration `toml:"query_interval"`
	GiveUpAfter     Duration `toml:"give_up_after"`
	PrecreateExpiry Duration `toml:"precreate_expiry"`
}

// Reconcile drives the background settlement of unknown transactions.
type Reconcile struct {
	Interval      Duration `toml:"interval"`
	Concurrency   int      `toml:"concurrency"`
	RatePerSecond float64  `toml:"rate_per_second"`
	Lease         Duration `toml:"lease"`
	RetryBase     Duration `toml:"retry_base"`
	RetryMax      Duration `toml:"retry_max"`
}

// Scanner is the barcode scanner: serial (Port), a USB HID scanner read
// through evdev (Evdev), or keyboard-wedge when both are "".
type Scanner struct {
	Port           string   `toml:"port"`
	Evdev          string   `toml:"evdev"`
	Baud           int      `toml:"baud"`
	DataBits       int      `toml:"data_bits"`
	Parity         string   `toml:"parity"`
	StopBits       string   `toml:"stop_bits"`
	Terminator     string   `toml:"terminator"`
	Prefix         string   `toml:"prefix"`
	Suffix         string   `toml:"suffix"`
	WedgeGap       Duration `toml:"wedge_gap"`
	WedgeMinLength int      `toml:"wedge_min_length"`
}

// Printer is the ESC/POS receipt printer.
type Printer struct {
	Transport      string   `toml:"transport"`
	Width          int      `toml:"width"`
	Charset        string   `toml:"charset"`
	QR             string   `toml:"qr"`
	CustomerCopies int      `toml:"customer_copies"`
	MerchantCopies int      `toml:"merchant_copies"`
	Cut            string   `toml:"cut"`
	Drawer         bool     `toml:"drawer"`
	WriteTimeout   Duration `toml:"write_timeout"`
}

// Sandbox is the embedded simulated gateway (demo and tests).
type Sandbox struct {
	Enabled   bool    `toml:"enabled"`
	Listen    string  `toml:"listen"`
	TimeScale float64 `toml:"time_scale"`
	StateFile string  `toml:"state_file"`
	PublicURL string  `toml:"public_url"`
}

// ---- [hub] (branch hub: the store hub, issue 13) ----

// Hub is the store hub. On a till: URL (where the hub's NATS is; "" = no
// hub, the till works alone) and the credentials and TLS files to reach it.
// On the hub (`posterm hub`): an embedded NATS with JetStream on Listen,
// kept in StoreDir — or NATSURL, an existing NATS cluster (then with Creds
// and the TLS files) — and the hub's own store in Database.
type Hub struct {
	URL string `toml:"url"`
	// Token: a shared secret the embedded NATS asks of every client (the
	// hub's and the tills' [hub] token must match); "" for none — then
	// keep listen on loopback or a closed LAN. Never logged.
	Token    string `toml:"token"`
	Creds    string `toml:"creds"`
	CAFile   string `toml:"ca_file"`
	CertFile string `toml:"cert_file"`
	KeyFile  string `toml:"key_file"`
	Listen   string `toml:"listen"`
	StoreDir string `toml:"store_dir"`
	NATSURL  string `toml:"nats_url"`
	Replicas int    `toml:"replicas"`
	Database string `toml:"database"`
	// DatabaseURL: the hub's store on PostgreSQL (postgres://…) instead of
	// the SQLite file Database — for a chain's regional hub. Never logged.
	DatabaseURL string `toml:"database_url"`
	// HTTPListen: where the hub serves the gateway's notifications (POST
	// /notify; point the tills' [gateway] notify_url there) and the
	// manager's page; "" for neither.
	HTTPListen string `toml:"http_listen"`
}

func (c *Config) validateHub(bad func(key, format string, args ...any)) {
	h := c.Hub
	for _, ku := range [][2]string{{"hub.url", h.URL}, {"hub.nats_url", h.NATSURL}} {
		key, u := ku[0], ku[1]
		if u == "" {
			continue
		}
		for _, one := range strings.Split(u, ",") {
			if one = strings.TrimSpace(one); !strings.HasPrefix(one, "nats://") && !strings.HasPrefix(one, "tls://") {
				bad(key, "want nats://HOST:PORT or tls://HOST:PORT (comma-separated for a cluster), got %q", one)
			}
		}
	}
	if u := h.DatabaseURL; u != "" && !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
		bad("hub.database_url", "want a postgres:// URL")
	}
	if h.Replicas < 1 || h.Replicas > 5 {
		bad("hub.replicas", "want 1 (one server) to 5, got %d", h.Replicas)
	}
	if (h.CertFile == "") != (h.KeyFile == "") {
		bad("hub.cert_file", "set both cert_file and key_file, or neither")
	}
}

// ---- end [hub] ----

// Default returns the configuration used for every key the file leaves out.
// config.example.toml documents the same values; a test keeps them in step.
func Default() Config {
	return Config{
		Gateway: Gateway{
			Format:         "json",
			Encrypt:        true,
			Timeout:        D(15 * time.Second),
			PayTimeout:     D(95 * time.Second),
			BatchQueryKeys: "vendor",
		},
		Register: Register{DevID: "POS-01", RegisterID: "", OperID: "", TimeZone: "Asia/Shanghai"},
		Journal:  Journal{Path: "posterm.db"},
		Log:      Log{Path: "posterm.log", Level: "info"},
		UI:       UI{Lang: "", IdleLock: D(5 * time.Minute)},
		Checkout: Checkout{
			PayTimeout:      D(95 * time.Second),
			QueryInterval:   D(3 * time.Second),
			GiveUpAfter:     D(80 * time.Second),
			PrecreateExpiry: D(120 * time.Second),
		},
		Reconcile: Reconcile{
			Interval: D(30 * time.Second), Concurrency: 4, RatePerSecond: 5,
			Lease: D(2 * time.Minute), RetryBase: D(5 * time.Second), RetryMax: D(5 * time.Minute),
		},
		Scanner: Scanner{
			Baud: 9600, DataBits: 8, Parity: "none", StopBits: "1", Terminator: "auto",
			WedgeGap: D(40 * time.Millisecond), WedgeMinLength: 8,
		},
		Printer: Printer{
			Transport: "file:receipts.bin", Width: 58, Charset: "gb18030", QR: "native",
			CustomerCopies: 1, MerchantCopies: 0, Cut: "partial", WriteTimeout: D(5 * time.Second),
		},
		Sandbox: Sandbox{Listen: "127.0.0.1:0", TimeScale: 1},
		Hub: Hub{Listen: "127.0.0.1:4222", StoreDir: "hub-jetstream", Replicas: 1, Database: "hub.db",
			HTTPListen: "127.0.0.1:8090"},
	}
}

// Demo returns the demo profile: the embedded sandbox with its demo merchant
// (WIRE.md §9), a journal and receipts in dir.
func Demo(dir string) Config {
	c := Default()
	c.Gateway.BusiID = "0010000001"
	c.Gateway.Secret = "98SDKFUO432HNODS098EEE07U9DUOIUE"
	c.Register.Merchant = "Demo Store"
	c.Register.Store = "Demo Store No. 1"
	c.Register.RegisterID = "POS-01"
	c.Register.OperID = "cashier01"
	c.Sandbox.Enabled = true
	c.Journal.Path = dir + "/posterm-demo.db"
	c.Log.Path = dir + "/posterm-demo.log"
	c.Printer.Transport = "file:" + dir + "/receipts-demo.bin"
	c.Sandbox.StateFile = dir + "/sandbox-demo.json"
	return c
}

// Error is a configuration problem at a place in a file (or in the
// environment). Its message reads "FILE:LINE: KEY: what is wrong".
type Error struct {
	File string // file path, or "environment"
	Line int    // 1-based; 0 when the key is missing or from the environment
	Key  string // section.key, e.g. "gateway.timeout"
	Msg  string
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Key, e.Msg)
	case e.Key != "":
		return fmt.Sprintf("%s: %s: %s", e.File, e.Key, e.Msg)
	default:
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
}

// Errors is a list of configuration problems, all reported at once.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Load reads path (may be "" for defaults only) over base, then applies the
// POSTERM_* variables of environ, then validates. environ is os.Environ()
// in production and a fixed list in tests.
func Load(path string, base Config, environ []string) (Config, error) {
	var data []byte
	if path != "" {
		var err error
		data, err = readCapped(path, MaxConfigFile)
		if errors.Is(err, errTooLarge) {
			return base, fmt.Errorf("config: %s is larger than %d bytes: not a config file (check the path)", path, MaxConfigFile)
		}
		if err != nil {
			return base, fmt.Errorf("config: %w", err)
		}
	}
	return parse(path, data, base, environ)
}

// MaxConfigFile is the largest config file Load reads, in bytes.
const MaxConfigFile = 1 << 20

// parse is Load on the bytes of the file at path (none when path is "").
func parse(path string, data []byte, base Config, environ []string) (Config, error) {
	cfg := base
	cfg.Path = path
	if path != "" {
		if err := decode(path, data, &cfg); err != nil {
			return cfg, err
		}
		cfg.lines = keyLines(data)
	}
	if err := applyEnv(&cfg, environ); err != nil {
		return cfg, err
	}
	if err := cfg.resolveSecret(); err != nil {
		return cfg, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

var typeMismatch = regexp.MustCompile(`cannot decode TOML (\w+) into .* of type (\S+)$`)

func decode(path string, data []byte, cfg *Config) error {
	dec := toml.NewDecoder(strings.NewReader(string(data))).DisallowUnknownFields()
	err := dec.Decode(cfg)
	if err == nil {
		return nil
	}
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		var es Errors
		for i := range strict.Errors {
			de := &strict.Errors[i]
			row, _ := de.Position()
			key := strings.Join(de.Key(), ".")
			es = append(es, &Error{File: path, Line: row, Key: key, Msg: unknownKeyHint(key)})
		}
		return es
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, _ := de.Position()
		key := strings.Join(de.Key(), ".")
		msg := strings.TrimPrefix(de.Error(), "toml: ")
		if m := typeMismatch.FindStringSubmatch(msg); m != nil {
			msg = fmt.Sprintf("want %s, got %s", goTypeWord(m[2]), m[1])
		}
		if key == "" {
			key = "(syntax)"
		}
		return &Error{File: path, Line: row, Key: key, Msg: msg}
	}
	return &Error{File: path, Msg: err.Error()}
}

func goTypeWord(t string) string {
	switch {
	case t == "string":
		return "a string"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "int"):
		return "an integer"
	case strings.HasPrefix(t, "float"):
		return "a number"
	case strings.HasSuffix(t, "Duration"):
		return "a duration string such as \"5s\""
	}
	return t
}

// unknownKeyHint suggests the known key nearest to a mistyped one.
func unknownKeyHint(key string) string {
	section, name, _ := strings.Cut(key, ".")
	known := knownKeys()
	if _, ok := known[section]; !ok {
		return fmt.Sprintf("unknown section [%s] (known: %s)", section, strings.Join(sectionNames(), ", "))
	}
	best, bestD := "", 1<<30
	for _, k := range known[section] {
		if d := editDistance(name, k); d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" && bestD <= 3 {
		return fmt.Sprintf("unknown key (did you mean %s.%s?)", section, best)
	}
	return fmt.Sprintf("unknown key (known in [%s]: %s)", section, strings.Join(known[section], ", "))
}

// knownKeys lists the keys of each section, from the struct tags.
func knownKeys() map[string][]string {
	out := map[string][]string{}
	ct := reflect.TypeOf(Config{})
	for i := 0; i < ct.NumField(); i++ {
		sec := ct.Field(i).Tag.Get("toml")
		if sec == "-" || sec == "" {
			continue
		}
		st := ct.Field(i).Type
		for j := 0; j < st.NumField(); j++ {
			out[sec] = append(out[sec], st.Field(j).Tag.Get("toml"))
		}
	}
	return out
}

func sectionNames() []string {
	var out []string
	ct := reflect.TypeOf(Config{})
	for i := 0; i < ct.NumField(); i++ {
		if s := ct.Field(i).Tag.Get("toml"); s != "-" && s != "" {
			out = append(out, s)
		}
	}
	return out
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// EnvName is the environment variable that sets section.key.
func EnvName(section, key string) string {
	return "POSTERM_" + strings.ToUpper(section) + "_" + strings.ToUpper(key)
}

// applyEnv sets every key that has a POSTERM_<SECTION>_<KEY> variable.
// A POSTERM_ variable that names no key is an error, as a typo would
// otherwise be silently ignored (POSTERM_CONFIG is the config path itself).
func applyEnv(cfg *Config, environ []string) error {
	vars := map[string]string{}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok && strings.HasPrefix(k, "POSTERM_") {
			vars[k] = v
		}
	}
	delete(vars, "POSTERM_CONFIG")
	delete(vars, "POSTERM_USER")
	delete(vars, "POSTERM_PASSWORD")
	var es Errors
	cv := reflect.ValueOf(cfg).Elem()
	ct := cv.Type()
	for i := 0; i < ct.NumField(); i++ {
		sec := ct.Field(i).Tag.Get("toml")
		if sec == "-" || sec == "" {
			continue
		}
		sv := cv.Field(i)
		for j := 0; j < sv.NumField(); j++ {
			key := sv.Type().Field(j).Tag.Get("toml")
			name := EnvName(sec, key)
			val, ok := vars[name]
			if !ok {
				continue
			}
			delete(vars, name)
			if err := setFromString(sv.Field(j), val, !MayHoldSecret(key)); err != nil {
				es = append(es, &Error{File: "environment", Key: name, Msg: err.Error()})
			}
		}
	}
	for name := range vars {
		es = append(es, &Error{File: "environment", Key: name, Msg: "names no config key (POSTERM_<SECTION>_<KEY>, e.g. POSTERM_GATEWAY_SECRET)"})
	}
	if len(es) > 0 {
		return es
	}
	return nil
}

// MayHoldSecret reports whether the value of a key (a config key such as
// "secret" or "gateway.secret", or a variable such as
// POSTERM_GATEWAY_ENCRYPT) may hold a secret: a secret, password, token or
// encryption setting — a secret pasted into the wrong variable lands there.
// Errors about such a key name the file, line and key (or the variable)
// but never echo its value.
func MayHoldSecret(key string) bool {
	k := strings.ToLower(key)
	if strings.HasSuffix(k, "secret_file") {
		return false // a path, named on purpose in its errors
	}
	for _, w := range []string{"secret", "password", "passwd", "encrypt", "token", "credential"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// setFromString sets f from an environment variable's value s. With echo
// false, its errors do not quote s (the key may hold a secret).
func setFromString(f reflect.Value, s string, echo bool) error {
	got := func() string {
		if !echo {
			return "a value that is not shown (this key may hold a secret)"
		}
		return strconv.Quote(s)
	}
	if f.Type() == reflect.TypeOf(Duration{}) {
		var d Duration
		if err := d.UnmarshalText([]byte(s)); err != nil {
			if !echo {
				return fmt.Errorf("want a duration such as \"5s\", got %s", got())
			}
			return err
		}
		f.Set(reflect.ValueOf(d))
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("want true or false, got %s", got())
		}
		f.SetBool(b)
	case reflect.Int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("want an integer, got %s", got())
		}
		f.SetInt(int64(n))
	case reflect.Float64:
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("want a number, got %s", got())
		}
		f.SetFloat(n)
	default:
		return fmt.Errorf("unsupported type %s", f.Type())
	}
	return nil
}

// MaxSecretFile is the largest gateway.secret_file read, in bytes. A
// gateway secret is a few dozen characters; the cap keeps a wrong path
// (/dev/zero, a log, a disk image) from exhausting memory.
const MaxSecretFile = 4 << 10

// resolveSecret reads gateway.secret_file when gateway.secret is empty.
// The file's trailing newline is dropped; the secret never appears in
// errors. A file larger than MaxSecretFile is refused without being read
// whole.
func (c *Config) resolveSecret() error {
	if c.Gateway.SecretFile == "" {
		return nil
	}
	bad := func(msg string) error {
		return &Error{File: c.file(), Line: c.lines["gateway.secret_file"], Key: "gateway.secret_file", Msg: msg}
	}
	if c.Gateway.Secret != "" {
		return bad("set either secret or secret_file, not both")
	}
	b, err := readCapped(c.Gateway.SecretFile, MaxSecretFile)
	if errors.Is(err, errTooLarge) {
		return bad(fmt.Sprintf("%s is larger than %d bytes: not a secret file (check the path)", c.Gateway.SecretFile, MaxSecretFile))
	}
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return bad(fmt.Sprintf("cannot read the secret file %s: %v", c.Gateway.SecretFile, err))
	}
	c.Gateway.Secret = strings.TrimRight(string(b), "\r\n")
	return nil
}

var errTooLarge = errors.New("file too large")

// readCapped reads the file at path, at most max bytes; a longer file (or
// an endless device such as /dev/zero) is errTooLarge.
func readCapped(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, errTooLarge
	}
	return b, nil
}

// keyLines finds the line of each "section.key = …" in a TOML file that
// decoded without error, so that a bad value can be pointed at.
func keyLines(data []byte) map[string]int {
	out := map[string]int{}
	section := ""
	for i, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		if t == "" || t[0] == '#' {
			continue
		}
		if t[0] == '[' {
			name := strings.TrimPrefix(t, "[")
			section = strings.TrimSpace(name[:strings.IndexByte(name+"]", ']')])
			continue
		}
		if k, _, ok := strings.Cut(t, "="); ok {
			k = strings.Trim(strings.TrimSpace(k), `"'`)
			out[section+"."+k] = i + 1
		}
	}
	return out
}

// redactURL hides the password of a URL with user information, so that
// an error about the URL does not echo it.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		return u.Redacted()
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		return "…" + s[i:]
	}
	return s
}

func (c *Config) file() string {
	if c.Path == "" {
		return "config"
	}
	return c.Path
}

// Validate checks every value and reports all problems at once.
func (c *Config) Validate() error {
	var es Errors
	bad := func(key, format string, args ...any) {
		es = append(es, &Error{File: c.file(), Line: c.lines[key], Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if !c.Sandbox.Enabled {
		if c.Gateway.URL == "" {
			bad("gateway.url", "required: the gateway's service URL (or set [sandbox] enabled = true)")
		}
		if c.Gateway.BusiID == "" {
			bad("gateway.busi_id", "required: the merchant ID (BUSI_ID)")
		}
		if c.Gateway.Secret == "" {
			bad("gateway.secret", "required: set secret, secret_file, or POSTERM_GATEWAY_SECRET")
		}
	}
	if c.Gateway.URL != "" && !strings.HasPrefix(c.Gateway.URL, "http://") && !strings.HasPrefix(c.Gateway.URL, "https://") {
		bad("gateway.url", "want an http:// or https:// URL, got %q", redactURL(c.Gateway.URL))
	}
	if f := strings.ToLower(c.Gateway.Format); f != "json" && f != "xml" {
		bad("gateway.format", "want json or xml, got %q", c.Gateway.Format)
	}
	if c.Gateway.PayTimeout.Duration <= 80*time.Second {
		bad("gateway.pay_timeout", "must outlast the vendor's 80 s bound, got %s", c.Gateway.PayTimeout)
	}
	if c.Gateway.Timeout.Duration <= 0 {
		bad("gateway.timeout", "must be positive")
	}
	if k := c.Gateway.BatchQueryKeys; k != "vendor" && k != "camel" {
		bad("gateway.batch_query_keys", "want vendor or camel, got %q", k)
	}
	if c.Journal.Path == "" {
		bad("journal.path", "required: where the SQLite journal lives")
	}
	if _, err := c.Register.Location(); err != nil {
		bad("register.time_zone", "want an IANA zone name such as Asia/Shanghai, got %q", c.Register.TimeZone)
	}
	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "want debug, info, warn or error, got %q", c.Log.Level)
	}
	switch c.UI.Lang {
	case "", "zh-CN", "en":
	default:
		bad("ui.lang", "want zh-CN or en (or empty for LANG), got %q", c.UI.Lang)
	}
	ck := c.Checkout
	if ck.QueryInterval.Duration <= 0 || ck.GiveUpAfter.Duration <= 0 || ck.PrecreateExpiry.Duration <= 0 || ck.PayTimeout.Duration <= 0 {
		bad("checkout", "every duration must be positive")
	}
	if ck.PayTimeout.Duration < ck.GiveUpAfter.Duration {
		bad("checkout.pay_timeout", "must be at least give_up_after (%s): a pay call outlasts the bound", ck.GiveUpAfter)
	}
	if ck.QueryInterval.Duration >= ck.GiveUpAfter.Duration {
		bad("checkout.query_interval", "must be shorter than give_up_after (%s)", ck.GiveUpAfter)
	}
	if c.Reconcile.Concurrency < 1 || c.Reconcile.Concurrency > 64 {
		bad("reconcile.concurrency", "want 1 to 64, got %d", c.Reconcile.Concurrency)
	}
	if c.Reconcile.RatePerSecond <= 0 {
		bad("reconcile.rate_per_second", "must be positive, got %v", c.Reconcile.RatePerSecond)
	}
	if c.Reconcile.Interval.Duration <= 0 {
		bad("reconcile.interval", "must be positive")
	}
	if c.Reconcile.Lease.Duration < 10*time.Second {
		bad("reconcile.lease", "want at least 10s (one query and one cancel), got %s", c.Reconcile.Lease)
	}
	if c.Reconcile.RetryBase.Duration <= 0 || c.Reconcile.RetryMax.Duration < c.Reconcile.RetryBase.Duration {
		bad("reconcile.retry_max", "want retry_base > 0 and retry_max >= retry_base")
	}
	if strings.TrimSpace(c.Scanner.Port) != "" && strings.TrimSpace(c.Scanner.Evdev) != "" {
		bad("scanner.evdev", "set either port (a serial scanner) or evdev (a USB keyboard scanner), not both")
	}
	switch strings.ToLower(c.Scanner.Terminator) {
	case "auto", "cr", "lf", "crlf", "tab":
	default:
		bad("scanner.terminator", "want auto, CR, LF, CRLF or TAB, got %q", c.Scanner.Terminator)
	}
	switch strings.ToLower(c.Scanner.Parity) {
	case "none", "odd", "even", "mark", "space":
	default:
		bad("scanner.parity", "want none, odd, even, mark or space, got %q", c.Scanner.Parity)
	}
	if c.Scanner.Baud <= 0 {
		bad("scanner.baud", "must be positive, got %d", c.Scanner.Baud)
	}
	if c.Scanner.DataBits < 5 || c.Scanner.DataBits > 8 {
		bad("scanner.data_bits", "want 5 to 8, got %d", c.Scanner.DataBits)
	}
	switch c.Scanner.StopBits {
	case "1", "1.5", "2":
	default:
		bad("scanner.stop_bits", "want 1, 1.5 or 2, got %q", c.Scanner.StopBits)
	}
	if c.Printer.Width != 58 && c.Printer.Width != 80 {
		bad("printer.width", "want 58 or 80 (mm), got %d", c.Printer.Width)
	}
	switch strings.ToLower(c.Printer.QR) {
	case "native", "raster", "none":
	default:
		bad("printer.qr", "want native, raster or none, got %q", c.Printer.QR)
	}
	switch strings.ToLower(c.Printer.Cut) {
	case "partial", "full", "none":
	default:
		bad("printer.cut", "want partial, full or none, got %q", c.Printer.Cut)
	}
	if c.Printer.Transport != "" && !strings.Contains(c.Printer.Transport, ":") {
		bad("printer.transport", "want file:PATH, serial:PORT, lp:/dev/usb/lp0 or tcp:HOST:9100, got %q", c.Printer.Transport)
	}
	if n := c.Printer.CustomerCopies + c.Printer.MerchantCopies; c.Printer.CustomerCopies < 0 || c.Printer.MerchantCopies < 0 || n < 1 || n > 5 {
		bad("printer.customer_copies", "want 1 to 5 copies in all (customer_copies + merchant_copies); for no receipts at all set transport = \"\"")
	}
	if c.Sandbox.TimeScale <= 0 {
		bad("sandbox.time_scale", "must be positive, got %v", c.Sandbox.TimeScale)
	}
	c.validateHub(bad)
	if len(es) > 0 {
		return es
	}
	return nil
}
