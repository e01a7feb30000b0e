package queue

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// step runs do once, then checks want, then closes and re-opens the
// database and checks want again: every effect must survive a restart.
type step struct {
	name string
	do   func(h *harness)
	want func(h *harness)
}

func newJob(id, printer string) Job {
	return Job{ID: id, Printer: printer, Payload: payload("ticket " + id)}
}

func TestOperations(t *testing.T) {
	const minute = time.Minute
	tests := []struct {
		name  string
		steps []step
	}{
		{"enqueue sets fields and dedupes", []step{
			{"first", func(h *harness) {
				in := newJob("a", "front")
				in.State, in.Attempts, in.LastError, in.Seq = Dead, 7, "junk", 99
				if got := h.enqueue(in, newJob("b", "front")); !slices.Equal(got, []bool{true, true}) {
					h.t.Fatalf("added = %v", got)
				}
			}, func(h *harness) {
				a := h.wantState("a", Pending)
				if a.Attempts != 0 || a.LastError != "" || a.Seq != 1 || !a.Enqueued.Equal(t0) || !a.Updated.Equal(t0) ||
					a.Printer != "front" || string(a.Payload) != "ticket a" || a.Uncertain {
					h.t.Fatalf("job a = %+v", a)
				}
				if b := h.get("b"); b.Seq != 2 {
					h.t.Fatalf("b.Seq = %d", b.Seq)
				}
			}},
			{"again", func(h *harness) {
				h.clk.Add(minute)
				if got := h.enqueue(newJob("a", "kitchen"), newJob("c", "front"), newJob("c", "front")); !slices.Equal(got, []bool{false, true, false}) {
					h.t.Fatalf("added = %v", got)
				}
			}, func(h *harness) {
				if a := h.get("a"); a.Printer != "front" || !a.Updated.Equal(t0) {
					h.t.Fatalf("duplicate changed job a: %+v", a)
				}
				h.wantLane("front", "a", "b", "c")
				for id, want := range map[string]bool{"a": true, "c": true, "x": false} {
					if got, err := h.q.Has(id); err != nil || got != want {
						h.t.Fatalf("Has(%q) = %v, %v", id, got, err)
					}
				}
				for p, want := range map[string]bool{"": true, "b": true, "c": true, "ab": false, "d": false} {
					if got, err := h.q.HasPrefix(p); err != nil || got != want {
						h.t.Fatalf("HasPrefix(%q) = %v, %v", p, got, err)
					}
				}
			}},
		}},
		{"dedupe after ack and prune", []step{
			{"ack", func(h *harness) {
				h.enqueue(newJob("a", "front"))
				h.lease("front", minute, "a")
				h.must(h.q.Ack("a"))
				h.must(h.q.Ack("a")) // a second ack is a no-op
			}, func(h *harness) {
				h.wantState("a", Done)
				if got := h.enqueue(newJob("a", "front")); got[0] {
					h.t.Fatal("done job enqueued again")
				}
				h.wantLane("front")
			}},
			{"prune keeps recent done jobs", func(h *harness) {
				h.clk.Add(59 * minute)
				if n, err := h.q.Prune(); err != nil || n != 0 {
					h.t.Fatalf("prune = %d, %v", n, err)
				}
			}, func(h *harness) { h.wantState("a", Done) }},
			{"prune removes old done jobs", func(h *harness) {
				h.clk.Add(2 * minute)
				if n, err := h.q.Prune(); err != nil || n != 1 {
					h.t.Fatalf("prune = %d, %v", n, err)
				}
			}, func(h *harness) {
				if _, err := h.q.Get("a"); !errors.Is(err, ErrNotFound) {
					h.t.Fatalf("get pruned job: %v", err)
				}
				if ok, _ := h.q.Has("a"); !ok {
					h.t.Fatal("pruned id forgotten too early")
				}
				if got := h.enqueue(newJob("a", "front")); got[0] {
					h.t.Fatal("pruned id enqueued again within DedupeFor")
				}
			}},
			{"prune within DedupeFor", func(h *harness) {
				h.clk.Add(23 * time.Hour)
				if _, err := h.q.Prune(); err != nil {
					h.t.Fatal(err)
				}
			}, func(h *harness) {
				if ok, _ := h.q.Has("a"); !ok {
					h.t.Fatal("id forgotten within DedupeFor")
				}
			}},
			{"prune after DedupeFor", func(h *harness) {
				h.clk.Add(2 * time.Hour)
				if _, err := h.q.Prune(); err != nil {
					h.t.Fatal(err)
				}
			}, func(h *harness) {
				if ok, _ := h.q.Has("a"); ok {
					h.t.Fatal("id still remembered after DedupeFor")
				}
			}},
			{"enqueue again after forgetting", func(h *harness) {
				if got := h.enqueue(newJob("a", "front")); !got[0] {
					h.t.Fatal("forgotten id not enqueued")
				}
			}, func(h *harness) { h.wantState("a", Pending) }},
		}},
		{"fifo per lane across lanes", []step{
			{"enqueue interleaved", func(h *harness) {
				h.enqueue(newJob("f1", "front"), newJob("k1", "kitchen"))
				h.enqueue(newJob("f2", "front"))
				h.enqueue(newJob("k2", "kitchen"), newJob("f3", "front"))
			}, func(h *harness) {
				h.wantLane("front", "f1", "f2", "f3")
				h.wantLane("kitchen", "k1", "k2")
				h.wantLane("bar")
			}},
			{"lease heads", func(h *harness) {
				h.lease("front", minute, "f1")
				h.lease("front", minute, "") // head is in flight: the lane waits
				h.lease("kitchen", minute, "k1")
				h.lease("bar", minute, "")
			}, func(h *harness) {
				h.wantState("f1", Inflight)
				h.wantState("k1", Inflight)
			}},
			{"ack front", func(h *harness) {
				h.must(h.q.Ack("f1"))
				h.lease("front", minute, "f2")
			}, func(h *harness) {
				h.wantLane("front", "f2", "f3")
				h.wantState("k1", Inflight)
			}},
		}},
		{"lease respects next try", []step{
			{"delayed job", func(h *harness) {
				d := newJob("d", "front")
				d.NextTry = t0.Add(5 * minute)
				h.enqueue(d, newJob("e", "front"))
				h.lease("front", minute, "") // head not due: e waits behind it
			}, func(h *harness) { h.wantState("d", Pending) }},
			{"due", func(h *harness) {
				h.clk.Add(5 * minute)
				if got := h.lease("front", minute, "d"); got.Attempts != 1 || !got.NextTry.Equal(t0.Add(6*minute)) {
					h.t.Fatalf("leased %+v", got)
				}
			}, func(h *harness) { h.wantState("d", Inflight) }},
			{"nack", func(h *harness) {
				h.must(h.q.Nack("d", errors.New("paper out"), h.clk.Now().Add(10*time.Second)))
				h.lease("front", minute, "")
			}, func(h *harness) {
				if d := h.wantState("d", Pending); d.LastError != "paper out" {
					h.t.Fatalf("d = %+v", d)
				}
				h.wantLane("front", "d", "e")
			}},
			{"retry after backoff", func(h *harness) {
				before := h.get("d")
				h.clk.Add(10 * time.Second)
				got := h.lease("front", minute, "d")
				if got.Attempts != before.Attempts+1 || got.Uncertain != before.Uncertain || got.LastError != "paper out" {
					h.t.Fatalf("leased %+v after %+v", got, before)
				}
			}, func(h *harness) { h.wantState("d", Inflight) }},
		}},
		{"lease expiry", []step{
			{"lease", func(h *harness) {
				h.enqueue(newJob("a", "front"), newJob("b", "front"))
				if got := h.lease("front", 30*time.Second, "a"); got.Attempts != 1 || got.Uncertain {
					h.t.Fatalf("leased %+v", got)
				}
				h.clk.Add(29 * time.Second)
				h.lease("front", minute, "")
			}, func(h *harness) { h.wantState("a", Inflight) }},
			{"expired", func(h *harness) {
				before := h.get("a")
				h.clk.Add(time.Second)
				if got := h.lease("front", minute, "a"); got.Attempts != before.Attempts+1 || !got.Uncertain {
					h.t.Fatalf("re-leased %+v after %+v", got, before)
				}
			}, func(h *harness) {
				if a := h.wantState("a", Inflight); !a.Uncertain {
					h.t.Fatalf("a = %+v", a)
				}
				h.wantLane("front", "a", "b")
			}},
		}},
		{"kill and retry", []step{
			{"kill head", func(h *harness) {
				h.enqueue(newJob("a", "front"), newJob("b", "front"), newJob("c", "front"))
				h.lease("front", minute, "a")
				h.must(h.q.Kill("a", errors.New("unknown printer model")))
				h.must(h.q.Kill("a", nil)) // already dead: no-op
			}, func(h *harness) {
				if a := h.wantState("a", Dead); a.LastError != "unknown printer model" {
					h.t.Fatalf("a = %+v", a)
				}
				h.wantLane("front", "b", "c")
			}},
			{"kill pending", func(h *harness) { h.must(h.q.Kill("c", errors.New("bad template"))) },
				func(h *harness) { h.wantLane("front", "b") }},
			{"retry to the end", func(h *harness) {
				h.clk.Add(minute)
				h.must(h.q.Retry("a"))
			}, func(h *harness) {
				a := h.wantState("a", Pending)
				if a.Seq != 4 || !a.NextTry.Equal(t0.Add(minute)) || a.Attempts != 1 {
					h.t.Fatalf("a = %+v", a)
				}
				h.wantLane("front", "b", "a")
			}},
			{"wrong states", func(h *harness) {
				h.lease("front", minute, "b")
				h.must(h.q.Ack("b"))
				for name, err := range map[string]error{
					"retry pending": h.q.Retry("a"),
					"kill done":     h.q.Kill("b", nil),
					"ack pending":   h.q.Ack("a"),
					"nack pending":  h.q.Nack("a", nil, time.Time{}),
				} {
					if !errors.Is(err, ErrState) {
						h.t.Errorf("%s: err = %v, want ErrState", name, err)
					}
				}
			}, func(h *harness) {
				h.wantState("a", Pending)
				h.wantState("b", Done)
			}},
		}},
		{"reprint", []step{
			{"reprint done job", func(h *harness) {
				h.enqueue(newJob("a", "front"), newJob("b", "front"))
				h.lease("front", minute, "a")
				h.must(h.q.Ack("a"))
				h.clk.Add(minute)
				r, err := h.q.Reprint("a", "")
				h.must(err)
				if r.ID != "a#r1" || r.Printer != "front" || !r.Uncertain || r.State != Pending || string(r.Payload) != "ticket a" || r.Seq != 3 {
					h.t.Fatalf("reprint = %+v", r)
				}
			}, func(h *harness) {
				h.wantLane("front", "b", "a#r1")
				h.wantState("a", Done)
			}},
			{"reprint again elsewhere", func(h *harness) {
				r, err := h.q.Reprint("a", "kitchen")
				h.must(err)
				if r.ID != "a#r2" || r.Printer != "kitchen" {
					h.t.Fatalf("reprint = %+v", r)
				}
			}, func(h *harness) {
				h.wantLane("kitchen", "a#r2")
				if got := h.enqueue(newJob("a#r2", "front")); got[0] {
					h.t.Fatal("reprint id not deduped")
				}
			}},
			{"reprint dead job", func(h *harness) {
				h.must(h.q.Kill("b", errors.New("cut")))
				r, err := h.q.Reprint("b", "")
				h.must(err)
				if r.ID != "b#r1" {
					h.t.Fatalf("reprint = %+v", r)
				}
			}, func(h *harness) { h.wantLane("front", "a#r1", "b#r1") }},
			{"bad sources", func(h *harness) {
				if _, err := h.q.Reprint("a#r1", ""); !errors.Is(err, ErrState) {
					h.t.Errorf("reprint pending: %v", err)
				}
				if _, err := h.q.Reprint("zz", ""); !errors.Is(err, ErrNotFound) {
					h.t.Errorf("reprint missing: %v", err)
				}
			}, func(h *harness) { h.wantLane("front", "a#r1", "b#r1") }},
		}},
		{"move", []step{
			{"move keeps seq order", func(h *harness) {
				h.enqueue(newJob("a", "front"), newJob("b", "kitchen"), newJob("c", "front"))
				h.must(h.q.Move("c", "kitchen"))
				h.must(h.q.Move("a", "kitchen"))
				h.must(h.q.Move("a", "kitchen")) // same lane: no-op
			}, func(h *harness) {
				h.wantLane("front")
				h.wantLane("kitchen", "a", "b", "c")
			}},
			{"only pending moves", func(h *harness) {
				h.lease("kitchen", minute, "a")
				if err := h.q.Move("a", "front"); !errors.Is(err, ErrState) {
					h.t.Fatalf("move inflight: %v", err)
				}
				if err := h.q.Move("zz", "front"); !errors.Is(err, ErrNotFound) {
					h.t.Fatalf("move missing: %v", err)
				}
				if err := h.q.Move("b", ""); err == nil {
					h.t.Fatal("move to empty printer accepted")
				}
			}, func(h *harness) { h.wantLane("kitchen", "a", "b", "c") }},
		}},
		{"list and stats", []step{
			{"mixed states", func(h *harness) {
				h.enqueue(newJob("a", "front"), newJob("b", "front"), newJob("c", "kitchen"), newJob("d", "kitchen"))
				h.clk.Add(minute)
				h.lease("front", minute, "a")
				h.must(h.q.Ack("a"))
				h.clk.Add(minute)
				h.must(h.q.Kill("d", errors.New("x")))
				h.clk.Add(minute)
				h.lease("kitchen", minute, "c")
			}, func(h *harness) {
				st, err := h.q.Stats()
				h.must(err)
				want := Stats{Pending: 1, Inflight: 1, Done: 1, Dead: 1, Lanes: map[string]LaneStats{
					"front": {Pending: 1, Done: 1}, "kitchen": {Inflight: 1, Dead: 1}}}
				if !statsEqual(st, want) {
					h.t.Fatalf("stats = %+v", st)
				}
				for _, tc := range []struct {
					f    Filter
					want []string
				}{
					{Filter{}, []string{"a", "b", "c", "d"}},
					{Filter{Newest: true}, []string{"c", "d", "a", "b"}},
					{Filter{Newest: true, Limit: 2}, []string{"c", "d"}},
					{Filter{Printer: "kitchen"}, []string{"c", "d"}},
					{Filter{States: []State{Done, Dead}}, []string{"a", "d"}},
					{Filter{Printer: "front", States: []State{Pending}}, []string{"b"}},
					{Filter{Printer: "none", States: []State{Pending}}, nil},
					{Filter{Limit: 1}, []string{"a"}},
				} {
					jobs, err := h.q.List(tc.f)
					h.must(err)
					var ids []string
					for _, j := range jobs {
						ids = append(ids, j.ID)
					}
					if !slices.Equal(ids, tc.want) {
						h.t.Errorf("List(%+v) = %q, want %q", tc.f, ids, tc.want)
					}
				}
			}},
		}},
		{"cursors", []step{
			{"set", func(h *harness) {
				h.must(h.q.SetCursor("youzan/1001", "2025-03-01 12:00:00"))
				h.must(h.q.SetCursor("wdt", "x"))
				h.must(h.q.SetCursor("wdt", ""))
			}, func(h *harness) {
				for name, want := range map[string]string{"youzan/1001": "2025-03-01 12:00:00", "wdt": "", "none": ""} {
					if got, err := h.q.Cursor(name); err != nil || got != want {
						h.t.Fatalf("Cursor(%q) = %q, %v", name, got, err)
					}
				}
			}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			for _, s := range tc.steps {
				s.do(h)
				s.want(h)
				h.reopenAndResume()
				s.want(h)
				if t.Failed() {
					t.Fatalf("after step %q", s.name)
				}
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	h := newHarness(t)
	h.enqueue(newJob("a", "front"))
	long := strings.Repeat("x", MaxIDLen+1)
	tests := []struct {
		name string
		err  error
		want string // in the message
		is   error
	}{
		{"empty id", errOnly(h.q.Enqueue(newJob("ok", "front"), Job{Printer: "front"})), "enqueue job 1: empty job id", nil},
		{"empty printer", errOnly(h.q.Enqueue(Job{ID: "p"})), `enqueue job 0 ("p"): empty printer name`, nil},
		{"long id", errOnly(h.q.Enqueue(Job{ID: long, Printer: "front"})), "longer than 1024", nil},
		{"long printer", errOnly(h.q.Enqueue(Job{ID: "p", Printer: long})), "printer name", nil},
		{"lease no printer", errOnly2(h.q.Lease("", time.Minute)), "lease: empty printer name", nil},
		{"lease zero", errOnly2(h.q.Lease("front", 0)), `lease on printer "front": lease duration 0s is not positive`, nil},
		{"ack missing", h.q.Ack("zz"), `ack: job "zz": queue: job not found`, ErrNotFound},
		{"ack pending", h.q.Ack("a"), `ack: job "a" is pending, want inflight`, ErrState},
		{"nack missing", h.q.Nack("zz", nil, time.Time{}), `nack: job "zz"`, ErrNotFound},
		{"kill empty", h.q.Kill("", nil), "kill: empty job id", nil},
		{"get missing", errOnly(h.q.Get("zz")), `get: job "zz"`, ErrNotFound},
		{"list bad state", errOnly(h.q.List(Filter{States: []State{"gone"}})), `list: unknown state "gone"`, nil},
		{"list bad limit", errOnly(h.q.List(Filter{Limit: -1})), "list: negative limit -1", nil},
		{"cursor empty", errOnly(h.q.Cursor("")), "cursor: empty name", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(tc.err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", tc.err, tc.want)
			}
			if tc.is != nil && !errors.Is(tc.err, tc.is) {
				t.Errorf("error %q does not wrap %v", tc.err, tc.is)
			}
		})
	}
	// The failed all-or-nothing Enqueue left nothing behind.
	if ok, _ := h.q.Has("ok"); ok {
		t.Error("job of a rejected batch was stored")
	}
}

func errOnly[T any](_ T, err error) error { return err }

func errOnly2[T, U any](_ T, _ U, err error) error { return err }

func TestCrashLeavesUncertainHead(t *testing.T) {
	h := newHarness(t)
	h.enqueue(newJob("a", "front"), newJob("k", "kitchen"), newJob("b", "front"))
	h.lease("front", time.Hour, "a")
	h.lease("kitchen", time.Hour, "k")
	h.must(h.q.Ack("k"))
	h.clk.Add(time.Minute)
	h.crash()

	a := h.wantState("a", Pending)
	if !a.Uncertain || a.Attempts != 1 || !a.NextTry.Equal(h.clk.Now()) {
		t.Fatalf("recovered job = %+v", a)
	}
	if k := h.wantState("k", Done); k.Uncertain {
		t.Fatalf("acked job became uncertain: %+v", k)
	}
	h.wantLane("front", "a", "b")
	got := h.lease("front", time.Minute, "a")
	if !got.Uncertain || got.Attempts != 2 {
		t.Fatalf("leased after crash: %+v", got)
	}
	// A normal close with a job in flight means the same: it was not acked.
	h.reopen()
	if a := h.wantState("a", Pending); !a.Uncertain {
		t.Fatalf("after reopen: %+v", a)
	}
}

func TestSecondOpenIsLocked(t *testing.T) {
	h := newHarness(t)
	opt := h.opt
	opt.LockWait = 100 * time.Millisecond
	start := time.Now()
	q, err := Open(h.path, opt)
	if err == nil {
		q.Close()
		t.Fatal("second open succeeded")
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("second open took %s", el)
	}
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "in use by another storeedge process") {
		t.Fatalf("err = %v", err)
	}
	// Once the first is closed, the file opens.
	h.must(h.q.Close())
	q, err = Open(h.path, opt)
	h.must(err)
	h.q = q
}

func TestChanged(t *testing.T) {
	h := newHarness(t)
	ch := h.q.Changed()
	select {
	case <-ch:
		t.Fatal("signalled before any change")
	default:
	}
	h.enqueue(newJob("a", "front"))
	select {
	case <-ch:
	default:
		t.Fatal("enqueue did not signal")
	}
	ch = h.q.Changed()
	h.lease("kitchen", time.Minute, "") // nothing to lease
	h.enqueue(newJob("a", "front"))     // duplicate: nothing added
	if h.q.Changed() != ch {
		t.Fatal("signalled without a change")
	}
	h.lease("front", time.Minute, "a")
	select {
	case <-ch:
	default:
		t.Fatal("lease did not signal")
	}
	ch = h.q.Changed()
	h.must(h.q.Close())
	h.q = nil
	select {
	case <-ch:
	default:
		t.Fatal("close did not signal")
	}
}

func TestOpenBadSchema(t *testing.T) {
	h := newHarness(t)
	h.must(h.q.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Put(kSchema, u64(9)) }))
	h.must(h.q.Close())
	h.q = nil
	if _, err := Open(h.path, h.opt); err == nil || !strings.Contains(err.Error(), "unsupported schema version") {
		t.Fatalf("err = %v", err)
	}
}
