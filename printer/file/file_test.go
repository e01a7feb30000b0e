package file

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"storeedge/printer"
	"storeedge/printer/uri"
)

func openConn(t testing.TB, raw, dataDir string) *Conn {
	t.Helper()
	u, err := uri.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := printer.Open(u, printer.OpenOptions{DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	return tr.(*Conn)
}

func ctxFor(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestAppendsEachJob(t *testing.T) {
	dir := t.TempDir()
	c := openConn(t, "file://printers/front.bin", dir)
	if want := filepath.Join(dir, "printers", "front.bin"); c.Path() != want {
		t.Fatalf("Path = %s, want %s", c.Path(), want)
	}
	if st, err := c.Status(ctxFor(t, time.Second)); err != nil || st.State != printer.StateOnline {
		t.Fatalf("Status before the first job = %v, %v", st, err)
	}
	a, b := []byte("\x1b@first\n"), []byte("\x1b@second\n")
	for _, j := range [][]byte{a, b} {
		st, err := c.Write(ctxFor(t, time.Second), j)
		if err != nil || st.State != printer.StateOnline {
			t.Fatalf("Write = %v, %v", st, err)
		}
	}
	got, err := os.ReadFile(c.Path())
	if err != nil {
		t.Fatal(err)
	}
	if want := append(bytes.Clone(a), b...); !bytes.Equal(got, want) {
		t.Fatalf("file holds %q, want %q", got, want)
	}
}

func TestStatusAndWriteErrors(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "plain")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		online     bool
		want       string
	}{
		{"new file in a new directory", filepath.Join(dir, "a", "b", "out.bin"), true, ""},
		{"under a plain file", filepath.Join(notDir, "out.bin"), false, "not a directory"},
		{"a directory", dir, false, "is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := openConn(t, "file://"+tt.path, "")
			st, err := c.Status(ctxFor(t, time.Second))
			if tt.online {
				if err != nil || st.State != printer.StateOnline {
					t.Fatalf("Status = %v, %v; want online", st, err)
				}
				return
			}
			if err == nil || st.State != printer.StateOffline || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Status = %v, %v; want offline with %q", st, err, tt.want)
			}
			if _, err := c.Write(ctxFor(t, time.Second), []byte("x")); err == nil || !printer.IsNotSent(err) {
				t.Fatalf("Write = %v, want a not-sent error", err)
			}
		})
	}
}

func TestOpenWithoutPath(t *testing.T) {
	if _, err := Open(uri.URI{Raw: "file://", Scheme: uri.File}, printer.OpenOptions{}); err == nil {
		t.Fatal("Open without a path succeeded")
	}
}

// BenchmarkWrite measures bytes per second appended to a file, each job
// flushed to disk.
func BenchmarkWrite(b *testing.B) {
	c := openConn(b, "file://"+filepath.Join(b.TempDir(), "out.bin"), "")
	j := bytes.Repeat([]byte("打印测试 0123456789\n"), 64)
	b.SetBytes(int64(len(j)))
	for i := 0; i < b.N; i++ {
		if _, err := c.Write(context.Background(), j); err != nil {
			b.Fatal(err)
		}
	}
}
