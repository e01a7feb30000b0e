package glyphs

import (
	"bytes"
	"compress/zlib"
	"io"
	"os"
	"strings"
	"testing"
)

const unifontHex = "/usr/share/unifont/unifont.hex"

// TestEmbeddedTableIsGenerated checks that the committed table is what the
// generator makes from Debian's unifont package, so it can be made again.
func TestEmbeddedTableIsGenerated(t *testing.T) {
	f, err := os.Open(unifontHex)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v: install Debian's unifont package (make test does)", err)
		}
		t.Skipf("%v: install Debian's unifont package to run this test", err)
	}
	defer f.Close()
	want, err := Build(f)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zlib.NewReader(bytes.NewReader(packed))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("unifont.bin.z differs from what %s makes: run go generate ./printer/escpos/internal/glyphs", unifontHex)
	}
	if len(packed) > 1<<20 {
		t.Errorf("embedded table is %d bytes, more than 1 MiB", len(packed))
	}
}

func TestLookup(t *testing.T) {
	f, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if f.Len() < 28000 {
		t.Errorf("%d glyphs", f.Len())
	}
	tests := []struct {
		r     rune
		width int
		ok    bool
	}{
		{'A', 8, true},
		{'中', 16, true},
		{'￥', 16, true},
		{'é', 8, true},
		{'\ufffd', 8, true},
		{'😀', 0, false},
		{'\ue000', 0, false},
	}
	for _, tt := range tests {
		g, ok := f.Lookup(tt.r)
		if ok != tt.ok || g.Width != tt.width {
			t.Errorf("Lookup(%q) = width %d, %v; want %d, %v", tt.r, g.Width, ok, tt.width, tt.ok)
		}
	}
	// '中' in Unifont: a vertical stroke through a box.
	g, _ := f.Lookup('中')
	var rows []string
	for y := range Height {
		var b strings.Builder
		for x := range g.Width {
			b.WriteByte(".#"[map[bool]int{false: 0, true: 1}[g.Black(x, y)]])
		}
		rows = append(rows, b.String())
	}
	if rows[0] != ".......#........" || rows[4] != "..##########...." && rows[4] != "..###########..." {
		t.Errorf("中 is drawn\n%s", strings.Join(rows, "\n"))
	}
}

func TestParseRejectsDamage(t *testing.T) {
	for _, raw := range [][]byte{nil, []byte("UFG1"), []byte("XXXX\x01\x00\x00\x00"), []byte("UFG1\x02\x00\x00\x00\x41\x00")} {
		if _, err := Parse(raw); err == nil {
			t.Errorf("Parse(%q) accepted", raw)
		}
	}
}
