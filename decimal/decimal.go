// Package decimal is an exact fixed-point decimal for money and quantities.
//
// Platforms send money as yuan strings ("18.00") and quantities with up to four
// decimals ("2.0000"); floats would round them. A Dec holds the value times 10^4
// in an int64, so every value with at most four decimals is exact.
package decimal

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Places is the number of decimal places a Dec keeps exactly.
const Places = 4

const scale = 10000

// Dec is an exact decimal with four places. The zero value is 0.
type Dec struct{ v int64 }

// Zero is 0.
var Zero Dec

// ErrSyntax is returned for text that is not a decimal number.
var ErrSyntax = errors.New("not a decimal number")

// FromInt returns n.
func FromInt(n int64) Dec { return Dec{n * scale} }

// FromFen returns n hundredths (fen, cents).
func FromFen(n int64) Dec { return Dec{n * 100} }

// Parse reads "12", "-3.5", "0.0100", "+7.", ".5". More than four decimals,
// exponents and anything else are errors: a value is never silently rounded.
func Parse(s string) (Dec, error) {
	orig := s
	if s == "" {
		return Dec{}, fmt.Errorf("%w: empty", ErrSyntax)
	}
	neg := false
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	if intPart == "" && frac == "" {
		return Dec{}, fmt.Errorf("%w: %q", ErrSyntax, orig)
	}
	if !hasDot {
		frac = ""
	}
	for _, part := range []string{intPart, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return Dec{}, fmt.Errorf("%w: %q", ErrSyntax, orig)
			}
		}
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > Places {
		return Dec{}, fmt.Errorf("%q has more than %d decimal places", orig, Places)
	}
	var whole int64
	if intPart != "" {
		n, err := strconv.ParseInt(intPart, 10, 64)
		if err != nil || n > (1<<63-1)/scale {
			return Dec{}, fmt.Errorf("%q is out of range", orig)
		}
		whole = n
	}
	f := int64(0)
	if frac != "" {
		n, _ := strconv.ParseInt(frac, 10, 64)
		for i := len(frac); i < Places; i++ {
			n *= 10
		}
		f = n
	}
	v := whole*scale + f
	if neg {
		v = -v
	}
	return Dec{v}, nil
}

// MustParse is Parse for constants in code and tests; it panics on error.
func MustParse(s string) Dec {
	d, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return d
}

// Add returns d+e.
func (d Dec) Add(e Dec) Dec { return Dec{d.v + e.v} }

// Sub returns d-e.
func (d Dec) Sub(e Dec) Dec { return Dec{d.v - e.v} }

// Neg returns -d.
func (d Dec) Neg() Dec { return Dec{-d.v} }

// Mul returns d*e rounded half away from zero to four places.
func (d Dec) Mul(e Dec) Dec {
	p := new(big.Int).Mul(big.NewInt(d.v), big.NewInt(e.v))
	half := big.NewInt(scale / 2)
	if p.Sign() < 0 {
		half.Neg(half)
	}
	p.Add(p, half)
	p.Quo(p, big.NewInt(scale))
	return Dec{p.Int64()}
}

// Cmp compares d and e: -1, 0 or +1.
func (d Dec) Cmp(e Dec) int {
	switch {
	case d.v < e.v:
		return -1
	case d.v > e.v:
		return 1
	}
	return 0
}

// IsZero reports whether d is 0.
func (d Dec) IsZero() bool { return d.v == 0 }

// Sign returns -1, 0 or +1.
func (d Dec) Sign() int { return d.Cmp(Zero) }

// Fen returns d in hundredths, rounded half away from zero.
func (d Dec) Fen() int64 {
	if d.v >= 0 {
		return (d.v + 50) / 100
	}
	return (d.v - 50) / 100
}

// String is the shortest exact form: "18", "9.5", "0.0125".
func (d Dec) String() string {
	s := d.Fixed(Places)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	return s
}

// Fixed formats d with exactly places decimals (0..4), rounding half away
// from zero when places < 4: Fixed(2) of 18 is "18.00".
func (d Dec) Fixed(places int) string {
	if places < 0 {
		places = 0
	}
	if places > Places {
		places = Places
	}
	v := d.v
	neg := v < 0
	if neg {
		v = -v
	}
	div := int64(1)
	for i := places; i < Places; i++ {
		div *= 10
	}
	v = (v + div/2) / div
	pow := int64(1)
	for i := 0; i < places; i++ {
		pow *= 10
	}
	var b strings.Builder
	if neg && v != 0 {
		b.WriteByte('-')
	}
	b.WriteString(strconv.FormatInt(v/pow, 10))
	if places > 0 {
		fs := strconv.FormatInt(v%pow, 10)
		b.WriteByte('.')
		b.WriteString(strings.Repeat("0", places-len(fs)))
		b.WriteString(fs)
	}
	return b.String()
}

// MarshalJSON writes the shortest exact form as a JSON string.
func (d Dec) MarshalJSON() ([]byte, error) { return []byte(`"` + d.String() + `"`), nil }

// UnmarshalJSON accepts a JSON string or a JSON number, read from its text
// (never through float64).
func (d *Dec) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	s := string(b)
	if len(b) >= 2 && b[0] == '"' {
		u, err := strconv.Unquote(s)
		if err != nil {
			return fmt.Errorf("%w: %s", ErrSyntax, s)
		}
		s = strings.TrimSpace(u)
	}
	v, err := Parse(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalText and UnmarshalText let a Dec be a TOML or CSV value.
func (d Dec) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses text with Parse.
func (d *Dec) UnmarshalText(b []byte) error {
	v, err := Parse(strings.TrimSpace(string(b)))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
