package youzan

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// FuzzDecodeToken reads any /auth/token answer with any HTTP status. A
// token comes only from a success answer of HTTP 200 with a token and an
// expiry; anything else is an *APIError that says something and never
// repeats the token the body held.
func FuzzDecodeToken(f *testing.F) {
	for _, s := range []string{
		`{"success":true,"code":200,"message":"success","data":{"access_token":"0a1b2c3d4e5f6a7b8c9d","expires":1735689600000,"scope":"x","authority_id":"90001"}}`,
		`{"success":true,"code":200,"data":{"access_token":"","expires":1}}`,
		`{"success":true,"code":200,"data":{"access_token":"0a1b2c3d4e5f6a7b8c9d","expires":-1}}`,
		`{"success":false,"code":40002,"message":"client_secret错误"}`,
		`{"gw_err_resp":{"err_code":4203,"err_msg":"x"}}`,
		`{"success":true,"code":200,"data":{"access_token":"0a1b2c3d4e5f6a7b8c9d","expires":"soon"}}`,
		`{"success":true,"code":200,"data":{"access_token":"0a1b2c3d4e5f6a7b8c9d","expi`,
		`<html>bad gateway</html>`, ``, `null`,
	} {
		f.Add(http.StatusOK, []byte(s))
	}
	f.Add(http.StatusBadGateway, []byte(`<html>`))
	f.Add(http.StatusTooManyRequests, []byte(`{"code":4101,"msg":"限流"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		td, err := decodeToken(status, body)
		if err == nil {
			if status != http.StatusOK || td == nil || td.AccessToken == "" || td.Expires <= 0 {
				t.Fatalf("HTTP %d gave token %+v", status, td)
			}
			return
		}
		var ae *APIError
		if !errors.As(err, &ae) || td != nil {
			t.Fatalf("error %T %v with token %v", err, err, td)
		}
		msg := err.Error()
		if strings.TrimSpace(strings.TrimPrefix(msg, "youzan "+apiToken+":")) == "" {
			t.Fatalf("error says nothing: %q", msg)
		}
		var a struct {
			Data struct {
				AccessToken string `json:"access_token"`
			} `json:"data"`
		}
		_ = json.Unmarshal(body, &a)
		if tok := a.Data.AccessToken; len(tok) >= 8 && strings.Contains(msg, tok) {
			t.Fatalf("error %q repeats the token", msg)
		}
	})
}

// FuzzSpec reads any sku_properties_name: a JSON list of {"k","v"} turns
// into its non-empty values joined by "/", other text stays as sent.
func FuzzSpec(f *testing.F) {
	for _, s := range []string{`[{"k":"杯型","k_id":1,"v":"大杯","v_id":2},{"k":"温度","v":"少冰"}]`, `大杯/少冰`, `[]`, `[{"v":" "}]`, `[{"v":1}]`, ` [`, ``} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Spec(s)
		trimmed := strings.TrimSpace(s)
		if !strings.HasPrefix(trimmed, "[") {
			if err != nil || got != trimmed {
				t.Fatalf("Spec(%q) = %q, %v; want the text as sent", s, got, err)
			}
			return
		}
		var props []SkuProperty
		if json.Unmarshal([]byte(trimmed), &props) != nil {
			if err == nil {
				t.Fatalf("Spec(%q) = %q for a list that does not decode", s, got)
			}
			return
		}
		if err != nil {
			t.Fatalf("Spec(%q): %v", s, err)
		}
		n := 0
		for _, p := range props {
			if strings.TrimSpace(p.V) != "" {
				n++
			}
		}
		if got != "" && strings.Count(got, "/") < n-1 {
			t.Fatalf("Spec(%q) = %q joins fewer than %d values", s, got, n)
		}
		if (got == "") != (n == 0) {
			t.Fatalf("Spec(%q) = %q for %d values", s, got, n)
		}
	})
}

// FuzzScalars reads any JSON value as Long, Money and Flag. What is read
// is written back as JSON that reads the same; a Long that reads as an
// integer writes as that integer.
func FuzzScalars(f *testing.F) {
	for _, s := range []string{`123`, `"0012"`, `"  9 "`, `-5`, `1.5e3`, `null`, `true`, `"true"`, `{"a":1}`, `[1]`, `"\u00e9"`, `9223372036854775808`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var l Long
		if json.Unmarshal(b, &l) == nil {
			out, err := json.Marshal(l)
			var back Long
			if err != nil || json.Unmarshal(out, &back) != nil || back != l {
				t.Fatalf("Long %q writes %s (%v), which reads %q", l, out, err, back)
			}
			if n, err := l.Int64(); err == nil && strconv.FormatInt(n, 10) == string(l) && string(out) != string(l) {
				t.Fatalf("Long %q = %d writes %s, not the number", l, n, out)
			}
		}
		var m Money
		if json.Unmarshal(b, &m) == nil {
			out, err := json.Marshal(m)
			var back Money
			if err != nil || json.Unmarshal(out, &back) != nil || back != m {
				t.Fatalf("Money %q writes %s (%v), which reads %q", m, out, err, back)
			}
		}
		var fl Flag
		if json.Unmarshal(b, &fl) == nil {
			var raw any
			_ = json.Unmarshal(b, &raw)
			want := false
			switch v := raw.(type) {
			case bool:
				want = v
			case string:
				w := strings.ToLower(strings.TrimSpace(v))
				want = w == "true" || w == "1"
			case float64:
				want = strings.TrimSpace(string(b)) == "1"
			}
			if fl.True() != want {
				t.Fatalf("flag %s reads as %v", b, fl.True())
			}
		}
	})
}
