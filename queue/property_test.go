package queue

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// mjob is the model's view of a stored job.
type mjob struct {
	printer string
	state   State
	seq     uint64
	nextTry time.Time
	updated time.Time
}

// model is a plain in-memory reference implementation of the queue rules.
type model struct {
	jobs  map[string]*mjob
	known map[string]bool
}

func (m *model) head(printer string) (string, *mjob) {
	var id string
	var best *mjob
	for k, j := range m.jobs {
		if j.printer == printer && active(j.state) && (best == nil || j.seq < best.seq) {
			id, best = k, j
		}
	}
	return id, best
}

func (m *model) stats() Stats {
	st := Stats{Lanes: map[string]LaneStats{}}
	var jobs []Job
	for _, j := range m.jobs {
		jobs = append(jobs, Job{Printer: j.printer, State: j.state})
	}
	if len(jobs) > 0 {
		st = countJobs(jobs)
	}
	return st
}

func (m *model) ids() []string {
	var ids []string
	for id := range m.jobs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// TestRandomOperations runs a few hundred random operations against the
// queue and the model, re-opening (and once crashing) in the middle, and
// checks results, counters and indexes along the way.
func TestRandomOperations(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			runRandom(t, seed, 400)
		})
	}
}

func runRandom(t *testing.T, seed uint64, ops int) {
	h := newHarness(t)
	h.opt.DedupeFor = 10000 * time.Hour
	h.reopen()
	rng := rand.New(rand.NewPCG(seed, seed*7919))
	m := &model{jobs: map[string]*mjob{}, known: map[string]bool{}}
	printers := []string{"front", "kitchen", "bar"}
	// pick mostly returns a job in one of the given states (the operation's
	// success case), sometimes any job or an unknown ID.
	pick := func(states ...State) string {
		var ids []string
		for _, id := range m.ids() {
			if slices.Contains(states, m.jobs[id].state) {
				ids = append(ids, id)
			}
		}
		switch r := rng.IntN(10); {
		case r < 7 && len(ids) > 0:
			return ids[rng.IntN(len(ids))]
		case r < 9 && len(m.jobs) > 0:
			all := m.ids()
			return all[rng.IntN(len(all))]
		}
		return fmt.Sprintf("j%d", rng.IntN(80))
	}
	// expect checks an operation's error against the class the model predicts.
	expect := func(op string, err, want error) {
		t.Helper()
		if (want == nil) != (err == nil) || (want != nil && !errors.Is(err, want)) {
			t.Fatalf("%s: err = %v, model expects %v", op, err, want)
		}
	}
	classify := func(id string, ok ...State) (*mjob, error) {
		j := m.jobs[id]
		switch {
		case j == nil:
			return nil, ErrNotFound
		case !slices.Contains(ok, j.state):
			return j, ErrState
		}
		return j, nil
	}
	done := map[string]int{} // successful state changes by kind
	defer func() {
		if t.Failed() {
			return
		}
		t.Logf("state changes: %v", done)
		for _, k := range []string{"enqueue", "lease", "ack", "nack", "kill", "retry", "move", "reprint", "prune"} {
			if done[k] == 0 {
				t.Errorf("the random sequence never made a successful %s", k)
			}
		}
	}()
	for i := range ops {
		now := h.clk.Now()
		var op string
		switch r := rng.IntN(100); {
		case r < 20:
			n := 1 + rng.IntN(3)
			var in []Job
			var want []bool
			seen := map[string]bool{}
			for range n {
				id := fmt.Sprintf("j%d", rng.IntN(60))
				in = append(in, newJob(id, printers[rng.IntN(len(printers))]))
				want = append(want, !m.known[id] && !seen[id])
				seen[id] = true
			}
			op = fmt.Sprintf("enqueue %v", in)
			got := h.enqueue(in...)
			if !slices.Equal(got, want) {
				t.Fatalf("op %d %s: added %v, model %v", i, op, got, want)
			}
			for k, job := range in {
				if got[k] {
					m.known[job.ID] = true
					m.jobs[job.ID] = &mjob{printer: job.Printer, state: Pending, seq: h.get(job.ID).Seq, updated: now}
					done["enqueue"]++
				}
			}
		case r < 45:
			p := printers[rng.IntN(len(printers))]
			d := time.Duration(1+rng.IntN(20)) * time.Minute
			op = fmt.Sprintf("lease %s %s", p, d)
			hid, head := m.head(p)
			want := ""
			if head != nil && !head.nextTry.After(now) {
				want = hid
				head.state, head.nextTry, head.updated = Inflight, now.Add(d), now
				done["lease"]++
			}
			h.lease(p, d, want)
		case r < 60:
			id := pick(Inflight)
			op = "ack " + id
			mj, want := classify(id, Inflight, Done)
			expect(op, h.q.Ack(id), want)
			if want == nil && mj.state == Inflight {
				mj.state, mj.updated = Done, now
				done["ack"]++
			}
		case r < 67:
			id := pick(Inflight)
			next := now.Add(time.Duration(rng.IntN(3)) * time.Minute)
			op = "nack " + id
			mj, want := classify(id, Inflight)
			expect(op, h.q.Nack(id, errors.New("paper out"), next), want)
			if want == nil {
				mj.state, mj.nextTry, mj.updated = Pending, next, now
				done["nack"]++
			}
		case r < 71:
			id := pick(Pending, Inflight)
			op = "kill " + id
			mj, want := classify(id, Pending, Inflight, Dead)
			expect(op, h.q.Kill(id, errors.New("bad")), want)
			if want == nil && mj.state != Dead {
				mj.state, mj.updated = Dead, now
				done["kill"]++
			}
		case r < 75:
			id := pick(Dead)
			op = "retry " + id
			mj, want := classify(id, Dead)
			expect(op, h.q.Retry(id), want)
			if want == nil {
				mj.state, mj.nextTry, mj.updated, mj.seq = Pending, now, now, h.get(id).Seq
				done["retry"]++
			}
		case r < 80:
			id, p := pick(Pending), printers[rng.IntN(len(printers))]
			op = "move " + id + " " + p
			mj, want := classify(id, Pending)
			expect(op, h.q.Move(id, p), want)
			if want == nil && mj.printer != p {
				mj.printer, mj.updated = p, now
				done["move"]++
			}
		case r < 85:
			id := pick(Done, Dead)
			p := ""
			if rng.IntN(2) == 0 {
				p = printers[rng.IntN(len(printers))]
			}
			op = "reprint " + id + " " + p
			mj, want := classify(id, Done, Dead)
			got, err := h.q.Reprint(id, p)
			expect(op, err, want)
			if want == nil {
				n := 1
				for m.known[fmt.Sprintf("%s#r%d", id, n)] {
					n++
				}
				wantID := fmt.Sprintf("%s#r%d", id, n)
				if p == "" {
					p = mj.printer
				}
				if got.ID != wantID || got.Printer != p || !got.Uncertain {
					t.Fatalf("op %d %s: got %+v, want id %s on %s", i, op, got, wantID, p)
				}
				m.known[wantID] = true
				m.jobs[wantID] = &mjob{printer: p, state: Pending, seq: got.Seq, nextTry: now, updated: now}
				done["reprint"]++
			}
		case r < 89:
			op = "prune"
			want := 0
			for id, mj := range m.jobs {
				if mj.state == Done && mj.updated.Before(now.Add(-h.opt.KeepDone)) {
					delete(m.jobs, id)
					want++
					done["prune"]++
				}
			}
			n, err := h.q.Prune()
			if err != nil || n != want {
				t.Fatalf("op %d prune = %d, %v; model %d", i, n, err, want)
			}
		default:
			d := time.Duration(rng.IntN(600)) * time.Second
			op = fmt.Sprint("advance ", d)
			h.clk.Add(d)
		}
		switch i {
		case ops / 3:
			h.reopen()
			recoverModel(m, h.clk.Now())
		case 2 * ops / 3:
			h.crash()
			recoverModel(m, h.clk.Now())
		}
		st, err := h.q.Stats()
		if err != nil {
			t.Fatal(err)
		}
		if want := m.stats(); !statsEqual(st, want) {
			t.Fatalf("op %d %s: stats %+v, model %+v", i, op, st, want)
		}
		if i%40 == 0 || i == ops-1 {
			h.check()
			for id, mj := range m.jobs {
				got := h.get(id)
				if got.State != mj.state || got.Printer != mj.printer || got.Seq != mj.seq {
					t.Fatalf("op %d: job %s = %+v, model %+v", i, id, got, *mj)
				}
			}
		}
	}
}

// recoverModel applies the open-time recovery of in-flight jobs to m.
func recoverModel(m *model, now time.Time) {
	for _, mj := range m.jobs {
		if mj.state == Inflight {
			mj.state, mj.nextTry, mj.updated = Pending, now, now
		}
	}
}
