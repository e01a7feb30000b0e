package queue

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEnqueueWithCursor(t *testing.T) {
	path := filepath.Join(t.TempDir(), "q.db")
	q := openKV(t, path)
	job := func(id string) Job { return Job{ID: id, Printer: "front", Payload: []byte(id)} }
	changed := q.Changed()

	added, err := q.EnqueueWithCursor("orders/youzan/1", "t1", job("a"), job("b"))
	if err != nil || !slices.Equal(added, []bool{true, true}) {
		t.Fatalf("first window: %v %v", added, err)
	}
	select {
	case <-changed:
	case <-time.After(5 * time.Second):
		t.Fatal("new jobs did not wake the printers")
	}
	// A window that only sees known jobs moves the cursor alone; one with
	// no jobs at all too.
	if added, err := q.EnqueueWithCursor("orders/youzan/1", "t2", job("b")); err != nil || !slices.Equal(added, []bool{false}) {
		t.Fatalf("known job: %v %v", added, err)
	}
	if _, err := q.EnqueueWithCursor("orders/youzan/2", "t9"); err != nil {
		t.Fatalf("no jobs: %v", err)
	}
	// A bad job stores nothing, not even the cursor.
	if _, err := q.EnqueueWithCursor("orders/youzan/1", "t3", job("c"), Job{ID: "d"}); err == nil {
		t.Fatal("a job without a printer was taken")
	}
	for _, tc := range []struct{ name, want string }{{"orders/youzan/1", "t2"}, {"orders/youzan/2", "t9"}} {
		if got, err := q.Cursor(tc.name); err != nil || got != tc.want {
			t.Errorf("cursor %s = %q %v, want %q", tc.name, got, err, tc.want)
		}
	}
	if ok, _ := q.Has("c"); ok {
		t.Error("job c stored although its batch was refused")
	}
	if _, err := q.EnqueueWithCursor("", "t", job("e")); err == nil || !strings.Contains(err.Error(), "cursor name") {
		t.Errorf("empty cursor name: %v", err)
	}
	// Both survive a reopen: they were committed together.
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	q = openKV(t, path)
	defer q.Close()
	if got, _ := q.Cursor("orders/youzan/1"); got != "t2" {
		t.Errorf("cursor after reopen %q", got)
	}
	if jobs, err := q.List(Filter{}); err != nil || len(jobs) != 2 {
		t.Errorf("jobs after reopen: %d %v", len(jobs), err)
	}
}
