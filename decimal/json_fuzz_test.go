package decimal

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// FuzzJSON reads any JSON value as a Dec, as the platforms' answers and
// the local API's bodies are read. What it takes writes back as a JSON
// string that reads as the same number, and is the number the JSON text
// spells: a string holds the same text as a number would.
func FuzzJSON(f *testing.F) {
	for _, s := range []string{`"18.00"`, `18`, `-0.5`, `" 1.5 "`, `1e3`, `"\u0031"`, `null`, `"1\/2"`, `{}`, `12.34567`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Dec
		if err := json.Unmarshal(b, &d); err != nil {
			return
		}
		out, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("marshal %v: %v", d, err)
		}
		var back Dec
		if err := json.Unmarshal(out, &back); err != nil || back != d {
			t.Fatalf("%s reads as %s, writes %s, which reads as %s (%v)", b, d, out, back, err)
		}
		var s string
		if bytes.HasPrefix(bytes.TrimSpace(b), []byte(`"`)) && json.Unmarshal(b, &s) == nil {
			if want, err := Parse(strings.TrimSpace(s)); err != nil || want != d {
				t.Fatalf("%s reads as %s; its text reads as %s (%v)", b, d, want, err)
			}
		}
	})
}
