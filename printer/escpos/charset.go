package escpos

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Replacement is printed in place of a character the printer cannot print:
// a control character, invalid UTF-8, a character outside the Basic
// Multilingual Plane (emoji), or one that neither the profile's Chinese font
// nor its code page has.
const Replacement = '?'

// Chinese character sets a profile may name.
const (
	ChineseGBK     = "gbk"     // two-byte GBK codes (GB2312 and its extension): most Chinese printers
	ChineseGB18030 = "gb18030" // GBK plus GB18030's four-byte codes and its few two-byte additions
	ChineseNone    = "none"    // no Chinese font: only ASCII and the code page print
)

// Code pages a profile may name for text outside Chinese mode, with the
// ESC t numbers the Epson command reference gives them.
var codePageList = []struct {
	name string
	n    byte
	cm   *charmap.Charmap
}{
	{"cp437", 0, charmap.CodePage437},
	{"cp850", 2, charmap.CodePage850},
	{"cp860", 3, charmap.CodePage860},
	{"cp863", 4, charmap.CodePage863},
	{"cp865", 5, charmap.CodePage865},
	{"cp1252", 16, charmap.Windows1252},
	{"cp866", 17, charmap.CodePage866},
	{"cp852", 18, charmap.CodePage852},
	{"cp858", 19, charmap.CodePage858},
}

// CodePageNone in a profile sends no ESC t: only ASCII prints outside
// Chinese mode.
const CodePageNone = "none"

// DefaultCodePage is the code page of a profile that names none: PC437 is
// the one every ESC/POS printer has.
const DefaultCodePage = "cp437"

// CodePages lists the names of the code pages a profile may name.
func CodePages() []string {
	out := make([]string, len(codePageList))
	for i, c := range codePageList {
		out[i] = c.name
	}
	return out
}

type codePage struct {
	name string
	n    byte
	cm   *charmap.Charmap
	enc  map[rune]byte // characters 0x80-0xff of the page
}

var codePageTables = sync.OnceValue(func() []*codePage {
	out := make([]*codePage, len(codePageList))
	for i, c := range codePageList {
		cp := &codePage{name: c.name, n: c.n, cm: c.cm, enc: make(map[rune]byte, 128)}
		for b := 0x80; b <= 0xff; b++ {
			r := c.cm.DecodeByte(byte(b))
			if r == utf8.RuneError || !unicode.IsGraphic(r) || r < 0x80 {
				continue
			}
			if _, dup := cp.enc[r]; !dup {
				cp.enc[r] = byte(b)
			}
		}
		out[i] = cp
	}
	return out
})

// lookupCodePage finds a code page by name; "" is DefaultCodePage.
func lookupCodePage(name string) (*codePage, bool) {
	if name == "" {
		name = DefaultCodePage
	}
	for _, cp := range codePageTables() {
		if cp.name == name {
			return cp, true
		}
	}
	return nil, false
}

// codePageByNumber finds a code page by its ESC t number.
func codePageByNumber(n byte) (*codePage, bool) {
	for _, cp := range codePageTables() {
		if cp.n == n {
			return cp, true
		}
	}
	return nil, false
}

// gbTables holds, for every rune of the Basic Multilingual Plane, its
// GB18030 code (0: none; at most 0xffff: two bytes; else four bytes), and
// which two-byte codes GBK has too. Only graphic characters whose code
// decodes back to themselves are listed.
type gbTables struct {
	code [0x10000]uint32
	gbk  [0x10000 / 64]uint64
}

var gbData = sync.OnceValue(buildGB)

