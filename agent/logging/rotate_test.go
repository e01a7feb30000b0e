package logging

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// files reads the log file and its backups: name -> content.
func files(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = string(b)
	}
	return m
}

func TestRotatingFile(t *testing.T) {
	tests := []struct {
		name    string
		max     int64
		backups int
		existed string // content of the log file before opening
		writes  []string
		want    map[string]string
	}{
		{
			name: "under the limit", max: 10, backups: 2,
			writes: []string{"aaa\n", "bbb\n"},
			want:   map[string]string{"s.log": "aaa\nbbb\n"},
		},
		{
			name: "exactly the limit stays", max: 8, backups: 2,
			writes: []string{"aaa\n", "bbb\n"},
			want:   map[string]string{"s.log": "aaa\nbbb\n"},
		},
		{
			name: "one past the limit rotates before the write", max: 8, backups: 2,
			writes: []string{"aaa\n", "bbb\n", "c\n"},
			want:   map[string]string{"s.log": "c\n", "s.log.1": "aaa\nbbb\n"},
		},
		{
			name: "backups shift and the oldest goes", max: 4, backups: 2,
			writes: []string{"111\n", "222\n", "333\n", "444\n"},
			want:   map[string]string{"s.log": "444\n", "s.log.1": "333\n", "s.log.2": "222\n"},
		},
		{
			name: "a record larger than the limit is never split", max: 4, backups: 1,
			writes: []string{"0123456789\n", "x\n"},
			want:   map[string]string{"s.log": "x\n", "s.log.1": "0123456789\n"},
		},
		{
			name: "an existing file counts toward the limit", max: 8, backups: 1,
			existed: "old old\n",
			writes:  []string{"new\n"},
			want:    map[string]string{"s.log": "new\n", "s.log.1": "old old\n"},
		},
		{
			name: "no backups: the file starts again", max: 4, backups: 0,
			writes: []string{"111\n", "222\n"},
			want:   map[string]string{"s.log": "222\n"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "s.log")
			if tc.existed != "" {
				if err := os.WriteFile(path, []byte(tc.existed), 0o640); err != nil {
					t.Fatal(err)
				}
			}
			f, err := OpenRotating(path, tc.max, tc.backups)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.writes {
				n, err := f.Write([]byte(w))
				if err != nil || n != len(w) {
					t.Fatalf("Write(%q) = %d, %v", w, n, err)
				}
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			if got := files(t, dir); !equalMaps(got, tc.want) {
				t.Errorf("files:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestRotatingFileModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes on Windows")
	}
	dir := filepath.Join(t.TempDir(), "logs")
	f, err := OpenRotating(filepath.Join(dir, "s.log"), 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for path, want := range map[string]fs.FileMode{dir: dirMode | fs.ModeDir, f.Path(): fileMode} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		// The umask may take bits away, never add them.
		if st.Mode()&^want != 0 {
			t.Errorf("%s: mode %v, want at most %v", path, st.Mode(), want)
		}
	}
	if f.maxSize != DefaultMaxSize || f.maxBackups != DefaultMaxBackups {
		t.Errorf("defaults: size %d backups %d", f.maxSize, f.maxBackups)
	}
}

// A rotation that cannot rename keeps logging to the current file, and is
// tried again only after more has been written.
func TestRotatingFileFailedRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.log")
	// The oldest backup is a non-empty directory: it cannot be removed.
	if err := os.MkdirAll(filepath.Join(path+".1", "x"), 0o750); err != nil {
		t.Fatal(err)
	}
	f, err := OpenRotating(path, 16, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		if _, err := fmt.Fprintf(f, "line %02d\n", i); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if err := f.Rotate(); err == nil {
		t.Error("Rotate succeeded with a directory in the way")
	}
	if _, err := f.Write([]byte("after\n")); err != nil {
		t.Fatal(err)
	}
	f.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(b), "\n"); got != 7 {
		t.Errorf("log holds %d lines, want all 7:\n%s", got, b)
	}
	// Once the way is clear, rotation works again.
	if err := os.RemoveAll(path + ".1"); err != nil {
		t.Fatal(err)
	}
	f, err = OpenRotating(path, 16, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("next\n")); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got := files(t, dir); got["s.log"] != "next\n" || !strings.HasSuffix(got["s.log.1"], "after\n") {
		t.Errorf("after clearing: %q", got)
	}
}

func TestRotatingFileClosed(t *testing.T) {
	f, err := OpenRotating(filepath.Join(t.TempDir(), "s.log"), 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("x")); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Write after Close: %v, want ErrClosed", err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// Concurrent writers: every record lands whole in exactly one file, and no
// file but the current one grows past the limit.
func TestRotatingFileConcurrent(t *testing.T) {
	dir := t.TempDir()
	const max, writers, each = 512, 8, 200
	f, err := OpenRotating(filepath.Join(dir, "s.log"), max, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := fmt.Fprintf(f, "w%d-%03d\n", w, i); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	f.Close()
	var lines []string
	for name, content := range files(t, dir) {
		if name != "s.log" && len(content) > max {
			t.Errorf("%s: %d bytes, over the %d limit", name, len(content), max)
		}
		for _, l := range strings.Split(strings.TrimSuffix(content, "\n"), "\n") {
			lines = append(lines, l)
		}
	}
	if len(lines) != writers*each {
		t.Fatalf("%d lines, want %d", len(lines), writers*each)
	}
	slices.Sort(lines)
	if len(slices.Compact(lines)) != writers*each {
		t.Error("a line was written twice")
	}
	for _, l := range lines {
		if !bytes.HasPrefix([]byte(l), []byte("w")) || len(l) != len("w0-000") {
			t.Fatalf("torn line %q", l)
		}
	}
}
