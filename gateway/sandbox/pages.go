package sandbox

import (
	"encoding/json"
	"html/template"
	"net/http"
	"strings"

	"posterm/gateway"
	"posterm/pos"
)

// Ledger is the JSON of GET /sandbox/ledger (WIRE.md §9).
type Ledger struct {
	BusiCode       string              `json:"busiCode"`
	Transactions   []LedgerTransaction `json:"transactions"`
	RevokedSerials []string            `json:"revokedSerials"`
}

// LedgerTransaction is one transaction of the ledger. Amounts are in fen;
// REFUNDED_FEN is the sum of REFUNDS (a revocation is STATE 2, not a refund);
// DYNAMIC_ID is masked.
type LedgerTransaction struct {
	Kind            string         `json:"KIND"`
	ChargeCode      string         `json:"CHARGE_CODE"`
	ChargeDownCode  string         `json:"CHARGE_DOWN_CODE"`
	State           int            `json:"STATE"`
	AmtFen          pos.Money      `json:"AMT_FEN"`
	RefundedFen     pos.Money      `json:"REFUNDED_FEN"`
	Refunds         []LedgerRefund `json:"REFUNDS"`
	ChannelType     int            `json:"CHANNEL_TYPE"`
	ChargeThirdCode string         `json:"CHARGE_THIRD_CODE,omitempty"`
	OperID          string         `json:"OPER_ID"`
	DevID           string         `json:"DEV_ID"`
	PaySubject      string         `json:"PAY_SUBJECT"`
	DynamicID       string         `json:"DYNAMIC_ID,omitempty"`
	BeginTime       string         `json:"BEGIN_TIME"`
	EndTime         string         `json:"END_TIME,omitempty"`
	Info            string         `json:"INFO,omitempty"`
	BarCode         string         `json:"BAR_CODE,omitempty"`
	NodifyURL       string         `json:"NODIFY_URL,omitempty"`
	NotifyAttempts  int            `json:"NOTIFY_ATTEMPTS"`
	Notified        bool           `json:"NOTIFIED"`
}

// LedgerRefund is one refund of a ledger transaction.
type LedgerRefund struct {
	OutRefundNo string    `json:"OUT_REFUND_NO"`
	AmtFen      pos.Money `json:"AMT_FEN"`
}

// Ledger returns the ledger as GET /sandbox/ledger shows it, for tests and
// the demo in the same process.
func (s *Server) Ledger() Ledger {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := Ledger{
		BusiCode:       s.merchant.busiID,
		Transactions:   make([]LedgerTransaction, 0, len(s.l.order)),
		RevokedSerials: append([]string{}, s.l.revoked...),
	}
	for _, t := range s.l.order {
		lt := LedgerTransaction{
			Kind: t.Kind, ChargeCode: t.ChargeCode, ChargeDownCode: t.ChargeDownCode, State: t.State,
			AmtFen: t.Amt, RefundedFen: t.refunded(), Refunds: []LedgerRefund{},
			ChannelType: t.ChannelType, ChargeThirdCode: t.ChargeThirdCode,
			OperID: t.OperID, DevID: t.DevID, PaySubject: t.PaySubject,
			BeginTime: stamp(t.BeginTime), EndTime: stamp(t.EndTime), Info: t.Info,
			BarCode: t.BarCode, NodifyURL: t.NodifyURL,
			NotifyAttempts: t.NotifyAttempts, Notified: t.Notified,
		}
		if t.DynamicID != "" {
			lt.DynamicID = pos.MaskCode(t.DynamicID)
		}
		for _, r := range t.Refunds {
			lt.Refunds = append(lt.Refunds, LedgerRefund{OutRefundNo: r.OutRefundNo, AmtFen: r.Amount})
		}
		out.Transactions = append(out.Transactions, lt)
	}
	return out
}

