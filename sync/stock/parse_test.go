package stock

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

var update = flag.Bool("update", false, "rewrite golden files")

var at = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// render writes what a parse gave, one line per value or error, for golden files.
func render(vals []Value, errs []*RowError, err error) string {
	var b strings.Builder
	for _, v := range vals {
		fmt.Fprintf(&b, "value %s %s %s %s\n", v.Store, v.SKU, v.Kind, v.Num)
	}
	for _, e := range errs {
		fmt.Fprintf(&b, "row error %s\n", e)
	}
	if err != nil {
		fmt.Fprintf(&b, "file error %s\n", err)
	}
	return b.String()
}

func TestParseGolden(t *testing.T) {
	for _, name := range []string{"bad.csv", "bad.json"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			parse := ParseCSV
			if strings.HasSuffix(name, ".json") {
				parse = ParseJSON
			}
			got := render(parse(name, data, Mapping{Store: "s9"}, at))
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestParseCSV(t *testing.T) {
	gbk, _ := simplifiedchinese.GB18030.NewEncoder().String("编码,库存\n矿泉水,3\n")
	tests := []struct {
		name    string
		data    string
		m       Mapping
		want    string
		wantErr string
	}{
		{name: "mapped columns and semicolons", data: "Code;Qty;Shop\nX1;4;s2\n", m: Mapping{Columns: Columns{SKU: "code", Stock: "qty", Store: "shop"}},
			want: "value s2 X1 stock 4\n"},
		{name: "default store, bom, crlf, thousands", data: "\ufeffsku,stock\r\nX1,\"1,200.5\"\r\n\r\n", m: Mapping{Store: "s1"},
			want: "value s1 X1 stock 1200.5\n"},
		{name: "gbk file", data: gbk, m: Mapping{Store: "s1", Encoding: "gb18030", Columns: Columns{SKU: "编码", Stock: "库存"}},
			want: "value s1 矿泉水 stock 3\n"},
		{name: "gbk file read as utf-8", data: gbk, m: Mapping{Store: "s1"}, wantErr: "x.csv:1: not valid UTF-8"},
		{name: "no sku column", data: "code,stock\n", m: Mapping{Store: "s1"}, wantErr: `x.csv:1: header has no "sku" column`},
		{name: "no value columns", data: "sku,name\n", m: Mapping{Store: "s1"}, wantErr: `neither a "stock" nor a "price" column`},
		{name: "no store", data: "sku,stock\nA,1\n", wantErr: `no "store" column and no default store`},
		{name: "empty", data: "", m: Mapping{Store: "s1"}, wantErr: "empty file"},
		{name: "negative price", data: "sku,price\nA,-1\n", m: Mapping{Store: "s1"}, want: "row error x.csv:2: sku A: price -1 is negative\n"},
		{name: "negative stock allowed", data: "sku,stock\nA,-2\n", m: Mapping{Store: "s1"}, want: "value s1 A stock -2\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vals, errs, err := ParseCSV("x.csv", []byte(tt.data), tt.m, at)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if got := render(vals, errs, err); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseJSONShapes(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"items object", `{"source":"pos","items":[{"SKU":"A","Stock":1}]}`, "value s1 A stock 1\n"},
		{"not an array", `{"x":1}`, `file error y.json:1: want an array of objects or an object with an "items" array` + "\n"},
		{"syntax", "[\n{\"sku\":\"A\",\"stock\":1},\n{\"sku\":}\n]", "value s1 A stock 1\nfile error y.json:3: JSON syntax: invalid character '}' looking for beginning of value\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := render(ParseJSON("y.json", []byte(tt.data), Mapping{Store: "s1"}, at)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzParseCSV(f *testing.F) {
	f.Add([]byte("sku,store,stock,price\nA1,s1,10,12.50\n"))
	f.Add([]byte("sku;stock\n\"x;\"\"y\";1e3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		vals, errs, err := ParseCSV("f.csv", data, Mapping{Store: "s1", Encoding: "auto"}, at)
		for _, v := range vals {
			if v.Check() != nil {
				t.Fatalf("invalid value %+v returned", v)
			}
		}
		for _, e := range errs {
			if e.File != "f.csv" || e.Reason == "" {
				t.Fatalf("row error without file or reason: %+v", e)
			}
		}
		_ = err
	})
}

func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(`[{"sku":"A","stock":1,"price":"2.5"}]`))
	f.Add([]byte(`{"items":[{"sku":"A","store":"s","stock":null}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		vals, errs, _ := ParseJSON("f.json", data, Mapping{Store: "s1"}, at)
		for _, v := range vals {
			if v.Check() != nil {
				t.Fatalf("invalid value %+v returned", v)
			}
		}
		for _, e := range errs {
			if e.Line < 1 || e.Reason == "" {
				t.Fatalf("row error without line or reason: %+v", e)
			}
		}
	})
}
