package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTicketRenderPNGAndPreview(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "r.bin")
	pic := filepath.Join(dir, "r.png")
	code, out, errs := cli(t, "ticket", "render", "--order", "testdata/order.json", "--paper", "58mm", "--out", bin, "--png", pic)
	if code != 0 || out != "" {
		t.Fatalf("render: exit %d, stdout %q, stderr %s", code, out, errs)
	}
	checkPNG(t, pic, 384)
	pic2 := filepath.Join(dir, "p.png")
	code, out, errs = cli(t, "ticket", "preview", bin, "--out", pic2, "--paper", "58mm")
	if code != 0 || !strings.Contains(out, "written to "+pic2) {
		t.Fatalf("preview: exit %d, %s %s", code, out, errs)
	}
	a, _ := os.ReadFile(pic)
	b, _ := os.ReadFile(pic2)
	if !bytes.Equal(a, b) {
		t.Error("render --png and preview draw different pictures of the same bytes")
	}
	// --png alone writes no bytes to standard output.
	code, out, _ = cli(t, "ticket", "render", "--order", "testdata/order.json", "--kind", "kitchen", "--png", pic)
	if code != 0 || out != "" {
		t.Errorf("render --png: exit %d, %d bytes on stdout", code, len(out))
	}
	code, out, _ = cli(t, "ticket", "render", "--kind", "test", "--paper", "tm-t88")
	if code != 0 || !strings.Contains(out, "TEST PAGE") {
		t.Errorf("test page: exit %d", code)
	}
}

func checkPNG(t *testing.T, path string, dots int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if w := img.Bounds().Dx(); w < dots || w > dots+100 {
		t.Errorf("%s is %d wide for %d dots of paper", path, w, dots)
	}
}

func TestTicketRenderTemplate(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.tmpl")
	os.WriteFile(good, []byte("<CB>{{.Store}}</CB><BR>{{range .Items}}{{.Name}} x{{.Qty}}<BR>{{end}}<CUT>"), 0o644)
	code, out, errs := cli(t, "ticket", "render", "--order", "testdata/order.json", "--template", good)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	bin := filepath.Join(dir, "t.bin")
	os.WriteFile(bin, []byte(out), 0o644)
	_, text, _ := cli(t, "ticket", "text", bin)
	if !strings.Contains(text, "人民路店") || !strings.Contains(text, "杨枝甘露") {
		t.Errorf("template ticket:\n%s", text)
	}
	bad := filepath.Join(dir, "bad.tmpl")
	os.WriteFile(bad, []byte("a\n<CB>x</B>"), 0o644)
	code, _, errs = cli(t, "ticket", "render", "--order", "testdata/order.json", "--template", bad)
	if code != 2 || !strings.Contains(errs, bad+":2: </B> closes no open <B>") {
		t.Errorf("bad template: exit %d: %s", code, errs)
	}
}

func TestTicketUsageErrors(t *testing.T) {
	tests := [][]string{
		{"ticket"},
		{"ticket", "preview", "x.bin"},
		{"ticket", "preview", "--out", "x.png"},
		{"ticket", "render", "--order", "testdata/order.json", "--paper", "76mm"},
		{"ticket", "render", "--order", "testdata/order.json", "--kind", "label"},
		{"ticket", "render", "--kind", "receipt"},
		{"ticket", "render", "--order", "testdata/order.json", "--logo", "testdata/order.json"},
		{"ticket", "preview", "testdata/none.bin", "--out", "x.png"},
	}
	for _, args := range tests {
		if code, _, errs := cli(t, args...); code != 2 || errs == "" {
			t.Errorf("%q: exit %d, stderr %q", args, code, errs)
		}
	}
}