func buildGB() *gbTables {
	t := new(gbTables)
	enc := simplifiedchinese.GB18030.NewEncoder()
	dec := simplifiedchinese.GB18030.NewDecoder()
	gbk := simplifiedchinese.GBK.NewDecoder()
	var src [4]byte
	var gb, back [8]byte
	for r := rune(0x80); r < 0x10000; r++ {
		if r == utf8.RuneError || !unicode.IsGraphic(r) {
			continue
		}
		n := utf8.EncodeRune(src[:], r)
		enc.Reset()
		ng, _, err := enc.Transform(gb[:], src[:n], true)
		if err != nil || (ng != 2 && ng != 4) {
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
		var code uint32
		for _, b := range gb[:ng] {
			code = code<<8 | uint32(b)
		}
		t.code[r] = code
		if ng == 2 && !gb18030Only(code) {
			gbk.Reset()
			nk, _, err := gbk.Transform(back[:], gb[:2], true)
			if got, size := utf8.DecodeRune(back[:nk]); err == nil && got == r && size == nk {
				t.gbk[r/64] |= 1 << (uint(r) % 64)
			}
		}
	}
	return t
}

// gb18030Only reports the two-byte codes GB18030 added to GBK (code page
// 936), which GBK printers do not have: the euro sign, vertical forms, two
// pinyin letters, ideographic description characters and the FE50-FEA0 row.
func gb18030Only(code uint32) bool {
	switch {
	case code == 0xa2e3, code == 0xa8bc, code == 0xa8bf, code == 0xa6f3:
		return true
	case code >= 0xa6d9 && code <= 0xa6df, code >= 0xa6ec && code <= 0xa6ed:
		return true
	case code >= 0xa989 && code <= 0xa995, code >= 0xfe50 && code <= 0xfea0:
		return true
	}
	return false
}

// runeClass says how a character is printed.
type runeClass uint8

const (
	classASCII   runeClass = iota // printable ASCII, outside Chinese mode, 1 column
	classGB                       // a GB code inside Chinese mode, 2 columns
	classPage                     // a code page byte outside Chinese mode, 1 column
	classReplace                  // printed as Replacement, 1 column
)

const (
	chineseNone uint8 = iota
	chineseGBK
	chineseGB18030
)

// charset is what a profile prints: its Chinese font and its code page.
type charset struct {
	chinese uint8
	page    *codePage // nil: no code page
	gb      *gbTables
}

// defaultCharset is the charset of the generic profiles (GBK, PC437), used
// by the package-level layout functions.
var defaultCharset = sync.OnceValue(func() charset {
	cp, _ := lookupCodePage(DefaultCodePage)
	return charset{chinese: chineseGBK, page: cp, gb: gbData()}
})

// charset resolves the profile's Chinese font and code page; an unknown
// name (which Validate reports) counts as the default.
func (p Profile) charset() charset {
	cs := charset{chinese: chineseGBK, gb: gbData()}
	switch p.Chinese {
	case ChineseGB18030:
		cs.chinese = chineseGB18030
	case ChineseNone:
		cs.chinese = chineseNone
	}
	if p.CodePage != CodePageNone {
		cs.page, _ = lookupCodePage(p.CodePage)
		if cs.page == nil {
			cs.page, _ = lookupCodePage(DefaultCodePage)
		}
	}
	return cs
}

// classify says how r is printed and with which code: the GB code for
// classGB, the byte for classASCII and classPage. A character GBK has is
// printed in Chinese mode; else one the code page has is printed through
// the code page; else, on a GB18030 printer, one with a GB18030 code is
// printed in Chinese mode; anything else is Replacement.
func (cs *charset) classify(r rune) (runeClass, uint32) {
	if r < utf8.RuneSelf {
		if r >= 0x20 && r < 0x7f {
			return classASCII, uint32(r)
		}
		return classReplace, Replacement
	}
	var code uint32
	if r < 0x10000 && cs.chinese != chineseNone {
		code = cs.gb.code[r]
		if code != 0 && code <= 0xffff && (cs.chinese == chineseGB18030 || cs.gb.gbk[r/64]&(1<<(uint(r)%64)) != 0) {
			return classGB, code
		}
	}
	if cs.page != nil {
		if b, ok := cs.page.enc[r]; ok {
			return classPage, uint32(b)
		}
	}
	if code != 0 && cs.chinese == chineseGB18030 {
		return classGB, code
	}
	return classReplace, Replacement
}

// runeWidth is the number of columns r takes.
func (cs *charset) runeWidth(r rune) int {
	if r < utf8.RuneSelf {
		return 1
	}
	if c, _ := cs.classify(r); c == classGB {
		return 2
	}
	return 1
}

// width is the number of columns s takes.
func (cs *charset) width(s string) int {
	w := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			w++
			i++
			continue
		}
		var r rune
		var size int
		if c >= 0xe0 && c < 0xf0 && i+2 < len(s) && s[i+1]&0xc0 == 0x80 && s[i+2]&0xc0 == 0x80 &&
			(c != 0xe0 || s[i+1] >= 0xa0) && (c != 0xed || s[i+1] < 0xa0) {
			// A three-byte sequence, not overlong and not a surrogate.
			r, size = rune(c&0x0f)<<12|rune(s[i+1]&0x3f)<<6|rune(s[i+2]&0x3f), 3
		} else {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		w += cs.runeWidth(r)
		i += size
	}
	return w
}

func (cs *charset) printable(r rune) bool {
	c, _ := cs.classify(r)
	return c != classReplace
}

// printableString returns s with every character the printer cannot print
// replaced by Replacement.
func (cs *charset) printableString(s string) string {
	clean := true
	for _, r := range s {
		if !cs.printable(r) {
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
		if cs.printable(r) {
			b.WriteRune(r)
		} else {
			b.WriteByte(Replacement)
		}
	}
	return b.String()
}

// RuneWidth is the number of columns r takes on paper on the generic
// profiles: 1 for printable ASCII, for code page characters and for
// characters printed as Replacement, 2 for GB-encoded characters.
func RuneWidth(r rune) int {
	cs := defaultCharset()
	return cs.runeWidth(r)
}

// Printable returns s as the generic profiles print it: every character
// that Text would replace is Replacement. Invalid UTF-8 bytes become one
// Replacement each.
func Printable(s string) string {
	cs := defaultCharset()
	return cs.printableString(s)
}

// RuneWidth is the number of columns r takes on paper on this profile.
func (p Profile) RuneWidth(r rune) int {
	cs := p.charset()
	return cs.runeWidth(r)
}

// Printable returns s as printers of this profile print it.
func (p Profile) Printable(s string) string {
	cs := p.charset()
	return cs.printableString(s)
}
