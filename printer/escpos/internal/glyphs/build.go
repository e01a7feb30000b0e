package glyphs

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Ranges are the blocks of the Basic Multilingual Plane whose glyphs are
// kept: ASCII, Latin, Greek and Cyrillic, punctuation and symbols, box
// drawing, CJK punctuation, kana and bopomofo, the CJK ideographs with
// extension A, compatibility ideographs and forms, and full-width forms.
// Together they hold every character of GBK and the code pages the printer
// profiles name.
var Ranges = [][2]rune{
	{0x0020, 0x007e},
	{0x00a0, 0x02ff},
	{0x0370, 0x03ff},
	{0x0400, 0x04ff},
	{0x2000, 0x20cf},
	{0x2100, 0x23ff},
	{0x2460, 0x27bf},
	{0x2e80, 0x2fdf},
	{0x2ff0, 0x33ff},
	{0x3400, 0x4dbf},
	{0x4e00, 0x9fff},
	{0xf900, 0xfaff},
	{0xfe10, 0xfe1f},
	{0xfe30, 0xfe6f},
	{0xff00, 0xffef},
	{0xfffd, 0xfffd},
}

func kept(r rune) bool {
	for _, rg := range Ranges {
		if r >= rg[0] && r <= rg[1] {
			return true
		}
	}
	return false
}

// Build reads GNU Unifont's .hex format (one "XXXX:bitmap" line per glyph,
// 32 hex digits for an 8x16 glyph, 64 for a 16x16 one) and returns the
// table Font reads: the glyphs of Ranges, uncompressed.
func Build(hexFile io.Reader) ([]byte, error) {
	type glyph struct {
		r    rune
		bits []byte
	}
	var gs []glyph
	sc := bufio.NewScanner(hexFile)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		code, bitmap, ok := strings.Cut(text, ":")
		if !ok {
			return nil, fmt.Errorf("line %d: no colon", line)
		}
		n, err := strconv.ParseUint(code, 16, 32)
		if err != nil {
			return nil, fmt.Errorf("line %d: code point %q: %w", line, code, err)
		}
		r := rune(n)
		if r > 0xffff || !kept(r) {
			continue
		}
		if len(bitmap) != 32 && len(bitmap) != 64 {
			return nil, fmt.Errorf("line %d: U+%04X: bitmap of %d hex digits, want 32 or 64", line, r, len(bitmap))
		}
		bits, err := hex.DecodeString(bitmap)
		if err != nil {
			return nil, fmt.Errorf("line %d: U+%04X: %w", line, r, err)
		}
		gs = append(gs, glyph{r, bits})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(gs) == 0 {
		return nil, errors.New("no glyphs")
	}
	slices.SortFunc(gs, func(a, b glyph) int { return int(a.r - b.r) })
	var b bytes.Buffer
	b.WriteString(magic)
	binary.Write(&b, binary.LittleEndian, uint32(len(gs)))
	for i, g := range gs {
		if i > 0 && gs[i-1].r == g.r {
			return nil, fmt.Errorf("U+%04X is listed twice", g.r)
		}
		binary.Write(&b, binary.LittleEndian, uint16(g.r))
	}
	wide := make([]byte, (len(gs)+7)/8)
	for i, g := range gs {
		if len(g.bits) == 32 {
			wide[i/8] |= 1 << (i % 8)
		}
	}
	b.Write(wide)
	for _, g := range gs {
		b.Write(g.bits)
	}
	return b.Bytes(), nil
}