func (s *Server) serveLedger(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Ledger())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// qrPage is what a phone shows after scanning BAR_CODE: the sale and a Pay
// button that plays the customer.
var qrPage = template.Must(template.New("qr").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>SOSOPAY sandbox</title>
<style>body{font-family:sans-serif;max-width:26em;margin:2em auto;padding:0 1em}
.amt{font-size:2.5em;font-weight:bold}button{font-size:1.4em;padding:.5em 2em}</style></head>
<body><h1>{{.Wallet}} (sandbox)</h1>
{{if .Found}}<p>{{.Merchant}}</p><p class="amt">¥ {{.Amount}}</p><p>{{.Subject}}</p>
<p>{{.Status}}</p>
{{if .Payable}}<form method="post" action="{{.Action}}"><button type="submit">Pay</button></form>{{end}}
{{else}}<p>No such payment code.</p>{{end}}
</body></html>
`))

var resultPage = template.Must(template.New("result").Parse(`<!doctype html>
<meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>SOSOPAY sandbox</title><h1 style="font-family:sans-serif">{{.}}</h1>
`))

type qrView struct {
	Found                             bool
	Wallet, Merchant, Amount, Subject string
	Status, Action                    string
	Payable                           bool
}

var stateText = map[int]string{
	gateway.StatePending:           "Waiting for payment",
	gateway.StatePaid:              "Paid",
	gateway.StateRevoked:           "Revoked",
	gateway.StateRevocationApplied: "Revocation applied",
	gateway.StatePartiallyRefunded: "Partially refunded",
	gateway.StateRefunded:          "Refunded",
	gateway.StateClosed:            "Closed",
}

func walletName(channel int) string {
	if channel == gateway.ChannelWeChat {
		return "WeChat Pay"
	}
	return "Alipay"
}

func (s *Server) serveQR(w http.ResponseWriter, r *http.Request) {
	down := r.PathValue("code")
	v := qrView{Wallet: "SOSOPAY"}
	s.mu.Lock()
	if t := s.l.byDown[down]; t != nil && t.Kind == KindPrecreate {
		v = qrView{
			Found: true, Wallet: walletName(t.ChannelType), Merchant: s.merchant.name,
			Amount: t.Amt.Yuan(), Subject: t.PaySubject, Status: stateText[t.State],
			Payable: t.State == gateway.StatePending,
			Action:  CustomerPayPath + "?barcode=" + down,
		}
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html;charset=UTF-8")
	if !v.Found {
		w.WriteHeader(http.StatusNotFound)
	}
	qrPage.Execute(w, v)
}

// customerPayResult is the JSON answer of POST /sandbox/customer/pay.
type customerPayResult struct {
	ChargeCode     string `json:"CHARGE_CODE,omitempty"`
	ChargeDownCode string `json:"CHARGE_DOWN_CODE,omitempty"`
	State          int    `json:"STATE"`
	Message        string `json:"message"`
}

// serveCustomerPay plays the customer paying a precreated QR. barcode is the
// whole BAR_CODE or its last segment. 200: paid now; 404: unknown code;
// 409: not payable (already paid, closed or expired), with its STATE.
func (s *Server) serveCustomerPay(w http.ResponseWriter, r *http.Request) {
	down := r.URL.Query().Get("barcode")
	if i := strings.IndexAny(down, "?#"); i >= 0 {
		down = down[:i]
	}
	down = strings.TrimRight(down, "/")
	down = down[strings.LastIndex(down, "/")+1:]
	status, res := s.customerPay(down)
	if strings.Contains(r.Header.Get("Accept"), "text/html") {
		w.Header().Set("Content-Type", "text/html;charset=UTF-8")
		w.WriteHeader(status)
		resultPage.Execute(w, res.Message)
		return
	}
	writeJSON(w, status, res)
}

func (s *Server) customerPay(down string) (int, customerPayResult) {
	s.mu.Lock()
	t := s.l.byDown[down]
	if t == nil || t.Kind != KindPrecreate {
		s.mu.Unlock()
		return http.StatusNotFound, customerPayResult{ChargeDownCode: down, Message: "no such QR code"}
	}
	res := customerPayResult{ChargeCode: t.ChargeCode, ChargeDownCode: t.ChargeDownCode}
	if t.State != gateway.StatePending {
		res.State, res.Message = t.State, "not payable: "+stateText[t.State]
		s.mu.Unlock()
		return http.StatusConflict, res
	}
	s.markPaid(t, s.now())
	res.State, res.Message = t.State, "Paid"
	notify := t.wantsNotify()
	s.mu.Unlock()
	s.save()
	s.log.Info("customer paid", "charge_code", res.ChargeCode, "notify", notify)
	if notify {
		s.startNotify(res.ChargeCode)
	}
	return http.StatusOK, res
}
