package device

import "strings"

// MaskCode masks a scanned code for logs and screens: the first 4 and the
// last 4 characters, the rest as '*'; a code of 8 characters or fewer
// keeps only its last 2. It follows the same rule as pos.MaskCode
// (device may not import gateway).
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
