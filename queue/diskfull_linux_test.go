//go:build linux

package queue

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"storeedge/internal/testdisk"
	"strings"
	"testing"
	"time"
)

func wantDiskFull(t *testing.T, what string, err error, dir string) {
	t.Helper()
	if !errors.Is(err, ErrDiskFull) {
		t.Fatalf("%s: err = %v, want ErrDiskFull", what, err)
	}
	for _, part := range []string{"disk full", "jobs accepted before are kept", dir, "no space left on device"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("%s: error %q does not say %q", what, err, part)
		}
	}
}

// TestDiskFull fills a real (small) disk until commits fail: the error says
// so, nothing accepted is lost, the failed change is not half made, the
// same calls succeed once space is freed, without a restart, and the file
// reopens whole.
func TestDiskFull(t *testing.T) {
	disk := testdisk.Small(t, 2<<20)
	dir := filepath.Join(disk, "data")
	path := filepath.Join(dir, "queue.db")
	q, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	testdisk.Ballast(t, filepath.Join(disk, "ballast"), 256<<10)

	body := func(i int) []byte { return []byte(strings.Repeat(fmt.Sprintf("ticket %d;", i), 300)) }
	id := func(i int) string { return fmt.Sprintf("youzan/1001/E%05d/new/receipt/1", i) }
	var accepted int
	var full error
	for i := range 10_000 {
		if _, err := q.Enqueue(Job{ID: id(i), Printer: "front", Payload: body(i)}); err != nil {
			full = err
			break
		}
		accepted++
	}
	if full == nil {
		t.Fatalf("enqueued %d jobs of 3 KB on a 2 MB disk without an error", accepted)
	}
	t.Logf("disk full after %d jobs: %v", accepted, full)
	wantDiskFull(t, "enqueue", full, dir)

	// The job that did not fit is not known, so the caller's retry is not
	// taken for a duplicate, and it fails the same way while the disk is full.
	if ok, err := q.Has(id(accepted)); err != nil || ok {
		t.Fatalf("Has(job that did not fit) = %v, %v", ok, err)
	}
	_, err = q.Enqueue(Job{ID: id(accepted), Printer: "front", Payload: body(accepted)})
	wantDiskFull(t, "enqueue again", err, dir)

	// A compaction needs room for a copy: it fails, and the queue goes on.
	_, err = q.Compact()
	wantDiskFull(t, "compact", err, dir)
	if _, err := os.Stat(path + compactSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed compaction left its copy: %v", err)
	}

	// Everything accepted is readable while the disk is full.
	st, err := q.Stats()
	if err != nil || st.Pending != accepted {
		t.Fatalf("stats while full = %+v, %v; want %d pending", st, err, accepted)
	}

	// Free space: the same queue, without a restart, takes the job now.
	if err := os.Remove(filepath.Join(disk, "ballast")); err != nil {
		t.Fatal(err)
	}
	added, err := q.Enqueue(Job{ID: id(accepted), Printer: "front", Payload: body(accepted)})
	if err != nil || !added[0] {
		t.Fatalf("enqueue after freeing space = %v, %v", added, err)
	}
	accepted++
	j, ok, err := q.Lease("front", time.Minute)
	if err != nil || !ok || j.ID != id(0) {
		t.Fatalf("lease after freeing space = %s %v %v", j.ID, ok, err)
	}
	if err := q.Ack(j.ID); err != nil {
		t.Fatal(err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}

	if err := Verify(path); err != nil {
		t.Fatalf("verify after the disk was full: %v", err)
	}
	q, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := q.List(Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != accepted {
		t.Fatalf("after reopening %d jobs, want %d", len(jobs), accepted)
	}
	for i, j := range jobs {
		want := Pending
		if i == 0 {
			want = Done
		}
		if j.ID != id(i) || string(j.Payload) != string(body(i)) || j.State != want {
			t.Fatalf("job %d after reopening = %s %s (%d bytes), want %s %s", i, j.ID, j.State, len(j.Payload), id(i), want)
		}
	}
}

// TestDiskFullWhileLeased fills the disk while a job is in flight: its
// acknowledgement fails clearly, the job stays in flight, and after a
// restart it comes back uncertain (printed again with the reprint mark).
func TestDiskFullWhileLeased(t *testing.T) {
	disk := testdisk.Small(t, 1<<20)
	path := filepath.Join(disk, "queue.db")
	q, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	if _, err := q.Enqueue(Job{ID: "a", Printer: "front", Payload: []byte("receipt")}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := q.Lease("front", time.Minute); err != nil || !ok {
		t.Fatalf("lease = %v %v", ok, err)
	}
	// Fill every byte left.
	f, err := os.Create(filepath.Join(disk, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := f.Write(make([]byte, 4096)); err != nil {
			break
		}
	}
	f.Close()
	var ackErr error
	// The ack may fit in pages already free; keep changing the queue until
	// the disk refuses.
	for i := 0; ackErr == nil && i < 1000; i++ {
		ackErr = q.SetCursor("c", strings.Repeat("x", 2000+i))
	}
	wantDiskFull(t, "set cursor", ackErr, disk)
	// Page allocation is deterministic: with every page taken, the
	// acknowledgement (which rewrites the job and four indexes) cannot fit.
	wantDiskFull(t, "ack", q.Ack("a"), disk)
	if j, err := q.Get("a"); err != nil || j.State != Inflight {
		t.Fatalf("job after a failed ack = %+v, %v; want inflight", j, err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	// Started again on the full disk, the queue cannot return the job to
	// its lane and says so as clearly.
	if q2, err := Open(path, Options{}); err == nil {
		q2.Close()
		t.Fatal("opened a queue with a job in flight on a full disk without an error")
	} else {
		wantDiskFull(t, "open", err, disk)
	}
	if err := os.Remove(filepath.Join(disk, "filler")); err != nil {
		t.Fatal(err)
	}
	q, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	j, ok, err := q.Lease("front", time.Minute)
	if err != nil || !ok || j.ID != "a" || !j.Uncertain {
		t.Fatalf("lease after restart = %+v %v %v; want job a, uncertain", j, ok, err)
	}
}
