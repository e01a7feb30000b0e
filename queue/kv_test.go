package queue

import (
	"maps"
	"path/filepath"
	"testing"
)

func openKV(t *testing.T, path string) *Queue {
	t.Helper()
	q, err := Open(path, Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestKVValues(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	q := openKV(t, path)
	if got, err := q.GetValues("last", ""); err != nil || len(got) != 0 {
		t.Fatalf("empty space: %v %v", got, err)
	}
	if err := q.SetValues("last", map[string]string{"stock/1/a": "1", "stock/1/b": "2", "price/1/a": "3.5"}); err != nil {
		t.Fatal(err)
	}
	if err := q.SetValues("other", map[string]string{"stock/1/a": "9"}); err != nil {
		t.Fatal(err)
	}
	if err := q.SetValues("last", map[string]string{"stock/1/b": ""}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		space, prefix string
		want          map[string]string
	}{
		{"last", "", map[string]string{"stock/1/a": "1", "price/1/a": "3.5"}},
		{"last", "stock/", map[string]string{"stock/1/a": "1"}},
		{"last", "none/", map[string]string{}},
		{"other", "", map[string]string{"stock/1/a": "9"}},
	}
	for _, tt := range tests {
		got, err := q.GetValues(tt.space, tt.prefix)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got, tt.want) {
			t.Errorf("GetValues(%q, %q) = %v, want %v", tt.space, tt.prefix, got, tt.want)
		}
	}
	if n, err := q.DeletePrefix("last", "stock/"); err != nil || n != 1 {
		t.Fatalf("DeletePrefix = %d, %v", n, err)
	}
	if err := q.SetValues("", map[string]string{"a": "b"}); err == nil {
		t.Error("empty space accepted")
	}
	if err := q.SetValues("x", map[string]string{"": "b"}); err == nil {
		t.Error("empty key accepted")
	}
	q.Close()
	q = openKV(t, path)
	defer q.Close()
	got, _ := q.GetValues("last", "")
	if !maps.Equal(got, map[string]string{"price/1/a": "3.5"}) {
		t.Errorf("after reopen: %v", got)
	}
}

func TestEnqueueWithValuesIsAtomic(t *testing.T) {
	q := openKV(t, filepath.Join(t.TempDir(), "q.db"))
	defer q.Close()
	added, err := q.EnqueueWithValues("last", map[string]string{"k": "1"},
		Job{ID: "report/a/1", Printer: "report/a", Payload: []byte("x")})
	if err != nil || len(added) != 1 || !added[0] {
		t.Fatalf("added %v, %v", added, err)
	}
	// A job with a bad id fails the whole call: the value is not stored.
	if _, err := q.EnqueueWithValues("last", map[string]string{"k": "2"}, Job{ID: "", Printer: "report/a"}); err == nil {
		t.Fatal("bad job accepted")
	}
	got, _ := q.GetValues("last", "")
	if got["k"] != "1" {
		t.Errorf("value after failed call = %q, want 1", got["k"])
	}
	// A known id is skipped, the values still stored.
	added, err = q.EnqueueWithValues("last", map[string]string{"k": "3"}, Job{ID: "report/a/1", Printer: "report/a"})
	if err != nil || added[0] {
		t.Fatalf("duplicate added %v, %v", added, err)
	}
	got, _ = q.GetValues("last", "")
	if got["k"] != "3" {
		t.Errorf("value = %q, want 3", got["k"])
	}
	j, ok, err := q.Lease("report/a", 60e9)
	if err != nil || !ok || string(j.Payload) != "x" {
		t.Fatalf("lease: %v %v %v", j, ok, err)
	}
}
