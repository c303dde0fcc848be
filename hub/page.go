package hub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"posterm/pos"
)

// The manager's page: server-rendered (html/template), read-only,
// refreshing itself every RefreshSeconds, in zh-CN or en (?lang=), behind a
// login checked with the gateway (sosoauth.login, pos.Login): managers of
// the configured merchant only — a cashier's login is refused.

// SessionTTL is how long a manager stays logged in.
const SessionTTL = 8 * time.Hour

// Page serves the manager's page. Safe for concurrent use.
type Page struct {
	Store *Store
	// Login checks a user name and password with the gateway.
	Login  func(ctx context.Context, user, password string) (pos.Cashier, error)
	BusiID string         // the merchant whose managers may log in
	Zone   *time.Location // the shop's zone: "today" starts at its midnight
	Clock  pos.Clock      // pos.SystemClock() when nil
	Log    *slog.Logger
	// RefreshSeconds: the page reloads itself; 10 when zero.
	RefreshSeconds int

	mu       sync.Mutex
	sessions map[string]session
}

type session struct {
	user  string
	until time.Time
}

const cookieName = "posterm_hub"

func (p *Page) now() time.Time {
	if p.Clock == nil {
		return time.Now()
	}
	return p.Clock.Now()
}

// Handler returns the page's routes: GET /, GET and POST /login, POST /logout.
func (p *Page) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", p.serveReport)
	mux.HandleFunc("GET /login", p.serveLoginForm)
	mux.HandleFunc("POST /login", p.serveLogin)
	mux.HandleFunc("POST /logout", p.serveLogout)
	return mux
}

func lang(r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "en" || l == "zh-CN" {
		return l
	}
	if c, err := r.Cookie("posterm_lang"); err == nil && (c.Value == "en" || c.Value == "zh-CN") {
		return c.Value
	}
	return "zh-CN"
}

func (p *Page) user(r *http.Request) (string, bool) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return "", false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.sessions[c.Value]
	if !ok || p.now().After(s.until) {
		delete(p.sessions, c.Value)
		return "", false
	}
	return s.user, true
}

func (p *Page) setLang(w http.ResponseWriter, r *http.Request) string {
	l := lang(r)
	if r.URL.Query().Get("lang") != "" {
		http.SetCookie(w, &http.Cookie{Name: "posterm_lang", Value: l, Path: "/", SameSite: http.SameSiteStrictMode})
	}
	return l
}

func (p *Page) serveLoginForm(w http.ResponseWriter, r *http.Request) {
	l := p.setLang(w, r)
	p.render(w, http.StatusOK, "login", map[string]any{"T": texts[l], "Lang": l})
}

