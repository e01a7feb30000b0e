package escpos

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Replacement is printed in place of a character the printer cannot print:
// a control character, invalid UTF-8, a character outside the Basic
// Multilingual Plane (emoji), or one with no glyph or no GB18030 code.
const Replacement = '?'

// gbTable marks the runes from U+0080 to U+FFFF that are printed in Chinese
// mode: graphic characters whose GB18030 code decodes back to themselves.
var gbTable struct {
	once sync.Once
	ok   [0x10000 / 64]uint64
}

func buildGBTable() {
	enc := simplifiedchinese.GB18030.NewEncoder()
	dec := simplifiedchinese.GB18030.NewDecoder()
	var src [4]byte
	var gb [8]byte
	var back [8]byte
	for r := rune(0x80); r < 0x10000; r++ {
		if r == utf8.RuneError || !unicode.IsGraphic(r) {
			continue
		}
		n := utf8.EncodeRune(src[:], r)
		enc.Reset()
		ng, _, err := enc.Transform(gb[:], src[:n], true)
		if err != nil || ng < 2 {
			continue
		}
		dec.Reset()
		nb, _, err := dec.Transform(back[:], gb[:ng], true)
		if err != nil {
			continue
		}
		if got, size := utf8.DecodeRune(back[:nb]); got != r || size != nb {
			continue
		}
		gbTable.ok[r/64] |= 1 << (uint(r) % 64)
	}
}

// isASCII reports whether r is a printable ASCII character (one column,
// printed outside Chinese mode).
func isASCII(r rune) bool { return r >= 0x20 && r <= 0x7e }

// isGB reports whether r is printed as a GB18030 character (two columns,
// printed inside Chinese mode).
func isGB(r rune) bool {
	if r < 0x80 || r >= 0x10000 {
		return false
	}
	gbTable.once.Do(buildGBTable)
	return gbTable.ok[r/64]&(1<<(uint(r)%64)) != 0
}

// RuneWidth is the number of columns r takes on paper: 1 for printable ASCII
// and for characters printed as Replacement, 2 for GB-encoded characters.
func RuneWidth(r rune) int {
	if isGB(r) {
		return 2
	}
	return 1
}

// Printable returns s as the printer will print it: every character that
// Text would replace is Replacement. Invalid UTF-8 bytes become one
// Replacement each.
func Printable(s string) string {
	clean := true
	for _, r := range s {
		if !isASCII(r) && !isGB(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if isASCII(r) || isGB(r) {
			b.WriteRune(r)
		} else {
			b.WriteByte(Replacement)
		}
	}
	return b.String()
}

// gbEncoder encodes single runes to GB18030 without allocating.
type gbEncoder struct {
	t   transform.Transformer
	src [4]byte
	dst [8]byte
}

func newGBEncoder() *gbEncoder {
	return &gbEncoder{t: simplifiedchinese.GB18030.NewEncoder()}
}

// appendRune appends the GB18030 code of r (which must satisfy isGB) to b.
func (g *gbEncoder) appendRune(b []byte, r rune) ([]byte, bool) {
	n := utf8.EncodeRune(g.src[:], r)
	g.t.Reset()
	nd, _, err := g.t.Transform(g.dst[:], g.src[:n], true)
	if err != nil || nd == 0 {
		return b, false
	}
	return append(b, g.dst[:nd]...), true
}
