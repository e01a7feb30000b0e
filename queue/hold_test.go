package queue

import (
	"errors"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestHoldAndDrop runs the hold policy and the operations a person uses on
// held, dead and dropped jobs, closing and reopening the database after
// every step.
func TestHoldAndDrop(t *testing.T) {
	const minute = time.Minute
	tests := []struct {
		name  string
		steps []step
	}{
		{"crash holds the in-flight job", []step{
			{"lease and crash", func(h *harness) {
				h.enqueue(newJob("a", "front"), newJob("b", "front"), newJob("k", "kitchen"))
				h.lease("front", minute, "a")
				h.crash()
			}, func(h *harness) {
				a := h.wantState("a", Held)
				if !a.Uncertain || a.Attempts != 1 || !a.NextTry.IsZero() {
					h.t.Fatalf("a = %+v", a)
				}
				h.wantLane("front", "b")
			}},
			{"lane goes on without it", func(h *harness) {
				h.lease("front", minute, "b")
				h.must(h.q.Ack("b"))
			}, func(h *harness) {
				h.wantState("a", Held)
				h.wantState("b", Done)
				h.wantLane("front")
			}},
			{"release puts it back, marked", func(h *harness) {
				h.enqueue(newJob("c", "front"))
				h.must(h.q.Release("a"))
			}, func(h *harness) {
				if a := h.wantState("a", Pending); !a.Uncertain {
					h.t.Fatalf("a = %+v", a)
				}
				h.wantLane("front", "a", "c")
			}},
			{"released job prints next", func(h *harness) {
				if got := h.lease("front", minute, "a"); !got.Uncertain || got.Attempts != 2 {
					h.t.Fatalf("leased %+v", got)
				}
				h.must(h.q.Ack("a"))
			}, func(h *harness) { h.wantState("a", Done); h.wantLane("front", "c") }},
		}},
		{"expired lease is held", []step{
			{"lease expires", func(h *harness) {
				h.enqueue(newJob("a", "front"), newJob("b", "front"))
				h.lease("front", 30*time.Second, "a")
				h.clk.Add(31 * time.Second)
				h.lease("front", minute, "b")
				h.must(h.q.Ack("b"))
			}, func(h *harness) {
				a := h.wantState("a", Held)
				if !a.Uncertain || !strings.Contains(a.LastError, "lease expired") {
					h.t.Fatalf("a = %+v", a)
				}
			}},
			{"late ack confirms it", func(h *harness) {
				h.must(h.q.Nack("a", errors.New("late failure"), time.Time{})) // stays held
				h.wantState("a", Held)
				h.must(h.q.Ack("a"))
			}, func(h *harness) { h.wantState("a", Done) }},
		}},
		{"drop, retry, reprint", []step{
			{"drop held, pending and dead", func(h *harness) {
				h.enqueue(newJob("a", "front"), newJob("b", "front"), newJob("c", "front"), newJob("d", "front"))
				h.lease("front", minute, "a")
				h.crash()
				h.must(h.q.Drop("a", "printed fine, checked by staff"))
				h.must(h.q.Drop("b", ""))
				h.lease("front", minute, "c")
				h.must(h.q.Kill("c", errors.New("bad template")))
				h.must(h.q.Drop("c", "order cancelled"))
				h.must(h.q.Drop("c", "again")) // no-op
			}, func(h *harness) {
				if a := h.wantState("a", Dropped); a.LastError != "dropped: printed fine, checked by staff" {
					h.t.Fatalf("a = %+v", a)
				}
				if b := h.wantState("b", Dropped); b.LastError != "dropped" {
					h.t.Fatalf("b = %+v", b)
				}
				if c := h.wantState("c", Dropped); c.LastError != "dropped: order cancelled" {
					h.t.Fatalf("c = %+v", c)
				}
				h.wantLane("front", "d")
				st, err := h.q.Stats()
				h.must(err)
				if st.Dropped != 3 || st.Pending != 1 || st.Lanes["front"].Dropped != 3 {
					h.t.Fatalf("stats = %+v", st)
				}
			}},
			{"retry a dropped job", func(h *harness) { h.must(h.q.Retry("b")) },
				func(h *harness) { h.wantState("b", Pending); h.wantLane("front", "d", "b") }},
			{"reprint a dropped job", func(h *harness) {
				nu, err := h.q.Reprint("a", "kitchen")
				h.must(err)
				if nu.ID != "a#r1" || !nu.Uncertain || nu.Printer != "kitchen" {
					h.t.Fatalf("reprint = %+v", nu)
				}
			}, func(h *harness) { h.wantLane("kitchen", "a#r1") }},
			{"wrong states", func(h *harness) {
				h.lease("front", minute, "d")
				for name, err := range map[string]error{
					"release pending":  h.q.Release("b"),
					"release inflight": h.q.Release("d"),
					"drop inflight":    h.q.Drop("d", ""),
					"kill dropped":     h.q.Kill("a", nil),
					"retry pending":    h.q.Retry("b"),
				} {
					if !errors.Is(err, ErrState) {
						h.t.Errorf("%s: err = %v, want ErrState", name, err)
					}
				}
				if err := h.q.Release("nope"); !errors.Is(err, ErrNotFound) {
					h.t.Errorf("release unknown: %v", err)
				}
				h.must(h.q.Ack("d"))
			}, func(h *harness) { h.wantState("d", Done) }},
			{"prune removes old dropped jobs, keeps the ids", func(h *harness) {
				h.clk.Add(2 * time.Hour) // KeepDone is an hour in the harness
				n, err := h.q.Prune()
				h.must(err)
				if n != 3 { // a (dropped), c (dropped), d (done)
					h.t.Fatalf("pruned %d", n)
				}
			}, func(h *harness) {
				for _, id := range []string{"a", "c", "d"} {
					if _, err := h.q.Get(id); !errors.Is(err, ErrNotFound) {
						h.t.Fatalf("get %s after prune: %v", id, err)
					}
				}
				if added := h.enqueue(newJob("a", "front")); added[0] {
					h.t.Fatal("pruned id enqueued again")
				}
			}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.opt.HoldUncertain = true
			h.reopen()
			for _, s := range tc.steps {
				s.do(h)
				s.want(h)
				h.reopen()
				s.want(h)
				if t.Failed() {
					t.Fatalf("after step %q", s.name)
				}
			}
		})
	}
}

// TestOldCounters reads a counters record written before the held and
// dropped states existed (four counters) and updates it.
func TestOldCounters(t *testing.T) {
	h := newHarness(t)
	h.enqueue(newJob("a", "front"))
	h.must(h.q.db.Update(func(tx *bolt.Tx) error {
		old := make([]byte, 32)
		copy(old, u64(1)) // one pending
		return tx.Bucket(bCounts).Put([]byte("front"), old)
	}))
	h.reopen()
	h.lease("front", time.Minute, "a")
	h.must(h.q.Ack("a"))
	h.reopen()
	st, err := h.q.Stats()
	h.must(err)
	if st.Done != 1 || st.Pending != 0 {
		t.Fatalf("stats = %+v", st)
	}
}
