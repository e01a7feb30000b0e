package stock

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

type collector struct {
	mu   sync.Mutex
	vals []Value
}

func (c *collector) submit(v []Value) (Summary, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.vals = append(c.vals, v...)
	return Summary{Values: len(v), Changed: len(v)}, nil
}

func (c *collector) skus() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, v := range c.vals {
		out = append(out, v.SKU+"/"+string(v.Kind))
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFolderReadsWholeFilesAndArchives(t *testing.T) {
	dir := t.TempDir()
	var c collector
	f, err := NewFolder(FolderOptions{Name: "drop", Dir: dir, Mapping: Mapping{Store: "s1"}, Settle: 50 * time.Millisecond,
		Scan: 100 * time.Millisecond, Submit: c.submit})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- f.Run(ctx) }()
	defer func() { cancel(); <-done }()

	// A file being written under a temporary name is left alone.
	tmp := filepath.Join(dir, "stock.csv.tmp")
	if err := os.WriteFile(tmp, []byte("sku,stock\nA,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if got := c.skus(); len(got) != 0 {
		t.Fatalf("read a .tmp file: %v", got)
	}
	if _, err := os.Stat(tmp); err != nil {
		t.Fatalf("tmp file moved: %v", err)
	}
	// Renamed into place, it is read once and archived.
	if err := os.Rename(tmp, filepath.Join(dir, "stock.csv")); err != nil {
		t.Fatal(err)
	}
	// A file with bad rows: the good rows count, the bad are listed.
	if err := os.WriteFile(filepath.Join(dir, "mixed.json"), []byte("[{\"sku\":\"B\",\"price\":2},\n{\"sku\":\"C\",\"price\":\"x\"}]"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A file that cannot be read at all goes to failed/.
	if err := os.WriteFile(filepath.Join(dir, "broken.csv"), []byte("name,qty\nA,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "three files moved", func() bool {
		left, _ := filepath.Glob(filepath.Join(dir, "*.*"))
		return len(left) == 0
	})
	if got := strings.Join(c.skus(), " "); got != "A/stock B/price" && got != "B/price A/stock" {
		t.Errorf("values read: %q", got)
	}
	day := time.Now().Format("20060102")
	archived, _ := filepath.Glob(filepath.Join(dir, "archive", day, "*"))
	failed, _ := filepath.Glob(filepath.Join(dir, "failed", day, "*"))
	if len(archived) != 3 || len(failed) != 2 { // mixed.json has its .errors.txt, broken.csv too
		t.Fatalf("archived %v, failed %v", archived, failed)
	}
	var errText []byte
	for _, a := range archived {
		if strings.HasSuffix(a, ".errors.txt") {
			errText, _ = os.ReadFile(a)
		}
	}
	if want := "mixed.json:2: sku C: price: \"x\" is not a decimal number"; !strings.Contains(string(errText), want) {
		t.Errorf("errors file %q, want %q", errText, want)
	}
	h := f.Health()
	if len(h.Problems) != 2 {
		t.Errorf("problems %v", h.Problems)
	}
	for _, p := range h.Problems {
		if p.File == "broken.csv" && !strings.Contains(p.Reason, `no "sku" column`) {
			t.Errorf("broken.csv problem %q", p.Reason)
		}
	}
}
