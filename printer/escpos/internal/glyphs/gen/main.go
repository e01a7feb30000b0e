// Command gen converts GNU Unifont's .hex file into the compressed glyph
// table the preview embeds.
package main

import (
	"bytes"
	"compress/zlib"
	"flag"
	"fmt"
	"os"

	"storeedge/printer/escpos/internal/glyphs"
)

func main() {
	in := flag.String("in", "/usr/share/unifont/unifont.hex", "GNU Unifont `.hex` file (Debian package unifont)")
	out := flag.String("out", "unifont.bin.z", "output `file`")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	raw, err := glyphs.Build(f)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	var b bytes.Buffer
	zw, err := zlib.NewWriterLevel(&b, zlib.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(raw); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(out, b.Bytes(), 0o644)
}
