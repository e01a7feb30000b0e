package queue

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// snapshot is everything a caller can read from a queue.
type snapshot struct {
	Jobs    []Job
	Stats   Stats
	Cursors map[string]string
	Values  map[string]string
	Known   map[string]bool
}

func takeSnapshot(t *testing.T, q *Queue, ids []string) snapshot {
	t.Helper()
	jobs, err := q.List(Filter{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := q.Stats()
	if err != nil {
		t.Fatal(err)
	}
	s := snapshot{Jobs: jobs, Stats: st, Cursors: map[string]string{}, Known: map[string]bool{}}
	for _, name := range []string{"youzan/1001", "wdt/renmin"} {
		if s.Cursors[name], err = q.Cursor(name); err != nil {
			t.Fatal(err)
		}
	}
	if s.Values, err = q.GetValues("stock", ""); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if s.Known[id], err = q.Has(id); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// fillAndPrune stores n jobs of size bytes in lane "front", leaves the last
// keep of them pending, holds one, acknowledges the others, and prunes the
// acknowledged ones. It returns every ID it used.
func fillAndPrune(h *harness, n, keep, size int) []string {
	h.t.Helper()
	var ids []string
	for i := range n {
		id := fmt.Sprintf("youzan/1001/E%05d/new/receipt/1", i)
		ids = append(ids, id)
		h.enqueue(Job{ID: id, Printer: "front", Payload: bytes.Repeat([]byte{byte(i)}, size)})
	}
	for i := range n - keep {
		h.lease("front", time.Minute, ids[i])
		h.must(h.q.Ack(ids[i]))
	}
	h.enqueue(Job{ID: "youzan/1001/H1/new/kitchen/1", Printer: "kitchen", Payload: payload("held")})
	ids = append(ids, "youzan/1001/H1/new/kitchen/1")
	h.lease("kitchen", time.Minute, "youzan/1001/H1/new/kitchen/1")
	h.reopenWith(func(o *Options) { o.HoldUncertain = true })
	h.must(h.q.SetCursor("youzan/1001", "2025-03-01T12:00:00Z"))
	h.must(h.q.SetValues("stock", map[string]string{"sku/1": "3", "sku/2": "0"}))
	h.clk.Add(2 * h.opt.KeepDone)
	removed, err := h.q.Prune()
	h.must(err)
	if removed != n-keep {
		h.t.Fatalf("pruned %d jobs, want %d", removed, n-keep)
	}
	return ids
}

// reopenWith changes the options and reopens the queue.
func (h *harness) reopenWith(change func(*Options)) {
	h.t.Helper()
	h.check()
	h.must(h.q.Close())
	change(&h.opt)
	h.open()
	h.check()
}

func TestCompactAfterPrune(t *testing.T) {
	h := newHarness(t)
	h.opt.CompactMinFree = 64 << 10
	h.reopen()
	if _, did, err := h.q.MaybeCompact(); err != nil || did {
		t.Fatalf("MaybeCompact on a fresh queue = %v, %v; want no compaction", did, err)
	}
	ids := fillAndPrune(h, 250, 5, 2000)
	before := takeSnapshot(t, h.q, ids)
	c, did, err := h.q.MaybeCompact()
	if err != nil || !did {
		t.Fatalf("MaybeCompact after pruning = %v, %v; want a compaction", did, err)
	}
	if c.Before.Free < 64<<10 || c.After.File >= c.Before.File || c.After.Data >= c.Before.Data {
		t.Errorf("compaction did not shrink the file: %+v", c)
	}
	t.Logf("compaction: %+v", c)
	h.check()
	if after := takeSnapshot(t, h.q, ids); !reflect.DeepEqual(before, after) {
		t.Fatalf("compaction changed the queue:\nbefore %+v\nafter  %+v", before, after)
	}
	if _, err := os.Stat(h.path + compactSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("compaction copy left behind: %v", err)
	}
	if _, did, err := h.q.MaybeCompact(); err != nil || did {
		t.Fatalf("MaybeCompact right after compacting = %v, %v; want none", did, err)
	}
	// The queue goes on where it was: same lanes, same next sequence,
	// pruned IDs still deduplicated.
	if added := h.enqueue(Job{ID: ids[0], Printer: "front"}); added[0] {
		t.Error("a pruned ID was enqueued again after compaction")
	}
	h.enqueue(newJob("after", "front"))
	if j := h.get("after"); j.Seq != uint64(len(ids)+1) {
		t.Errorf("next job got seq %d, want %d", j.Seq, len(ids)+1)
	}
	h.lease("front", time.Minute, ids[len(ids)-6])
	h.reopen() // the harness now holds uncertain jobs
	h.wantState(ids[len(ids)-6], Held)
	h.wantState("youzan/1001/H1/new/kitchen/1", Held)
}

func TestCompactWhileBusy(t *testing.T) {
	h := newHarness(t)
	const lanes, perLane = 4, 60
	var (
		wg     sync.WaitGroup
		done   atomic.Int64
		failed atomic.Value
	)
	for l := range lanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lane := fmt.Sprintf("p%d", l)
			for i := range perLane {
				id := fmt.Sprintf("%s/%d", lane, i)
				if _, err := h.q.Enqueue(Job{ID: id, Printer: lane, Payload: make([]byte, 3000)}); err != nil {
					failed.Store(err)
					return
				}
				j, ok, err := h.q.Lease(lane, time.Minute)
				if err != nil || !ok || j.ID != id {
					failed.Store(fmt.Errorf("lease %s = %s %v %v", lane, j.ID, ok, err))
					return
				}
				if err := h.q.Ack(id); err != nil {
					failed.Store(err)
					return
				}
				done.Add(1)
			}
		}()
	}
	var compactions int
	for compactions < 20 && done.Load() < lanes*perLane && failed.Load() == nil {
		if _, err := h.q.Compact(); err != nil {
			t.Fatalf("compact %d: %v", compactions, err)
		}
		compactions++
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		t.Fatal(err)
	}
	st, err := h.q.Stats()
	h.must(err)
	if st.Done != lanes*perLane || st.Pending+st.Inflight != 0 {
		t.Fatalf("after %d compactions stats = %+v, want %d done", compactions, st, lanes*perLane)
	}
	h.reopen()
	t.Logf("%d compactions while %d jobs went through", compactions, lanes*perLane)
}

// copyDir copies the regular files of src into a new directory.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		in, err := os.Open(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.Create(filepath.Join(dst, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, in); err != nil {
			t.Fatal(err)
		}
		in.Close()
		if err := out.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// TestCompactCrashAtEveryStep stops a compaction at each of its steps, as a
