package pos

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// ErrBadWalletCode is returned for a scanned text that is not a wallet
// payment code.
var ErrBadWalletCode = errors.New("not a wallet payment code")

// ValidWalletCode checks a scanned payment code (DYNAMIC_ID): 16–24
// digits, as Alipay (25–30…) and WeChat Pay (10–15…) codes are. The error
// never contains the code itself, only its masked form.
func ValidWalletCode(code string) error {
	if n := len(code); n < 16 || n > 24 || !allDigits(code) {
		return fmt.Errorf("%w: %s (%d characters; want 16–24 digits)", ErrBadWalletCode, MaskCode(code), len(code))
	}
	return nil
}

// MaskCode masks a payment code for the journal, logs, receipts and
// screens: first 4 and last 4 characters, the rest as '*'. A code of 8
// characters or fewer keeps only its last 2.
func MaskCode(code string) string {
	r := []rune(code)
	n := len(r)
	if n <= 8 {
		if n <= 2 {
			return strings.Repeat("*", n)
		}
		return strings.Repeat("*", n-2) + string(r[n-2:])
	}
	return string(r[:4]) + strings.Repeat("*", n-8) + string(r[n-4:])
}

func defaultLogger() *slog.Logger { return slog.Default().With("subsystem", "pos") }
