package cli

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"posterm/pos"
)

func TestQuery_JournalAndGateway(t *testing.T) {
	sb := startTestSandbox(t, testScale)
	e := newPosEnv(t, sb, testCheckout)
	code, stdout, _ := e.run(t, "pay", "--amount", "4.56", "--code", walletCode("28", "07"), "--json")
	if code != exitDone {
		t.Fatal("pay failed")
	}
	cc := string(decodeTx(t, stdout).ChargeCode)

	code, stdout, stderr := e.run(t, "query", cc, "--json")
	if code != exitDone {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	var res queryResult
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatal(err)
	}
	g := res.Gateway
	if res.Journal == nil || res.Journal.State != pos.StatePaid || g.Outcome != "done" || g.State == nil || *g.State != 1 ||
		g.LocalState != pos.StatePaid || g.AmountFen != 456 || g.ChargeDownCode != res.Journal.ChargeDownCode || len(res.Events) < 2 {
		t.Errorf("query %+v gateway %+v", res, g)
	}

	code, stdout, _ = e.run(t, "query", cc)
	if code != exitDone || !strings.Contains(stdout, "journal:  "+cc+"  pay  paid  ¥4.56") || !strings.Contains(stdout, "gateway:  SUCCESS  STATE 1 paid  ¥4.56") {
		t.Errorf("human output:\n%s", stdout)
	}
}

func TestQuery_UnknownAndUnreachable(t *testing.T) {
	sb := startTestSandbox(t, testScale)
	e := newPosEnv(t, sb, testCheckout)
	code, stdout, _ := e.run(t, "query", "NOSUCHCODE42", "--json")
	var res queryResult
	if code != exitRefused || json.Unmarshal([]byte(stdout), &res) != nil || res.Journal != nil || res.Gateway.Code != pos.CodeChargeNonexistent {
		t.Errorf("unknown code: exit %d %s", code, stdout)
	}

	// An unsettled row, and a gateway that does not answer.
	codes := seedRows(t, e.openJournal(t), sandboxGateway(t, sb), seed{state: pos.StateUnknown})
	b, _ := os.ReadFile(e.config)
	i := strings.Index(string(b), "url = \"")
	j := strings.Index(string(b)[i+7:], "\"")
	cfg := string(b)[:i] + `url = "http://127.0.0.1:1/openGateway/openService/"` + string(b)[i+7+j+1:]
	os.WriteFile(e.config, []byte(cfg), 0o600)
	code, stdout, stderr := e.run(t, "query", string(codes[0]))
	if code != exitUnknown || !strings.Contains(stdout, "gateway:  no answer") || !strings.Contains(stdout, "'posterm reconcile' settles it") {
		t.Errorf("unreachable: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if code, _, _ := e.run(t, "query", "a/b"); code != exitLocal {
		t.Errorf("bad code: exit %d", code)
	}
}