// crash would (the files are copied as they are on disk at that moment),
// and opens what a restart would find: the same queue every time.
func TestCompactCrashAtEveryStep(t *testing.T) {
	h := newHarness(t)
	ids := fillAndPrune(h, 100, 3, 1000)
	want := takeSnapshot(t, h.q, ids)
	dir := filepath.Dir(h.path)
	crashed := map[string]string{}
	compactStep = func(step string) {
		crashed[step] = copyDir(t, dir)
		if step == "closed" {
			// The database file has no lock of its own now: another
			// process must still be kept out, by the lock file.
			opt := h.opt
			opt.LockWait = 30 * time.Millisecond
			if q, err := Open(h.path, opt); !errors.Is(err, ErrLocked) {
				if err == nil {
					q.Close()
				}
				t.Errorf("open during the swap: err = %v, want ErrLocked", err)
			}
		}
	}
	t.Cleanup(func() { compactStep = nil })
	if _, err := h.q.Compact(); err != nil {
		t.Fatal(err)
	}
	compactStep = nil
	// A crash in the middle of writing the copy leaves part of it.
	partial := copyDir(t, dir)
	data, err := os.ReadFile(filepath.Join(partial, "queue.db"))
	h.must(err)
	h.must(os.WriteFile(filepath.Join(partial, "queue.db"+compactSuffix), data[:len(data)/3], 0o600))
	crashed["partial copy"] = partial

	if len(crashed) != 4 {
		t.Fatalf("compaction went through steps %v", crashed)
	}
	for step, d := range crashed {
		t.Run(step, func(t *testing.T) {
			path := filepath.Join(d, "queue.db")
			if err := Verify(path); err != nil {
				t.Fatalf("database after a crash at %q: %v", step, err)
			}
			opt := h.opt
			opt.HoldUncertain = true
			q, err := Open(path, opt)
			if err != nil {
				t.Fatalf("open after a crash at %q: %v", step, err)
			}
			defer q.Close()
			if got := takeSnapshot(t, q, ids); !reflect.DeepEqual(got, want) {
				t.Errorf("after a crash at %q the queue differs:\ngot  %+v\nwant %+v", step, got, want)
			}
			if _, err := os.Stat(path + compactSuffix); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("leftover copy not removed on open: %v", err)
			}
		})
	}
}

func TestCompactFailureKeepsTheQueue(t *testing.T) {
	h := newHarness(t)
	ids := fillAndPrune(h, 50, 3, 1000)
	want := takeSnapshot(t, h.q, ids)
	// Something that is not a file where the copy goes: the copy fails.
	h.must(os.MkdirAll(filepath.Join(h.path+compactSuffix, "x"), 0o700))
	_, err := h.q.Compact()
	if err == nil || !strings.Contains(err.Error(), "compact queue") || !strings.Contains(err.Error(), compactSuffix) {
		t.Fatalf("Compact = %v, want an error naming the copy", err)
	}
	if got := takeSnapshot(t, h.q, ids); !reflect.DeepEqual(got, want) {
		t.Fatalf("a failed compaction changed the queue:\ngot  %+v\nwant %+v", got, want)
	}
	h.enqueue(newJob("after", "front"))
	h.must(os.RemoveAll(h.path + compactSuffix))
	if _, err := h.q.Compact(); err != nil {
		t.Fatalf("compact once the way is clear: %v", err)
	}
	h.wantState("after", Pending)
	h.reopen()
}

func TestCompactClosed(t *testing.T) {
	h := newHarness(t)
	h.must(h.q.Close())
	if _, err := h.q.Compact(); err == nil {
		t.Fatal("compact of a closed queue succeeded")
	}
	if _, _, err := h.q.MaybeCompact(); err == nil {
		t.Fatal("MaybeCompact of a closed queue succeeded")
	}
	h.q = nil
}

// BenchmarkCompact measures the pause of a compaction of a queue holding
// 10,000 pending jobs after 10,000 others were pruned.
func BenchmarkCompact(b *testing.B) {
	h := newHarness(b)
	batch := make([]Job, 0, 1000)
	for i := range 20_000 {
		batch = append(batch, Job{ID: fmt.Sprintf("youzan/%d/new/receipt/1", i), Printer: "front", Payload: ticket})
		if len(batch) == cap(batch) {
			h.enqueue(batch...)
			batch = batch[:0]
		}
	}
	for i := range 10_000 {
		h.must(h.q.Drop(fmt.Sprintf("youzan/%d/new/receipt/1", i), ""))
	}
	h.clk.Add(2 * h.opt.KeepDone)
	if _, err := h.q.Prune(); err != nil {
		b.Fatal(err)
	}
	h.opt.NoSync = false
	h.reopen()
	b.ResetTimer()
	for b.Loop() {
		if _, err := h.q.Compact(); err != nil {
			b.Fatal(err)
		}
	}
}
