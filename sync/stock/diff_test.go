package stock

import (
	"fmt"
	"testing"

	"storeedge/decimal"
)

func TestDiff(t *testing.T) {
	v := func(sku, n string) Value {
		return Value{Store: "s1", SKU: sku, Kind: KindStock, Num: decimal.MustParse(n)}
	}
	last := map[string]string{v("A", "1").key(): "1", v("B", "2").key(): "2", v("C", "3.5").key(): "3.5"}
	tests := []struct {
		name string
		cur  []Value
		all  bool
		want string
	}{
		{"nothing changed", []Value{v("A", "1"), v("B", "2.0000")}, false, ""},
		{"changed and new", []Value{v("A", "1"), v("B", "2.5"), v("D", "0")}, false, "B=2.5 D=0 "},
		{"later repeat wins", []Value{v("A", "5"), v("A", "1")}, false, ""},
		{"repeat changes", []Value{v("A", "1"), v("A", "6")}, false, "A=6 "},
		{"all", []Value{v("A", "1"), v("C", "3.5")}, true, "A=1 C=3.5 "},
		{"price apart from stock", []Value{{Store: "s1", SKU: "A", Kind: KindPrice, Num: decimal.MustParse("1")}}, false, "A=1 "},
	}
	for _, tt := range tests {
		var got string
		for _, c := range Diff(last, tt.cur, tt.all) {
			got += c.SKU + "=" + c.Num.String() + " "
		}
		if got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

// BenchmarkDiff compares a full picture of 100,000 SKUs, 1% changed,
// with the last reported values.
func BenchmarkDiff(b *testing.B) {
	const n = 100000
	cur := make([]Value, n)
	last := make(map[string]string, n)
	for i := range cur {
		cur[i] = Value{Store: "43435545", SKU: fmt.Sprintf("69%011d", i), Kind: KindStock, Num: decimal.FromInt(int64(i % 500))}
		last[cur[i].key()] = cur[i].Num.String()
		if i%100 == 0 {
			cur[i].Num = cur[i].Num.Add(decimal.FromInt(1))
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if got := len(Diff(last, cur, false)); got != n/100 {
			b.Fatalf("%d changes, want %d", got, n/100)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "skus/s")
}
