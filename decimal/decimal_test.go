package decimal

import (
	"encoding/json"
	"testing"
)

func TestParseAndFormat(t *testing.T) {
	tests := []struct {
		in, str, fixed2 string
		wantErr         bool
	}{
		{in: "18.00", str: "18", fixed2: "18.00"},
		{in: "9.5000", str: "9.5", fixed2: "9.50"},
		{in: "0.01", str: "0.01", fixed2: "0.01"},
		{in: "-3.25", str: "-3.25", fixed2: "-3.25"},
		{in: "+7.", str: "7", fixed2: "7.00"},
		{in: ".5", str: "0.5", fixed2: "0.50"},
		{in: "0.0125", str: "0.0125", fixed2: "0.01"},
		{in: "0.005", str: "0.005", fixed2: "0.01"},
		{in: "-0.005", str: "-0.005", fixed2: "-0.01"},
		{in: "0.00001", wantErr: true},
		{in: "1e3", wantErr: true},
		{in: "", wantErr: true},
		{in: "-", wantErr: true},
		{in: ".", wantErr: true},
		{in: "1.2.3", wantErr: true},
		{in: "１２", wantErr: true},
		{in: "99999999999999999999", wantErr: true},
	}
	for _, tt := range tests {
		d, err := Parse(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("Parse(%q) = %v, want error", tt.in, d)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got := d.String(); got != tt.str {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.str)
		}
		if got := d.Fixed(2); got != tt.fixed2 {
			t.Errorf("Parse(%q).Fixed(2) = %q, want %q", tt.in, got, tt.fixed2)
		}
	}
}

func TestArithmetic(t *testing.T) {
	a, b := MustParse("10.10"), MustParse("0.20")
	if got := a.Add(b).Add(b).String(); got != "10.5" {
		t.Errorf("add = %s", got)
	}
	// 0.1 + 0.2 must be exactly 0.3, unlike float64.
	if MustParse("0.1").Add(MustParse("0.2")).Cmp(MustParse("0.3")) != 0 {
		t.Error("0.1+0.2 != 0.3")
	}
	if got := MustParse("3").Mul(MustParse("12.35")).Fixed(2); got != "37.05" {
		t.Errorf("mul = %s", got)
	}
	if got := MustParse("-1.5").Mul(MustParse("0.0001")).String(); got != "-0.0002" {
		t.Errorf("mul rounding = %s", got)
	}
	if got := MustParse("12.345").Fen(); got != 1235 {
		t.Errorf("fen = %d", got)
	}
}

func TestJSON(t *testing.T) {
	var v struct {
		A, B Dec
	}
	if err := json.Unmarshal([]byte(`{"A":"18.00","B":2.5}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A.String() != "18" || v.B.String() != "2.5" {
		t.Fatalf("got %v %v", v.A, v.B)
	}
	out, _ := json.Marshal(v)
	if string(out) != `{"A":"18","B":"2.5"}` {
		t.Fatalf("marshal = %s", out)
	}
	if err := json.Unmarshal([]byte(`{"A":"abc"}`), &v); err == nil {
		t.Fatal("want error for abc")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"18.00", "-0.5", ".5", "1e3", "", "0.0001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			return
		}
		back, err := Parse(d.String())
		if err != nil || back != d {
			t.Fatalf("round trip %q -> %q -> %v (%v)", s, d.String(), back, err)
		}
	})
}
