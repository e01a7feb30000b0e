package stock

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

// FuzzParseNum reads any number a POS writes or a database driver gives.
// A text number reads as the decimal it spells (thousands commas and
// surrounding spaces aside) and writes back as text that reads the same;
// an integer reads exactly; a float reads as its shortest text, the one
// that turns back into the same float.
func FuzzParseNum(f *testing.F) {
	f.Add(" 1,234.5000 ", int64(42), 12.5)
	f.Add("-0.0001", int64(math.MinInt64), 0.1+0.2)
	f.Add("1e3", int64(math.MaxInt64), math.Inf(1))
	f.Add(",", int64(0), math.NaN())
	f.Add("00012.", int64(-1), 1e-5)
	f.Fuzz(func(t *testing.T, s string, n int64, fl float64) {
		if d, err := parseNum(s); err == nil {
			back, err := parseNum(d.String())
			if err != nil || back.Cmp(d) != 0 {
				t.Fatalf("parseNum(%q) = %s, which reads as %s (%v)", s, d, back, err)
			}
			if plain := strings.ReplaceAll(strings.TrimSpace(s), ",", ""); strings.ContainsAny(plain, " \t\n") {
				t.Fatalf("parseNum(%q) took inner spaces", s)
			}
		} else if err.Error() == "" {
			t.Fatal("error without words")
		}
		n32 := int64(int32(n))
		for _, c := range []struct {
			v    any
			want int64
		}{{n, n}, {int(n), n}, {int32(n), n32}, {strconv.FormatInt(n, 10), n}, {[]byte(strconv.FormatInt(n, 10)), n}} {
			if d, err := numFromAny(c.v); err == nil && d.String() != strconv.FormatInt(c.want, 10) {
				t.Fatalf("numFromAny(%T %v) = %s", c.v, c.v, d)
			}
		}
		if d, err := numFromAny(fl); err == nil {
			back, perr := strconv.ParseFloat(d.String(), 64)
			if perr != nil || back != fl {
				t.Fatalf("numFromAny(%v) = %s, which is the float %v", fl, d, back)
			}
		}
	})
}
