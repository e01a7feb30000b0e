package wdt

import (
	"encoding/json"
	"math/big"
	"testing"
)

// FuzzText reads any JSON value as Text. What is read writes back as JSON
// that reads the same, and Int gives a number only for text that is
// exactly that whole number ("95" or "95.0000").
func FuzzText(f *testing.F) {
	for _, s := range []string{`"95.0000"`, `95`, `"-3"`, `null`, `"abc"`, `1e2`, `"1.0000000000000001"`, `"-9223372036854775809.0"`, `{}`, `[1]`, `true`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var x Text
		if json.Unmarshal(b, &x) != nil {
			return
		}
		out, err := json.Marshal(x)
		var back Text
		if err != nil || json.Unmarshal(out, &back) != nil || back != x {
			t.Fatalf("Text %q writes %s (%v), which reads %q", x, out, err, back)
		}
		n, ok := x.Int()
		if !ok {
			return
		}
		exact, isNum := new(big.Rat).SetString(string(x))
		if !isNum || exact.Cmp(new(big.Rat).SetInt64(n)) != 0 {
			t.Fatalf("Text %q reads as the whole number %d", x, n)
		}
	})
}
