package stock

import (
	"fmt"
	"strconv"
	"strings"

	"storeedge/decimal"
)

// parseNum reads a quantity or price written by a POS: an exact decimal
// with at most decimal.Places places, optionally with thousands commas or
// surrounding spaces. Floats are never involved.
func parseNum(s string) (decimal.Dec, error) {
	t := strings.TrimSpace(s)
	if strings.Contains(t, ",") {
		t = strings.ReplaceAll(t, ",", "")
	}
	if t == "" {
		return decimal.Zero, fmt.Errorf("empty number")
	}
	d, err := decimal.Parse(t)
	if err != nil {
		return decimal.Zero, fmt.Errorf("%q is not a decimal number with at most %d places", s, decimal.Places)
	}
	return d, nil
}

// numFromAny reads a number a database driver or a JSON decoder gave.
func numFromAny(v any) (decimal.Dec, error) {
	switch x := v.(type) {
	case nil:
		return decimal.Zero, fmt.Errorf("NULL")
	case string:
		return parseNum(x)
	case []byte:
		return parseNum(string(x))
	case int64:
		return parseNum(strconv.FormatInt(x, 10))
	case int:
		return parseNum(strconv.Itoa(x))
	case int32:
		return parseNum(strconv.FormatInt(int64(x), 10))
	case float64:
		// A REAL/FLOAT column: its shortest round-trip text is what the
		// POS stored, e.g. 12.5 and not 12.4999999.
		return parseNum(strconv.FormatFloat(x, 'f', -1, 64))
	case float32:
		return parseNum(strconv.FormatFloat(float64(x), 'f', -1, 32))
	case fmt.Stringer:
		return parseNum(x.String())
	}
	return decimal.Zero, fmt.Errorf("unsupported number type %T", v)
}
