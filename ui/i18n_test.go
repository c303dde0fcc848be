package ui

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"posterm/pos"
)

var verb = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)

// TestCatalogue_BothLanguages: every entry has Chinese and English with the
// same format verbs in the same order.
func TestCatalogue_BothLanguages(t *testing.T) {
	for k, e := range catalogue {
		if strings.TrimSpace(e.zh) == "" || strings.TrimSpace(e.en) == "" {
			t.Errorf("%s: zh %q, en %q: want both", k, e.zh, e.en)
		}
		if zv, ev := verb.FindAllString(e.zh, -1), verb.FindAllString(e.en, -1); strings.Join(zv, " ") != strings.Join(ev, " ") {
			t.Errorf("%s: zh verbs %v, en verbs %v", k, zv, ev)
		}
	}
}

// TestCatalogue_EveryKeyUsedExists: every catalogue key the code names
// literally is in the catalogue, and so is every key it builds from a
// state, kind, operation or remote STATE.
func TestCatalogue_EveryKeyUsedExists(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	lit := regexp.MustCompile(`"((?:key|login|sale|scan|pay|qr|result|hist|detail|refund|revoke|unset|dev|help|demo|status|printer|channel|fund|col|quit|header)\.[a-z0-9_.]*[a-z0-9])"`)
	used := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "i18n.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range lit.FindAllStringSubmatch(string(b), -1) {
			used++
			if _, ok := catalogue[m[1]]; !ok {
				t.Errorf("%s uses %q, missing from the catalogue", f, m[1])
			}
		}
	}
	if used < 100 {
		t.Fatalf("found only %d uses of catalogue keys: the pattern is broken", used)
	}
	var built []string
	for _, s := range pos.States {
		built = append(built, "state."+string(s))
	}
	for _, s := range []pos.RefundState{pos.RefundSending, pos.RefundUnknown, pos.RefundDone, pos.RefundRefused} {
		built = append(built, "refundstate."+string(s))
	}
	for _, k := range []pos.Kind{pos.KindPay, pos.KindPrecreate} {
		built = append(built, "kind."+string(k))
	}
	for _, r := range []int{0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14} {
		built = append(built, "remote."+strconv.Itoa(r))
	}
	for _, suffix := range []string{"wrong", "disabled", "deleted", "merchant", "unreachable", "other"} {
		built = append(built, "refund.mgr."+suffix, "login.err."+suffix)
	}
	for o := DemoPaid; o <= DemoSystemFault; o++ {
		built = append(built, demoOutcomeKey(o))
	}
	for _, k := range built {
		if _, ok := catalogue[k]; !ok {
			t.Errorf("built key %q missing from the catalogue", k)
		}
	}
}

// TestTr_Lang: any zh tag is Chinese; anything else English.
func TestTr_Lang(t *testing.T) {
	for lang, zh := range map[string]bool{"zh-CN": true, "zh_CN.UTF-8": true, "ZH": true, "en": false, "": false, "C.UTF-8": false} {
		if got := newTr(lang).zh; got != zh {
			t.Errorf("newTr(%q).zh = %v, want %v", lang, got, zh)
		}
	}
	if got := newTr("en").T("no.such.key"); got != "no.such.key" {
		t.Errorf("a missing key shows as %q, want the key", got)
	}
}