func (p *Page) serveLogin(w http.ResponseWriter, r *http.Request) {
	l := lang(r)
	user, pw := r.PostFormValue("user"), r.PostFormValue("password")
	c, err := p.Login(r.Context(), user, pw)
	msg := ""
	switch {
	case err != nil:
		msg = texts[l]["login_failed"]
		if errors.Is(err, pos.ErrGatewayUnreachable) {
			msg = texts[l]["gateway_down"]
		}
	case c.Role != pos.RoleManager || (p.BusiID != "" && c.CompanyCode != p.BusiID):
		msg = texts[l]["not_manager"]
	}
	if msg != "" {
		if p.Log != nil {
			p.Log.Warn("hub page: login refused", "user", pos.CleanText(user), "err", err)
		}
		p.render(w, http.StatusForbidden, "login", map[string]any{"T": texts[l], "Lang": l, "Error": msg})
		return
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	p.mu.Lock()
	if p.sessions == nil {
		p.sessions = map[string]session{}
	}
	p.sessions[tok] = session{user: c.LoginName, until: p.now().Add(SessionTTL)}
	p.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: tok, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, MaxAge: int(SessionTTL / time.Second)})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (p *Page) serveLogout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(cookieName); err == nil {
		p.mu.Lock()
		delete(p.sessions, c.Value)
		p.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

type row struct {
	Name string
	pos.ShiftTotals
}

func rows(m map[string]pos.ShiftTotals) []row {
	out := make([]row, 0, len(m))
	for k, v := range m {
		out = append(out, row{Name: k, ShiftTotals: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (p *Page) serveReport(w http.ResponseWriter, r *http.Request) {
	l := p.setLang(w, r)
	user, ok := p.user(r)
	if !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	zone := p.Zone
	if zone == nil {
		zone = pos.DefaultZone()
	}
	now := p.now().In(zone)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, zone)
	rep, err := p.Store.Report(r.Context(), today, time.Time{})
	if err != nil {
		if p.Log != nil {
			p.Log.Error("hub page", "err", err)
		}
		http.Error(w, "hub store error", http.StatusInternalServerError)
		return
	}
	type chRow struct {
		Channel string
		pos.ChannelTotals
	}
	var chans []chRow
	for ch, t := range rep.Store.ByChannel {
		chans = append(chans, chRow{Channel: channelName(ch, l), ChannelTotals: t})
	}
	sort.Slice(chans, func(i, j int) bool { return chans[i].Channel < chans[j].Channel })
	news, err := p.Store.News(r.Context(), 3)
	if err != nil {
		if p.Log != nil {
			p.Log.Error("hub page", "err", err)
		}
		http.Error(w, "hub store error", http.StatusInternalServerError)
		return
	}
	refresh := p.RefreshSeconds
	if refresh <= 0 {
		refresh = 10
	}
	p.render(w, http.StatusOK, "report", map[string]any{
		"T": texts[l], "Lang": l, "User": user, "Now": now.Format("2006-01-02 15:04:05"), "Refresh": refresh,
		"Store": rep.Store, "Tills": rows(rep.ByTill), "Cashiers": rows(rep.ByCashier), "Channels": chans,
		"Unsettled": rep.Unsettled, "Seen": rep.Tills, "UnknownTill": rep.UnknownTill, "Zone": zone,
		"News": news,
	})
}

func channelName(c pos.Channel, l string) string {
	zh := map[pos.Channel]string{pos.ChannelAlipay: "支付宝", pos.ChannelWeChat: "微信支付"}
	if l == "zh-CN" {
		if s, ok := zh[c]; ok {
			return s
		}
	}
	return c.String()
}

func (p *Page) render(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := pageTemplates.ExecuteTemplate(w, name, data); err != nil && p.Log != nil {
		p.Log.Error("hub page: render", "err", err)
	}
}

var texts = map[string]map[string]string{
	"zh-CN": {
		"title": "门店收银总览", "login": "店长登录", "user": "用户名", "password": "密码", "submit": "登录",
		"logout": "退出", "login_failed": "用户名或密码错误", "gateway_down": "无法连接支付网关，请稍后再试",
		"not_manager": "仅限本商户店长登录", "today": "今日营业额", "by_till": "按收银台", "by_channel": "按支付渠道",
		"by_cashier": "按收银员", "till": "收银台", "channel": "渠道", "cashier": "收银员", "sales": "收款",
		"refunds": "退款", "revokes": "撤销", "net": "净额", "unsettled": "未结交易（各收银台）", "none": "无",
		"code": "交易号", "state": "状态", "amount": "金额", "at": "时间", "tills_seen": "收银台连接状态",
		"events": "事件数", "last_event": "最后事件", "lag": "延迟", "unknown": "未知收银台的支付通知（已保留）",
		"store": "全店", "attempts": "收款笔数",
		"settle": "最近一次对账（各收银台）", "settle_date": "对账日", "settle_at": "对账时间", "settle_result": "结果",
		"agree": "一致", "differ": "有 %d 处差异，已更正 %d 处", "gw_count": "网关笔数",
		"zreports": "交班报表（Z 报表，各收银台最近 3 张）", "z_no": "Z 号", "z_since": "开始", "z_until": "结束",
		"closed_by": "交班人", "cash_expected": "应有现金", "cash_counted": "实点现金", "difference": "差额",
		"devices": "打印机与扫码枪（各收银台）", "printer": "打印机", "scanner": "扫码枪", "reported": "上报时间",
		"dev_ok": "正常", "dev_unknown": "未知（无法回读）", "dev_paper_low": "纸将用完", "dev_paper_out": "缺纸",
		"dev_cover_open": "纸仓盖打开", "dev_offline": "脱机/故障", "dev_unreachable": "无法连接", "dev_none": "未配置",
		"refreshing": "页面每 %d 秒自动刷新", "switch": "English", "switch_lang": "en",
	},
	"en": {
		"title": "Store takings", "login": "Manager login", "user": "User", "password": "Password", "submit": "Log in",
		"logout": "Log out", "login_failed": "Wrong user name or password", "gateway_down": "The payment gateway cannot be reached; try again",
		"not_manager": "Only managers of this merchant may log in", "today": "Takings today", "by_till": "By till",
		"by_channel": "By channel", "by_cashier": "By cashier", "till": "Till", "channel": "Channel", "cashier": "Cashier",
		"sales": "Sales", "refunds": "Refunds", "revokes": "Revokes", "net": "Net", "unsettled": "Unsettled charges (all tills)",
		"none": "none", "code": "Charge code", "state": "State", "amount": "Amount", "at": "Time", "tills_seen": "Tills",
		"events": "Events", "last_event": "Last event", "lag": "Lag", "unknown": "Notifications for unknown tills (kept)",
		"store": "Store", "attempts": "Paid",
		"settle": "Last settlement (per till)", "settle_date": "Day", "settle_at": "Run at", "settle_result": "Result",
		"agree": "agrees", "differ": "%d differences, %d corrected", "gw_count": "Gateway charges",
		"zreports": "Z reports (last 3 per till)", "z_no": "Z no.", "z_since": "From", "z_until": "Until",
		"closed_by": "Closed by", "cash_expected": "Cash expected", "cash_counted": "Cash counted", "difference": "Difference",
		"devices": "Printers and scanners (per till)", "printer": "Printer", "scanner": "Scanner", "reported": "Reported",
		"dev_ok": "OK", "dev_unknown": "unknown (no read-back)", "dev_paper_low": "paper low", "dev_paper_out": "paper out",
		"dev_cover_open": "cover open", "dev_offline": "offline / error", "dev_unreachable": "unreachable", "dev_none": "not configured",
		"refreshing": "This page refreshes every %d s", "switch": "中文", "switch_lang": "zh-CN",
	},
}

var pageTemplates = template.Must(template.New("").Funcs(template.FuncMap{
	"printf": func(f string, a ...any) string { return sprintf(f, a...) },
	"at":     func(t time.Time, z *time.Location) string { return t.In(z).Format("01-02 15:04:05") },
	"c":      func(v any) string { return pos.CleanText(fmt.Sprint(v)) }, // outside text
	"bad":    pos.DeviceBad,
	// dev names a device word in the page's language (an unknown word, from
	// a newer till, is shown cleaned).
	"dev": func(t map[string]string, word string) string {
		if s, ok := t["dev_"+word]; ok {
			return s
		}
		return pos.CleanText(word)
	},
	"ndiff": func(s pos.Settlement) int { return len(s.Differences) },
}).Parse(`
{{define "head"}}<!doctype html><html lang="{{.Lang}}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{{with .Refresh}}<meta http-equiv="refresh" content="{{.}}">{{end}}
<title>{{.T.title}}</title>
<style>body{font-family:sans-serif;margin:1em 2em}table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}td:first-child,th:first-child{text-align:left}
.err{color:#b00}.muted{color:#777}</style></head><body>{{end}}
{{define "login"}}{{template "head" .}}<h1>{{.T.login}}</h1>
{{with .Error}}<p class="err" id="error">{{.}}</p>{{end}}
<form method="post" action="/login">
<p><label>{{.T.user}} <input name="user" id="user" autocomplete="username"></label></p>
<p><label>{{.T.password}} <input name="password" id="password" type="password" autocomplete="current-password"></label></p>
<p><button type="submit" id="submit">{{.T.submit}}</button> <a href="/login?lang={{.T.switch_lang}}">{{.T.switch}}</a></p>
</form></body></html>{{end}}
{{define "totals"}}<td>{{.Total.Sales.Count}}</td><td>{{.Total.Sales.Amount}}</td><td>{{.Total.Refunds.Amount}}</td><td>{{.Total.Revokes.Amount}}</td><td class="net">{{.Total.Net}}</td>{{end}}
{{define "report"}}{{template "head" .}}
<h1>{{.T.title}} <small class="muted">{{.Now}}</small></h1>
<p class="muted">{{.User}} · <a href="/?lang={{.T.switch_lang}}">{{.T.switch}}</a> · {{printf .T.refreshing .Refresh}}
<form method="post" action="/logout" style="display:inline"><button>{{.T.logout}}</button></form></p>
<h2>{{.T.today}}</h2>
<table id="store"><tr><th>{{.T.store}}</th><th>{{.T.attempts}}</th><th>{{.T.sales}}</th><th>{{.T.refunds}}</th><th>{{.T.revokes}}</th><th>{{.T.net}}</th></tr>
<tr><td>{{.T.store}}</td>{{template "totals" .Store}}</tr></table>
<h2>{{.T.by_till}}</h2>
<table id="tills"><tr><th>{{.T.till}}</th><th>{{.T.attempts}}</th><th>{{.T.sales}}</th><th>{{.T.refunds}}</th><th>{{.T.revokes}}</th><th>{{.T.net}}</th></tr>
{{range .Tills}}<tr><td>{{c .Name}}</td>{{template "totals" .ShiftTotals}}</tr>{{else}}<tr><td colspan="6">{{$.T.none}}</td></tr>{{end}}</table>
<h2>{{.T.by_channel}}</h2>
<table id="channels"><tr><th>{{.T.channel}}</th><th>{{.T.attempts}}</th><th>{{.T.sales}}</th><th>{{.T.refunds}}</th><th>{{.T.revokes}}</th><th>{{.T.net}}</th></tr>
{{range .Channels}}<tr><td>{{.Channel}}</td><td>{{.Sales.Count}}</td><td>{{.Sales.Amount}}</td><td>{{.Refunds.Amount}}</td><td>{{.Revokes.Amount}}</td><td>{{.Net}}</td></tr>{{else}}<tr><td colspan="6">{{$.T.none}}</td></tr>{{end}}</table>
<h2>{{.T.by_cashier}}</h2>
<table id="cashiers"><tr><th>{{.T.cashier}}</th><th>{{.T.attempts}}</th><th>{{.T.sales}}</th><th>{{.T.refunds}}</th><th>{{.T.revokes}}</th><th>{{.T.net}}</th></tr>
{{range .Cashiers}}<tr><td>{{c .Name}}</td>{{template "totals" .ShiftTotals}}</tr>{{else}}<tr><td colspan="6">{{$.T.none}}</td></tr>{{end}}</table>
<h2>{{.T.unsettled}}</h2>
<table id="unsettled"><tr><th>{{.T.till}}</th><th>{{.T.code}}</th><th>{{.T.state}}</th><th>{{.T.amount}}</th><th>{{.T.cashier}}</th><th>{{.T.at}}</th></tr>
{{range .Unsettled}}<tr><td>{{c .Till}}</td><td>{{c .ChargeCode}}</td><td>{{.State}}</td><td>{{.Amount}}</td><td>{{c .Cashier}}</td><td>{{at .CreatedAt $.Zone}}</td></tr>{{else}}<tr><td colspan="6">{{$.T.none}}</td></tr>{{end}}</table>
<h2>{{.T.tills_seen}}</h2>
<table id="seen"><tr><th>{{.T.till}}</th><th>{{.T.events}}</th><th>{{.T.last_event}}</th><th>{{.T.lag}}</th></tr>
{{range .Seen}}<tr><td>{{c .Till}}</td><td>{{.Events}}</td><td>{{at .LastAt $.Zone}}</td><td>{{.Lag.Round 1000000}}</td></tr>{{else}}<tr><td colspan="4">{{$.T.none}}</td></tr>{{end}}</table>
{{with .UnknownTill}}<h2 class="err">{{$.T.unknown}}</h2><table id="unknown">
{{range .}}<tr><td>{{c .ChargeCode}}</td><td>{{c .Till}}</td><td>{{.Amount}}</td><td>×{{.Received}}</td></tr>{{end}}</table>{{end}}
<h2>{{.T.settle}}</h2>
<table id="settlements"><tr><th>{{.T.till}}</th><th>{{.T.settle_date}}</th><th>{{.T.settle_at}}</th><th>{{.T.gw_count}}</th><th>{{.T.settle_result}}</th></tr>
{{range $n := .News}}{{with $n.Settlement}}<tr><td>{{c $n.Till}}</td><td>{{c .Date}}</td><td>{{at .At $.Zone}}</td><td>{{.Gateway}}</td>
{{if .Agree}}<td class="ok">{{$.T.agree}}</td>{{else}}<td class="err">{{printf $.T.differ (ndiff .) .Corrected}}</td>{{end}}</tr>{{end}}{{end}}</table>
<h2>{{.T.zreports}}</h2>
<table id="zreports"><tr><th>{{.T.till}}</th><th>{{.T.z_no}}</th><th>{{.T.z_since}}</th><th>{{.T.z_until}}</th><th>{{.T.closed_by}}</th><th>{{.T.sales}}</th><th>{{.T.net}}</th><th>{{.T.cash_expected}}</th><th>{{.T.cash_counted}}</th><th>{{.T.difference}}</th></tr>
{{range $n := .News}}{{range $n.Z}}<tr><td>{{c $n.Till}}</td><td>{{.Number}}</td><td>{{if .Since.IsZero}}—{{else}}{{at .Since $.Zone}}{{end}}</td><td>{{at .Until $.Zone}}</td><td>{{c .ClosedBy}}</td>
<td>{{.Totals.Total.Sales.Amount}}</td><td>{{.Totals.Total.Net}}</td><td>{{.CashExpected}}</td><td>{{.CashCounted}}</td><td{{if .Difference}} class="err"{{end}}>{{.Difference}}</td></tr>{{end}}{{end}}</table>
<h2>{{.T.devices}}</h2>
<table id="devices"><tr><th>{{.T.till}}</th><th>{{.T.printer}}</th><th>{{.T.scanner}}</th><th>{{.T.reported}}</th></tr>
{{range $n := .News}}{{with $n.Devices}}<tr><td>{{c $n.Till}}</td>
<td{{if bad .Printer}} class="err"{{end}}>{{dev $.T .Printer}}{{with .PrinterInfo}} · {{c .}}{{end}}</td>
<td{{if bad .Scanner}} class="err"{{end}}>{{dev $.T .Scanner}}{{with .ScannerPort}} · {{c .}}{{end}}</td><td>{{at .At $.Zone}}</td></tr>{{end}}{{end}}</table>
</body></html>{{end}}
`))

func sprintf(f string, a ...any) string { return fmt.Sprintf(f, a...) }
