// Package glyphs holds the bitmap font the paper preview draws text with: a
// subset of GNU Unifont (8x16 and 16x16 dots) covering ASCII, Latin, GBK and
// the printer code pages, embedded compressed and unpacked on first use.
//
// The data is made by the generator in gen/ from Debian's unifont package
// (go generate); see NOTICE for its licence.
package glyphs

//go:generate go run ./gen -in /usr/share/unifont/unifont.hex -out unifont.bin.z

import (
	"bytes"
	"compress/zlib"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
)

const magic = "UFG1"

//go:embed unifont.bin.z
var packed []byte

// Font is a loaded glyph table.
type Font struct {
	runes  []uint16
	wide   []byte
	offset []uint32
	bits   []byte
}

// Glyph is one character's bitmap: 16 rows of Width dots, each row Width/8
// bytes, the most significant bit leftmost.
type Glyph struct {
	Width int // 8 or 16
	Bits  []byte
}

// Black reports whether the dot at x, y (0 <= x < Width, 0 <= y < 16) is set.
func (g Glyph) Black(x, y int) bool {
	stride := g.Width / 8
	return g.Bits[y*stride+x/8]&(0x80>>(x%8)) != 0
}

// Height is the height of every glyph in dots.
const Height = 16

var loaded = sync.OnceValues(func() (*Font, error) {
	zr, err := zlib.NewReader(bytes.NewReader(packed))
	if err != nil {
		return nil, fmt.Errorf("glyph table: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("glyph table: %w", err)
	}
	return Parse(raw)
})

// Default returns the embedded font.
func Default() (*Font, error) { return loaded() }

// Parse reads a table made by Build.
func Parse(raw []byte) (*Font, error) {
	if len(raw) < 8 || string(raw[:4]) != magic {
		return nil, errors.New("glyph table: bad header")
	}
	n := int(binary.LittleEndian.Uint32(raw[4:8]))
	p := raw[8:]
	if n <= 0 || len(p) < 2*n+(n+7)/8 {
		return nil, errors.New("glyph table: truncated index")
	}
	f := &Font{runes: make([]uint16, n), offset: make([]uint32, n+1)}
	for i := range n {
		f.runes[i] = binary.LittleEndian.Uint16(p[2*i:])
	}
	p = p[2*n:]
	f.wide = p[:(n+7)/8]
	f.bits = p[(n+7)/8:]
	off := uint32(0)
	for i := range n {
		f.offset[i] = off
		if f.wide[i/8]&(1<<(i%8)) != 0 {
			off += 32
		} else {
			off += 16
		}
	}
	f.offset[n] = off
	if int(off) != len(f.bits) {
		return nil, fmt.Errorf("glyph table: %d bytes of bitmaps, index says %d", len(f.bits), off)
	}
	return f, nil
}

// Len is the number of glyphs.
func (f *Font) Len() int { return len(f.runes) }

// Lookup returns the glyph of r.
func (f *Font) Lookup(r rune) (Glyph, bool) {
	if r < 0 || r > 0xffff {
		return Glyph{}, false
	}
	i := sort.Search(len(f.runes), func(i int) bool { return f.runes[i] >= uint16(r) })
	if i == len(f.runes) || f.runes[i] != uint16(r) {
		return Glyph{}, false
	}
	bits := f.bits[f.offset[i]:f.offset[i+1]]
	return Glyph{Width: len(bits) / 2, Bits: bits}, true
}
