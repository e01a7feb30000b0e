package queue

import (
	"errors"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestDoneSince(t *testing.T) {
	h := newHarness(t)
	// a, b and d print at t0+1m, +2m and +4m; c fails for good at +3m
	// and is then dropped; b is reprinted and its copy prints at +5m.
	h.enqueue(Job{ID: "a", Printer: "p", Payload: payload("a")}, Job{ID: "b", Printer: "p", Payload: payload("b")},
		Job{ID: "c", Printer: "p", Payload: payload("c")}, Job{ID: "d", Printer: "p", Payload: payload("d")})
	for _, id := range []string{"a", "b"} {
		h.clk.Add(time.Minute)
		h.lease("p", time.Minute, id)
		h.must(h.q.Ack(id))
	}
	h.clk.Add(time.Minute)
	h.lease("p", time.Minute, "c")
	h.must(h.q.Kill("c", errors.New("template error")))
	re, err := h.q.Reprint("b", "")
	h.must(err)
	h.clk.Add(time.Minute)
	h.lease("p", time.Minute, "d")
	h.must(h.q.Ack("d"))
	h.clk.Add(time.Minute)
	h.lease("p", time.Minute, re.ID)
	h.must(h.q.Ack(re.ID))
	h.must(h.q.Drop("c", "by hand"))
	h.check()

	tests := []struct {
		since time.Time
		want  int
	}{
		{time.Time{}, 4},
		{t0, 4},
		{t0.Add(time.Minute), 4}, // at or after: a counts
		{t0.Add(time.Minute + 1), 3},
		{t0.Add(3 * time.Minute), 2},
		{t0.Add(4*time.Minute + 1), 1},
		{t0.Add(5 * time.Minute), 1},
		{t0.Add(6 * time.Minute), 0},
	}
	for _, tc := range tests {
		if got, err := h.q.DoneSince(tc.since); err != nil || got != tc.want {
			t.Errorf("DoneSince(%v) = %d, %v; want %d", tc.since, got, err, tc.want)
		}
	}
	// Pruned jobs are not counted, and the count survives a reopen.
	h.clk.Add(2 * time.Hour)
	if _, err := h.q.Prune(); err != nil {
		t.Fatal(err)
	}
	h.reopen()
	if got, err := h.q.DoneSince(t0); err != nil || got != 0 {
		t.Errorf("after pruning every done job: DoneSince = %d, %v; want 0", got, err)
	}
}

// TestDoneIndexMadeOnOpen: a file written before the index of done jobs
// existed gets it when it is opened.
func TestDoneIndexMadeOnOpen(t *testing.T) {
	h := newHarness(t)
	h.enqueue(Job{ID: "a", Printer: "p", Payload: payload("a")}, Job{ID: "b", Printer: "p", Payload: payload("b")},
		Job{ID: "c", Printer: "q", Payload: payload("c")})
	h.clk.Add(time.Minute)
	h.lease("p", time.Minute, "a")
	h.must(h.q.Ack("a"))
	h.lease("q", time.Minute, "c")
	h.must(h.q.Ack("c"))
	h.must(h.q.Close())
	db, err := bolt.Open(h.path, 0o600, nil)
	h.must(err)
	h.must(db.Update(func(tx *bolt.Tx) error { return tx.DeleteBucket(bDone) }))
	h.must(db.Close())
	h.open()
	h.check() // every index, the done one included
	if got, err := h.q.DoneSince(t0); err != nil || got != 2 {
		t.Errorf("DoneSince = %d, %v; want 2", got, err)
	}
}
